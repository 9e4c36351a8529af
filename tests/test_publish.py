"""Publishing pieces without a build: comparing snapshots at a marking, release sets, the PDF
metadata stamp, analysts' judgements, and pack records read back from a manifest."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
from pypdf import PdfReader, PdfWriter

from briefkit.exporters.pdf import info, set_info
from briefkit.nb.judgements import judgements_html
from briefkit.publish import changes as ch
from briefkit.publish.manifest import read_manifest
from briefkit.publish.sets import release_sets


def _table(rows, title="Threats"):
    fields = ["threat_id", "level", "classification"]
    return {"title": title, "hash": json.dumps(rows), "key": ["threat_id"], "fields": fields, "rows": rows}


def _snap(date, rows, briefs):
    return {"date": date, "tables": {"threats": _table(rows)}, "briefs": briefs}


OLD = _snap("2026-11-01", [["cyber", "2", "UNCLASSIFIED"], ["hidden", "1", "SECRET"]],
            {"a": {"title": "A", "marking": "UNCLASSIFIED", "key_points": ["The level is LOW now.", "Same."],
                   "bottom_line": "Same.", "figures": {}},
             "s": {"title": "Secret brief", "marking": "SECRET", "key_points": ["x"], "figures": {}}})
NEW = _snap("2026-11-02", [["cyber", "3", "UNCLASSIFIED"], ["hidden", "9", "SECRET"], ["new", "1", "SECRET"]],
            {"a": {"title": "A", "marking": "UNCLASSIFIED", "key_points": ["The level is MEDIUM now.", "Same."],
                   "bottom_line": "Same.", "figures": {}},
             "b": {"title": "B", "marking": "UNCLASSIFIED", "key_points": [], "figures": {}}})


def test_changes_at_a_marking_never_show_or_count_higher_rows_or_briefs():
    low = ch.compare(OLD, NEW, "UNCLASSIFIED")
    [table] = low["tables"]
    assert table["changed"] == [{"key": {"threat_id": "cyber"}, "fields": {"level": {"old": "2", "new": "3"}}}]
    assert table["added"] == [] and table["removed"] == []
    assert low["briefs"]["added"] == [{"id": "b", "title": "B"}] and low["briefs"]["removed"] == []
    text = json.dumps(low) + "\n".join(ch.headlines(low)) + "\n".join(ch.as_text(low))
    assert "hidden" not in text and "SECRET" not in text and "Secret brief" not in text
    high = ch.compare(OLD, NEW, "SECRET")
    assert len(high["tables"][0]["changed"]) == 2 and len(high["tables"][0]["added"]) == 1
    assert high["briefs"]["removed"] == [{"id": "s", "title": "Secret brief"}]


def test_figures_that_moved_are_read_from_changed_key_points():
    [brief] = ch.compare(OLD, NEW, "UNCLASSIFIED")["briefs"]["changed"]
    assert brief["key_points"]["changed"] == [{"old": "The level is LOW now.", "new": "The level is MEDIUM now."}]
    assert [(f["old"], f["new"]) for f in brief["figures"]] == [("LOW", "MEDIUM")]
    assert any("LOW \u2192 MEDIUM" in line for line in ch.headlines(ch.compare(OLD, NEW, "UNCLASSIFIED")))


def test_only_higher_rows_changing_shows_nothing_at_the_lower_marking():
    new = _snap("2026-11-02", [["cyber", "2", "UNCLASSIFIED"], ["hidden", "5", "SECRET"]], OLD["briefs"])
    low = ch.compare(OLD, new, "UNCLASSIFIED")
    assert low["tables"] == [] and ch.is_empty(low)


def test_snapshots_are_compact_and_reproducible(tmp_path):
    ch.write_snapshot(tmp_path, NEW)
    first = (tmp_path / ch.SNAPSHOT).read_bytes()
    ch.write_snapshot(tmp_path, NEW)
    assert (tmp_path / ch.SNAPSHOT).read_bytes() == first
    assert ch.read_snapshot(tmp_path) is None  # not a briefkit snapshot: no format
    ch.write_snapshot(tmp_path, {**NEW, "format": ch.FORMAT, "version": ch.VERSION})
    assert ch.read_snapshot(tmp_path)["tables"]["threats"]["rows"][0] == ["cyber", "3", "UNCLASSIFIED"]


def test_release_sets_are_cumulative_by_marking_and_leave_out_variants():
    records = [{"id": "a", "marking": "UNCLASSIFIED"}, {"id": "b", "marking": "RESTRICTED"},
               {"id": "a", "stem": "a.secret", "marking": "SECRET"}, {"id": "c", "marking": "IN-CONFIDENCE"}]
    sets = release_sets(records)
    assert [(s.marking, s.slug, s.ids) for s in sets] == [
        ("UNCLASSIFIED", "unclassified", ["a"]), ("IN-CONFIDENCE", "in-confidence", ["a", "c"]),
        ("RESTRICTED", "restricted", ["a", "b", "c"])]


def test_set_info_gives_metadata_and_dates_without_rewriting_the_file(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Creator": "Mozilla/5.0 (X11) HeadlessChrome", "/CreationDate": "D:20991231235959+00'00'"})
    buffer = io.BytesIO()
    writer.write(buffer)
    path = tmp_path / "x.pdf"
    path.write_bytes(buffer.getvalue())
    when = dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)
    set_info(path, info("T \u2014 UNCLASSIFIED", "UNCLASSIFIED: s", "Māori Division", ["UNCLASSIFIED", "k"]), when)
    meta = PdfReader(path).metadata
    assert meta["/Title"] == "T \u2014 UNCLASSIFIED" and meta["/Author"] == "Māori Division"
    assert meta["/Keywords"] == "UNCLASSIFIED; k" and meta["/Creator"].startswith("briefkit")
    assert meta["/CreationDate"] == "D:20261125000000+00'00'"
    assert b"HeadlessChrome" not in path.read_bytes() and b"2099" not in path.read_bytes()
    assert path.read_bytes().startswith(buffer.getvalue()[:200].split(b"HeadlessChrome")[0][:9])


def test_judgements_block_is_attributed_dated_and_escaped():
    rows = pd.DataFrame({
        "brief_id": ["outlook", "outlook", "other"], "kind": ["judgement", "talking point", "judgement"],
        "text": ["<b>Not markup</b>", "Say this.", "Elsewhere."], "author": ["Pack maintainers"] * 3,
        "written": pd.to_datetime(["2026-11-27"] * 3), "review_by": pd.to_datetime(["2026-12-01", "2027-05-27", "2027-05-27"]),
        "source": ["MFAT page"] * 3})
    block = str(judgements_html(rows, "outlook", today=dt.date(2027, 1, 1)))
    assert "Analysts\u2019 judgements" in block and "Talking points" in block
    assert "&lt;b&gt;Not markup&lt;/b&gt;" in block and "Elsewhere" not in block
    assert "Pack maintainers, 27 November 2026; review by 1 December 2026" in block
    assert block.count("past its review date") == 1
    assert str(judgements_html(rows, "nobody")) == ""


def test_a_crafted_pack_record_cannot_put_a_link_into_an_index(tmp_path):
    good = {"marking": "UNCLASSIFIED", "index": "unclassified/index.html", "pdf": None, "changes": None, "briefs": ["a"]}
    bad = {**good, "index": "javascript:alert(1)"}
    elsewhere = {**good, "marking": "SECRET", "pdf": "../../etc/passwd"}
    (tmp_path / "manifest.json").write_text(json.dumps({"briefs": [], "packs": [good, bad, elsewhere]}))
    assert read_manifest(tmp_path)["packs"] == [good]
