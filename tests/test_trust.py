"""Trust in the engine (issue 8): outputs per marking, faults that lose nothing and leave
nothing, confinement, and mistakes that stop with exit 2 instead of passing silently.

HTML only unless a test is about the PDF, to stay quick. Each test builds the tiny pack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_build, survivors, tmpfs

HTML = ("--format", "html")


def records(pack: Path) -> dict:
    data = json.loads((pack / "briefs" / "manifest.json").read_text())
    return {r.get("stem", r["id"]): r for r in data["briefs"]}


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*") if p.is_file() and p.name != ".build.lock"}


def set_in_catalogue(pack: Path, old: str, new: str) -> None:
    text = (pack / "pack.yml").read_text()
    assert old in text
    (pack / "pack.yml").write_text(text.replace(old, new))


# ------------------------------------------------------------------ 5. outputs per marking


def test_a_marking_override_never_writes_over_the_lower_marked_brief(tiny_pack):
    assert run_build(tiny_pack, "--only", "good-pacific", *HTML).returncode == 0
    out = tiny_pack / "briefs"
    plain = (out / "good-pacific.html").read_bytes()

    result = run_build(tiny_pack, "--only", "good-pacific", *HTML, "-p", "good-pacific.marking=RESTRICTED")
    assert result.returncode == 0, result.stderr
    assert (out / "good-pacific.html").read_bytes() == plain  # the UNCLASSIFIED brief is untouched
    restricted = (out / "good-pacific.restricted.html").read_text()
    assert 'data-marking="RESTRICTED"' in restricted
    assert 'data-marking="UNCLASSIFIED"' in plain.decode()
    recs = records(tiny_pack)
    assert recs["good-pacific"]["marking"] == "UNCLASSIFIED"
    assert recs["good-pacific"]["outputs"] == {"html": "good-pacific.html"}
    assert recs["good-pacific.restricted"]["marking"] == "RESTRICTED"
    assert recs["good-pacific.restricted"]["outputs"] == {"html": "good-pacific.restricted.html"}

    # the next ordinary build leaves both alone: nothing changed for the catalogue's brief
    again = run_build(tiny_pack, "--only", "good-pacific", *HTML)
    assert again.returncode == 0 and "0 built" in again.stdout
    assert (out / "good-pacific.html").read_bytes() == plain


def test_a_failed_rebuild_drops_previous_outputs_marked_above_the_brief_now(tiny_pack):
    assert run_build(tiny_pack, "--only", "good-europe", *HTML).returncode == 0
    out = tiny_pack / "briefs"
    assert 'data-marking="IN-CONFIDENCE"' in (out / "good-europe.html").read_text()

    # The brief is re-marked UNCLASSIFIED and its notebook breaks: the IN-CONFIDENCE HTML must
    # not stay on as the "previous good" version of an UNCLASSIFIED brief.
    set_in_catalogue(tiny_pack, "marking: IN-CONFIDENCE}", "marking: UNCLASSIFIED}")
    nb_path = tiny_pack / "notebooks" / "good.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"][2]["source"] = "raise ValueError('broken on purpose')\n"
    nb_path.write_text(json.dumps(nb))
    result = run_build(tiny_pack, "--only", "good-europe", *HTML)
    assert result.returncode == 1
    assert not (out / "good-europe.html").exists()
    rec = records(tiny_pack)["good-europe"]
    assert rec["status"] == "failed" and rec["outputs"] == {}
    assert "IN-CONFIDENCE" not in (out / "index.html").read_text()


# ------------------------------------------------------------------ 6. faults lose nothing


def _start(pack: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--pack", str(pack / "pack.yml"), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=pack,
        env={**os.environ, **(env or {})},
    )


def _slow_notebook(pack: Path) -> Path:
    """Make the good brief's filler cell sleep, so a build is caught mid-brief; returns the file
    the cell touches when it starts (a kernel forked from the zygote shows the zygote's
    environment in /proc, so a file is the sure sign that a cell is running)."""
    started = pack / "cell-started"
    nb_path = pack / "notebooks" / "good.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"][4]["source"] = f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(60)\n"
    nb_path.write_text(json.dumps(nb))
    return started


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_interrupt_stops_promptly_and_leaves_no_files_or_processes(tiny_pack, signum, code):
    assert run_build(tiny_pack, "--only", "good-*", *HTML).returncode == 0
    out = tiny_pack / "briefs"
    before = files(out)
    started = _slow_notebook(tiny_pack)
    proc = _start(tiny_pack, "--only", "good-*", *HTML, "--force", "--jobs", "1")
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline, "no kernel started"
        time.sleep(0.2)
    time.sleep(0.5)  # the kernel is in the sleeping cell; the other brief is queued
    sent = time.monotonic()
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=30)
    took = time.monotonic() - sent
    assert proc.returncode == code, stderr
    assert took < 15, f"stopping took {took:.1f}s"
    assert "interrupted" in stderr and "Traceback" not in stderr
    started.unlink()
    assert files(out) == {k: v for k, v in before.items()}  # every earlier output as it was
    assert not (out / ".staging").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp")]
    deadline = time.monotonic() + 10
    while survivors(f"BRIEFKIT_PACK={tiny_pack}") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert survivors(f"BRIEFKIT_PACK={tiny_pack}") == []


def test_a_killed_build_leaves_its_temporary_files_only_in_staging_swept_next_time(tiny_pack):
    _slow_notebook(tiny_pack)
    proc = _start(tiny_pack, "--only", "good-pacific", *HTML)
    out = tiny_pack / "briefs"
    deadline = time.monotonic() + 60
    while not list((out / ".staging").glob(".tmp-*")) if (out / ".staging").exists() else True:
        assert time.monotonic() < deadline, "the build never staged a file"
        time.sleep(0.2)
    proc.kill()
    proc.communicate()
    assert [p.name for p in out.iterdir() if p.is_file() and p.name.startswith(".tmp")] == []
    assert list((out / ".staging").iterdir())  # what the killed build was writing ...
    nb_path = tiny_pack / "notebooks" / "good.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"][4]["source"] = "print('quick')\n"
    nb_path.write_text(json.dumps(nb))
    assert run_build(tiny_pack, "--only", "good-pacific", *HTML).returncode == 0
    assert not (out / ".staging").exists()  # ... is swept by the next build


def test_disk_full_fails_the_briefs_keeps_every_previous_output_and_leaves_no_temporaries(tiny_pack):
    out = tiny_pack / "briefs"
    unmount = tmpfs(out, size="3m")
    try:
        first = run_build(tiny_pack, "--only", "good-*", *HTML)
        assert first.returncode == 0, first.stderr
        before = files(out)
        filler = out / "filler"
        with open(filler, "wb") as fh:  # fill the disk to the last block
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        result = run_build(tiny_pack, "--only", "good-*", *HTML, "--force")
        assert result.returncode == 1, result.stderr
        assert "no space left" in (result.stderr + result.stdout).lower()
        assert "Traceback" not in result.stderr
        after = files(out)
        after.pop("filler")
        def briefs(found: dict) -> dict:
            return {k: v for k, v in found.items() if k.startswith("good-")}

        assert briefs(after) == briefs(before) and len(briefs(before)) == 2  # byte for byte
        assert after["index.html"].rstrip().endswith(b"</html>")
        recs = records(tiny_pack)  # complete JSON, still naming the kept outputs
        assert recs["good-pacific"]["outputs"] == {"html": "good-pacific.html"}
        assert not (out / ".staging").exists() and not [p for p in out.iterdir() if p.name.startswith(".tmp")]
        filler.unlink()
        again = run_build(tiny_pack, "--only", "good-*", *HTML, "--force")
        assert again.returncode == 0, again.stderr
        assert "2 built" in again.stdout
    finally:
        unmount()


def test_same_day_editions_switch_by_link_and_stray_folders_are_swept(tiny_pack):
    out = tiny_pack / "briefs"
    for _ in range(2):
        result = run_build(tiny_pack, "--only", "good-*", *HTML, "--edition", "--edition-date", "2026-11-25")
        assert result.returncode == 0, result.stderr
    day = out / "editions" / "2026-11-25"
    assert day.is_symlink() and (day / "index.html").is_file() and (day / "good-pacific.html").is_file()
    assert os.readlink(out / "latest") == "editions/2026-11-25"
    hidden = [p.name for p in (out / "editions").iterdir() if p.name.startswith(".")]
    assert hidden == [os.readlink(day)]  # the replaced folder is gone
    # A build killed between writing a new folder and switching the link leaves a stray folder:
    # the day's link still names a complete edition, and the next edition sweeps the stray.
    (out / "editions" / ".v-2026-11-25-killed").mkdir()
    assert (out / "latest" / "index.html").is_file()
    assert run_build(tiny_pack, "--only", "good-*", *HTML, "--edition", "--edition-date", "2026-11-26").returncode == 0
    assert not (out / "editions" / ".v-2026-11-25-killed").exists()
    assert (out / "editions" / "2026-11-25" / "index.html").is_file()


def test_wait_reads_the_manifest_after_the_other_build_finished(tiny_pack):
    """A queued build must keep the records the build it waited for wrote."""
    from briefkit.publish.manifest import read_manifest

    assert run_build(tiny_pack, "--only", "good-pacific", *HTML).returncode == 0
    out = tiny_pack / "briefs"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, json, time; sys.path.insert(0, sys.argv[1]); from briefkit import files; "
         "from pathlib import Path; out = Path(sys.argv[2])\n"
         "with files.BuildLock(out):\n"
         "    print('locked', flush=True); time.sleep(4)\n"
         "    m = json.loads((out / 'manifest.json').read_text())\n"
         "    m['briefs'].append({'id': 'good-europe', 'title': 'Built by the other build', 'marking': 'IN-CONFIDENCE',"
         " 'status': 'built', 'outputs': {}, 'input_hash': 'x'})\n"
         "    files.atomic_write(out / 'manifest.json', json.dumps(m))\n",
         str(ROOT), str(out)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    queued = run_build(tiny_pack, "--only", "good-pacific", *HTML, "--wait", "--force")
    holder.wait(10)
    assert queued.returncode == 0, queued.stderr
    recs = records(tiny_pack)
    assert recs["good-europe"]["title"] == "Built by the other build"
    assert read_manifest(out)["briefs"]


def test_corrupt_manifest_is_rebuilt_with_a_warning(tiny_pack):
    assert run_build(tiny_pack, "--only", "good-pacific", *HTML).returncode == 0
    manifest = tiny_pack / "briefs" / "manifest.json"
    for bad in ("{not json", json.dumps({"briefs": [42, {"id": ["x"]}]}), json.dumps([1, 2])):
        manifest.write_text(bad)
        result = run_build(tiny_pack, "--only", "good-pacific", *HTML)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "WARNING" in result.stderr
        assert records(tiny_pack)["good-pacific"]["status"] == "built"


def test_a_crafted_manifest_cannot_put_links_into_the_index(tiny_pack):
    assert run_build(tiny_pack, *HTML, "--only", "good-*").returncode == 0
    manifest = tiny_pack / "briefs" / "manifest.json"
    data = json.loads(manifest.read_text())
    for record in data["briefs"]:
        record["outputs"] = {"html": "javascript:alert(document.domain)", "pdf": "../../etc/passwd"}
    manifest.write_text(json.dumps(data))
    set_in_catalogue(tiny_pack, "Good brief: Pacific", "Good brief: Pacific islands")  # rebuild one
    result = run_build(tiny_pack, *HTML, "--only", "good-pacific")
    assert result.returncode == 0, result.stderr
    index = (tiny_pack / "briefs" / "index.html").read_text()
    assert "javascript:" not in index and "etc/passwd" not in index
    assert 'href="good-pacific.html"' in index


# ------------------------------------------------------------------ 7. confinement


@pytest.mark.parametrize("output", ["/", "../..", "../outside", "notebooks/../.."])
def test_output_in_pack_yml_must_stay_inside_the_pack(tiny_pack, output):
    set_in_catalogue(tiny_pack, "  title: Test Pack", f"  title: Test Pack\n  output: '{output}'")
    result = run_build(tiny_pack, *HTML)
    assert result.returncode == 2, result.stderr
    assert "outside the pack" in result.stderr or "not the pack's root" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("output", ["/", "..", "."])
def test_dangerous_output_on_the_command_line_is_refused(tiny_pack, output):
    result = run_build(tiny_pack, *HTML, "--output", output)
    assert result.returncode == 2, result.stderr
    assert "folder of their own" in result.stderr


def test_output_outside_the_pack_on_the_command_line_warns_and_works(tiny_pack, tmp_path):
    result = run_build(tiny_pack, *HTML, "--only", "good-pacific", "--output", str(tmp_path / "elsewhere"))
    assert result.returncode == 0, result.stderr
    assert "writing outside the pack" in result.stderr
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    refused = run_build(tiny_pack, *HTML, "--output", str(tmp_path / "notes"))
    assert refused.returncode == 2 and "not empty" in refused.stderr


def test_a_notebook_outside_the_pack_is_refused(tiny_pack, tmp_path):
    outside = tmp_path / "outside.ipynb"
    outside.write_text((tiny_pack / "notebooks" / "good.ipynb").read_text())
    set_in_catalogue(tiny_pack, "notebook: notebooks/failing.ipynb", f"notebook: {outside}")
    result = run_build(tiny_pack, *HTML)
    assert result.returncode == 2 and "outside the pack" in result.stderr
    set_in_catalogue(tiny_pack, f"notebook: {outside}", "notebook: ../outside.ipynb")
    result = run_build(tiny_pack, *HTML)
    assert result.returncode == 2 and "outside the pack" in result.stderr


# ------------------------------------------------------------------ 8. silent mistakes


def test_an_override_for_an_unknown_brief_is_an_error(tiny_pack):
    result = run_build(tiny_pack, *HTML, "-p", "good-pacfic.since=2000")
    assert result.returncode == 2
    assert "no brief id matches 'good-pacfic'" in result.stderr and "good-pacific" in result.stderr
    assert not (tiny_pack / "briefs").exists()
    glob = run_build(tiny_pack, *HTML, "-p", "fail*.since=2000")
    assert glob.returncode == 2 and "declares a parameter 'since'" in glob.stderr


@pytest.mark.parametrize("old, new, words", [
    ("  title: Test Pack", "  title: Test Pack\n  markng: SECRET", ["unknown key 'markng'"]),
    ("defaults: {marking: UNCLASSIFIED,", "defaults: {markng: SECRET, marking: UNCLASSIFIED,",
     ["unknown key 'markng'", "Did you mean 'marking'"]),
    ("formats: [html, pdf], audience", "formats: 5, audience", ["formats 5"]),
    ("briefs:\n", "briefs: []\nold_briefs:\n", ["'briefs:' is empty"]),
])
def test_catalogue_mistakes_exit_2_with_a_message(tiny_pack, old, new, words):
    set_in_catalogue(tiny_pack, old, new)
    result = run_build(tiny_pack, *HTML)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_an_empty_catalogue_keeps_the_last_manifest(tiny_pack):
    assert run_build(tiny_pack, *HTML, "--only", "good-pacific").returncode == 0
    manifest = (tiny_pack / "briefs" / "manifest.json").read_bytes()
    text = (tiny_pack / "pack.yml").read_text()
    (tiny_pack / "pack.yml").write_text(text[: text.index("briefs:")] + "briefs: []\n")
    result = run_build(tiny_pack, *HTML)
    assert result.returncode == 2
    assert (tiny_pack / "briefs" / "manifest.json").read_bytes() == manifest


@pytest.mark.parametrize("args, words", [
    (("--chromium", "/nonexistent/chromium"), ["--chromium /nonexistent/chromium: no such executable"]),
    (("--timeout", "0"), ["--timeout 0"]),
    (("--timeout", "-5"), ["--timeout -5"]),
])
def test_bad_options_exit_2(tiny_pack, args, words):
    result = run_build(tiny_pack, *args)
    assert result.returncode == 2, result.stderr
    for word in words:
        assert word in result.stderr
    assert not (tiny_pack / "briefs").exists()


def test_a_read_only_output_folder_is_an_exit_2_error(tiny_pack):
    unmount = tmpfs(tiny_pack / "briefs", readonly=True)
    try:
        result = run_build(tiny_pack, *HTML, "--only", "good-pacific")
    finally:
        unmount()
    assert result.returncode == 2, result.stderr
    assert "Cannot write to the output folder" in result.stderr and "Traceback" not in result.stderr


def test_every_example_in_help_works():
    """Each example line of --help is run on the real pack with --check (nothing is built)."""
    helped = subprocess.run([sys.executable, str(ROOT / "build.py"), "--help"], capture_output=True, text=True, cwd=ROOT)
    examples = [line.split("  ", 1)[0].strip() if "  " in line.strip() else line.strip()
                for line in helped.stdout.split("examples:")[1].split("exit codes:")[0].splitlines()
                if line.strip().startswith("python build.py")]
    assert len(examples) >= 4
    import shlex

    for example in examples:
        argv = [a for a in shlex.split(example)[2:] if a not in ("--edition", "--force")]
        argv = argv[: argv.index("--check")] if "--check" in argv else argv
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), *argv, "--check"],
                                capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert result.returncode == 0, f"{example}: {result.stderr}"


# ------------------------------------------------------------------ 9. service users


def test_a_service_user_whose_home_is_not_writable_can_build(tiny_pack):
    result = run_build(tiny_pack, *HTML, "--only", "good-*", env={"HOME": "/proc/nohome"})
    assert result.returncode == 0, result.stderr
    assert "2 built" in result.stdout
    assert (tiny_pack / ".cache" / "matplotlib").is_dir()


def test_a_kernel_that_cannot_start_is_reported_as_such(tiny_pack, tmp_path):
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": ["/nonexistent/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "broken", "language": "python"}))
    result = run_build(tiny_pack, *HTML, "--only", "good-pacific", env={"JUPYTER_PATH": str(tmp_path / "jupyter")})
    assert result.returncode == 1
    assert "the Jupyter kernel could not start" in result.stderr
    assert "failed in a cell" not in result.stderr


# ------------------------------------------------------------------ 4. ceilings, enforced by the engine


def _pack_with_data(pack: Path, *cells: str) -> Path:
    """The tiny pack with the fixture data package, a RESTRICTED row in roles, and a brief
    whose notebook runs ``cells``."""
    import shutil

    import nbformat

    from conftest import FIXTURES

    shutil.copytree(FIXTURES / "data" / "data", pack / "data")
    roles = pack / "data" / "roles.csv"
    roles.write_text(roles.read_text() + "kea,,2024,,Operation Kea Lantern,RESTRICTED\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('marking: str = "UNCLASSIFIED"  # Protective marking')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(pack / "notebooks" / "leaky.ipynb"))
    text = (pack / "pack.yml").read_text()
    (pack / "pack.yml").write_text(text + "  - {id: leaky, title: Leaky, notebook: notebooks/leaky.ipynb}\n")
    return pack


def test_an_output_holding_a_withheld_value_is_not_published(tiny_pack):
    """A notebook that reads a CSV itself, around the data API: the engine's scan refuses it."""
    _pack_with_data(tiny_pack, "import pandas as pd\n"
                    "rows = pd.read_csv('../data/roles.csv')\n"
                    "print(', '.join(rows['description']))")
    result = run_build(tiny_pack, "--only", "leaky")  # HTML and PDF
    assert result.returncode == 1, result.stderr
    assert "was not published" in result.stderr
    assert "table roles" in result.stderr and "role_id=kea" in result.stderr
    out = tiny_pack / "briefs"
    assert not (out / "leaky.html").exists() and not (out / "leaky.pdf").exists()
    assert not (out / "_build" / "leaky.ipynb").exists()  # not kept for debugging either
    assert not any("Kea Lantern" in p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    # At RESTRICTED the same brief may show the row
    ok = run_build(tiny_pack, "--only", "leaky", "--format", "html", "-p", "leaky.marking=RESTRICTED")
    assert ok.returncode == 0, ok.stderr
    assert "Kea Lantern" in (out / "leaky.restricted.html").read_text()


def test_a_notebook_cannot_ask_for_a_marking_above_its_brief(tiny_pack):
    _pack_with_data(tiny_pack, "import briefkit as bk\n"
                    "print(bk.table('roles', marking='TOP SECRET')['description'].tolist())")
    result = run_build(tiny_pack, "--only", "leaky", "--format", "html")
    assert result.returncode == 1
    assert "Kea Lantern" not in (tiny_pack / "briefs" / "_build" / "leaky.ipynb").read_text()
    assert "TOP SECRET" in result.stderr and "UNCLASSIFIED" in result.stderr


def test_a_notebook_without_a_kernel_is_an_exit_2_error(tiny_pack):
    nb_path = tiny_pack / "notebooks" / "good.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["metadata"].pop("kernelspec", None)
    nb_path.write_text(json.dumps(nb))
    result = run_build(tiny_pack, *HTML, "--only", "good-pacific")
    assert result.returncode == 2, result.stderr
    assert "good.ipynb" in result.stderr and "choose the kernel" in result.stderr
    assert "Traceback" not in result.stderr
