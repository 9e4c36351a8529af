#!/usr/bin/env python3
"""Benchmark ``python build.py`` against the loop a user would write by hand.

    .venv/bin/python bench/bench_build.py [--pack pack.yml] [--runs 3] [--only GLOB] [--json PATH]
    .venv/bin/python bench/bench_build.py --profile [--profile-brief ID]

Both ways build the same briefs, from the same notebooks, with the same parameters (read from
the catalogue and checked with ``briefkit.parameters.resolve``), on a temporary copy of the
pack, so the repository's ``briefs/`` and ``data/`` are never touched:

(a) the naive loop, one brief after another, with the venv's own command-line tools::

        papermill NB OUT.ipynb -p name value ...
        jupyter nbconvert --to html OUT.ipynb
        jupyter nbconvert --to webpdf OUT.ipynb

    Stock ``--to webpdf`` only looks for a Playwright-downloaded browser, so the loop runs with
    ``PLAYWRIGHT_BROWSERS_PATH`` pointing at a temporary folder of links to the system Chromium,
    laid out as Playwright's own install would be (nothing downloaded, nothing changed).

(b) ``python build.py --force --jobs N --output TMP``.

Reported: wall time (median of ``--runs``), peak memory of the whole process tree (sum of
proportional set sizes, sampled from /proc: forked kernels share pages, so plain RSS would
count them twice), the largest single process (max RSS, from ``os.wait4``), the ratio a/b, the
no-op rebuild time, and the time to rebuild after one data table changes (with the number of
briefs the manifest says were rebuilt). Before timing, one untimed ``build.py`` run warms the
disk caches for both sides and finds briefs that fail; a brief that fails both ways is left out.

Each full build starts "cold": the pack copy's validated-data cache (``.cache/``) is removed
first, for both ways. Benchmarks are not tests: nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the engine importable without installing
    sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent  # the venv's bin/ when run as .venv/bin/python
BUILD_PY = ROOT / "build.py"
PLAYWRIGHT_BROWSERS_JSON = "driver/package/browsers.json"
COPY_IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".cache", "kernel-ipc*")

# Executable locations inside one browser folder of a Playwright install, per Playwright
# version: 1.49+ (Chrome for Testing layout, e.g. 1.65) and older (chrome-linux/...).
PLAYWRIGHT_LAYOUT = {
    "chromium": ["chrome-linux64/chrome", "chrome-linux-arm64/chrome", "chrome-linux/chrome"],
    "chromium-headless-shell": [
        "chrome-headless-shell-linux64/chrome-headless-shell",
        "chrome-headless-shell-linux-arm64/chrome-headless-shell",
        "chrome-linux/headless_shell",
    ],
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- the pack
def copy_pack(pack_yml: Path, dest: Path) -> Path:
    """Copy what a build reads (catalogue, notebook folders, data package, content code) to
    ``dest``; return the copy's catalogue. Outputs and caches are not copied."""
    from briefkit import catalogue

    pack = catalogue.load(pack_yml)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pack.source, dest / "pack.yml")
    folders = {b.notebook.parent for b in pack.briefs}
    if pack.data.exists():
        folders.add(pack.data.parent)
    for path in [*sorted(folders), *pack.code]:
        try:
            rel = path.resolve().relative_to(pack.root)
        except ValueError:
            raise SystemExit(f"bench: {path} is outside the pack folder {pack.root}; cannot copy the pack.") from None
        if path.is_dir():
            shutil.copytree(path, dest / rel, ignore=COPY_IGNORE, dirs_exist_ok=True)
        elif path.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)
    return dest / "pack.yml"


def load_briefs(pack_yml: Path, only: list[str] | None = None) -> list:
    """The selected briefs with their parameters resolved exactly as build.py resolves them
    (catalogue values checked against the notebook's declarations, ``marking`` included)."""
    from briefkit import catalogue, parameters

    pack = catalogue.load(pack_yml)
    return [parameters.resolve(b) for b in pack.select(only)]


def clear_caches(pack_root: Path) -> None:
    """Make the next build cold: drop the validated-data cache of the pack copy."""
    shutil.rmtree(pack_root / ".cache", ignore_errors=True)


