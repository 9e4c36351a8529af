"""Exporters: the formats registry, Word files read back with python-docx, and the briefing
HTML rendered by stock nbconvert from an executed notebook."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import chromium_or_skip, run_build

ROOT = Path(__file__).resolve().parents[1]


def test_every_registered_format_has_an_exporter_with_name_suffix_and_label():
    from briefkit import exporters

    for name in exporters.names():
        exporter = exporters.create(name)
        assert exporter.name == name and exporter.suffix == f".{name}" and exporter.label
        assert exporters.LABELS[name] == exporter.label
    from briefkit.catalogue import FORMATS

    assert FORMATS == exporters.names()


@pytest.fixture(scope="module")
def word(tmp_path_factory):
    chromium_or_skip()
    from conftest import copy_pack

    pack = copy_pack(tmp_path_factory.mktemp("docx") / "pack")
    result = run_build(pack, "--only", "good-*", "--format", "docx", "--format", "html")
    assert result.returncode == 0, result.stderr
    return pack


def test_docx_has_markings_headings_tables_pictures_with_alt_text(word):
    from docx import Document
    from docx.shared import Mm

    out = word / "briefs"
    for brief, marking in (("good-pacific", "UNCLASSIFIED"), ("good-europe", "IN-CONFIDENCE")):
        document = Document(str(out / f"{brief}.docx"))
        for section in document.sections:  # the marking in the header and footer of every section
            assert section.header.paragraphs[0].text == marking
            assert section.footer.paragraphs[0].text == marking
            assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
        text = "\n".join(p.text for p in document.paragraphs)
        assert "Good brief:" in text and "Summary" in text and "rovenance" in text
        assert "Region " in text and "Paragraph 59 of filler text" in text
        styles = {p.style.name for p in document.paragraphs}
        assert "Title" in styles and "Heading 2" in styles
        assert "region = 'Pacific'" in text or "region = 'Europe'" in text  # the provenance annex's parameters
        props = document.core_properties  # what the PDF's document information says, and the marking
        assert props.title.startswith("Good brief") and props.title.endswith(f"\u2014 {marking}")
        assert props.subject.startswith(f"{marking}: ") and props.subject.endswith("(Test Pack)")
        assert props.author == props.last_modified_by == "Test Pack"  # no issuing division: the pack's title
        assert props.category == marking and props.keywords.startswith(f"{marking}; Test Pack; {brief}")
        assert props.comments.startswith("Made by briefkit ")
        # Nothing of python-docx's template claims the file: not its author or comment, not its
        # "Microsoft Macintosh Word" application with a one-page count, not its blank thumbnail.
        with zipfile.ZipFile(out / f"{brief}.docx") as archive:
            names = set(archive.namelist())
            app = archive.read("docProps/app.xml").decode()
            rels = archive.read("_rels/.rels").decode()
        assert "docProps/thumbnail.jpeg" not in names and "thumbnail" not in rels
        assert "<Application>briefkit " in app and "Macintosh" not in app and "<Pages>" not in app
        assert 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"' in rels
        for words in (props.author, props.comments, props.title, props.subject, props.keywords):
            assert "python-docx" not in words
    # the fixture's chart is a PNG output (not a house-style figure): a picture only where the
    # brief has house-style figures; checked on a brief that has one below
    assert not (out / "good-pacific.pdf").exists()  # only the formats asked for
    manifest = json.loads((out / "manifest.json").read_text())
    record = {r["id"]: r for r in manifest["briefs"]}["good-pacific"]
    assert record["outputs"] == {"html": "good-pacific.html", "docx": "good-pacific.docx"}
    assert 'href="good-pacific.docx">Word</a>' in (out / "index.html").read_text()


def test_docx_is_dated_by_the_build_and_the_same_bytes_when_built_again(word, tmp_path):
    """A Word file of the same inputs is the same file: its parts are dated by the build time
    ($SOURCE_DATE_EPOCH or the commit's, as the PDF's), not by when the archive was written;
    with no build time it is not dated at all, rather than with python-docx's template's 2013."""
    import datetime as dt

    from conftest import copy_pack
    from docx import Document

    undated_doc = Document(str(word / "briefs" / "good-pacific.docx")).core_properties  # no git, no epoch
    assert undated_doc.created is None and undated_doc.modified is None
    with zipfile.ZipFile(word / "briefs" / "good-pacific.docx") as archive:
        assert {item.date_time for item in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}

    pack = copy_pack(tmp_path / "pack")  # a pack of its own: the shared fixture's outputs stay as built
    out = pack / "briefs"
    epoch = {"SOURCE_DATE_EPOCH": "1764547200"}  # 2025-12-01 00:00 UTC
    moment = dt.datetime(2025, 12, 1, tzinfo=dt.timezone.utc)
    builds = []
    for _ in range(2):
        result = run_build(pack, "--only", "good-pacific", "--format", "docx", "--force", env=epoch)
        assert result.returncode == 0, result.stderr
        builds.append((out / "good-pacific.docx").read_bytes())
        time.sleep(2)  # a zip entry's time has two-second steps: a clock-dated archive would differ
    assert builds[0] == builds[1]
    props = Document(str(out / "good-pacific.docx")).core_properties
    assert props.created == moment and props.modified == moment
    with zipfile.ZipFile(out / "good-pacific.docx") as archive:
        assert {item.date_time for item in archive.infolist()} == {(2025, 12, 1, 0, 0, 0)}


def test_docx_of_a_house_style_brief_has_word_tables_and_charts_with_alt_text(tmp_path):
    """A brief with a house-style chart and table, built from a small notebook."""
    chromium_or_skip()
    import nbformat
    from docx import Document

    from conftest import copy_pack

    pack = copy_pack(tmp_path / "pack")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('marking: str = "UNCLASSIFIED"  # Protective marking')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import briefkit as bk, pandas as pd\n"
        "bk.key_points(['Incidents rose from 3 in 2020 to 5 in 2021.', 'They fell back to 4 in 2022.', 'The figures are a test table.'])\n"
        "df = pd.DataFrame({'year': [2020, 2021, 2022], 'count': [3, 5, 4]})\n"
        "bk.show_table(df, columns={'year': 'Year', 'count': 'Incidents'}, formats={'year': 'year'}, caption='Incidents by year')\n"
        "fig, ax = bk.new_figure('Incidents by year', xlabel='Year', ylabel='Incidents (number)')\n"
        "ax.plot(df['year'], df['count'])\n"
        "bk.chart(fig, alt='Incidents rose from 3 in 2020 to 5 in 2021.', source='Test source')\n")]
    nbformat.write(nb, str(pack / "notebooks" / "house.ipynb"))
    text = (pack / "pack.yml").read_text()
    (pack / "pack.yml").write_text(text + "  - {id: house, title: House style, notebook: notebooks/house.ipynb, formats: [docx]}\n")
    result = run_build(pack, "--only", "house")
    assert result.returncode == 0, result.stderr
    document = Document(str(pack / "briefs" / "house.docx"))
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets[:3] == ["Incidents rose from 3 in 2020 to 5 in 2021.", "They fell back to 4 in 2022.",
                           "The figures are a test table."]
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Year")
    assert [c.text for c in table.rows[0].cells] == ["Year", "Incidents"]
    assert [c.text for c in table.rows[2].cells] == ["2021", "5"]
    assert table.rows[0]._tr.trPr.xpath("./w:tblHeader"), "the header row repeats on every page"
    shapes = list(document.inline_shapes)
    assert len(shapes) == 1
    assert shapes[0]._inline.docPr.get("descr") == "Incidents rose from 3 in 2020 to 5 in 2021."
    assert "Source: Test source" in "\n".join(p.text for p in document.paragraphs)


def test_stock_nbconvert_renders_the_executed_notebook_as_the_build_did(tmp_path):
    from conftest import copy_pack

    pack = copy_pack(tmp_path / "pack")
    result = run_build(pack, "--only", "good-europe", "--format", "html")
    assert result.returncode == 0, result.stderr
    executed = pack / "briefs" / "_build" / "good-europe.ipynb"
    assert json.loads(executed.read_text())["metadata"]["briefkit"]["marking"] == "IN-CONFIDENCE"
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "briefing", str(executed),
                           "--output-dir", str(tmp_path / "stock")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    stock = (tmp_path / "stock" / "good-europe.html").read_text()
    assert stock == (pack / "briefs" / "good-europe.html").read_text()
    assert "IN-CONFIDENCE" in stock and 'http-equiv="Content-Security-Policy"' in stock
    assert not re.search(r"<script", stock)


def test_briefs_rendered_from_many_threads_at_once_are_each_as_rendered_alone(tmp_path):
    """The build's brief threads share one exporter (its template compiled once) and take turns,
    and rendering leaves the caller's notebook as it was."""
    from concurrent.futures import ThreadPoolExecutor

    import nbformat
    from conftest import copy_pack

    from briefkit.exporters import html

    pack = copy_pack(tmp_path / "pack")
    assert run_build(pack, "--only", "good-*", "--format", "html").returncode == 0
    notebooks = [nbformat.read(pack / "briefs" / "_build" / f"{name}.ipynb", as_version=4)
                 for name in ("good-europe", "good-pacific")] * 4
    before = [nbformat.writes(nb) for nb in notebooks[:2]]
    alone = [html.render(nb, nb.metadata["briefkit"]) for nb in notebooks[:2]]
    with ThreadPoolExecutor(8) as threads:
        together = list(threads.map(lambda nb: html.render(nb, nb.metadata["briefkit"]), notebooks))
    assert together == alone * 4
    assert together[0] == (pack / "briefs" / "good-europe.html").read_text()
    assert len(html._shared) == 1
    assert [nbformat.writes(nb) for nb in notebooks[:2]] == before


