"""A jupyter_client kernel provisioner that forks kernels from the build's zygote.

Registered by entry point (``pyproject.toml``: ``jupyter_client.kernel_provisioners``,
``briefkit-fork``) and chosen by the build's kernel manager (``execute.py``) when a zygote
runs. It is jupyter_client's ``LocalProvisioner`` in every respect but the launch: instead
of starting ``python -m ipykernel_launcher`` it asks the zygote (``zygote.py``) to fork a
process that already has ipykernel, pandas and Matplotlib imported. Anything it cannot fork
(another interpreter, a zygote that died) it launches the ordinary way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

KILL_WAIT = 5.0  # seconds: jupyter_client's own limit for a killed kernel to end


def kernel_arguments(cmd: list[str]) -> list[str] | None:
    """The ipykernel arguments of ``cmd`` if it starts ipykernel in this very interpreter
    (``python [-X...] -m ipykernel_launcher ARGS``: a zygote can fork it), else None."""
    if len(cmd) < 3 or os.path.abspath(cmd[0]) != os.path.abspath(sys.executable):
        return None
    try:
        at = cmd.index("-m")
    except ValueError:
        return None
    flags = cmd[1:at]
    if at + 1 >= len(cmd) or cmd[at + 1] != "ipykernel_launcher" or any(not f.startswith("-X") for f in flags):
        return None
    return cmd[at + 2:]


class ForkingProvisioner(LocalProvisioner):
    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        zygote = getattr(self.parent, "zygote", None)
        arguments = kernel_arguments(cmd)
        if zygote is None or arguments is None or not zygote.ready():
            if zygote is not None:
                logging.getLogger("briefkit").debug("kernel not forked: %s", cmd)
            return await super().launch_kernel(cmd, **kwargs)
        from .zygote import ForkedProcess

        env = dict(kwargs.get("env") or {})
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            pid = zygote.spawn(arguments, cwd=cwd, env=env, log=getattr(self.parent, "kernel_log", os.devnull))
        except (OSError, RuntimeError) as exc:
            logging.getLogger("briefkit").warning("kernel not forked from the zygote (%s); launching it", exc)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(pid)
        self.pid = self.pgid = pid  # the fork calls setsid()
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    async def kill(self, restart: bool = False) -> None:
        """Kill the kernel and return once it is gone (or after 5 s, as jupyter_client waits).

        jupyter_client checks whether a killed kernel is alive straight away and, if it is,
        sleeps 0.1 s before checking again: every brief waited that long before its export
        could start. A kernel dies, and the zygote reaps it, within milliseconds of the
        signal: checking every 5 ms finds it gone about 0.1 s sooner."""
        await super().kill(restart=restart)
        process = self.process
        if process is None:
            return
        deadline = time.monotonic() + KILL_WAIT
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
