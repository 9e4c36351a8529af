"""The side-by-side benchmark: (a) the naive loop on the command line and (a') the same loop
in one Python process against (b) ``build.py --force``, then the no-op rebuild, one table
changed, and (optionally) the scale run.

Both ways build the same briefs, from the same notebooks, with the same parameters (read from
the catalogue and checked with ``briefkit.parameters.resolve``), on a temporary copy of the
pack, so the repository's ``briefs/`` and ``data/`` are never touched. (a), (a') and (b) alternate,
so that machine noise hits both alike; every full build starts from a cold data cache.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .common import (chromium_path, chromium_version, clear_caches, copy_pack, kernel_env, load_average,
                     load_briefs, log, median, tail)
from .naive import naive_build, one_process_build, playwright_browsers_dir, step_medians
from .ours import build_py, only_args, table_to_change, touch_table
from .scale import fit, projection, scale_run


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
    loads = [load_average()]

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

    naive_runs, one_runs, build_runs = [], [], []
    for i in range(1, args.runs + 1):  # interleaved, so machine noise hits both ways alike
        clear_caches(pack_root)
        shutil.rmtree(work / "naive", ignore_errors=True)
        if not args.skip_naive:
            log(f"run {i}/{args.runs}: naive loop ({len(briefs)} briefs, {', '.join(formats)})")
            naive_runs.append(naive_build(briefs, pack_root, work / "naive", env=naive_env, formats=formats,
                                          logfile=work / "naive.log"))
            log(f"  naive: {naive_runs[-1]['wall_s']:.1f}s, failed: {naive_runs[-1]['failed'] or 'none'}")
            clear_caches(pack_root)
            shutil.rmtree(work / "one-process", ignore_errors=True)
            log(f"run {i}/{args.runs}: the naive loop in one process")
            one_runs.append(one_process_build(briefs, pack_root, work / "one-process", env=naive_env, formats=formats,
                                              logfile=work / "one-process.log"))
            log(f"  one process: {one_runs[-1]['wall_s']:.1f}s, failed: {one_runs[-1]['failed'] or 'none'}")
            clear_caches(pack_root)
        log(f"run {i}/{args.runs}: build.py --force --jobs {args.jobs}")
        build_runs.append(build_py(pack_yml, build_out, "--force", *jobs, *fmt_args, *only_args(ids),
                                   env=build_env, logfile=work / "build.log"))
        log(f"  build.py: {build_runs[-1]['wall_s']:.1f}s, {build_runs[-1]['cpu_s']:.1f} CPU-s, "
            f"failed: {build_runs[-1]['failed'] or 'none'}")
        loads.append(load_average())

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

    a = median([r["wall_s"] for r in naive_runs]) if naive_runs else None
    a1 = median([r["wall_s"] for r in one_runs]) if one_runs else None
    b = median([r["wall_s"] for r in build_runs])
    b_cpu = median([r["cpu_s"] for r in build_runs])
    build = {
        "wall_s": b,
        "cpu_s": b_cpu,
        "core_s_per_brief": round(b_cpu / len(ids), 3),
        "cpu_busy": round(b_cpu / (b * (os.cpu_count() or 1)), 3) if b else None,  # of the cores, whatever --jobs
        "busy_while_briefs": (median([r["busy_while_briefs"] for r in build_runs if r.get("busy_while_briefs")])
                              if any(r.get("busy_while_briefs") for r in build_runs) else None),
        "busy_while_briefs_sampled": (median([r["busy_while_briefs_sampled"] for r in build_runs
                                              if r.get("busy_while_briefs_sampled")])
                                      if any(r.get("busy_while_briefs_sampled") for r in build_runs) else None),
        "cpu_method": build_runs[0].get("cpu_method", "sampled"),
        "briefs": len(ids),
        "peak_pss_mb": max(r["peak_pss_mb"] for r in build_runs),
        "peak_briefs_pss_mb": max(r.get("peak_briefs_pss_mb", 0) for r in build_runs),
        "peak_parts_mb": max(build_runs, key=lambda r: r["peak_pss_mb"]).get("peak_parts_mb", {}),
        "max_rss_mb": max(r["max_rss_mb"] for r in build_runs),
        "failed": sorted({i for r in build_runs for i in r["failed"]}),
        "pack_pdf_s": median([r.get("pack_pdf_s", 0) for r in build_runs]),
        "runs": build_runs,
    }
    result = {
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
            "chromium": chromium_version(chromium) if chromium else "",
            "load_average": loads,
        },
        "naive": _loop(naive_runs),
        "one_process": _loop(one_runs),
        "build": build,
        "ratio": round(a / b, 2) if a and b else None,
        "ratio_one_process": round(a1 / b, 2) if a1 and b else None,
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
        "scale": None,
    }
    if args.scale > 1:
        scale = scale_run(pack_yml, work, times=args.scale, runs=args.scale_runs, jobs=jobs, fmt_args=fmt_args,
                          env=build_env, base=build)
        fixed, per = fit((len(ids), b), (scale["briefs"], scale["wall_s"]))
        scale["fit"] = {"fixed_s": round(fixed, 2), "per_brief_s": round(per, 3)}
        scale["projection_1000_on_16_s"] = round(projection(fixed, per, os.cpu_count() or 1), 1)  # cores, not --jobs
        result["scale"] = scale
    return result


def _loop(runs: list[dict]) -> dict[str, Any] | None:
    """A naive loop's medians over its runs (and the runs themselves)."""
    if not runs:
        return None
    return {
        "wall_s": median([r["wall_s"] for r in runs]),
        "cpu_s": median([r["cpu_s"] for r in runs]),
        "peak_pss_mb": max(r["peak_pss_mb"] for r in runs),
        "max_rss_mb": max(r["max_rss_mb"] for r in runs),
        "failed": sorted({i for r in runs for i in r["failed"]}),
        "step_s": step_medians(runs),
        "runs": runs,
    }


