"""Prose, key points and tables for briefings: data is never markup.

Markup safety is by type, as in Jinja: text that is already safe HTML is a
:class:`markupsafe.Markup`, made only by the engine itself (this module, ``charts``, the
template); every other ``str`` that reaches HTML is data and is escaped. Every function here
that returns HTML returns ``Markup``; the helpers that turn data into text (``fmt_*``,
``plural``, and the content side's sentence builders) return plain ``str``, which the sinks
escape.

The template of :func:`md` is written by the analyst, as a string literal in the notebook. A
plain ``str`` template is Markdown whose HTML special characters show literally (no raw HTML,
links only to http, https and mailto, no images); its ``{fields}`` take values, which are data
and are never interpreted: a ``<script>``, ``**``, ``[x](y)`` or ``{0}`` in a value shows up
literally. This works by formatting the template with placeholder tokens, rendering the
Markdown, and only then putting the HTML-escaped values in place of the tokens, so values never
reach the Markdown parser or ``str.format``::

    md("The level has been **{level}** since {date}.", level=row.level, date=fmt_date(row.since))

Never pass data as the template (``md(sentence + "...")``): pass it as a value
(``md("{sentence} ...", sentence=...)``). A ``Markup`` template is trusted HTML (no Markdown);
without values it is used as it is, never formatted again.

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
from urllib.parse import unquote

import pandas as pd
from markupsafe import Markup
from markupsafe import escape as _escape

from ..dates import long_date, month_year

MISSING = "\u2014"  # em dash for a value the data does not have
UNVERIFIED_TITLE = "Not confirmed against an authoritative source; treat with caution"


def escape(value: Any) -> Markup:
    """``value`` as markup safe to put in HTML: text is escaped, ``Markup`` passes through."""
    return Markup("") if value is None else _escape(value)


def unverified_flag(title: str = UNVERIFIED_TITLE) -> Markup:
    """The pack's visible "unverified" marker, for prose or tables."""
    return Markup('<span class="bk-unverified" title="{}">unverified</span>').format(title)


# --------------------------------------------------------------------------- formatting

def _is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas NA (and False for any text, even empty)."""
    if value is None:
        return True
    if isinstance(value, str | bytes):
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
    """A fraction as a percentage: ``0.256 -> "26%"``; a share too small to show at ``digits``
    is "<0.1%" (or "<1%"), never "0.0%", which would say there is none."""
    if _is_missing(value):
        return MISSING
    pct = float(value) * 100
    smallest = 10 ** -digits
    if 0 < abs(pct) < smallest / 2:
        return f"{'<' if pct > 0 else '>-'}{smallest:.{digits}f}%"
    return f"{pct:.{digits}f}%"


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

    ``precision`` may also be a data value such as ``"day(inferred)"``, or ``"approx"``: a day
    that is only approximately known reads "about 18 January 2024". Missing dates give an em dash.
    """
    if _is_missing(value):
        return MISSING
    prec = _precision(precision)
    if str(precision).strip().lower().startswith("approx"):
        return "about " + fmt_date(value, "day")
    if isinstance(value, int | float) and not isinstance(value, bool):
        ts = pd.Timestamp(year=int(value), month=1, day=1)
        prec = "year"
    else:
        ts = pd.Timestamp(value)
    if prec == "year":
        return f"{ts.year}"
    if prec == "month":
        return month_year(ts)
    return long_date(ts)


def fmt_list(items: Iterable[Any], conjunction: str = "and") -> str:
    """``["a", "b", "c"] -> "a, b and c"`` (NZ style: no serial comma).

    Text items give text; if any item is ``Markup`` the result is ``Markup`` (the other items
    escaped), so markup is never flattened into text and escaped twice.
    """
    items = [i for i in items if not _is_missing(i) and str(i) != ""]
    if any(isinstance(i, Markup) for i in items):
        words: list = [escape(i) for i in items]
        join, last = Markup(", ").join, Markup(" {} ").format(conjunction)
    else:
        words = [str(i) for i in items]
        join, last = ", ".join, f" {conjunction} "
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return join(words[:-1]) + last + words[-1]


