"""(b) ``python build.py`` runs: forced, no-op, and after one data table changed."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Iterable

from .common import BUILD_PY, measuring, run

PACK_PRINTED = re.compile(r"\.pdf: the whole pack printed \w+(?: times)? in ([\d.]+) s")


def build_py(pack_yml: Path, out_dir: Path, *args: str, env: dict[str, str], logfile: Path) -> dict[str, Any]:
    """Run ``python build.py --pack PACK --output OUT ARGS``; return time, CPU, memory and the
    manifest's counts."""
    argv = [sys.executable, str(BUILD_PY), "--pack", str(pack_yml), "--output", str(out_dir), *args]
    logged = logfile.stat().st_size if logfile.exists() else 0
    with measuring() as memory:
        result = run(argv, cwd=pack_yml.parent, env=env, logfile=logfile, group=memory.group)
        cpu_s, busy = memory.total_cpu_s(result["cpu_s"]), memory.busy_while_kernels(os.cpu_count() or 1)
    with open(logfile, "rb") as fh:  # this run's part of the log: the combined PDFs' print times
        fh.seek(logged)
        packs = [float(s) for s in PACK_PRINTED.findall(fh.read().decode(errors="replace"))]
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
        "cpu_s": cpu_s,  # of the whole tree: see TreeMemory.total_cpu_s
        "cpu_method": memory.cpu_method,
        "cpu_wait4_s": result["cpu_s"],
        "cpu_sampled_s": memory.sampled_cpu_s,
        # CPU busy from the first kernel's start to the last kernel's end (None: no kernel seen),
        # and the same from the /proc sampler alone (what earlier runs reported).
        "busy_while_briefs": busy,
        "busy_while_briefs_sampled": memory.busy_while_kernels(os.cpu_count() or 1, sampled=True),
        "peak_pss_mb": memory.peak_mb,
        # the peak while kernels are alive (before the combined PDFs), and the overall peak by kind
        "peak_briefs_pss_mb": memory.peak_briefs_mb,
        "peak_parts_mb": {kind: round(kb / 1024, 1) for kind, kb in memory.peak_parts.items()},
        "max_rss_mb": round(result["max_rss_kb"] / 1024, 1),
        "built": sorted(i for i, s in statuses.items() if s == "built"),
        "failed": sorted(i for i, s in statuses.items() if s == "failed"),
        "up_to_date": sorted(i for i, s in statuses.items() if s == "up to date"),
        "pack_pdf_s": round(sum(packs), 2),  # the release sets' combined PDFs (0 when none printed)
    }


def _selected_ids(args: Iterable[str]) -> set[str] | None:
    """The ids given with --only (exact ids, as the bench passes them); None when all."""
    args = list(args)
    ids = {args[i + 1] for i, a in enumerate(args[:-1]) if a == "--only"}
    return ids or None


def only_args(ids: Iterable[str]) -> list[str]:
    return [a for i in ids for a in ("--only", i)]


def table_to_change(pack_yml: Path, briefs: list) -> str | None:
    """The data table whose change should rebuild the fewest selected briefs (at least one),
    as the planner sees it (tables named literally in the notebook, plus declared ``reads:``)."""
    from briefkit import catalogue
    from briefkit.engine.plan import tables_read

    pack = catalogue.load(pack_yml)
    if not pack.data.exists():
        return None
    tables = sorted(p.stem for p in pack.data.parent.glob("*.csv"))
    used = {b.id: tables_read(b) for b in briefs}
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
