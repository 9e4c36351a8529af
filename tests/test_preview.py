"""``python build.py preview ID``: served on localhost, rebuilt and reloaded on every change."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, survivors


def _get(url: str, timeout: float = 10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, dict(response.headers), response.read().decode("utf-8")


def _wait_for(url: str, test, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    status = {}
    while time.monotonic() < deadline:
        status = json.loads(_get(url + "status")[2])
        if test(status):
            return status
        time.sleep(0.2)
    raise AssertionError(f"preview never reached the expected state; last: {status}")


@pytest.fixture
def preview(tiny_pack: Path):
    """``build.py preview good-pacific`` running in the tiny pack's notebooks/ folder."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "preview", "good-pacific"],
        cwd=tiny_pack / "notebooks", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        proc.kill()
        pytest.fail(f"no URL printed: {line!r} {proc.stderr.read()[:2000]}")
    yield proc, match.group(0), tiny_pack
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)


def test_preview_serves_the_brief_and_shows_each_edit(preview):
    proc, url, pack = preview
    _wait_for(url, lambda s: s["state"] == "ready" and s["version"] >= 1)

    status, headers, page = _get(url)
    assert status == 200
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert '<iframe id="brief"' in page and 'src="/brief.html?v=1"' in page
    assert "EventSource" in page  # the wrapper reloads the brief; the brief runs no script

    _, headers, brief = _get(url + "brief.html")
    assert "This is a small test brief." in brief
    assert "<script" not in brief.lower()
    assert "default-src 'none'" in headers["Content-Security-Policy"]

    notebook = pack / "notebooks" / "good.ipynb"
    edited = time.monotonic()
    notebook.write_text(notebook.read_text().replace("This is a small test brief.", "Edited while previewing."))
    state = _wait_for(url, lambda s: s["version"] >= 2 and s["state"] == "ready")
    seconds = time.monotonic() - edited
    assert "notebooks/good.ipynb changed" in state["reason"]
    _, _, brief = _get(url + "brief.html")
    assert "Edited while previewing." in brief and "This is a small test brief." not in brief
    print(f"edit-to-visible: {seconds:.1f}s")

    # A failing rebuild shows the error (cell, exception, executed notebook) in the page,
    # above the last good version.
    nb = json.loads(notebook.read_text())
    nb["cells"][2]["source"] = "raise KeyError('space')"
    notebook.write_text(json.dumps(nb))
    state = _wait_for(url, lambda s: s["state"] == "failed")
    assert "KeyError" in state["error"] and "cell" in state["error"]
    assert "_build/good-pacific.ipynb" in state["error"]
    _, _, page = _get(url)
    assert re.search(r'<div id="error" role="alert"\s*>[^<]*KeyError', page), page[:3000]
    assert "Edited while previewing." in _get(url + "brief.html")[2]  # the last good version stays

    proc.send_signal(signal.SIGINT)  # Ctrl-C stops it cleanly
    assert proc.wait(timeout=60) == 0
    assert "preview stopped" in proc.stderr.read()
    assert survivors(f"BRIEFKIT_PACK={pack.resolve()}") == []


def test_preview_is_bound_to_localhost_only(preview):
    proc, url, _ = preview
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    import socket

    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    for address in addresses - {"127.0.0.1"}:
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((address, port)) != 0, f"preview reachable on {address}"


def test_preview_of_an_unknown_brief_says_did_you_mean(tiny_pack):
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "preview", "good-pacifc"],
                          cwd=tiny_pack, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "good-pacific" in done.stderr


def test_watched_inputs_are_the_briefs_own(tiny_pack):
    from briefkit.preview import Preview

    p = Preview(tiny_pack / "pack.yml", "good-pacific")
    watched = {p._shown(f) for f in p.watched_files()}
    assert watched == {"pack.yml", "notebooks/good.ipynb"}
    folders = {f.name for f in p.watched_folders()}
    assert {"templates", "styles"} <= folders