def kernel_env(pack_root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What build.py gives its kernels (pack root, import path), so both ways run the same code."""
    paths = [str(ROOT), str(pack_root)]
    existing = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths]
    env = {**os.environ, "BRIEFKIT_PACK": str(pack_root), "PYTHONPATH": os.pathsep.join(paths + existing)}
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.pop("PLAYWRIGHT_BROWSERS_PATH", None)
    env.update(extra or {})
    return env


# ----------------------------------------------------------------------------- measuring
class TreeMemory:
    """Peak memory of every descendant of this process, sampled from /proc (stdlib only).

    Sums each process's proportional set size (``Pss`` in ``smaps_rollup``; ``VmRSS`` where
    that is missing). A sampler misses peaks shorter than its interval: treat as approximate.
    """

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kb / 1024, 1)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            try:
                total = sum(_pss_kb(pid) for pid in _descendants(me))
            except OSError:
                total = 0
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self.interval)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _pss_kb(pid: int) -> int:
    for name, key in (("smaps_rollup", b"Pss:"), ("status", b"VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


def run(argv: list[str], *, cwd: Path, env: dict[str, str], logfile: Path) -> dict[str, Any]:
    """Run a command to completion; return its exit code, wall time and max RSS (its tree's
    largest process, from ``os.wait4``). Output goes to ``logfile``."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with open(logfile, "ab") as fh:
        fh.write(f"\n$ {' '.join(map(str, argv))}\n".encode())
        fh.flush()
        started = time.perf_counter()
        proc = subprocess.Popen([str(a) for a in argv], cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "seconds": round(elapsed, 3), "max_rss_kb": usage.ru_maxrss}


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ----------------------------------------------------------------------------- (a) the naive loop
def chromium_path(setting: str | None = None) -> str:
    """The Chromium build.py would print with (``--chromium``, $BRIEFKIT_CHROMIUM, system)."""
    from briefkit import config
    from briefkit.exporters.browser import find_chromium

    settings = config.settings()
    return find_chromium(setting, settings.chromium, settings.playwright_browsers)


def playwright_revisions() -> dict[str, str]:
    """Browser name → revision, from the installed playwright package's browsers.json."""
    import playwright

    data = json.loads((Path(playwright.__file__).parent / PLAYWRIGHT_BROWSERS_JSON).read_text())
    return {b["name"]: str(b["revision"]) for b in data["browsers"]}


def playwright_browsers_dir(dest: Path, chromium: str) -> Path:
    """A ``PLAYWRIGHT_BROWSERS_PATH`` folder whose "installed" Chromium and headless shell are
    links to ``chromium``, in the layout of the installed Playwright, e.g. for 1.65::

        chromium-1255/chrome-linux64/chrome
        chromium_headless_shell-1255/chrome-headless-shell-linux64/chrome-headless-shell

    Headless launches (nbconvert's webpdf) use the headless shell; both are made.
    """
    revisions = playwright_revisions()
    for name, executables in PLAYWRIGHT_LAYOUT.items():
        folder = dest / f"{name.replace('-', '_')}-{revisions[name]}"
        for rel in executables:
            link = folder / rel
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(chromium)
        (folder / "INSTALLATION_COMPLETE").touch()
    return dest


def papermill_args(parameters: dict[str, Any]) -> list[str]:
    """``-p name value`` as a user would type them; strings as ``-r`` (raw) so that a string
    that looks like a number stays a string; lists and dicts as ``-y`` YAML (JSON is YAML)."""
    out: list[str] = []
    for name, value in parameters.items():
        if isinstance(value, str):
            out += ["-r", name, value]
        elif isinstance(value, (bool, int, float)):
            out += ["-p", name, str(value)]
        else:
            out += ["-y", json.dumps({name: value})]
    return out


def naive_steps(brief, out_dir: Path, formats: Iterable[str] = ("html", "pdf")) -> list[tuple[str, list[str]]]:
    """The commands of the naive loop for one brief, in order."""
    executed = out_dir / f"{brief.id}.ipynb"
    steps = [("papermill", [str(BIN / "papermill"), str(brief.notebook), str(executed),
                            *papermill_args(dict(brief.parameters))])]
    if "html" in formats:
        steps.append(("html", [str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)]))
    if "pdf" in formats:
        steps.append(("webpdf", [str(BIN / "jupyter"), "nbconvert", "--to", "webpdf", str(executed)]))
    return steps


