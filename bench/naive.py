"""(a) The naive loop: what a user would write by hand, one brief after another, with the
venv's own command-line tools::

    papermill NB OUT.ipynb -r name value -p since 1990 ...
    jupyter nbconvert --to html OUT.ipynb
    jupyter nbconvert --to webpdf OUT.ipynb

Stock ``--to webpdf`` only looks for a Playwright-downloaded browser, so the loop runs with
``PLAYWRIGHT_BROWSERS_PATH`` pointing at a temporary folder of links to the system Chromium,
laid out as Playwright's own install would be (nothing downloaded, nothing changed).

(a') The same loop written against papermill's and nbconvert's Python APIs, in one process
(:func:`one_process_build`, ``bench/one_process.py``): no interpreter start or imports per
step.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterable

from .common import BIN, measuring, run

PLAYWRIGHT_BROWSERS_JSON = "driver/package/browsers.json"

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
    later steps. Returns the run's record (wall time, CPU, memory, one record per brief)."""
    formats = tuple(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    logfile = logfile or out_dir / "naive.log"
    records, max_rss, cpu = [], 0, 0.0
    started = time.perf_counter()
    with measuring() as memory:
        for brief in briefs:
            record = {"id": brief.id, "status": "built", "steps": {}}
            for step, argv in naive_steps(brief, out_dir, formats):
                result = run(argv, cwd=pack_root, env=env, logfile=logfile, group=memory.group)
                record["steps"][step] = result["seconds"]
                max_rss = max(max_rss, result["max_rss_kb"])
                cpu += result["cpu_s"]
                if result["returncode"] != 0:
                    record["status"], record["failed_step"] = "failed", step
                    break
            records.append(record)
        tree_cpu, method = memory.total_cpu_s(cpu), memory.cpu_method  # the group is gone after the block
    return _record("naive", time.perf_counter() - started, tree_cpu, method, memory, max_rss, records,
                   out_dir, formats)


ONE_PROCESS = Path(__file__).with_name("one_process.py")


def one_process_build(briefs: list, pack_root: Path, out_dir: Path, *, env: dict[str, str],
                      formats: Iterable[str] = ("html", "pdf"), logfile: Path | None = None) -> dict[str, Any]:
    """Build ``briefs`` with the naive loop written against the libraries' Python APIs, in one
    process (``bench/one_process.py``); the same record as :func:`naive_build`, ``way``
    "one_process"."""
    formats = tuple(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    logfile = logfile or out_dir / "one-process.log"
    job, results = out_dir / "job.json", out_dir / "results.json"
    results.unlink(missing_ok=True)
    job.write_text(json.dumps({
        "out_dir": str(out_dir), "formats": list(formats), "results": str(results),
        "briefs": [{"id": b.id, "notebook": str(b.notebook), "parameters": dict(b.parameters)} for b in briefs],
    }), encoding="utf-8")
    started = time.perf_counter()
    with measuring() as memory:
        result = run([str(BIN / "python"), str(ONE_PROCESS), str(job)], cwd=pack_root, env=env, logfile=logfile,
                     group=memory.group)
        tree_cpu, method = memory.total_cpu_s(result["cpu_s"]), memory.cpu_method
    wall = time.perf_counter() - started
    try:
        records = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        records = []
    done = {r["id"] for r in records}
    records += [{"id": b.id, "status": "failed", "failed_step": "papermill", "steps": {}} for b in briefs
                if b.id not in done]  # the process ended before it reached them
    return _record("one_process", wall, tree_cpu, method, memory, result["max_rss_kb"], records, out_dir, formats,
                   returncode=result["returncode"])


def _record(way: str, wall: float, cpu: float, method: str, memory, max_rss_kb: int, records: list[dict],
            out_dir: Path, formats: tuple[str, ...], **more) -> dict[str, Any]:
    """A naive loop's record: wall time, CPU, memory, and each brief's with the files it left
    (its executed notebook and each format's file)."""
    suffixes = [".ipynb", *({"html": ".html", "pdf": ".pdf"}[f] for f in formats)]
    for record in records:
        record["outputs"] = sorted(p.name for p in (out_dir / f"{record['id']}{s}" for s in suffixes) if p.exists())
    return {
        "way": way,
        "wall_s": round(wall, 3),
        "cpu_s": cpu,
        "cpu_method": method,
        "peak_pss_mb": memory.peak_mb,
        "max_rss_mb": round(max_rss_kb / 1024, 1),
        **more,
        "briefs": records,
        "failed": [r["id"] for r in records if r["status"] == "failed"],
    }


def step_medians(runs: list[dict]) -> dict[str, float]:
    """Median over runs of the total time per naive step (papermill, html, webpdf)."""
    from .common import median

    totals: dict[str, list[float]] = {}
    for r in runs:
        per: dict[str, float] = {}
        for brief in r["briefs"]:
            for step, s in brief["steps"].items():
                per[step] = per.get(step, 0.0) + s
        for step, s in per.items():
            totals.setdefault(step, []).append(s)
    return {step: median(v) for step, v in totals.items()}
