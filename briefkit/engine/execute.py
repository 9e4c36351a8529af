"""Execute one brief's notebook with papermill, in a fresh kernel talking over IPC.

    nb = execute(brief, staged_ipynb, Kernels(env=..., runtime=..., zygote=...))

``Kernels`` is what the build's kernels share: their environment (the brief's marking is
added per brief), the private folder for their sockets, the zygote to fork them from (see
``provisioner.py``), and the set of running kernels, so that Ctrl-C can kill them at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalogue import Brief
from ..errors import BriefExecutionError

CELL_TIMEOUT = 300  # seconds any single cell may run
START_TIMEOUT = 60
PROVISIONER = "briefkit-fork"  # entry point in jupyter_client.kernel_provisioners (pyproject.toml)


@dataclass
class Kernels:
    """What the kernels of one build share."""

    env: dict[str, str] | None = None  # each kernel's whole environment (None: inherit the build's)
    runtime: str | None = None  # folder for connection files and IPC sockets (None: the temp folder)
    zygote: Any = None  # an engine.zygote.Zygote to fork kernels from, or None to launch them
    running: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # At most this many kernels at once (a threading.Semaphore; None: no limit). The build sets
    # it to --jobs, so a brief that is exporting or printing no longer holds a kernel's place.
    slots: Any = None
    stopped: bool = False  # set by kill_running: a brief still waiting for a place starts no kernel
    # Ready as soon as the kernel answers (wait_until_ready), without jupyter_client's fixed
    # 0.2 s wait at the end of each start. The build sets it when it runs one kernel in all:
    # then the wait is only latency. With several, the wait staggers kernels that share the
    # cores, and builds of the 12 briefs were slower without it (3 batches of 8-10 alternating
    # pairs: medians 0.17-0.48 s slower); one brief's rebuild was 0.23 s faster (2 batches of 6).
    prompt: bool = False

    def kill_running(self) -> int:
        """Kill every kernel of this build that is still running (Ctrl-C, SIGTERM), and start
        no more: a brief still waiting for its place fails without a kernel.

        Their briefs then fail at once (the kernel died): a stopping build does not wait for
        cells to finish. Returns how many were killed.
        """
        with self.lock:
            self.stopped = True
            managers = list(self.running)
        killed = 0
        for km in managers:
            pid = getattr(getattr(getattr(km, "provisioner", None), "process", None), "pid", None)
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


async def wait_until_ready(client, timeout: float | None = None, iopub_wait: float = 0.2) -> None:
    """Wait until ``client``'s kernel answers on its shell channel and its IOPub channel is
    connected: the kernel's ``kernel_info_reply``, then the ``idle`` status the kernel publishes
    on IOPub after that request. Asked again while either is missing, after 1 s for the reply
    or ``iopub_wait`` s for the idle, as jupyter_client does: IOPub may connect only after the
    kernel published (measured: 1 start in 5 to 12 misses the first request's idle).

    jupyter_client's own wait (``wait_for_ready``) ends by reading IOPub until 0.2 s pass with
    no message, a fixed 0.2 s at each kernel's start. Here the request's own ``idle`` is the
    sign that everything the kernel published for it has been read; whatever it published
    before is read and dropped on the way, as that flush would. nbclient reads only the
    messages of each cell's own request, so none of it could reach a brief.
    """
    from queue import Empty

    deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
    asked: set[str] = set()
    while True:
        asked.add(client.kernel_info())
        try:
            reply = await client.shell_channel.get_msg(timeout=1)
        except Empty:
            reply = None
        if reply is not None and reply["msg_type"] == "kernel_info_reply" and await _idle(client, asked, iopub_wait):
            client._handle_kernel_info_reply(reply)  # as jupyter_client's wait does (protocol version)
            return
        if not await client._async_is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


async def _idle(client, asked: set[str], wait: float) -> bool:
    """Whether the ``idle`` status of one of the ``asked`` requests comes over IOPub within ``wait`` s."""
    from queue import Empty

    end = time.monotonic() + wait
    while (left := end - time.monotonic()) > 0:
        try:
            msg = await client.iopub_channel.get_msg(timeout=left)
        except Empty:
            return False
        if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                and msg["parent_header"].get("msg_id") in asked):
            return True
    return False


def kernel_manager_class(kernels: Kernels, log_path: Path, env: dict | None = None):
    """A kernel manager class for one brief: IPC sockets in ``kernels.runtime``, the kernel's
    own output to ``log_path``, ``env`` as its environment, forked when ``kernels.zygote``."""
    import tempfile

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    runtime = kernels.runtime or tempfile.gettempdir()

    class ReadyKernelClient(AsyncKernelClient):
        """jupyter_client's client, ready without a fixed wait (:func:`wait_until_ready`)."""

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            await wait_until_ready(self, timeout)

    class IPCKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel listens on Unix sockets, not TCP ports.

        The socket path is absolute: the kernel runs in the notebook's folder, the client here.
        The connection file lives beside the sockets, so nothing is written under $HOME
        (a service user's HOME may not be writable).
        """

        any_started = False  # set once this brief's kernel is up (see _started)
        zygote = kernels.zygote  # read by the provisioner
        kernel_log = str(log_path)

        def __init__(self, **kwargs):
            os.makedirs(runtime, mode=0o700, exist_ok=True)
            name = f"bk-{uuid.uuid4().hex[:12]}"
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(runtime, name))
            kwargs.setdefault("connection_file", os.path.join(runtime, f"{name}.json"))
            super().__init__(**kwargs)
            if kernels.prompt:
                self.client_factory = ReadyKernelClient

        @property
        def kernel_spec(self):
            spec = super().kernel_spec
            if spec is not None and kernels.zygote is not None:
                spec.metadata["kernel_provisioner"] = {"provisioner_name": PROVISIONER}
            return spec

        async def _async_start_kernel(self, **kw):
            # The kernel process's own stdout/stderr (start-up noise, crashes) go to a log
            # beside the executed notebook rather than onto the build's terminal.
            if env is not None:
                kw["env"] = dict(env)
            log = open(log_path, "wb")
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            with kernels.lock:
                if kernels.stopped:  # Ctrl-C or SIGTERM while this brief waited for its place
                    log.close()
                    raise RuntimeError("the build was stopped before this brief's kernel started")
                kernels.running.add(self)
            try:
                result = await super()._async_start_kernel(**kw)
            finally:
                log.close()  # the child keeps its own descriptor
            IPCKernelManager.any_started = True
            if kernels.stopped:  # stopped while it started: kill_running may have missed its pid
                kernels.kill_running()
            return result

        start_kernel = _async_start_kernel

        async def _async_shutdown_kernel(self, *args, **kw):
            try:
                return await super()._async_shutdown_kernel(*args, **kw)
            finally:
                with kernels.lock:
                    kernels.running.discard(self)

        shutdown_kernel = _async_shutdown_kernel

    return IPCKernelManager


def execute(brief: Brief, output: Path, kernels: Kernels | None = None, cell_timeout: int = CELL_TIMEOUT,
            log_path: Path | None = None, shown_as: str | None = None):
    """Run ``brief``'s notebook with its parameters; write the executed copy to ``output``.

    Returns the executed notebook. A failing cell raises :class:`BriefExecutionError`; the
    executed notebook, with papermill's error banner, is left at ``output`` for the analyst
    (``shown_as`` is the path the error message names, when the build moves it there).
    The kernel's environment is ``kernels.env`` plus ``BRIEFKIT_MARKING``, the brief's
    marking, which the kernel-side data API enforces as the ceiling, and for a brief that
    declares ``reads:`` ``BRIEFKIT_READS``, the only tables it may read (``plan.kernel_reads``).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .plan import kernel_reads

    kernels = kernels or Kernels()
    output.parent.mkdir(parents=True, exist_ok=True)
    from .. import config

    base = kernels.env if kernels.env is not None else config.settings().environ
    env = {**base, "BRIEFKIT_MARKING": brief.marking}
    env.pop("BRIEFKIT_READS", None)
    reads = kernel_reads(brief)
    if reads is not None:  # the tables the planner hashed for it: the kernel refuses any other
        env["BRIEFKIT_READS"] = ",".join(sorted(reads))
    manager = kernel_manager_class(kernels, log_path or output.with_suffix(".kernel.log"), env)
    shown_as = shown_as or str(output)
    try:
        with kernels.slots or contextlib.nullcontext():
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
            kernel_started=bool(manager.any_started),
        ) from exc


def _first_line(text: str) -> str:
    text = (text or "").strip()
    return text.splitlines()[0][:300] if text else ""
