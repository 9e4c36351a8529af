"""What changed since the last edition: snapshots of what an edition said, and their comparison.

Each edition keeps a compact snapshot (``editions/<date>/snapshot.json.gz``): every data
table's hash, primary key and rows (as the CSV has them, each with its marking), and each
brief's title, marking, key points, bottom line and headline figures. A build compares the
snapshot of what it publishes with the previous edition's:

- per table: rows added, removed and changed (by primary key), with the old and new value of
  every changed field;
- per brief: key points added, removed and changed, the figures that moved ("LOW → MEDIUM",
  "343 → 361"), and briefs added to or removed from the set.

Comparison is always made *at a marking*: rows and briefs above it are dropped from both
sides before anything is compared, so a release set's changes never name, show or count
them (a row re-marked above the set simply leaves it, as if removed).
"""

from __future__ import annotations

import csv
import difflib
import gzip
import hashlib
import io
import json
import re
from pathlib import Path

from .. import markings

SNAPSHOT = "snapshot.json.gz"
FORMAT = "briefkit-edition-snapshot"
VERSION = 1
SHOWN_ROWS = 25  # per table and kind on a changes page; changes.json holds every row


# ------------------------------------------------------------------------------ snapshots


def data_snapshot(descriptor: Path) -> dict:
    """Every table of the data package at ``descriptor``: hash, title, key, fields and rows."""
    import yaml

    from ..data.validate import yaml_loader

    if not descriptor.is_file():
        return {}
    package = yaml.load(descriptor.read_text(encoding="utf-8"), Loader=yaml_loader()) or {}
    tables = {}
    for res in package.get("resources") or []:
        path = descriptor.parent / str(res.get("path", ""))
        if not path.is_file() or path.is_symlink():
            continue
        blob = path.read_bytes()
        reader = csv.reader(io.StringIO(blob.decode("utf-8-sig")))
        fields = next(reader, [])
        key = (res.get("schema") or {}).get("primaryKey") or []
        key = [key] if isinstance(key, str) else list(key)
        tables[str(res["name"])] = {
            "title": str(res.get("title") or res["name"]),
            "hash": hashlib.sha256(blob).hexdigest(),
            "key": [k for k in key if k in fields] or list(fields),
            "fields": fields,
            "rows": [row for row in reader if row],
        }
    return tables


def brief_snapshot(records: list[dict]) -> dict:
    """Each catalogue brief's title, marking and summary, from the manifest's records."""
    out = {}
    for r in records:
        if (r.get("stem") or r["id"]) != r["id"]:
            continue  # a marking variant (outlook.restricted) is not part of an edition's set
        out[r["id"]] = {"title": r.get("title", r["id"]), "marking": r.get("marking", markings.DEFAULT),
                        "key_points": list(r.get("key_points") or []), "bottom_line": r.get("bottom_line"),
                        "figures": dict(r.get("figures") or {})}
    return out


def snapshot(descriptor: Path, records: list[dict], date: str) -> dict:
    return {"format": FORMAT, "version": VERSION, "date": date,
            "tables": data_snapshot(descriptor), "briefs": brief_snapshot(records)}


