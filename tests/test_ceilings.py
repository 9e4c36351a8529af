"""Marking ceilings enforced by the engine, and the withheld-row scan run before publishing.

The engine starts every brief's kernel with ``BRIEFKIT_MARKING`` set to the brief's marking;
these tests set it themselves.
"""

from __future__ import annotations

import html
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

import briefkit.data as data
from briefkit.data import store
from briefkit.data import withheld as wh
from briefkit.nb import sources, tables
from briefkit.errors import BriefkitError

FIXTURE = Path(__file__).parent / "fixtures" / "data"
SECRET_ROW = "hidden,space,2020,,Operation Nightjar,RESTRICTED\n"


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch):
    monkeypatch.delenv("BRIEFKIT_PACK", raising=False)
    monkeypatch.delenv("BRIEFKIT_MARKING", raising=False)
    sources.USED.clear()
    store._LOADED.clear()
    yield
    sources.USED.clear()
    store._LOADED.clear()


@pytest.fixture
def pack(tmp_path, monkeypatch) -> Path:
    """The tiny pack with one RESTRICTED row in roles.csv, set as the current pack."""
    root = tmp_path / "pack"
    shutil.copytree(FIXTURE, root)
    with open(root / "data" / "roles.csv", "a", encoding="utf-8") as fh:
        fh.write(SECRET_ROW)
    monkeypatch.setenv("BRIEFKIT_PACK", str(root))
    return root


# --- the ceiling set by the engine ----------------------------------------------------------


def test_marking_above_the_briefs_ceiling_is_refused(pack, monkeypatch):
    monkeypatch.setenv("BRIEFKIT_MARKING", "UNCLASSIFIED")
    for asked in ("TOP SECRET", "RESTRICTED", "in confidence"):
        with pytest.raises(BriefkitError) as caught:
            tables.table("roles", marking=asked)
        message = str(caught.value)
        assert "UNCLASSIFIED" in message and "roles" in message
        assert "pack.yml" in message  # what to do: raise the brief's marking there
    assert "hidden" not in set(tables.table("roles", marking="UNCLASSIFIED")["role_id"])
    assert "hidden" not in set(tables.table("roles")["role_id"])


def test_a_lower_marking_than_the_ceiling_narrows(pack, monkeypatch):
    monkeypatch.setenv("BRIEFKIT_MARKING", "SECRET")
    assert "hidden" in set(tables.table("roles", marking="RESTRICTED")["role_id"])
    assert "hidden" in set(tables.table("roles", marking="secret")["role_id"])
    narrowed = tables.table("roles", marking="UNCLASSIFIED")
    assert "hidden" not in set(narrowed["role_id"]) and len(narrowed) == 3
    with pytest.raises(BriefkitError, match="TOP SECRET"):
        tables.table("roles", marking="TOP SECRET")


def test_a_bad_ceiling_in_the_environment_is_explained(pack, monkeypatch):
    monkeypatch.setenv("BRIEFKIT_MARKING", "SECRETISH")
    with pytest.raises(BriefkitError, match="BRIEFKIT_MARKING"):
        tables.table("roles")


def test_without_a_ceiling_the_marking_argument_is_used(pack):
    assert "hidden" not in set(tables.table("roles")["role_id"])  # default UNCLASSIFIED
    assert "hidden" in set(tables.table("roles", marking="TOP SECRET")["role_id"])


def _frames(obj, depth=0):
    """Every DataFrame reachable through public attributes and containers of ``obj``."""
    if depth > 3:
        return
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        yield obj
        return
    if isinstance(obj, dict):
        for value in obj.values():
            yield from _frames(value, depth + 1)
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for value in obj:
            yield from _frames(value, depth + 1)
        return
    if isinstance(obj, (str, bytes, int, float, bool, type(None))) or callable(obj):
        return
    for name in dir(obj):
        if not name.startswith("_"):
            try:
                yield from _frames(getattr(obj, name), depth + 1)
            except Exception:
                pass


def test_no_public_name_hands_out_unfiltered_rows(pack, monkeypatch):
    monkeypatch.setenv("BRIEFKIT_MARKING", "UNCLASSIFIED")
    pkg = data.load()
    tables.table("roles")
    assert not hasattr(pkg, "tables")
    assert not hasattr(pkg, "table")  # rows come only through briefkit.nb.tables, which filters
    modules = (data, store, tables, sources)
    public = [getattr(m, k) for m in modules for k in dir(m) if not k.startswith("_")]
    for frame in [*_frames(pkg), *_frames(public)]:
        assert "Nightjar" not in frame.to_csv()
    shown = tables.table("roles")
    assert "hidden" not in set(shown["role_id"])
    with pytest.raises(BriefkitError):
        tables.table("roles", marking="RESTRICTED")
    assert pkg.resources["roles"]["title"] == "Roles"  # metadata stays public
    info = tables.table_info("roles")
    assert info["title"] == "Roles" and "Nightjar" not in json.dumps(info)


