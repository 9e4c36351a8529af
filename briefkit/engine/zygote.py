"""Fast kernel start-up by forking: a "zygote" process imports the heavy libraries once, then
forks a fresh kernel process for each brief.

Every brief still gets its own new process (its own memory, namespace, working directory and
environment; nothing of one brief can reach another): only library code that was imported
before any brief ran is shared, copy-on-write. What a kernel costs to start falls from about a
second of CPU (interpreter, ipykernel, pandas, Matplotlib imports) to a few milliseconds.

The zygote is started by the build, listens on a Unix socket in a private folder, and is
stopped when the build ends. Set ``BRIEFKIT_FORK=0`` to launch kernels the ordinary way.

Protocol: one JSON request per connection ``{"argv": [...], "cwd": ..., "env": {...},
"log": path}``; the reply is ``{"pid": N}`` or ``{"error": "..."}``.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from .. import files

PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "IPython",
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.backends.backend_svg",
    "briefkit",
    "briefkit.nb.tables",
    "briefkit.nb.prose",
    "briefkit.nb.charts",
    "briefkit.nb.sources",
    "briefkit.nb.judgements",
    "briefkit.nb.lab",
    "mistune",  # bk.md's Markdown: 20 modules, about 0.03 core-seconds a kernel when imported there
    # What every kernel imports while it starts (measured: sys.modules in a forked kernel
    # against the zygote's): the debugger (debugpy, pydevd), history (sqlite3), pdb, pydoc,
    # tornado's queues and locks.
    "ipykernel.debugger",
    "ipykernel.zmqshell",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "IPython.utils.wildcard",
    "sqlite3",
    "pdb",
    "pydoc",
    "code",
    "http.server",
    "xmlrpc.server",
    "faulthandler",
    "tornado.gen",
    "tornado.locks",
    "tornado.queues",
    "tornado.platform.asyncio",
    "encodings.idna",
    "encodings.ascii",
    "encodings.latin_1",
)
INLINE = "module://matplotlib_inline.backend_inline"
# Not preloaded: matplotlib_inline and pyplot, which hook into the running IPython shell when
# first imported and so must first be imported inside the kernel.
KERNEL_ARGUMENTS = (
    # Build kernels are thrown away after one brief: no history database shared by concurrent
    # kernels (and growing under .cache/ with every build). Outputs do not depend on it.
    "--HistoryManager.enabled=False",
)


# ---------------------------------------------------------------- the zygote process
def serve(sock_path: str, extra: tuple[str, ...] = (), warm_data: bool = True) -> None:
    """Run the zygote: preload, then fork one kernel per request until told to stop (or orphaned).

    ``extra`` names more modules to preload: the pack's content code (``pack.yml``'s ``code:``).
    ``warm_data``: once the first kernels are forked, parse the data tables for the kernels
    still to come (off for a build of one brief: there are none).
    """
    os.environ.setdefault("MPLBACKEND", INLINE)  # as ipykernel would set it, before matplotlib loads
    for name in (*PRELOAD, *extra):
        try:
            __import__(name)
        except Exception:  # a missing optional module only costs speed
            pass
    _warm_up()
    _freeze()

    def reap(signum, frame):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    signal.signal(signal.SIGCHLD, reap)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(8)
    server.settimeout(1.0)
    parent = os.getppid()
    warmed = not warm_data
    print("ready", flush=True)  # the parent waits for this line
    while True:
        try:
            conn, _ = server.accept()
        except socket.timeout:
            if os.getppid() != parent:  # the build died: do not outlive it
                return
            continue
        conn.settimeout(None)
        with conn:
            request = json.loads(_read_line(conn))
            if request.get("stop"):
                return
            try:
                pid = _fork_kernel(request, server, conn)
                conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            except Exception as exc:  # reported to the parent, which falls back to a normal launch
                conn.sendall(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode() + b"\n")
        # The first kernel is asked for once the build has checked the data: from then on the
        # tables may be parsed here for the kernels still to come. Not before the kernels
        # asked for at the start are forked (they parse what they read themselves, side by
        # side): parsing first kept each of them waiting about 0.25 s.
        if not warmed and not _waiting(server):
            warmed = _warm_data()
            _freeze()


def _freeze() -> None:
    """Move everything loaded so far out of the garbage collector's sight (``gc.freeze``).

    A kernel's collections would otherwise walk every preloaded object and write to each
    one's header, copying into the kernel every page of memory it shares with the zygote:
    measured, about a tenth of a core-second a kernel, mostly in the operating system. The
    frozen objects stay alive, as they would anyway, until the zygote exits."""
    gc.collect()
    gc.freeze()


def _warm_up() -> None:
    """Draw one small house-style chart to SVG, so that what Matplotlib loads on first use (the
    font list, the fonts themselves, the style file, text layout) is loaded before the fork,
    and render a line of Markdown (mistune's parser and its patterns).
    The zygote's rcParams are restored afterwards: each kernel starts from the defaults."""
    try:
        import matplotlib as mpl
        import pandas as pd

        from briefkit.nb import charts, prose

        prose.md_html("Warm-up: **bold**, _emphasis_, ~~struck~~ and a [link](#warm-up).\n\n- one\n- two")

        with mpl.rc_context():
            data = pd.DataFrame({"year": [2000, 2001, 2002], "value": [1.0, 2.5, 2.0], "series": ["A", "A", "B"]})
            fig = charts.line_chart(data, x="year", y="value", series="series", title="Warm-up, 2000-2002",
                                    xlabel="Year", ylabel="Value")
            charts.render_svg(fig)
    except Exception:  # only costs speed
        pass


def _warm_data() -> bool:
    """Parse every table of the pack's validated data package once (typed DataFrames, shared
    copy-on-write by every kernel). A kernel's ``bk.table`` still reads and hashes the files
    and uses these only if the package is byte for byte the one parsed here; nothing is
    recorded for any brief's Sources section."""
    try:
        from briefkit import markings
        from briefkit.data.store import load
        from briefkit.nb import tables
        from briefkit.nb.sources import USED

        for name in load().names:
            tables.table(name, marking=markings.ORDER[-1])
        USED.clear()
    except Exception:  # no pack, no data, invalid data: the kernels find out for themselves
        pass
    return True


def _waiting(server: socket.socket, grace: float = 0.05) -> bool:
    """Whether another kernel is asked for within ``grace`` seconds (the build asks for its
    first kernels from several threads at once, a few milliseconds apart)."""
    return bool(select.select([server], [], [], grace)[0])


def _read_line(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode()


def _fork_kernel(request: dict, server: socket.socket, conn: socket.socket) -> int:
    pid = os.fork()
    if pid:
        return pid
    # ---- child: becomes the kernel; never returns into the zygote's loop
    code = 1
    try:
        server.close()
        conn.close()
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        os.setsid()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.setdefault("MPLBACKEND", INLINE)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        argv = [*request["argv"], *KERNEL_ARGUMENTS]
        build_pid = int(request["env"].get("JPY_PARENT_PID") or 0)
        if build_pid:
            # ipykernel read JPY_PARENT_PID when the zygote imported it, before this
            # kernel's environment existed: pass it on explicitly, and watch the build
            # ourselves (the kernel's real parent is the zygote, not the build).
            argv.append(f"--IPKernelApp.parent_handle={build_pid}")
            _watch_build(build_pid)
        sys.argv = ["ipykernel_launcher", *argv]
        sys.path[0] = ""  # as `python -m ipykernel_launcher` would have it
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _watch_build(pid: int) -> None:
    """End this kernel if the build that asked for it is gone (killed, crashed)."""

    def watch():
        while True:
            time.sleep(1.0)
            if not files.running(pid):
                os._exit(1)

    threading.Thread(target=watch, name="briefkit-build-watch", daemon=True).start()


# ---------------------------------------------------------------- the build's side
def content_modules(pack) -> tuple[str, ...]:
    """The importable modules of the pack's content code (``pack.yml``'s ``code:`` folders and
    files at the pack's root, which is on the kernels' import path), for the zygote to preload."""
    names = []
    for path in pack.code:
        if path.parent != pack.root:
            continue
        if path.is_dir() and (path / "__init__.py").is_file():
            names.append(path.name)
        elif path.suffix == ".py" and path.is_file():
            names.append(path.stem)
    return tuple(names)


ONE_KERNEL = "--one-kernel"  # the zygote's option: the build asks for one kernel only


class Zygote:
    """Start and stop a zygote; ``spawn`` asks it for a kernel process.

    ``kernels``: how many kernels the build will ask for, if known; with one, the zygote does
    not parse the data tables in advance for kernels still to come."""

    def __init__(self, env: dict | None = None, preload: tuple[str, ...] = (), kernels: int | None = None) -> None:
        self.preload = tuple(preload)  # more modules to import before forking (the pack's code)
        self.kernels = kernels
        if env is None:
            from .. import config

            env = config.settings().environ
        self.env = dict(env)
        self.folder = files.runtime_folder("zygote")
        self.sock = str(self.folder / "z.sock")
        self.proc: subprocess.Popen | None = None
        self._ready = threading.Event()
        self._ok = False

    def start(self) -> "Zygote":
        env = {**self.env, "OPENBLAS_NUM_THREADS": self.env.get("OPENBLAS_NUM_THREADS", "1")}
        self.proc = subprocess.Popen(
            [sys.executable, "-Xfrozen_modules=off", "-m", "briefkit.engine.zygote", self.sock, *self.preload,
             *([ONE_KERNEL] if self.kernels == 1 else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        threading.Thread(target=self._watch, name="zygote-ready", daemon=True).start()
        return self

    def ready(self, timeout: float = 60) -> bool:
        """Wait for the preload to finish; False if the zygote died or is too slow."""
        return self._ready.wait(timeout) and self._ok

    def _watch(self) -> None:
        line = self.proc.stdout.readline() if self.proc else ""
        self._ok = line.strip() == "ready"
        self._ready.set()

    def spawn(self, argv: list[str], cwd: str, env: dict, log: str) -> int:
        """Fork a kernel running ``ipykernel_launcher ARGV``; returns its process id."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(30)
            conn.connect(self.sock)
            conn.sendall(json.dumps({"argv": argv, "cwd": cwd, "env": env, "log": log}).encode() + b"\n")
            reply = json.loads(_read_line(conn) or "{}")
        if "pid" not in reply:
            raise RuntimeError(reply.get("error", "the zygote did not answer"))
        return int(reply["pid"])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                    conn.settimeout(5)
                    conn.connect(self.sock)
                    conn.sendall(b'{"stop": true}\n')
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        files.remove_runtime(self.folder)


class KeptZygote:
    """One zygote kept from build to build in a long-lived process (``build.py preview``), so
    that a rebuild forks its kernel at once instead of preloading again.

    :meth:`get` starts it on first use, and again whenever the code it preloaded may have
    changed: briefkit itself or the pack's content code (``key``, a hash of their files), or
    the modules it preloads; also if it has died. Kernels are forked with each build's own
    environment, and data parsed in advance is used only if the files are byte for byte the
    same (see :func:`_warm_data`), so neither can go stale. Libraries installed while it
    runs are not seen until it is started again (restart the preview). :meth:`close` stops it.
    """

    def __init__(self) -> None:
        self._zygote: Zygote | None = None
        self._key: tuple | None = None

    def get(self, env: dict, preload: tuple[str, ...], key: str, kernels: int | None = None) -> Zygote:
        wanted = (key, tuple(preload))
        current = self._zygote
        if current is None or self._key != wanted or current.proc is None or current.proc.poll() is not None:
            self.close()
            self._zygote, self._key = Zygote(env, preload=preload, kernels=kernels).start(), wanted
        return self._zygote

    def close(self) -> None:
        zygote, self._zygote, self._key = self._zygote, None, None
        if zygote is not None:
            zygote.stop()


class ForkedProcess:
    """A ``subprocess.Popen`` look-alike for a kernel forked by the zygote (not our child)."""

    stdin = stdout = stderr = None  # the kernel's streams go to its log file, not to us

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not files.running(self.pid):
            self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


if __name__ == "__main__":
    serve(sys.argv[1], tuple(a for a in sys.argv[2:] if a != ONE_KERNEL), warm_data=ONE_KERNEL not in sys.argv[2:])
    # Told to stop (or orphaned): leave at once. Tearing down the preloaded interpreter (pandas,
    # Matplotlib, IPython) took 0.3-0.4 s that every build waited for; nothing is left to write.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