def test_stable_ids_renumber_in_order_at_the_same_width():
    from briefkit.exporters.pdf import stable_ids

    raw = (b"<</ID (node00001502)>> <</Headers [(node00001502) (node00000977)]>>"
           b" /Names [(node00000977) 5 0 R (node00001502) 6 0 R] /Limits [(node00000977) (node00001502)]")
    out = stable_ids(raw)
    assert len(out) == len(raw)  # no byte offset moves
    assert out == (b"<</ID (node00000002)>> <</Headers [(node00000002) (node00000001)]>>"
                   b" /Names [(node00000001) 5 0 R (node00000002) 6 0 R] /Limits [(node00000001) (node00000002)]")
    assert stable_ids(b"%PDF no structure") == b"%PDF no structure"


def undated(data: bytes) -> bytes:
    """A PDF without the browser's own dates (the wall clock, when none is given)."""
    return re.sub(rb"/(CreationDate|ModDate) \(D:[^)]*\)", b"", data)


def test_a_pdf_is_the_same_whatever_the_browser_printed_before_it(tmp_path):
    """The browser keeps its pages for later prints, and its pages share one renderer (a new
    one costs about a core-second): a brief's PDF must not depend on which documents that page,
    or another page of the same renderer, showed before or shows at the same time."""
    chromium_or_skip()
    from briefkit import config
    from briefkit.exporters.browser import Browser, find_chromium
    from briefkit.exporters.pdf import set_info

    settings = config.settings()
    table = "".join(f"<tr><th scope='row'>r{i}</th><td>{i}</td></tr>" for i in range(30))
    docs = {}
    for name, rows in (("a", table * 3), ("b", table)):
        docs[name] = tmp_path / f"{name}.html"
        docs[name].write_text(f"<!doctype html><html><head><title>{name}</title></head><body><h1>{name}</h1>"
                              f"<table><thead><tr><th>k</th><th>v</th></tr></thead><tbody>{rows}</tbody></table>"
                              "</body></html>", encoding="utf-8")

    def printed(order, folder):
        folder.mkdir()
        with Browser(find_chromium(None, settings.chromium, settings.playwright_browsers), pages=1) as browser:
            for name in order:
                browser.pdf(docs[name], folder / f"{name}.pdf")
                set_info(folder / f"{name}.pdf", {"Title": name}, None)
        return (folder / "b.pdf").read_bytes()

    def printed_beside(folder):  # "b" on a second page while the first prints "a"
        from concurrent.futures import ThreadPoolExecutor

        folder.mkdir()
        with Browser(find_chromium(None, settings.chromium, settings.playwright_browsers), pages=2) as browser:
            browser.pdf(docs["a"], folder / "a0.pdf")
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda name: browser.pdf(docs[name], folder / f"{name}.pdf"), ["a", "b"]))
            set_info(folder / "b.pdf", {"Title": "b"}, None)
        return (folder / "b.pdf").read_bytes()

    first, after = printed(["b"], tmp_path / "first"), printed(["a", "a", "b"], tmp_path / "after")
    assert b"(node" in first  # a tagged PDF whose table cells carry structure IDs
    assert undated(first) == undated(after)
    assert undated(first) == undated(printed_beside(tmp_path / "beside"))