def plural(count: Any, singular: str, plural_form: str | None = None) -> str:
    """``plural(3, "operation") -> "3 operations"``; ``plural(1, "treaty", "treaties")``."""
    n = int(count)
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{fmt_int(n)} {word}"


_IRREGULAR = {"people": "person", "personnel": "personnel", "deaths": "death", "series": "series"}
_MONEY = {"NZD": "NZ$", "AUD": "A$", "USD": "US$"}
_SCALE = {"million": "m", "billion": "bn", "thousand": "k"}


def fmt_quantity(value: Any, unit: str = "", measure: str = "", digits: int = 1) -> str:
    """A value with its unit and, if given, its measure, as a reader expects them:

    ``fmt_quantity(16.7, "NZD million") -> "NZ$16.7m"``, ``fmt_quantity(9576, "warheads",
    "military stockpile") -> "9,576 warheads (military stockpile)"``, ``fmt_quantity(1, "people")
    -> "1 person"``. Units and measures come from the schema (:func:`briefkit.nb.tables.measure_of`).
    Missing values give an em dash, never "nan".
    """
    if _is_missing(value):
        return MISSING
    unit = "" if _is_missing(unit) else str(unit).strip()
    words = unit.split()
    if words and words[0] in _MONEY:
        scale = _SCALE.get(words[1], "") if len(words) > 1 else ""
        text = f"{_MONEY[words[0]]}{fmt_num(value, digits)}{scale}"
    else:
        number = float(value)
        text = fmt_int(number) if number == round(number) else fmt_num(number, digits)
        if unit:
            if number == 1:
                unit = _IRREGULAR.get(unit, unit[:-1] if unit.endswith("s") and not unit.endswith("ss") else unit)
            text = f"{text} {unit}"
    measure = "" if _is_missing(measure) else str(measure).strip()
    return f"{text} ({measure})" if measure else text


def flagged(text: Any, verified: Any = False) -> str | Markup:
    """``text`` carrying the pack's "unverified" flag when ``verified`` is false.

    Flags travel: a value flagged in a table keeps the flag in prose and key points. Returns
    ``Markup`` (text escaped, flag kept) when flagged, else ``text`` unchanged; ``fmt_list``,
    ``md`` values and ``key_points`` keep the flag. A missing ``verified`` (not known) is not a flag.
    """
    if _is_missing(verified) or bool(verified):
        return text
    return escape(text) + Markup(" ") + unverified_flag()


def phrase(template: str, /, **values: Any) -> Markup:
    """One sentence of plain text with ``{fields}``: the template is text (its HTML shown
    literally), each value is escaped unless it is engine ``Markup`` such as a :func:`flagged`
    value, so flags travel into key points. No Markdown, no paragraph."""
    collector = _Collector()
    return collector.put(str(escape(collector.fill(str(template), values))))


def is_flagged(text: Any) -> bool:
    """True when ``text`` carries the "unverified" flag."""
    return isinstance(text, Markup) and 'class="bk-unverified"' in str(text)


def sentence(text: Any) -> str | Markup:
    """``text`` as a sentence: spaces collapsed, first letter capitalised, a full stop at the end.
    Empty text stays empty (so a list of points can drop it)."""
    if _is_missing(text):
        return ""
    is_markup = isinstance(text, Markup)
    body = " ".join(str(text).split())
    if not body or not re.search(r"\w", re.sub(r"<[^>]+>", "", body)):
        return ""
    body = body[:1].upper() + body[1:]
    plain = re.sub(r"<[^>]+>", "", body).rstrip()
    if not plain.endswith((".", "?", "!", ".\u201d", "\u2019")):
        body += "."
    return Markup(body) if is_markup else body


# --------------------------------------------------------------------------- prose

_TOKEN = "ZqBkV{}VkBqZ"
_TOKEN_RE = re.compile(r"ZqBkV(\d+)VkBqZ")
#: Link schemes a template may use; anything else (javascript:, data:, file:, ...) becomes "#".
SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_BLOCK_RE = re.compile(r"^\s*<(p|div|ul|ol|dl|table|section|figure|blockquote|h[1-6]|pre|hr)\b", re.I)


