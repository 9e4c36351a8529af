"""End to end on the real pack: markings as ceilings across every output, and bad data stopping
the build before anything is touched. Works on a copy: the repository's data is never edited."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT, chromium_or_skip, real_pack_copy, run_build

SECRET_TEXT = "Zebra-7 liaison channel"  # a made-up role description that must never leak


@pytest.fixture(scope="module")
def pack_copy(tmp_path_factory) -> Path:
    return real_pack_copy(tmp_path_factory.mktemp("realpack") / "pack")


def add_row(csv_path: Path, **values) -> None:
    with csv_path.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    row = {name: "" for name in header}
    row.update(values)
    with csv_path.open("a", newline="", encoding="utf-8") as fh:
        csv.DictWriter(fh, fieldnames=header, lineterminator="\n").writerow(row)


def test_restricted_row_never_reaches_an_unclassified_brief(pack_copy, tmp_path):
    chromium_or_skip()
    add_row(
        pack_copy / "data" / "nz_roles.csv",
        role_id="restricted-probe", area="counter-terrorism", threat_id="terrorism",
        description=SECRET_TEXT, lead_agency="MFAT International Security and Disarmament Division (ISED)",
        partners="none", source_url="https://www.mfat.govt.nz/", verified="true", classification="RESTRICTED",
    )
    out = tmp_path / "out"
    result = run_build(pack_copy, "--only", "outlook", "--output", str(out))
    assert result.returncode == 0, result.stderr
    html = (out / "outlook.html").read_text()
    pdf_text = "".join(page.extract_text() for page in PdfReader(out / "outlook.pdf").pages)
    executed = (out / "_build" / "outlook.ipynb").read_text()
    for where, text in (("HTML", html), ("PDF", pdf_text), ("executed notebook", executed)):
        assert SECRET_TEXT not in text, f"RESTRICTED row leaked into the {where}"
    assert "UNCLASSIFIED" in pdf_text

    # The same brief built at RESTRICTED shows the row, and marks every page RESTRICTED. A raised
    # marking is written under a marking-named file, never over outlook.html (README).
    raised = run_build(pack_copy, "--only", "outlook", "--output", str(tmp_path / "restricted"),
                       "-p", "outlook.marking=RESTRICTED")
    assert raised.returncode == 0, raised.stderr
    assert not (tmp_path / "restricted" / "outlook.html").exists()
    assert SECRET_TEXT in (tmp_path / "restricted" / "outlook.restricted.html").read_text()
    for page in PdfReader(tmp_path / "restricted" / "outlook.restricted.pdf").pages:
        assert page.extract_text().count("RESTRICTED") >= 2


def test_invalid_data_stops_before_any_kernel_and_touches_nothing(pack_copy, tmp_path):
    out = tmp_path / "out"
    out.mkdir()  # an earlier build's folder (the engine writes only into such a folder)
    (out / "outlook.html").write_text("previous good version")
    (out / "manifest.json").write_text('{"briefs": []}')
    threats = pack_copy / "data" / "threats.csv"
    original = threats.read_text(encoding="utf-8")
    try:
        threats.write_text(original.replace(",rising,", ",risng,", 1), encoding="utf-8")
        result = run_build(pack_copy, "--output", str(out))
        assert result.returncode == 2
        assert 'data/threats.csv line 2, column "trend": \'risng\'' in result.stderr
        assert "rising" in result.stderr and "python build.py --check" in result.stderr
        assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "outlook.html"]
        assert (out / "outlook.html").read_text() == "previous good version"
        check = run_build(pack_copy, "--check")
        assert check.returncode == 2 and "risng" in check.stderr
    finally:
        threats.write_text(original, encoding="utf-8")


def test_check_passes_on_the_repository_pack():
    result = run_build(ROOT, "--check")
    assert result.returncode == 0, result.stderr
    assert "nothing was built" in result.stdout


def test_catalogue_lists_every_brief_with_typed_parameters():
    result = run_build(ROOT, "--list")
    assert result.returncode == 0, result.stderr
    for brief_id in ("outlook", "threat-terrorism", "threat-wmd", "threat-cyber", "threat-people-smuggling",
                     "threat-space", "threat-level", "peace-support", "disarmament", "region-pacific",
                     "region-southeast-asia", "region-middle-east"):
        assert f"\n{brief_id}\n" in f"\n{result.stdout}"
    assert "Unknown type" not in result.stdout and ": None =" not in result.stdout