def _renderers() -> set[int]:
    """Process ids of the Chromium renderers below this process."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_bytes()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rindex(b")") + 2:].split()[1]), []).append(int(entry.name))
    found, todo = set(), list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            if b"--type=renderer" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
        except OSError:
            continue
    return found


def test_a_renderer_is_replaced_after_so_many_documents_and_prints_the_same(tmp_path, monkeypatch):
    """Chromium's renderer keeps memory from every document it shows; after RENDERER_DOCUMENTS
    the shared context is retired (its renderer ends once its last print is done) and a new one
    takes over. The PDFs do not change, whichever renderer printed them, and a held document
    (the combined PDF's) prints on across the change."""
    chromium_or_skip()
    from concurrent.futures import ThreadPoolExecutor

    from briefkit import config
    from briefkit.exporters import browser as browser_module
    from briefkit.exporters.browser import Browser, find_chromium

    monkeypatch.setattr(browser_module, "RENDERER_DOCUMENTS", 3)
    settings = config.settings()
    doc = tmp_path / "brief.html"
    doc.write_text("<!doctype html><html><head><title>t</title></head><body><h1>Renderer test</h1>"
                   "<p>Same bytes from every renderer.</p></body></html>", encoding="utf-8")
    seen = []
    with Browser(find_chromium(None, settings.chromium, settings.playwright_browsers), pages=2) as browser:
        held = browser.document(doc)  # the first renderer's first document, held throughout
        browser.pdf(doc, tmp_path / "0.pdf")
        seen.append(_renderers())
        for i in range(1, 4):  # documents 3 to 8: two more renderers
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda k: browser.pdf(doc, tmp_path / f"{k}.pdf"), (2 * i - 1, 2 * i)))
            seen.append(_renderers())
        held.pdf(tmp_path / "held.pdf")  # on the retired renderer, still alive for this page
        held.close()
        browser.pdf(doc, tmp_path / "last.pdf")
        for _ in range(50):  # a closed context's renderer exits soon after, not at once
            alive = _renderers()
            if seen[0] - alive:
                break
            time.sleep(0.1)
    used = set().union(*seen)
    assert len(used) >= 3, seen  # 9 documents at 3 a renderer
    assert len(alive) <= 2 and seen[0] - alive, (seen, alive)  # the first renderer ended once let go
    first = undated((tmp_path / "0.pdf").read_bytes())
    for name in [*(f"{k}.pdf" for k in range(1, 7)), "held.pdf", "last.pdf"]:
        assert undated((tmp_path / name).read_bytes()) == first, name


