"""Trust: data never becomes markup, and nothing the pack writes runs a script.

Markup safety is a matter of type (``markupsafe.Markup``, as in Jinja), not of care: a plain
``str`` reaching HTML is escaped; only markup the engine made itself is inserted as is. The unit
tests feed hostile text to every helper that turns data into HTML; the end-to-end test appends a
payload to every free-text field of the REAL pack's data, builds every brief as HTML and PDF, and
looks at what a reader gets. Works on a copy: the repository's data is never edited.
"""

from __future__ import annotations

import ast
import csv
import html
import re
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest
import yaml
from markupsafe import Markup

import security_pack as sp
from briefkit.nb import charts
from briefkit.nb.prose import key_points_html, md_html, table_html, unverified_flag
from conftest import ROOT, chromium_or_skip, real_pack_copy, run_build

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "{0}",
    "{x}",
    "$\\foo$",
    "**bold**",
    "[x](javascript:alert(1))",
]
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"


def visible(markup: str) -> str:
    """Roughly what a reader sees: tags (and SVG titles) dropped, entities decoded, spaces collapsed."""
    text = re.sub(r"<title\b.*?</title>|<!--.*?-->|<[^>]+>", " ", markup.replace("<wbr>", ""), flags=re.S)
    return " ".join(html.unescape(text).split())


def assert_inert(markup: str) -> None:
    """No tag, event handler, or script URL that data could have brought in."""
    markup = re.sub(r"<!--.*?-->", "", markup, flags=re.S)  # comments are inert (Matplotlib escapes them)
    assert not re.search(r"<(img|script|iframe|object|embed)\b", markup, re.I), markup
    assert not re.search(r"<[^>]*\son\w+\s*=", markup, re.I), markup
    assert "javascript:" not in " ".join(re.findall(r'href="([^"]*)"', markup)).lower(), markup
    assert "<strong>bold</strong>" not in markup


# --------------------------------------------------------------------------- md: values are data

@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_value_is_shown_literally(payload):
    out = md_html("The operation is {name}.", name=payload)
    assert isinstance(out, Markup)
    assert_inert(out)
    assert visible(out) == f"The operation is {payload}."


def test_md_value_with_an_ampersand_is_escaped_once():
    out = md_html("Partners: {p}.", p="Australia & NZ")
    assert "Australia &amp; NZ" in out and "&amp;amp;" not in out
    assert visible(out) == "Partners: Australia & NZ."


# --------------------------------------------------------------------------- md: str templates

@pytest.mark.parametrize("payload", ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "$\\foo$"])
def test_md_plain_str_template_shows_html_literally(payload):
    out = md_html(f"Before {payload} after")
    assert_inert(out)
    assert visible(out) == f"Before {payload} after"


def test_md_plain_str_template_keeps_markdown_emphasis():
    out = md_html("The level is **{level}**.", level="<b>LOW</b>")
    assert "<strong>&lt;b&gt;LOW&lt;/b&gt;</strong>" in out


def test_md_plain_str_template_with_block_html_is_escaped():
    out = md_html("<div onclick=alert(1)>\nx\n</div>\n\n<script>alert(1)</script>")
    assert "<div" not in out and "<script" not in out
    assert "&lt;div onclick=alert(1)&gt;" in out


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:x", "data:text/html,<script>x</script>",
            "file:///etc/passwd", " javascript:alert(1)"])
def test_md_links_keep_only_safe_schemes(url):
    out = md_html(f"[bad]({url}) and [good](https://example.org/a?b=1&c=2) and [mail](mailto:a@b.nz)")
    hrefs = re.findall(r'href="([^"]*)"', out)
    assert "https://example.org/a?b=1&amp;c=2" in hrefs and "mailto:a@b.nz" in hrefs
    assert len(hrefs) == 3
    scheme = url.strip().split(":")[0].lower()
    assert not any(h.lower().lstrip().startswith(scheme + ":") for h in hrefs), out


