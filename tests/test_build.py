"""End to end: build the tiny pack with build.py as a user would, and check what they see."""

from __future__ import annotations

import html
import json
import re

import pytest
from pypdf import PdfReader

from conftest import chromium_or_skip, copy_pack, run_build

A4 = (595.3, 841.9)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    chromium_or_skip()
    pack = copy_pack(tmp_path_factory.mktemp("e2e") / "pack")
    result = run_build(pack, "--jobs", "2")
    return pack, result


def test_failing_brief_exits_1_and_the_others_build(built):
    pack, result = built
    assert result.returncode == 1, result.stderr
    out = pack / "briefs"
    for brief in ("good-pacific", "good-europe"):
        assert (out / f"{brief}.html").stat().st_size > 1000
        assert (out / f"{brief}.pdf").read_bytes().startswith(b"%PDF")
    assert not (out / "failing.html").exists()
    # the error is summarised on the terminal: brief, cell, exception
    assert "Brief 'failing' failed in cell" in result.stderr
    assert "KeyError: 'space'" in result.stderr
    assert "2 built, 0 up to date, 1 failed." in result.stdout
    # papermill's executed copy, with its error banner, is kept for the analyst
    executed = json.loads((out / "_build" / "failing.ipynb").read_text())
    assert any("papermill-error-cell-tag" in c["metadata"].get("tags", []) for c in executed["cells"])


def test_html_has_no_code_prompts_parameters_or_stderr(built):
    pack, _ = built
    page = (pack / "briefs" / "good-pacific.html").read_text()
    assert "Region Pacific since 1990, scale 1.0." in page  # the output is there ...
    assert "display(HTML" not in page  # ... its code is not
    assert 'class="jp-InputPrompt' not in page and "In&nbsp;[" not in page
    assert "celltag_injected-parameters" not in page and "celltag_parameters" not in page
    assert "jp-CodeMirrorEditor" not in page and 'class="highlight' not in page
    assert 'region = "Pacific"' not in page
    assert "diagnostic noise" not in page  # stderr never reaches a reader
    assert "<h1>Good brief: Pacific</h1>" in page
    assert "Test readers" in page and "UNCLASSIFIED" in page


def test_html_is_self_contained(built):
    pack, _ = built
    for name in ("good-pacific.html", "good-europe.html", "index.html"):
        page = (pack / "briefs" / name).read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", page), name
        assert "<script src" not in page and "@import" not in page
    assert "data:image/png;base64," in (pack / "briefs" / "good-pacific.html").read_text()


def test_pdf_pages_are_a4_and_every_page_carries_marking_and_page_numbers(built):
    pack, _ = built
    for brief, marking in (("good-pacific", "UNCLASSIFIED"), ("good-europe", "IN-CONFIDENCE")):
        reader = PdfReader(pack / "briefs" / f"{brief}.pdf")
        assert len(reader.pages) >= 2, "the fixture brief is meant to run to several pages"
        total = len(reader.pages)
        for number, page in enumerate(reader.pages, start=1):
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            assert abs(width - A4[0]) < 2 and abs(height - A4[1]) < 2
            text = page.extract_text()
            assert text.count(marking) >= 2, f"{brief} page {number}: marking top and bottom"
            assert f"Page {number} of {total}" in text


def test_index_and_manifest_list_every_brief(built):
    pack, _ = built
    index = (pack / "briefs" / "index.html").read_text()
    manifest = json.loads((pack / "briefs" / "manifest.json").read_text())
    records = {r["id"]: r for r in manifest["briefs"]}
    assert list(records) == ["good-pacific", "good-europe", "failing"]
    for brief_id in ("good-pacific", "good-europe"):
        record = records[brief_id]
        assert record["status"] == "built"
        assert record["outputs"] == {"html": f"{brief_id}.html", "pdf": f"{brief_id}.pdf"}
        assert len(record["input_hash"]) == 64 and record["duration_s"] > 0
        assert f'href="{brief_id}.pdf"' in index
    assert records["good-europe"]["parameters"] == {"region": "Europe", "since": 2000, "marking": "IN-CONFIDENCE"}
    assert records["failing"]["status"] == "failed"
    assert "KeyError" in records["failing"]["error"]
    assert "Good brief: Europe" in index and "A failing brief" in index and "last build failed" in index
    assert "IN-CONFIDENCE" in index  # the index carries the highest marking it lists


def test_provenance_block_lists_parameters_and_build(built):
    pack, _ = built
    page = (pack / "briefs" / "good-europe.html").read_text()
    provenance = html.unescape(page[page.index('class="provenance"'):])
    assert "notebooks/good.ipynb" in provenance
    assert "region" in provenance and "'Europe'" in provenance
    assert "since" in provenance and "2000" in provenance
    assert "scale" in provenance and "1.0" in provenance  # defaults are shown too
    assert "commit" in provenance


def test_second_build_is_a_no_op_and_a_failure_keeps_the_previous_good_version(built, tmp_path):
    pack, _ = built
    again = run_build(pack, "--only", "good-*")
    assert again.returncode == 0, again.stderr
    assert "0 built, 2 up to date, 0 failed." in again.stdout

    html = pack / "briefs" / "good-pacific.html"
    before = html.read_bytes()
    notebook = pack / "notebooks" / "good.ipynb"
    original = notebook.read_text()
    try:
        nb = json.loads(original)
        nb["cells"][2]["source"] = "raise ValueError('broken on purpose')\n"
        notebook.write_text(json.dumps(nb))
        broken = run_build(pack, "--only", "good-pacific")
        assert broken.returncode == 1
        assert "ValueError: broken on purpose" in broken.stderr
        assert html.read_bytes() == before
        record = {r["id"]: r for r in json.loads((pack / "briefs" / "manifest.json").read_text())["briefs"]}
        assert record["good-pacific"]["status"] == "failed"
        assert record["good-pacific"]["outputs"]["html"] == "good-pacific.html"
        assert record["good-europe"]["status"] in {"built", "up to date"}  # kept from before
    finally:
        notebook.write_text(original)


def test_bad_parameter_exits_2_and_touches_nothing(built):
    pack, _ = built
    out = pack / "briefs"
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    result = run_build(pack, "-p", "good-pacific.since=soon", "--force")
    assert result.returncode == 2
    assert "good-pacific" in result.stderr and "'since'" in result.stderr and "'soon'" in result.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()} == stamps


def test_html_only_and_parameter_override(tiny_pack):
    result = run_build(tiny_pack, "--only", "good-pacific", "--format", "html", "-p", "good-pacific.since=2010")
    assert result.returncode == 0, result.stderr
    out = tiny_pack / "briefs"
    assert "Region Pacific since 2010" in (out / "good-pacific.html").read_text()
    assert not (out / "good-pacific.pdf").exists()


def test_list_and_help(tiny_pack):
    listing = run_build(tiny_pack, "--list")
    assert listing.returncode == 0
    assert "good-europe" in listing.stdout and "since: int = 2000" in listing.stdout
    assert "# First year shown" in listing.stdout
    helped = run_build(tiny_pack, "--help")
    for flag in ("--only", "--format", "-p", "--list", "--check", "--force", "--jobs", "--edition", "exit codes"):
        assert flag in helped.stdout


def test_unknown_brief_exits_2_with_suggestion(tiny_pack):
    result = run_build(tiny_pack, "--only", "good-pacfic")
    assert result.returncode == 2
    assert "Did you mean good-pacific" in result.stderr
    assert not (tiny_pack / "briefs").exists()
