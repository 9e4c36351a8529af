"""What the briefs of one build share, set up and torn down in one place (one ExitStack).

    with Session(pack, opts, out, settings) as session:   # signals, kernel environment
        session.start_zygote(count)                         # preloads while checks run
        session.lock()                                      # output folder locked, staging swept
        session.start_exporters(formats)                    # e.g. the browser, in the background
        ... session.kernels, session.browser(), session.withheld(marking) ...
    # everything closed in reverse order, on every path: Ctrl-C, SIGTERM, errors

While a session is open, SIGTERM raises :class:`~briefkit.errors.BuildInterrupted` like
Ctrl-C does, so both stop the build the same way.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from .. import files
from ..catalogue import Pack
from ..config import Settings
from ..errors import BuildInterrupted
from .execute import Kernels
from .plan import ENGINE_DIR, Options

log = logging.getLogger("briefkit")


class Session:
    def __init__(self, pack: Pack, opts: Options, out: Path, settings: Settings, kept_zygote=None):
        self.pack, self.opts, self.out, self.settings = pack, opts, out, settings
        self.kept_zygote = kept_zygote  # a zygote.KeptZygote to fork from, kept after the build (preview)
        self.staging: Path | None = None
        self.kernels = Kernels()
        self.exporters: dict[str, Any] = {}
        self._stack = ExitStack()
        self._browser: Future | None = None
        self._withheld: dict[str, list] = {}
        self._lock = threading.Lock()

    # -- set-up
    def __enter__(self) -> "Session":
        stack = self._stack.__enter__()
        try:
            stack.enter_context(_signals_raise())
            runtime = str(files.runtime_folder("run"))  # the kernels' sockets
            stack.callback(files.remove_runtime, runtime)
            self.kernels.runtime = runtime
            self.kernels.env = kernel_environment(self.pack, self.settings, runtime)
        except BaseException:
            self._stack.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info) -> bool | None:
        return self._stack.__exit__(*exc_info)

    def start_zygote(self, count: int) -> None:
        """Start the kernel zygote (see engine.zygote) for ``count`` kernels, unless disabled.

        Also for one: the zygote preloads while the build checks the data, where an ordinary
        kernel would start only after the check and then import the same libraries. A
        one-table rebuild of one brief, 6 alternating pairs: 3.72 -> 3.24 s (medians)."""
        if not self.settings.fork or count < 1 or not hasattr(os, "fork"):
            return
        from .zygote import Zygote, content_modules

        if self.kept_zygote is not None:  # kept by the caller from build to build (preview)
            from .plan import ENGINE_DIR, file_digest

            code = file_digest([ENGINE_DIR, *self.pack.code], self.pack.root)
            self.kernels.zygote = self.kept_zygote.get(self.kernels.env, content_modules(self.pack), code,
                                                       kernels=count)
            return
        self.kernels.zygote = Zygote(self.kernels.env, preload=content_modules(self.pack),
                                     kernels=count).start()
        self._stack.callback(self._stop_zygote)

    def _stop_zygote(self) -> None:
        zygote, self.kernels.zygote = self.kernels.zygote, None
        if zygote is not None:
            zygote.stop()

    def lock(self) -> None:
        """Lock the output folder and sweep its staging folder (what a killed build left)."""
        self._stack.enter_context(files.BuildLock(self.out, wait=self.opts.wait))
        self.staging = files.sweep(self.out)
        self._stack.callback(shutil.rmtree, self.staging, True)

    def start_exporters(self, formats) -> None:
        """Create this build's exporters and let each start its shared resources."""
        from .. import exporters

        for name in ["html", *[f for f in exporters.names() if f in formats and f != "html"]]:
            if name not in self.exporters:
                self.exporters[name] = exporters.create(name)
                self.exporters[name].start(self)

    # -- shared resources
    def browser(self, wait: bool = True):
        """The build's one headless Chromium, started in the background on first use."""
        with self._lock:
            if self._browser is None:
                from ..exporters.browser import Browser, find_chromium

                path = find_chromium(self.opts.chromium, self.settings.chromium, self.settings.playwright_browsers)
                starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="browser-start")
                self._browser = starter.submit(Browser(path).__enter__)
                starter.shutdown(wait=False)
                self._stack.callback(_stop_browser, self._browser)
        return self._browser.result() if wait else None

    def withheld(self, marking: str) -> list:
        """Distinctive values of the rows above ``marking`` (computed once per marking)."""
        with self._lock:
            if marking not in self._withheld:
                if self.pack.data.exists():
                    from ..data.withheld import withheld_values

                    self._withheld[marking] = withheld_values(self.pack.root, marking)
                else:
                    self._withheld[marking] = []
            return self._withheld[marking]


def kernel_environment(pack: Pack, settings: Settings, runtime: str) -> dict[str, str]:
    """The environment every kernel of this build starts with (the build's own is not changed).

    Where the pack is; an import path that finds briefkit and the pack's code even when they
    are not installed; and Jupyter's, IPython's and Matplotlib's folders under the pack's
    ``.cache/`` (the runtime folder, which holds sockets, in a short private folder), so a
    service user whose HOME is not writable can build, and no user's settings change a brief.
    """
    env = dict(settings.environ)
    cache_dir = pack.root / ".cache"
    folders = {"JUPYTER_DATA_DIR": "jupyter/data", "JUPYTER_CONFIG_DIR": "jupyter/config",
               "IPYTHONDIR": "ipython", "MPLCONFIGDIR": "matplotlib"}
    for name, sub in folders.items():
        folder = cache_dir / sub
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            folder = Path(runtime) / sub  # a read-only checkout: private, per build
            folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["JUPYTER_RUNTIME_DIR"] = runtime
    env["BRIEFKIT_PACK"] = str(pack.root)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    paths = [str(ENGINE_DIR.parent), str(pack.root)]
    existing = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths]
    env["PYTHONPATH"] = os.pathsep.join(paths + existing)
    env.pop("BRIEFKIT_MARKING", None)  # set per brief
    return env


def _stop_browser(future: Future) -> None:
    try:
        browser = future.result(timeout=60)
    except Exception:
        return
    try:
        browser.__exit__(None, None, None)
    except Exception as exc:  # the browser may already be gone (Ctrl-C reaches it too)
        log.debug("browser did not close cleanly: %s", exc)


class _signals_raise:
    """While building, SIGTERM raises :class:`BuildInterrupted` like Ctrl-C does (main thread)."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            def handler(signum, frame):
                raise BuildInterrupted(signum)

            self.previous = signal.signal(signal.SIGTERM, handler)
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        if exc_type is KeyboardInterrupt:
            raise BuildInterrupted(signal.SIGINT) from None
        return False
