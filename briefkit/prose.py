"""Prose, key points and tables for briefings, with every data value escaped.

The template of :func:`md` is trusted Markdown written by the analyst; the values are data and
are never interpreted: a ``<script>``, ``**`` or ``[x](y)`` in a data field shows up literally.
This works by formatting the template with placeholder tokens, rendering the Markdown, and only
then putting the HTML-escaped values in place of the tokens, so values never reach the Markdown
parser at all::

    md("The level has been **{level}** since {date}.", level=row.level, date=fmt_date(row.since))

Each ``show``-style function displays HTML in the notebook and returns ``None`` (so a call at the
end of a cell is not displayed twice); the ``*_html`` twins return the markup for tests and
other callers.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

MISSING = "\u2014"  # em dash for a value the data does not have
UNVERIFIED_TITLE = "Not confirmed against an authoritative source; treat with caution"


class Safe(str):
    """Text that is already safe HTML (made by briefkit itself); :func:`md` inserts it as is."""

    __slots__ = ()


def escape(value: Any) -> str:
    """``value`` as text safe to put in HTML (``Safe`` values pass through)."""
    if isinstance(value, Safe):
        return str(value)
    return html.escape("" if value is None else str(value), quote=True)


def unverified_flag(title: str = UNVERIFIED_TITLE) -> Safe:
    """The pack's visible "unverified" marker, for prose or tables."""
    return Safe(
        f'<span class="bk-unverified" title="{html.escape(title)}">unverified</span>'
    )


# --------------------------------------------------------------------------- formatting

def _is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas NA (and False for any text, even empty)."""
    if value is None:
        return True
    if isinstance(value, str | bytes | Safe):
        return False
    try:
        result = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return bool(result) if isinstance(result, bool) or getattr(result, "ndim", 1) == 0 else False


def fmt_int(value: Any) -> str:
    """``12345 -> "12,345"``; missing values -> an em dash."""
    if _is_missing(value):
        return MISSING
    return f"{int(round(float(value))):,}"


def fmt_num(value: Any, digits: int = 1) -> str:
    """A number with thousands separators and ``digits`` decimals (trailing ``.0`` dropped)."""
    if _is_missing(value):
        return MISSING
    number = float(value)
    if number == round(number) and digits >= 0:
        return f"{int(round(number)):,}"
    return f"{number:,.{digits}f}"


def fmt_percent(value: Any, digits: int = 0) -> str:
    """A fraction as a percentage: ``0.256 -> "26%"``."""
    if _is_missing(value):
        return MISSING
    return f"{float(value) * 100:.{digits}f}%"


_PRECISIONS = ("day", "month", "year")


def _precision(precision: Any) -> str:
    text = "" if _is_missing(precision) else str(precision).strip().lower()
    for name in ("year", "month", "day"):
        if text.startswith(name):
            return name
    if text in ("", "approx", "exact", "date") or text.startswith("approx"):
        return "day"
    raise ValueError(f"Unknown date precision {precision!r}: use one of {', '.join(_PRECISIONS)}.")


def fmt_date(value: Any, precision: str = "day") -> str:
    """A date in NZ style at its known precision: ``15 March 2019``, ``March 2019``, ``2019``.

    ``precision`` may also be a data value such as ``"day(inferred)"`` or ``"approx"``
    (read as day precision). Missing dates give an em dash.
    """
    if _is_missing(value):
        return MISSING
    prec = _precision(precision)
    if isinstance(value, int | float) and not isinstance(value, bool):
        ts = pd.Timestamp(year=int(value), month=1, day=1)
        prec = "year"
    else:
        ts = pd.Timestamp(value)
    if prec == "year":
        return f"{ts.year}"
    if prec == "month":
        return f"{ts:%B} {ts.year}"
    return f"{ts.day} {ts:%B} {ts.year}"


def fmt_list(items: Iterable[Any], conjunction: str = "and") -> str:
    """``["a", "b", "c"] -> "a, b and c"`` (NZ style: no serial comma)."""
    words = [str(i) for i in items if not _is_missing(i) and str(i) != ""]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def plural(count: Any, singular: str, plural_form: str | None = None) -> str:
    """``plural(3, "operation") -> "3 operations"``; ``plural(1, "treaty", "treaties")``."""
    n = int(count)
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{fmt_int(n)} {word}"


# --------------------------------------------------------------------------- prose

_TOKEN = "ZqBkV{}VkBqZ"
_TOKEN_RE = re.compile(r"ZqBkV(\d+)VkBqZ")


class _Collector(string.Formatter):
    def __init__(self) -> None:
        self.values: list[str] = []

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Safe) and not format_spec:
            text = str(value)
        else:
            if _is_missing(value) and not format_spec:
                value = MISSING
            text = escape(super().format_field(value, format_spec))
        self.values.append(text)
        return _TOKEN.format(len(self.values) - 1)


def _markdown() -> Callable[[str], str]:
    import mistune

    return mistune.create_markdown(escape=False, plugins=["strikethrough"])


def md_html(template: str, /, **values: Any) -> str:
    """Render trusted Markdown ``template`` with escaped ``values`` to HTML."""
    if "ZqBkV" in template:
        raise ValueError("The template contains briefkit's reserved placeholder text 'ZqBkV'.")
    collector = _Collector()
    try:
        filled = collector.vformat(template, (), values)
    except KeyError as exc:
        raise KeyError(
            f"The prose template uses {{{exc.args[0]}}} but no value was given for it: "
            f"pass {exc.args[0]}=... to md()."
        ) from exc
    rendered = _markdown()(filled).strip()
    return _TOKEN_RE.sub(lambda m: collector.values[int(m.group(1))], rendered)


def md(template: str, /, **values: Any) -> None:
    """Display Markdown prose in which every ``{value}`` is escaped data.

    Format specs work as in ``str.format`` (``{n:,}``); missing values show as an em dash.
    Pass ``unverified_flag()`` as a value to show the pack's "unverified" marker.
    """
    from IPython.display import HTML, display

    display(HTML(md_html(template, **values)))


def key_points_html(points: Sequence[str]) -> str:
    """The key-points box: 3 to 5 plain-text points, escaped."""
    if isinstance(points, str) or not isinstance(points, Sequence):
        raise ValueError("key_points() takes a list of 3 to 5 strings.")
    items = [" ".join(str(p).split()) for p in points]
    if not 3 <= len(items) <= 5:
        raise ValueError(f"A brief opens with 3 to 5 key points; {len(items)} were given.")
    if any(not item for item in items):
        raise ValueError("A key point is empty.")
    lis = "".join(f"<li>{escape(item)}</li>" for item in items)
    return f'<section class="key-points"><h2>Key points</h2><ul>{lis}</ul></section>'


def key_points(points: Sequence[str]) -> None:
    """Display the brief's key points (3 to 5, computed from data, shown as plain text)."""
    from IPython.display import HTML, display

    display(HTML(key_points_html(points)))


