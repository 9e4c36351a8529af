"""Execution: kernels over IPC, one fresh process per brief (forked or not), clean failure."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from briefkit.engine import execute
from briefkit.catalogue import Brief
from briefkit.errors import BriefExecutionError
from briefkit.engine.zygote import Zygote


def notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('marking: str = "UNCLASSIFIED"  # Protective marking')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, str(path))
    return path


def outputs(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_kernel_manager_uses_ipc_with_an_absolute_socket_path(tmp_path):
    manager = execute.kernel_manager_class(execute.Kernels(), tmp_path / "k.log")()
    assert manager.transport == "ipc"
    assert os.path.isabs(manager.ip)


@pytest.mark.parametrize("forked", [False, True], ids=["launched", "forked"])
def test_each_brief_gets_its_own_fresh_process(tmp_path, forked):
    probe = notebook(
        tmp_path / "probe.ipynb",
        "import os, sys\nprint('pid', os.getpid())\nprint('cwd', os.getcwd())\n"
        "print('leak', globals().get('LEAK', 'none'))\nLEAK = 'set by a brief'\n"
        "import matplotlib\nprint('backend', matplotlib.get_backend())\nprint('ppid', os.getppid())\n"
        "print('house style', matplotlib.rcParams['axes.prop_cycle'] != matplotlib.rcParamsDefault['axes.prop_cycle'])\n"
        "from briefkit.nb.sources import USED\nprint('tables used', len(USED.tables))\n"
        "import gc\nprint('frozen', gc.get_freeze_count() > 10000, 'collecting', gc.isenabled())",
    )
    from conftest import ROOT

    # The real pack's data, so that the zygote parses its tables once it has forked the first
    # kernel (the data is checked by then), before the second.
    zygote = Zygote({**os.environ, "BRIEFKIT_PACK": str(ROOT)}).start() if forked else None
    kernels = execute.Kernels(zygote=zygote)
    try:
        if zygote:
            assert zygote.ready(60)
            zygote_pid = zygote.proc.pid
        runs = [
            execute.execute(Brief(id=f"b{i}", title="t", notebook=probe, parameters={"marking": "UNCLASSIFIED"}),
                            tmp_path / "out" / f"b{i}.ipynb", kernels)
            for i in range(2)
        ]
    finally:
        if zygote:
            zygote.stop()
    texts = [outputs(nb) for nb in runs]
    if forked:  # forked by the zygote, through the briefkit-fork provisioner (an entry point)
        assert all(f"ppid {zygote_pid}" in text for text in texts), texts
    # What the zygote preloaded is frozen out of the kernels' collections (which would copy
    # every shared page into each kernel); a kernel still collects its own garbage.
    assert all(f"frozen {forked} collecting True" in text for text in texts), texts
    pids = [line.split()[1] for t in texts for line in t.splitlines() if line.startswith("pid")]
    assert len(set(pids)) == 2 and str(os.getpid()) not in pids
    for text in texts:
        assert "leak none" in text  # nothing of the previous brief is visible
        assert f"cwd {tmp_path}" in text  # kernels run in the notebook's folder
        assert "backend module://matplotlib_inline.backend_inline" in text  # inline charts work
        # The zygote drew a house-style chart (and, for the second, parsed the data) before
        # forking: neither its style nor any table it read reaches a brief.
        assert "house style False" in text and "tables used 0" in text


def test_failing_cell_raises_with_brief_cell_and_exception(tmp_path):
    nb = notebook(tmp_path / "bad.ipynb", "x = {}", "x['space']")
    out = tmp_path / "out" / "bad.ipynb"
    with pytest.raises(BriefExecutionError) as info:
        execute.execute(Brief(id="bad", title="t", notebook=nb, parameters={"marking": "UNCLASSIFIED"}), out)
    err = info.value
    assert (err.brief_id, err.ename, err.evalue) == ("bad", "KeyError", "'space'")
    assert "Brief 'bad' failed in cell" in str(err) and str(out) in str(err)
    saved = json.loads(out.read_text())
    assert saved["cells"][0]["cell_type"] == "markdown"  # papermill's error banner


def test_no_kernel_starts_once_the_build_is_stopped(tmp_path):
    """A brief still waiting for a kernel's place when the build is stopped (Ctrl-C, SIGTERM)
    fails at once: its kernel is never started."""
    import threading

    nb = notebook(tmp_path / "a.ipynb", "print('ran')")
    kernels = execute.Kernels(slots=threading.BoundedSemaphore(1))
    assert kernels.kill_running() == 0  # the build is stopping; nothing was running
    with pytest.raises(BriefExecutionError) as info:
        execute.execute(Brief(id="a", title="t", notebook=nb, parameters={"marking": "UNCLASSIFIED"}),
                        tmp_path / "out" / "a.ipynb", kernels)
    assert "stopped before this brief's kernel started" in str(info.value)
    assert not info.value.kernel_started and not kernels.running
    assert kernels.slots.acquire(blocking=False)  # its place was given back


def test_killing_a_forked_kernel_returns_once_the_kernel_is_gone():
    """jupyter_client waits for a killed kernel in 0.1 s steps; the provisioner's kill returns
    only when the kernel has ended (reaped by the zygote), so no brief waits out that step."""
    import asyncio
    import subprocess
    import threading

    from briefkit.engine.provisioner import ForkingProvisioner
    from briefkit.engine.zygote import ForkedProcess

    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    threading.Thread(target=child.wait, daemon=True).start()  # reaps it, as the zygote reaps kernels
    provisioner = ForkingProvisioner(kernel_id="k", kernel_spec=None, parent=None)
    provisioner.process = ForkedProcess(child.pid)
    provisioner.pid = provisioner.pgid = child.pid
    assert provisioner.process.poll() is None

    async def kill_then_poll():
        await provisioner.kill()
        return provisioner.process.poll()  # what jupyter_client asks at once, before any sleep

    assert asyncio.run(kill_then_poll()) is not None


def test_a_build_of_one_brief_forks_its_kernel_from_a_zygote_told_it_serves_one(tmp_path):
    """One brief also gets a kernel forked from the zygote, which preloads while the build
    checks the data (an ordinary kernel would start only after the check, then import the same
    libraries). Told it serves one kernel, the zygote does not parse the tables in advance."""
    from conftest import copy_pack, run_build

    pack = copy_pack(tmp_path / "pack")
    probe = pack / "kernel-parent"
    nb_path = pack / "notebooks" / "good.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"][4]["source"] = ("import os, pathlib\n"
                                f"pathlib.Path({str(probe)!r}).write_bytes("
                                "open(f'/proc/{os.getppid()}/cmdline', 'rb').read())\n")
    nb_path.write_text(json.dumps(nb))

    one = run_build(pack, "--only", "good-pacific", "--format", "html")
    assert one.returncode == 0, one.stderr
    parent = probe.read_bytes().split(b"\0")
    assert b"briefkit.engine.zygote" in parent and b"--one-kernel" in parent, parent
    probe.unlink()
    two = run_build(pack, "--only", "good-*", "--format", "html", "--force")
    assert two.returncode == 0, two.stderr
    parent = probe.read_bytes().split(b"\0")
    assert b"briefkit.engine.zygote" in parent and b"--one-kernel" not in parent, parent


EMPTY = object()  # in a scripted channel: nothing comes this time


class _Channel:
    """A scripted channel: get_msg hands out the messages given (raising Empty for EMPTY and
    once they are used up)."""

    def __init__(self, messages):
        self.messages = list(messages)

    async def get_msg(self, timeout=None):
        from queue import Empty

        if not self.messages:
            raise Empty
        item = self.messages.pop(0)
        if item is EMPTY:
            raise Empty
        return item(self.owner.asked) if callable(item) else item


class _FakeClient:
    """What wait_until_ready uses of a jupyter_client client: kernel_info, the shell and IOPub
    channels, _async_is_alive and _handle_kernel_info_reply."""

    def __init__(self, shell, iopub, alive=True):
        self.asked, self.handled, self.alive = [], [], alive
        self.shell_channel, self.iopub_channel = _Channel(shell), _Channel(iopub)
        self.shell_channel.owner = self.iopub_channel.owner = self

    def kernel_info(self):
        self.asked.append(f"req-{len(self.asked) + 1}")
        return self.asked[-1]

    async def _async_is_alive(self):
        return self.alive

    def _handle_kernel_info_reply(self, msg):
        self.handled.append(msg)


def _status(state, parent):
    return {"msg_type": "status", "content": {"execution_state": state}, "parent_header": {"msg_id": parent}}


REPLY = {"msg_type": "kernel_info_reply", "content": {"protocol_version": "5.3"}, "parent_header": {}}


def test_ready_once_the_requests_own_idle_comes_over_iopub():
    import asyncio

    client = _FakeClient(
        shell=[REPLY],
        iopub=[_status("starting", None), _status("busy", "req-1"), _status("idle", "earlier"),
               lambda asked: _status("idle", asked[0]), _status("busy", "later")],
    )
    asyncio.run(execute.wait_until_ready(client, timeout=5, iopub_wait=0.05))
    assert client.asked == ["req-1"] and client.handled == [REPLY]
    # Read up to the request's idle and no further: an idle of another request did not count.
    assert client.iopub_channel.messages == [_status("busy", "later")]


def test_asks_again_while_iopub_has_not_shown_the_requests_idle():
    import asyncio

    # IOPub missed the first request's idle (not yet connected, say): nothing more comes.
    client = _FakeClient(shell=[REPLY, REPLY], iopub=[_status("busy", "req-1"), EMPTY, _status("idle", "req-2")])
    asyncio.run(execute.wait_until_ready(client, timeout=5, iopub_wait=0.05))
    assert client.asked == ["req-1", "req-2"] and client.handled == [REPLY]
    assert client.iopub_channel.messages == []


def test_a_kernel_that_dies_before_answering_is_reported():
    import asyncio

    client = _FakeClient(shell=[], iopub=[], alive=False)
    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(execute.wait_until_ready(client, timeout=5, iopub_wait=0.05))


def test_only_a_build_of_one_kernel_skips_jupyter_clients_fixed_wait(tmp_path):
    from jupyter_client.asynchronous import AsyncKernelClient

    plain = execute.kernel_manager_class(execute.Kernels(runtime=str(tmp_path)), tmp_path / "k.log")()
    prompt = execute.kernel_manager_class(execute.Kernels(runtime=str(tmp_path), prompt=True), tmp_path / "k.log")()
    assert plain.client_factory is AsyncKernelClient
    assert prompt.client_factory is not AsyncKernelClient and issubclass(prompt.client_factory, AsyncKernelClient)
    assert prompt.client_factory.wait_for_ready is not AsyncKernelClient.wait_for_ready


PROMPT_PROBE = """
import sys
from briefkit.engine import execute
real = execute.kernel_manager_class
def spy(kernels, *args, **kwargs):
    sys.stdout.write(f"prompt {kernels.prompt}\\n")  # one write: two brief threads report at once
    sys.stdout.flush()
    return real(kernels, *args, **kwargs)
execute.kernel_manager_class = spy
from briefkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_build_of_one_brief_starts_its_kernel_promptly_and_of_two_with_the_wait(tmp_path):
    import subprocess
    import sys

    from conftest import copy_pack

    pack = copy_pack(tmp_path / "pack")

    def build(*args):
        done = subprocess.run([sys.executable, "-c", PROMPT_PROBE, "--pack", str(pack / "pack.yml"), "--format", "html",
                               "--force", *args], capture_output=True, text=True, cwd=pack, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return [line for line in done.stdout.splitlines() if line.startswith("prompt")]

    assert build("--only", "good-pacific") == ["prompt True"]
    assert build("--only", "good-*") == ["prompt False", "prompt False"]
