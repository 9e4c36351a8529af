"""Analysts' judgements due for review: the rows of ``data/judgements.csv`` past their
``review_by`` date, for ``build.py --check`` (they are still shown, marked as overdue)."""

from __future__ import annotations

import csv
import datetime as dt

from ..catalogue import Pack

TABLE = "judgements.csv"


def overdue(pack: Pack, today: dt.date | None = None) -> list[dict]:
    """Rows past their review-by date, oldest first, and rows naming a brief not in pack.yml."""
    path = pack.data.parent / TABLE
    if not path.is_file():
        return []
    today = today or dt.date.today()
    ids = {b.id for b in pack.briefs}
    found = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                due = dt.date.fromisoformat(row.get("review_by", ""))
            except ValueError:
                continue  # the data check reports it
            unknown = row.get("brief_id") not in ids
            if due < today or unknown:
                found.append({**row, "due": due, "unknown_brief": unknown})
    return sorted(found, key=lambda r: (r["due"], r.get("judgement_id", "")))
