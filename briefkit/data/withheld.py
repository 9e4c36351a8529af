"""The last line of defence: find values of withheld rows in a brief's outputs before publishing.

The loader never hands a notebook a row marked above its brief's marking (see
:mod:`briefkit.nb.tables`), but notebook code is Python and could read a CSV itself. So before an
output is published the engine scans its text for the distinctive values of every withheld row::

    withheld = withheld_values(pack.root, brief.marking)      # once per marking per build
    hits = find_withheld(text, withheld)                      # [] means nothing leaked

*Distinctive* means: a text value of at least 4 characters (after whitespace normalisation), or
a number of at least 6 digits, of a row marked above ``marking`` that occurs nowhere in the rows
at or below it (in any table), nor in a table's title, sources, licence or column names. A
withheld row that repeats a country name is therefore not flagged, while its operation name is.
Enumerated values, dates, years and booleans are not distinctive.

Matching is case-sensitive, ignores differences in whitespace, and also finds a value written
HTML-escaped (``R&amp;D``) or JSON-escaped (``\\"Kea\\"``, ``\\n`` for a line break), so the raw
HTML, its unescaped text, PDF text and the executed notebook's JSON can all be passed as they are.
A value is only found as whole words: ``hidden`` is not found in ``hiddenness``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from briefkit import markings
from briefkit.data.store import _rel, load

MIN_TEXT = 4  # characters a text value needs to be distinctive
MIN_DIGITS = 6  # digits a number needs to be distinctive
MANY = 60  # forms of values above which one pass splitting the text into words is cheaper
_WORDS = re.compile(r"\w+")
_JSON_BREAK = re.compile(r"\\[nrt]")
_SEP = r"(?:\s|&nbsp;|&#160;|&#xa0;|&#xA0;)+"
_NUMBER_SEP = "[,\u00a0\u202f ]?"


@dataclass(frozen=True)
class Withheld:
    """One distinctive value of a row withheld from a brief."""

    table: str
    key: str  # the row's primary key, e.g. "role_id=hidden" (or "line 7" without one)
    column: str
    value: str


def withheld_values(root, marking: str) -> list[Withheld]:
    """The distinctive values of every row marked above ``marking``, in table and row order.

    Validates the package first (a :class:`~briefkit.errors.DataValidationError` if invalid).
    """
    limit = markings.rank(marking)
    pkg = load(root)
    cached = _FOUND.get((pkg.key, limit))
    if cached is None:
        cached = _FOUND[(pkg.key, limit)] = _withheld(pkg, limit)
    return list(cached)


_FOUND: dict[tuple[str, int], list[Withheld]] = {}  # (data key, marking rank) -> values


def _withheld(pkg, limit: int) -> list[Withheld]:
    state = pkg._state
    tables = []
    for res in state.descriptor:
        text = state.files[_rel(res["path"])].decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        tables.append((res, rows[0] if rows else [], [r for r in rows[1:] if r]))
    visible, hidden = [], []
    for res, header, rows in tables:
        meta = pkg.resources[res["name"]]
        visible += [*header, res["name"], meta["title"], meta["licence"],
                    *(str(v) for s in meta["sources"] for v in s.values())]
        at = header.index("classification")
        for number, row in enumerate(rows, start=2):
            above = row[at] not in markings.ORDER or markings.rank(row[at]) > limit
            (hidden if above else visible).append((res, header, number, row) if above else "\n".join(row))
    seen = "\n".join(_normal(v) for v in visible)
    seen_digits = set(re.findall(r"\d+", seen))
    found = []
    for res, header, number, row in hidden:
        fields = {f["name"]: f for f in res["schema"]["fields"]}
        key = _row_key(res["schema"], header, row, number)
        for column, value in zip(header, row):
            spec = fields.get(column, {})
            if column == "classification" or "enum" in spec.get("constraints", {}):
                continue
            kind = spec.get("type", "string")
            value = _normal(value)
            if kind == "string" and len(value) >= MIN_TEXT and value not in seen:
                found.append(Withheld(res["name"], key, column, value))
            elif kind in ("integer", "number"):
                digits = value.lstrip("+-").split(".")[0]
                if len(digits) >= MIN_DIGITS and digits.isdigit() and digits not in seen_digits:
                    found.append(Withheld(res["name"], key, column, value))
    return found


def find_withheld(text: str, withheld) -> list[Withheld]:
    """The withheld values that occur in ``text`` (each once, in the order of ``withheld``).

    A cheap test first: each value's words must all occur in ``text`` (substring tests for a
    few values, one pass splitting ``text`` into words for many); only then is the value
    searched for exactly. At most about 0.15 s for a 2 MB text, whatever the number of values.
    """
    if not text or not withheld:
        return []
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    texts = [text]
    if "\\" in text:
        texts.append(_JSON_BREAK.sub(" ", text))  # JSON's \n between words is a break
    items = list(dict.fromkeys(withheld))
    forms = [(item, _variants(item)) for item in items]
    if sum(len(v) for _, v in forms) <= MANY:
        def present(word):
            return any(word in t for t in texts)
    else:
        words = set()
        for t in texts:
            words.update(_WORDS.findall(t))
        present = words.__contains__
    hits = []
    for item, variants in forms:
        for needed, pattern, before in variants:
            if all(present(w) for w in needed) and any(_occurs(pattern, before, t) for t in texts):
                hits.append(item)
                break
    return hits


# --- internals -------------------------------------------------------------------------------


def _normal(value: str) -> str:
    return " ".join(str(value).split())


def _row_key(schema: dict, header: list, row: list, number: int) -> str:
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else key
    cells = dict(zip(header, row))
    if not key or any(k not in cells for k in key):
        return f"line {number}"
    return ", ".join(f"{k}={cells[k]}" for k in key)


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)  # only for values whose words all occur: few


def _occurs(pattern: str, before: str | None, text: str) -> bool:
    """``pattern`` matches where the character before is not in ``before``.

    (Checked here rather than by a look-behind, which would stop the regex engine from
    skipping quickly to the pattern's first character.)
    """
    found = _compiled(pattern).finditer(text)
    if before is None:
        return next(found, None) is not None
    bad = _compiled(before)
    return any(m.start() == 0 or not bad.match(text, m.start() - 1) for m in found)


@lru_cache(maxsize=65536)
def _variants(item: Withheld) -> tuple[tuple[tuple[str, ...], str, str | None], ...]:
    """(words every form needs, regex, characters that may not come just before) per form."""
    value = unicodedata.normalize("NFKC", item.value)
    digits = value.lstrip("+-").split(".")[0]
    if digits.isdigit() and len(digits) >= MIN_DIGITS and not any(c.isalpha() for c in value):
        groups = [digits[max(0, i - 3):i] for i in range(len(digits), 0, -3)][::-1]
        pattern = _NUMBER_SEP.join(groups) + r"(?!\w)"
        return ((_longest_first([digits]), pattern, r"[\w.,]"), (_longest_first(groups), pattern, r"[\w.,]"))
    forms = dict.fromkeys([value, html.escape(value, quote=False), html.escape(value),
                           json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
                           json.dumps(html.escape(value))[1:-1]])
    out = []
    for form in forms:
        body = _SEP.join(re.escape(part) for part in form.split(" "))
        before = r"\w" if re.match(r"\w", form) else None
        end = r"(?!\w)" if re.search(r"\w$", form) else ""
        out.append((_longest_first(_WORDS.findall(form)), body + end, before))
    return tuple(out)


def _longest_first(words) -> tuple[str, ...]:
    """Distinct words, longest (rarest, usually) first: the cheap test stops at the first missing."""
    return tuple(sorted(set(words), key=lambda w: (-len(w), w)))
