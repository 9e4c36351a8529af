"""The scale run: the same pack with every brief N times over (60 briefs for the real pack's
12 at N = 5), built cold with ``build.py --force``, against the pack itself.

Per-brief time should not grow with the number of briefs (the engine pays its fixed costs
once, and keeps every core busy), and neither should memory while briefs run: at most
``--jobs`` kernels and one browser renderer of at most ``RENDERER_DOCUMENTS`` documents are
alive at a time, whatever the pack's size. The overall peak also holds the combined PDF, one
document of every brief, which grows with the pack.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .common import clear_caches, log, median
from .ours import build_py


def scaled_catalogue(pack_yml: Path, times: int, dest: Path) -> Path:
    """Write beside ``pack_yml`` a catalogue with every entry ``times`` over, ids suffixed
    ``-1`` ... ``-N`` (so each copy has its own outputs); return its path."""
    import yaml

    raw = yaml.safe_load(pack_yml.read_text(encoding="utf-8"))
    briefs = []
    for k in range(1, times + 1):
        for entry in raw["briefs"]:
            clone = copy.deepcopy(entry)
            clone["id"] = f"{entry['id']}-{k}"
            briefs.append(clone)
    raw["briefs"] = briefs
    dest.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


def scale_run(pack_yml: Path, work: Path, *, times: int, runs: int, jobs: list[str], fmt_args: list[str],
              env: dict[str, str], base: dict[str, Any]) -> dict[str, Any]:
    """Build the scaled pack ``runs`` times, cold; compare per-brief time and memory with
    ``base`` (the ordinary pack's ``build.py --force`` figures from the same benchmark)."""
    scaled = scaled_catalogue(pack_yml, times, pack_yml.parent / f"pack-x{times}.yml")
    out = work / f"scale-x{times}-out"
    records = []
    for i in range(1, runs + 1):
        clear_caches(pack_yml.parent)
        log(f"scale run {i}/{runs}: every brief x{times}, build.py --force {' '.join(jobs)}")
        records.append(build_py(scaled, out, "--force", *jobs, *fmt_args, env=env, logfile=work / "scale.log"))
        log(f"  {len(records[-1]['built'])} built in {records[-1]['wall_s']:.1f}s, "
            f"failed: {records[-1]['failed'] or 'none'}")
    n = len(records[-1]["built"]) + len(records[-1]["failed"])
    wall = median([r["wall_s"] for r in records])
    cpu = median([r["cpu_s"] for r in records])
    per_brief = wall / n if n else float("nan")
    base_per_brief = base["wall_s"] / base["briefs"]
    return {
        "times": times,
        "briefs": n,
        "wall_s": wall,
        "cpu_s": cpu,
        "per_brief_s": round(per_brief, 3),
        "core_s_per_brief": round(cpu / n, 3) if n else None,
        "base_per_brief_s": round(base_per_brief, 3),
        "per_brief_vs_base": round(per_brief / base_per_brief, 3) if base_per_brief else None,
        "peak_pss_mb": max(r["peak_pss_mb"] for r in records),
        "base_peak_pss_mb": base["peak_pss_mb"],
        "peak_parts_mb": max(records, key=lambda r: r["peak_pss_mb"]).get("peak_parts_mb", {}),
        "base_peak_parts_mb": base.get("peak_parts_mb", {}),
        "peak_briefs_pss_mb": max(r.get("peak_briefs_pss_mb", 0) for r in records),
        "base_peak_briefs_pss_mb": base.get("peak_briefs_pss_mb", 0),
        "outputs_mb": round(_size(out) / 2**20, 1),
        "failed": sorted({i for r in records for i in r["failed"]}),
        "runs": records,
    }


def fit(small: tuple[int, float], large: tuple[int, float]) -> tuple[float, float]:
    """(fixed seconds, seconds per brief) of the line through two (briefs, wall) points."""
    (n1, w1), (n2, w2) = small, large
    per = (w2 - w1) / (n2 - n1)
    return max(0.0, w1 - n1 * per), per


def projection(fixed_s: float, per_brief_s: float, cores_here: int, briefs: int = 1000, cores: int = 16) -> float:
    """Wall seconds for ``briefs`` on ``cores``, if each core does on the larger machine what
    it does here (the per-brief wall time measured on ``cores_here`` cores, in core-seconds,
    shared by ``cores``), plus the fixed start-up (data check, zygote, browser) once."""
    return fixed_s + briefs * per_brief_s * cores_here / cores


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0
