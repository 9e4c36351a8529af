"""briefkit.nb.prose: escaped prose, key points, number/date formats and briefing tables."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from briefkit.nb import prose
from briefkit.nb.prose import (
    fmt_date,
    fmt_int,
    fmt_list,
    fmt_num,
    key_points_html,
    md_html,
    table_html,
    unverified_flag,
)


def visible_text(markup: str) -> str:
    """Roughly what a reader sees: tags dropped, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", markup))


# --------------------------------------------------------------------------- md

def test_md_escapes_script_in_a_value():
    out = md_html("The mission is {name}.", name="<script>alert(1)</script>")
    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert visible_text(out) == "The mission is <script>alert(1)</script>."


@pytest.mark.parametrize("value", ["**bold**", "_italic_", "[x](http://example.org)", "`code`", "# heading", "<b>b</b>", "&amp;"])
def test_md_shows_markdown_in_values_literally(value):
    out = md_html("Value: {v}", v=value)
    assert "<strong>" not in out and "<em>" not in out and "<a " not in out
    assert "<code>" not in out and "<h1>" not in out and "<b>" not in out
    assert visible_text(out).strip() == f"Value: {value}"


def test_md_renders_the_template_markdown():
    out = md_html("The level is **{level}**, see _{where}_.", level="LOW", where="NZSIS")
    assert "<strong>LOW</strong>" in out
    assert "<em>NZSIS</em>" in out
    assert out.startswith("<p>")


def test_md_value_inside_template_emphasis_stays_escaped():
    out = md_html("**{x}**", x="<i>a</i> **b**")
    assert out == "<p><strong>&lt;i&gt;a&lt;/i&gt; **b**</strong></p>"


def test_md_format_specs_and_missing_values():
    assert "12,345" in md_html("{n:,}", n=12345)
    assert "\u2014" in md_html("{n}", n=None)
    assert "\u2014" in md_html("{n}", n=pd.NA)


def test_md_unverified_flag_is_inserted_as_markup():
    out = md_html("Ratified 1985 {flag}", flag=unverified_flag())
    assert '<span class="bk-unverified"' in out
    assert ">unverified</span>" in out


def test_md_missing_value_names_the_field():
    with pytest.raises(KeyError, match="level"):
        md_html("The level is {level}.")


def test_md_values_are_not_reinterpreted_as_placeholders():
    out = md_html("{a} {b}", a="ZqBk", b="V0VkBqZ")
    assert visible_text(out) == "ZqBk V0VkBqZ"


def test_md_displays_html(monkeypatch):
    shown = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert prose.md("Hi {x}", x="<b>") is None
    assert shown and "&lt;b&gt;" in shown[0].data


# --------------------------------------------------------------------------- formats

def test_fmt_int():
    assert fmt_int(12345) == "12,345"
    assert fmt_int(7) == "7"
    assert fmt_int(1234.6) == "1,235"
    assert fmt_int(pd.NA) == "\u2014"
    assert fmt_int(None) == "\u2014"


def test_fmt_num():
    assert fmt_num(28.46) == "28.5"
    assert fmt_num(3.0) == "3"
    assert fmt_num(1234567.891, 2) == "1,234,567.89"


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("day", "15 March 2019"), ("month", "March 2019"), ("year", "2019"), ("approx", "about 15 March 2019"), ("day(inferred)", "15 March 2019")],
)
def test_fmt_date_precisions(precision, expected):
    assert fmt_date(pd.Timestamp("2019-03-15"), precision=precision) == expected


def test_fmt_date_other_inputs():
    assert fmt_date("2014-10-10") == "10 October 2014"
    assert fmt_date(pd.NaT) == "\u2014"
    assert fmt_date(2014) == "2014"
    with pytest.raises(ValueError, match="precision"):
        fmt_date("2019-03-15", precision="fortnight")


def test_fmt_list():
    assert fmt_list(["Australia", "Canada", "Fiji"]) == "Australia, Canada and Fiji"
    assert fmt_list(["A", "B"], "or") == "A or B"
    assert fmt_list(["A"]) == "A"
    assert fmt_list([]) == ""


def test_plural():
    assert prose.plural(1, "treaty", "treaties") == "1 treaty"
    assert prose.plural(1200, "operation") == "1,200 operations"


# --------------------------------------------------------------------------- key points

def test_key_points_markup_and_escaping():
    out = key_points_html(["One <script>", "Two **b**", "Three [x](y)"])
    assert out.startswith('<section class="key-points"><h2>Key points</h2><ul>')
    assert out.count("<li>") == 3
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "**b**" in out and "<strong>" not in out


@pytest.mark.parametrize("n", [0, 1, 2, 6, 9])
def test_key_points_count_is_three_to_five(n):
    with pytest.raises(ValueError, match="3 to 5"):
        key_points_html([f"point {i}" for i in range(n)])


def test_key_points_rejects_a_bare_string_and_empty_points():
    with pytest.raises(ValueError):
        key_points_html("one two three")
    with pytest.raises(ValueError, match="empty"):
        key_points_html(["a", " ", "c"])


# --------------------------------------------------------------------------- tables

@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "mission": ["UNTSO <b>", "Bougainville **TMG**"],
            "personnel": pd.array([1100, None], dtype="Int64"),
            "share": [0.256, 0.5],
            "effective_date": pd.to_datetime(["2019-03-15", "2014-10-10"]),
            "precision": ["day", "year"],
            "ongoing": pd.array([True, False], dtype="boolean"),
            "verified": pd.array([True, False], dtype="boolean"),
            "classification": ["UNCLASSIFIED", "UNCLASSIFIED"],
        },
        index=[10, 20],
    )