def naive_build(briefs: list, pack_root: Path, out_dir: Path, *, env: dict[str, str],
                formats: Iterable[str] = ("html", "pdf"), logfile: Path | None = None) -> dict[str, Any]:
    """Build ``briefs`` the naive way, one after another; a failing step skips the brief's
    later steps. Returns the run's record (wall time, memory, one record per brief)."""
    formats = tuple(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    logfile = logfile or out_dir / "naive.log"
    records, max_rss = [], 0
    started = time.perf_counter()
    with TreeMemory() as memory:
        for brief in briefs:
            record = {"id": brief.id, "status": "built", "steps": {}, "outputs": []}
            for step, argv in naive_steps(brief, out_dir, formats):
                result = run(argv, cwd=pack_root, env=env, logfile=logfile)
                record["steps"][step] = result["seconds"]
                max_rss = max(max_rss, result["max_rss_kb"])
                if result["returncode"] != 0:
                    record["status"], record["failed_step"] = "failed", step
                    break
            suffixes = {"html": ".html", "pdf": ".pdf"}
            record["outputs"] = sorted(
                p.name for p in (out_dir / f"{brief.id}{s}" for s in [".ipynb", *(suffixes[f] for f in formats)])
                if p.exists()
            )
            records.append(record)
    wall = time.perf_counter() - started
    return {
        "way": "naive",
        "wall_s": round(wall, 3),
        "peak_pss_mb": memory.peak_mb,
        "max_rss_mb": round(max_rss / 1024, 1),
        "briefs": records,
        "failed": [r["id"] for r in records if r["status"] == "failed"],
    }


# ----------------------------------------------------------------------------- (b) build.py
def build_py(pack_yml: Path, out_dir: Path, *args: str, env: dict[str, str], logfile: Path) -> dict[str, Any]:
    """Run ``python build.py --pack PACK --output OUT ARGS``; return time, memory and the
    manifest's counts."""
    argv = [sys.executable, str(BUILD_PY), "--pack", str(pack_yml), "--output", str(out_dir), *args]
    with TreeMemory() as memory:
        result = run(argv, cwd=pack_yml.parent, env=env, logfile=logfile)
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text())["briefs"]
    except (OSError, ValueError, KeyError):
        manifest = []
    selected = _selected_ids(args)
    statuses = {r["id"]: r.get("status") for r in manifest if selected is None or r["id"] in selected}
    return {
        "way": "build.py",
        "args": list(args),
        "returncode": result["returncode"],
        "wall_s": result["seconds"],
        "peak_pss_mb": memory.peak_mb,
        "max_rss_mb": round(result["max_rss_kb"] / 1024, 1),
        "built": sorted(i for i, s in statuses.items() if s == "built"),
        "failed": sorted(i for i, s in statuses.items() if s == "failed"),
        "up_to_date": sorted(i for i, s in statuses.items() if s == "up to date"),
    }


def _selected_ids(args: Iterable[str]) -> set[str] | None:
    """The ids given with --only (exact ids, as the bench passes them); None when all."""
    args = list(args)
    ids = {args[i + 1] for i, a in enumerate(args[:-1]) if a == "--only"}
    return ids or None


def only_args(ids: Iterable[str]) -> list[str]:
    return [a for i in ids for a in ("--only", i)]


# ----------------------------------------------------------------------------- one table changed
def table_to_change(pack_yml: Path, briefs: list) -> str | None:
    """The data table whose change should rebuild the fewest selected briefs (at least one)."""
    from briefkit import catalogue
    from briefkit.engine.plan import used_tables

    pack = catalogue.load(pack_yml)
    if not pack.data.exists():
        return None
    tables = sorted(p.stem for p in pack.data.parent.glob("*.csv"))
    used = {b.id: used_tables(b.notebook) for b in briefs}
    counts = {t: sum(u is None or t in u for u in used.values()) for t in tables}
    candidates = [(n, t) for t, n in counts.items() if n > 0]
    return min(candidates)[1] if candidates else None


