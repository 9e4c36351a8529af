"""Dates as the pack writes them for readers (NZ style): one formatter for both sides.

``long_date`` is used by the kernel side (``bk.fmt_date``) and the build side (title blocks,
indexes, editions), so a date reads the same in a brief's text and around it.
"""

from __future__ import annotations

import datetime as dt


def long_date(day) -> str:
    """A date (or a pandas Timestamp) as '30 November 2022'."""
    return f"{day.day} {day:%B} {day.year}"


def month_year(day) -> str:
    """'November 2022'."""
    return f"{day:%B} {day.year}"


def human_date(iso) -> str:
    """'2022-11-30' → '30 November 2022'; other text is returned as given."""
    try:
        day = dt.date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    return long_date(day)
