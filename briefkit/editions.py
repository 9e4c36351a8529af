"""Dated editions for scheduled builds: ``OUTPUT/editions/YYYY-MM-DD/`` and ``OUTPUT/latest``.

An edition is a frozen copy of the pack's outputs on a day (HTML, PDF, its own index and
manifest). Earlier editions are kept; ``latest`` is a symbolic link swapped atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from . import cache
from .catalogue import Pack


def publish_edition(pack: Pack, out: Path, records: list[dict], date: str) -> Path:
    """Copy the current outputs into ``out/editions/<date>`` (replacing that day's edition whole)."""
    from .build import human_date, write_index
    from .publish import index_html

    editions = out / "editions"
    editions.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{date}-", dir=editions))
    try:
        kept = []
        for record in records:
            for name in (record.get("outputs") or {}).values():
                source = out / name
                if source.is_file():
                    _link_or_copy(source, staging / name)
            kept.append(record)
        manifest = {"pack": pack.title, "edition": date, "briefs": kept}
        cache.atomic_write(staging / cache.MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")
        cache.atomic_write(staging / "index.html", index_html(pack, kept, human_date, edition=date))
        os.chmod(staging, 0o755)
        final = editions / date
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{date}-old-", dir=editions))
            os.replace(final, old / date)
            os.replace(staging, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _point_latest(out, Path("editions") / date)
    write_index(pack, out, records)  # the pack's index lists the editions
    return final


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link when possible (outputs are never edited in place: they are replaced)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _point_latest(out: Path, target: Path) -> None:
    link = out / "latest"
    tmp = out / f".latest-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp, target_is_directory=True)
    os.replace(tmp, link)
