"""Sentences whose shape depends on the data (empty selections, missing series).

The notebooks write most of their prose themselves from computed values; the sentences here
are the ones that need a branch (nothing found, a series absent for the years chosen), so the
branch is tested once instead of living in a notebook. Each returns plain text ("" when there
is nothing to say), never markup: the sentences carry data (mission and threat names), so
whatever shows them escapes them. Pass one to ``bk.md`` as a value, never as the template::

    bk.md("{footprint} The shares measure ...", footprint=sp.footprint_sentence(footprint, where))

``bk.key_points``, ``bk.show_table`` (``empty=``) and ``bk.md`` values escape plain text.
"""

from __future__ import annotations

import pandas as pd

from briefkit.prose import fmt_date, fmt_int, fmt_list, fmt_num, plural

from .analysis import NZ, current_operations, short_name
from .figures import _ordinal

__all__ = [
    "operations_sentence",
    "current_operations_sentence",
    "largest_operation_sentence",
    "contribution_sentences",
    "treaty_sentence",
    "ratified_sentence",
    "pending_sentence",
    "coverage_sentence",
    "forums_sentence",
    "footprint_sentence",
]


def operations_sentence(ops: pd.DataFrame, where: str, since: int | None = None) -> str:
    """How many operations the selection holds, and how many were UN-led."""
    span = f" running in or after {since}" if since is not None else ""
    if ops.empty:
        return f"The data records no New Zealand peace support operation in {where}{span}."
    un_led = int((ops["un_led"].astype("string").str.lower() == "yes").sum())
    if len(ops) == 1:
        led = "it was UN-led" if un_led else "it was not UN-led"
    else:
        led = f"{'none' if un_led == 0 else un_led} of them UN-led"
    return f"The data records {plural(len(ops), 'New Zealand peace support operation')} in {where}{span}; {led}."


def current_operations_sentence(ops: pd.DataFrame) -> str:
    """Which operations are ongoing or have no recorded end ("" when there are no operations)."""
    if ops.empty:
        return ""
    cur = current_operations(ops)
    if cur.empty:
        return "It is not recorded as ongoing." if len(ops) == 1 else "None of them is recorded as ongoing."
    ongoing = cur[cur["status"] == "Ongoing"]["name"].tolist()
    unknown = cur[cur["status"] != "Ongoing"]["name"].tolist()
    parts = []
    if ongoing:
        parts.append(f"{fmt_list(ongoing)} {'is' if len(ongoing) == 1 else 'are'} recorded as ongoing")
    if unknown:
        parts.append(f"{fmt_list(unknown)} {'has' if len(unknown) == 1 else 'have'} no recorded end year")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def largest_operation_sentence(ops: pd.DataFrame) -> str:
    """The largest deployment by approximate personnel (upper figure of a range)."""
    if ops.empty or ops["approx_personnel"].isna().all():
        return ""
    size = ops["approx_personnel"].astype("Float64")
    if "approx_personnel_max" in ops.columns:
        size = ops["approx_personnel_max"].astype("Float64").fillna(size)
    row = ops.loc[size.idxmax()]
    when = f"from {int(row['start_year'])}" if pd.notna(row["start_year"]) else ""
    return (
        f"The largest recorded deployment was {short_name(row['mission'])} in {row['location']} "
        f"{when}, with about {fmt_int(size.max())} New Zealand personnel.".replace("  ", " ")
    )


def contribution_sentences(facts: dict, country: str = NZ) -> list[str]:
    """Up to two sentences on the IPI and UN series (only for series with data)."""
    out = []
    if pd.notna(facts.get("ipi_peak")):
        out.append(
            f"In the IPI series {country}'s uniformed contribution to UN peacekeeping peaked at about "
            f"{fmt_int(facts['ipi_peak'])} (yearly mean) in {facts['ipi_peak_year']}; in "
            f"{facts['ipi_last_year']} it was about {fmt_int(facts['ipi_last'])}."
        )
    if pd.notna(facts.get("un_last")):
        out.append(
            f"In the UN series {country} averaged {plural(round(facts['un_last']), 'person', 'people')} in uniform in "
            f"{facts['un_last_year']}, {_ordinal(facts['un_rank'])} of the {facts['un_of']} countries compared."
        )
    return out