def test_a_print_whose_renderer_crashed_is_printed_again_on_a_page_of_its_own(tmp_path, caplog):
    """Pages share one renderer process (a new one costs about a core-second): when it crashes,
    the print in flight is printed again on a page of its own, and the pages kept on the dead
    renderer are never printed on again."""
    chromium_or_skip()
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from pypdf import PdfReader

    from briefkit import config
    from briefkit.exporters.browser import Browser, find_chromium

    settings = config.settings()
    page = tmp_path / "brief.html"
    page.write_text("<!doctype html><html><head><title>t</title></head><body><h1>Crash test</h1></body></html>",
                    encoding="utf-8")
    with Browser(find_chromium(None, settings.chromium, settings.playwright_browsers), pages=3) as browser:
        with ThreadPoolExecutor(3) as pool:  # three pages kept, on one renderer
            list(pool.map(lambda i: browser.pdf(page, tmp_path / f"warm{i}.pdf"), range(3)))
        assert len(browser._idle) == 3
        pdf, crashes = browser._pdf, []

        async def crash_then_print(page_, pdf_path):  # the renderer dies under this print
            if not crashes:
                session = await page_.context.new_cdp_session(page_)
                crashes.append(asyncio.ensure_future(session.send("Page.crash")))
                await asyncio.sleep(0.5)
            await pdf(page_, pdf_path)

        browser._pdf = crash_then_print
        with caplog.at_level("WARNING", logger="briefkit"):
            browser.pdf(page, tmp_path / "out.pdf")
        assert crashes and browser._idle == []  # the other kept pages died with the renderer
        assert "renderer crashed while brief.html was printed" in caplog.text
        assert "Crash test" in PdfReader(tmp_path / "out.pdf").pages[0].extract_text()
        browser.pdf(page, tmp_path / "after.pdf")  # and the browser prints on as before
        assert "Crash test" in PdfReader(tmp_path / "after.pdf").pages[0].extract_text()
        browser._call(asyncio.wait([crashes[0]]))
        assert crashes[0].exception() is not None  # its page died before it could answer