def write_snapshot(folder: Path, snap: dict) -> None:
    """``folder/snapshot.json.gz``, byte for byte the same for the same snapshot."""
    body = json.dumps(snap, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as fh:
        fh.write(body)
    (folder / SNAPSHOT).write_bytes(buffer.getvalue())


def read_snapshot(folder: Path) -> dict | None:
    """An edition's snapshot, or None if it has none (made before snapshots) or it is unreadable."""
    try:
        snap = json.loads(gzip.decompress((folder / SNAPSHOT).read_bytes()))
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(snap, dict) or snap.get("format") != FORMAT or snap.get("version") != VERSION:
        return None
    return snap


def previous_edition(out: Path, before: str = "", since: str = "") -> tuple[str, dict] | None:
    """The edition to compare with, and its snapshot: ``since`` if given, else the newest edition
    dated before ``before`` (any, when ``before`` is empty). None when there is none."""
    from .editions import list_editions

    for day in list_editions(out):
        if since and day != since:
            continue
        if not since and before and day >= before:
            continue
        snap = read_snapshot(out / "editions" / day)
        if snap is not None:
            return day, snap
        if since:
            return None
    return None


# ------------------------------------------------------------------------------ comparing


def _visible(marking: str, ceiling: int) -> bool:
    try:
        return markings.rank(marking) <= ceiling
    except ValueError:
        return False  # an unknown marking is never shown


def compare(old: dict, new: dict, marking: str) -> dict:
    """What changed from snapshot ``old`` to ``new``, seen at ``marking``."""
    ceiling = markings.rank(marking)
    return {
        "marking": marking,
        "since": old.get("date", ""),
        "until": new.get("date", ""),
        "briefs": _compare_briefs(old.get("briefs") or {}, new.get("briefs") or {}, ceiling),
        "tables": [t for name in sorted(set(old.get("tables") or {}) | set(new.get("tables") or {}))
                   if (t := _compare_table(name, (old.get("tables") or {}).get(name),
                                           (new.get("tables") or {}).get(name), ceiling))],
    }


def _compare_briefs(old: dict, new: dict, ceiling: int) -> dict:
    old = {k: v for k, v in old.items() if _visible(v.get("marking", ""), ceiling)}
    new = {k: v for k, v in new.items() if _visible(v.get("marking", ""), ceiling)}
    changed = []
    for brief_id in [i for i in new if i in old]:
        before, after = old[brief_id], new[brief_id]
        points = _compare_points(before.get("key_points") or [], after.get("key_points") or [])
        figures = _moved_figures(before.get("figures") or {}, after.get("figures") or {})
        named = {(str(f["old"]), str(f["new"])) for f in figures}
        for pair in points["changed"]:  # figures the brief does not name, read from its points
            figures += [f for f in _moved_words(pair["old"], pair["new"]) if (f["old"], f["new"]) not in named]
            named |= {(f["old"], f["new"]) for f in figures}
        bottom = None
        pair = {"old": before.get("bottom_line"), "new": after.get("bottom_line")}
        if (pair["old"] or None) != (pair["new"] or None) and pair not in points["changed"]:
            bottom = {"old": before.get("bottom_line"), "new": after.get("bottom_line")}
        if any(points.values()) or figures or bottom:
            changed.append({"id": brief_id, "title": after.get("title", brief_id), "key_points": points,
                            "figures": figures, "bottom_line": bottom})
    return {
        "added": [{"id": i, "title": v.get("title", i)} for i, v in new.items() if i not in old],
        "removed": [{"id": i, "title": v.get("title", i)} for i, v in old.items() if i not in new],
        "changed": changed,
    }


def _compare_points(old: list[str], new: list[str]) -> dict:
    """Key points added, removed, and changed (an old point paired with its closest new one)."""
    gone = [p for p in old if p not in new]
    came = [p for p in new if p not in old]
    changed = []
    for point in list(gone):
        if not came:
            break
        best = max(came, key=lambda c: difflib.SequenceMatcher(None, point, c).ratio())
        if difflib.SequenceMatcher(None, point, best).ratio() >= 0.5:
            changed.append({"old": point, "new": best})
            gone.remove(point)
            came.remove(best)
    return {"added": came, "removed": gone, "changed": changed}


def _moved_figures(old: dict, new: dict) -> list[dict]:
    return [{"name": name, "old": old.get(name), "new": new.get(name)}
            for name in [*old, *[n for n in new if n not in old]] if old.get(name) != new.get(name)]


_WORD = re.compile(r"[A-Za-z]+(?:[-'][A-Za-z]+)*|\d[\d,]*(?:\.\d+)?%?")


def _moved_words(old: str, new: str) -> list[dict]:
    """The figures that differ between two versions of a key point: numbers, and words in
    capitals (levels such as LOW or MEDIUM), e.g. ``{"name": "", "old": "343", "new": "361"}``."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    moved = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "replace":
            continue
        before, after = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if any(_figure(w) for w in a[i1:i2] + b[j1:j2]):
            context = " ".join(a[max(0, i1 - 3):i1])
            moved.append({"name": context, "old": before, "new": after})
    return moved


def _figure(word: str) -> bool:
    return bool(re.match(r"\d", word)) or (len(word) > 1 and word.isupper())


def _compare_table(name: str, old: dict | None, new: dict | None, ceiling: int) -> dict | None:
    if old and new and old.get("hash") == new.get("hash"):
        return None
    ref = new or old
    key = list(ref.get("key") or [])
    rows_old, rows_new = _rows(old, key, ceiling), _rows(new, key, ceiling)
    added = [row for k, row in rows_new.items() if k not in rows_old]
    removed = [row for k, row in rows_old.items() if k not in rows_new]
    changed = []
    for k, row in rows_new.items():
        before = rows_old.get(k)
        if before is None or before == row:
            continue
        fields = {f: {"old": before.get(f, ""), "new": value} for f, value in row.items() if before.get(f, "") != value}
        fields.update({f: {"old": value, "new": ""} for f, value in before.items() if f not in row and value})
        changed.append({"key": {f: row.get(f, "") for f in key}, "fields": fields})
    if not (added or removed or changed):
        return None  # nothing at or below the marking moved (not even the table's name is shown)
    return {"table": name, "title": ref.get("title", name), "key": key,
            "status": "added" if old is None else "removed" if new is None else "changed",
            "added": added, "removed": removed, "changed": changed}


def _rows(table: dict | None, key: list[str], ceiling: int) -> dict[str, dict]:
    """A table's rows at or below the marking, by primary key (as a JSON text)."""
    if not table:
        return {}
    fields = table.get("fields") or []
    out = {}
    for values in table.get("rows") or []:
        row = dict(zip(fields, values))
        if not _visible(row.get("classification", markings.DEFAULT) or markings.DEFAULT, ceiling):
            continue
        out[json.dumps([row.get(f, "") for f in key])] = row
    return out


def is_empty(changes: dict) -> bool:
    briefs = changes.get("briefs") or {}
    return not (changes.get("tables") or briefs.get("added") or briefs.get("removed") or briefs.get("changed"))


# ------------------------------------------------------------------------------ telling it


def key_text(key: dict) -> str:
    return " / ".join(str(v) for v in key.values()) or "(row)"


def headlines(changes: dict | None, limit: int = 8) -> list[str]:
    """Short sentences for the "at a glance" page, most telling first."""
    if not changes:
        return []
    lines = []
    briefs = changes["briefs"]
    if briefs["added"]:
        lines.append("New brief" + ("s" if len(briefs["added"]) > 1 else "") + ": "
                     + ", ".join(b["title"] for b in briefs["added"]) + ".")
    if briefs["removed"]:
        lines.append("No longer in the pack: " + ", ".join(b["title"] for b in briefs["removed"]) + ".")
    for b in briefs["changed"]:
        if b["figures"]:
            moved = "; ".join(f"{(f['name'] + ' ') if f['name'] else ''}{f['old']} \u2192 {f['new']}"
                              for f in b["figures"][:3])
            lines.append(f"{b['title']}: {moved}.")
        else:
            n = sum(len(v) for v in b["key_points"].values())
            lines.append(f"{b['title']}: {n} key point{'s' if n != 1 else ''} changed.")
    for t in changes["tables"]:
        counts = [f"{len(t[k])} row{'s' if len(t[k]) != 1 else ''} {k}" for k in ("added", "removed", "changed") if t[k]]
        example = ""
        if t["changed"]:
            first = t["changed"][0]
            field, values = next(iter(first["fields"].items()))
            example = f" ({key_text(first['key'])}: {field} {_short(values['old'])} \u2192 {_short(values['new'])})"
        lines.append(f"Data, {t['title']}: {', '.join(counts)}{example}.")
    if len(lines) > limit:
        lines = lines[: limit - 1] + [f"And {len(lines) - limit + 1} more changes: see \u201cChanges since\u201d."]
    return lines


def _short(value, width: int = 60) -> str:
    text = " ".join(str(value).split()) or "(blank)"
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def as_text(changes: dict | None, since: str = "") -> list[str]:
    """The changes as lines for a terminal (``build.py --changes``)."""
    if changes is None:
        return [f"No edition {since} with a snapshot to compare with." if since else
                "No earlier edition to compare with: editions are written by python build.py --edition."]
    lines = [f"Changes since the edition of {changes['since']}, seen at {changes['marking']}:"]
    if is_empty(changes):
        return lines + ["  nothing has changed."]
    briefs = changes["briefs"]
    for b in briefs["added"]:
        lines.append(f"  brief added:   {b['id']} ({b['title']})")
    for b in briefs["removed"]:
        lines.append(f"  brief removed: {b['id']} ({b['title']})")
    for b in briefs["changed"]:
        lines.append(f"  brief {b['id']} ({b['title']}):")
        for f in b["figures"]:
            lines.append(f"    figure moved: {(f['name'] + ': ') if f['name'] else ''}{f['old']} -> {f['new']}")
        for p in b["key_points"]["added"]:
            lines.append(f"    key point added:   {p}")
        for p in b["key_points"]["removed"]:
            lines.append(f"    key point removed: {p}")
        for p in b["key_points"]["changed"]:
            lines.append(f"    key point changed: {p['old']}\n                    -> {p['new']}")
    for t in changes["tables"]:
        lines.append(f"  table {t['table']} ({t['title']}), key {', '.join(t['key'])}:")
        for row in t["added"]:
            lines.append(f"    row added:   {key_text({k: row.get(k, '') for k in t['key']})}")
        for row in t["removed"]:
            lines.append(f"    row removed: {key_text({k: row.get(k, '') for k in t['key']})}")
        for row in t["changed"]:
            lines.append(f"    row {key_text(row['key'])} changed:")
            for field, values in row["fields"].items():
                lines.append(f"      {field}: {_short(values['old'], 70)} -> {_short(values['new'], 70)}")
    return lines
