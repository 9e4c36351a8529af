"""``python build.py preview ID``: see a brief while you write it.

    with Preview(Path("pack.yml"), "outlook", port=0, report=print) as preview:
        preview.url                # http://127.0.0.1:PORT/  (localhost only)
        preview.serve_forever()    # build, then rebuild on every change; Ctrl-C stops

The brief's HTML is built (``.cache/preview/``, never ``briefs/``) and served by the standard
library's :class:`~http.server.ThreadingHTTPServer`, bound to 127.0.0.1. ``watchfiles`` watches
the brief's notebook, the data tables it reads, pack.yml, the content code, the template and
the styles; a change rebuilds it (the planner decides what changed), and the open page reloads.

The brief itself is served unchanged: its Content-Security-Policy forbids scripts, and nothing
is injected into it. The page at ``/`` is a small wrapper with its own CSP that shows the brief
in an iframe (sandboxed, scripts off) and listens to ``/events`` (server-sent events): on
``reload`` it reloads the iframe keeping the scroll position; on ``failed`` it shows the error
(cell, exception, the executed notebook's path) above the last good version.

Endpoints: ``/`` the wrapper, ``/brief.html`` the brief, ``/events`` the event stream,
``/status`` JSON ``{"version", "state", "error", "reason"}`` (for scripts and tests).
"""

from __future__ import annotations

import html
import http.server
import json
import secrets
import threading
import time
from pathlib import Path
from typing import Callable

from .errors import BriefkitError

HOST = "127.0.0.1"
PREVIEW_DIR = ".cache/preview"  # inside the pack: the preview's own output folder
KEEPALIVE = 15.0  # seconds between comments on an idle event stream


class State:
    """What the server shows: the build's version (bumped by each successful rebuild), its
    state (``building``, ``ready``, ``failed``) and the last error. Threads wait on it."""

    def __init__(self):
        self.version = 0
        self.state = "building"
        self.error = ""
        self.reason = ""
        self.html: Path | None = None
        self.changed = threading.Condition()
        self.closed = False

    def update(self, **values) -> None:
        with self.changed:
            for key, value in values.items():
                setattr(self, key, value)
            self.changed.notify_all()

    def snapshot(self) -> dict:
        with self.changed:
            return {"version": self.version, "state": self.state, "error": self.error, "reason": self.reason}


