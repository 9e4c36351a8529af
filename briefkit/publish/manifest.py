"""``manifest.json``: one record per brief, for scripts, schedulers, the index and the next build.

Read back with every record checked, so a corrupt or crafted manifest is rebuilt, never
trusted: a record's outputs must be plain file names in the folder, named after its brief.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
OUTPUT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}(\.[a-z0-9-]{1,40})?\.[a-z0-9]{1,8}$")
log = logging.getLogger("briefkit")


def read_manifest(folder: Path, warn: bool = False) -> dict[str, Any]:
    """The previous build's manifest, every record checked; a missing or corrupt one is empty.

    A record is kept only if its id is a brief id and its outputs are plain file names in
    the folder (``outlook.html``): a hand-edited or crafted manifest can never put a path, a
    ``javascript:`` link or another folder's file into the index. With ``warn``, what was
    dropped is logged (the manifest is then rebuilt by this build).
    """
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"briefs": []}
    except (OSError, ValueError) as exc:
        if warn:
            log.warning("%s could not be read (%s); it is rebuilt by this build, and every brief "
                        "is treated as new.", path, exc)
        return {"briefs": []}
    if not isinstance(data, dict) or not isinstance(data.get("briefs"), list):
        if warn:
            log.warning("%s is not a briefkit manifest; it is rebuilt by this build.", path)
        return {"briefs": []}
    records = []
    for record in data["briefs"]:
        clean = _clean_record(record)
        if clean is None:
            if warn:
                log.warning("%s: dropped a record that is not a valid brief record: %.80r", path, record)
            continue
        if warn and clean.get("outputs") != record.get("outputs"):
            log.warning("%s: brief %r: dropped output entries that are not plain file names in the "
                        "folder.", path, clean["id"])
        records.append(clean)
    return {**data, "briefs": records, "packs": [p for p in data.get("packs") or [] if _clean_pack(p)]}


def _clean_pack(record: Any) -> bool:
    """A release set's record is kept only if its paths are the ones the engine makes from its
    marking (``unclassified/index.html``), so a crafted manifest cannot put a link in an index."""
    from ..catalogue import slug
    from ..markings import ORDER

    if not isinstance(record, dict) or record.get("marking") not in ORDER:
        return False
    name = slug(record["marking"])
    return (record.get("index") == f"{name}/index.html"
            and record.get("pdf") in (None, f"{name}/pack-{name}.pdf")
            and record.get("changes") in (None, f"{name}/changes.json")
            and isinstance(record.get("briefs"), list) and all(isinstance(b, str) for b in record["briefs"]))


def _clean_record(record: Any) -> dict | None:
    from ..catalogue import ID_PATTERN

    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not ID_PATTERN.match(record["id"]):
        return None
    for key, value in record.items():
        if not isinstance(key, str) or not isinstance(value, (str, int, float, bool, type(None), dict, list)):
            return None
    outputs = record.get("outputs")
    if outputs is None:
        return record
    if not isinstance(outputs, dict):
        return {**record, "outputs": {}}
    kept = {fmt: name for fmt, name in outputs.items()
            if isinstance(fmt, str) and isinstance(name, str) and OUTPUT_NAME.match(name)
            and name.startswith(record["id"] + ".") and name.endswith("." + fmt)}
    return {**record, "outputs": kept}


