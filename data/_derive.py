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
        "source_url": scale["source_urls"],
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
        "notes": hist["notes"],
        "source_url": hist["source_urls"],
        "verified": [boolean(d not in unverified) for d in hist["effective_date"]],
        "verified_note": [unverified.get(d, "") for d in hist["effective_date"]],
    }), "threat_level_history")


def forums() -> None:
    fm = read("compiled/forum_memberships.csv")
    write(pd.DataFrame({
        "forum_id": fm["forum"],
        "member": fm["member"],
        "member_type": fm["member_type"],
        "as_of_text": fm["as_of"],
        "source_url": fm["source_url"],
        "notes": fm["notes"],
    }), "forum_memberships")


PSO_IDS = ["UNMOGIP", "UNTSO", "MFO-SINAI", "UNIIMOG", "UNITAF", "UNPROFOR", "TMG-BOUGAINVILLE",
           "INTERFET", "UNTAET", "PRT-BAMYAN", "UNMISS", "UNC-KOREA", "BPC-IRAQ"]
PSO_UNVERIFIED = {
    "UNMOGIP": "end year not seen",
    "MFO-SINAI": "current personnel from an undated NZDF page",
    "UNMISS": "end year not seen; current personnel from an undated NZDF page",
    "UNC-KOREA": "start year not seen; personnel from an undated NZDF page",
    "BPC-IRAQ": "end year not seen; personnel from a blog citing Stuff and an undated NZDF page",
}


def peace_support() -> None:
    pso = read("compiled/nz_peace_support_operations_seed.csv")
    assert len(pso) == len(PSO_IDS)
    low, high = [], []
    for text in pso["approx_personnel"]:
        nums = re.findall(r"\d+", text)
        low.append(nums[0] if nums else "")
        high.append(nums[1] if len(nums) > 1 else "")
    end = pso["end_year"]
    write(pd.DataFrame({
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
    }), "peace_support_operations")


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
        note = r.notes
        if tid == "RAROTONGA":
            note = ("Ban Monitor says 'Ratified 1985', likely the signature year; treaty opened "
                    "for signature 6 Aug 1985, in force 11 Dec 1986 (secondary sources)")
        unverified = tid in {"RAROTONGA", "BUDAPEST"}
        rows.append({
            "treaty_id": tid, "country": r.country, "signature": sig, "ratification": rat,
            "in_force": r.in_force_for_country, "ratification_year": rat[:4],
            "date_precision": r.precision.split("(")[0], "status": status, "notes": note,
            "source_url": r.source_url, "verified": boolean(not unverified),
            "verified_note": ("ratification year not confirmed by the depositary" if tid == "RAROTONGA"
                              else "sources disagree: MFAT 'In Progress', TI-NZ 'completed'"
                              if tid == "BUDAPEST" else ""),
        })
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
