"""Content of the data package (issue 10, "Truthful briefs"): each fact the briefs rely on, read
straight from the CSVs, with its source and verified flag. The rules (types, keys, markings) are
tested in test_data.py; this file tests what the data says."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

DATA = Path(__file__).resolve().parents[1] / "data"
WEAK = ("gkseries.com", "bankpedia.org", "thestar.com.my/opinion/letters", "sagepub.com",
        "thedailyblog.co.nz", "whaleoil.net.nz", "wikipedia.org", "wikimili.com", "britannica.com")


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)


def row(df: pd.DataFrame, **match) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for col, value in match.items():
        mask &= df[col] == value
    found = df[mask]
    assert len(found) == 1, f"{match}: {len(found)} rows"
    return found.iloc[0]


@pytest.fixture(scope="module")
def commitments():
    return read("nz_commitments")


@pytest.fixture(scope="module")
def ops():
    return read("peace_support_operations")


# --- 4. terrorism: Christchurch and the Christchurch Call ------------------------------------

def test_christchurch_attack_killed_51_per_the_royal_commission(commitments):
    r = row(commitments, record_id="christchurch-attack-killed")
    assert (r["date"], r["threat_id"], r["kind"]) == ("2019-03-15", "terrorism", "event")
    assert (float(r["value"]), r["measure"], r["unit"]) == (51.0, "people killed", "people")
    assert "Fifty-one people were killed" in r["quote"]
    assert "christchurchattack.royalcommission.nz" in r["source_url"] and r["verified"] == "true"


def test_christchurch_attack_injured_40(commitments):
    r = row(commitments, record_id="christchurch-attack-injured")
    assert (float(r["value"]), r["unit"]) == (40.0, "people")
    assert "another 40 people suffered gunshot injuries" in r["quote"]


def test_christchurch_call_paris_15_may_2019_nz_and_france(commitments):
    r = row(commitments, record_id="christchurch-call")
    assert r["date"] == "2019-05-15" and r["kind"] == "initiative"
    assert "Paris" in r["quote"] and "Emmanuel Macron" in r["quote"] and "Jacinda Ardern" in r["quote"]
    assert "mfat.govt.nz" in r["source_url"] and r["verified"] == "true"


def test_terrorism_record_names_christchurch_and_rand_series_is_flagged_as_ending_2009():
    assert "nz_angle" not in read("threats").columns  # New Zealand's position is computed, not typed
    commitments = read("nz_commitments")
    assert {"christchurch-attack-killed", "christchurch-call"} <= set(commitments["record_id"])
    rand = read("terrorism_incidents")
    assert rand["year"].astype(int).max() == 2009
    pack = yaml.safe_load((DATA / "datapackage.yaml").read_text(encoding="utf-8"))
    desc = {r["name"]: r.get("description", "") for r in pack["resources"]}
    assert "Christchurch" in desc["terrorism_incidents"] and "2009" in desc["terrorism_incidents"]


# --- 5. peace support operations ------------------------------------------------------------

def test_unmogip_ended_for_nz_in_1976(ops):
    r = row(ops, operation_id="UNMOGIP")
    assert (r["start_year"], r["end_year"], r["ongoing"]) == ("1952", "1976", "false")
    assert r["verified"] == "false" and r["verified_note"]  # no page stating 1976 was seen


def test_iraq_building_partner_capacity_ended_june_2020_and_cites_no_blog(ops):
    r = row(ops, operation_id="BPC-IRAQ")
    assert (r["start_year"], r["end_year"], r["ongoing"]) == ("2015", "2020", "false")
    assert "30 June 2020" in r["personnel_note"]
    assert "whaleoil" not in r["source_url"] and "defence.govt.nz" in r["source_url"]
    # the troops came home before the mandate ended (NZDF release, March 2020)
    assert "left Camp Taji by late March 2020" in r["personnel_note"] and "PO2003/S00312" in r["source_url"]


def test_minusma_years_are_the_gazetted_operational_service():
    """NZ Gazette 2020-gs3208: operational service in Mali 1 March 2018 to 31 March 2019."""
    r = row(read("peace_support_operations"), operation_id="MINUSMA")
    assert (r["start_year"], r["end_year"]) == ("2018", "2019")
    assert "gazette.govt.nz/notice/id/2020-gs3208" in r["source_url"] and r["verified"] == "true"


@pytest.mark.parametrize("oid, start, end, region, un_led", [
    ("RAMSI", "2003", "2017", "Pacific", "no"),
    ("TMG-BOUGAINVILLE", "1997", "1998", "Pacific", "no"),
    ("PMG-BOUGAINVILLE", "1998", "2003", "Pacific", "no"),
    ("UNTAC", "1992", "1993", "Southeast Asia", "yes"),
    ("UNMIT", "2006", "2012", "Southeast Asia", "yes"),
    ("UNAMA", "2005", "2013", "South/Central Asia", "yes"),
    ("UNAMI", "2005", "2013", "Middle East", "yes"),
    ("MINUSMA", "2018", "2019", "Africa", "yes"),
])
def test_added_operations_have_years_region_leadership_and_a_source(ops, oid, start, end, region, un_led):
    r = row(ops, operation_id=oid)
    assert (r["start_year"], r["end_year"], r["region"], r["un_led"]) == (start, end, region, un_led)
    assert r["ongoing"] == "false" and r["source_url"].strip()
    assert r["verified"] in ("true", "false") and (r["verified"] == "true" or r["verified_note"])


def test_ramsi_cumulative_total_is_not_a_deployment_size(ops):
    r = row(ops, operation_id="RAMSI")
    assert r["approx_personnel"] == "" and "Around 2000" in r["personnel_note"]
    assert "beehive.govt.nz" in r["source_url"]


def test_un_missions_in_the_un_data_are_in_the_operations_table(ops):
    un = read("peacekeeping_contributions_un")
    nz = set(un.loc[un["country"] == "New Zealand", "mission"])
    for mission in ("UNMIT", "UNAMA", "UNAMI", "MINUSMA", "UNTSO", "UNMISS"):
        assert mission in nz and mission in set(ops["operation_id"])


def test_no_ended_operation_is_shown_as_open(ops):
    for _, r in ops.iterrows():
        if r["end_year"]:
            assert r["ongoing"] != "true", r["operation_id"]


# --- 6. cyber money ------------------------------------------------------------------------------

@pytest.mark.parametrize("rid, value, period, phrase", [
    ("reported_loss-2019", 16.7, "2019", "NZ$16.7 million"),
    ("reported_loss-2020", 16.9, "2020", "NZ$16.9 million"),
])
def test_cert_nz_reported_loss_has_value_unit_measure_and_statement(rid, value, period, phrase):
    r = row(read("cyber_incidents"), record_id=rid)
    assert float(r["value"]) == value and r["unit"] == "NZD million" and r["metric"] == "reported_loss"
    assert r["period"] == period and phrase in r["statement"] and "direct financial loss" in r["statement"]


def test_2020_loss_cites_cert_nz_itself():
    r = row(read("cyber_incidents"), record_id="reported_loss-2020")
    assert "cert.govt.nz" in r["source_url"] and r["verified"] == "true"


# --- 7. ASEAN and the EAS -----------------------------------------------------------------------

def test_nz_not_an_asean_member_but_dialogue_partner_since_1975(commitments):
    forum = row(read("forums"), forum_id="ASEAN")
    assert forum["nz_status"].startswith("not a member") and "Dialogue Partner since 1975" in forum["nz_status"]
    assert "New Zealand" not in set(read("forum_memberships").query("forum_id == 'ASEAN'")["member"])
    r = row(commitments, record_id="asean-dialogue-partner")
    assert r["date"].startswith("1975") and "1975" in r["quote"] and r["forum_id"] == "ASEAN"


def test_eas_participation_since_2005_from_the_asean_secretariat(commitments):
    r = row(commitments, record_id="eas-participant")
    assert r["date"] == "2005" and "New Zealand" in r["quote"] and r["verified"] == "true"
    assert "eastasiasummit.asean.org" in r["source_url"]
    m = row(read("forum_memberships"), forum_id="EAS", member="New Zealand")
    assert m["as_of_text"] == "2005" and m["verified"] == "true" and "eastasiasummit.asean.org" in m["source_url"]
    role = row(read("nz_roles"), role_id="forum-eas")
    assert role["verified"] == "true" and "2005" in role["description"]


# --- 8. treaty flags ------------------------------------------------------------------------------

def test_budapest_convention_acceded_28_august_2025():
    r = row(read("treaty_participation"), treaty_id="BUDAPEST", country="New Zealand")
    assert (r["status"], r["ratification"], r["in_force"], r["ratification_year"]) == (
        "acceded", "2025-08-28", "2025-12-01", "2025")
    assert "treatydatabase.overheid.nl" in r["source_url"]


def test_rarotonga_signed_1985_ratified_1986():
    r = row(read("treaty_participation"), treaty_id="RAROTONGA", country="New Zealand")
    assert (r["signature"], r["ratification"], r["ratification_year"]) == ("1985-08-06", "1986", "1986")
    assert "parlinfo.aph.gov.au" in r["source_url"]
    assert r["verified"] == "false" and "inferred" in r["verified_note"]


# --- 9. weak sources ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["forums", "forum_memberships", "threat_level_history",
                                  "threat_level_scale", "peace_support_operations", "nz_roles",
                                  "nz_commitments", "threats"])
def test_no_quiz_encyclopaedia_letter_or_blog_sources(name):
    urls = " ".join(read(name)["source_url"])
    for weak in WEAK:
        assert weak not in urls, (name, weak)


def test_forum_memberships_rest_on_official_pages_or_are_flagged():
    fm = read("forum_memberships")
    official = ("forumsec.org", "diplomatie.gouv.fr", "dfat.gov.au", "aseanregionalforum.org", "eastasiasummit.asean.org")
    for _, r in fm.iterrows():
        assert r["verified"] == "false" or any(o in r["source_url"] for o in official), (r["forum_id"], r["member"])
    assert set(fm.loc[fm["verified"] == "false", "forum_id"]) <= {"ASEAN"}
    assert len(fm[fm["forum_id"] == "ARF"]) == 27 and len(fm[fm["forum_id"] == "EAS"]) == 18


# --- 10. NZ-specific facts for each threat --------------------------------------------------------

def test_every_threat_has_an_nz_specific_fact(commitments):
    assert {"terrorism", "wmd", "cyber", "people-smuggling", "space"} <= set(commitments["threat_id"])


def test_bali_process_and_palermo_protocols(commitments):
    bali = row(commitments, record_id="bali-process-member")
    assert bali["threat_id"] == "people-smuggling" and "New Zealand" in bali["quote"] and "baliprocess.net" in bali["source_url"]
    smuggling = row(commitments, record_id="palermo-smuggling-protocol")
    assert "New Zealand" in smuggling["quote"] and "news.un.org" in smuggling["source_url"]
    trafficking = row(commitments, record_id="palermo-trafficking-protocol")
    assert trafficking["verified"] == "false" and trafficking["date"] == ""  # date not seen: not invented


def test_new_start_expiry_and_npt_review_conference(commitments):
    start = row(commitments, record_id="new-start-expiry")
    assert start["date"] == "2026-02-05" and "February 5, 2026" in start["quote"]
    npt = row(commitments, record_id="npt-revcon-2026")
    assert npt["date"] == "2026-04-27" and "22 May 2026" in npt["quote"] and "unoda.org" in npt["source_url"]


def test_public_cyber_attributions_are_dated(commitments):
    att = commitments[commitments["kind"] == "attribution"]
    assert list(att["date"]) == ["2018-12", "2021-07-19", "2024-03-26"]
    assert all(att["threat_id"] == "cyber") and any("ncsc.govt.nz" in u for u in att["source_url"])


@pytest.mark.parametrize("rid, date, phrase", [
    ("rocket-lab-launch-licences", "2019-04-15", "Mahia Peninsula"),
    ("oshaa-2017", "2017", "Outer Space and High-altitude Activities Act 2017"),
    ("outer-space-treaty", "1968", "ratified by New Zealand in 1968"),
    ("artemis-accords", "2021-05-31", "May 31 in Wellington"),
])
def test_nz_as_a_launch_state(commitments, rid, date, phrase):
    r = row(commitments, record_id=rid)
    assert r["threat_id"] == "space" and r["date"] == date and phrase in r["quote"]


def test_commitment_rows_carry_marking_source_and_a_figure_only_with_measure_and_unit(commitments):
    assert set(commitments["classification"]) == {"UNCLASSIFIED"}
    assert set(commitments["verified"]) <= {"true", "false"}
    for _, r in commitments.iterrows():
        assert r["source_url"].strip() and r["source"].strip()
        assert bool(r["value"]) == bool(r["measure"]) == bool(r["unit"]), r["record_id"]
        assert r["verified"] == "true" or r["verified_note"], r["record_id"]
        if r["date"]:
            assert re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?", r["date"]) and r["year"] == r["date"][:4]


def test_proxy_measures_say_what_they_measure():
    pack = yaml.safe_load((DATA / "datapackage.yaml").read_text(encoding="utf-8"))
    desc = {r["name"]: r.get("description", "") for r in pack["resources"]}
    assert "not people-smuggling" in desc["displaced_populations"]
    assert 'not "the Pacific"' in desc["armed_conflicts"]
    assert "not launches" in desc["active_satellites"]


# --- the MFAT page: about 2015, and no trend it does not state ------------------------------------

MFAT_TEXT = Path(__file__).resolve().parents[2] / "shared" / "source" / "mfat-international-security.txt"


def test_mfat_page_is_dated_about_2015_wherever_threats_cite_it():
    threats = read("threats")
    assert all("about 2015" in s for s in threats["source"])
    pack = yaml.safe_load((DATA / "datapackage.yaml").read_text(encoding="utf-8"))
    assert "about 2015" in next(r for r in pack["resources"] if r["name"] == "threats")["description"]
    assert "about 2015" in (DATA / "README.md").read_text(encoding="utf-8")


def test_trends_are_only_what_the_mfat_text_states():
    threats = read("threats").set_index("threat_id")
    assert dict(threats["trend"]) == {"terrorism": "rising", "wmd": "not stated", "cyber": "not stated",
                                      "people-smuggling": "rising", "space": "rising"}
    if MFAT_TEXT.exists():
        text = " ".join(MFAT_TEXT.read_text(encoding="utf-8").split())
        for tid, r in threats.iterrows():
            for quoted in re.findall(r"'([^']+)'", r["trend_basis"]):
                assert quoted.lower() in text.lower(), (tid, quoted)
            assert r["source_description"][1:-1].lower() in text.lower(), tid


# --- freshness policy, units and names for reader text (issue 10, software) ---------------------

def _resources():
    pack = yaml.safe_load((DATA / "datapackage.yaml").read_text(encoding="utf-8"))
    return {r["name"]: r for r in pack["resources"]}


def test_every_table_has_a_review_policy():
    for name, res in _resources().items():
        assert isinstance(res.get("review_months"), int) and res["review_months"] >= 1, name


def test_freshness_is_computed_from_as_of_and_the_policy():
    import datetime as dt

    from briefkit.data.validate import freshness, overdue

    info = {"as_of": "2009-12-31", "review_months": 60}
    assert freshness(info, dt.date(2026, 11, 27)) == {"due": dt.date(2014, 12, 31), "overdue": True, "stale": True}
    recent = {"as_of": "2026-02-24", "review_months": 12}
    assert freshness(recent, dt.date(2026, 11, 27))["stale"] is False
    checked = {"as_of": "2023-01-01", "review_months": 12, "reviewed": "2026-10-01"}
    result = freshness(checked, dt.date(2026, 11, 27))
    assert result["overdue"] is False and result["stale"] is True  # reviewed, but its figures are still old
    names = [n for n, _ in overdue({"a": info, "b": recent}, dt.date(2026, 11, 27))]
    assert names == ["a"]


def test_numeric_fields_carry_unit_and_measure():
    res = _resources()
    fields = {f["name"]: f for f in res["nuclear_warheads"]["schema"]["fields"]}
    assert fields["stockpile"]["unit"] == "warheads" and fields["stockpile"]["measure"] == "military stockpile"
    inv = {f["name"]: f for f in res["nuclear_warhead_inventories"]["schema"]["fields"]}
    assert "retired" in inv["inventory"]["measure"]
    cyber = {f["name"]: f for f in res["cyber_incidents"]["schema"]["fields"]}
    assert cyber["value"]["unit_field"] == "unit"
    assert "total inventory" in res["nuclear_warheads"]["description"]  # the World rows' measure


def test_world_warhead_rows_are_inventories_not_the_sum_of_stockpiles():
    rows = read("nuclear_warheads")
    y2023 = rows[rows["year"] == "2023"]
    states = sum(int(v) for c, v in zip(y2023["country"], y2023["stockpile"]) if c != "World")
    world = int(y2023.loc[y2023["country"] == "World", "stockpile"].iloc[0])
    assert (states, world) == (9576, 12512)
    inv = read("nuclear_warhead_inventories")
    assert sum(int(v) for v in inv.loc[inv["year"] == "2023", "inventory"]) == world


def test_treaties_have_names_for_sentences():
    treaties = read("treaties").set_index("treaty_id")
    assert treaties.loc["RAROTONGA", "short_name"] == "Treaty of Rarotonga"
    assert treaties.loc["BUDAPEST", "short_name"] == "Budapest Convention"
    assert all(s.strip() and s != tid for tid, s in treaties["short_name"].items() if tid not in ("NPT", "CTBT", "TPNW"))


def test_sic_marks_only_words_the_page_really_has():
    threats = read("threats").set_index("threat_id")
    assert threats.loc["people-smuggling", "sic"] == "have lead"
    assert threats.loc["space", "sic"] == "the space"
    for tid, r in threats.iterrows():
        for phrase in filter(None, (p.strip() for p in r["sic"].split(";"))):
            assert phrase in r["source_description"], tid


def test_reader_text_in_the_data_holds_no_table_identifiers():
    for name in ("nz_roles", "nz_commitments", "threats", "judgements"):
        rows = read(name)
        for col in ("description", "title", "source", "text"):
            if col in rows.columns:
                for value in rows[col]:
                    assert not re.search(r"\(see [a-z_]+\)|\b[a-z]+_[a-z_]+\b", value), (name, col, value)


def test_no_flow_mapping_in_the_data_package_is_split_by_an_unquoted_comma():
    """In YAML's {a: b, c} an unquoted comma ends the value: "Ministry of Business, Innovation
    and Employment" became publisher "Ministry of Business" and a key with no value."""
    descriptor = yaml.safe_load((DATA / "datapackage.yaml").read_text(encoding="utf-8"))
    empty = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if value is None:
                    empty.append(f"{path}/{key}")
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(descriptor, "")
    assert empty == []