def test_md_link_url_from_a_value_is_checked_after_filling():
    out = md_html("[see]({url})", url="javascript:alert(1)")
    assert "javascript:" not in " ".join(re.findall(r'href="([^"]*)"', out)).lower()
    ok = md_html("[see]({url})", url="https://example.org/x")
    assert 'href="https://example.org/x"' in ok


def test_md_images_are_not_fetched():
    out = md_html("![chart](https://example.org/x.png) and ![x]({u})", u="https://example.org/y.png")
    assert "<img" not in out and "example.org" not in out.replace("&", "")  # no remote resource


def test_md_positional_field_in_a_template_is_a_clear_error():
    with pytest.raises(KeyError, match="value"):
        md_html("Mission {0}")


# --------------------------------------------------------------------------- md: Markup templates

def test_md_markup_template_is_trusted_and_its_values_escaped():
    out = md_html(Markup("<em>{v}</em> {flag}"), v="<img src=x onerror=alert(1)>", flag=unverified_flag())
    assert "<em>&lt;img src=x onerror=alert(1)&gt;</em>" in out
    assert '<span class="bk-unverified"' in out


def test_md_markup_template_without_values_is_not_formatted_again():
    sentence = Markup("Operation {}: {}").format("{0} $\\foo$", "**bold** [x](javascript:alert(1))")
    out = md_html(sentence)
    assert visible(out) == "Operation {0} $\\foo$: **bold** [x](javascript:alert(1))"
    assert "<strong>" not in out and "<a " not in out
    assert out.startswith("<p>")


# --------------------------------------------------------------------------- key points

@pytest.mark.parametrize("payload", PAYLOADS)
def test_key_points_show_data_literally(payload):
    points = [f"One {payload}", f"Two {payload}", "Three & four"]
    out = key_points_html(points)
    assert isinstance(out, Markup)
    assert_inert(out)
    assert visible(out) == f"Key points One {payload} Two {payload} Three & four"
    assert "&amp;amp;" not in out


def test_key_points_keep_engine_markup():
    out = key_points_html([Markup("Ratified ") + unverified_flag(), "b", "c"])
    assert '<span class="bk-unverified"' in out


def test_fmt_list_never_flattens_markup_into_text():
    from briefkit.nb.prose import fmt_list

    assert fmt_list(["A & B", "<c>"]) == "A & B and <c>"  # text stays text (escaped by its sink)
    joined = fmt_list([Markup("<em>x</em>"), "A & B", "<c>"])
    assert isinstance(joined, Markup)
    assert joined == "<em>x</em>, A &amp; B and &lt;c&gt;"


# --------------------------------------------------------------------------- tables

@pytest.mark.parametrize("payload", PAYLOADS)
def test_table_cells_headers_caption_and_source_are_escaped(payload):
    df = pd.DataFrame({"name": [f"Op {payload}", "Australia & NZ"], "where": [f"A/B {payload}" * 3, "x"],
                       "n": [1, 2], "verified": [False, True]})
    out = table_html(df, columns={"name": f"Name {payload}", "where": "Where", "n": "N"},
                     formats={"n": "{:,}"}, caption=f"Cap {payload}", source=f"Src {payload}")
    assert isinstance(out, Markup)
    assert_inert(out)
    text = visible(out)
    for piece in (f"Op {payload}", f"Name {payload}", f"Cap {payload}", f"Src {payload}", "Australia & NZ"):
        assert piece in text
    assert "&amp;amp;" not in out and "&amp;lt;" not in out
    assert "/<wbr>" in out  # the engine's own markup survives escaping
    assert '<span class="bk-unverified"' in out


@pytest.mark.parametrize("payload", PAYLOADS)
def test_table_empty_sentence_is_escaped(payload):
    out = table_html(pd.DataFrame({"a": []}), empty=f"None {payload}.")
    assert_inert(out)
    assert visible(out) == f"None {payload}."


# --------------------------------------------------------------------------- sentence helpers

PAYLOAD = " <img src=x onerror=alert(1)> {0} $\\foo$ **b** & c"