class _Collector(string.Formatter):
    """Formats a template with a token in place of each value, keeping the escaped values."""

    def __init__(self) -> None:
        self.values: list[Markup] = []

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Markup):
            text = Markup(format(str(value), format_spec)) if format_spec else value
        else:
            if _is_missing(value) and not format_spec:
                value = MISSING
            text = escape(super().format_field(value, format_spec))
        self.values.append(text)
        return _TOKEN.format(len(self.values) - 1)

    def fill(self, template: str, values: Mapping[str, Any]) -> str:
        """``template`` with a token for each field (``str.format`` applies to the template only)."""
        if "ZqBkV" in template:
            raise ValueError("The template contains briefkit's reserved placeholder text 'ZqBkV'.")
        try:
            return self.vformat(template, (), values)
        except (KeyError, IndexError) as exc:
            raise KeyError(
                f"The prose template uses {{{exc.args[0] if isinstance(exc, KeyError) else '0'}}} but no value "
                "was given for it: name every field and pass a value for it, e.g. "
                "md('The level is {level}.', level=...). Data is a value, never part of the template."
            ) from exc

    def put(self, marked: str) -> Markup:
        """``marked`` (markup with tokens) with the escaped values in place of the tokens."""
        return Markup(_TOKEN_RE.sub(lambda m: self.values[int(m.group(1))], marked))


def _url_is_safe(url: str) -> bool:
    """True for a relative URL or one whose scheme is in :data:`SAFE_SCHEMES`."""
    # What a browser would see: entities and %-escapes decoded, control characters and
    # whitespace (which browsers drop inside a scheme, "java\tscript:") removed.
    text = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(unquote(url))).lower()
    match = _SCHEME_RE.match(text)
    return match is None or match.group(1) in SAFE_SCHEMES


def _markdown(collector: _Collector) -> Callable[[str], str]:
    """A Markdown renderer that escapes raw HTML, keeps safe links only and fetches no images."""
    import mistune

    class Renderer(mistune.HTMLRenderer):
        def sanitize_url(self, url: str) -> str:
            # A value may stand in the URL: check the URL as it will be once the value is put in.
            filled = _TOKEN_RE.sub(lambda m: str(collector.values[int(m.group(1))].unescape()), url)
            return url if _url_is_safe(filled) else "#"

        def image(self, text: str, url: str, title: str | None = None) -> str:
            return text  # a brief is self-contained: charts go through bk.chart, never a URL

    return mistune.create_markdown(escape=True, renderer=Renderer(escape=True), plugins=["strikethrough"])


def md_html(template: str, /, **values: Any) -> Markup:
    """Render Markdown ``template`` with escaped ``values`` to HTML (see the module docstring).

    A plain ``str`` template: Markdown, its own HTML shown literally. A ``Markup`` template:
    trusted HTML, no Markdown; formatted only when values are given.
    """
    collector = _Collector()
    if isinstance(template, Markup):
        body = collector.put(collector.fill(str(template), values)) if values else template
        return body if _BLOCK_RE.match(body) else Markup("<p>{}</p>").format(body)
    if not isinstance(template, str):
        raise TypeError(
            f"md() takes the prose template as a string, not {type(template).__name__}: "
            "md('The figure is {value}.', value=...)."
        )
    filled = collector.fill(template, values)
    return collector.put(_markdown(collector)(filled).strip())


def md(template: str, /, **values: Any) -> None:
    """Display Markdown prose in which every ``{value}`` is escaped data.

    ``template`` is the analyst's literal text (Markdown; its HTML shows literally); data goes
    in as values, never into the template. Format specs work as in ``str.format`` (``{n:,}``);
    missing values show as an em dash. Pass ``unverified_flag()`` as a value to show the pack's
    "unverified" marker.
    """
    from IPython.display import HTML, display

    display(HTML(md_html(template, **values)))