# --------------------------------------------------------------------------- tables

FormatSpec = str | Callable[[Any], str] | tuple
MAX_COLUMNS = 8  # more than this does not fit an A4 portrait page legibly
_LONG_TEXT = 40
_SHORT_TEXT = 16
KEEP_TOGETHER_ROWS = 8


def _default_header(col: str) -> str:
    text = str(col).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _formatter(series: pd.Series, spec: FormatSpec | None) -> Callable[[Any, Mapping], str]:
    """A function ``(value, row) -> str`` for one column."""
    if callable(spec):
        return lambda v, _row: MISSING if _is_missing(v) else str(spec(v))
    if isinstance(spec, tuple):  # ("date", "precision_column")
        kind, column = spec
        if not str(kind).startswith("date"):
            raise ValueError(f"Format tuples are ('date', precision_column); got {spec!r}.")
        return lambda v, row: fmt_date(v, row.get(column, "day") if not _is_missing(row.get(column)) else "day")
    if spec is None:
        dtype = series.dtype
        if pd.api.types.is_bool_dtype(dtype):
            spec = "yesno"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            spec = "date"
        elif pd.api.types.is_integer_dtype(dtype):
            spec = "int"
        elif pd.api.types.is_float_dtype(dtype):
            spec = "num"
        else:
            spec = "text"
    if spec == "text":
        return lambda v, _row: MISSING if _is_missing(v) else str(v)
    if spec == "int":
        return lambda v, _row: fmt_int(v)
    if spec == "num":
        return lambda v, _row: fmt_num(v)
    if spec == "year":
        return lambda v, _row: MISSING if _is_missing(v) else str(int(v))
    if spec == "percent":
        return lambda v, _row: fmt_percent(v)
    if spec == "yesno":
        return lambda v, _row: MISSING if _is_missing(v) else ("Yes" if bool(v) else "No")
    if spec.startswith("date"):
        prec = spec.partition(":")[2] or "day"
        _precision(prec)
        return lambda v, _row: fmt_date(v, prec)
    if "{" in spec:
        return lambda v, _row: MISSING if _is_missing(v) else spec.format(v)
    raise ValueError(
        f"Unknown table format {spec!r}: use text, int, num, year, percent, yesno, date, "
        "date:month, date:year, a '{...}' format string, a function, or ('date', column)."
    )