@pytest.fixture
def hostile_ops():
    return pd.DataFrame({
        "operation_id": ["A", "B", "C"],
        "mission": [f"UNTSO{PAYLOAD} (UN Truce)", f"RAMSI{PAYLOAD}", f"UNMOGIP{PAYLOAD}"],
        "un_led": pd.Categorical(["yes", "no", "yes"], categories=["yes", "no", "UN-flagged"]),
        "location": [f"Middle East{PAYLOAD}", "Solomon Islands", "Kashmir"],
        "region": pd.Categorical(["Middle East", "Pacific", "South Asia"],
                                 categories=["Pacific", "Southeast Asia", "South Asia", "Middle East"]),
        "start_year": pd.array([1954, 2003, 1952], dtype="Int64"),
        "end_year": pd.array([None, 2017, None], dtype="Int64"),
        "ongoing": pd.array([True, False, None], dtype="boolean"),
        "approx_personnel": pd.array([8, 1100, 3], dtype="Int64"),
        "approx_personnel_max": pd.array([None, None, 5], dtype="Int64"),
        "personnel_note": ["", "", ""],
        "verified": pd.array([True, True, False], dtype="boolean"),
    })


@pytest.fixture
def hostile_footprint():
    return pd.DataFrame({"name": [f"Terrorism{PAYLOAD}"], "share": [0.4], "coverage": [f"Fiji{PAYLOAD}"],
                         "measure": [f"incidents{PAYLOAD}"]})


def test_sentence_helpers_return_plain_text_that_sinks_escape(hostile_ops, hostile_footprint):
    sentences = [
        sp.current_operations_sentence(hostile_ops),
        sp.operations_sentence(hostile_ops, f"Here{PAYLOAD}"),
        sp.largest_operation_sentence(hostile_ops),
        sp.footprint_sentence(hostile_footprint, f"the Pacific{PAYLOAD}"),
    ]
    for s in sentences:
        assert type(s) is str, "sentences are data: plain str, escaped by whatever shows them"
        assert "<img src=x onerror=alert(1)>" in s and "{0}" in s
        out = md_html("{s} Personnel figures are approximate.", s=s)
        assert_inert(out)
        assert visible(out) == " ".join(f"{s} Personnel figures are approximate.".split())
    out = key_points_html(sentences)
    assert_inert(out)
    assert "&amp;amp;" not in out and "& c" in visible(out)


# --------------------------------------------------------------------------- charts

def test_chart_text_from_data_is_never_mathtext_or_markup():
    names = [f"UNTSO{PAYLOAD}", "Op {x} $x^2$", "--> <!-- x"]
    data = pd.DataFrame({"name": names, "start": [1990, 2000, 2005], "end": [1995, 2010, 2020],
                         "group": ["$\\alpha$", "{0}", "$\\alpha$"], "open": [False, True, False]})
    fig = charts.timeline_chart(data, start="start", end="end", label="name", title=f"Ops {PAYLOAD}",
                                xlabel="Year $\\foo$", group="group", open_end="open")
    out = charts.figure_html(fig, alt=f"Timeline {PAYLOAD}", source=f"Src {PAYLOAD}", caption=f"Cap {PAYLOAD}")
    assert isinstance(out, Markup)
    assert_inert(out)
    # Text is drawn as paths; Matplotlib names each text in an escaped comment that no data can close.
    assert out.count("<!--") == out.count("-->")
    svg_text = re.sub(r"<!--.*?-->", "", out, flags=re.S)
    assert "onerror" not in re.sub(r"<title\b.*?</title>|<figcaption>.*?</figcaption>", "", svg_text, flags=re.S)
    title = re.search(r"<title id=\"[^\"]+\">(.*?)</title>", out, re.S).group(1)
    assert html.unescape(title) == " ".join(f"Timeline {PAYLOAD}".split())
    figcaption = visible(re.search(r"<figcaption>.*?</figcaption>", out, re.S).group(0))
    assert " ".join(f"Cap {PAYLOAD}".split()) in figcaption and " ".join(f"Src {PAYLOAD}".split()) in figcaption


