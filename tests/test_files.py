import json
import multiprocessing
import os
from pathlib import Path

import pytest

from briefkit import files
from briefkit.engine.plan import data_files, file_digest
from briefkit.publish.manifest import read_manifest
from briefkit.errors import BuildLockedError
from conftest import ROOT


def test_atomic_write_replaces_whole_file_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "out" / "brief.html"
    files.atomic_write(target, "old")
    files.atomic_write(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["brief.html"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_atomic_write_failure_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "brief.html"
    files.atomic_write(target, "good version")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.atomic_write(target, "half")
    assert target.read_text() == "good version"
    assert [p.name for p in tmp_path.iterdir()] == ["brief.html"]


def test_temp_path_keeps_the_suffix_so_browsers_know_the_type(tmp_path):
    tmp = files.temp_path(tmp_path / "outlook.html")
    assert tmp.suffix == ".html" and tmp.name.startswith(".tmp-outlook-")


def test_digest_changes_with_content_and_extra_not_with_mtime(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("x\n1\n")
    first = file_digest([f], tmp_path, {"p": 1})
    os.utime(f, (1, 1))
    assert file_digest([f], tmp_path, {"p": 1}) == first
    assert file_digest([f], tmp_path, {"p": 2}) != first
    f.write_text("x\n2\n")
    assert file_digest([f], tmp_path, {"p": 1}) != first


def test_data_files_are_the_tables_read_or_the_whole_package(tmp_path):
    (tmp_path / "data").mkdir()
    descriptor = tmp_path / "data" / "datapackage.yaml"
    descriptor.write_text("resources: []\n")
    (tmp_path / "data" / "threats.csv").write_text("a\n")
    (tmp_path / "data" / "forums.csv").write_text("a\n")
    assert data_files(tmp_path, {"threats"}, descriptor) == [descriptor, tmp_path / "data" / "threats.csv"]
    assert data_files(tmp_path, None, descriptor) == [tmp_path / "data"]


def test_corrupt_manifest_is_an_empty_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    assert read_manifest(tmp_path) == {"briefs": []}
    (tmp_path / "manifest.json").write_text(json.dumps({"briefs": [{"id": "x"}]}))
    assert read_manifest(tmp_path)["briefs"] == [{"id": "x"}]


def _hold_lock(folder, ready, release):
    with files.BuildLock(folder):
        ready.set()
        release.wait(10)


def test_second_build_is_refused_with_the_holders_pid(tmp_path):
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(tmp_path, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(BuildLockedError) as info:
            with files.BuildLock(tmp_path):
                pass
        assert f"process {holder.pid}" in str(info.value) and "--wait" in str(info.value)
    finally:
        release.set()
        holder.join(10)
    with files.BuildLock(tmp_path):  # released when the holder ended
        pass


def test_lock_is_released_when_the_holder_dies(tmp_path):
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(tmp_path, ready, release))
    holder.start()
    assert ready.wait(10)
    holder.kill()
    holder.join(10)
    with files.BuildLock(tmp_path):
        pass


def test_runtime_folders_of_builds_no_longer_running_are_swept(tmp_path, monkeypatch):
    """A build killed with SIGKILL cannot remove its socket folders from /tmp; the next build
    removes those no process holds any more (the lock dies with its holder, whatever the
    process id namespace), and nothing else."""
    import signal
    import subprocess
    import sys

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    mine = files.runtime_folder("run")  # held by this process
    assert mine.name.startswith(f"bk-run-{os.getpid()}-") and (mine / files.HELD).is_file()
    holder = subprocess.Popen(  # another build, alive: it holds its folder until it dies
        [sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1]); from briefkit import files; "
         "print(files.runtime_folder('run'), flush=True); time.sleep(60)", str(ROOT)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    theirs = Path(holder.stdout.readline().strip())
    legacy = tmp_path / "bk-run-qwerty12"  # no process id in the name, no lock file: not ours to judge
    legacy.mkdir()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    recreated = tmp_path / f"bk-run-{int(ended.stdout)}-abcd1234"  # re-created without its lock file
    recreated.mkdir()
    (recreated / "bk-0123.json").write_text("{}")  # a late kernel's connection file
    unlocked_live = tmp_path / f"bk-run-{os.getpid()}-efgh5678"  # no lock file, its process running
    unlocked_live.mkdir()
    other_kind = tmp_path / "bk-zygote-1-ijkl9012"
    (other_kind).mkdir()
    (other_kind / files.HELD).write_text("")  # nobody holds it: swept by its own kind's call
    target = tmp_path / "elsewhere"
    (target / "x").mkdir(parents=True)
    (target / files.HELD).write_text("")
    link = tmp_path / "bk-run-1-link0000"
    link.symlink_to(target, target_is_directory=True)
    try:
        assert files.sweep_runtime("run") == [recreated]  # the rest in use, or not ours to judge
        assert mine.is_dir() and theirs.is_dir() and unlocked_live.is_dir() and not recreated.exists()
        holder.send_signal(signal.SIGKILL)  # no clean-up survives this
        holder.wait()
        assert theirs.is_dir()
        assert files.sweep_runtime("run") == [theirs]  # its lock died with it
        assert not theirs.exists() and mine.is_dir() and legacy.is_dir() and other_kind.is_dir()
        assert link.is_symlink() and (target / "x").is_dir()  # a link is never followed nor removed
        if os.getuid() == 0:  # another user's folder, even one nobody holds, is left alone
            foreign = tmp_path / "bk-run-2-mnop3456"
            foreign.mkdir()
            (foreign / files.HELD).write_text("")
            os.chown(foreign, 65534, 65534)
            assert files.sweep_runtime("run") == [] and foreign.is_dir()
        made = files.runtime_folder("zygote")  # sweeps its kind first
        assert not other_kind.exists() and made.is_dir()
        files.remove_runtime(made)
        assert not made.exists()
    finally:
        holder.kill()
        files.remove_runtime(mine)
    assert not mine.exists()
