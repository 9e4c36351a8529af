"""Release sets: one folder per marking, each a pack that can be handed out as it is.

The briefs of a pack are grouped by marking. The set of marking M holds every catalogue brief
marked at or below M and nothing else::

    briefs/unclassified/     index.html, pack-unclassified.pdf, changes.json, the briefs' files
    briefs/in-confidence/    the same for IN-CONFIDENCE and below

A set's index, combined PDF and changes are made only from its own briefs and from rows at or
below its marking, so a lower set never names, links or counts a higher brief. The briefs'
files are hard links to the build's outputs (copies where links are not possible), so each
folder is complete on its own. Marking variants made with ``-p ID.marking=...`` belong to no
set: they are one-off outputs in the build folder.

A set is rewritten only when what it shows changed (its fingerprint: the records of its
briefs, its changes, the cover's facts and the templates); an unchanged set costs nothing,
and its PDF is not printed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import __version__, files, markings
from ..catalogue import Pack, slug
from . import changes as ch
from .index import TEMPLATES, human_date

VOLATILE = {"status", "reason", "duration_s", "commit"}  # a record's fields that do not change what a set shows


@dataclass
class ReleaseSet:
    marking: str
    slug: str
    records: list[dict]  # its briefs' manifest records, in catalogue order

    @property
    def pdf_name(self) -> str:
        return f"pack-{self.slug}.pdf"

    @property
    def ids(self) -> list[str]:
        return [r["id"] for r in self.records]


def release_sets(records: list[dict]) -> list[ReleaseSet]:
    """One set per marking of the catalogue's briefs, lowest first."""
    briefs = [r for r in records if (r.get("stem") or r["id"]) == r["id"]]
    found = sorted({_marking(r) for r in briefs}, key=markings.rank)
    return [ReleaseSet(m, slug(m), [r for r in briefs if markings.rank(_marking(r)) <= markings.rank(m)])
            for m in found]


def _marking(record: dict) -> str:
    try:
        return markings.normalise(record.get("marking", markings.DEFAULT))
    except ValueError:
        return markings.ORDER[-1]  # an unreadable marking is treated as the highest


def publish_sets(pack: Pack, out: Path, staging: Path, records: list[dict], *, printer: Callable | None,
                 edition: str = "", built_at: str = "", previous: dict | None = None,
                 refresh: bool = True, force: bool = False) -> tuple[list[dict], dict]:
    """Write every release set; return the manifest's ``packs`` records and this build's snapshot.

    ``printer()`` gives the build's browser; None: no combined PDFs this run.
    ``previous``: the last manifest's pack records by marking. ``refresh`` False (a build that
    built nothing) only fills in what is missing. ``force``: print every combined PDF again.
    """
    sets = release_sets(records)
    date = edition or (built_at or "")[:10]
    snap = ch.snapshot(pack.data, records, date) if (refresh or edition) else {}
    compared = ch.previous_edition(out, before=edition) if snap else None
    previous = previous or {}
    packs = []
    for rset in sets:
        before = previous.get(rset.marking) or {}
        folder = out / rset.slug
        if not snap and before and (folder / "index.html").is_file():
            packs.append(before)  # nothing built: the set is as it was
            continue
        if not snap:
            snap = ch.snapshot(pack.data, records, date)
            compared = ch.previous_edition(out, before=edition)
        changes = ch.compare(compared[1], snap, rset.marking) if compared else None
        packs.append(_write_set(pack, out, staging, rset, changes, printer, edition, built_at,
                                {} if force else before))
    _sweep_sets(out, {s.slug for s in sets})
    return packs, snap


def _fingerprint(pack: Pack, rset: ReleaseSet, changes, edition: str, built_at: str) -> str:
    shown = [{k: v for k, v in r.items() if k not in VOLATILE} for r in rset.records]
    templates = [(p.name, hashlib.sha256(p.read_bytes()).hexdigest())
                 for p in sorted(TEMPLATES.glob("*.j2")) + sorted(TEMPLATES.glob("*.css"))
                 + [TEMPLATES / "briefing" / "briefing.css"]]
    cover = [pack.title, pack.publisher, pack.issuing_division, pack.contact_officer, pack.approver]
    body = json.dumps([__version__, shown, changes, cover, edition, built_at, templates], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _write_set(pack: Pack, out: Path, staging: Path, rset: ReleaseSet, changes: dict | None,
               printer: Callable | None, edition: str, built_at: str, before: dict) -> dict:
    from .combined import print_pack
    from .index import index_html

    folder = out / rset.slug
    folder.mkdir(exist_ok=True)
    digest = _fingerprint(pack, rset, changes, edition, built_at)
    record = {"marking": rset.marking, "index": f"{rset.slug}/index.html", "pdf": None, "briefs": rset.ids,
              "changes": None, "since": changes["since"] if changes else None, "input_hash": digest,
              "front_pages": before.get("front_pages")}
    pdf = folder / rset.pdf_name
    same = before.get("input_hash") == digest
    keep = {"index.html"}
    for r in rset.records:
        for name in (r.get("outputs") or {}).values():
            if (out / name).is_file():
                _link(out / name, folder / name, staging)
                keep.add(name)
    if changes is not None:
        files.atomic_write(folder / "changes.json", json.dumps(changes, indent=2, ensure_ascii=False) + "\n", staging)
        record["changes"] = f"{rset.slug}/changes.json"
        keep.add("changes.json")
    if same and pdf.is_file():
        record["pdf"] = f"{rset.slug}/{rset.pdf_name}"
    elif printer is not None and any((r.get("outputs") or {}).get("html") for r in rset.records):
        record["front_pages"] = print_pack(printer, pack, out, staging, rset, changes, pdf,
                                           edition=edition, built_at=built_at)
        record["pdf"] = f"{rset.slug}/{rset.pdf_name}"
    if record["pdf"]:
        keep.add(rset.pdf_name)
    files.atomic_write(folder / "index.html", index_html(pack, rset.records, release=record, changes=changes,
                                                       edition=edition), staging)
    for entry in folder.iterdir():
        if entry.name not in keep and entry.is_file():
            entry.unlink(missing_ok=True)
    return record


def _link(source: Path, target: Path, staging: Path) -> None:
    """``target`` as a hard link to ``source`` (a copy where links are impossible), atomically."""
    try:
        if target.exists() and os.path.samefile(source, target):
            return
    except OSError:
        pass
    tmp = files.temp_path(target, staging)
    tmp.unlink(missing_ok=True)  # temp_path reserves the name by creating the file
    try:
        os.link(source, tmp)
    except OSError:
        import shutil

        shutil.copy2(source, tmp)
    os.replace(tmp, target)


def _sweep_sets(out: Path, wanted: set[str]) -> None:
    """Remove set folders of markings no brief has any more (a set of one marking only)."""
    import shutil

    for m in markings.ORDER:
        name = slug(m)
        folder = out / name
        if name not in wanted and folder.is_dir() and not folder.is_symlink() and (folder / "index.html").is_file():
            shutil.rmtree(folder, ignore_errors=True)


def issued_text(edition: str, built_at: str) -> tuple[str, str]:
    """(edition label, issue line) for a cover: an edition's date, or a working build's."""
    if edition:
        return f"Edition of {human_date(edition)}", f"Issued {human_date(edition)}"
    built = human_date(built_at[:10]) if built_at[:1].isdigit() else "on a date not recorded"
    return "Working build (not an issued edition)", f"Built {built}"