def markdown(res: dict[str, Any]) -> str:
    """The results as Markdown tables, ready for the README."""
    n, runs, jobs = len(res["briefs"]), res["runs"], res["jobs"]
    fmts = " + ".join(f.upper() for f in res["formats"])
    a, b, one = res["naive"], res["build"], res["one_table"]
    machine = res["machine"]
    lines = [
        f"{n} briefs, {fmts}; {machine['cpus']} CPUs, Python {machine['python']}"
        + (f", {machine['chromium']}" if machine["chromium"] else "")
        + f"; medians of {runs} run(s), each from a cold data cache; load average during the runs "
        + " → ".join(x.split()[0] for x in machine["load_average"] if x) + "; CPU time "
        + ("from each run's own control group (exact)" if b.get("cpu_method") == "cgroup"
           else "sampled from /proc (approximate)") + ".",
        "",
    ]
    a1 = res.get("one_process")
    loops = [(x, title) for x, title in ((a, "naive loop, command lines"), (a1, "naive loop, one process")) if x]
    if loops:
        named = ", ".join(["papermill", *(f"nbconvert {'webpdf' if f == 'pdf' else f}" for f in res["formats"])])
        lines += [
            f"Naive loops ({named}; one brief at a time): on the command line, {1 + len(res['formats'])} "
            "programs a brief; and through the same libraries' Python APIs in one process.",
            "",
            "| | " + " | ".join(title for _, title in loops) + f" | `build.py --force --jobs {jobs}` |",
            "|---|" + "---:|" * (len(loops) + 1),
        ]
        rows = [("wall time", lambda x: f"{x['wall_s']:.1f} s", f"{b['wall_s']:.1f} s"),
                ("CPU time, whole process tree", lambda x: f"{x['cpu_s']:.1f} s", f"{b['cpu_s']:.1f} s"),
                ("core-seconds a brief", lambda x: f"{x['cpu_s'] / n:.2f}", f"{b['core_s_per_brief']:.2f}"),
                ("peak memory, whole process tree (PSS)", lambda x: f"{x['peak_pss_mb']:.0f} MB",
                 f"{b['peak_pss_mb']:.0f} MB"),
                ("largest single process (max RSS)", lambda x: f"{x['max_rss_mb']:.0f} MB", f"{b['max_rss_mb']:.0f} MB")]
        for label, cell, ours in rows:
            lines.append(f"| {label} | " + " | ".join(cell(x) for x, _ in loops) + f" | {ours} |")
        lines.append("")
    else:
        lines += [
            f"`build.py --force --jobs {jobs}`: {b['wall_s']:.1f} s, {b['cpu_s']:.1f} CPU-s "
            f"({b['core_s_per_brief']:.2f} a brief), peak PSS {b['peak_pss_mb']:.0f} MB.", "",
        ]
    lines += ["| measure | result |", "|---|---:|"]
    if res["ratio"]:
        lines.append(f"| speed-up of `build.py` over the naive loop on the command line (a/b) | **{res['ratio']:.1f}×** |")
    if res.get("ratio_one_process"):
        lines.append("| speed-up of `build.py` over the naive loop in one process (a'/b) | "
                     f"**{res['ratio_one_process']:.1f}×** |")
    cores = machine.get("cpus") or os.cpu_count() or 1
    ceilings = [(x, f"({tag})") for x, tag in ((a, "a"), (a1, "a'")) if x]
    if ceilings and b.get("cpu_s"):
        # What the build's CPU time allows at best: every core busy from its start to its end.
        lines += [
            f"| the most the build's CPU time allows on {cores} cores (every core busy from start to end: "
            f"naive wall ÷ (build CPU ÷ {cores})), over " + " and ".join(tag for _, tag in ceilings) + " | "
            + "; ".join(f"{x['wall_s'] / (b['cpu_s'] / cores):.1f}×" for x, _ in ceilings) + " |",
            f"| CPU time a build may use for 12× on {cores} cores, every core busy throughout, against "
            + " and ".join(tag for _, tag in ceilings) + " | "
            + "; ".join(f"{x['wall_s'] / 12 * cores:.1f} s" for x, _ in ceilings) + " |",
        ]
    lines += [
        f"| CPU busy while building (CPU time / (wall × {cores} cores)) | {b['cpu_busy'] * 100:.0f}% |",
    ]
    if b.get("busy_while_briefs"):
        lines.append(f"| CPU busy while briefs run (from the first kernel's start to the last kernel's end) | "
                     f"{b['busy_while_briefs'] * 100:.0f}% |")
    if b.get("cpu_method") == "cgroup" and b.get("busy_while_briefs_sampled"):
        lines.append("| the same, with the CPU sampled from /proc every 0.1 s (as earlier runs reported; "
                     f"misses what ends between samples) | {b['busy_while_briefs_sampled'] * 100:.0f}% |")
    lines += [
        f"| no-op rebuild (`python build.py`, nothing changed) | {res['noop']['wall_s']:.2f} s |",
    ]
    if b.get("pack_pdf_s"):
        lines.append(f"| of the forced build: the combined PDFs of the release sets (the pack as one document) | "
                     f"{b['pack_pdf_s']:.1f} s |")
    if one["table"]:
        lines.append(
            f"| one data table changed (`{one['table']}.csv`): {one['rebuilt_count']} of {one['of']} "
            f"briefs rebuilt | {one['wall_s']:.1f} s |"
        )
    scale = res.get("scale")
    if scale:
        lines += [
            f"| scale: every brief ×{scale['times']} ({scale['briefs']} briefs), wall | {scale['wall_s']:.1f} s |",
            f"| scale: per brief, {scale['briefs']} vs {n} briefs | {scale['per_brief_s']:.2f} s vs "
            f"{scale['base_per_brief_s']:.2f} s ({(scale['per_brief_vs_base'] - 1) * 100:+.0f}%) |",
            f"| scale: core-seconds a brief | {scale['core_s_per_brief']:.2f} |",
            f"| scale: peak memory (PSS), {scale['briefs']} vs {n} briefs | {scale['peak_pss_mb']:.0f} MB vs "
            f"{scale['base_peak_pss_mb']:.0f} MB (outputs on disk: {scale['outputs_mb']:.0f} MB) |",
            f"| scale: of which the browser at the peak, {scale['briefs']} vs {n} briefs | "
            f"{scale['peak_parts_mb'].get('browser', 0):.0f} MB vs {scale['base_peak_parts_mb'].get('browser', 0):.0f} MB |",
            f"| scale: peak memory while briefs run (a kernel alive; before the combined PDFs), "
            f"{scale['briefs']} vs {n} briefs | {scale['peak_briefs_pss_mb']:.0f} MB vs "
            f"{scale['base_peak_briefs_pss_mb']:.0f} MB |",
            f"| projection: 1,000 briefs on 16 cores ({scale['fit']['fixed_s']:.1f} s fixed + "
            f"{scale['fit']['per_brief_s']:.3f} s a brief on {os.cpu_count() or 1} cores) | "
            f"{scale['projection_1000_on_16_s']:.0f} s ({scale['projection_1000_on_16_s'] / 60:.1f} min) |",
        ]
    if loops:
        lines.append("")
    for x, title in loops:
        steps = ", ".join(f"{k} {v:.0f} s" for k, v in x["step_s"].items())
        lines.append(f"{title[0].upper()}{title[1:]}, time by step (all briefs): {steps}.")
    lines.append("Single runs: " + "".join(f"{title} " + ", ".join(f"{r['wall_s']:.1f}" for r in x["runs"]) + " s; "
                                           for x, title in loops)
                 + "`build.py` " + ", ".join(f"{r['wall_s']:.1f}" for r in b["runs"]) + " s.")
    if res["skipped_fail_both_ways"]:
        lines.append(f"Left out (fail both ways): {', '.join(res['skipped_fail_both_ways'])}.")
    return "\n".join(lines)