def key_points_html(points: Sequence[str]) -> Markup:
    """The key-points box: 3 to 5 points of text (escaped) or engine ``Markup`` (kept)."""
    if isinstance(points, str) or not isinstance(points, Sequence):
        raise ValueError("key_points() takes a list of 3 to 5 strings.")
    items = [
        Markup(" ").join(p.split()) if isinstance(p, Markup) else escape(" ".join(str(p).split()))
        for p in points
    ]
    if not 3 <= len(items) <= 5:
        raise ValueError(f"A brief opens with 3 to 5 key points; {len(items)} were given.")
    if any(not item for item in items):
        raise ValueError("A key point is empty.")
    for item in items:  # a point of punctuation alone (".") never reaches a minister
        if not re.search(r"\w", html.unescape(re.sub(r"<[^>]+>", " ", str(item)))):
            raise ValueError(f"A key point has no words: {str(item)[:60]!r}.")
    lis = Markup("").join(Markup("<li>{}</li>").format(item) for item in items)
    return Markup('<section class="key-points"><h2>Key points</h2><ul>{}</ul></section>').format(lis)


def key_points(points: Sequence[str], bottom_line: int | None = None,
               figures: Mapping[str, Any] | None = None) -> None:
    """Display the brief's key points (3 to 5, computed from data, shown as plain text).

    ``bottom_line`` is the index of the point that sums the brief up in one sentence (the
    pack's "at a glance" page shows it); ``figures`` names the brief's headline figures
    (``{"threat level": "LOW"}``), so the next edition can say which moved. Both are recorded
    in the executed notebook (``KEY_POINTS_MIME``) for the build, not shown.
    """
    from IPython.display import display

    from briefkit.nb.sources import KEY_POINTS_MIME

    body = key_points_html(points)
    texts = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(p))).split()) for p in points]
    if bottom_line is not None and not (isinstance(bottom_line, int) and -len(texts) <= bottom_line < len(texts)):
        raise ValueError(f"bottom_line={bottom_line!r} names no key point; give the index of one of "
                         f"the {len(texts)} points (0 for the first).")
    record = {"points": texts, "bottom_line": None if bottom_line is None else texts[bottom_line],
              "figures": {str(k): v if isinstance(v, int | float | str) else str(v) for k, v in (figures or {}).items()}}
    display({"text/html": str(body), KEY_POINTS_MIME: record}, raw=True)


def bullets_html(items: Sequence[Any]) -> Markup:
    """A bulleted list of sentences (text escaped, engine ``Markup`` kept); empty items dropped."""
    kept = [i for i in items if not _is_missing(i) and str(i).strip()]
    lis = Markup("").join(Markup("<li>{}</li>").format(i) for i in kept)
    return Markup('<ul class="bk-bullets">{}</ul>').format(lis) if kept else Markup("")


def bullets(items: Sequence[Any]) -> None:
    """Display a bulleted list of sentences computed from data (e.g. the limits of the evidence)."""
    from IPython.display import HTML, display

    display(HTML(bullets_html(items)))


# --------------------------------------------------------------------------- tables

FormatSpec = str | Callable[[Any], str] | tuple
MAX_COLUMNS = 8  # more than this does not fit an A4 portrait page legibly
_LONG_TEXT = 40
_SHORT_TEXT = 16
KEEP_TOGETHER_ROWS = 8


def _default_header(col: str) -> str:
    text = str(col).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


_SLASH_IN_TEXT = re.compile(r"/(?![^<>]*>)")  # a slash outside any tag of escaped markup


def _text(value: Any) -> str:
    return value if isinstance(value, Markup) else str(value)


