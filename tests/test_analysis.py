"""security_pack: the pack's computations, on small tables shaped like bk.table() output."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup
import pytest

import security_pack as sp
from briefkit.nb import charts


def cat(values, categories):
    return pd.Categorical(values, categories=categories, ordered=True)


# --------------------------------------------------------------------------- fixtures

#: peace_support_operations.region's enum (data/datapackage.yaml), as bk.table types the column.
REGION_ENUM = ["Pacific", "Southeast Asia", "Northeast Asia", "South Asia", "South/Central Asia", "Middle East",
               "Africa", "Europe", "Americas"]


@pytest.fixture
def regions():
    """Shaped like bk.table("regions")."""
    return pd.DataFrame({
        "region": cat(REGION_ENUM, REGION_ENUM),
        "wider_area": ["Asia-Pacific", "Asia-Pacific", "Asia-Pacific", None, None, None, None, None, None],
        "ucdp_region": ["Asia & Oceania"] * 5 + ["Middle East", "Africa", "Europe", "Americas"],
        "defined_by_forum": ["PIF", "ASEAN", None, None, None, None, None, None, None],
    })


@pytest.fixture
def region_countries():
    """Shaped like bk.table("region_countries")."""
    return pd.DataFrame({"region": ["Middle East"] * 3 + ["South Asia"], "country": ["Israel", "Jordan", "Iran", "India"]})


@pytest.fixture
def aliases():
    """Shaped like bk.table("country_aliases")."""
    return pd.DataFrame({"alias": ["USA", "Timor", "East Timor"],
                         "country": ["United States", "Timor-Leste", "Timor-Leste"]})

@pytest.fixture
def scale():
    return pd.DataFrame({
        "rank": pd.array([1, 2, 3, 4, 5], dtype="Int64"),
        "level": ["VERY LOW", "LOW", "MEDIUM", "HIGH", "EXTREME"],
        "label_2026": ["UNLIKELY", "POSSIBLE", "LIKELY", "HIGHLY LIKELY", "EXPECTED"],
        "likelihood": ["unlikely", "a realistic possibility", "feasible", "highly likely", "expected"],
        "verified": pd.array([False, True, False, True, False], dtype="boolean"),
    })


@pytest.fixture
def history():
    return pd.DataFrame({
        "effective_date": pd.to_datetime(["2014-10-10", "2019-03-15", "2019-04-17", "2022-11-30", "2024-12-10", "2026-02-24"]),
        "date_precision": ["day", "day", "day", "day", "day", "approx"],
        "level_before": ["VERY LOW", "LOW", "HIGH", "MEDIUM", "LOW", "LOW"],
        "level_after": ["LOW", "HIGH", "MEDIUM", "LOW", "LOW", "POSSIBLE"],
        "change_type": cat(["raised", "raised", "lowered", "lowered", "reaffirmed", "relabelled"],
                           ["raised", "lowered", "reaffirmed", "relabelled"]),
        "context": ["ISIL", "Christchurch attacks", "review", "annual review", "annual review", "new wording"],
        "verified": pd.array([False, True, True, True, True, False], dtype="boolean"),
    })


@pytest.fixture
def ops():
    return pd.DataFrame({
        "operation_id": ["A", "B", "C", "D", "E"],
        "mission": ["UNTSO (UN Truce Supervision Organization)", "INTERFET (International Force East Timor)",
                    "Bougainville Truce Monitoring Group", "UNC-K (Korea)", "UNMOGIP (India and Pakistan)"],
        "un_led": cat(["yes", "no", "no", "UN-flagged", "yes"], ["yes", "no", "UN-flagged"]),
        "location": ["Middle East states", "East Timor", "Bougainville (PNG)", "South Korea", "Kashmir"],
        "region": cat(["Middle East", "Southeast Asia", "Pacific", "Northeast Asia", "South Asia"], REGION_ENUM),
        "start_year": pd.array([1954, 1999, 1997, None, 1952], dtype="Int64"),
        "end_year": pd.array([None, 2000, 1998, None, None], dtype="Int64"),
        "ongoing": pd.array([True, False, False, True, None], dtype="boolean"),
        "approx_personnel": pd.array([8, 1100, 250, 6, 3], dtype="Int64"),
        "approx_personnel_max": pd.array([None, None, None, None, 5], dtype="Int64"),
        "personnel_note": ["", "", "", "", ""],
        "verified": pd.array([True, True, True, False, False], dtype="boolean"),
    })


# --------------------------------------------------------------------------- threat level

def test_level_ranks_know_both_wordings(scale):
    ranks = sp.level_ranks(scale)
    assert ranks["LOW"] == ranks["POSSIBLE"] == 2
    assert ranks["EXTREME"] == 5


def test_steps_carry_rank_level_label_and_summary(history, scale):
    steps = sp.threat_level_steps(history, scale)
    assert list(steps["rank"]) == [2, 4, 3, 2, 2, 2]
    assert steps["level"].iloc[-1] == "LOW"  # POSSIBLE is LOW in the 2014 wording
    assert steps["label"].iloc[1] == "HIGHLY LIKELY"
    assert steps["summary"].iloc[1] == "Raised from LOW to HIGH"
    assert steps["summary"].iloc[4] == "Kept at LOW"
    assert steps["summary"].iloc[5] == "Level unchanged; LOW now described as POSSIBLE"


def test_steps_reject_unknown_levels(history, scale):
    bad = history.copy()
    bad.loc[1, "level_after"] = "SEVERE"
    with pytest.raises(ValueError, match="SEVERE"):
        sp.threat_level_steps(bad, scale)


def test_periods_merge_reviews_and_relabelling(history, scale):
    periods = sp.threat_level_periods(history, scale, until="2026-06-30")
    assert list(periods["level"]) == ["LOW", "HIGH", "MEDIUM", "LOW"]
    assert list(periods["days"][:3]) == [1617, 33, 1323]
    assert periods["reviews"].iloc[-1] == 2
    assert periods["end"].iloc[-1] == pd.Timestamp("2026-06-30")
    open_ended = sp.threat_level_periods(history, scale)
    assert pd.isna(open_ended["end"].iloc[-1])


def test_current_level_and_peak(history, scale):
    now = sp.current_threat_level(history, scale)
    assert (now.level, now.label, now.rank) == ("LOW", "POSSIBLE", 2)
    assert now.since == pd.Timestamp("2022-11-30")
    assert now.since_change == "lowered"
    assert now.last_review == pd.Timestamp("2026-02-24")
    assert now.reviews_since == 2
    assert now.changes == 4
    assert now.first_record == pd.Timestamp("2014-10-10")
    assert now.likelihood == "a realistic possibility"
    peak = sp.threat_level_peak(history, scale)
    assert peak["level"] == "HIGH" and peak["days"] == 33


def test_current_level_needs_history(history, scale):
    with pytest.raises(ValueError, match="empty"):
        sp.current_threat_level(history.iloc[0:0], scale)


def test_threat_level_exhibit_alt_text_follows_data(history, scale):
    ex = sp.threat_level_exhibit(history, scale, since=2014, until="2026-02-24")
    assert "HIGH from 15 March 2019" in ex.alt
    assert "10 October 2014" in ex.caption  # unverified dates are named
    changed = history.copy()
    changed.loc[1, "level_after"] = "EXTREME"
    changed.loc[2, "level_before"] = "EXTREME"
    assert "EXTREME from 15 March 2019" in sp.threat_level_exhibit(changed, scale).alt
    charts.figure_html(ex.figure, alt=ex.alt, source="test")


# --------------------------------------------------------------------------- operations

def test_short_name_and_leadership():
    assert sp.short_name("UNTSO (UN Truce Supervision Organization)") == "UNTSO"
    assert sp.short_name("Bougainville Truce Monitoring Group") == "Bougainville Truce Monitoring Group"
    assert sp.leadership("yes") == "UN-led" and sp.leadership("no") == "Not UN-led"
    assert sp.leadership("UN-flagged") == "UN-flagged" and sp.leadership(pd.NA) == "Not recorded"


def test_check_region(regions, ops):
    assert sp.check_region("pacific", regions["region"]) == "Pacific"
    assert sp.check_region("", regions["region"]) == ""
    with pytest.raises(ValueError, match="Pacific"):
        sp.check_region("Atlantis", regions["region"])
    with pytest.raises(ValueError, match="Choose a region"):
        sp.check_region("", regions["region"], allow_all=False)
    assert sp.check_region("europe", ops["region"]) == "Europe"  # a column's categories are its regions
    assert sp.check_region("pacific", ["Pacific", "Europe"]) == "Pacific"
    assert sp.place_name("Pacific") == "the Pacific"
    assert sp.place_name("Southeast Asia") == "Southeast Asia"
    assert sp.place_name("") == "all regions"


def test_operations_in_filters_region_and_since(ops):
    assert list(sp.operations_in(ops, region="pacific")["operation_id"]) == ["C"]
    assert len(sp.operations_in(ops)) == 5
    since = sp.operations_in(ops, since=1999)
    assert list(since["operation_id"]) == ["A", "B", "D", "E"]  # C ended 1998; unknown ends kept
    assert sp.operations_in(ops, region="Europe").empty


def test_operations_timeline(ops):
    tl = sp.operations_timeline(ops, as_of_year=2021)
    assert "D" not in set(tl["operation_id"])  # no start year: cannot be placed
    row = tl.set_index("operation_id").loc["A"]
    assert (row["start"], row["end"], bool(row["open_end"]), row["label"]) == (1954, 2021, True, "UNTSO")
    assert bool(tl.set_index("operation_id").loc["E", "open_end"])  # end not recorded
    closed = tl.set_index("operation_id").loc["B"]
    assert (closed["end"], bool(closed["open_end"]), closed["status"]) == (2000, False, "Ended 2000")


def test_current_operations_and_empty_input(ops):
    cur = sp.current_operations(ops)
    assert list(cur["operation_id"]) == ["A", "D", "E"]
    assert list(cur["status"]) == ["Ongoing", "Ongoing", "End not recorded"]
    assert sp.current_operations(ops.iloc[0:0]).empty


def test_operations_table_text(ops):
    table = sp.operations_table(ops).set_index("operation_id")
    assert table.loc["A", "years"] == "1954\u2013 (ongoing)"
    assert table.loc["B", "years"] == "1999\u20132000"
    assert table.loc["D", "years"] == "Start not recorded; ongoing"
    assert table.loc["E", "personnel"] == "3\u20135"
    assert list(sp.operations_table(ops)["operation_id"])[-1] == "D"  # undated last


def test_personnel_text():
    assert sp.personnel_text(25, 28) == "25\u201328"
    assert sp.personnel_text(1100) == "1,100"
    assert sp.personnel_text(pd.NA) == ""


def test_operations_exhibit_alt_and_caption(ops):
    tl = sp.operations_timeline(ops, as_of_year=2021)
    ex = sp.operations_exhibit(tl, region="", since=1990, as_of_year=2021, unplaced=["UNC-K"])
    assert "4 New Zealand peace support operations" in ex.alt
    assert "INTERFET (1999\u20132000)" in ex.alt
    assert "UNC-K" in ex.caption and "2021" in ex.caption
    empty = sp.operations_exhibit(tl.iloc[0:0], region="Europe")
    assert "no New Zealand peace support operation" in empty.alt
    charts.figure_html(empty.figure, alt=empty.alt, source="test")


# --------------------------------------------------------------------------- contributions

@pytest.fixture
def ipi():
    return pd.DataFrame({
        "date": pd.to_datetime(["2000-01-31", "2000-02-29", "2000-03-31", "2001-01-31", "2000-01-31"]),
        "country": ["New Zealand", "New Zealand", "New Zealand", "New Zealand", "Fiji"],
        "total": pd.array([10, 20, None, 40, 700], dtype="Int64"),
    })


@pytest.fixture
def un():
    return pd.DataFrame({
        "year": pd.array([2010, 2010, 2011, 2011], dtype="Int64"),
        "country": ["New Zealand", "New Zealand", "New Zealand", "Fiji"],
        "mission": ["UNTSO", "UNMISS", "UNTSO", "UNDOF"],
        "total": pd.array([8, 2, 9, 300], dtype="Int64"),
    })


def test_annual_contributions_keep_series_apart(ipi, un):
    annual = sp.annual_contributions(ipi, un)
    nz = annual[annual["country"] == "New Zealand"].set_index(["source", "year"])
    assert nz.loc[("IPI", 2000), "personnel"] == pytest.approx(10.0)  # (10 + 20 + none) / 3 months
    assert nz.loc[("IPI", 2000), "months"] == 3
    assert nz.loc[("UN", 2010), "personnel"] == 10  # summed over missions
    assert set(annual["series"]) == {"IPI, from monthly UN reports, 2000\u20132001", "UN open data, 2010\u20132011"}
    only = sp.annual_contributions(ipi, un, countries=["Fiji"], since=2001)
    assert set(only["country"]) == {"Fiji"} and set(only["year"]) == {2011}


def test_contribution_facts(ipi, un):
    facts = sp.contribution_facts(sp.annual_contributions(ipi, un))
    assert facts["ipi_peak_year"] == 2001 and facts["ipi_peak"] == 40
    assert facts["un_last_year"] == 2011 and facts["un_last"] == 9
    assert (facts["un_rank"], facts["un_of"]) == (2, 2)
    none = sp.contribution_facts(sp.annual_contributions(ipi.iloc[0:0], un))
    assert pd.isna(none["ipi_peak"])
    assert sp.contribution_sentences(none)[0].startswith("In the UN series")


def test_contributions_exhibit(ipi, un):
    annual = sp.annual_contributions(ipi, un)
    ex = sp.contributions_exhibit(annual, sp.contribution_facts(annual))
    assert "peaked at about 40" in ex.alt and "2nd of the 2" in ex.alt
    assert len(ex.figure.axes) == 2
    charts.figure_html(ex.figure, alt=ex.alt, source="test")


# --------------------------------------------------------------------------- treaties

@pytest.fixture
def treaties():
    return pd.DataFrame({
        "treaty_id": ["NPT", "TPNW", "BWC", "BUDAPEST", "APMBC"],
        "name": ["Non-Proliferation Treaty", "Prohibition Treaty", "Biological Weapons Convention", "Budapest Convention", "Mine Ban"],
        "domain": cat(["nuclear", "nuclear", "biological", "cyber", "conventional"],
                      ["nuclear", "chemical", "biological", "conventional", "cyber"]),
    })


@pytest.fixture
def participation():
    return pd.DataFrame({
        "treaty_id": ["NPT", "TPNW", "BWC", "BUDAPEST", "BWC"],
        "country": ["New Zealand", "New Zealand", "New Zealand", "New Zealand", "Australia"],
        "signature": [None, "2017-09-20", None, None, None],
        "ratification": ["1969", "2018-07-31", "1972", None, None],
        "in_force": [None, "2021-01-22", None, None, None],
        "status": ["ratified", "ratified", "ratified", "accession in progress", "ratified"],
        "notes": ["", "", "", "", ""],
        "verified": pd.array([True, True, True, False, True], dtype="boolean"),
    })


def test_parse_partial_date():
    assert sp.parse_partial_date("2018-07-31") == (pd.Timestamp("2018-07-31"), "day")
    assert sp.parse_partial_date("1969") == (pd.Timestamp("1969-01-01"), "year")
    assert sp.parse_partial_date("2020-09") == (pd.Timestamp("2020-09-01"), "month")
    ts, precision = sp.parse_partial_date(None)
    assert pd.isna(ts) and precision == ""


def test_treaty_matrix(participation, treaties):
    m = sp.treaty_matrix(participation, treaties, ["New Zealand", "Australia"]).set_index("treaty_id")
    assert m.loc["NPT", "New Zealand"] == "Ratified 1969"
    assert m.loc["TPNW", "New Zealand"] == "Ratified 2018"
    assert m.loc["BWC", "Australia"] == "Ratified"  # status known, date not
    assert m.loc["NPT", "Australia"] == "\u2014"  # no record is not "not a party"
    assert m.loc["BUDAPEST", "New Zealand"] == "Accession in progress"
    assert not m.loc["BUDAPEST", "verified"] and m.loc["NPT", "verified"]
    assert sp.coverage_sentence(m.reset_index(), ["New Zealand", "Australia"]).startswith(
        "For the comparators (Australia) the data holds 1 of 5")


def test_ratification_timeline_and_dates(participation, treaties):
    ev = sp.ratification_timeline(participation, treaties)
    assert list(ev["label"]) == ["NPT", "BWC", "TPNW", "TPNW", "TPNW"]
    assert list(ev["event"][-3:]) == ["Signed", "Ratified", "In force"]
    assert ev["precision"].iloc[0] == "year"
    dates = sp.treaty_dates(participation, treaties).set_index("treaty_id")
    assert dates.loc["TPNW", "ratified"] == "31 July 2018"
    assert dates.loc["NPT", "ratified"] == "1969"
    assert dates.loc["APMBC", "status"] == "No record"
    facts = sp.treaty_facts(dates.reset_index(), ev)
    assert facts["ratified"] == 3 and facts["first"]["treaty_id"] == "NPT" and facts["last"]["treaty_id"] == "TPNW"
    assert facts["in_progress"] == ["Budapest Convention"] and facts["no_record"] == ["APMBC"]
    assert facts["party"] == 3  # ratified or acceded: both make a state party
    sentence = sp.ratified_sentence(facts)
    assert "party to 3 of the 5" in sentence
    assert "the first it ratified was the Non-Proliferation Treaty (1969)" in sentence
    assert "the latest it ratified was the Prohibition Treaty (31 July 2018)" in sentence
    assert "NPT" not in sentence.replace("Non-Proliferation", "")  # names, never treaty_id codes
    assert sp.pending_sentence(facts).startswith("Accession to the Budapest Convention is in progress")
    ex = sp.ratification_exhibit(ev)
    assert "Prohibition Treaty ratified 31 July 2018" in ex.alt
    charts.figure_html(ex.figure, alt=ex.alt, source="test")


@pytest.fixture
def treaty_domains():
    """Shaped like bk.table("threat_treaty_domains")."""
    return pd.DataFrame({"threat_id": ["wmd", "wmd", "wmd", "cyber"],
                         "domain": ["nuclear", "chemical", "biological", "cyber"]})


def test_treaties_for_threat(participation, treaties, treaty_domains):
    wmd = sp.treaties_for_threat(treaties, participation, "wmd", treaty_domains)
    assert list(wmd["treaty_id"]) == ["NPT", "TPNW", "BWC"]
    assert sp.treaty_sentence(wmd) == ("New Zealand is party to the Non-Proliferation Treaty, Prohibition Treaty and "
                                       "Biological Weapons Convention.")
    cyber = sp.treaties_for_threat(treaties, participation, "cyber", treaty_domains)
    cyber_sentence = sp.treaty_sentence(cyber)  # the row is unverified: its flag travels with it
    assert isinstance(cyber_sentence, Markup) and 'class="bk-unverified"' in cyber_sentence
    assert visible_text(cyber_sentence) == "Accession to the Budapest Convention unverified is in progress."
    assert sp.treaties_for_threat(treaties, participation, "space", treaty_domains).empty
    assert "no treaty" in sp.treaty_sentence(sp.treaties_for_threat(treaties, participation, "space", treaty_domains))


# --------------------------------------------------------------------------- forums, regions, threats

@pytest.fixture
def forums():
    return pd.DataFrame({
        "forum_id": ["UN", "PIF", "ARF", "ASEAN"],
        "name": ["United Nations", "Pacific Islands Forum", "ASEAN Regional Forum", "Association of Southeast Asian Nations"],
        "region": cat(["Global", "Pacific", "Asia-Pacific", "Southeast Asia"], ["Global", "Pacific", "Asia-Pacific", "Southeast Asia"]),
        "nz_status": ["member", "member (founding member 1971)", "participant", "not a member"],
    })


@pytest.fixture
def memberships():
    return pd.DataFrame({
        "forum_id": ["PIF", "PIF", "PIF", "ARF", "ARF", "ASEAN", "ASEAN"],
        "member": ["New Zealand", "Fiji", "Tokelau", "New Zealand", "Indonesia", "Indonesia", "Timor-Leste"],
        "member_type": ["member", "member", "associate member", "participant", "ASEAN member", "member", "member"],
    })


def test_forums_for_region_and_summary(forums, memberships, regions):
    pac = sp.forums_for_region(forums, "Pacific", regions)
    assert list(pac["forum_id"]) == ["PIF", "ARF"]
    assert list(sp.forums_for_region(forums, "Middle East", regions)["forum_id"]) == []
    summary = sp.forum_summary(forums, memberships).set_index("forum_id")
    assert (summary.loc["PIF", "members"], summary.loc["PIF", "others"], summary.loc["PIF", "total"]) == (2, 1, 3)
    assert pd.isna(summary.loc["UN", "total"]) and not summary.loc["UN", "listed"]
    assert summary.loc["PIF", "nz_in"] and not summary.loc["ASEAN", "nz_in"]
    table = sp.forum_members_table(summary.reset_index(), memberships).set_index("forum_id")
    assert table.loc["PIF", "member_list"] == "Members: Fiji, New Zealand. Associate member: Tokelau"
    sentence = sp.forums_sentence(sp.forum_summary(pac, memberships), "the Pacific")
    assert sentence == ("In the Pacific New Zealand is a member of the Pacific Islands Forum. In the wider "
                        "Asia-Pacific it takes part in the ASEAN Regional Forum.")
    assert "no forum specific" in sp.forums_sentence(pac.iloc[0:0], "the Middle East")


def test_region_countries_and_names(memberships, regions, region_countries, aliases):
    assert sp.region_countries("Pacific", regions, region_countries, memberships) == ["New Zealand", "Fiji", "Tokelau"]
    assert "Israel" in sp.region_countries("Middle East", regions, region_countries)
    assert sp.region_countries("Southeast Asia", regions, region_countries, memberships, aliases) == ["Indonesia", "Timor-Leste"]
    assert sp.region_countries("Europe", regions, region_countries) == []
    assert sp.canonical_country("USA", aliases) == "United States"
    assert sp.canonical_country("Timor", aliases) == "Timor-Leste"
    assert sp.canonical_country("  east   TIMOR ", aliases) == "Timor-Leste"
    assert sp.conflict_region("Southeast Asia", regions) == "Asia & Oceania"
    assert sp.conflict_region("middle east", regions) == "Middle East"
    with pytest.raises(ValueError):
        sp.conflict_region("", regions)
    with pytest.raises(ValueError, match="Pacific"):
        sp.conflict_region("Atlantis", regions)


def test_regional_footprint_ranks_by_share(aliases):
    threats = pd.DataFrame({"threat_id": list(sp.THREAT_ORDER), "name": ["Terrorism", "WMD", "Cyber", "People smuggling", "Space"]})
    terrorism = pd.DataFrame({"country": ["World", "Israel", "Fiji"], "year": pd.array([2000, 2000, 2000], dtype="Int64"),
                              "incidents": pd.array([100, 40, 1], dtype="Int64")})
    # "World" rows are total inventories (retired warheads included): the share is of the states' stockpiles.
    warheads = pd.DataFrame({"country": ["World", "Israel", "United States"], "year": pd.array([2023] * 3, dtype="Int64"),
                             "stockpile": pd.array([1200, 90, 910], dtype="Int64")})
    satellites = pd.DataFrame({"country": ["USA", "Israel"], "active_satellites": pd.array([900, 100], dtype="Int64")})
    fp = sp.regional_footprint(["Israel", "Jordan"], threats=threats, terrorism=terrorism, warheads=warheads,
                               satellites=satellites, aliases=aliases)
    assert list(fp["threat_id"]) == ["terrorism", "space", "wmd", "cyber", "people-smuggling"]
    assert fp["share"].iloc[0] == pytest.approx(0.4)
    assert fp.set_index("threat_id").loc["wmd", "share"] == pytest.approx(0.09)
    assert pd.isna(fp.set_index("threat_id").loc["cyber", "share"])
    assert sp.footprint_sentence(fp, "the Middle East") == (
        "Of the pack's threat indicators, terrorism has the largest share in the Middle East: "
        "40% of the world's terrorist incidents recorded by RAND, 2000\u20132000.")


def test_threat_overview_and_instruments():
    threats = pd.DataFrame({"threat_id": cat(["space", "terrorism"], list(sp.THREAT_ORDER)), "name": ["Space", "Terrorism"]})
    roles = pd.DataFrame({
        "role_id": ["a", "b", "c", "d"],
        "area": ["counter-terrorism", "threat-assessment", "forums", "space"],
        "threat_id": ["terrorism", "terrorism", None, "space"],
        "forum_id": [None, None, "PIF", None],
        "lead_agency": ["MFAT ISED", "NZSIS", "MFAT ISED", "MFAT ISED"],
    })
    over = sp.threat_overview(threats, roles)
    assert list(over["threat_id"]) == ["terrorism", "space"]  # source order
    assert over["agencies"].iloc[0] == "MFAT ISED; NZSIS" and over["roles"].iloc[0] == 2
    inst = sp.threat_instruments(roles, "terrorism")
    assert list(inst["role_id"]) == ["a", "b", "c"]
    assert list(inst["scope"]) == ["This threat", "This threat", "All threats"]
    assert sp.threat_row(threats, "space")["name"] == "Space"
    with pytest.raises(ValueError, match="terrorism"):
        sp.threat_row(threats, "piracy")


# --------------------------------------------------------------------------- narrative

def test_operation_sentences(ops):
    one = ops[ops["operation_id"] == "C"]
    assert sp.operations_sentence(one, "the Pacific") == (
        "The pack records 1 New Zealand peace support operation in the Pacific; it was not UN-led.")
    assert sp.current_operations_sentence(one) == "It is not recorded as ongoing."
    assert sp.current_operations_sentence(ops.iloc[0:0]) == ""
    assert sp.operations_sentence(ops.iloc[0:0], "Europe", 2000) == (
        "The pack records no New Zealand peace support operation in Europe running in or after 2000.")
    assert sp.current_operations_sentence(ops) == (
        "UNTSO and UNC-K are recorded as ongoing; UNMOGIP has no recorded end year.")
    assert sp.largest_operation_sentence(ops).startswith("The largest recorded deployment was INTERFET in East Timor from 1999")
    assert sp.largest_operation_sentence(ops.iloc[0:0]) == ""


# --------------------------------------------------------------------------- indicators

def indicator_tables():
    years = [2000, 2001, 2002]
    return {
        "terrorism": {"terrorism_incidents": pd.DataFrame({
            "country": ["World"] * 3 + ["New Zealand"], "year": pd.array(years + [2001], dtype="Int64"),
            "incidents": pd.array([100, 300, 200, 1], dtype="Int64"), "injuries": pd.array([5, 6, 7, 0], dtype="Int64"),
            "fatalities": pd.array([50, 90, 400, 0], dtype="Int64")})},
        "wmd": {"nuclear_warheads": pd.DataFrame({
            "country": ["World", "United States", "Russia", "China"] * 2, "year": pd.array([2000] * 4 + [2001] * 4, dtype="Int64"),
            "stockpile": pd.array([1000, 500, 450, 50, 900, 400, 420, 80], dtype="Int64")})},
        "cyber": {"cyber_incidents": pd.DataFrame({
            "record_id": ["a", "b", "c", "d"], "reporting_body": ["NCSC"] * 4, "period": ["2019/20", "2020/21", "2022/23", "2023"],
            "period_start": pd.to_datetime(["2019-07-01", "2020-07-01", "2022-07-01", "2023-01-01"]),
            "metric": ["ncsc_incidents", "ncsc_incidents", "ncsc_incidents", "cert_nz_reports"],
            "value": [352.0, 404.0, 316.0, 7935.0], "statement": ["s1", "s2", "s3", "7,935 reports"], "publisher": ["p"] * 4,
            "verified": pd.array([False, True, True, True], dtype="boolean")})},
        "people-smuggling": {
            "displaced_world": pd.DataFrame({"year": pd.array(years, dtype="Int64"), "refugees": pd.array([1e6, 2e6, 3e6], dtype="Int64"),
                                             "asylum_seekers": pd.array([0, 1e5, 2e5], dtype="Int64"), "idps": pd.array([0, 5e6, 4e6], dtype="Int64"),
                                             "year_note": [None, None, "mid-year"]}),
            "displaced_populations": pd.DataFrame({"year": pd.array([2002, 2002], dtype="Int64"), "country": ["New Zealand", "Fiji"],
                                                   "refugees": pd.array([2148, 10], dtype="Int64"), "asylum_seekers": pd.array([4584, 1], dtype="Int64"),
                                                   "idps": pd.array([0, 0], dtype="Int64")})},
        "space": {"active_satellites": pd.DataFrame({
            "country": ["USA", "China", "New Zealand", "Peru"], "active_satellites": pd.array([90, 8, 1, 1], dtype="Int64"),
            "as_of": pd.to_datetime(["2023-01-01"] * 4)})},
    }


def indicator_map():
    """Shaped like bk.table("threat_indicator_tables")."""
    rows = [(threat, name) for threat, tables in indicator_tables().items() for name in tables]
    return pd.DataFrame({"threat_id": [r[0] for r in rows], "table_name": [r[1] for r in rows],
                         "position": pd.array([1, 1, 1, 1, 2, 1], dtype="Int64")})


@pytest.mark.parametrize("threat", sp.THREAT_ORDER)
def test_every_threat_has_an_indicator_chart(threat):
    tables = indicator_tables()[threat]
    assert set(sp.indicator_tables(threat, indicator_map())) == set(tables)
    ind = sp.indicator(threat, tables)
    out = charts.figure_html(ind.figure, alt=ind.alt, source="test", caption=ind.caption)
    assert 'role="img"' in out
    assert ind.headline and ind.alt and ind.table is not None


def test_an_indicator_draws_its_chart_only_when_asked(monkeypatch):
    """The outlook quotes every threat's headline but shows none of their charts: building an
    indicator draws nothing until its figure is asked for, and then once."""
    import briefkit

    drawn = []
    real = briefkit.line_chart
    monkeypatch.setattr(briefkit, "line_chart", lambda *a, **k: drawn.append(k["title"]) or real(*a, **k))
    ind = sp.indicator("terrorism", indicator_tables()["terrorism"])
    assert ind.headline and drawn == []
    figure = ind.figure
    assert len(drawn) == 1 and drawn[0].startswith("Terrorist incidents and deaths worldwide, ")
    assert ind.figure is figure and len(drawn) == 1  # drawn once


def test_indicator_tables_come_in_the_mapping_order():
    mapping = indicator_map().iloc[::-1]  # row order does not matter; position does
    assert sp.indicator_tables("people-smuggling", mapping) == ("displaced_world", "displaced_populations")


def test_indicator_text_comes_from_the_data():
    tables = indicator_tables()
    assert "peaking at 300 in 2001; 1 was in New Zealand" in sp.indicator("terrorism", tables["terrorism"]).headline
    wmd = sp.indicator("wmd", tables["wmd"])
    assert "peak of 1,000 in 2000 to 900 in 2001, in 3 states" in wmd.headline
    cyber = sp.indicator("cyber", tables["cyber"])
    assert cyber.facts["unverified"] == 1
    assert "No figure is held for 2021/22" in cyber.alt
    assert list(cyber.table["record_id"]) == ["d"]
    space = sp.indicator("space", tables["space"])
    assert space.facts["nz_rank"] == 3 and "operators in New Zealand ran 1" in space.headline
    people = sp.indicator("people-smuggling", tables["people-smuggling"])
    assert "3 million refugees" in people.headline and "2,148 refugees" in people.headline


def test_unknown_threat_and_missing_tables():
    with pytest.raises(ValueError, match="cyber"):
        sp.indicator_tables("piracy", indicator_map())
    with pytest.raises(ValueError, match="cyber"):
        sp.indicator("piracy", {})
    with pytest.raises(KeyError, match="terrorism_incidents"):
        sp.indicator("terrorism", {})


def test_conflicts_exhibit():
    df = pd.DataFrame({
        "region": ["Middle East"] * 3, "year": pd.array([2018, 2019, 2020], dtype="Int64"),
        "colonial": pd.array([0, 0, 0], dtype="Int64"), "interstate": pd.array([0, 1, 1], dtype="Int64"),
        "civil": pd.array([7, 5, 4], dtype="Int64"), "civil_internationalised": pd.array([5, 4, 4], dtype="Int64"),
        "total": pd.array([12, 10, 9], dtype="Int64"),
    })
    ex = sp.conflicts_exhibit(df, "Middle East")
    assert "peaked at 12 in 2018" in ex.alt and "in 2020 there were 9" in ex.alt
    assert "the Middle East" in ex.alt


def visible_text(markup) -> str:
    import html
    import re
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(markup))).split())


def test_record_is_told_oldest_first_with_undated_facts_last_and_flags_kept():
    commitments = pd.DataFrame({
        "threat_id": ["people-smuggling"] * 3, "title": ["Bali Process member", "Smuggling Protocol ratified", "Trafficking Protocol"],
        "measure": [None] * 3, "date": ["2002-02-28", None, None], "date_precision": ["day", "status", "status"],
        "value": [None] * 3, "unit": [None] * 3, "verified": [True, True, False],
    })
    record = sp.threat_record(commitments, "people-smuggling")
    assert sp.record_sentence(record) == ("Key dates for New Zealand: Bali Process member, 28 February 2002; "
                                          "Smuggling Protocol ratified.")
    facts = str(sp.record_facts(record))
    assert facts.index("Bali Process member, 28 February 2002") < facts.index("Smuggling Protocol ratified")
    assert 'Trafficking Protocol <span class="bk-unverified"' in facts  # kept, with its flag


def test_a_figure_that_names_its_measure_goes_in_brackets():
    commitments = pd.DataFrame({
        "threat_id": ["space", "terrorism"], "title": ["Launch licences granted", "Terrorist attack: people killed"],
        "measure": ["licence term", "people killed"], "date": ["2019-04-15", "2019-03-15"], "date_precision": ["day", "day"],
        "value": [5, 51], "unit": ["years", "people"], "verified": [True, True],
    })
    assert sp.record_sentence(sp.threat_record(commitments, "space")) == (
        "Key dates for New Zealand: launch licences granted, 15 April 2019 (licence term: 5 years).")
    assert sp.record_sentence(sp.threat_record(commitments, "terrorism")) == (
        "Key dates for New Zealand: terrorist attack, 15 March 2019: 51 people killed.")