def test_house_style_turns_mathtext_off():
    import matplotlib as mpl

    with mpl.rc_context(fname=str(charts.STYLE)):  # the house style file itself
        assert mpl.rcParams["text.parse_math"] is False
    fig, ax = charts.new_figure("Cost in $ and $\\foo$", xlabel="$\\frac{a}{", ylabel="y $_")
    ax.bar(["$\\foo$", "{0}", "a_b$"], [1, 2, 3])
    charts.render_svg(fig)  # would raise ValueError if any label were parsed as mathtext


# --------------------------------------------------------------------------- notebooks

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_never_pass_data_as_a_template_or_markup(path):
    """``bk.md``'s template is a literal written by the analyst; data goes in as values."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not re.search(r"\b(Markup|markupsafe|HTML|IPython\.display|Safe)\b", cell.source), (
            f"{path.name}: notebooks make no markup themselves; use bk.md, bk.key_points, bk.show_table"
        )
        for node in ast.walk(ast.parse(cell.source)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "md"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "bk"):
                assert node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str), (
                    f"{path.name}: bk.md(...)'s template must be a string literal, not "
                    f"{ast.unparse(node.args[0]) if node.args else 'missing'}; pass data as values: "
                    "bk.md('{text} ...', text=...)"
                )


# --------------------------------------------------------------------------- the printing browser

def test_printer_runs_no_script(tmp_path):
    """Even without the CSP meta (a page of someone else's), the printing Chromium runs no script."""
    chromium_or_skip()
    from pypdf import PdfReader

    from briefkit.exporters.browser import Browser as Printer

    page = tmp_path / "page.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body>"
        "<p id='m'>UNCLASSIFIED original text</p>"
        "<img src='data:,x' onerror=\"document.getElementById('m').textContent='NO MARKING img'\">"
        "<script>document.getElementById('m').textContent = 'NO MARKING script';</script>"
        "</body></html>", encoding="utf-8")
    with Printer() as printer:
        printer.pdf(page, tmp_path / "page.pdf")
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "page.pdf").pages)
    assert "UNCLASSIFIED original text" in text
    assert "NO MARKING" not in text


def test_a_held_page_takes_texts_as_text_and_names_a_missing_id(tmp_path):
    """The combined PDF's contents numbers are set in the loaded page: as text (a value never
    becomes markup), printable again after another change, and an unknown id is an error."""
    chromium_or_skip()
    from pypdf import PdfReader

    from briefkit.errors import RenderError
    from briefkit.exporters.browser import Browser

    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body>"
                    "<p>Page <span id='n'></span></p></body></html>", encoding="utf-8")
    with Browser() as browser, browser.document(page) as doc:
        doc.set_texts({"n": "<b>7</b>"})
        doc.pdf(tmp_path / "first.pdf")
        doc.set_texts({"n": "12"})
        doc.pdf(tmp_path / "second.pdf")
        with pytest.raises(RenderError, match="no element with the id missing"):
            doc.set_texts({"missing": "1"})
    first = PdfReader(tmp_path / "first.pdf").pages[0].extract_text()
    assert "Page <b>7</b>" in first
    assert "Page 12" in PdfReader(tmp_path / "second.pdf").pages[0].extract_text()


# --------------------------------------------------------------------------- end to end, the real pack

E2E_PAYLOAD = ' <img src=x onerror="document.body.dataset.pwned=1"> {0} $\\foo$'
NOT_FREE_TEXT = {"classification", "source", "source_url"}