def _formatter(series: pd.Series, spec: FormatSpec | None) -> Callable[[Any, Mapping], str]:
    """A function ``(value, row) -> str`` for one column."""
    if callable(spec):  # a function may return text (escaped later) or engine Markup (kept)
        return lambda v, _row: MISSING if _is_missing(v) else _text(spec(v))
    if isinstance(spec, tuple) and spec and spec[0] == "quantity":  # ("quantity", unit_column[, measure])
        unit_col = spec[1]
        measure = spec[2] if len(spec) > 2 else ""
        return lambda v, row: fmt_quantity(v, row.get(unit_col, ""), measure)
    if isinstance(spec, str) and spec.startswith("quantity:"):  # "quantity:warheads"
        unit = spec.partition(":")[2]
        return lambda v, _row: fmt_quantity(v, unit)
    if isinstance(spec, tuple):  # ("date", "precision_column")
        kind, column = spec
        if not str(kind).startswith("date"):
            raise ValueError(f"Format tuples are ('date', precision_column) or ('quantity', unit_column); got {spec!r}.")
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
    if spec == "text":  # engine Markup (a flagged value from bk.flagged or bk.phrase) is kept
        return lambda v, _row: MISSING if _is_missing(v) else _text(v)
    if spec == "int":
        return lambda v, _row: fmt_int(v)
    if spec == "num":
        return lambda v, _row: fmt_num(v)
    if spec == "year":
        return lambda v, _row: MISSING if _is_missing(v) else str(int(v))
    if spec == "percent" or spec.startswith("percent:"):  # "percent:1": one decimal place
        digits = int(spec.partition(":")[2] or 0)
        return lambda v, _row: fmt_percent(v, digits)
    if spec == "yesno":
        return lambda v, _row: MISSING if _is_missing(v) else ("Yes" if bool(v) else "No")
    if spec.startswith("date"):
        prec = spec.partition(":")[2] or "day"
        _precision(prec)
        return lambda v, _row: fmt_date(v, prec)
    if "{" in spec:
        return lambda v, _row: MISSING if _is_missing(v) else spec.format(v)
    raise ValueError(
        f"Unknown table format {spec!r}: use text, int, num, year, percent, percent:N, yesno, date, "
        "date:month, date:year, a '{...}' format string, a function, or ('date', column)."
    )


def _is_numeric_spec(series: pd.Series, spec: FormatSpec | None) -> bool:
    if isinstance(spec, tuple) and spec and spec[0] == "quantity":
        return True
    if spec in ("int", "num", "percent") or (isinstance(spec, str) and spec.startswith(("{:", "quantity:", "percent:"))):
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
) -> Markup:
    """The pack's table markup for ``df`` (see :func:`show_table`); every text is escaped."""
    if len(df) == 0 and empty is not None:
        return Markup('<p class="bk-empty">{}</p>').format(empty)
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
            if not numeric[c] and not short[c]:  # let "A/B/C" wrap after a slash (in text, not in tags)
                text = Markup(_SLASH_IN_TEXT.sub("/<wbr>", str(text)))
            if j == flag_at and flagged:
                text += " " + unverified_flag()
            cells.append(f"<td{cls(c)}>{text}</td>")
        attr = ' class="bk-row-unverified"' if flagged else ""
        body_rows.append(f"<tr{attr}>{''.join(cells)}</tr>")
    cap = Markup("<caption>{}</caption>").format(caption) if caption else ""
    src = Markup('<p class="bk-source">Source: {}</p>').format(source) if source else ""
    # A small table is kept on one page (its header never strands at the foot of a page); a
    # longer one may split between rows, keeping at least two rows with its header, or one
    # where the rows are tall paragraphs (print CSS, .bk-table-wrap:not(.bk-tall-rows)).
    small = len(df) <= KEEP_TOGETHER_ROWS and not any(long_text.values())
    keep = " bk-keep" if small else (" bk-tall-rows" if any(long_text.values()) else "")
    # Every piece above is engine markup with each text escaped (escape(), Markup.format).
    return Markup(
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
    ``"int"``, ``"num"``, ``"year"``, ``"percent"`` (``"percent:1"``: one decimal), ``"yesno"``, ``"date"``, ``"date:month"``,
    ``"date:year"``, ``("date", "precision_column")``, a ``"{:...}"`` format string, or a
    function; by default dates, integers and floats are formatted from the column's type.
    Rows whose ``unverified_col`` is false carry the "unverified" flag. Every cell is escaped;
    there is no index column. ``source`` adds a source line under the table; ``empty`` is the
    sentence shown instead of a table when ``df`` has no rows.
    """
    from IPython.display import HTML, display

    display(HTML(table_html(df, columns, formats, caption, unverified_col, source, empty)))