class Preview:
    """Build one brief's HTML, serve it on localhost, rebuild it when an input changes."""

    def __init__(self, catalogue: Path, brief_id: str, port: int = 0,
                 report: Callable[..., None] | None = None, debounce_ms: int = 200):
        self.catalogue = Path(catalogue).resolve()
        self.brief_id = brief_id
        self.report = report or (lambda event, **info: None)
        self.debounce_ms = debounce_ms
        self.state = State()
        self.stop = threading.Event()
        self.root = self.catalogue.parent
        self.out = self.root / PREVIEW_DIR
        self._port = port
        self.server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.zygote = None  # an engine.zygote.KeptZygote: each rebuild forks its kernel from it

    # -- the server
    def __enter__(self) -> "Preview":
        handler = type("Handler", (_Handler,), {"preview": self})
        try:
            self.server = http.server.ThreadingHTTPServer((HOST, self._port), handler)
        except OSError as exc:
            raise BriefkitError(f"Cannot serve the preview on {HOST}:{self._port} ({exc.strerror or exc}). "
                                "Pass another --port, or leave it out for a free one.") from exc
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="preview-http", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> bool:
        self.stop.set()
        self.state.update(closed=True)
        if self.zygote is not None:
            self.zygote.close()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        return False

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}/"

    # -- the loop
    def serve_forever(self) -> None:
        """Build once, then rebuild on every change until Ctrl-C (or :attr:`stop` is set)."""
        from watchfiles import watch

        self.report("serving", url=self.url, watched=[self._shown(p) for p in sorted(self.watched_files())])
        seen = self._signature(self.watch_list()[1])  # the inputs as this build reads them
        self.rebuild("first build")
        while not self.stop.is_set():
            dirs, wanted = self.watch_list()
            # The watcher runs only between builds: what was saved during the last build (or
            # before the watcher is up again) shows as a difference from what it read.
            missed = self._changed(seen)
            if missed:
                seen = self._signature(wanted)
                self.report("changed", changed=missed)
                self.rebuild(", ".join(missed) + " changed")
                continue
            for changes in watch(*dirs, watch_filter=lambda _c, path: self._wanted(path, wanted),
                                 recursive=False, debounce=self.debounce_ms, step=50,
                                 stop_event=self.stop, raise_interrupt=True, rust_timeout=1000,
                                 yield_on_timeout=True):
                # Each second without an event, compare too: a save in the moment before the
                # watcher started has no event.
                changed = (sorted({self._shown(Path(p)) for _, p in changes}) if changes
                           else self._changed(seen))
                if not changed:
                    continue
                seen = self._signature(wanted)
                self.report("changed", changed=changed)
                self.rebuild(", ".join(changed) + " changed")
                break  # the brief's inputs may have changed (its notebook, pack.yml): watch afresh

    @staticmethod
    def _signature(wanted) -> dict[Path, tuple[int, int] | None]:
        """Each watched file's modification time and size (None if it is missing)."""
        files, folders = wanted
        paths = set(files)
        for folder in folders:
            paths.update(p for p in folder.rglob("*") if not _ignored(p) and p.is_file())
        return {path: _stat(path) for path in paths}

    def _changed(self, seen: dict) -> list[str]:
        """The files, of those the last build read, that differ now from ``seen``."""
        return sorted({self._shown(p) for p, sig in seen.items() if _stat(p) != sig})

    def rebuild(self, why: str) -> None:
        """One build of the brief's HTML; the result goes to the page and to ``report``."""
        from . import catalogue
        from .engine import Options, build
        from .engine.zygote import KeptZygote

        self.state.update(state="building", reason=why)
        started = time.perf_counter()
        try:
            pack = catalogue.load(self.catalogue)
            pack.brief(self.brief_id)
            self.zygote = self.zygote or KeptZygote()
            report = build(pack, Options(only=[self.brief_id], formats=("html",), jobs=1, output=self.out),
                           kept_zygote=self.zygote)
        except BriefkitError as exc:
            if exc.exit_code >= 128:  # Ctrl-C or SIGTERM during the build
                raise
            self._failed(str(exc))
            return
        result = next((r for r in report.results if r.brief.id == self.brief_id), None)
        if result is None or result.status == "failed":
            self._failed(result.error if result else f"Brief {self.brief_id!r} was not built.")
            return
        html_file = self.out / (result.outputs.get("html") or f"{self.brief_id}.html")
        bump = result.status == "built" or self.state.version == 0 or self.state.state == "failed"
        self.state.update(state="ready", error="", html=html_file,
                          version=self.state.version + (1 if bump else 0))
        self.report("built", seconds=time.perf_counter() - started, status=result.status)

    def _failed(self, message: str) -> None:
        self.state.update(state="failed", error=message)
        self.report("failed", error=message)

    # -- what is watched
    def watched_files(self) -> set[Path]:
        """The brief's inputs as files: notebook, the data it reads, pack.yml (and the code,
        template and styles, watched as folders)."""
        from . import catalogue
        from .engine.plan import data_files, tables_read

        files = {self.catalogue}
        try:
            pack = catalogue.load(self.catalogue)
            brief = pack.brief(self.brief_id)
        except BriefkitError:
            return files  # a broken pack.yml: watch it until it is fixed
        files.add(brief.notebook)
        if pack.data.exists():
            tables = tables_read(brief)
            for path in data_files(pack.root, tables, pack.data):
                if path.is_dir():  # it reads every table
                    files.update([pack.data, *path.glob("*.csv")])
                else:
                    files.add(path)
        return files

    def watched_folders(self) -> list[Path]:
        """Folders whose every file is an input: the content code, the template, the styles."""
        from . import catalogue
        from .engine.plan import ENGINE_DIR

        folders = [ENGINE_DIR / "templates", ENGINE_DIR / "styles"]
        try:
            folders += [p for p in catalogue.load(self.catalogue).code if p.is_dir()]
        except BriefkitError:
            pass
        return folders

    def watch_list(self) -> tuple[list[Path], tuple[set[Path], list[Path]]]:
        files, folders = self.watched_files(), self.watched_folders()
        dirs = {p.parent for p in files}
        for folder in folders:
            dirs.add(folder)
            dirs.update(d for d in folder.rglob("*") if d.is_dir() and not _ignored(d))
        return sorted(d for d in dirs if d.is_dir()), ({p.resolve() for p in files}, folders)

    @staticmethod
    def _wanted(path: str, wanted) -> bool:
        files, folders = wanted
        p = Path(path).resolve()
        if p in files:
            return True
        return any(p.is_relative_to(f) for f in folders) and not _ignored(p)

    def _shown(self, path: Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _ignored(path: Path) -> bool:
    return any(part in ("__pycache__", ".ipynb_checkpoints") or part.startswith(".") for part in path.parts[-3:]) \
        or path.suffix in (".pyc", ".swp", ".tmp") or path.name.endswith("~")


# ------------------------------------------------------------------------------ HTTP


class _Handler(http.server.BaseHTTPRequestHandler):
    preview: Preview  # set on the subclass made for each server
    server_version = "briefkit-preview"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # the terminal shows builds, not requests
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._wrapper()
        elif path == "/brief.html":
            self._brief()
        elif path == "/events":
            self._events()
        elif path == "/status":
            self._send(200, "application/json", json.dumps(self.preview.state.snapshot()).encode())
        else:
            self._send(404, "text/plain; charset=utf-8", b"Not found. The preview is at /\n")

    def _send(self, code: int, kind: str, body: bytes, headers: dict | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _brief(self) -> None:
        page = self.preview.state.html
        if page is None or not page.is_file():
            body = b"<!doctype html><meta charset=utf-8><p>The brief has not been built yet.</p>"
            self._send(503, "text/html; charset=utf-8", body, {"Content-Security-Policy": "default-src 'none'"})
            return
        # The brief's own CSP (in its <meta>) stays; the header says the same again.
        self._send(200, "text/html; charset=utf-8", page.read_bytes(), {
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"})

    def _wrapper(self) -> None:
        nonce = secrets.token_urlsafe(16)
        snap = self.preview.state.snapshot()
        body = WRAPPER.format(
            nonce=nonce, title=html.escape(self.preview.brief_id), version=snap["version"],
            error_hidden="" if snap["state"] == "failed" else "hidden",
            error=html.escape(snap["error"]), state=html.escape(snap["state"]),
        ).encode()
        csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
               "frame-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        self._send(200, "text/html; charset=utf-8", body, {"Content-Security-Policy": csp})

    def _events(self) -> None:
        """Server-sent events: ``state`` with the snapshot whenever it changes."""
        state = self.preview.state
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        last = None
        try:
            while not state.closed:
                snap = state.snapshot()
                if snap != last:
                    self.wfile.write(f"event: state\ndata: {json.dumps(snap)}\n\n".encode())
                    last = snap
                else:
                    self.wfile.write(b": idle\n\n")
                self.wfile.flush()
                with state.changed:
                    state.changed.wait(KEEPALIVE)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded


WRAPPER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Preview: {title}</title>
<style nonce="{nonce}">
html, body {{ margin: 0; height: 100%; font: 14px system-ui, sans-serif; }}
body {{ display: flex; flex-direction: column; }}
#bar {{ padding: 4px 10px; background: #1f3b57; color: #fff; display: flex; gap: 1em; }}
#bar .state {{ opacity: .8; }}
#error {{ padding: 10px 14px; background: #fdecea; color: #611a15; border-bottom: 2px solid #b71c1c;
          white-space: pre-wrap; font-family: ui-monospace, monospace; }}
#error[hidden] {{ display: none; }}
iframe {{ flex: 1; border: 0; width: 100%; background: #fff; }}
</style></head>
<body>
<div id="bar"><strong>Preview: {title}</strong><span class="state" id="state">{state}</span>
<span class="state">rebuilds and reloads when you save</span></div>
<div id="error" role="alert" {error_hidden}>{error}</div>
<iframe id="brief" title="The brief" src="/brief.html?v={version}"
        sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"></iframe>
<script nonce="{nonce}">
(function () {{
  var frame = document.getElementById("brief"), error = document.getElementById("error"),
      state = document.getElementById("state"), version = {version};
  function reload(v) {{
    var y = 0;
    try {{ y = frame.contentWindow.scrollY; }} catch (e) {{}}
    frame.onload = function () {{ try {{ frame.contentWindow.scrollTo(0, y); }} catch (e) {{}} }};
    frame.src = "/brief.html?v=" + v;
  }}
  var events = new EventSource("/events");
  events.addEventListener("state", function (m) {{
    var s = JSON.parse(m.data);
    state.textContent = s.state + (s.state === "building" && s.reason ? " (" + s.reason + ")" : "");
    if (s.state === "failed") {{ error.textContent = s.error; error.hidden = false; }}
    if (s.state === "ready") {{ error.hidden = true; }}
    if (s.version !== version) {{ version = s.version; reload(version); }}
  }});
}})();
</script>
</body></html>
"""