# --- withheld values ------------------------------------------------------------------------


def test_withheld_values_lists_the_distinctive_values_of_rows_above_the_marking(pack):
    found = wh.withheld_values(pack, "UNCLASSIFIED")
    values = {w.value for w in found}
    assert "Operation Nightjar" in values
    assert "hidden" in values  # its primary key, which no visible row has
    assert "space" not in values  # shared with a visible threats row
    assert "2020" not in values  # short numbers are not distinctive
    assert all(w.table == "roles" and w.key == "role_id=hidden" for w in found)
    nightjar = next(w for w in found if w.value == "Operation Nightjar")
    assert nightjar.column == "description"
    assert wh.withheld_values(pack, "RESTRICTED") == []
    assert wh.withheld_values(pack, "TOP SECRET") == []


def test_a_value_shared_with_an_unclassified_row_is_not_withheld(pack):
    with open(pack / "data" / "roles.csv", "a", encoding="utf-8") as fh:
        fh.write("secret-ir,cyber,2021,,Incident response,CONFIDENTIAL\n")
    found = wh.withheld_values(pack, "UNCLASSIFIED")
    assert "Incident response" not in {w.value for w in found}
    assert "secret-ir" in {w.value for w in found}
    text = "<p>NZ's role: Incident response since 2017.</p>"
    assert wh.find_withheld(text, found) == []
    assert "secret-ir" in {w.value for w in wh.withheld_values(pack, "RESTRICTED")}


def test_a_restricted_value_planted_in_a_text_is_found(pack):
    found = wh.withheld_values(pack, "UNCLASSIFIED")
    page = "<html><body><p>Roles include Operation\n   Nightjar (2020).</p></body></html>"
    hits = wh.find_withheld(page, found)
    assert [(h.table, h.key, h.column, h.value) for h in hits] == [
        ("roles", "role_id=hidden", "description", "Operation Nightjar")]
    assert wh.find_withheld("operation nightjar", found) == []  # case-sensitive
    assert wh.find_withheld("Roles include Incident response.", found) == []
    assert wh.find_withheld("", found) == [] and wh.find_withheld(page, []) == []


def test_withheld_values_are_found_in_escaped_html_and_notebook_json(pack):
    with open(pack / "data" / "roles.csv", "a", encoding="utf-8") as fh:
        fh.write('ampers,cyber,2022,,"R&D ""Kea"" unit",SECRET\n')
    found = wh.withheld_values(pack, "UNCLASSIFIED")
    assert 'R&D "Kea" unit' in {w.value for w in found}
    for text in (html.escape('<td>R&D "Kea" unit</td>'), html.escape("R&D \"Kea\"  unit", quote=False),
                 json.dumps({"text": "Line one\nR&D \"Kea\"\nunit"})):
        assert 'R&D "Kea" unit' in {h.value for h in wh.find_withheld(text, found)}, text


def test_a_withheld_word_inside_a_longer_word_is_not_a_hit(pack):
    found = wh.withheld_values(pack, "UNCLASSIFIED")
    assert wh.find_withheld("the hiddenness of it", found) == []
    assert [h.value for h in wh.find_withheld("row (hidden) shown", found)] == ["hidden"]


def test_withheld_is_a_small_frozen_record():
    item = wh.Withheld("roles", "role_id=hidden", "description", "Operation Nightjar")
    with pytest.raises(Exception):
        item.value = "x"
    assert "Operation Nightjar" in repr(item)


def test_find_withheld_is_fast_enough_for_a_whole_build():
    withheld = [wh.Withheld("t", f"id={i}", "name", f"Operation Codeword{i:04d} {i * 7919}")
                for i in range(2000)]
    text = ("<p>The quick brown fox jumps over the lazy dog 12345. Operation Codename.</p>\n"
            * 25_000)  # ~2 MB, about the size of a brief's HTML with its charts
    started = time.perf_counter()
    for _ in range(4):  # HTML raw and unescaped, PDF text, executed notebook
        assert wh.find_withheld(text, withheld) == []
    elapsed = time.perf_counter() - started
    assert elapsed < 4.0, f"{elapsed:.2f}s for one brief's four texts"
    assert [h.key for h in wh.find_withheld(text + "Operation Codeword0042 332598", withheld)] == ["id=42"]
