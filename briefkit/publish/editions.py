"""Dated editions for scheduled builds: ``OUTPUT/editions/YYYY-MM-DD/`` and ``OUTPUT/latest``.

An edition is a frozen copy of the pack's outputs on a day (HTML, PDF, its own index and
manifest). Earlier editions are kept. Every switch is one atomic ``rename`` of a symbolic
link, so a crash at any moment leaves each name pointing at a complete edition:

    editions/2026-11-25 -> .v-2026-11-25-k3j2x1   (a hidden folder holding the files)
    latest -> editions/2026-11-25

Rebuilding the same day's edition writes a new hidden folder, swaps the day's link to it,
then removes the old folder. Hidden folders that no link names (left by a killed build) are
swept at the start of the next edition.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from .. import files
from ..catalogue import Pack
from .manifest import MANIFEST

HIDDEN = ".v-"


def publish_edition(pack: Pack, out: Path, records: list[dict], date: str, index_html, staging: Path,
                    packs: list[dict] = (), snapshot: dict | None = None) -> Path:
    """Publish the current outputs as ``out/editions/<date>`` (replacing that day's edition whole).

    ``index_html(records, edition=date)`` renders the edition's own index page. ``packs``: the
    release sets, whose folders are copied too; ``snapshot``: what the edition said, kept as
    ``snapshot.json.gz`` for the next edition's "changes since".
    """
    editions = out / "editions"
    editions.mkdir(parents=True, exist_ok=True)
    sweep(editions)
    work = Path(tempfile.mkdtemp(prefix=f"{HIDDEN}{date}-", dir=staging))
    try:
        kept = []
        for record in records:
            for name in (record.get("outputs") or {}).values():
                source = out / name
                if source.is_file():
                    _link_or_copy(source, work / name)
            kept.append(record)
        for record in packs:
            name = str(record.get("index", "")).partition("/")[0]
            source = out / name
            if name and not name.startswith(".") and source.is_dir() and not source.is_symlink():
                (work / name).mkdir()
                for entry in source.iterdir():
                    if entry.is_file() and not entry.is_symlink():
                        _link_or_copy(entry, work / name / entry.name)
        if snapshot:
            from .changes import write_snapshot

            write_snapshot(work, {**snapshot, "date": date})
        manifest = {"pack": pack.title, "edition": date, "briefs": kept, "packs": list(packs)}
        files.atomic_write(work / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n", staging)
        files.atomic_write(work / "index.html", index_html(kept, edition=date), staging)
        os.chmod(work, 0o755)
        folder = editions / work.name
        os.replace(work, folder)  # same filesystem: the staging folder is inside out/
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    day = editions / date
    old = _target(day)
    if day.is_dir() and not day.is_symlink():  # an edition written by an older briefkit
        legacy = editions / f"{HIDDEN}{date}-legacy"
        shutil.rmtree(legacy, ignore_errors=True)
        os.replace(day, legacy)
        old = legacy
    swap_link(day, folder.name)
    swap_link(out / "latest", f"editions/{date}")
    if old is not None and old != folder:
        shutil.rmtree(old, ignore_errors=True)
    return day


def swap_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically (a new link renamed over the old one)."""
    tmp = link.parent / f".{link.name}.{os.getpid()}.link"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp, target_is_directory=True)
    os.replace(tmp, link)


def sweep(editions: Path) -> None:
    """Remove hidden edition folders and temporary links that no day's link names."""
    named = {t.name for day in editions.iterdir() if day.is_symlink() and (t := _target(day)) is not None}
    for entry in editions.iterdir():
        if entry.name.startswith(HIDDEN) and entry.name not in named and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(".") and entry.name.endswith(".link") and entry.is_symlink():
            entry.unlink(missing_ok=True)


def list_editions(out: Path) -> list[str]:
    """Dated editions under ``out/editions`` that point at a complete folder, newest first."""
    folder = out / "editions"
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir()
                   if not p.name.startswith(".") and (p / "index.html").is_file()), reverse=True)


def _target(link: Path) -> Path | None:
    if not link.is_symlink():
        return None
    return link.parent / os.readlink(link)


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link when possible (outputs are never edited in place: they are replaced)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
