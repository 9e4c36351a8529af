"""Rebuild the derived CSVs in data/ from the raw reference data. Run by hand, never by the build.

    python data/_derive.py            # reads ../shared/reference-data, writes data/*.csv

Raw inputs are read, never edited. Hand-curated tables (threats, nz_roles, forums, treaties,
cyber_incidents) are not touched here. Where the reference data marks a value VERIFY,
inferred or "not seen", the row gets verified=false and says why in verified_note.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
RAW = HERE.parent.parent / "shared" / "reference-data"
U = "UNCLASSIFIED"
IPI_URL = "https://github.com/IPIDataLab/PPP_Loader (ppp_files/countries/)"
UN_URL = "https://github.com/corinnee/UN_Peacekeeping_Analytics (CountryByYear.csv)"


def read(rel: str, **kw) -> pd.DataFrame:
    return pd.read_csv(RAW / rel, dtype=str, keep_default_na=False, encoding="utf-8-sig", **kw)


def write(df: pd.DataFrame, name: str) -> None:
    df = df.copy()
    df["classification"] = U
    df.to_csv(HERE / f"{name}.csv", index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    print(f"{name}: {len(df)} rows")


def boolean(flag) -> str:
    return "" if flag is None else ("true" if flag else "false")


TVNZ_2026 = ("https://tvnz-1-news-prod.cdn.arcpublishing.com/2026/02/24/"
             "terror-attack-in-nz-possible-why-the-language-has-changed")


def drop_blogs(urls: str, fallback: str = "") -> str:
    """Remove blog reprints (thedailyblog.co.nz) from a " ; " list; add ``fallback`` if given."""
    kept = [u for u in (x.strip() for x in urls.split(";")) if u and "thedailyblog.co.nz" not in u]
    if fallback and fallback not in kept:
        kept.append(fallback)
    return " ; ".join(kept)


def threat_level() -> None:
    scale = read("compiled/nz_terrorism_threat_level_scale.csv")
    inferred = scale["label_2026_basis"].str.contains("inferred|VERIFY")
    write(pd.DataFrame({
        "rank": scale["rank"],
        "level": scale["level_2014_2026"],
        "label_2026": scale["label_from_2026"],
        "likelihood": scale["likelihood_text_nzsis"],
        "label_2026_basis": scale["label_2026_basis"],
        "verified": [boolean(not x) for x in inferred],
        # the blog reprint of the NZSIS release is replaced by TVNZ's report of it
        "source_url": [drop_blogs(u, TVNZ_2026 if "thedailyblog" in u else "") for u in scale["source_urls"]],
    }), "threat_level_scale")

    hist = read("compiled/nz_terrorism_threat_level_history.csv")
    precision = hist["date_precision"].str.extract(r"^(\w+)")[0]
    unverified = {  # date not confirmed on an authoritative page
        "2014-10-10": "date inferred: MFAT says 'end of 2014', RNZ implies Friday 10 Oct 2014",
        "2026-02-24": "date taken from the TVNZ article URL; NZSIS release date not seen",
    }
    write(pd.DataFrame({
        "effective_date": hist["effective_date"],
        "date_precision": precision,
        "level_before": hist["level_before"],
        "level_after": hist["level_after"],
        "change_type": hist["change_type"],
        "context": hist["context"],
        "notes": [n + (" Blog reprint of the NZSIS release dropped as a source; NZSIS's own release page not seen."
                       if "thedailyblog" in u else "") for n, u in zip(hist["notes"], hist["source_urls"])],
        "source_url": [drop_blogs(u) for u in hist["source_urls"]],
        "verified": [boolean(d not in unverified) for d in hist["effective_date"]],
        "verified_note": [unverified.get(d, "") for d in hist["effective_date"]],
    }), "threat_level_history")


# Weak sources in the compiled file (a quiz site, an encyclopaedia page, a letter to an editor, a
# paywalled handbook) are replaced by the secretariats' or governments' own pages, quoted in
# data/README.md. Where only a media report was seen, the row keeps verified=false.
PIF_SEC = "http://www.forumsec.org.fj/pages.cfm/about-us/"
PIF_FR = ("https://www.diplomatie.gouv.fr/en/country-files/asia-and-oceania/news/article/"
          "pacific-islands-forum-accession-of-new-caledonia-and-french-polynesia-as-full")
ARF_DFAT = "https://www.dfat.gov.au/international-relations/regional-architecture/asean-regional-forum-arf"
ARF_2005 = "https://www.aseanregionalforum.org/News/tabid/59/newsid399/8/Default.aspx"
EAS_SEC = "https://eastasiasummit.asean.org/about-east-asia-summit"
ASEAN_2025 = "https://ianslive.in/timor-leste-becomes-11th-member-of-asean--20251026134029"
FORUM_SOURCES = {  # forum -> (source_url, verified, verified_note)
    "PIF": (PIF_SEC, True, ""),
    "ARF": (ARF_DFAT + " ; " + ARF_2005, True, ""),
    "EAS": (EAS_SEC, True, ""),
    "ASEAN": (ASEAN_2025, False, "media report quoting the ASEAN statement of 26 Oct 2025; asean.org member page not seen"),
}
PIF_SINCE = {"French Polynesia": "full member since Sept 2016 (associate member from 2006)",
             "New Caledonia": "full member since Sept 2016 (associate member from 2006)",
             "Tokelau": "associate member since 2014"}
PIF_FOUNDERS = {"Australia", "Cook Islands", "Fiji", "Nauru", "New Zealand", "Tonga", "Samoa"}
EAS_2011 = {"United States", "Russia"}


def forums() -> None:
    fm = read("compiled/forum_memberships.csv")
    rows = []
    for r in fm.itertuples(index=False):
        url, ok, why = FORUM_SOURCES[r.forum]
        as_of, notes = r.as_of, r.notes
        if r.forum == "PIF":
            as_of = PIF_SINCE.get(r.member, "listed by the Forum Secretariat (page undated)")
            if r.member in ("French Polynesia", "New Caledonia"):
                url = PIF_SEC + " ; " + PIF_FR
            notes = "founding member 1971" if r.member in PIF_FOUNDERS else ""
        elif r.forum == "ARF":
            as_of = "27 participants (DFAT page, current)"
            notes = ("admitted as 25th participant, July 2005" if r.member == "Timor-Leste" else
                     "one of the 10 ASEAN Dialogue Partners in the ARF" if r.member in {
                         "Australia", "Canada", "China", "European Union", "India", "Japan", "South Korea",
                         "Russia", "New Zealand", "United States"} else "")
        elif r.forum == "EAS":
            as_of = "2011" if r.member in EAS_2011 else "2005"
            notes = ("joined at the 6th EAS, Bali, 19 Nov 2011" if r.member in EAS_2011 else
                     "participating country since the 1st EAS, Kuala Lumpur, 2005")
        rows.append({"forum_id": r.forum, "member": r.member, "member_type": r.member_type,
                     "as_of_text": as_of, "source_url": url, "notes": notes,
                     "verified": boolean(ok), "verified_note": why})
    write(pd.DataFrame(rows), "forum_memberships")


PSO_IDS = ["UNMOGIP", "UNTSO", "MFO-SINAI", "UNIIMOG", "UNITAF", "UNPROFOR", "TMG-BOUGAINVILLE",
           "INTERFET", "UNTAET", "PRT-BAMYAN", "UNMISS", "UNC-KOREA", "BPC-IRAQ"]
PSO_UNVERIFIED = {
    "UNMOGIP": "end year 1976 is the reference data's caveat ('NZ's contribution ended 1976'); no public page stating it was seen",
    "MFO-SINAI": "current personnel from an undated NZDF page",
    "UNMISS": "end year not seen; current personnel from an undated NZDF page",
    "UNC-KOREA": "start year not seen; personnel from an undated NZDF page",
}
# Corrections to the seed, each from a cited page (quoted in data/README.md).
DEFENCE_IRAQ = ("https://www.defence.govt.nz/the-latest/story/new-zealand-defence-force-personnel-deployed-"
                "in-a-non-combat-training-mission-to-iraq ; https://defence.govt.nz/what-we-do/diplomacy-and-"
                "deployments/deployment-map/iraq/ ; https://www.scoop.co.nz/stories/AK1911/S00658/nzdf-welcomed-"
                "home-from-second-last-camp-taji-deployment.htm")
PSO_CORRECTIONS = {
    "UNMOGIP": {"end_year": "1976", "ongoing": "false",
                "personnel_note": "3 NZ Army officers sent in 1952 (NZDF); four NZ officers with the 45 observers "
                                  "in 1975 (The Press, 15 Dec 1975); NZ's contribution ended 1976",
                "source_url": "https://nzdefenceforce.medium.com/nzdf-celebrates-contribution-to-peacekeeping-"
                              "missions-322b09fcf658 ; https://paperspast.natlib.govt.nz/newspapers/CHP19751215.2.102"},
    "BPC-IRAQ": {"start_year": "2015", "end_year": "2020", "ongoing": "false",
                 "personnel_note": "Up to 143 NZDF personnel approved by Cabinet (Feb 2015); main body deployed "
                                   "May 2015; 10 rotations, a little more than 900 personnel in all; transition out "
                                   "of the mission by 30 June 2020 (NZDF)",
                 "source_url": DEFENCE_IRAQ},
}
# Operations the seed lacks (reference data README: 'RAMSI, Bougainville TMG/PMG, UNTAC and others
# missing'); UNMIT, UNAMA, UNAMI and MINUSMA are the NZ missions in the pack's UN data
# (peacekeeping_contributions_un). Personnel only where a source states a number.
UN_DATA = "corinnee/UN_Peacekeeping_Analytics CountryByYear.csv (peacekeeping_contributions_un)"
PSO_ADDED = [
    {"operation_id": "PMG-BOUGAINVILLE", "mission": "Bougainville Peace Monitoring Group", "un_led": "no",
     "location": "Bougainville (PNG)", "region": "Pacific", "start_year": "1998", "end_year": "2003",
     "ongoing": "false", "approx_personnel": "30", "approx_personnel_max": "",
     "personnel_note": "Australian-led, unarmed; took over from the NZ-led Truce Monitoring Group on 30 April 1998; "
                       "NZDF provided 30 people initially; withdrew in June 2003",
     "source_url": "https://www.aph.gov.au/Parliamentary_Business/Committees/House_of_Representatives_Committees"
                   "?url=jfadt/bougainville/bv_chap5.htm ; https://peaceaccords.nd.edu/provision/regional-"
                   "peacekeeping-force-bougainville-peace-agreement",
     "verified": "false", "verified_note": "no NZDF or MFAT page seen; Australian parliamentary report and Kroc "
                                           "Institute (Notre Dame) peace-accords database"},
    {"operation_id": "RAMSI", "mission": "RAMSI (Regional Assistance Mission to Solomon Islands)", "un_led": "no",
     "location": "Solomon Islands", "region": "Pacific", "start_year": "2003", "end_year": "2017",
     "ongoing": "false", "approx_personnel": "", "approx_personnel_max": "",
     "personnel_note": "Pacific Islands Forum mission; 'Around 2000 New Zealand Defence Force and New Zealand Police "
                       "personnel have served' over 14 years (cumulative, not a deployment size); NZDF military "
                       "contribution July 2003 to August 2013; mission ended June 2017",
     "source_url": "https://www.beehive.govt.nz/release/police-minister-solomon-islands-ramsi-farewell ; "
                   "http://homebase.mil.nz/overseas-operations/solomon-islands/default.htm",
     "verified": "true", "verified_note": ""},
    {"operation_id": "UNTAC", "mission": "UNTAC (UN Transitional Authority in Cambodia)", "un_led": "yes",
     "location": "Cambodia", "region": "Southeast Asia", "start_year": "1992", "end_year": "1993",
     "ongoing": "false", "approx_personnel": "", "approx_personnel_max": "",
     "personnel_note": "NZDF communications, naval and engineering (mine clearance) personnel; NZDF involvement in "
                       "Cambodia, including demining after UNTAC, ran 1991-2005 (NZ Army)",
     "source_url": "http://army.mil.nz/about-us/what-we-do/deployments/previous-deployments/cambodia/default.htm ; "
                   "https://teara.govt.nz/mi/photograph/36083/landmine-clearing-cambodia",
     "verified": "false", "verified_note": "1992-1993 are UNTAC's mandate years; NZ's own start and end dates "
                                           "for UNTAC not seen on an NZDF page"},
    {"operation_id": "UNMIT", "mission": "UNMIT (UN Integrated Mission in Timor-Leste)", "un_led": "yes",
     "location": "Timor-Leste", "region": "Southeast Asia", "start_year": "2006", "end_year": "2012",
     "ongoing": "false", "approx_personnel": "4", "approx_personnel_max": "8",
     "personnel_note": "NZ Army officer Chief Military Liaison Officer from Oct 2006 (NZDF); yearly mean of "
                       "uniformed personnel 8 (2011) and 4 (2012) in UN data; NZDF in Timor-Leste until Dec 2012",
     "source_url": "https://m.scoop.co.nz/stories/PO0610/S00367.htm ; "
                   "http://army.mil.nz/about-us/what-we-do/deployments/previous-deployments/timor+leste/default.htm ; "
                   + UN_DATA,
     "verified": "true", "verified_note": ""},
    {"operation_id": "UNAMA", "mission": "UNAMA (UN Assistance Mission in Afghanistan)", "un_led": "yes",
     "location": "Afghanistan", "region": "South/Central Asia", "start_year": "2005", "end_year": "2013",
     "ongoing": "false", "approx_personnel": "1", "approx_personnel_max": "",
     "personnel_note": "one NZDF Military Liaison Officer ('has also deployed', NZ Government, 25 Jan 2005); "
                       "1 person a year 2011-2013 in UN data, none by March 2014 (IPI)",
     "source_url": "https://m.scoop.co.nz/stories/PA0501/S00210.htm ; " + UN_DATA,
     "verified": "false", "verified_note": "start year from a Jan 2005 statement that an officer 'has' deployed; "
                                           "end year is the last year in the UN data, not a stated end"},
    {"operation_id": "UNAMI", "mission": "UNAMI (UN Assistance Mission for Iraq)", "un_led": "yes",
     "location": "Iraq", "region": "Middle East", "start_year": "2005", "end_year": "2013",
     "ongoing": "false", "approx_personnel": "1", "approx_personnel_max": "",
     "personnel_note": "NZDF one-person deployment (military adviser); first deployed 2003 and withdrawn after the "
                       "19 Aug 2003 attack; resumed January 2005; ended October 2013 'after an eight-year commitment'",
     "source_url": "http://nzdf.mil.nz/media-centre/news/2013/20131105fsblaide.htm ; " + UN_DATA,
     "verified": "true", "verified_note": ""},
    {"operation_id": "MINUSMA", "mission": "MINUSMA (UN Multidimensional Integrated Stabilization Mission in Mali)",
     "un_led": "yes", "location": "Mali", "region": "Africa", "start_year": "2018", "end_year": "2019",
     "ongoing": "false", "approx_personnel": "1", "approx_personnel_max": "",
     "personnel_note": "one NZDF officer (Chief Military Intelligence Officer), Cabinet-approved 'for one year "
                       "from March 2018'; 1 person in 2018 in UN data",
     "source_url": "https://beehive.govt.nz/release/mali-deployment-defence-force-officer ; "
                   "https://nzdefenceforce.medium.com/nzdf-expands-contribution-to-un-missions-in-africa-d5a1e6c49d0e ; "
                   + UN_DATA,
     "verified": "false", "verified_note": "end year is the end of the approved one-year deployment; return date not seen"},
]


def peace_support() -> None:
    pso = read("compiled/nz_peace_support_operations_seed.csv")
    assert len(pso) == len(PSO_IDS)
    low, high = [], []
    for text in pso["approx_personnel"]:
        nums = re.findall(r"\d+", text)
        low.append(nums[0] if nums else "")
        high.append(nums[1] if len(nums) > 1 else "")
    end = pso["end_year"]
    out = pd.DataFrame({
        "operation_id": PSO_IDS,
        "mission": pso["mission"],
        "un_led": pso["un_led"],
        "location": pso["location"],
        "region": pso["region"],
        "start_year": pso["start_year"],
        "end_year": end.where(end != "ongoing", ""),
        "ongoing": [boolean(True if e == "ongoing" else (False if e else None)) for e in end],
        "approx_personnel": low,
        "approx_personnel_max": high,
        "personnel_note": pso["personnel_note"],
        "source_url": pso["source_urls"],
        "verified": [boolean(i not in PSO_UNVERIFIED) for i in PSO_IDS],
        "verified_note": [PSO_UNVERIFIED.get(i, "") for i in PSO_IDS],
    })
    for oid, fix in PSO_CORRECTIONS.items():
        for col, value in fix.items():
            out.loc[out["operation_id"] == oid, col] = value
    write(pd.concat([out, pd.DataFrame(PSO_ADDED)], ignore_index=True), "peace_support_operations")


def peacekeeping() -> None:
    frames = []
    for path in sorted((RAW / "peacekeeping").glob("ipi_ppp_monthly_*.csv")):
        stem = path.stem.removeprefix("ipi_ppp_monthly_")
        country = " ".join(w if w == "of" else w.capitalize() for w in stem.split("_"))
        df = pd.read_csv(path, na_values=["NA"])
        df.columns = [c.lower() for c in df.columns]
        counts = df[["troops", "police", "experts"]].astype("Int64")
        frames.append(pd.DataFrame({
            "date": df["date"], "country": country,
            "troops": counts["troops"], "police": counts["police"], "experts": counts["experts"],
            "total": counts.sum(axis=1, min_count=1).astype("Int64"),
            "series": "IPI Providing for Peacekeeping (monthly, UN DPKO reports)",
            "source_url": IPI_URL,
        }))
    write(pd.concat(frames).sort_values(["country", "date"]), "peacekeeping_contributions_ipi")

    un = read("peacekeeping/un_pko_country_year_avg_comparators_corinnee.csv")
    # 2021 is a part year in the source (reports to early 2021 only: NZ shows 1 person on
    # UNTSO against 12 uniformed personnel in the UN ranking of 31 Jan 2021), so its "yearly
    # means" are not comparable with whole years and are left out.
    un = un[un["Year"].astype(int) <= 2020]
    write(pd.DataFrame({
        "year": un["Year"], "country": un["Country"], "mission": un["Mission"],
        "female": un["Female"], "male": un["Male"], "total": un["Total"],
        "series": "UN Peacekeeping open data (yearly mean of monthly uniformed personnel)",
        "source_url": UN_URL,
    }).sort_values(["country", "year", "mission"]), "peacekeeping_contributions_un")

    rank = read("peacekeeping/un_pko_contribution_rank_2021-01-31_corinnee.csv")
    write(pd.DataFrame({
        "country_iso": rank["ISOCode3"], "country": rank["Contributing_Country"],
        "rank": rank["Personnel_Contribution_Rank"], "female": rank["Female_Personnel"],
        "male": rank["Male_Personnel"], "total": rank["Total_Uniformed_Personnel"],
        "reporting_date": pd.to_datetime(rank["Last_Reporting_Date"], format="%d-%b-%y")
        .dt.strftime("%Y-%m-%d"),
        "source_url": "https://github.com/corinnee/UN_Peacekeeping_Analytics",
    }), "peacekeeping_contributor_rank")


TREATY_IDS = {"TPNW": "TPNW", "ATT": "ATT", "CCM": "CCM", "NPT": "NPT", "CTBT": "CTBT",
              "BWC": "BWC", "CWC": "CWC", "Rarotonga (SPNFZ)": "RAROTONGA",
              "IAEA Additional Protocol": "IAEA-AP", "Budapest Convention (CETS 185)": "BUDAPEST"}
OWID_COUNTRIES = ["Australia", "Canada", "Cook Islands", "Fiji", "Japan", "New Zealand",
                  "Papua New Guinea", "Samoa", "Solomon Islands", "Tonga", "United Kingdom",
                  "United States", "Vanuatu"]
OWID_BIOCHEM = ("owid/bio_chem_weapons_proliferation_2022.csv (Our World in Data, "
                "based on Arms Control Association)")


# Rows the compiled reference file lacks, each from a cited public page (Landmine and Cluster
# Munition Monitor country profile of New Zealand; Cluster Munition Coalition release).
MONITOR_NZ_MINES = "http://archives.the-monitor.org/custom/index.php/region_profiles/print_profile/954"
MONITOR_NZ_CCM = ("https://archives2.the-monitor.org/en-gb/reports/2022/new-zealand/view-all.aspx ; "
                  "https://www.stopclustermunitions.org/en-gb/media/news/2009/new-zealand-ratification-brings-cluster-bomb.aspx")
CITED_PARTICIPATION = [
    {"treaty_id": "APMBC", "country": "New Zealand", "signature": "1997-12-03", "ratification": "1999-01-27",
     "in_force": "1999-07-01", "notes": "State Party from 1 July 1999 (Landmine Monitor)", "source_url": MONITOR_NZ_MINES},
    {"treaty_id": "CCM", "country": "New Zealand", "signature": "2008-12-03", "ratification": "2009-12-22",
     "in_force": "2010-08-01", "notes": "25th state to ratify; among the first 30 ratifications that brought the "
     "convention into force on 1 August 2010 (Cluster Munition Monitor)", "source_url": MONITOR_NZ_CCM},
]


# The compiled file's Rarotonga row ('Ratified 1985', Ban Monitor) gives the signature year, and its
# Budapest row predates New Zealand's accession. Both are corrected from the pages below.
RAROTONGA_SOURCES = (
    "http://parlinfo.aph.gov.au/parlInfo/search/display/display.w3p;query=Id%3A%22chamber%2Fhansards%2F"
    "1987-03-26%2F0080%22;src1=sm1 ; https://vdocument.in/the-south-pacific-nuclear-free-zone-treaty.html ; "
    "https://vdocuments.us/an-assessment-of-the-south-pacific-nuclear-free-antarctica-treaties-the-drafters.html")
BUDAPEST_SOURCES = ("https://treatydatabase.overheid.nl/nl/Verdrag/Details/009852_w ; "
                    "https://www.treaties.mfat.govt.nz/search/details/p/290/1250 ; "
                    "https://www.transparency.org.nz/blog/make-haste-slowly-the-budapest-convention")
TREATY_CORRECTIONS = {
    "RAROTONGA": {
        "signature": "1985-08-06", "ratification": "1986", "in_force": "1986-12-11", "ratification_year": "1986",
        "date_precision": "year", "status": "ratified",
        "notes": "Signed 6 Aug 1985, the day the Forum opened the Treaty for signature; ratified in 1986: not yet "
                 "ratified when two MFAT officials wrote in 1986 ('New Zealand is committed to ratification'), and "
                 "among the eight ratifications when the Treaty entered into force on 11 Dec 1986 (Australian Senate "
                 "Hansard, 26 Mar 1987). Ban Monitor's 'Ratified 1985' is the signature year.",
        "source_url": RAROTONGA_SOURCES, "verified": "false",
        "verified_note": "ratification year inferred from two sources; the exact date on the depositary's "
                         "(Pacific Islands Forum Secretariat) record not seen"},
    "BUDAPEST": {
        "signature": "", "ratification": "2025-08-28", "in_force": "2025-12-01", "ratification_year": "2025",
        "date_precision": "day", "status": "acceded",
        "notes": "Invited to accede Sept 2020; Cabinet decision 18 Feb 2021; accession deposited 28 Aug 2025, in "
                 "force for NZ 1 Dec 2025, with reservations (Netherlands government treaty database, which records "
                 "the Council of Europe's depositary notifications). MFAT Treaties Online snapshot still said "
                 "'In Progress'. Not acceded in 2024.",
        "source_url": BUDAPEST_SOURCES, "verified": "true", "verified_note": ""},
}


def treaty_participation() -> None:
    seen = read("compiled/treaty_status_seen.csv")
    rows = [
        {**r, "ratification_year": r["ratification"][:4], "date_precision": "day", "status": "ratified",
         "verified": "true", "verified_note": ""}
        for r in CITED_PARTICIPATION
    ]
    for r in seen.itertuples(index=False):
        tid = TREATY_IDS[r.treaty]
        sig = r.signature if re.fullmatch(r"\d{4}(-\d\d-\d\d)?", r.signature) else ""
        rat = re.match(r"\d{4}(-\d\d-\d\d)?", r.ratification_or_accession)
        rat = rat.group(0) if rat else ""
        status = ("in force" if r.in_force_for_country and not rat else
                  "ratified" if rat else "accession in progress")
        row = {
            "treaty_id": tid, "country": r.country, "signature": sig, "ratification": rat,
            "in_force": r.in_force_for_country, "ratification_year": rat[:4],
            "date_precision": r.precision.split("(")[0], "status": status, "notes": r.notes,
            "source_url": r.source_url, "verified": "true", "verified_note": "",
        }
        row.update(TREATY_CORRECTIONS.get(tid, {}))
        rows.append(row)
    have = {(r["treaty_id"], r["country"]) for r in rows}
    owid = read("owid/bio_chem_weapons_proliferation_2022.csv")
    owid = owid[owid["Entity"].isin(OWID_COUNTRIES)]
    for r in owid.itertuples(index=False):
        for tid, status in (("BWC", r.bioweapons_convention), ("CWC", r.chemweapons_convention)):
            if (tid, r.Entity) in have:
                for row in rows:
                    if (row["treaty_id"], row["country"]) == (tid, r.Entity):
                        row["notes"] = (row["notes"] + "; " if row["notes"] else "") + \
                            f"Arms Control Association via OWID (2022): {status}"
                continue
            rows.append({
                "treaty_id": tid, "country": r.Entity, "signature": "", "ratification": "",
                "in_force": "", "ratification_year": "", "date_precision": "status",
                "status": status, "notes": "status in 2022; dates not in this source",
                "source_url": OWID_BIOCHEM, "verified": "true", "verified_note": "",
            })
    columns = ["treaty_id", "country", "signature", "ratification", "in_force", "ratification_year",
               "date_precision", "status", "notes", "source_url", "verified", "verified_note"]
    write(pd.DataFrame(rows)[columns], "treaty_participation")


def indicators() -> None:
    wh = read("owid/nuclear_warhead_stockpiles_fas_2023.csv")
    write(pd.DataFrame({
        "country": wh["country_name"].str.split().str.join(" "),  # "North  Korea" typo
        "year": wh["year"], "stockpile": wh["nuclear_weapons_stockpile"],
    }), "nuclear_warheads")

    inv = read("owid/nuclear_warhead_inventories_fas_2023.csv")
    write(pd.DataFrame({
        "country": inv["country_name"], "year": inv["year"],
        "deployed_strategic": inv["nuclear_weapons_depl_strat"],
        "deployed_nonstrategic": inv["nuclear_weapons_depl_nonstrat"],
        "reserve_nondeployed": inv["nuclear_weapons_reserve_nondepl"],
        "retired": inv["nuclear_weapons_retired"], "inventory": inv["nuclear_weapons_inventory"],
    }), "nuclear_warhead_inventories")

    latest_note = "latest year: may be a mid-year figure (UNHCR)"
    un = read("unhcr/unhcr_population_by_asylum_country_comparators.csv")
    last = un["year"].astype(int).max()
    un = un.rename(columns={"coa_iso": "country_iso", "coa_name": "country"})
    un["year_note"] = [latest_note if int(y) == last else "" for y in un["year"]]
    write(un.sort_values(["country_iso", "year"]), "displaced_populations")
    world = read("unhcr/unhcr_population_world_totals_by_year.csv")
    world["year_note"] = [latest_note if int(y) == last else "" for y in world["year"]]
    write(world, "displaced_world")

    sat = read("ucs/ucs_active_satellites_by_operator_country_2023-01-01.csv")
    write(pd.DataFrame({
        "country": sat["country_of_operator_owner"],
        "active_satellites": sat["active_satellites_2023_01_01"], "as_of": "2023-01-01",
    }), "active_satellites")

    ac = read("owid/ucdp_prio_state_based_conflicts_by_region.csv")
    write(pd.DataFrame({
        "region": ac["Entity"], "year": ac["Year"],
        "colonial": ac["Number of colonial or imperial conflicts"],
        "interstate": ac["Number of conflicts between states"],
        "civil": ac["Number of civil conflicts"],
        "civil_internationalised": ac["Number of civil conflicts with foreign state intervention"],
        "total": ac["Number of conflicts (all types)"],
    }), "armed_conflicts")

    rand = read("owid/rand_terrorism_incidents.csv")
    names = {"OWID_GDR": "East Germany", "OWID_GFR": "West Germany", "OWID_KOS": "Kosovo"}
    write(pd.DataFrame({
        "country": rand["Entity"].replace(names), "year": rand["Year"],
        "incidents": rand["Count of terrorist incidents (RAND)"],
        "injuries": rand["Injuries due to terrorism (RAND)"],
        "fatalities": rand["Fatalities due to terrorism (RAND)"],
    }), "terrorism_incidents")


if __name__ == "__main__":
    threat_level()
    forums()
    peace_support()
    peacekeeping()
    treaty_participation()
    indicators()