def _is_numeric_spec(series: pd.Series, spec: FormatSpec | None) -> bool:
    if spec in ("int", "num", "percent") or (isinstance(spec, str) and spec.startswith("{:")):
        return True
    return spec is None and pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def table_html(
    df: pd.DataFrame,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    formats: Mapping[str, FormatSpec] | None = None,
    caption: str | None = None,
    unverified_col: str | None = "verified",
    source: str | None = None,
    empty: str | None = None,
) -> str:
    """The pack's table markup for ``df`` (see :func:`show_table`)."""
    if len(df) == 0 and empty is not None:
        return f'<p class="bk-empty">{escape(empty)}</p>'
    formats = dict(formats or {})
    if columns is None:
        hidden = {"classification", unverified_col}
        columns = {c: _default_header(c) for c in df.columns if c not in hidden}
    elif not isinstance(columns, Mapping):
        columns = {c: _default_header(c) for c in columns}
    missing = [c for c in list(columns) + list(formats) if c not in df.columns]
    if missing:
        raise KeyError(
            f"show_table: no column(s) {', '.join(map(repr, missing))}; "
            f"the table has {', '.join(map(str, df.columns))}."
        )
    if len(columns) > MAX_COLUMNS:
        raise ValueError(
            f"show_table: {len(columns)} columns do not fit an A4 portrait page; "
            f"show at most {MAX_COLUMNS} (choose them with columns={{...}})."
        )
    cols = list(columns)
    fmts = {c: _formatter(df[c], formats.get(c)) for c in cols}
    numeric = {c: _is_numeric_spec(df[c], formats.get(c)) for c in cols}
    long_text = {
        c: (not numeric[c]) and df[c].dropna().astype(str).str.len().max() > _LONG_TEXT
        if len(df[c].dropna()) else False
        for c in cols
    }
    flag_rows = (
        df[unverified_col].map(lambda v: (not _is_missing(v)) and not bool(v)).tolist()
        if unverified_col and unverified_col in df.columns
        else [False] * len(df)
    )

    texts = []
    for _, row in df.iterrows():
        rowmap = row.to_dict()
        texts.append([fmts[c](row[c], rowmap) for c in cols])
    # Short text columns (codes, dates, one-word values) never wrap mid-word.
    short = {
        c: (not numeric[c]) and not long_text[c]
        and max([len(r[j]) for r in texts] + [0]) <= _SHORT_TEXT
        and len(str(columns[c])) <= _SHORT_TEXT
        for j, c in enumerate(cols)
    }

    def cls(c: str) -> str:
        if numeric[c]:
            return ' class="num bk-num"'
        if short[c]:
            return ' class="bk-short"'
        # Wrap between words; break inside a word only when it cannot fit at all.
        return f' class="bk-{"long" if long_text[c] else "text"}"'

    head = "".join(f'<th scope="col"{cls(c)}>{escape(columns[c])}</th>' for c in cols)
    body_rows = []
    # The flag goes in the first text column (a number with a flag beside it reads badly).
    flag_at = next((j for j, c in enumerate(cols) if not numeric[c]), 0)
    for flagged, cells_text in zip(flag_rows, texts):
        cells = []
        for j, c in enumerate(cols):
            text = escape(cells_text[j])
            if not numeric[c] and not short[c]:
                text = text.replace("/", "/<wbr>")  # let "A/B/C" wrap after a slash
            if j == flag_at and flagged:
                text += " " + unverified_flag()
            cells.append(f"<td{cls(c)}>{text}</td>")
        attr = ' class="bk-row-unverified"' if flagged else ""
        body_rows.append(f"<tr{attr}>{''.join(cells)}</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    src = (
        f'<p class="bk-source">Source: {escape(source)}</p>'
        if source else ""
    )
    # A small table is kept on one page (its header never strands at the foot of a page);
    # a table of long text may split between rows rather than leave half a page empty.
    small = len(df) <= KEEP_TOGETHER_ROWS and not any(long_text.values())
    keep = " bk-keep" if small else ""
    return (
        f'<div class="bk-table-wrap{keep}"><table class="bk-table">{cap}'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table>{src}</div>"
    )


def show_table(
    df: pd.DataFrame,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    formats: Mapping[str, FormatSpec] | None = None,
    caption: str | None = None,
    unverified_col: str | None = "verified",
    source: str | None = None,
    empty: str | None = None,
) -> None:
    """Display ``df`` as a briefing table.

    ``columns`` maps column -> readable header (and picks and orders the columns; default:
    every column but ``classification`` and the unverified column). ``formats`` maps column ->
    ``"int"``, ``"num"``, ``"year"``, ``"percent"``, ``"yesno"``, ``"date"``, ``"date:month"``,
    ``"date:year"``, ``("date", "precision_column")``, a ``"{:...}"`` format string, or a
    function; by default dates, integers and floats are formatted from the column's type.
    Rows whose ``unverified_col`` is false carry the "unverified" flag. Every cell is escaped;
    there is no index column. ``source`` adds a source line under the table; ``empty`` is the
    sentence shown instead of a table when ``df`` has no rows.
    """
    from IPython.display import HTML, display

    display(HTML(table_html(df, columns, formats, caption, unverified_col, source, empty)))
