"""briefkit.data and briefkit.nb.tables/sources: validation messages, typed tables, marking
ceilings, cache, provenance."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import briefkit.data as data
from briefkit.data import store
from briefkit.nb import sources, tables
from briefkit.errors import BriefkitError, DataValidationError

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "data"


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch):
    monkeypatch.delenv("BRIEFKIT_PACK", raising=False)
    sources.USED.clear()
    store._LOADED.clear()
    yield
    sources.USED.clear()
    store._LOADED.clear()


@pytest.fixture
def pack(tmp_path, monkeypatch) -> Path:
    """A writable copy of the tiny valid pack, set as the current pack."""
    root = tmp_path / "pack"
    shutil.copytree(FIXTURE, root)
    monkeypatch.setenv("BRIEFKIT_PACK", str(root))
    return root


def write(root: Path, name: str, text: str | bytes) -> None:
    path = root / "data" / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def replace(root: Path, name: str, old: str, new: str) -> None:
    path = root / "data" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def messages(root: Path) -> list[str]:
    return [str(p) for p in data.check(root)]


# --- the real package and the fixture ---------------------------------------------------------


def test_repository_data_package_is_valid():
    assert messages(REPO) == []


def test_fixture_package_is_valid():
    assert messages(FIXTURE) == []


# --- one bad input per rule: the message a user sees -----------------------------------------

THREATS_HEADER = "threat_id,name,trend,level,first_seen,verified,classification\n"
GOOD_ROW = "terrorism,Terrorism,rising,2,2001-09-11,true,UNCLASSIFIED"


@pytest.mark.parametrize("old, new, expected", [
    ("rising,2,", "risng,2,",
     """data/threats.csv line 2, column "trend": 'risng' is not one of rising, stable, falling"""),
    ("rising,2,", "rising,two,",
     """data/threats.csv line 2, column "level": 'two' is not a whole number"""),
    ("2001-09-11", "2001-13-11",
     """data/threats.csv line 2, column "first_seen": '2001-13-11' is not a date written YYYY-MM-DD"""),
    ("2001-09-11,true", "2001-09-11,yes",
     """data/threats.csv line 2, column "verified": 'yes' is not true or false"""),
    ("rising,2,", "rising,9,",
     """data/threats.csv line 2, column "level": '9' is above the maximum of 5"""),
    ("Terrorism,", ",",
     """data/threats.csv line 2, column "name": is empty, but this column requires a value"""),
    ("cyber,Cyber", "terrorism,Cyber",
     """data/threats.csv line 3, column "threat_id": 'terrorism' is already used on line 2; each row needs its own threat_id"""),
    ("terrorism,Terrorism", "Terror_ism,Terrorism",
     """data/threats.csv line 2, column "threat_id": 'Terror_ism' does not have the expected form (it must match the pattern [a-z-]+)"""),
    ("UNCLASSIFIED\ncyber", "UNCLASIFIED\ncyber",
     """data/threats.csv line 2, column "classification": 'UNCLASIFIED' is not one of UNCLASSIFIED, IN-CONFIDENCE, SENSITIVE, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET"""),
    ("Terrorism,", '"=HYPERLINK(""http://x"")",',
     """data/threats.csv line 2, column "name": '=HYPERLINK("http://x")' starts with '=', which a spreadsheet would run as a formula"""),
    (",verified,", ",checked,",
     """data/threats.csv line 1, column "checked": is not a column of this table in data/datapackage.yaml; remove it or add it to the schema"""),
    (",verified,", ",checked,",
     """data/threats.csv line 1, column "verified": is missing from the header row; the schema in data/datapackage.yaml requires this column"""),
    ("true,UNCLASSIFIED\ncyber", "true,UNCLASSIFIED,extra\ncyber",
     "data/threats.csv line 2: has 8 cells but the header has 7 columns (too many: look for an unquoted comma)"),
    ("2,2001-09-11,true,UNCLASSIFIED", "2",
     "data/threats.csv line 2: has 4 cells but the header has 7 columns (too few: a value or a comma is missing)"),
])
def test_bad_threats_cell_is_reported_with_file_line_column_value_and_rule(pack, old, new, expected):
    replace(pack, "threats.csv", old, new)
    found = messages(pack)
    assert any(m.startswith(expected) for m in found), found


def test_ragged_row_is_one_problem_not_one_per_missing_cell(pack):
    replace(pack, "threats.csv", "2,2001-09-11,true,UNCLASSIFIED", "2")
    assert len(messages(pack)) == 1


def test_broken_foreign_key(pack):
    replace(pack, "roles.csv", "cyber,cyber,", "cyber,cyberr,")
    assert messages(pack) == [
        """data/roles.csv line 3, column "threat_id": 'cyberr' has no match in column "threat_id" of data/threats.csv"""]


def test_blank_foreign_key_is_allowed(pack):
    assert "forums,,1971" in (pack / "data" / "roles.csv").read_text()
    assert messages(pack) == []


def test_line_numbers_count_physical_lines_of_multiline_cells(pack):
    replace(pack, "threats.csv", "Terrorism,", '"Terror\nism",')
    replace(pack, "threats.csv", "cyber,Cyber security,rising", "cyber,Cyber security,risng")
    assert messages(pack) == [
        """data/threats.csv line 4, column "trend": 'risng' is not one of rising, stable, falling"""]


def test_empty_file(pack):
    write(pack, "roles.csv", "")
    assert messages(pack) == [
        "data/roles.csv: is empty; it needs at least a header row naming the columns"]


def test_file_that_is_not_utf8(pack):
    write(pack, "threats.csv", (THREATS_HEADER + GOOD_ROW.replace("Terrorism", "Terrorisme é")
                                + "\n").encode("latin-1"))
    found = messages(pack)
    assert found[0].startswith("data/threats.csv line 2: has bytes that are not UTF-8 (0xE9")
    assert "Save it as 'CSV UTF-8'" in found[0]


def test_byte_order_mark_is_accepted_with_a_warning_and_kept_out_of_the_header(pack):
    path = pack / "data" / "threats.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with pytest.warns(data.DataWarning, match="byte-order mark"):
        assert messages(pack) == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.DataWarning)
        assert list(tables.table("threats").columns)[0] == "threat_id"


def test_resource_listed_but_file_missing(pack):
    (pack / "data" / "history.csv").unlink()
    assert messages(pack) == [
        'data/history.csv: is listed in data/datapackage.yaml (resource "history") but the file '
        "does not exist; restore it or remove the resource"]


def test_bad_yaml_reports_its_line(pack):
    replace(pack, "datapackage.yaml", "    title: Roles\n", "    title: Roles\n   oops: [\n")
    found = messages(pack)
    assert len(found) == 1
    assert found[0].startswith("data/datapackage.yaml line ")
    bad = (pack / "data" / "datapackage.yaml").read_text().splitlines().index("   oops: [") + 1
    line = int(found[0].split()[2].rstrip(":"))
    assert line in (bad, bad + 1)  # YAML may notice a mistake on the line after it
    assert "is not valid YAML" in found[0]


def test_missing_as_of_and_classification_field_in_descriptor(pack):
    replace(pack, "datapackage.yaml", '    as_of: "2023-12-31"\n', "")
    found = messages(pack)
    assert any('(as_of of resource "roles") is not a date written YYYY-MM-DD' in m for m in found)


# --- files that are not what they claim, and values that must not reach a page -------------


def test_a_csv_that_is_a_symlink_out_of_the_pack_is_refused(pack, tmp_path):
    outside = tmp_path / "outside.csv"
    shutil.copy(pack / "data" / "roles.csv", outside)
    with open(outside, "a", encoding="utf-8") as fh:
        fh.write("leak,space,2020,,Outside secret,UNCLASSIFIED\n")
    link = pack / "data" / "roles.csv"
    link.unlink()
    link.symlink_to(outside)
    found = messages(pack)
    assert any(m.startswith("data/roles.csv: is a symbolic link") for m in found), found
    assert not any("Outside secret" in m for m in found)
    with pytest.raises(DataValidationError, match="data/roles.csv: is a symbolic link"):
        tables.table("roles")


def test_a_symlinked_csv_not_in_the_descriptor_is_refused_too(pack, tmp_path):
    (tmp_path / "x.csv").write_text("a\n1\n")
    (pack / "data" / "extra.csv").symlink_to(tmp_path / "x.csv")
    with pytest.raises(DataValidationError, match="data/extra.csv: is a symbolic link"):
        data.validate(pack)


@pytest.mark.parametrize("path", ["../pack.yml", "/etc/hostname", "sub/../../pack.yml"])
def test_a_resource_path_outside_data_is_refused(pack, path):
    replace(pack, "datapackage.yaml", "path: roles.csv", f"path: {path}")
    found = messages(pack)
    assert any(f"path {path!r}" in m and "inside data/" in m for m in found), found


def test_errors_about_binary_or_huge_files_quote_only_a_short_excerpt(pack):
    import random

    rng = random.Random(7)
    blob = bytes(rng.randrange(256) for _ in range(50_000))
    write(pack, "roles.csv", blob)
    huge = "SECRETPAYLOAD" * 80_000  # ~1 MB, one line, valid UTF-8
    write(pack, "threats.csv", huge + "\n" + huge + "\n")
    found = messages(pack)
    assert found
    for message in found:
        assert len(message) < 400, message[:500]
        assert "SECRETPAYLOAD" * 6 not in message  # an excerpt of at most ~60 characters
        assert not any(ord(c) < 32 for c in message), repr(message)


@pytest.mark.parametrize("bad, shown", [("\x00", "\\x00"), ("\x1b[31m", "\\x1b[31m"), ("\x7f", "\\x7f"),
                                        ("\x0b", "\\x0b"), ("\r", "\\r")])
def test_control_characters_in_a_value_are_reported(pack, bad, shown):
    replace(pack, "threats.csv", "Terrorism,", f'"Terror{bad}ism",')
    found = messages(pack)
    expected = f"""data/threats.csv line 2, column "name": 'Terror{shown}ism"""
    assert any(m.startswith(expected) and "control character" in m for m in found), found
    with pytest.raises(DataValidationError):
        tables.table("threats")


