"""The shared headless Chromium: PDFs of briefs, and pictures of their charts for Word.

One browser per build, started in the background while the first notebooks run, shared by
every exporter that needs it (``pdf``, ``docx``). Pages are opened with JavaScript disabled
and may load only ``file:`` and ``data:`` URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from pathlib import Path

from ..errors import BrowserNotFoundError, RenderError

log = logging.getLogger("briefkit")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Pages share one renderer process where Chromium allows it (they share one browser
    # context, below): a renderer costs about a core-second to start and warm up, more than
    # printing a brief, and prints are short enough to take turns.
    "--renderer-process-limit=1",
]
# The printing browser draws no frames for a screen: a page it prints is laid out, painted and
# written to PDF by Chromium's print path, which makes no use of them (the PDFs are byte for
# byte the same), and the frames cost its renderer about 0.04 core-seconds a brief (measured:
# 12 prints 2.6 -> 2.2 core-seconds, a whole build 12.7 -> 11.7; bench/README.md). Without
# frames Playwright's actions and screenshots wait for ever, so pictures (for DOCX) are taken
# by a second browser with frames, started on first use.
PRINT_ARGS = ["--disable-threaded-compositing"]
# Executables looked for on PATH, and under Playwright's browsers folder, in order (find_chromium).
SYSTEM_BROWSERS = (
    "chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
)
MANAGED_BROWSERS = (
    "chromium_headless_shell-*/chrome-headless-shell-linux*/chrome-headless-shell",  # Playwright 1.49 and later
    "chromium_headless_shell-*/chrome-linux*/headless_shell",
    "chromium-*/chrome-linux*/chrome",
)
# Documents a shared renderer shows before it is replaced by a new one. Chromium's renderer keeps
# about 8 MB of every brief it has loaded and printed, and gives none of it back (measured on 60
# prints: not to a memory-pressure signal, nor with the back-forward cache off, nor after
# navigating to about:blank); only ending the process frees it. So, after this many documents,
# the shared context is retired: its pages close as their prints finish, which ends its renderer,
# and a page in a new context (a new renderer, warmed up in the background) takes over. A build of
# the 12 briefs and its combined PDF stays within one renderer; a pack of any size keeps the
# browser's memory within that of about this many briefs (bench/README.md).
RENDERER_DOCUMENTS = 24
CRASHED = ("Page crashed", "Target crashed")  # Playwright's errors for a page whose renderer died


def find_chromium(setting: str | None = None, environment: str | None = None,
                  playwright_browsers: Path | None = None) -> str | None:
    """Path of a Chromium to print with, or None for Playwright's own managed browser.

    Order: ``setting`` (e.g. ``--chromium``), ``$BRIEFKIT_CHROMIUM``, a Playwright-managed
    browser, then the system's: ``chromium-headless-shell``, ``chromium`` /
    ``chromium-browser`` / ``google-chrome``.

    A headless shell comes first wherever both are installed, as in Playwright's own headless
    launches: it is the same Blink, Skia and PDF printer without the browser's user-facing
    parts, and it printed the pack's 12 briefs for about two thirds of the CPU (Debian's
    packages ``chromium-headless-shell`` and ``chromium`` 156: 2.6 against 4.0 core-seconds,
    launch included, medians of 5; the same text, pages and tags; ``bench/README.md``).
    """
    tried = []
    for candidate in (setting, environment):
        if candidate:
            path = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
            if path:
                return path
            tried.append(candidate)
    managed = _playwright_managed(playwright_browsers)
    if managed:
        return managed
    tried.append("Playwright-managed chromium")
    for name in SYSTEM_BROWSERS:
        path = shutil.which(name)
        if path:
            return path
        tried.append(name)
    raise BrowserNotFoundError(tried)


def _playwright_managed(root: Path | None) -> str | None:
    if root is None:
        try:
            root = Path.home() / ".cache" / "ms-playwright"
        except RuntimeError:
            return None
    if not root.is_dir():
        return None
    for pattern in MANAGED_BROWSERS:
        for path in sorted(root.glob(pattern), reverse=True):
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
    return None


def require(settings, opts) -> str:
    """The browser this build would use, or BrowserNotFoundError (exit 2) before any kernel starts."""
    return find_chromium(opts.chromium, settings.chromium, settings.playwright_browsers)


class Browser:
    """One headless Chromium, shared by every exporter of a build. Use as a context manager.

    The browser runs under Playwright's async API on a thread of its own, so any thread may
    call :meth:`pdf` and several PDFs print at once (each on a page of its own, kept for later prints,
    with JavaScript disabled), while the caller's threads go on executing notebooks. Pages may
    only load ``file:`` URLs: any other request is blocked and reported, so a brief that would
    need the network fails loudly instead of printing a broken page. The Chromium that prints
    draws no frames (``PRINT_ARGS``); :meth:`pictures` starts a second one that does, the first
    time it is called.
    """

    def __init__(self, executable: str | None = None, pages: int = 2):
        self.executable = executable  # a path found by find_chromium
        # Pages open at once. Two: one loads while the other prints (the pages share one
        # renderer, which works on one at a time), and the combined PDF holds its pack's page
        # while its front pages print. Each page more costs Chromium about 0.2 core-seconds a
        # build and prints nothing sooner (bench/README.md).
        self.pages = pages
        self._loop = self._thread = self._browser = self._framed = self._pw = None

    def __enter__(self) -> "Browser":
        import threading

        path = self.executable or find_chromium()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="briefkit-browser", daemon=True)
        self._thread.start()
        try:
            self._call(self._launch(path))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        if self._loop is None:
            return
        try:
            self._call(self._close(), timeout=30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
            self._loop = self._thread = None

    def pdf(self, html_path: Path, pdf_path: Path) -> None:
        """Print ``html_path`` to ``pdf_path`` (A4; margins and marking from the page's CSS),
        tagged for screen readers and with an outline (bookmarks) from its headings.

        Safe to call from any thread; blocks until the PDF is written.
        """
        self._call(self._print(html_path, pdf_path), timeout=300)

    def document(self, html_path: Path) -> "Document":
        """``html_path`` loaded on a page held for the caller, who may set texts in it and
        print it as often as needed without loading it again (see :class:`Document`).

        Safe to call from any thread; blocks until the page has loaded.
        """
        return Document(self, self._call(self._hold(html_path), timeout=300))

    def pictures(self, html_path: Path, selector: str) -> list[bytes]:
        """PNG pictures (at twice the CSS resolution) of every element matching ``selector``."""
        return self._call(self._pictures(html_path, selector), timeout=300)

    # -- on the browser's own thread
    def _call(self, coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _launch(self, path: str) -> None:
        from playwright.async_api import async_playwright

        self._slots = asyncio.Semaphore(self.pages)
        self._idle: list = []  # pages free for the next print: (context, page, blocked)
        # (framed, device scale factor) -> the context all its pages share
        self._contexts: dict = {}
        self._making = asyncio.Lock()  # two first pages at once make one context, not two
        self._shown: dict = {}  # shared context -> documents loaded in it (see RENDERER_DOCUMENTS)
        self._retired: set = set()  # shared contexts closing as soon as their last page is done
        self._warming = None  # the task making the first page of a print context's successor
        self._path = path
        self._pw = await async_playwright().start()
        self._browser = await self._start(CHROMIUM_ARGS + PRINT_ARGS)
        # The first print's page, made now while the first notebooks run: it starts the shared
        # renderer process and warms it up (about a core-second), which the first prints would
        # otherwise wait for (measured: their CPU 2.05 -> 1.10 core-seconds, the same in all).
        self._idle.append(await self._new_page())

    async def _start(self, args: list[str]):
        try:
            return await self._pw.chromium.launch(executable_path=self._path, args=args)
        except Exception as exc:
            raise RenderError(
                f"Chromium at {self._path} would not start ({str(exc).splitlines()[0]}). "
                "Check it runs: chromium --headless --no-sandbox --dump-dom about:blank"
            ) from exc

    async def _close(self) -> None:
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
        self._idle = []
        self._contexts = {}
        self._retired = set()
        try:
            for browser in (self._framed, self._browser):
                if browser is not None:
                    await browser.close()
        finally:
            if self._pw is not None:
                await self._pw.stop()
            self._browser = self._framed = self._pw = None

    async def _new_page(self, scale: float = 1, alone: bool = False, framed: bool = False):
        """A page, JavaScript off, that may only load local files.

        Returns ``(context, page, blocked)``: ``blocked`` collects the URLs the page asked
        for and was refused; the caller empties it before each load.

        Pages of one scale share one browser context, and so one renderer process (see
        ``CHROMIUM_ARGS``): with no script running, a page keeps nothing of its document that
        could reach another page, the same reasoning that lets a page print one brief after
        another. A context of its own for each page cost about 1.3 core-seconds a page.
        ``alone``: a page in a context of its own (and so a renderer of its own), for a print
        tried again after the shared renderer crashed; the caller closes its context.
        ``framed``: a page of the browser that draws frames (see ``PRINT_ARGS``), for pictures.
        """
        blocked: list[str] = []

        async def guard(route):
            if route.request.url.startswith(("file:", "data:", "about:")):
                await route.continue_()
            else:
                blocked.append(route.request.url)
                await route.abort()

        # No script runs in the browser, whatever the page holds (the briefs also carry a
        # Content-Security-Policy that forbids scripts): data that slipped into the HTML as
        # markup could otherwise rewrite the page, marking included, before printing.
        async with self._making:
            if framed and self._framed is None:
                self._framed = await self._start(CHROMIUM_ARGS)
            browser = self._framed if framed else self._browser
            if alone:
                context = await browser.new_context(java_script_enabled=False, device_scale_factor=scale)
            else:
                context = self._contexts.get((framed, scale))
                if context is None:
                    context = self._contexts[framed, scale] = await browser.new_context(
                        java_script_enabled=False, device_scale_factor=scale)
        page = None
        try:
            page = await context.new_page()
            page.on("crash", self._crashed)
            await page.route("**/*", guard)
        except BaseException:
            if alone or page is not None:
                await (context if alone else page).close()
            raise
        return context, page, blocked

    def _crashed(self, page) -> None:
        # Every page of the crashed renderer reports it: none of them is printed on again.
        self._idle = [held for held in self._idle if held[1] is not page]

    async def _load(self, page, blocked: list, html_path: Path) -> None:
        blocked.clear()
        await page.goto(html_path.resolve().as_uri(), wait_until="load")
        # Playwright's own evaluation runs through the DevTools protocol, not as page
        # script, so it still works with the page's JavaScript off.
        await page.evaluate("document.fonts.ready.then(() => true)")
        if blocked:
            raise RenderError(
                f"{html_path} asks for network resources ({', '.join(blocked[:3])}); briefs must be "
                "self-contained. Embed the resource or remove it from the notebook's output."
            )
        self._count(page.context)

    def _count(self, context) -> None:
        """One more document shown in ``context``; retire a shared context that has shown
        ``RENDERER_DOCUMENTS`` (its renderer's memory only grows), and warm up its successor."""
        key = next((k for k, c in self._contexts.items() if c is context), None)
        if key is None:  # a context of its own (alone), or one already retired
            return
        self._shown[context] = self._shown.get(context, 0) + 1
        if self._shown[context] < RENDERER_DOCUMENTS:
            return
        del self._contexts[key]
        self._retired.add(context)
        kept = [held for held in self._idle if held[0] is not context]
        idle_pages, self._idle = [held[1] for held in self._idle if held[0] is context], kept
        for page in idle_pages:
            asyncio.ensure_future(self._close_page(page, quietly=True))
        framed, scale = key
        if not framed and (self._warming is None or self._warming.done()):
            self._warming = asyncio.ensure_future(self._warm(scale))

    async def _warm(self, scale: float) -> None:
        """A page in a new shared context, ready for the next print (it starts the renderer)."""
        try:
            self._idle.append(await self._new_page(scale))
        except Exception as exc:  # the next print makes its own page, and reports any failure
            log.debug("no page made ahead of the next print: %s", exc)

    async def _close_page(self, page, quietly: bool = False) -> None:
        """Close a page; the last page of a retired context closes the context (and its renderer).
        ``quietly``: in the background, where a failure (a renderer already gone) is only logged."""
        context = page.context
        try:
            await page.close()
            if context in self._retired and not context.pages:
                self._retired.discard(context)
                self._shown.pop(context, None)
                await context.close()
        except Exception as exc:
            if not quietly:
                raise
            log.debug("a page of a retired renderer did not close cleanly: %s", exc)

    async def _hold(self, html_path: Path):
        """A page (kept from an earlier print when one is free) showing ``html_path``; it holds
        one of the browser's slots until :meth:`_release`."""
        await self._slots.acquire()
        try:
            held = self._idle.pop() if self._idle else await self._new_page()
        except BaseException:
            self._slots.release()
            raise
        try:
            await self._load(held[1], held[2], html_path)
        except BaseException:
            await self._release(held, ok=False)
            raise
        return held

    async def _release(self, held, ok: bool) -> None:
        try:
            if ok and held[0] not in self._retired:
                self._idle.append(held)
            else:
                await self._close_page(held[1])
        finally:
            self._slots.release()

    async def _set_texts(self, page, texts: dict[str, str]) -> list[str]:
        # Through the DevTools protocol, like _load's: the page's own JavaScript stays off.
        # Text only (textContent): a value never becomes markup.
        return await page.evaluate(
            """texts => Object.entries(texts).filter(([id, text]) => {
                   const element = document.getElementById(id);
                   if (element) element.textContent = text;
                   return !element;
               }).map(([id]) => id)""", texts)

    @staticmethod
    async def _pdf(page, pdf_path: Path) -> None:
        # tagged: a structure tree for screen readers; outline: bookmarks from the headings.
        await page.pdf(path=str(pdf_path), prefer_css_page_size=True, print_background=True, format="A4",
                       tagged=True, outline=True)

    async def _print(self, html_path: Path, pdf_path: Path) -> None:
        """Print on a page kept from an earlier print when one is free.

        A new page costs Chromium more than printing a brief; with scripts off a page keeps
        nothing of the document it showed before that could reach the next, so pages are
        reused. A page that failed is closed, never reused. Pages share a renderer, so one
        page's crash ends the prints on the others: a print that fails because its page
        crashed is tried once more on a page of its own, where only a page that crashes the
        renderer by itself fails again.
        """
        try:
            held = await self._hold(html_path)
            try:
                await self._pdf(held[1], pdf_path)
            except BaseException:
                await self._release(held, ok=False)
                raise
            await self._release(held, ok=True)
        except Exception as exc:
            if not any(words in str(exc) for words in CRASHED):
                raise
            log.warning("Chromium's renderer crashed while %s was printed; printing it again on a page of its own",
                        html_path.name)
            async with self._fresh(html_path, alone=True) as page:
                await self._pdf(page, pdf_path)

    async def _pictures(self, html_path: Path, selector: str) -> list[bytes]:
        async with self._fresh(html_path, scale=2, framed=True) as page:
            return [await element.screenshot(type="png") for element in await page.query_selector_all(selector)]

    @contextlib.asynccontextmanager
    async def _fresh(self, html_path: Path, scale: float = 1, alone: bool = False, framed: bool = False):
        """A new page (in one of the browser's slots) showing ``html_path``, closed afterwards
        (with its context when ``alone``; see :meth:`_new_page`)."""
        async with self._slots:
            context, page, blocked = await self._new_page(scale, alone, framed)
            try:
                await self._load(page, blocked, html_path)
                yield page
            finally:
                if alone:
                    await context.close()
                else:
                    await self._close_page(page)


class Document:
    """A page loaded and held by :meth:`Browser.document`: set texts by element id, print,
    set and print again, then close (or use as a context manager). Until it is closed it
    takes one of the browser's pages."""

    def __init__(self, browser: Browser, held):
        self._browser, self._held = browser, held

    def set_texts(self, texts: dict[str, str]) -> None:
        """Set the text of each element named by id (as text, never markup); RenderError if
        the page has no element of one of the ids."""
        missing = self._browser._call(self._browser._set_texts(self._held[1], dict(texts)))
        if missing:
            raise RenderError(f"The page has no element with the id {', '.join(missing)}; nothing was printed.")

    def pdf(self, pdf_path: Path) -> None:
        """Print the page as it is now (as :meth:`Browser.pdf` does)."""
        self._browser._call(self._browser._pdf(self._held[1], pdf_path), timeout=300)

    def close(self, ok: bool = True) -> None:
        """Give the page back (closed instead of kept when ``ok`` is false)."""
        held, self._held = self._held, None
        if held is not None and self._browser._loop is not None:
            self._browser._call(self._browser._release(held, ok), timeout=30)

    def __enter__(self) -> "Document":
        return self

    def __exit__(self, exc_type, *rest) -> None:
        self.close(ok=exc_type is None)
