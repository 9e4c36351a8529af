"""Smoke test of the benchmark's plumbing (bench/: the naive loop, the scaled catalogue, the
command line) on the tiny pack. No timing assertions: benchmarks measure, tests check that
the plumbing builds what a user would get."""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import FIXTURES, ROOT, chromium_or_skip

RECORD_KEYS = {"way", "wall_s", "cpu_s", "peak_pss_mb", "max_rss_mb", "briefs", "failed"}


@pytest.fixture(scope="module")
def bench():
    """The bench package's modules, as bench/bench_build.py imports them."""
    from types import SimpleNamespace

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench import common, naive, scale

    return SimpleNamespace(**{k: v for m in (common, naive, scale) for k, v in vars(m).items() if not k.startswith("_")})


@pytest.fixture
def pack_yml(bench, tmp_path: Path) -> Path:
    return bench.copy_pack(FIXTURES / "pack" / "pack.yml", tmp_path / "pack")


def test_papermill_arguments_keep_types(bench):
    args = bench.papermill_args({"region": "Europe", "since": 2000, "scale": 1.5, "year": "2020", "ids": [1, 2]})
    assert args == ["-r", "region", "Europe", "-p", "since", "2000", "-p", "scale", "1.5",
                    "-r", "year", "2020", "-y", '{"ids": [1, 2]}']


def test_copy_leaves_the_original_alone(bench, pack_yml: Path):
    assert pack_yml.is_file() and (pack_yml.parent / "notebooks" / "good.ipynb").is_file()
    assert pack_yml.parent != FIXTURES / "pack"
    assert [b.id for b in bench.load_briefs(pack_yml, ["good-*"])] == ["good-pacific", "good-europe"]


def test_naive_loop_builds_html_and_records_a_failure(bench, pack_yml: Path, tmp_path: Path):
    briefs = bench.load_briefs(pack_yml, ["good-europe", "failing"])
    out = tmp_path / "naive"
    record = bench.naive_build(briefs, pack_yml.parent, out, env=bench.kernel_env(pack_yml.parent), formats=("html",))

    assert RECORD_KEYS <= set(record) and record["way"] == "naive"
    good, failing = record["briefs"]
    assert good["status"] == "built" and set(good["steps"]) == {"papermill", "html"}
    assert good["outputs"] == ["good-europe.html", "good-europe.ipynb"]
    page = (out / "good-europe.html").read_text()
    assert "Region Europe since 2000, scale 1.0." in page  # catalogue parameters reached the notebook
    assert failing["status"] == "failed" and failing["failed_step"] == "papermill"
    assert "html" not in failing["steps"] and not (out / "failing.html").exists()
    assert record["failed"] == ["failing"]
    json.dumps(record)  # the record goes into --json as is


def test_one_process_loop_builds_what_the_command_line_loop_builds(bench, pack_yml: Path, tmp_path: Path):
    """(a'): the same loop through the libraries' Python APIs, in one process: the same steps,
    the same parameters reaching the notebook, the same record, a failure kept to its brief."""
    chromium_or_skip()
    env = bench.kernel_env(pack_yml.parent)
    env["PLAYWRIGHT_BROWSERS_PATH"] = str(bench.playwright_browsers_dir(tmp_path / "pw", bench.chromium_path()))
    briefs = bench.load_briefs(pack_yml, ["failing", "good-europe"])
    out = tmp_path / "one"
    record = bench.one_process_build(briefs, pack_yml.parent, out, env=env)

    assert RECORD_KEYS <= set(record) and record["way"] == "one_process"
    by_id = {r["id"]: r for r in record["briefs"]}
    failing, good = by_id["failing"], by_id["good-europe"]
    assert failing["status"] == "failed" and failing["failed_step"] == "papermill"
    assert set(failing["steps"]) == {"papermill"} and not (out / "failing.html").exists()
    assert good["status"] == "built", (out / "one-process.log").read_text()[-2000:]
    assert set(good["steps"]) == {"papermill", "html", "webpdf"}  # the command-line loop's step names
    assert good["outputs"] == ["good-europe.html", "good-europe.ipynb", "good-europe.pdf"]
    assert "Region Europe since 2000, scale 1.0." in (out / "good-europe.html").read_text()
    text = " ".join(p.extract_text() for p in PdfReader(out / "good-europe.pdf").pages)
    assert "Region Europe since 2000" in unicodedata.normalize("NFKC", text)
    assert record["failed"] == ["failing"] and record["returncode"] == 1
    assert record["cpu_s"] > 0
    json.dumps(record)


def test_one_process_loop_that_dies_counts_every_brief_it_did_not_reach_as_failed(bench, pack_yml: Path,
                                                                                 tmp_path: Path, monkeypatch):
    dies = tmp_path / "dies.py"
    dies.write_text("import os\nos._exit(9)\n")
    monkeypatch.setattr(sys.modules["bench.naive"], "ONE_PROCESS", dies)
    briefs = bench.load_briefs(pack_yml, ["good-*"])
    record = bench.one_process_build(briefs, pack_yml.parent, tmp_path / "one", env=bench.kernel_env(pack_yml.parent))

    assert record["returncode"] == 9
    assert record["failed"] == ["good-pacific", "good-europe"]
    assert all(r["failed_step"] == "papermill" and r["outputs"] == [] for r in record["briefs"])


