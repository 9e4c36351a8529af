"""build.py as a person uses it: from any folder of the pack, groups, and what it prints on a
terminal (progress, colour, the index) and in logs (plain timestamped lines)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, run_build

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x1b\]8;[^\x1b]*\x1b\\")


def _build_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """build.py with no --pack, run from ``folder``: it finds pack.yml in a folder above."""
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=folder,
                          capture_output=True, text=True, timeout=600)


def _on_terminal(pack: Path, *args: str) -> tuple[int, str]:
    """Run build.py with stdout and stderr on a pseudo-terminal; (exit code, what it showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--pack", str(pack / "pack.yml"), *args],
                            cwd=pack, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL,
                            env={**os.environ, "COLUMNS": "160", "TERM": "xterm-256color"})
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=600), b"".join(chunks).decode("utf-8", "replace")


def test_check_runs_from_the_notebooks_folder(tiny_pack):
    done = _build_in(tiny_pack / "notebooks", "--check")
    assert done.returncode == 0, done.stderr
    assert "ok: 3 brief(s)" in done.stdout


def test_build_runs_from_a_subfolder(tiny_pack):
    (tiny_pack / "notebooks" / "deeper").mkdir()
    done = _build_in(tiny_pack / "notebooks" / "deeper", "--only", "good-pacific", "--format", "html")
    assert done.returncode == 0, done.stderr
    assert (tiny_pack / "briefs" / "good-pacific.html").exists()


def test_only_takes_groups_as_well_as_globs(tiny_pack):
    catalogue = tiny_pack / "pack.yml"
    catalogue.write_text(catalogue.read_text().replace(
        "    subtitle: A good brief\n", "    subtitle: A good brief\n    group: good\n"))
    done = run_build(tiny_pack, "--check", "--only", "group:good")
    assert done.returncode == 0, done.stderr
    assert "ok: 2 brief(s)" in done.stdout
    done = run_build(tiny_pack, "--check", "--only", "group:god")
    assert done.returncode == 2
    assert "No group 'god' in pack.yml. Did you mean good?" in done.stderr


def test_logs_stay_plain_lines_off_a_terminal(tiny_pack):
    done = run_build(tiny_pack, "--only", "good-pacific", "--format", "html")
    assert done.returncode == 0, done.stderr
    assert not ANSI.search(done.stdout + done.stderr)
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d INFO building good-pacific \(new brief\)$",
                     done.stderr, re.M), done.stderr


def test_terminal_shows_progress_colour_reasons_and_the_index(tiny_pack):
    code, shown = _on_terminal(tiny_pack, "--only", "good-*", "--format", "html", "--jobs", "1")
    assert code == 0, shown
    assert ANSI.search(shown), "no colour on a terminal"
    plain = ANSI.sub("", shown)
    assert re.search(r"\[1/2\] good-\w+ built in \d+\.\ds \(new brief\), about \d+s left", plain), plain
    assert re.search(r"\[2/2\] good-\w+ built", plain), plain
    assert re.search(r"^Index: briefs/index\.html\s*$", plain, re.M), plain

    # The reason names the input that changed.
    notebook = tiny_pack / "notebooks" / "good.ipynb"
    notebook.write_text(notebook.read_text().replace("small test brief", "smaller test brief"))
    code, shown = _on_terminal(tiny_pack, "--only", "good-pacific", "--format", "html")
    plain = ANSI.sub("", shown)
    assert code == 0, plain
    assert "[1/1] good-pacific built" in plain and "(notebooks/good.ipynb changed)" in plain, plain


def test_manifest_records_each_input_and_the_reason_names_it(tiny_pack):
    assert run_build(tiny_pack, "--only", "good-pacific", "--format", "html").returncode == 0
    record = next(r for r in json.loads((tiny_pack / "briefs" / "manifest.json").read_text())["briefs"]
                  if r["id"] == "good-pacific")
    assert "notebooks/good.ipynb" in record["inputs"] and "briefkit/" in record["inputs"]

    catalogue = tiny_pack / "pack.yml"
    catalogue.write_text(catalogue.read_text().replace("parameters: {region: Pacific}",
                                                       "parameters: {region: Pacific, since: 1995}"))
    done = run_build(tiny_pack, "--only", "good-pacific", "--format", "html")
    assert "building good-pacific (parameters, marking or pack.yml entry changed)" in done.stderr, done.stderr


def test_a_build_checks_parameters_and_data_before_loading_the_renderers(tiny_pack):
    """nbconvert and Playwright (about half a core-second to import) load while the first
    notebooks run, not before the check that every build runs before any kernel starts."""
    probe = f"""
import sys
sys.argv = ["build.py", "--pack", {str(tiny_pack / "pack.yml")!r}, "--only", "good-*", "--force"]
import briefkit.engine.build
engine = sys.modules["briefkit.engine.build"]
real_check = engine.check

def check(*args, **kwargs):
    loaded = sorted({{m.split(".")[0] for m in sys.modules}} & {{"nbconvert", "playwright"}})
    print("at the check:", loaded, "formats:", sorted(engine.exporters_checked), flush=True)
    return real_check(*args, **kwargs)

engine.exporters_checked = set()
import briefkit.exporters as ex
real_create = ex.create
ex.create = lambda name: engine.exporters_checked.add(name) or real_create(name)
engine.check = check
from briefkit.cli import main
sys.exit(main(sys.argv[1:]))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tiny_pack, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "at the check: [] formats: ['html', 'pdf']" in done.stdout  # the exporters were checked, unloaded
    assert (tiny_pack / "briefs" / "good-europe.pdf").is_file()
