"""Execute one brief's notebook with papermill, in a fresh kernel talking over IPC."""

from __future__ import annotations

import threading
from pathlib import Path

from .catalogue import Brief
from .errors import BriefExecutionError

CELL_TIMEOUT = 300  # seconds any single cell may run
START_TIMEOUT = 60


ZYGOTE = None  # set by the build to a started briefkit.zygote.Zygote; None launches normally
_RUNNING: set = set()  # kernel managers whose kernels are alive, for kill_running()
_RUNNING_LOCK = threading.Lock()


def kill_running() -> int:
    """Kill every kernel this process started that is still running (Ctrl-C, SIGTERM).

    Returns how many were killed. Their briefs then fail at once (the kernel died), so a
    stopping build does not wait for cells to finish.
    """
    import os
    import signal

    with _RUNNING_LOCK:
        managers = list(_RUNNING)
    killed = 0
    for km in managers:
        process = getattr(getattr(km, "provisioner", None), "process", None)
        pid = getattr(process, "pid", None)
        if not pid:
            continue
        try:
            os.killpg(pid, signal.SIGKILL)  # kernels lead their own session (setsid)
        except OSError:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
        killed += 1
    return killed


def _kernel_manager_class(log_path: Path, env: dict | None = None, runtime_dir: str | None = None):
    """A kernel manager class for one brief: IPC sockets in ``runtime_dir``, the kernel's own
    output to ``log_path``, and ``env`` as the kernel's whole environment (None: inherit)."""
    import os
    import sys
    import tempfile
    import uuid

    from jupyter_client.manager import AsyncKernelManager

    runtime = runtime_dir or tempfile.gettempdir()

    class IPCKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel listens on Unix sockets, not TCP ports.

        The socket path is absolute: the kernel runs in the notebook's folder, the client here.
        The connection file lives beside the sockets, so nothing is written under $HOME
        (a service user's HOME may not be writable).
        """

        any_started = False  # set once this brief's kernel is up (see _started)

        def __init__(self, **kwargs):
            os.makedirs(runtime, mode=0o700, exist_ok=True)
            name = f"bk-{uuid.uuid4().hex[:12]}"
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(runtime, name))
            kwargs.setdefault("connection_file", os.path.join(runtime, f"{name}.json"))
            super().__init__(**kwargs)

        async def _async_start_kernel(self, **kw):
            # The kernel process's own stdout/stderr (start-up noise, crashes) go to a log
            # beside the executed notebook rather than onto the build's terminal.
            if env is not None:
                kw["env"] = dict(env)
            log = open(log_path, "wb")
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            with _RUNNING_LOCK:
                _RUNNING.add(self)
            try:
                result = await super()._async_start_kernel(**kw)
            finally:
                log.close()  # the child keeps its own descriptor
            IPCKernelManager.any_started = True
            return result

        start_kernel = _async_start_kernel

        async def _async_shutdown_kernel(self, *args, **kw):
            try:
                return await super()._async_shutdown_kernel(*args, **kw)
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.discard(self)

        shutdown_kernel = _async_shutdown_kernel

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            zygote = ZYGOTE
            forkable = kernel_cmd[1:3] == ["-m", "ipykernel_launcher"] and kernel_cmd[0] == sys.executable
            if zygote is None or not forkable or not zygote.ready():
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            from .zygote import ForkedProcess

            env = dict(kw.get("env") or os.environ)
            env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
            try:
                pid = zygote.spawn(kernel_cmd[3:], cwd=str(kw.get("cwd") or os.getcwd()), env=env, log=str(log_path))
            except (OSError, RuntimeError):
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            provisioner = self.provisioner
            provisioner.process = ForkedProcess(pid)
            provisioner.pid = provisioner.pgid = pid  # the fork calls setsid()
            provisioner.cwd = kw.get("cwd")
            self._reconcile_connection_info(provisioner.connection_info)

    return IPCKernelManager


def execute(brief: Brief, output: Path, cell_timeout: int = CELL_TIMEOUT, env: dict | None = None,
            runtime_dir: str | None = None, log_path: Path | None = None, shown_as: str | None = None):
    """Run ``brief``'s notebook with its parameters; write the executed copy to ``output``.

    Returns the executed notebook. A failing cell raises :class:`BriefExecutionError`; the
    executed notebook, with papermill's error banner, is left at ``output`` for the analyst
    (``shown_as`` is the path the error message names, when the build moves it there).
    ``env`` is the kernel's environment (the build adds ``BRIEFKIT_MARKING``: the brief's
    marking, which the kernel-side data API enforces as the ceiling).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    manager = _kernel_manager_class(log_path or output.with_suffix(".kernel.log"), env, runtime_dir)
    shown_as = shown_as or str(output)
    try:
        return papermill.execute_notebook(
            str(brief.notebook),
            str(output),
            parameters=dict(brief.parameters),
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            start_timeout=START_TIMEOUT,
            execution_timeout=cell_timeout,
            # Papermill's cwd= changes the process's directory, which is not safe with
            # concurrent briefs; nbclient starts the kernel in this folder instead.
            resources={"metadata": {"path": str(brief.notebook.parent)}},
            kernel_manager_class=manager,
            shutdown_kernel="immediate",  # the kernel is thrown away: no need to wait for a clean exit
        )
    except PapermillExecutionError as exc:
        raise BriefExecutionError(
            brief_id=brief.id,
            cell_index=exc.exec_count,
            ename=exc.ename,
            evalue=_first_line(exc.evalue),
            executed_notebook=shown_as,
        ) from exc
    except Exception as exc:  # kernel died, timed out, could not start
        raise BriefExecutionError(
            brief_id=brief.id,
            cell_index=None,
            ename=type(exc).__name__,
            evalue=_first_line(str(exc)),
            executed_notebook=shown_as,
            kernel_started=_started(manager),
        ) from exc


def _started(manager_class) -> bool:
    """Did any kernel of this class start? (papermill makes the instance; we only see the class.)"""
    return bool(getattr(manager_class, "any_started", False))


def _first_line(text: str) -> str:
    text = (text or "").strip()
    return text.splitlines()[0][:300] if text else ""
