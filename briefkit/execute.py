"""Execute one brief's notebook with papermill, in a fresh kernel talking over IPC."""

from __future__ import annotations

from pathlib import Path

from .catalogue import Brief
from .errors import BriefExecutionError

CELL_TIMEOUT = 300  # seconds any single cell may run
START_TIMEOUT = 60


ZYGOTE = None  # set by the build to a started briefkit.zygote.Zygote; None launches normally


def _kernel_manager_class(log_path: Path):
    import os
    import sys
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir

    class IPCKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel listens on Unix sockets, not TCP ports.

        The socket path is absolute: the kernel runs in the notebook's folder, the client here.
        """

        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            runtime = jupyter_runtime_dir()
            os.makedirs(runtime, exist_ok=True)
            kwargs.setdefault("ip", os.path.join(runtime, f"bk-{uuid.uuid4().hex[:12]}"))
            super().__init__(**kwargs)

        async def _async_start_kernel(self, **kw):
            # The kernel process's own stdout/stderr (start-up noise, crashes) go to a log
            # beside the executed notebook rather than onto the build's terminal.
            log = open(log_path, "wb")
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            try:
                return await super()._async_start_kernel(**kw)
            finally:
                log.close()  # the child keeps its own descriptor

        start_kernel = _async_start_kernel

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


def execute(brief: Brief, output: Path, cell_timeout: int = CELL_TIMEOUT):
    """Run ``brief``'s notebook with its parameters; write the executed copy to ``output``.

    Returns the executed notebook. A failing cell raises :class:`BriefExecutionError`; the
    executed notebook, with papermill's error banner, is left at ``output`` for the analyst.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
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
            kernel_manager_class=_kernel_manager_class(output.with_suffix(".kernel.log")),
            shutdown_kernel="immediate",  # the kernel is thrown away: no need to wait for a clean exit
        )
    except PapermillExecutionError as exc:
        raise BriefExecutionError(
            brief_id=brief.id,
            cell_index=exc.exec_count,
            ename=exc.ename,
            evalue=_first_line(exc.evalue),
            executed_notebook=str(output),
        ) from exc
    except Exception as exc:  # kernel died, timed out, could not start
        raise BriefExecutionError(
            brief_id=brief.id,
            cell_index=None,
            ename=type(exc).__name__,
            evalue=_first_line(str(exc)),
            executed_notebook=str(output),
        ) from exc


def _first_line(text: str) -> str:
    text = (text or "").strip()
    return text.splitlines()[0][:300] if text else ""
