"""The pack as one document: release sets by marking, the combined PDF, and changes between
editions. One small pack with a brief at UNCLASSIFIED and one at IN-CONFIDENCE, built as two
editions with one data edit between them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from conftest import FIXTURES, ROOT, chromium_or_skip, run_build

SECRET_TITLE = "Operation Kestrel assessment"
SECRET_ROW = "kestrel,Kestrel network,rising,4,,true,IN-CONFIDENCE\n"


def _notebook(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('marking: str = "UNCLASSIFIED"  # Protective marking: the ceiling for data shown')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import briefkit as bk\nthreats = bk.table(\"threats\", marking=marking)"),
                nbformat.v4.new_markdown_cell("## What the data says"),
                nbformat.v4.new_code_cell(body), nbformat.v4.new_code_cell("bk.sources()")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


LOGS: dict[str, str] = {}  # the editions' build logs


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """Two editions (1 and 2 November 2026); between them terrorism's level goes 2 -> 3."""
    chromium_or_skip()
    root = tmp_path_factory.mktemp("two-markings")
    shutil.copytree(FIXTURES / "data" / "data", root / "data")
    with open(root / "data" / "threats.csv", "a", encoding="utf-8") as fh:
        fh.write(SECRET_ROW)
    (root / "notebooks").mkdir()
    _notebook(root / "notebooks" / "open.ipynb",
              "row = threats.set_index('threat_id').loc['terrorism']\n"
              "bk.key_points([f'The terrorism level is {row.level} of 5.', f'The data lists {len(threats)} threats.',\n"
              "               'Nothing else is shown in this brief.'], bottom_line=0, figures={'terrorism level': int(row.level)})")
    _notebook(root / "notebooks" / "secret.ipynb",
              "bk.key_points(['The Kestrel network is tracked closely.', f'The data lists {len(threats)} threats.',\n"
              "               'Kestrel is shown only in this set.'], bottom_line=0)\n"
              "bk.show_table(threats)")
    (root / "pack.yml").write_text(
        "pack:\n  title: Two Marking Pack\n  issuing_division: Test Division\n  contact_officer: The test maintainers\n"
        "  approver: Not yet approved\n  defaults: {marking: UNCLASSIFIED, formats: [html, pdf]}\n"
        "briefs:\n  - {id: open, title: Open brief, notebook: notebooks/open.ipynb}\n"
        f"  - {{id: kestrel, title: {SECRET_TITLE}, notebook: notebooks/secret.ipynb, marking: IN-CONFIDENCE}}\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)  # no commit: dates come from the edition
    first = run_build(root, "--edition", "--edition-date", "2026-11-01")
    assert first.returncode == 0, first.stderr
    LOGS["first"] = first.stderr
    csv = root / "data" / "threats.csv"
    csv.write_text(csv.read_text().replace("terrorism,Terrorism,rising,2,", "terrorism,Terrorism,rising,3,"))
    second = run_build(root, "--edition", "--edition-date", "2026-11-02")
    assert second.returncode == 0, second.stderr
    LOGS["second"] = second.stderr
    return root


def _pdf_text(path: Path) -> list[str]:
    """Each page's text, laid out (pdftotext), so the first and last lines are the margins."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1]


def _pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def test_manifest_lists_one_pack_per_marking(editions):
    manifest = json.loads((editions / "briefs" / "manifest.json").read_text())
    packs = {p["marking"]: p for p in manifest["packs"]}
    assert list(packs) == ["UNCLASSIFIED", "IN-CONFIDENCE"]
    low, high = packs["UNCLASSIFIED"], packs["IN-CONFIDENCE"]
    assert low["briefs"] == ["open"] and high["briefs"] == ["open", "kestrel"]
    assert (low["index"], low["pdf"], low["changes"]) == (
        "unclassified/index.html", "unclassified/pack-unclassified.pdf", "unclassified/changes.json")
    for p in packs.values():
        for key in ("index", "pdf", "changes"):
            assert (editions / "briefs" / p[key]).is_file()
    assert manifest["briefs"][0]["bottom_line"] == "The terrorism level is 3 of 5."


def test_the_lower_set_never_mentions_the_higher_brief(editions):
    low = editions / "briefs" / "unclassified"
    texts = {"index": (low / "index.html").read_text(), "changes": (low / "changes.json").read_text(),
             "pdf": "\n".join(_pdf_text(low / "pack-unclassified.pdf"))}
    assert sorted(p.name for p in low.iterdir()) == [
        "changes.json", "index.html", "open.html", "open.pdf", "pack-unclassified.pdf"]
    assert (low / "open.pdf").stat().st_ino == (editions / "briefs" / "open.pdf").stat().st_ino  # a link, not a copy
    for what, text in texts.items():
        for secret in ("Kestrel", "kestrel", "IN-CONFIDENCE", SECRET_TITLE):
            assert secret not in text, (what, secret)
    assert "2 brief" not in texts["index"] and "Open brief" in texts["index"]
    # the higher set has both briefs, and its own marking
    high = editions / "briefs" / "in-confidence"
    assert SECRET_TITLE in (high / "index.html").read_text()
    assert SECRET_TITLE in "\n".join(_pdf_text(high / "pack-in-confidence.pdf"))


def test_the_combined_pdf_is_one_navigable_tagged_document(editions):
    from pypdf import PdfReader

    pdf = editions / "briefs" / "in-confidence" / "pack-in-confidence.pdf"
    info = _pdfinfo(pdf)
    assert info["Tagged"] == "yes"
    assert info["Title"] == "Two Marking Pack \u2014 IN-CONFIDENCE"
    assert "IN-CONFIDENCE" in info["Subject"] and info["Author"] == "Test Division"
    assert "Open brief" in info["Keywords"] and info["Creator"].startswith("briefkit")
    assert info["CreationDate"].startswith("Mon Nov  2 00:00:00 2026")
    pages = _pdf_text(pdf)
    for number, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert "IN-CONFIDENCE" in lines[0] and "IN-CONFIDENCE" in lines[-1], number
        assert f"Page {number} of {len(pages)}" in page
    cover, glance, contents = pages[0], pages[1], pages[2]
    for fact in ("Two Marking Pack", "Edition of 2 November 2026", "Issued 2 November 2026", "Test Division",
                 "The test maintainers", "Not yet approved"):
        assert fact in cover
    assert "At a glance" in glance and "The terrorism level is 3 of 5." in glance
    assert "Changes since 1 November 2026" in glance and "2 \u2192 3" in glance
    reader = PdfReader(pdf)
    tops = {str(item.title): reader.get_destination_page_number(item) + 1
            for item in reader.outline if not isinstance(item, list)}
    assert {"At a glance", "Contents", "Open brief", SECRET_TITLE} <= set(tops)
    for title in ("Open brief", SECRET_TITLE):  # the contents give the page the outline goes to
        assert str(tops[title]) in [line.split()[-1] for line in contents.splitlines() if title in line]
        assert title in pages[tops[title] - 1]  # each brief starts on its own page, title block first
    assert any(isinstance(item, list) for item in reader.outline)  # each brief's sections beneath it
    assert len(reader.pages[2].get("/Annots", [])) >= 2  # the contents entries are links


def test_every_brief_pdf_is_tagged_with_metadata(editions):
    info = _pdfinfo(editions / "briefs" / "open.pdf")
    assert info["Tagged"] == "yes" and info["Author"] == "Test Division"
    assert info["Title"] == "Open brief \u2014 UNCLASSIFIED" and "UNCLASSIFIED" in info["Subject"]
    assert "HeadlessChrome" not in (editions / "briefs" / "open.pdf").read_bytes().decode("latin-1")


def test_changes_name_the_table_the_row_and_the_old_and_new_values(editions):
    changes = json.loads((editions / "briefs" / "unclassified" / "changes.json").read_text())
    assert (changes["since"], changes["until"], changes["marking"]) == ("2026-11-01", "2026-11-02", "UNCLASSIFIED")
    [table] = changes["tables"]
    assert table["table"] == "threats" and table["key"] == ["threat_id"]
    [row] = table["changed"]
    assert row == {"key": {"threat_id": "terrorism"}, "fields": {"level": {"old": "2", "new": "3"}}}
    [brief] = changes["briefs"]["changed"]
    assert brief["id"] == "open"
    assert {"name": "terrorism level", "old": 2, "new": 3} in brief["figures"]
    assert brief["key_points"]["changed"] == [{"old": "The terrorism level is 2 of 5.",
                                               "new": "The terrorism level is 3 of 5."}]
    index = (editions / "briefs" / "unclassified" / "index.html").read_text()
    assert "Changes since 1 November 2026" in index and "terrorism" in index
    # the editions keep their snapshots and their sets
    assert (editions / "briefs" / "editions" / "2026-11-02" / "snapshot.json.gz").is_file()
    assert (editions / "briefs" / "editions" / "2026-11-02" / "unclassified" / "pack-unclassified.pdf").is_file()


def test_changes_on_the_terminal(editions):
    result = run_build(editions, "--changes", "--since", "2026-11-01")
    assert result.returncode == 0, result.stderr
    assert "table threats" in result.stdout and "level: 2 -> 3" in result.stdout
    assert "row terrorism changed" in result.stdout
    assert "nothing was built" not in result.stderr and not (editions / "briefs" / ".staging" / "x").exists()


def test_identical_inputs_give_identical_pack_pdfs(editions):
    pdf = editions / "briefs" / "unclassified" / "pack-unclassified.pdf"
    before = pdf.read_bytes()
    pdf.unlink()  # printed again, from the same inputs (the edition again: the set is rewritten)
    again = run_build(editions, "--edition", "--edition-date", "2026-11-02")
    assert again.returncode == 0, again.stderr
    if "0 built" not in again.stdout:  # briefkit's own files were edited while the suite ran
        pytest.skip("the engine's files changed during the test, so the inputs are not identical")
    assert pdf.read_bytes() == before


def test_the_whole_pack_is_printed_once(editions):
    """The combined PDF costs one print of the pack (the full build's budget): its front pages
    are counted on a print of those alone, so the contents' page numbers are right first time,
    in a new set and in a later edition whose "Changes since" pages have grown."""
    for run in ("first", "second"):
        for name in ("pack-unclassified.pdf", "pack-in-confidence.pdf"):
            assert f"{name}: the whole pack printed once" in LOGS[run], (run, name)


def test_a_wrong_page_number_is_corrected_by_a_second_print(editions, tmp_path, monkeypatch, caplog):
    """If a brief takes more pages in the pack than its own PDF did, the contents would point
    at the wrong page: the printed outline gives the true starts, and the pack is printed again
    with them, so the contents always match where each brief begins."""
    import logging

    from pypdf import PdfReader

    from briefkit import catalogue
    from briefkit.exporters.browser import Browser
    from briefkit.publish import combined, sets

    out = editions / "briefs"
    pack = catalogue.load(editions / "pack.yml")
    records = json.loads((out / "manifest.json").read_text())["briefs"]
    rset = sets.release_sets(records)[-1]  # IN-CONFIDENCE: both briefs
    predicted = combined._predict
    monkeypatch.setattr(combined, "_predict", lambda *a: {k: v + 1 for k, v in predicted(*a).items()})
    dest = tmp_path / "pack.pdf"
    with caplog.at_level(logging.INFO, logger="briefkit"), Browser() as browser:
        combined.print_pack(lambda: browser, pack, out, tmp_path, rset, None, dest, edition="2026-11-02")
    assert "pack.pdf: the whole pack printed 2 times" in caplog.text
    reader = PdfReader(dest)
    tops = {str(item.title): reader.get_destination_page_number(item) + 1
            for item in reader.outline if not isinstance(item, list)}
    contents = _pdf_text(dest)[2]
    for title in ("Open brief", SECRET_TITLE):
        assert [line.split()[-1] for line in contents.splitlines() if title in line] == [str(tops[title])]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.pdf"]  # no temporary file left


def test_force_prints_the_combined_pdf_again(tiny_pack):
    """--force rebuilds every output, the release set's combined PDF included; a plain rebuild
    with nothing changed prints nothing."""
    chromium_or_skip()
    first = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--format", "pdf")
    assert first.returncode == 0, first.stderr
    assert "the whole pack printed once" in first.stderr
    forced = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--format", "pdf", "--force")
    assert forced.returncode == 0 and "the whole pack printed once" in forced.stderr
    again = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--format", "pdf")
    assert again.returncode == 0 and "the whole pack printed" not in again.stderr


# --------------------------------------------------------------------------- charts in the combined PDF

def _chart_html(alt="Line chart of A & B <rising>, 2000\u20132002"):
    import pandas as pd

    from briefkit.nb import charts

    df = pd.DataFrame({"year": [2000, 2001, 2002] * 2, "value": [10, 12, 15, 3, 2, 4], "country": list("AAABBB")})
    fig = charts.line_chart(df, x="year", y="value", series="country", title="Warheads, 2000-2002",
                            xlabel="Year", ylabel="Warheads (number)")
    return str(charts.figure_html(fig, alt=alt, source="FAS"))


def _names(root) -> set[str]:
    """Every element and attribute name in an SVG tree, namespaces dropped."""
    found = set()
    for element in root.iter():
        found.add(element.tag.split("}")[-1])
        found |= {name.split("}")[-1] for name in element.attrib}
    return found


def test_a_chart_goes_into_the_pack_as_an_image_of_its_own_svg():
    """The briefs' HTML went through an HTML parser (nbconvert's), which lower-cases SVG names
    (viewbox, clippath); the pack's image of the chart is well-formed SVG with the names as
    Matplotlib wrote them, the chart's title as its alt text, and its own ids unprefixed."""
    import base64
    import html
    import re
    import xml.etree.ElementTree as ET

    from bs4 import BeautifulSoup

    from briefkit.publish.combined import brief_body

    original = _chart_html()
    parsed = str(BeautifulSoup(original, "html.parser"))
    assert "viewbox=" in parsed and "<clippath" in parsed  # what the briefs' HTML holds
    body = brief_body(f'<main>{parsed}<p id="after">Text</p></main>', "b3-")
    assert "<svg" not in body
    [img] = re.findall(r"<img [^>]*>", body)
    alt = html.unescape(re.search(r'alt="([^"]*)"', img).group(1))
    assert alt == "Line chart of A & B <rising>, 2000\u20132002"
    assert 'class="bk-chart"' in img and re.search(r'id="b3-bkfig-[0-9a-f]+"', img)
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', img).group(1)).decode()
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    inline = ET.fromstring(re.search(r"<svg\b.*</svg>", original, re.S).group(0))
    assert _names(root) == _names(inline)  # every name as Matplotlib wrote it: clipPath, viewBox
    assert "b3-" not in svg  # an image's ids are its own: the chart's scoped style still applies
    assert 'id="b3-after"' in body  # the brief's other ids are prefixed as before


def test_a_chart_that_is_not_well_formed_stays_inline():
    from briefkit.publish.combined import brief_body

    broken = '<figure class="bk-figure"><svg class="bk-chart" viewbox="0 0 1 1"><g><path d="M 0 0"></g></svg></figure>'
    assert brief_body(f"<main>{broken}</main>", "b1-").count("<svg") == 1


def test_a_chart_prints_the_same_as_an_image(tmp_path):
    """The image of the chart prints as the inline chart does: same size, same drawing."""
    chromium_or_skip()
    from bs4 import BeautifulSoup
    from PIL import Image, ImageChops

    from briefkit.exporters.browser import Browser
    from briefkit.publish.combined import brief_body

    css = (ROOT / "briefkit" / "templates" / "briefing" / "briefing.css").read_text(encoding="utf-8")
    css += (ROOT / "briefkit" / "templates" / "pack.css").read_text(encoding="utf-8")
    chart = str(BeautifulSoup(_chart_html(), "html.parser"))
    pages = {"inline": chart, "image": brief_body(f"<main>{chart}</main>", "b1-")}
    pngs = {}
    with Browser() as browser:
        for name, body in pages.items():
            page = tmp_path / f"{name}.html"
            page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{css}</style></head>"
                            f"<body><main>{body}</main></body></html>", encoding="utf-8")
            browser.pdf(page, tmp_path / f"{name}.pdf")
            subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(tmp_path / f"{name}.pdf"),
                            str(tmp_path / name)], check=True)
            pngs[name] = Image.open(tmp_path / f"{name}.png").convert("L")
    difference = ImageChops.difference(pngs["inline"], pngs["image"])
    box = ImageChops.invert(pngs["inline"]).getbbox()  # where the inline chart drew
    assert box and box[3] - box[1] > 100  # a chart of some height was drawn
    differing = sum(1 for value in difference.get_flattened_data() if value > 64)
    assert differing < 0.01 * (box[2] - box[0]) * (box[3] - box[1]), differing
