"""Incremental, deterministic, edition builds of the tiny pack (HTML only, to stay quick)."""

from __future__ import annotations

import json
import os

from conftest import run_build


def manifest(pack):
    return {r["id"]: r for r in json.loads((pack / "briefs" / "manifest.json").read_text())["briefs"]}


def test_unchanged_inputs_are_not_rebuilt_and_a_changed_notebook_is(tiny_pack):
    first = run_build(tiny_pack, "--only", "good-*", "--format", "html")
    assert first.returncode == 0, first.stderr
    assert {r["reason"] for r in manifest(tiny_pack).values()} == {"new brief"}

    again = run_build(tiny_pack, "--only", "good-*", "--format", "html")
    assert "0 built, 2 up to date" in again.stdout
    assert {r["status"] for r in manifest(tiny_pack).values()} == {"up to date"}

    override = run_build(tiny_pack, "--only", "good-*", "--format", "html", "-p", "good-europe.since=2001")
    assert "1 built, 1 up to date" in override.stdout
    assert manifest(tiny_pack)["good-europe"]["reason"] == "inputs changed"

    forced = run_build(tiny_pack, "--only", "good-pacific", "--format", "html", "--force")
    assert "1 built" in forced.stdout
    assert manifest(tiny_pack)["good-pacific"]["reason"] == "forced (--force)"

    (tiny_pack / "briefs" / "good-pacific.html").unlink()
    missing = run_build(tiny_pack, "--only", "good-*", "--format", "html", "-p", "good-europe.since=2001")
    assert manifest(tiny_pack)["good-pacific"]["reason"] == "output missing (html)"
    assert "1 built, 1 up to date" in missing.stdout


def test_same_inputs_give_the_same_html_whatever_the_jobs(tiny_pack, tmp_path):
    env = {"SOURCE_DATE_EPOCH": "1764000000"}
    one = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--jobs", "1", "--output", str(tmp_path / "a"), env=env)
    two = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--jobs", "2", "--output", str(tmp_path / "b"), env=env)
    assert one.returncode == two.returncode == 0
    for name in ("good-pacific.html", "good-europe.html", "index.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert "2025-11-24 16:00 UTC" in (tmp_path / "a" / "good-pacific.html").read_text()


def test_edition_is_dated_kept_and_latest_points_at_it(tiny_pack):
    out = tiny_pack / "briefs"
    for day in ("2026-11-24", "2026-11-25"):
        result = run_build(tiny_pack, "--only", "good-*", "--format", "html", "--edition", "--edition-date", day)
        assert result.returncode == 0, result.stderr
    for day in ("2026-11-24", "2026-11-25"):
        edition = out / "editions" / day
        assert (edition / "good-pacific.html").is_file() and (edition / "index.html").is_file()
        assert json.loads((edition / "manifest.json").read_text())["edition"] == day
    assert os.readlink(out / "latest") == "editions/2026-11-25"
    assert (out / "latest" / "good-europe.html").is_file()
    index = (out / "index.html").read_text()
    assert 'href="editions/2026-11-25/index.html"' in index and 'href="editions/2026-11-24/index.html"' in index
    assert "Edition of 25 November 2026" in (out / "latest" / "index.html").read_text()


def test_bad_edition_date_is_refused(tiny_pack):
    result = run_build(tiny_pack, "--edition-date", "25/11/2026")
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr
