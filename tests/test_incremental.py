"""Incremental, deterministic, edition builds of the tiny pack (HTML only, to stay quick)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import real_pack_copy, run_build


def manifest(pack):
    return {r["id"]: r for r in json.loads((pack / "briefs" / "manifest.json").read_text())["briefs"]}


def test_unchanged_inputs_are_not_rebuilt_and_a_changed_notebook_is(tiny_pack):
    first = run_build(tiny_pack, "--only", "good-*", "--format", "html")
    assert first.returncode == 0, first.stderr
    assert {r["reason"] for r in manifest(tiny_pack).values()} == {"new brief"}

    again = run_build(tiny_pack, "--only", "good-*", "--format", "html")
    assert "0 built, 2 up to date" in again.stdout
    assert {r["status"] for r in manifest(tiny_pack).values()} == {"up to date"}

    override = run_build(tiny_pack, "--only", "good-*", "--format", "html", "-p", "good-europe.since=2001")
    assert "1 built, 1 up to date" in override.stdout
    # The reason names what changed (issue 12): here the run's parameters, not a file.
    assert manifest(tiny_pack)["good-europe"]["reason"] == "parameters, marking or pack.yml entry changed"

    forced = run_build(tiny_pack, "--only", "good-pacific", "--format", "html", "--force")
    assert "1 built" in forced.stdout
    assert manifest(tiny_pack)["good-pacific"]["reason"] == "forced (--force)"

    (tiny_pack / "briefs" / "good-pacific.html").unlink()
    missing = run_build(tiny_pack, "--only", "good-*", "--format", "html", "-p", "good-europe.since=2001")
    assert manifest(tiny_pack)["good-pacific"]["reason"] == "output missing (html)"
    assert "1 built, 1 up to date" in missing.stdout


def test_same_inputs_give_the_same_html_whatever_the_jobs(tiny_pack, tmp_path):
    env = {"SOURCE_DATE_EPOCH": "1764000000"}
    one = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--jobs", "1", "--output", str(tmp_path / "a"), env=env)
    two = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--jobs", "2", "--output", str(tmp_path / "b"), env=env)
    assert one.returncode == two.returncode == 0
    for name in ("good-pacific.html", "good-europe.html", "index.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert "2025-11-24 16:00 UTC" in (tmp_path / "a" / "good-pacific.html").read_text()


def test_edition_is_dated_kept_and_latest_points_at_it(tiny_pack):
    out = tiny_pack / "briefs"
    for day in ("2026-11-24", "2026-11-25"):
        result = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--edition", "--edition-date", day)
        assert result.returncode == 0, result.stderr
    for day in ("2026-11-24", "2026-11-25"):
        edition = out / "editions" / day
        assert (edition / "good-pacific.html").is_file() and (edition / "index.html").is_file()
        assert json.loads((edition / "manifest.json").read_text())["edition"] == day
    assert os.readlink(out / "latest") == "editions/2026-11-25"
    assert (out / "latest" / "good-europe.html").is_file()
    index = (out / "index.html").read_text()
    assert 'href="editions/2026-11-25/index.html"' in index and 'href="editions/2026-11-24/index.html"' in index
    assert "Edition of 25 November 2026" in (out / "latest" / "index.html").read_text()


def test_bad_edition_date_is_refused(tiny_pack):
    result = run_build(tiny_pack, "--edition-date", "25/11/2026")
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr


@pytest.mark.parametrize("table", ["active_satellites", "cyber_incidents"])
def test_changing_one_table_replans_only_the_briefs_that_read_it(tmp_path, table):
    """plan() on a copy of the real pack: after a build, touch one CSV and see which briefs rebuild.

    The threat profiles read their indicator tables under computed names and declare them in
    pack.yml (``reads:``), so the planner never falls back to "the whole data package": a
    threat's indicator table rebuilds that threat and the briefs naming the table literally.
    """
    from briefkit import catalogue
    from briefkit.engine.plan import Options, plan, scan_tables, tables_read

    pack_dir = real_pack_copy(tmp_path / "pack")
    pack = catalogue.load(pack_dir / "pack.yml")
    assert all(tables_read(b) is not None for b in pack.briefs), "a brief depends on the whole data package"
    out, planned, _ = plan(pack, Options())
    # Pretend the pack was built: a manifest with these hashes and the outputs present.
    out.mkdir()
    records = []
    for brief, digest, _ in planned:
        for fmt in brief.formats:
            (out / f"{brief.id}.{fmt}").write_text("built")
        records.append({"id": brief.id, "status": "built", "input_hash": digest})
    (out / "manifest.json").write_text(json.dumps({"briefs": records}))
    assert all(reason == "" for _, _, reason in plan(pack, Options())[1])

    csv = pack_dir / "data" / f"{table}.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    rebuilt = {b.id for b, _, reason in plan(pack, Options())[1] if reason == "inputs changed"}
    literal = {b.id for b in pack.briefs if table in scan_tables(b.notebook)[0]}
    declared = {b.id for b in pack.briefs if table in b.reads}
    assert rebuilt == literal | declared
    assert 0 < len(rebuilt) < len(pack.briefs), rebuilt
    if table == "cyber_incidents":
        assert declared == {"threat-cyber"}
        assert not {"threat-terrorism", "threat-wmd", "threat-people-smuggling", "threat-space"} & rebuilt


def test_a_brief_cannot_read_a_table_it_did_not_declare(tmp_path):
    """The kernel enforces ``reads:``: a threat profile whose declaration leaves out its indicator
    table fails, naming the table and what to add, rather than being silently under-rebuilt."""
    pack_dir = real_pack_copy(tmp_path / "pack")
    yml = pack_dir / "pack.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("reads: [cyber_incidents]", "reads: [active_satellites]"),
                   encoding="utf-8")
    result = run_build(pack_dir, "--only", "threat-cyber", "--format", "html")
    assert result.returncode == 1
    assert ("may not read table 'cyber_incidents': add 'cyber_incidents' to the brief's reads: list in pack.yml"
            in result.stderr)


def test_kernel_settings_read_the_declared_tables():
    from briefkit import config

    assert config.kernel_settings({}).reads is None
    assert config.kernel_settings({"BRIEFKIT_READS": "threats, cyber_incidents,"}).reads == {"threats", "cyber_incidents"}


def test_a_killed_build_leaves_only_complete_files(tiny_pack):
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    first = run_build(tiny_pack, "--only", "good-*", "--format", "html")
    assert first.returncode == 0, first.stderr
    out = tiny_pack / "briefs"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}

    def complete(name: str, data: bytes) -> bool:
        if name.endswith(".html"):
            return data.rstrip().endswith(b"</html>")
        if name.endswith(".json"):
            json.loads(data)
            return True
        return True

    tmp = tiny_pack.parent / "tmp"  # the builds' own temporary folder, to see what they leave in it
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    killed = []
    for delay in (0.3, 1.0, 2.0, 3.0):
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "--pack", str(tiny_pack / "pack.yml"),
             "--only", "good-*", "--format", "html", "--force", "--jobs", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tiny_pack, env=env,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed += [p.name for p in tmp.glob(f"bk-*-{proc.pid}-*")]  # SIGKILL: no clean-up ran
        for path in out.iterdir():
            if not path.is_file() or path.name == ".build.lock":
                continue
            assert not path.name.startswith(".tmp"), f"partial file left in briefs/: {path.name}"
            data = path.read_bytes()
            assert data == before.get(path.name) or complete(path.name, data), f"{path.name} after {delay}s"
    assert killed  # at least one build was killed with its socket folders made
    final = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--force", env={"TMPDIR": str(tmp)})
    assert final.returncode == 0, final.stderr  # the lock died with the killed build
    # The next build swept the socket folders the killed ones left, and removed its own.
    assert sorted(p.name for p in tmp.glob("bk-*")) == []

    # Kernels and the zygote of the killed builds do not outlive them.
    marker = f"BRIEFKIT_PACK={tiny_pack}".encode()

    def survivors() -> list[str]:
        found = []
        for proc_dir in Path("/proc").glob("[0-9]*"):
            try:
                if marker in (proc_dir / "environ").read_bytes().split(b"\0"):
                    cmd = (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    state = [line for line in (proc_dir / "status").read_text().splitlines() if line.startswith(("State", "PPid"))]
                    found.append(f"{proc_dir.name} {cmd} {state}")
            except OSError:
                continue
        return found

    deadline = time.monotonic() + 10
    while survivors() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert survivors() == []


def test_a_build_and_a_build_with_nothing_to_do_list_the_tables_overdue_for_review(tmp_path):
    """The build reads the tables' review dates after its data check (so the zygote's preload
    starts at once), and a build with nothing to do still lists them."""
    pack_dir = real_pack_copy(tmp_path / "pack")
    for args in (("--only", "threat-level", "--format", "html"), ("--only", "threat-level", "--format", "html")):
        result = run_build(pack_dir, *args)
        assert result.returncode == 0, result.stderr
        assert "tables overdue for review" in result.stdout
        assert "terrorism_incidents             figures as of 2009-12-31" in result.stdout
    assert "1 up to date" in result.stdout


def test_a_brief_being_exported_does_not_hold_a_kernels_place(tiny_pack, monkeypatch):
    """--jobs limits kernels, not briefs: while one brief exports, the next one's kernel runs;
    and no more than --jobs kernels ever run at once."""
    import sys
    import threading
    import time

    from briefkit import catalogue
    from briefkit.engine.plan import Options

    engine = sys.modules["briefkit.engine.build"]  # (the package's `build` is the function)
    monkeypatch.setenv("BRIEFKIT_PACK", str(tiny_pack))
    events, lock = [], threading.Lock()
    running, most = [0], [0]
    real_execute, real_export = engine._execute, engine._export

    def note(what, brief):
        with lock:
            events.append((what, brief.id, time.monotonic()))

    def execute(session, brief, result):
        note("execute", brief)
        return real_execute(session, brief, result)

    def export(session, brief, result, nb, context):
        note("export", brief)
        time.sleep(3)  # a slow export: the other brief's kernel must not wait for it
        real_export(session, brief, result, nb, context)
        note("exported", brief)

    import papermill

    real_papermill = papermill.execute_notebook

    def counting(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real_papermill(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(papermill, "execute_notebook", counting)
    monkeypatch.setattr(engine, "_execute", execute)
    monkeypatch.setattr(engine, "_export", export)
    report = engine.build(catalogue.load(tiny_pack / "pack.yml"),
                          Options(only=["good-*"], formats=("html",), force=True, jobs=1))

    assert sorted(r.brief.id for r in report.results if r.status == "built") == ["good-europe", "good-pacific"]
    first_export = min((e for e in events if e[0] == "export"), key=lambda e: e[2])
    first_exported = next(e for e in events if e[0] == "exported" and e[1] == first_export[1])
    other = next(e for e in events if e[0] == "execute" and e[1] != first_export[1])
    assert other[2] < first_exported[2]  # the second kernel started while the first brief exported
    assert most[0] == 1  # --jobs 1: one kernel at a time all the same