def test_rebuilds_fork_their_kernels_from_one_kept_zygote_and_leave_none_behind(preview):
    """Each rebuild forks its kernel from the zygote the first build started (no preload
    again); Ctrl-C stops it with the preview."""
    proc, url, pack = preview
    notebook = pack / "notebooks" / "good.ipynb"
    _wait_for(url, lambda s: s["state"] == "ready" and s["version"] >= 1)
    parents = []
    for edit in (1, 2, 3):
        nb = json.loads(notebook.read_text())
        nb["cells"][1]["source"] = f"## Summary\n\nEdit {edit}."
        nb["cells"][4]["source"] = ("import os\nfrom IPython.display import HTML, display\n"
                                    "display(HTML(f'<p>kernel parent {os.getppid()}</p>'))\n")
        notebook.write_text(json.dumps(nb))
        _wait_for(url, lambda s: s["state"] == "ready" and s["version"] >= 1 + edit)
        page = _get(url + "brief.html")[2]
        assert f"Edit {edit}." in page
        parents.append(re.search(r"kernel parent (\d+)", page).group(1))
    assert len(set(parents)) == 1, parents
    zygote = Path(f"/proc/{parents[0]}/cmdline").read_bytes().split(b"\0")
    assert b"briefkit.engine.zygote" in zygote and b"--one-kernel" in zygote
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    assert not Path(f"/proc/{parents[0]}").exists() or b"zygote" not in Path(f"/proc/{parents[0]}/cmdline").read_bytes()
    assert survivors(f"BRIEFKIT_PACK={pack.resolve()}") == []


def test_the_kept_zygote_is_started_again_when_its_code_or_preload_changes_or_it_died(monkeypatch):
    from briefkit.engine import zygote as zy

    started, stopped = [], []

    class Stub:
        def __init__(self, env, preload=(), kernels=None):
            self.preload, self.proc = preload, None

        def start(self):
            self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            started.append(self)
            return self

        def stop(self):
            self.proc.kill()
            self.proc.wait()
            stopped.append(self)

    monkeypatch.setattr(zy, "Zygote", Stub)
    kept = zy.KeptZygote()
    try:
        first = kept.get({}, ("security_pack",), "code-1", kernels=1)
        assert kept.get({}, ("security_pack",), "code-1", kernels=1) is first  # kept
        second = kept.get({}, ("security_pack",), "code-2", kernels=1)  # briefkit or the pack's code changed
        assert second is not first and stopped == [first]
        third = kept.get({}, ("security_pack", "more"), "code-2", kernels=1)  # another preload
        assert third is not second and stopped == [first, second]
        third.proc.kill()
        third.proc.wait()
        fourth = kept.get({}, ("security_pack", "more"), "code-2", kernels=1)  # it died
        assert fourth is not third and len(started) == 4
    finally:
        kept.close()
    assert stopped[-1] is started[-1] and len(stopped) == 4


def test_sigterm_ends_a_preview_as_ctrl_c_does_and_stops_its_zygote(preview):
    proc, url, pack = preview
    notebook = pack / "notebooks" / "good.ipynb"
    _wait_for(url, lambda s: s["state"] == "ready" and s["version"] >= 1)
    notebook.write_text(notebook.read_text().replace("This is a small test brief.", "Edited."))
    _wait_for(url, lambda s: s["state"] == "ready" and s["version"] >= 2)  # a kernel forked: the zygote is up
    import glob
    import tempfile

    held = f"{tempfile.gettempdir()}/bk-zygote-{proc.pid}-*"  # the kept zygote's socket folder
    assert glob.glob(held)
    proc.send_signal(signal.SIGTERM)  # between builds, watching
    assert proc.wait(timeout=60) == 0
    assert "preview stopped" in proc.stderr.read()
    assert survivors(f"BRIEFKIT_PACK={pack.resolve()}") == []
    assert not glob.glob(held)


def test_an_edit_saved_while_the_brief_builds_is_built_next(preview):
    """The watcher runs between builds; a save during a build is seen as soon as it ends."""
    proc, url, pack = preview
    notebook = pack / "notebooks" / "good.ipynb"
    _wait_for(url, lambda s: s["state"] == "ready" and s["version"] >= 1)
    nb = json.loads(notebook.read_text())
    nb["cells"][1]["source"] = "## Summary\n\nA slow build."
    nb["cells"][4]["source"] = "import time\ntime.sleep(3)\n"
    notebook.write_text(json.dumps(nb))
    _wait_for(url, lambda s: s["state"] == "building" and "good.ipynb" in s["reason"], timeout=60)
    time.sleep(0.5)  # the kernel is in the sleeping cell
    nb["cells"][1]["source"] = "## Summary\n\nSaved while it built."
    nb["cells"][4]["source"] = "pass\n"
    notebook.write_text(json.dumps(nb))
    _wait_for(url, lambda s: s["state"] == "ready" and "Saved while it built." in _get(url + "brief.html")[2],
              timeout=90)