def touch_table(pack_yml: Path, table: str) -> Path:
    """A harmless change to the copy's ``data/TABLE.csv``: add or remove the final newline.
    Same rows, different bytes, so its hash (and every brief reading it) changes."""
    from briefkit import catalogue

    csv = catalogue.load(pack_yml).data.parent / f"{table}.csv"
    raw = csv.read_bytes()
    csv.write_bytes(raw[:-1] if raw.endswith(b"\n") and not raw.endswith(b"\n\n") else raw + b"\n")
    return csv


# ----------------------------------------------------------------------------- the benchmark
def median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def bench(args) -> dict[str, Any]:
    formats = tuple(args.format or ("html", "pdf"))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="briefkit-bench-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log(f"working in {work}")
    try:
        return _bench(args, work, formats)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _bench(args, work: Path, formats: tuple[str, ...]) -> dict[str, Any]:
    pack_yml = copy_pack(Path(args.pack).resolve(), work / "pack")
    pack_root = pack_yml.parent
    briefs = load_briefs(pack_yml, args.only)
    if not briefs:
        raise SystemExit("bench: no briefs selected")
    fmt_args = [a for f in formats for a in ("--format", f)]
    naive_env = kernel_env(pack_root)
    chromium = None
    if "pdf" in formats:
        chromium = chromium_path(args.chromium)
        browsers = playwright_browsers_dir(work / "playwright-browsers", chromium)
        naive_env["PLAYWRIGHT_BROWSERS_PATH"] = str(browsers)
        log(f"naive webpdf uses PLAYWRIGHT_BROWSERS_PATH={browsers} (links to {chromium})")
    build_env = kernel_env(pack_root)
    build_out = work / "build-out"
    jobs = ["--jobs", str(args.jobs)]

    # Warm-up (untimed): disk caches, compiled bytecode; and which briefs fail.
    log(f"warm-up: build.py --force on {len(briefs)} brief(s)")
    ids = [b.id for b in briefs]
    warm = build_py(pack_yml, work / "warm-up-out", "--force", *jobs, *fmt_args, *only_args(ids), env=build_env,
                    logfile=work / "build.log")
    if warm["returncode"] not in (0, 1):
        raise SystemExit(f"bench: build.py stopped with exit {warm['returncode']}:\n{tail(work / 'build.log')}")
    skipped, engine_only_failures = [], []
    for brief in [b for b in briefs if b.id in warm["failed"]]:
        probe = naive_build([brief], pack_root, work / "probe", env=naive_env, formats=(), logfile=work / "probe.log")
        (skipped if probe["failed"] else engine_only_failures).append(brief.id)
    if skipped:
        log(f"left out (fail both ways): {', '.join(skipped)}")
    if engine_only_failures:
        log(f"WARNING: fail in build.py but run under plain papermill: {', '.join(engine_only_failures)}")
    briefs = [b for b in briefs if b.id not in skipped]
    ids = [b.id for b in briefs]
    if not briefs:
        raise SystemExit("bench: every selected brief fails; nothing to measure")

    naive_runs, build_runs = [], []
    for i in range(1, args.runs + 1):  # interleaved, so machine noise hits both ways alike
        clear_caches(pack_root)
        shutil.rmtree(work / "naive", ignore_errors=True)
        log(f"run {i}/{args.runs}: naive loop ({len(briefs)} briefs, {', '.join(formats)})")
        naive_runs.append(naive_build(briefs, pack_root, work / "naive", env=naive_env, formats=formats,
                                      logfile=work / "naive.log"))
        log(f"  naive: {naive_runs[-1]['wall_s']:.1f}s, failed: {naive_runs[-1]['failed'] or 'none'}")
        clear_caches(pack_root)
        log(f"run {i}/{args.runs}: build.py --force --jobs {args.jobs}")
        build_runs.append(build_py(pack_yml, build_out, "--force", *jobs, *fmt_args, *only_args(ids),
                                   env=build_env, logfile=work / "build.log"))
        log(f"  build.py: {build_runs[-1]['wall_s']:.1f}s, failed: {build_runs[-1]['failed'] or 'none'}")

    log(f"no-op rebuilds x{args.noop_runs}")
    noop = [build_py(pack_yml, build_out, *jobs, *fmt_args, *only_args(ids), env=build_env,
                     logfile=work / "build.log") for _ in range(args.noop_runs)]

    table = args.table or table_to_change(pack_yml, briefs)
    one_table = []
    if table:
        for i in range(args.runs):
            csv = touch_table(pack_yml, table)
            log(f"one table changed ({csv.name}), rebuild {i + 1}/{args.runs}")
            one_table.append(build_py(pack_yml, build_out, *jobs, *fmt_args, *only_args(ids), env=build_env,
                                      logfile=work / "build.log"))
    else:
        log("one table changed: skipped (the pack has no data package)")

    a, b = median([r["wall_s"] for r in naive_runs]), median([r["wall_s"] for r in build_runs])
    return {
        "pack": str(Path(args.pack)),
        "briefs": ids,
        "skipped_fail_both_ways": skipped,
        "fail_only_in_build_py": engine_only_failures,
        "formats": list(formats),
        "runs": args.runs,
        "jobs": args.jobs,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "chromium": _chromium_version(chromium) if chromium else "",
        },
        "naive": {
            "wall_s": a,
            "peak_pss_mb": max(r["peak_pss_mb"] for r in naive_runs),
            "max_rss_mb": max(r["max_rss_mb"] for r in naive_runs),
            "failed": sorted({i for r in naive_runs for i in r["failed"]}),
            "step_s": _step_medians(naive_runs),
            "runs": naive_runs,
        },
        "build": {
            "wall_s": b,
            "peak_pss_mb": max(r["peak_pss_mb"] for r in build_runs),
            "max_rss_mb": max(r["max_rss_mb"] for r in build_runs),
            "failed": sorted({i for r in build_runs for i in r["failed"]}),
            "runs": build_runs,
        },
        "ratio": round(a / b, 2) if b else None,
        "noop": {
            "wall_s": median([r["wall_s"] for r in noop]),
            "runs": [r["wall_s"] for r in noop],
            "rebuilt": sorted({i for r in noop for i in r["built"]}),
        },
        "one_table": {
            "table": table,
            "wall_s": median([r["wall_s"] for r in one_table]) if one_table else None,
            "runs": [r["wall_s"] for r in one_table],
            "rebuilt": one_table[-1]["built"] if one_table else [],
            "rebuilt_count": len(one_table[-1]["built"]) if one_table else 0,
            "of": len(ids),
        },
    }