def test_tabs_and_newlines_in_a_value_are_allowed(pack):
    replace(pack, "roles.csv", "Incident response", '"Incident\tresponse\nand recovery"')
    assert messages(pack) == []
    with open(pack / "data" / "roles.csv", "rb") as fh:
        crlf = fh.read().replace(b"\n", b"\r\n")
    write(pack, "roles.csv", crlf)
    assert messages(pack) == []


def test_a_long_bad_value_is_truncated_in_the_message(pack):
    replace(pack, "threats.csv", "rising,2,", "r" + "x" * 5000 + ",2,")
    [message] = messages(pack)
    assert message.startswith("""data/threats.csv line 2, column "trend": 'rxxxx""")
    assert "is not one of rising, stable, falling" in message and len(message) < 300


# --- rules a schema cannot express -----------------------------------------------------------


def test_end_year_before_start_year(pack):
    replace(pack, "roles.csv", "2017,2024", "2017,2015")
    assert messages(pack) == [
        """data/roles.csv line 3, column "end_year": '2015' is earlier than start_year (2017) on the same row; end_year cannot come before start_year"""]


def test_history_chain_order_and_future_dates(pack):
    replace(pack, "history.csv", "2019-04-17,HIGH", "2019-04-17,LOW")
    replace(pack, "history.csv", "2022-11-30", "2099-11-30")
    found = messages(pack)
    assert found[0].startswith(
        """data/history.csv line 4, column "level_before": 'LOW' does not follow on from line 3, which ends at level_after 'HIGH'""")
    assert found[1].startswith(
        """data/history.csv line 5, column "effective_date": '2099-11-30' is in the future""")


