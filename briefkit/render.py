"""Render an executed notebook: HTML with the pack's nbconvert template, PDF of the same HTML.

HTML: nbconvert's ``HTMLExporter`` with ``templates/briefing`` (which inherits the stock
``lab`` template), code and prompts excluded, parameter cells removed by tag, stderr dropped.
PDF: the written HTML file printed by headless Chromium through Playwright, A4, with the
protective marking and "Page X of Y" in the page margins (CSS ``@page`` margin boxes).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from .errors import BrowserNotFoundError, RenderError

TEMPLATES = Path(__file__).parent / "templates"
PROVENANCE_MIME = "application/vnd.briefkit.provenance+json"
REMOVE_TAGS = {"injected-parameters", "parameters", "remove-cell", "remove_cell"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def provenance(nb) -> dict[str, Any]:
    """The provenance record the notebook's ``bk.sources()`` call displayed (empty if none)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PROVENANCE_MIME in data:
                value = data[PROVENANCE_MIME]
                return json.loads(value) if isinstance(value, str) else dict(value)
    return {}


def _strip(nb):
    """Drop what must never reach a reader: parameter cells, stderr, empty cells."""
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_TAGS:
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
            if not cell.outputs:
                continue
        elif cell.cell_type == "raw":
            continue
        cells.append(cell)
    nb.cells = cells
    return nb


_local = threading.local()


def _exporter():
    """One configured HTMLExporter per thread (building its Jinja environment costs ~0.1 s)."""
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = _local.exporter = HTMLExporter(
            template_name="briefing",
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            anchor_link_text="",
        )
    return exporter


def html(nb, brief_context: dict[str, Any]) -> str:
    """The briefing HTML of executed notebook ``nb``; ``brief_context`` feeds the title and provenance blocks."""
    import copy

    nb = _strip(copy.deepcopy(nb))
    nb.metadata["title"] = f"{brief_context['title']} — {brief_context['marking']}"
    body, _ = _exporter().from_notebook_node(nb, resources={"brief": brief_context})
    return body


def find_chromium(setting: str | None = None) -> str | None:
    """Path of a Chromium to print with, or None for Playwright's own managed browser.

    Order: ``setting`` (e.g. ``--chromium``), ``$BRIEFKIT_CHROMIUM``, a Playwright-managed
    browser, then the system ``chromium`` / ``chromium-browser`` / ``google-chrome``.
    """
    tried = []
    for candidate in (setting, os.environ.get("BRIEFKIT_CHROMIUM")):
        if candidate:
            path = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
            if path:
                return path
            tried.append(candidate)
    managed = _playwright_managed()
    if managed:
        return managed
    tried.append("Playwright-managed chromium")
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
        tried.append(name)
    raise BrowserNotFoundError(tried)


def _playwright_managed() -> str | None:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    if not root.is_dir():
        return None
    for pattern in ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/chrome-linux*/headless_shell"):
        for path in sorted(root.glob(pattern), reverse=True):
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
    return None


class Printer:
    """One headless Chromium, shared by every PDF of a build. Use as a context manager.

    The browser runs under Playwright's async API on a thread of its own, so any thread may
    call :meth:`pdf` and several PDFs print at once (one page each, in a context of its own
    with JavaScript disabled), while the caller's threads go on executing notebooks. Pages may
    only load ``file:`` URLs: any other request is blocked and reported, so a brief that would
    need the network fails loudly instead of printing a broken page.
    """

    def __init__(self, executable: str | None = None, pages: int = 4):
        self.executable = executable
        self.pages = pages
        self._loop = self._thread = self._browser = self._pw = None

    def __enter__(self) -> "Printer":
        import asyncio
        import threading

        path = find_chromium(self.executable)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="briefkit-printer", daemon=True)
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
        """Print ``html_path`` to ``pdf_path`` (A4; margins and marking from the page's CSS).

        Safe to call from any thread; blocks until the PDF is written.
        """
        self._call(self._print(html_path, pdf_path), timeout=300)

    # -- on the printer's own thread
    def _call(self, coro, timeout: float = 120):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _launch(self, path: str) -> None:
        import asyncio

        from playwright.async_api import async_playwright

        self._slots = asyncio.Semaphore(self.pages)
        self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        except Exception as exc:
            raise RenderError(
                f"Chromium at {path} would not start ({str(exc).splitlines()[0]}). "
                "Check it runs: chromium --headless --no-sandbox --dump-dom about:blank"
            ) from exc

    async def _close(self) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            if self._pw is not None:
                await self._pw.stop()
            self._browser = self._pw = None

    async def _print(self, html_path: Path, pdf_path: Path) -> None:
        blocked: list[str] = []

        async def guard(route):
            if route.request.url.startswith(("file:", "data:", "about:")):
                await route.continue_()
            else:
                blocked.append(route.request.url)
                await route.abort()

        async with self._slots:
            # No script runs in the printing browser, whatever the page holds (the briefs also
            # carry a Content-Security-Policy that forbids scripts): data that slipped into the
            # HTML as markup could otherwise rewrite the page, marking included, before printing.
            context = await self._browser.new_context(java_script_enabled=False)
            page = await context.new_page()
            try:
                await page.route("**/*", guard)
                await page.goto(html_path.resolve().as_uri(), wait_until="load")
                # Playwright's own evaluation runs through the DevTools protocol, not as page
                # script, so it still works with the page's JavaScript off.
                await page.evaluate("document.fonts.ready.then(() => true)")
                if blocked:
                    raise RenderError(
                        f"{html_path} asks for network resources ({', '.join(blocked[:3])}); briefs must be "
                        "self-contained. Embed the resource or remove it from the notebook's output."
                    )
                await page.pdf(path=str(pdf_path), prefer_css_page_size=True, print_background=True, format="A4")
            finally:
                await context.close()