class _Head(HTMLParser):
    """The start tags of a page's <head>, in order, with their attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == "head":
            self.in_head = True
        elif self.in_head:
            self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def free_text_fields(descriptor: dict) -> dict[str, list[str]]:
    """Per table: string fields with no enum, pattern or format, not part of a key, not a marking or URL."""
    out = {}
    for res in descriptor["resources"]:
        schema = res["schema"]
        keys = schema.get("primaryKey", [])
        keys = {keys} if isinstance(keys, str) else set(keys)
        for fk in schema.get("foreignKeys", []):
            fields = fk["fields"]
            keys |= {fields} if isinstance(fields, str) else set(fields)
        names = []
        for field in schema["fields"]:
            cons = field.get("constraints", {})
            if (field.get("type", "string") == "string" and not cons.get("enum") and not cons.get("pattern")
                    and field.get("format", "default") == "default" and field["name"] not in keys
                    and field["name"] not in NOT_FREE_TEXT):
                names.append(field["name"])
        if names:
            out[res["path"]] = names
    return out


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """The real pack with the payload appended to every free-text value, built once (HTML and PDF)."""
    chromium_or_skip()
    dest = real_pack_copy(tmp_path_factory.mktemp("hostile") / "pack")
    descriptor = yaml.safe_load((dest / "data" / "datapackage.yaml").read_text(encoding="utf-8"))
    fields = free_text_fields(descriptor)
    changed = 0
    for rel, names in fields.items():
        path = dest / "data" / rel
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header, rows = reader.fieldnames, list(reader)
        for row in rows:
            for name in names:
                if row.get(name):
                    row[name] += E2E_PAYLOAD
                    changed += 1
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    assert changed > 100, "the payload should reach many values"
    out = dest / "briefs"
    result = run_build(dest, "--force", "--format", "html", "--format", "pdf", "--output", str(out))
    return result, out


def test_hostile_data_builds_every_brief(hostile_build):
    result, out = hostile_build
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list(out.glob("*.pdf"))) == 12 and len(list(out.glob("*.html"))) == 13  # 12 briefs + index


def test_hostile_data_shows_literally_in_every_html(hostile_build):
    _, out = hostile_build
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 13, [p.name for p in pages]  # 12 briefs and the index
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert text.count("<!--") == text.count("-->"), f"{page.name}: a comment left open"
        tags = re.sub(r"<!--.*?-->", "", text, flags=re.S)  # Matplotlib names chart text in (escaped) comments
        assert not re.search(r"<(img|script|iframe|object|embed)\b", tags, re.I), f"{page.name}: a tag from data"
        assert not re.search(r"<[^>]*\sonerror\s*=", tags, re.I), f"{page.name}: an event handler from data"
        assert "&amp;lt;" not in text and "&amp;amp;" not in text, f"{page.name}: escaped twice"
        if page.name == "index.html":
            continue
        assert "&lt;img src=x onerror=" in text, f"{page.name}: payload not shown"
        shown = visible(text)
        assert '<img src=x onerror="document.body.dataset.pwned=1"> {0} $\\foo$' in shown, page.name


def test_every_html_carries_the_content_security_policy(hostile_build):
    _, out = hostile_build
    for page in sorted(out.glob("*.html")):
        head = _Head()
        head.feed(page.read_text(encoding="utf-8"))
        policies = [a.get("content") for t, a in head.tags
                    if t == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
        assert policies == [CSP], page.name
        early = [a.get("http-equiv", "").lower() for t, a in head.tags[:2] if t == "meta"]
        assert "content-security-policy" in early, (
            f"{page.name}: the policy comes first in <head> (after the charset), got {head.tags[:2]}"
        )


def test_every_pdf_page_keeps_its_marking_and_shows_the_payload(hostile_build):
    from pypdf import PdfReader

    _, out = hostile_build
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 12
    for pdf in pdfs:
        pages = [p.extract_text() for p in PdfReader(pdf).pages]
        for number, text in enumerate(pages, 1):
            assert text.count("UNCLASSIFIED") >= 2, f"{pdf.name} page {number}: marking missing"
            assert "NO MARKING" not in text, f"{pdf.name} page {number}"
        whole = " ".join(" ".join(pages).split())
        assert "onerror" in whole and "{0}" in whole, f"{pdf.name}: payload text not printed"