def test_dates_out_of_order(pack):
    replace(pack, "history.csv", "2019-04-17", "2019-01-17")
    assert messages(pack) == [
        """data/history.csv line 4, column "effective_date": '2019-01-17' is earlier than 2019-03-15 on line 3; keep the rows in date order"""]


# --- every problem, not only the first ------------------------------------------------------


def test_every_problem_is_reported_across_files(pack):
    replace(pack, "threats.csv", "rising,2,2001-09-11", "risng,two,2001-13-11")
    replace(pack, "threats.csv", "cyber,Cyber", "terrorism,Cyber")
    replace(pack, "roles.csv", "2017,2024", "2017,2015")
    (pack / "data" / "history.csv").unlink()
    with pytest.raises(DataValidationError) as caught:
        data.validate(pack)
    problems = caught.value.problems
    text = str(caught.value)
    assert len(problems) == 7
    for piece in ["'risng' is not one of", "'two' is not a whole number",
                  "'2001-13-11' is not a date", "'terrorism' is already used on line 2",
                  """'cyber' has no match in column "threat_id" of data/threats.csv""",
                  "end_year cannot come before start_year", "data/history.csv: is listed"]:
        assert piece in text
    assert caught.value.exit_code == 2


# --- typed tables and the marking ceiling ---------------------------------------------------