def _step_medians(runs: list[dict]) -> dict[str, float]:
    """Median over runs of the total time per naive step (papermill, html, webpdf)."""
    totals: dict[str, list[float]] = {}
    for r in runs:
        per: dict[str, float] = {}
        for brief in r["briefs"]:
            for step, s in brief["steps"].items():
                per[step] = per.get(step, 0.0) + s
        for step, s in per.items():
            totals.setdefault(step, []).append(s)
    return {step: median(v) for step, v in totals.items()}


def _chromium_version(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
        words = out.split()  # "Chromium 156.0.8078.108 built on Debian ..." → "Chromium 156.0.8078.108"
        return " ".join(words[:2])
    except (OSError, subprocess.SubprocessError):
        return ""


def markdown(res: dict[str, Any]) -> str:
    """The results as a Markdown table, ready for the README."""
    n, runs, jobs = len(res["briefs"]), res["runs"], res["jobs"]
    fmts = " + ".join(f.upper() for f in res["formats"])
    a, b, one = res["naive"], res["build"], res["one_table"]
    steps = ", ".join(f"{k} {v:.0f} s" for k, v in a["step_s"].items())
    naive_steps_named = ", ".join(["papermill", *(f"nbconvert {'webpdf' if f == 'pdf' else f}" for f in res["formats"])])
    lines = [
        f"{n} briefs, {fmts}; {res['machine']['cpus']} CPUs, Python {res['machine']['python']}"
        + (f", {res['machine']['chromium']}" if res["machine"]["chromium"] else "")
        + f"; wall times are medians of {runs} run(s), each from a cold data cache.",
        "",
        f"| | naive loop ({naive_steps_named}; one brief at a time) "
        f"| `build.py --force --jobs {jobs}` |",
        "|---|---:|---:|",
        f"| wall time | {a['wall_s']:.1f} s | {b['wall_s']:.1f} s |",
        f"| peak memory, whole process tree (PSS) | {a['peak_pss_mb']:.0f} MB | {b['peak_pss_mb']:.0f} MB |",
        f"| largest single process (max RSS) | {a['max_rss_mb']:.0f} MB | {b['max_rss_mb']:.0f} MB |",
        "",
        "| measure | result |",
        "|---|---:|",
        f"| speed-up of `build.py` over the naive loop (a/b) | **{res['ratio']:.1f}×** |",
        f"| no-op rebuild (`python build.py`, nothing changed) | {res['noop']['wall_s']:.2f} s |",
    ]
    if one["table"]:
        lines.append(
            f"| one data table changed (`{one['table']}.csv`): {one['rebuilt_count']} of {one['of']} "
            f"briefs rebuilt | {one['wall_s']:.1f} s |"
        )
    lines += ["", f"Naive loop time by step (all briefs): {steps}."]
    if res["skipped_fail_both_ways"]:
        lines.append(f"Left out (fail both ways): {', '.join(res['skipped_fail_both_ways'])}.")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- --profile
def profile(args) -> list[tuple[str, float]]:
    """Where build.py's time goes for one brief, stage by stage, calling briefkit directly."""
    work = Path(args.workdir or tempfile.mkdtemp(prefix="briefkit-profile-")).resolve()
    try:
        return _profile(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _profile(args, work: Path) -> list[tuple[str, float]]:
    from briefkit import build as bkbuild
    from briefkit import catalogue

    laps: list[tuple[str, float]] = []

    def lap(name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = fn()
        laps.append((name, time.perf_counter() - started))
        log(f"{name}: {laps[-1][1]:.3f}s")
        return value

    pack_yml = copy_pack(Path(args.pack).resolve(), work / "pack")
    pack = catalogue.load(pack_yml)
    selected = load_briefs(pack_yml, [args.profile_brief] if args.profile_brief else args.only)
    brief = selected[0]
    log(f"profiling brief {brief.id} ({brief.notebook.name})")
    bkbuild._kernel_environment(pack)  # BRIEFKIT_PACK and PYTHONPATH, as build() sets them
    out = work / "out"
    out.mkdir()

    for module in ("papermill", "nbconvert", "playwright.sync_api"):  # each in a fresh interpreter
        laps.append((f"build process: import {module}", _import_seconds(module)))
        log(f"{laps[-1][0]}: {laps[-1][1]:.3f}s")
    from briefkit import data, execute, render

    if pack.data.exists():
        clear_caches(pack.root)
        lap("data: validate + load, cold cache", lambda: data.load(pack.root))
        data._LOADED.clear()
        lap("data: load from the cache file", lambda: data.load(pack.root))

    # A kernel started the ordinary way, then the notebook's own imports run in it.
    from jupyter_client.manager import start_new_kernel

    km, kc = lap("kernel start-up (new process, until ready)",
                 lambda: start_new_kernel(kernel_name="python3", cwd=str(brief.notebook.parent)))
    try:
        code = _notebook_imports(brief.notebook)
        lap("imports in the kernel (the notebook's import lines)",
            lambda: kc.execute_interactive(code, timeout=120, output_hook=lambda msg: None))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

    nb = lap("execute: papermill, ordinary kernel (start-up + all cells)",
             lambda: execute.execute(brief, out / f"{brief.id}.ipynb"))
    cells = _cell_durations(nb)
    laps.append(("  of which: cells (papermill's per-cell durations)", sum(d for _, d in cells)))
    for label, seconds in sorted(cells, key=lambda c: -c[1])[:3]:
        laps.append((f"    slowest cell: {label}", seconds))

    from briefkit.zygote import Zygote

    zygote = Zygote()
    try:
        lap("zygote start + preload (once per build)", lambda: zygote.start().ready())
        execute.ZYGOTE = zygote
        nb = lap("execute: papermill, kernel forked from the zygote",
                 lambda: execute.execute(brief, out / f"{brief.id}.fork.ipynb"))
    finally:
        execute.ZYGOTE = None
        zygote.stop()

    context = bkbuild._build_context(pack)
    prov = render.provenance(nb)
    as_of = str(brief.parameters.get("as_of") or prov.get("as_of") or "")
    shown = {**bkbuild._defaults(brief), **brief.parameters}
    ctx = bkbuild._brief_context(pack, brief, shown, "profile", prov, as_of, context)
    lap("HTML render, first (template load)", lambda: render.html(nb, ctx))
    page = lap("HTML render, again", lambda: render.html(nb, ctx))
    html_path = out / f"{brief.id}.html"
    html_path.write_text(page, encoding="utf-8")

    if "pdf" in (args.format or ("html", "pdf")):
        printer = render.Printer(args.chromium)
        lap("browser start (Playwright driver + Chromium)", printer.__enter__)
        try:
            lap("PDF print, first", lambda: printer.pdf(html_path, out / f"{brief.id}.pdf"))
            lap("PDF print, again", lambda: printer.pdf(html_path, out / f"{brief.id}.2.pdf"))
        finally:
            lap("browser close", lambda: printer.__exit__(None, None, None))
    return laps


def _import_seconds(module: str) -> float:
    """Seconds to import ``module`` in a new interpreter (already-loaded modules would read 0)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def _notebook_imports(notebook: Path) -> str:
    """The top-level import statements of a notebook's code cells, as one cell of code."""
    import ast

    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines)) or "pass"


def _cell_durations(nb) -> list[tuple[str, float]]:
    out = []
    for index, cell in enumerate(nb.cells):
        seconds = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.cell_type == "code" and seconds is not None:
            first = (cell.source.strip().splitlines() or [""])[0][:50]
            out.append((f"cell {index}: {first}", float(seconds)))
    return out


# ----------------------------------------------------------------------------- command line
def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench_build.py",
        description="Time build.py against the naive papermill + nbconvert loop on a temporary copy of the pack.",
    )
    p.add_argument("--pack", default=str(ROOT / "pack.yml"), metavar="PATH", help="catalogue (default: the repo's pack.yml)")
    p.add_argument("--runs", type=int, default=3, metavar="N", help="timed runs of each way; medians reported (default: 3)")
    p.add_argument("--only", action="append", metavar="GLOB", help="only these briefs (repeatable, globs)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="build.py --jobs (default: CPUs, %(default)s here)")
    p.add_argument("--format", action="append", choices=("html", "pdf"), help="formats (repeatable; default both)")
    p.add_argument("--noop-runs", type=int, default=5, metavar="N", help="no-op rebuilds timed (default: 5)")
    p.add_argument("--table", metavar="NAME", help="data table changed for the one-table rebuild "
                   "(default: the one that rebuilds the fewest briefs)")
    p.add_argument("--chromium", metavar="PATH", help="browser (default: what build.py finds)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    p.add_argument("--profile", action="store_true", help="instead of the benchmark: time each stage of one brief")
    p.add_argument("--profile-brief", metavar="ID", help="brief to profile (default: the first selected)")
    p.add_argument("--workdir", metavar="DIR", help="working folder (default: a new temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the working folder (logs, outputs) afterwards")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.runs < 1 or args.jobs < 1:
        print("bench_build.py: --runs and --jobs must be 1 or more", file=sys.stderr)
        return 2
    for tool in ("papermill", "jupyter"):
        if not (BIN / tool).exists():
            print(f"bench_build.py: {BIN / tool} not found; run with the venv's python (.venv/bin/python)", file=sys.stderr)
            return 2
    if args.profile:
        laps = profile(args)
        width = max(len(name) for name, _ in laps)
        print("\n| stage (one brief) | seconds |\n|---|---:|")
        for name, seconds in laps:
            print(f"| {name.ljust(width)} | {seconds:7.3f} |")
        if args.json:
            Path(args.json).write_text(json.dumps({"profile": laps}, indent=2) + "\n")
        return 0
    results = bench(args)
    print(markdown(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        log(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
