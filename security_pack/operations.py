"""Peace support: New Zealand's operations and its uniformed contributions to UN peacekeeping,
with their charts and the sentences that branch on the data.

Sentences are plain text, never markup: they carry data (mission names), so whatever shows them
escapes them (``bk.md`` values, ``bk.key_points``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

import briefkit as bk

from .regions import check_region, place_name
from .shared import NZ, Exhibit, is_true, ordinal, as_text


# --------------------------------------------------------------------------- operations

def short_name(mission: str) -> str:
    """``"UNTSO (UN Truce Supervision Organization)" -> "UNTSO"``."""
    return re.split(r"\s+\(", str(mission), maxsplit=1)[0].strip()

_LEADERSHIP = {"yes": "UN-led", "no": "Not UN-led", "un-flagged": "UN-flagged"}


def leadership(un_led) -> str:
    """Readable form of ``un_led`` (yes / no / UN-flagged)."""
    if pd.isna(un_led):
        return "Not recorded"
    return _LEADERSHIP.get(str(un_led).strip().lower(), str(un_led))


def operations_in(ops: pd.DataFrame, region: str = "", since: int | None = None) -> pd.DataFrame:
    """Operations in ``region`` ("" = all) that were still running in or after ``since``.

    An operation whose end year is not recorded is kept (it may still be running). ``region`` is
    checked against the table's regions (its schema's enum, as ``bk.table`` types it).
    """
    out = ops
    region = check_region(region, ops["region"])
    if region:
        out = out[as_text(out["region"]).str.lower() == region.lower()]
    if since is not None:
        end = out["end_year"]
        out = out[end.isna() | (end.astype("Float64") >= since)]
    return out.reset_index(drop=True)


def _status(row) -> str:
    if is_true(row.get("ongoing")):
        return "Ongoing"
    if pd.notna(row.get("end_year")):
        return f"Ended {int(row['end_year'])}"
    return "End not recorded"


def operations_timeline(ops: pd.DataFrame, as_of_year: int) -> pd.DataFrame:
    """Rows ready for a timeline chart: ``label``, ``start``, ``end``, ``open_end``, ``leadership``.

    Ongoing operations, and those whose end is not recorded, run to ``as_of_year`` with
    ``open_end`` true. Operations without a start year cannot be placed and are left out
    (list them with ``ops[ops.start_year.isna()]``).
    """
    placed = ops[ops["start_year"].notna()].copy()
    placed["label"] = [short_name(m) for m in placed["mission"]]
    placed["start"] = placed["start_year"].astype(int)
    open_end = [is_true(o) or pd.isna(e) for o, e in zip(placed["ongoing"], placed["end_year"])]
    placed["open_end"] = open_end
    placed["end"] = [
        max(int(as_of_year), s) if o else int(e)
        for o, e, s in zip(open_end, placed["end_year"], placed["start"])
    ]
    placed["leadership"] = [leadership(v) for v in placed["un_led"]]
    placed["status"] = [_status(r) for _, r in placed.iterrows()]
    return placed.reset_index(drop=True)


def current_operations(ops: pd.DataFrame) -> pd.DataFrame:
    """Operations recorded as ongoing, plus those with no recorded end year (``status`` says which)."""
    mask = pd.Series([is_true(o) or pd.isna(e) for o, e in zip(ops["ongoing"], ops["end_year"])],
                     index=ops.index, dtype=bool)
    out = ops.loc[mask].copy()
    out["status"] = [_status(r) for _, r in out.iterrows()]
    out["leadership"] = [leadership(v) for v in out["un_led"]]
    out["name"] = [short_name(m) for m in out["mission"]]
    return out.reset_index(drop=True)


def personnel_text(low, high=None) -> str:
    """``(25, 28) -> "25-28"`` (en dash), ``(8, NA) -> "8"``, missing -> ``""``."""
    if pd.isna(low):
        return ""
    if high is not None and pd.notna(high) and int(high) != int(low):
        return f"{int(low):,}\u2013{int(high):,}"
    return f"{int(low):,}"


def _years_text(row) -> str:
    start = row.get("start_year")
    end = row.get("end_year")
    if pd.isna(start):
        first = "Start not recorded"
        if is_true(row.get("ongoing")):
            return f"{first}; ongoing"
        return first if pd.isna(end) else f"{first}; ended {int(end)}"
    first = str(int(start))
    if is_true(row.get("ongoing")):
        return f"{first}\u2013 (ongoing)"
    if pd.isna(end):
        return f"{first}\u2013 (end not recorded)"
    if pd.notna(start) and int(start) == int(end):
        return first
    return f"{first}\u2013{int(end)}"


def operations_table(ops: pd.DataFrame) -> pd.DataFrame:
    """Operations ready to show: ``name``, ``mission``, ``location``, ``region``, ``years``,
    ``leadership``, ``personnel`` (approximate, as text), ``note``, ``verified``; oldest first."""
    out = ops.copy()
    out["name"] = [short_name(m) for m in out["mission"]]
    out["years"] = [_years_text(r) for _, r in out.iterrows()]
    out["leadership"] = [leadership(v) for v in out["un_led"]]
    high = out["approx_personnel_max"] if "approx_personnel_max" in out.columns else [None] * len(out)
    out["personnel"] = [personnel_text(lo, hi) for lo, hi in zip(out["approx_personnel"], high)]
    out["note"] = out["personnel_note"] if "personnel_note" in out.columns else ""
    out["_start"] = out["start_year"].astype("Float64").fillna(9999)
    return out.sort_values(["_start", "name"], kind="stable").drop(columns="_start").reset_index(drop=True)


# --------------------------------------------------------------------------- contributions

IPI_LABEL = "IPI, from monthly UN reports"

UN_LABEL = "UN open data"


def annual_contributions(
    ipi: pd.DataFrame,
    un: pd.DataFrame,
    countries: Sequence[str] | None = None,
    since: int | None = None,
) -> pd.DataFrame:
    """Yearly uniformed personnel per country from both series, kept apart.

    IPI monthly totals become the mean over the months reported in each year (``months``
    says how many; 1990 and 2014 are part years); the UN series is already a yearly mean
    per mission and is summed over missions. Columns: ``series`` (which source, with its
    years), ``source`` ("IPI" or "UN"), ``year``, ``country``, ``personnel``, ``months``.
    """
    parts = []
    if ipi is not None and len(ipi):
        m = ipi.assign(
            year=pd.to_datetime(ipi["date"]).dt.year,
            total=ipi["total"].astype("Float64").fillna(0),
            country=as_text(ipi["country"]),
        )
        g = m.groupby(["country", "year"], as_index=False).agg(
            personnel=("total", "mean"), months=("total", "size")
        )
        g["source"] = "IPI"
        parts.append(g)
    if un is not None and len(un):
        u = un.assign(country=as_text(un["country"]), total=un["total"].astype("Float64"))
        g = u.groupby(["country", "year"], as_index=False).agg(personnel=("total", "sum"))
        g["months"] = 12
        g["source"] = "UN"
        parts.append(g)
    if not parts:
        return pd.DataFrame(columns=["series", "source", "year", "country", "personnel", "months"])
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype(int)
    out["personnel"] = out["personnel"].astype(float)
    out["months"] = out["months"].astype(int)
    if countries is not None:
        out = out[out["country"].isin(list(countries))]
    if since is not None:
        out = out[out["year"] >= since]
    labels = {}
    for source, group in out.groupby("source"):
        base = IPI_LABEL if source == "IPI" else UN_LABEL
        labels[source] = f"{base}, {group['year'].min()}\u2013{group['year'].max()}"
    out["series"] = out["source"].map(labels)
    order = {"IPI": 0, "UN": 1}
    out = out.sort_values(["source", "country", "year"], key=lambda s: s.map(order) if s.name == "source" else s)
    return out[["series", "source", "year", "country", "personnel", "months"]].reset_index(drop=True)


def contribution_facts(annual: pd.DataFrame, country: str = NZ) -> dict:
    """Headline figures for ``country`` from :func:`annual_contributions` output.

    Keys (NA when the series has no rows for the country): ``ipi_peak_year``, ``ipi_peak``,
    ``ipi_first_year``, ``ipi_last_year``, ``ipi_last``, ``un_first_year``, ``un_last_year``,
    ``un_last``, ``un_rank`` (1 = largest among the countries present that year), ``un_of``.
    """
    facts: dict = {}
    mine = annual[annual["country"] == country]
    ipi = mine[mine["source"] == "IPI"]
    if len(ipi):
        peak = ipi.loc[ipi["personnel"].idxmax()]
        facts.update(
            ipi_peak_year=int(peak["year"]), ipi_peak=float(peak["personnel"]),
            ipi_first_year=int(ipi["year"].min()), ipi_last_year=int(ipi["year"].max()),
            ipi_last=float(ipi.loc[ipi["year"].idxmax(), "personnel"]),
        )
    else:
        facts.update(ipi_peak_year=pd.NA, ipi_peak=pd.NA, ipi_first_year=pd.NA,
                     ipi_last_year=pd.NA, ipi_last=pd.NA)
    un = mine[mine["source"] == "UN"]
    if len(un):
        last_year = int(un["year"].max())
        everyone = annual[(annual["source"] == "UN") & (annual["year"] == last_year)]
        ranked = everyone.sort_values("personnel", ascending=False).reset_index(drop=True)
        facts.update(
            un_first_year=int(un["year"].min()), un_last_year=last_year,
            un_last=float(un.loc[un["year"].idxmax(), "personnel"]),
            un_rank=int(ranked.index[ranked["country"] == country][0]) + 1,
            un_of=len(ranked),
        )
    else:
        facts.update(un_first_year=pd.NA, un_last_year=pd.NA, un_last=pd.NA, un_rank=pd.NA, un_of=0)
    return facts


# --------------------------------------------------------------------------- charts

def operations_exhibit(timeline: pd.DataFrame, *, region: str = "", since: int | None = None,
                       as_of_year: int | None = None, unplaced: Sequence[str] = ()) -> Exhibit:
    """Timeline of operations (rows from :func:`operations_timeline`)."""
    where = place_name(region)
    fig = bk.timeline_chart(
        timeline, start="start", end="end", label="label", group="leadership",
        group_order=["UN-led", "Not UN-led", "UN-flagged"], open_end="open_end",
        title="New Zealand peace support operations" + (f": {where}" if region else "") + (f", {since} onwards" if since else ""),
        xlabel="Year",
    )
    ax = fig.axes[0]
    clipped = []
    if since is not None and len(timeline):
        lo = min(int(timeline["start"].min()), since)
        if lo < since:
            ax.set_xlim(left=since - 1)
            clipped = [r["label"] for _, r in timeline.iterrows() if r["start"] < since]
        right = int(timeline["end"].max()) + 3
        ax.set_xlim(right=right)
    items = [f"{r['label']} ({_years(r)})" for _, r in timeline.sort_values("start").iterrows()]
    n_open = int(timeline["open_end"].sum()) if len(timeline) else 0
    if len(timeline):
        alt = (
            f"Timeline of {bk.plural(len(timeline), 'New Zealand peace support operation')}" + (f" in {where}" if region else "")
            + (f" running in or after {since}" if since else "")
            + f", one bar per operation from its start year to its end year, "
            f"{int((timeline['leadership'] == 'UN-led').sum())} of them UN-led: {'; '.join(items)}."
        )
    else:
        alt = f"Empty timeline: the data records no New Zealand peace support operation in {where}" + (f" since {since}." if since else ".")
    parts = []
    if n_open:
        parts.append(
            f"Arrows mark {bk.plural(n_open, 'operation')} recorded as ongoing or without an end year"
            + (f", drawn to {as_of_year}, the year of the data." if as_of_year else ".")
        )
    if clipped:
        parts.append(f"{bk.fmt_list(clipped)} began before {since}.")
    if unplaced:
        parts.append(f"Not shown (no start year in the data): {bk.fmt_list(unplaced)}.")
    return Exhibit(fig, alt, " ".join(parts), {"operations": len(timeline), "open": n_open})


def _years(row) -> str:
    if row["open_end"]:
        return f"{row['start']}\u2013, {row['status'].lower()}"
    if row["start"] == row["end"]:
        return f"{row['start']}"
    return f"{row['start']}\u2013{row['end']}"


def contributions_exhibit(annual: pd.DataFrame, facts: dict, highlight: str = NZ) -> Exhibit:
    """Two panels (IPI and UN series kept apart) of yearly uniformed personnel by country."""
    countries = [highlight] + sorted(c for c in annual["country"].unique() if c != highlight)
    fig = bk.line_chart(
        annual, x="year", y="personnel", series="country", facet="series", order=countries,
        highlight=highlight, logy=True,
        title="Uniformed personnel in UN peacekeeping: New Zealand and comparators",
        xlabel="Year", ylabel="Personnel, yearly mean (log scale)",
    )
    others = [c for c in countries if c != highlight]
    bits = []
    if pd.notna(facts.get("ipi_peak")):
        bits.append(
            f"In the IPI series, {highlight} peaked at about {bk.fmt_int(facts['ipi_peak'])} personnel "
            f"(yearly mean) in {facts['ipi_peak_year']}"
        )
    if pd.notna(facts.get("un_last")):
        bits.append(
            f"in the UN series it had {bk.fmt_int(facts['un_last'])} in {facts['un_last_year']}, "
            f"{ordinal(facts['un_rank'])} of the {facts['un_of']} countries shown"
        )
    alt = (
        "Two line charts on a logarithmic scale, left the IPI series and right the UN series, of "
        f"yearly mean uniformed personnel in UN peacekeeping for {highlight} and {bk.fmt_list(others)}. "
        + ("; ".join(bits) + "." if bits else "")
    )
    caption = (
        "The two series come from different sources and are not joined: IPI figures are yearly "
        "means of monthly UN contribution reports (part years at each end); UN figures are yearly "
        "means summed over missions. Log scale: each gridline is ten times the one below."
    )
    return Exhibit(fig, alt, caption, dict(facts))


# --------------------------------------------------------------------------- sentences

def operations_sentence(ops: pd.DataFrame, where: str, since: int | None = None) -> str:
    """How many operations the selection holds, and how many were UN-led."""
    span = f" running in or after {since}" if since is not None else ""
    loc = "" if not where or where == "all regions" else f" in {where}"
    if ops.empty:
        return f"The pack records no New Zealand peace support operation{loc}{span}."
    un_led = int((ops["un_led"].astype("string").str.lower() == "yes").sum())
    if len(ops) == 1:
        led = "it was UN-led" if un_led else "it was not UN-led"
    else:
        led = "none was UN-led" if un_led == 0 else f"{un_led} {'was' if un_led == 1 else 'were'} UN-led"
    return f"The pack records {bk.plural(len(ops), 'New Zealand peace support operation')}{loc}{span}; {led}."


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
        parts.append(f"{bk.fmt_list(ongoing)} {'is' if len(ongoing) == 1 else 'are'} recorded as ongoing")
    if unknown:
        parts.append(f"{bk.fmt_list(unknown)} {'has' if len(unknown) == 1 else 'have'} no recorded end year")
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
        f"{when}, with about {bk.fmt_int(size.max())} New Zealand personnel.".replace("  ", " ")
    )


def contribution_sentences(facts: dict, country: str = NZ) -> list[str]:
    """Up to two sentences on the IPI and UN series (only for series with data)."""
    out = []
    if pd.notna(facts.get("ipi_peak")):
        out.append(
            f"In the IPI series {country}'s uniformed contribution to UN peacekeeping peaked at about "
            f"{bk.fmt_int(facts['ipi_peak'])} people in uniform (yearly mean) in {facts['ipi_peak_year']}; in "
            f"{facts['ipi_last_year']} it was about {bk.fmt_int(facts['ipi_last'])}."
        )
    if pd.notna(facts.get("un_last")):
        out.append(
            f"In the UN series {country} averaged {bk.plural(round(facts['un_last']), 'person', 'people')} in uniform in "
            f"{facts['un_last_year']}, {ordinal(facts['un_rank'])} of the {facts['un_of']} countries compared."
        )
    return out