def treaty_sentence(dates: pd.DataFrame, country: str = NZ) -> str:
    """Summary of a threat's treaties (rows from ``treaties_for_threat``)."""
    if dates.empty:
        return "The pack's treaty data holds no treaty specific to this threat."
    status = dates["status"].str.lower()
    done = dates.loc[status.isin(["ratified", "in force"]), "treaty_id"].tolist()
    pending = dates.loc[status.str.contains("progress"), "treaty"].tolist()
    unknown = dates.loc[status == "no record", "treaty_id"].tolist()
    parts = []
    if done:
        parts.append(f"{country} is party to {fmt_list(done)}")
    if pending:
        parts.append(f"accession to the {fmt_list(pending)} is in progress")
    if unknown:
        parts.append(f"the data holds no record of {country}'s status for {fmt_list(unknown)}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def ratified_sentence(facts: dict, country: str = NZ) -> str:
    """From :func:`analysis.treaty_facts`: how many ratified, first and latest."""
    if not facts.get("first"):
        return f"The data records no treaty ratification for {country}."
    first, last = facts["first"], facts["last"]
    return (
        f"{country} has ratified {facts['ratified']} of the {facts['treaties']} disarmament and "
        f"arms-control treaties in the data, from the {first['treaty_id']} "
        f"({fmt_date(first['date'], first['precision'])}) to the {last['treaty_id']} "
        f"({fmt_date(last['date'], last['precision'])})."
    )


def pending_sentence(facts: dict, country: str = NZ) -> str:
    """Treaties in progress, and treaties the data holds no record of, for ``country``."""
    parts = []
    if facts.get("in_progress"):
        parts.append(f"Accession to the {fmt_list(facts['in_progress'])} is in progress")
    if facts.get("no_record"):
        parts.append(f"the data holds no record of {country}'s status for the {fmt_list(facts['no_record'])}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def coverage_sentence(matrix: pd.DataFrame, countries: list[str], missing: str = "\u2014") -> str:
    """How complete the comparator columns of a treaty matrix are."""
    others = [c for c in countries if c != NZ and c in matrix.columns]
    if not others:
        return ""
    cells = matrix[others]
    known = int((cells != missing).sum().sum())
    return (
        f"For the comparators ({fmt_list(others)}) the data holds {known} of "
        f"{cells.size} treaty statuses; a gap is missing data, not a refusal to join."
    )


def _membership(status: str, name: str) -> str:
    word = str(status).split("(")[0].split(";")[0].strip().lower()
    if word.startswith("not a member"):
        return f"not a member of the {name}"
    if word.startswith("member"):
        return f"a member of the {name}"
    if word.startswith("participant"):
        return f"a participant in the {name}"
    return f"{word} in the {name}"


def forums_sentence(summary: pd.DataFrame, region: str) -> str:
    """Which regional forums New Zealand works in (from ``forum_summary``)."""
    if summary.empty:
        return (f"The data holds no forum specific to {region}; New Zealand's work there runs "
                "through global bodies such as the UN.")
    parts = []
    for _, r in summary.iterrows():
        listed = f" ({fmt_int(r['total'])} members and participants listed)" if pd.notna(r["total"]) else ""
        parts.append(_membership(r["nz_status"], r["name"]) + listed)
    text = f"In {region} New Zealand is {fmt_list(parts)}."
    return text


def footprint_sentence(footprint: pd.DataFrame, region: str) -> str:
    """The threat with the largest measurable footprint in the region (``regional_footprint``)."""
    ranked = footprint.dropna(subset=["share"])
    ranked = ranked[ranked["share"] > 0]
    if ranked.empty:
        return f"None of the pack's threat indicators records activity in {region}."
    top = ranked.iloc[0]
    partial = f", from data covering {top['coverage']}" if top["coverage"] not in ("", "All") else ""
    return (
        f"Of the pack's threat indicators, {top['name'].lower()} has the largest share in {region}: "
        f"{fmt_num(float(top['share']) * 100, 1)}% of the world's {top['measure']}{partial}."
    )