def test_tables_are_typed_from_the_schema(pack):
    threats = tables.table("threats")
    assert str(threats["level"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(threats["first_seen"])
    assert str(threats["verified"].dtype) == "boolean"
    assert isinstance(threats["trend"].dtype, pd.CategoricalDtype)
    assert list(threats["trend"].cat.categories) == ["rising", "stable", "falling"]
    assert threats["level"].isna().sum() == 1  # blank stays missing, not 0
    roles = tables.table("roles")
    assert str(roles["start_year"].dtype) == "Int64"
    assert roles["end_year"].isna().sum() == 2


def test_restricted_row_never_reaches_an_unclassified_brief(pack):
    with open(pack / "data" / "roles.csv", "a", encoding="utf-8") as fh:
        fh.write("hidden,space,2020,,Operation Nightjar,RESTRICTED\n")
    assert messages(pack) == []
    for shown in (tables.table("roles"), tables.table("roles", marking="UNCLASSIFIED"),
                  tables.table("roles", marking="in confidence")):
        assert "hidden" not in set(shown["role_id"])
        assert len(shown) == 3
    bundle = sources.bundle(sources.USED.provenance())
    assert "1 row marked above this brief's classification was withheld" in bundle["text/html"]
    assert "Nightjar" not in json.dumps(bundle) and "hidden" not in json.dumps(bundle)
    assert bundle[sources.PROVENANCE_MIME]["tables"][0]["withheld"] == 1
    restricted = tables.table("roles", marking="RESTRICTED")
    assert "Operation Nightjar" in set(restricted["description"])
    assert len(tables.table("roles", marking="TOP SECRET")) == 4


def test_unknown_marking_table_and_column_are_explained(pack):
    with pytest.raises(BriefkitError, match="Did you mean 'threats'"):
        tables.table("threat")
    with pytest.raises(BriefkitError, match="Did you mean 'trend'"):
        tables.table("threats", columns=["trnd"])
    with pytest.raises(BriefkitError, match="not a protective marking"):
        tables.table("threats", marking="SECRETISH")
    assert list(tables.table("threats", columns=["threat_id", "trend"]).columns) == ["threat_id", "trend"]


# --- provenance ------------------------------------------------------------------------------


def test_sources_displays_one_bundle_with_html_and_provenance(pack, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    replace(pack, "datapackage.yaml", "title: Fixture source", 'title: "Fixture <b>source</b>"')
    tables.table("threats")
    tables.table("roles")
    sources.sources()
    assert len(shown) == 1
    bundle, raw = shown[0]
    assert raw is True
    html = bundle["text/html"]
    assert html.startswith('<section class="sources"><h2>Sources</h2>')
    assert "Fixture &lt;b&gt;source&lt;/b&gt;" in html and "<b>source</b>" not in html
    assert '<a href="https://example.org/threats">' in html
    assert "Test Ministry" in html and "Creative Commons Attribution 4.0" in html
    prov = bundle[sources.PROVENANCE_MIME]
    assert prov["as_of"] == "2024-06-30"
    assert [t["name"] for t in prov["tables"]] == ["threats", "roles"]
    first = prov["tables"][0]
    assert first == {"name": "threats", "title": "Threats", "as_of": "2024-06-30", "rows": 3,
                     "withheld": 0, "licence": "Creative Commons Attribution 4.0",
                     "sources": [{"title": "Fixture <b>source</b>", "publisher": "Test Ministry",
                                  "path": "https://example.org/threats"}]}
    json.dumps(bundle)  # the renderer reads it back as JSON


# --- validation once per build: the cache ----------------------------------------------------


def cache_files(root: Path) -> list[Path]:
    """The validated-data cache entries (not the folder's other files)."""
    return sorted(p for p in (root / ".cache" / "briefkit").glob("data-*") if p.name != "data-index.json")


def count_checks(monkeypatch) -> list:
    calls = []
    real = store.check

    def counting(root):
        calls.append(root)
        return real(root)

    monkeypatch.setattr(store, "check", counting)
    return calls


def test_second_load_hits_the_cache(pack, monkeypatch):
    calls = count_checks(monkeypatch)
    data.load(pack)
    store._LOADED.clear()  # as in a new kernel
    tables.table("threats")
    assert len(calls) == 1
    assert len(cache_files(pack)) == 1


def test_changed_data_is_validated_again(pack, monkeypatch):
    calls = count_checks(monkeypatch)
    data.load(pack)
    replace(pack, "threats.csv", "Cyber security", "Cyber-security")
    assert "Cyber-security" in set(tables.table("threats")["name"])
    assert len(calls) == 2
    replace(pack, "threats.csv", "rising,2,", "risng,2,")
    with pytest.raises(DataValidationError, match="'risng' is not one of"):
        tables.table("threats")


def test_corrupt_cache_is_a_miss(pack, monkeypatch):
    calls = count_checks(monkeypatch)
    data.load(pack)
    [cached] = cache_files(pack)
    cached.write_bytes(b"not a pickle")
    (pack / ".cache" / "briefkit" / "data-index.json").write_text("{broken")
    store._LOADED.clear()
    assert len(tables.table("threats")) == 3
    assert len(calls) == 2


@pytest.mark.parametrize("content", [
    b"", b"{", b"[]", b"null", b'{"key": 1}', "\u00e9".encode("latin-1"), b"\x00" * 64,
    json.dumps({"format": "briefkit-validated-data", "version": 2, "key": "x", "resources": 5}).encode(),
])
def test_any_foreign_cache_file_is_a_miss_never_an_error(pack, monkeypatch, content):
    calls = count_checks(monkeypatch)
    data.load(pack)
    for cached in cache_files(pack):
        cached.write_bytes(content)
    (pack / ".cache" / "briefkit" / "data-index.json").write_bytes(content)
    store._LOADED.clear()
    assert len(tables.table("threats")) == 3
    assert len(calls) == 2


class _Plant:
    """A pickle that, when loaded, creates a marker file: stands for any code at all."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_planted_cache_file_never_runs_code(pack, tmp_path):
    import pickle

    shutil.copytree(REPO / "tests" / "fixtures" / "pack", pack, dirs_exist_ok=True)  # briefs to --check
    data.load(pack)
    marker = tmp_path / "code-ran"
    evil = pickle.dumps(_Plant(marker))
    folder = pack / ".cache" / "briefkit"
    for cached in [*cache_files(pack), folder / "data-index.json"]:
        cached.write_bytes(evil)
    key = data.load(pack).key
    for name in (f"data-{key}.pickle", f"data-{key}.json", "data.pickle"):
        (folder / name).write_bytes(evil)
    store._LOADED.clear()
    assert len(tables.table("threats")) == 3
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--check", "--pack",
                             str(pack / "pack.yml")], capture_output=True, text=True, cwd=pack,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()


def test_a_re_marked_row_with_the_same_size_and_time_is_withheld(pack):
    path = pack / "data" / "roles.csv"
    data.load(pack)
    assert "cyber" in set(tables.table("roles")["role_id"])
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    old = "cyber,cyber,2017,2024,Incident response,UNCLASSIFIED"
    assert old in text
    path.write_text(text.replace(old, old.replace("UNCLASSIFIED", "CONFIDENTIAL")), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert "cyber" not in set(tables.table("roles")["role_id"])  # the same kernel
    store._LOADED.clear()
    assert "cyber" not in set(tables.table("roles")["role_id"])  # the next brief's kernel
    assert "cyber" in set(tables.table("roles", marking="CONFIDENTIAL")["role_id"])


def test_a_file_with_the_same_size_and_time_is_validated_again(pack, monkeypatch):
    path = pack / "data" / "threats.csv"
    data.load(pack)
    before = path.stat()
    replace(pack, "threats.csv", "rising,2,", "risng!,2,")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    store._LOADED.clear()
    with pytest.raises(DataValidationError, match="'risng!' is not one of"):
        tables.table("threats")


def test_hashing_the_whole_real_package_takes_milliseconds():
    import time

    data.load(REPO)
    started = time.perf_counter()
    for _ in range(10):
        data.load(REPO)
    assert (time.perf_counter() - started) / 10 < 0.05


# --- finding the pack, scanning notebooks ----------------------------------------------------


def test_find_pack_root(tmp_path, monkeypatch):
    root = tmp_path / "p"
    (root / "notebooks" / "deep").mkdir(parents=True)
    (root / "pack.yml").write_text("title: x\n")
    assert data.find_pack_root(root / "notebooks" / "deep") == root.resolve()
    monkeypatch.setenv("BRIEFKIT_PACK", str(root))
    assert data.find_pack_root(tmp_path) == root.resolve()
    monkeypatch.setenv("BRIEFKIT_PACK", str(tmp_path))
    with pytest.raises(BriefkitError, match="no pack.yml there"):
        data.find_pack_root()
    monkeypatch.delenv("BRIEFKIT_PACK")
    with pytest.raises(BriefkitError, match="No pack.yml found"):
        data.find_pack_root(tmp_path)


# --- exports never carry live formulas -------------------------------------------------------



def test_validate_then_load_checks_once(pack, monkeypatch):
    calls = count_checks(monkeypatch)
    data.validate(pack)
    store._LOADED.clear()
    data.validate(pack)
    data.load(pack)
    assert len(calls) == 1


# --- the kernel side's metadata, and a light import ------------------------------------------


def test_table_info_gives_a_tables_metadata_without_rows(pack):
    info = tables.table_info("threats")
    assert info == {"title": "Threats", "as_of": "2024-06-30", "licence": "Creative Commons Attribution 4.0",
                    "sources": [{"title": "Fixture source", "publisher": "Test Ministry",
                                 "path": "https://example.org/threats"}]}
    info["sources"][0]["title"] = "changed"
    assert tables.table_info("threats")["sources"][0]["title"] == "Fixture source"  # a copy
    assert sources.USED.provenance()["tables"] == []  # metadata is not a use of the table
    with pytest.raises(BriefkitError, match="Did you mean 'threats'"):
        tables.table_info("threat")


def test_importing_the_data_package_and_the_sources_module_does_not_import_pandas():
    code = ("import sys, briefkit.data, briefkit.nb.sources, briefkit.nb.tables; "
            "print(sorted(m for m in ('pandas', 'frictionless', 'yaml', 'IPython') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_a_misspelt_column_name_gets_a_suggestion(pack):
    replace(pack, "threats.csv", ",verified,", ",verifed,")
    assert """data/threats.csv line 1, column "verifed": is not a column of this table in data/datapackage.yaml; remove it or add it to the schema. Did you mean 'verified'?""" in messages(pack)


def test_the_public_surface_points_at_the_kernel_side():
    import briefkit as bk

    assert bk.table is tables.table and bk.table_info is tables.table_info
    assert bk.sources is sources.sources