def test_table_markup_headers_formats_and_no_index(frame):
    out = table_html(
        frame,
        columns={"mission": "Mission", "personnel": "Personnel", "effective_date": "Date", "ongoing": "Ongoing"},
        caption="Operations",
    )
    assert re.match(r'<div class="bk-table-wrap[^"]*"><table class="bk-table"><caption>Operations</caption>', out)
    assert re.search(r"<th scope=\"col\"[^>]*>Mission</th>", out)
    assert "1,100" in out and "\u2014" in out  # thousands separator; missing as a dash
    assert "15 March 2019" in out and "2019-03-15" not in out
    assert ">Yes<" in out and ">No<" in out
    assert ">10<" not in out and ">20<" not in out  # the index is not shown
    assert "classification" not in out.lower()
    assert 'class="num bk-num"' in out  # numbers right-aligned by the template


def test_table_escapes_cells(frame):
    out = table_html(frame, columns={"mission": "Mission"})
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert "**TMG**" in out and "<strong>" not in out


def test_table_flags_unverified_rows(frame):
    out = table_html(frame, columns={"mission": "Mission", "personnel": "Personnel"})
    rows = out.split("<tr")
    flagged = [r for r in rows if "bk-unverified" in r]
    assert len(flagged) == 1 and "Bougainville" in flagged[0]
    assert 'class="bk-row-unverified"' in out


def test_table_default_columns_hide_marking_and_verified(frame):
    out = table_html(frame)
    assert ">Verified<" not in out and ">Classification<" not in out
    assert ">Effective date<" in out


def test_table_format_specs(frame):
    out = table_html(
        frame,
        columns={"mission": "Mission", "share": "Share", "effective_date": "Date"},
        formats={"share": "percent", "effective_date": ("date", "precision")},
    )
    assert "26%" in out and "50%" in out
    assert "15 March 2019" in out and ">2014<" in out
    out2 = table_html(frame, columns={"share": "Share"}, formats={"share": "{:.2f}"})
    assert "0.26" in out2
    out3 = table_html(frame, columns={"mission": "M"}, formats={"mission": str.upper})
    assert "UNTSO &lt;B&gt;" in out3


def test_table_errors_name_the_problem(frame):
    with pytest.raises(KeyError, match="nope"):
        table_html(frame, columns={"nope": "No"})
    with pytest.raises(ValueError, match="Unknown table format"):
        table_html(frame, columns={"mission": "M"}, formats={"mission": "sparkle"})
    wide = pd.DataFrame({f"c{i}": [i] for i in range(12)})
    with pytest.raises(ValueError, match="A4"):
        table_html(wide)


def test_table_long_text_column_is_marked_for_wrapping():
    df = pd.DataFrame({"note": ["x" * 120], "n": [1]})
    out = table_html(df)
    assert "<td class=\"bk-long\"" in out


def test_small_tables_stay_on_one_page_and_long_ones_may_split():
    small = table_html(pd.DataFrame({"a": ["x", "y"], "n": [1, 2]}))
    assert 'class="bk-table-wrap bk-keep"' in small
    long_text = table_html(pd.DataFrame({"a": ["word " * 30, "y"]}))
    assert "bk-keep" not in long_text.split("<table")[0]
    assert 'class="bk-table-wrap bk-tall-rows"' in long_text  # may split after its first row
    many = table_html(pd.DataFrame({"a": [str(i) for i in range(20)]}))
    assert "bk-keep" not in many.split("<table")[0]


def test_empty_table_shows_a_sentence_instead():
    out = table_html(pd.DataFrame({"a": []}), empty="Nothing <here>.")
    assert out == '<p class="bk-empty">Nothing &lt;here&gt;.</p>'


def test_a_share_too_small_to_show_is_not_printed_as_none():
    from briefkit.nb.prose import fmt_percent

    assert fmt_percent(1 / 6718, 1) == "<0.1%"  # one satellite of 6,718
    assert fmt_percent(0.004, 0) == "<1%"
    assert fmt_percent(0, 1) == "0.0%" and fmt_percent(0.256) == "26%" and fmt_percent(0.0005, 1) == "0.1%"


def test_an_approximate_day_says_so():
    from briefkit.nb.prose import fmt_date

    assert fmt_date("2024-01-18", "approx") == "about 18 January 2024"
    assert fmt_date("2024-01-18", "day") == "18 January 2024" and fmt_date("2024-01-18", "month") == "January 2024"


def test_a_table_cell_keeps_engine_markup_and_escapes_text():
    from briefkit.nb.prose import flagged, phrase, table_html

    df = pd.DataFrame({"what": [phrase("{x} and {y}", x="RAND's <b>", y=flagged("APT40", False)), "a <i>plain</i> cell"]})
    out = str(table_html(df))
    assert "RAND&#39;s &lt;b&gt; and APT40 <span class=\"bk-unverified\"" in out  # flag kept, text escaped once
    assert "&amp;#39;" not in out and "&lt;span" not in out
    assert "a &lt;i&gt;plain&lt;/<wbr>i&gt; cell" in out and "</span>" in out  # slashes wrap in text only


def test_percent_format_with_decimals_never_prints_a_small_share_as_zero():
    from briefkit.nb.prose import table_html

    out = str(table_html(pd.DataFrame({"who": ["USA", "NZ"], "share": [4511 / 6718, 1 / 6718]}),
                         formats={"share": "percent:1"}))
    assert "67.1%" in out and "&lt;0.1%" in out and "0.0%" not in out
    assert 'class="num bk-num">67.1%' in out  # aligned as a number
