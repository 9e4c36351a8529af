"""What a brief says in short: its key points, its bottom line and its headline figures.

A notebook's ``bk.key_points([...], bottom_line=0, figures={...})`` records them in the
executed notebook (an output of type :data:`briefkit.nb.sources.KEY_POINTS_MIME`); the build
copies them into the brief's manifest record, from which the pack's "at a glance" page and
each edition's snapshot are made.
"""

from __future__ import annotations

import json

KEYS = ("key_points", "bottom_line", "figures")


def brief_summary(nb) -> dict:
    """``{"key_points": [...], "bottom_line": str | None, "figures": {...}}`` of an executed
    notebook; empty lists and None when the notebook called no ``bk.key_points``."""
    from ..nb.sources import KEY_POINTS_MIME

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            value = output.get("data", {}).get(KEY_POINTS_MIME)
            if value is None:
                continue
            record = json.loads(value) if isinstance(value, str) else dict(value)
            return {"key_points": [str(p) for p in record.get("points") or []],
                    "bottom_line": record.get("bottom_line") or None,
                    "figures": dict(record.get("figures") or {})}
    return {"key_points": [], "bottom_line": None, "figures": {}}
