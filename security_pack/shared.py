"""What every domain module of the pack shares: New Zealand's name, the Exhibit record, the
table metadata the notebooks cite (source lines, as-of dates), and small reading helpers.

Source lines and as-of dates read the package's metadata through ``bk.table_info`` (so they work
inside a brief's kernel, where the pack root is known).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

import briefkit as bk

NZ = "New Zealand"


@dataclass
class Exhibit:
    """A chart and what it shows: alt text, caption, and the facts behind them."""

    figure: object
    alt: str
    caption: str
    facts: dict = field(default_factory=dict)


def as_text(series: pd.Series) -> pd.Series:
    """Text of a column whatever its dtype (categorical, string, object), NA kept."""
    return series.astype("string")


def is_true(value) -> bool:
    """``True`` only for a true value; NA and missing count as false."""
    return bool(value) if pd.notna(value) else False


def ordinal(n) -> str:
    """``1 -> "1st"``, ``12 -> "12th"``, ``23 -> "23rd"``."""
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --------------------------------------------------------------------------- table metadata

def source_line(*names: str) -> str:
    """``"RAND Corporation, RAND Database of ...; Global Change Data Lab, Our World in Data"``.

    One entry per distinct source of the named tables, in order; a publisher of "various"
    is left out (the table's rows cite their own sources).
    """
    parts: list[str] = []
    for name in names:
        for src in bk.table_info(name)["sources"]:
            title = str(src.get("title", "")).strip()
            publisher = str(src.get("publisher", "")).strip()
            text = title if not publisher or publisher.lower() == "various" else f"{publisher}, {title}"
            if text and text not in parts:
                parts.append(text)
    return "; ".join(parts) or ", ".join(names)


def as_of(name: str) -> pd.Timestamp:
    """The date the table's figures describe (its ``as_of``), or NaT if it has none."""
    value = bk.table_info(name)["as_of"]
    return pd.Timestamp(value) if value else pd.NaT