def test_playwright_folder_links_the_system_chromium(bench, tmp_path: Path):
    revision = bench.playwright_revisions()["chromium-headless-shell"]
    folder = bench.playwright_browsers_dir(tmp_path / "pw", "/usr/bin/true")
    shell = folder / f"chromium_headless_shell-{revision}" / "chrome-headless-shell-linux64" / "chrome-headless-shell"
    assert shell.is_symlink() and os.readlink(shell) == "/usr/bin/true"


def test_naive_webpdf_prints_with_the_linked_chromium(bench, pack_yml: Path, tmp_path: Path):
    chromium_or_skip()
    env = bench.kernel_env(pack_yml.parent)
    env["PLAYWRIGHT_BROWSERS_PATH"] = str(bench.playwright_browsers_dir(tmp_path / "pw", bench.chromium_path()))
    briefs = bench.load_briefs(pack_yml, ["good-pacific"])
    record = bench.naive_build(briefs, pack_yml.parent, tmp_path / "naive", env=env, formats=("pdf",))

    assert record["failed"] == [], (tmp_path / "naive" / "naive.log").read_text()[-2000:]
    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "naive" / "good-pacific.pdf").pages)
    assert "Region Pacific since 1990" in unicodedata.normalize("NFKC", text)  # "ﬁ" ligatures


def test_scaled_catalogue_repeats_every_brief_with_its_own_id(bench, pack_yml: Path):
    scaled = bench.scaled_catalogue(pack_yml, 3, pack_yml.parent / "pack-x3.yml")
    ids = [b.id for b in bench.load_briefs(scaled)]
    assert len(ids) == 9 and len(set(ids)) == 9
    assert {"good-pacific-1", "good-europe-3", "failing-2"} <= set(ids)
    europe = [b for b in bench.load_briefs(scaled) if b.id.startswith("good-europe")]
    assert {(b.parameters["since"], b.marking) for b in europe} == {(2000, "IN-CONFIDENCE")}


def test_command_line_is_thin_and_refuses_bad_counts(tmp_path: Path):
    import subprocess

    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_build.py"), "--runs", "0"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "--runs" in run.stderr
    assert len((ROOT / "bench" / "bench_build.py").read_text().splitlines()) < 120


def test_busy_while_briefs_run_counts_only_the_span_with_kernels_alive(bench):
    memory = bench.TreeMemory()
    memory.timeline = [(0.0, 0.0, 0), (1.0, 1.0, 1), (2.0, 2.6, 3), (3.0, 4.0, 1), (4.0, 4.1, 0)]
    assert memory.busy_while_kernels(2) == pytest.approx(3.0 / (2.0 * 2))  # 1.0 -> 4.0 CPU-s over 1 s -> 3 s
    memory.timeline = [(0.0, 0.0, 0), (1.0, 2.0, 0)]
    assert memory.busy_while_kernels(2) is None


def test_memory_peaks_are_kept_apart_by_phase_and_by_kind(bench):
    memory = bench.TreeMemory()
    memory.note_memory({"kernels": 300_000, "browser": 200_000, "build": 100_000}, kernels=3)
    memory.note_memory({"kernels": 0, "browser": 900_000, "build": 100_000}, kernels=0)  # the combined PDF
    memory.note_memory({"kernels": 100_000, "browser": 100_000, "build": 100_000}, kernels=1)
    assert memory.peak_kb == 1_000_000
    assert memory.peak_parts == {"kernels": 0, "browser": 900_000, "build": 100_000}
    assert memory.peak_briefs_kb == 600_000  # the browser's peak after the last kernel does not count
    assert memory.peak_briefs_mb == round(600_000 / 1024, 1)


ORPHAN = """
import os, sys, time
def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
r, w = os.pipe()
if os.fork() == 0:  # a child that leaves a grandchild behind: re-parented out of the tree
    if os.fork() == 0:
        burn(float(sys.argv[1]))
        os.write(w, b"x")
        os._exit(0)
    os._exit(0)
os.wait()
os.read(r, 1)  # the grandchild's work is done
"""


def test_a_control_group_counts_the_cpu_of_every_process_the_command_started(bench, tmp_path: Path):
    group = bench.CpuGroup.open()
    if group is None:
        pytest.skip("no writable cgroup file system here (not root?): the benchmark samples /proc instead")
    with group, bench.TreeMemory(group=group, cpu_interval=0.05) as memory:
        result = bench.run([sys.executable, "-c", ORPHAN, "0.4"], cwd=tmp_path, env=dict(os.environ),
                           logfile=tmp_path / "log.txt", group=group)
        exact, method = memory.cpu_s, memory.cpu_method
    assert result["returncode"] == 0, (tmp_path / "log.txt").read_text()
    assert method == "cgroup"
    # The grandchild's 0.4 CPU-seconds count in the group; os.wait4 and the /proc sampler miss
    # them (nobody in the tree waits for it, and it left the tree at once).
    assert exact >= 0.4
    assert result["cpu_s"] < 0.3 and memory.sampled_cpu_s < 0.3
    assert not group.path.exists()  # removed once empty


