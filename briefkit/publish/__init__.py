"""Publishing: what the build leaves for readers and scripts in the output folder.

``manifest.py`` (the records), ``index.py`` (the landing page), ``editions.py`` (dated,
frozen copies), ``sets.py`` (one release set per marking), ``combined.py`` (a set's one PDF),
``changes.py`` (snapshots and what changed since the last edition), ``summary.py`` (a brief's
key points and bottom line). Nothing here imports the engine: the build calls in, never the
other way.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .. import __version__, files
from ..catalogue import Pack
from .editions import list_editions
from .editions import publish_edition as _publish_edition
from .index import index_html
from .manifest import MANIFEST, read_manifest

__all__ = ["MANIFEST", "index_html", "publish_edition", "read_manifest", "records", "release", "write"]


def records(pack: Pack, out: Path, results, previous: dict, commit: str) -> list[dict]:
    """The manifest's records, in catalogue order; briefs outside this run keep theirs, and
    marking variants (``outlook.restricted``) stay listed while their files exist.

    ``results`` are the build's results (each with ``brief``, ``stem``, ``status``, ``reason``,
    ``duration``, ``input_hash``, ``outputs``, ``as_of``, ``error``); ``previous`` the last
    manifest's records by stem."""
    ran = {r.stem: r for r in results}
    names_of: dict[str, set[str]] = {}
    for name, record in previous.items():
        names_of.setdefault(str(record.get("id")), set()).add(name)
    for name, result in ran.items():
        names_of.setdefault(result.brief.id, set()).add(name)
    records = []
    for brief in pack.briefs:
        names = [brief.id] + sorted(names_of.get(brief.id, set()) - {brief.id})
        for name in names:
            before = previous.get(name, {})
            r = ran.get(name)
            if r is None:
                if before and (name == brief.id or all((out / f).exists() for f in before.get("outputs", {}).values())):
                    records.append(before)
                continue
            if r.status == "up to date" and before:
                records.append({**before, "status": "up to date", "reason": r.reason, "duration_s": 0.0})
                continue
            failed = r.status == "failed"
            record = {
                "id": r.brief.id,
                "stem": name,
                "title": r.brief.title,
                "subtitle": r.brief.subtitle,
                "notebook": r.brief.notebook.relative_to(pack.root).as_posix(),
                "parameters": dict(r.brief.parameters),
                "marking": r.brief.marking if not failed or not before.get("outputs") else before.get("marking", r.brief.marking),
                "audience": r.brief.audience,
                "status": r.status,
                "reason": r.reason,
                "duration_s": round(r.duration, 2),
                "input_hash": r.input_hash if not failed else before.get("input_hash"),
                "outputs": r.outputs if not failed else before.get("outputs", {}),
                "as_of": r.as_of if not failed else before.get("as_of", ""),
                "commit": commit,
            }
            summary = getattr(r, "summary", None) or {}
            for key in ("key_points", "bottom_line", "figures"):
                record[key] = before.get(key) if failed else summary.get(key)
            if failed:
                record["error"] = r.error
                record["executed_notebook"] = f"_build/{name}.ipynb"
            records.append(record)
    return records




def release(pack: Pack, out: Path, staging: Path, records: list[dict], printer=None, edition: str = "",
            built_at: str = "", refresh: bool = True, force: bool = False) -> tuple[list[dict], dict]:
    """Write the release sets (``sets.py``); return the manifest's ``packs`` and this build's
    snapshot (for the edition). ``printer()``: gives the build's browser; None for no PDFs.
    ``force`` (``--force``): print the combined PDFs again even where their inputs are unchanged."""
    from .sets import publish_sets

    previous = {p["marking"]: p for p in read_manifest(out).get("packs", [])}
    return publish_sets(pack, out, staging, records, printer=printer, edition=edition, built_at=built_at,
                        previous=previous, refresh=refresh, force=force)


def write(pack: Pack, out: Path, staging: Path, records: list[dict], index: bool, packs: list[dict] = ()) -> None:
    """Write ``manifest.json`` (always) and ``index.html`` (when anything was built, or missing).

    Raises OSError (a full disk) with the previous files kept."""
    manifest = {
        "pack": pack.title,
        "engine_version": __version__,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "briefs": records,
        "packs": list(packs),
    }
    files.atomic_write(out / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n", staging)
    if index or not (out / "index.html").exists():
        files.atomic_write(out / "index.html", index_html(pack, records, list_editions(out), sets=packs), staging)


def publish_edition(pack: Pack, out: Path, records: list[dict], date: str, staging: Path,
                    packs: list[dict] = (), snapshot: dict | None = None) -> Path:
    """``out/editions/<date>`` as a frozen copy (with its release sets and the snapshot the next
    edition is compared with), ``latest`` pointing at it, and the index listing it."""
    folder = _publish_edition(pack, out, records, date,
                              lambda recs, edition: index_html(pack, recs, edition=edition, sets=packs), staging,
                              packs=packs, snapshot=snapshot)
    files.atomic_write(out / "index.html", index_html(pack, records, list_editions(out), sets=packs), staging)
    return folder