def test_the_browser_search_takes_a_headless_shell_before_a_full_browser(tmp_path, monkeypatch):
    from briefkit.errors import BrowserNotFoundError
    from briefkit.exporters.browser import find_chromium

    def executable(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
        return path

    bin_dir, managed, empty = tmp_path / "bin", tmp_path / "ms-playwright", tmp_path / "none"
    monkeypatch.setenv("PATH", str(bin_dir))
    full = executable(bin_dir / "chromium")
    shell = executable(bin_dir / "chromium-headless-shell")
    assert find_chromium(None, None, empty) == str(shell)
    shell.unlink()
    assert find_chromium(None, None, empty) == str(full)
    # an explicit choice (--chromium, then $BRIEFKIT_CHROMIUM) still wins over either
    other = executable(tmp_path / "elsewhere" / "chrome")
    assert find_chromium(str(other), str(full), empty) == str(other)
    assert find_chromium(None, str(other), empty) == str(other)

    # Playwright's folder, laid out as `playwright install chromium` leaves it (1.49 and later)
    managed_full = executable(managed / "chromium-1255" / "chrome-linux64" / "chrome")
    managed_shell = executable(managed / "chromium_headless_shell-1255" / "chrome-headless-shell-linux64" / "chrome-headless-shell")
    assert find_chromium(None, None, managed) == str(managed_shell)
    managed_shell.unlink()
    assert find_chromium(None, None, managed) == str(managed_full)

    full.unlink()
    with pytest.raises(BrowserNotFoundError) as raised:
        find_chromium(None, None, empty)
    assert "chromium-headless-shell" in str(raised.value) and "chromium" in str(raised.value)


def test_the_printing_browser_draws_no_frames_and_prints_what_a_browser_with_frames_prints(tmp_path):
    """Prints come from a browser started without threaded compositing, so it draws no frames
    for a screen (about 0.04 core-seconds a brief): its PDFs must be byte for byte those of a
    browser that does. Pictures (for DOCX) need frames: they come from a second browser,
    started on first use only."""
    chromium_or_skip()
    from briefkit import config
    from briefkit.exporters.browser import PRINT_ARGS, Browser, find_chromium
    from briefkit.exporters.pdf import set_info

    settings = config.settings()
    glyph = "<path id='g' d='M0 0 L10 0 L10 10 Z'/>"
    uses = "".join(f"<use href='#g' x='{12 * i}' y='20'/>" for i in range(40))
    rows = "".join(f"<tr><th scope='row'>r{i}</th><td>{i}</td></tr>" for i in range(40))
    page = tmp_path / "brief.html"
    page.write_text("<!doctype html><html><head><title>t</title></head><body><h1>Frames</h1>"
                    f"<figure><svg width='500' height='60' role='img'><defs>{glyph}</defs>{uses}</svg></figure>"
                    f"<table><thead><tr><th>k</th><th>v</th></tr></thead><tbody>{rows}</tbody></table>"
                    "</body></html>", encoding="utf-8")

    def browsers_started_here() -> list[set]:
        """The arguments of each Chromium browser process (not its helpers) under this test;
        a wrapper script that runs the browser as its child counts once, with it."""
        parents, found = {}, {}
        for entry in os.listdir("/proc"):
            try:
                stat = open(f"/proc/{entry}/stat", "rb").read()
                parents[int(entry)] = int(stat[stat.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError):
                continue
        for pid in parents:
            ancestor = parents.get(pid)
            while ancestor and ancestor != os.getpid():
                ancestor = parents.get(ancestor)
            if not ancestor:
                continue
            try:
                args = open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\0")
            except OSError:
                continue
            if "--remote-debugging-pipe" in args and not any(a.startswith("--type=") for a in args):
                found[pid] = set(args)
        return [args for pid, args in found.items() if parents[pid] not in found]

    def stamped(path) -> bytes:
        set_info(path, {"Title": "t"}, None)
        return undated(path.read_bytes())

    with Browser(find_chromium(None, settings.chromium, settings.playwright_browsers)) as browser:
        browser.pdf(page, tmp_path / "printed.pdf")
        assert browser._framed is None  # no second browser until a picture is asked for

        assert [set(PRINT_ARGS) <= args for args in browsers_started_here()] == [True]
        pictures = browser.pictures(page, "figure svg")
        assert len(pictures) == 1 and pictures[0].startswith(b"\x89PNG")
        assert sorted(set(PRINT_ARGS) <= args for args in browsers_started_here()) == [False, True]

        async def print_with_frames(pdf_path):
            context, framed_page, blocked = await browser._new_page(framed=True)
            try:
                await browser._load(framed_page, blocked, page)
                await browser._pdf(framed_page, pdf_path)
            finally:
                await framed_page.close()

        browser._call(print_with_frames(tmp_path / "framed.pdf"))
    assert stamped(tmp_path / "printed.pdf") == stamped(tmp_path / "framed.pdf")