def test_without_a_control_group_the_cpu_is_sampled_and_says_so(bench, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(bench.CpuGroup, "PLACES", ((str(tmp_path / "no-cgroups"), "cpuacct.usage", 1e-9),))
    assert bench.CpuGroup.open() is None
    with bench.TreeMemory(cpu_interval=0.05) as memory:
        result = bench.run([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"],
                           cwd=tmp_path, env=dict(os.environ), logfile=tmp_path / "log.txt")
    assert result["returncode"] == 0
    assert memory.cpu_method == "sampled" and memory.cpu_s == memory.sampled_cpu_s
    assert 0.1 < memory.cpu_s <= result["cpu_s"] + 0.05  # the sampler saw most of a child it could watch


def test_a_forced_build_reports_how_busy_the_cores_were_while_briefs_ran(pack_yml: Path, tmp_path: Path):
    from bench import common, ours

    record = ours.build_py(pack_yml, tmp_path / "out", "--force", "--only", "good-europe", "--only", "good-pacific", "--format", "html",
                           env=common.kernel_env(pack_yml.parent), logfile=tmp_path / "build.log")
    assert record["returncode"] == 0, common.tail(tmp_path / "build.log")
    assert record["built"] == ["good-europe", "good-pacific"]
    # The sampler told the forked kernels from the zygote and saw them run: a share of the cores.
    assert 0 < record["busy_while_briefs"] <= 1.2 and 0 < record["busy_while_briefs_sampled"] <= 1.2
    if record["cpu_method"] == "cgroup":  # exact: all that os.wait4 saw, and what it could not
        assert record["cpu_s"] >= record["cpu_wait4_s"] - 0.05
    else:
        assert record["cpu_method"] == "sampled" and record["cpu_s"] >= record["cpu_wait4_s"]
    # Memory by kind at the peak, and the peak while kernels ran: both seen, neither above the whole.
    assert 0 < record["peak_briefs_pss_mb"] <= record["peak_pss_mb"]
    assert record["peak_parts_mb"]["kernels"] > 0 and record["peak_parts_mb"]["build"] > 0
    assert sum(record["peak_parts_mb"].values()) == pytest.approx(record["peak_pss_mb"], abs=0.5)


def test_the_table_shows_both_naive_loops_and_both_ratios(bench):
    from bench import suite

    def loop(wall, cpu):
        return {"wall_s": wall, "cpu_s": cpu, "peak_pss_mb": 400, "max_rss_mb": 150, "failed": [],
                "step_s": {"papermill": wall / 2, "html": wall / 4, "webpdf": wall / 4},
                "runs": [{"wall_s": wall}]}

    res = {"briefs": ["a", "b"], "runs": 1, "jobs": 3, "formats": ["html", "pdf"], "skipped_fail_both_ways": [],
           "machine": {"cpus": 2, "python": "3.11", "chromium": "", "load_average": ["0.5 0.5 0.5"]},
           "naive": loop(60.0, 50.0), "one_process": loop(36.0, 28.0),
           "build": {"wall_s": 6.0, "cpu_s": 9.0, "core_s_per_brief": 4.5, "cpu_busy": 0.75, "peak_pss_mb": 700,
                     "max_rss_mb": 170, "cpu_method": "cgroup", "runs": [{"wall_s": 6.0}]},
           "ratio": 10.0, "ratio_one_process": 6.0, "noop": {"wall_s": 0.1},
           "one_table": {"table": None}, "scale": None}
    text = suite.markdown(res)
    header = next(line for line in text.splitlines() if line.startswith("| | "))
    assert header.count("|") == 5 and "command lines" in header and "one process" in header
    assert "| wall time | 60.0 s | 36.0 s | 6.0 s |" in text
    assert "command line (a/b) | **10.0×**" in text and "one process (a'/b) | **6.0×**" in text
    assert "3 programs a brief" in text
    # The ceiling the build's CPU time sets on 2 cores: 60 / (9 / 2) and 36 / (9 / 2); and the CPU
    # time 12x allows: 60 / 12 * 2 and 36 / 12 * 2.
    assert "over (a) and (a') | 13.3×; 8.0× |" in text
    assert "12× on 2 cores, every core busy throughout, against (a) and (a') | 10.0 s; 6.0 s |" in text
    res["one_process"], res["ratio_one_process"] = None, None  # a record from before (a') existed
    text = suite.markdown(res)
    header = next(line for line in text.splitlines() if line.startswith("| | "))
    assert header.count("|") == 4 and "one process" not in header and "(a'/b)" not in text
    assert "| wall time | 60.0 s | 6.0 s |" in text
    assert "over (a) | 13.3× |" in text and "against (a) | 10.0 s |" in text
