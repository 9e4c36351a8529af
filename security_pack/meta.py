"""What the data package says about its tables: source lines and as-of dates.

These read the package's metadata through ``briefkit.data.load()`` (so they work inside a
brief's kernel, where the pack root is known).
"""

from __future__ import annotations

import pandas as pd


def _resources() -> dict:
    from briefkit import data

    return data.load().resources


def source_line(*names: str) -> str:
    """``"RAND Corporation, RAND Database of ...; Global Change Data Lab, Our World in Data"``.

    One entry per distinct source of the named tables, in order; a publisher of "various"
    is left out (the table's rows cite their own sources).
    """
    resources = _resources()
    parts: list[str] = []
    for name in names:
        if name not in resources:
            raise KeyError(f"No table {name!r} in the data package.")
        for src in resources[name].get("sources", []):
            title = str(src.get("title", "")).strip()
            publisher = str(src.get("publisher", "")).strip()
            text = title if not publisher or publisher.lower() == "various" else f"{publisher}, {title}"
            if text and text not in parts:
                parts.append(text)
    return "; ".join(parts) or ", ".join(names)


def as_of(name: str) -> pd.Timestamp:
    """The date the table's figures describe (its ``as_of``), or NaT if it has none."""
    value = _resources()[name].get("as_of")
    return pd.Timestamp(value) if value else pd.NaT
