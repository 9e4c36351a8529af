"""The pack's recurring charts, each with alt text and caption computed from the data.

Each function takes prepared DataFrames (from :mod:`security_pack.analysis`) and returns an
:class:`Exhibit`; the notebook adds the source line and shows it::

    ex = sp.threat_level_exhibit(history, scale, until=sp.as_of("threat_level_history"))
    bk.chart(ex.figure, alt=ex.alt, source=sp.source_line("threat_level_history"), caption=ex.caption)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from briefkit import charts
from briefkit.prose import fmt_date, fmt_int, fmt_list

from .analysis import NZ, place_name, threat_level_periods, threat_level_steps


@dataclass
class Exhibit:
    """A chart and what it shows: alt text, caption, and the facts behind them."""

    figure: object
    alt: str
    caption: str
    facts: dict = field(default_factory=dict)


def _month(ts) -> str:
    return f"{pd.Timestamp(ts):%b %Y}"


# --------------------------------------------------------------------------- threat level

def threat_level_exhibit(
    history: pd.DataFrame,
    scale: pd.DataFrame,
    since: int = 2014,
    until=None,
) -> Exhibit:
    """Step chart of the national terrorism threat level from ``since`` to ``until``."""
    steps = threat_level_steps(history, scale)
    until = pd.Timestamp(until) if until is not None and pd.notna(until) else steps["effective_date"].max()
    shown = steps[steps["effective_date"].dt.year >= since].copy()
    before = steps[steps["effective_date"].dt.year < since]
    if len(before):  # carry the level in force at the start of the window
        carry = before.iloc[[-1]].copy()
        carry["effective_date"] = pd.Timestamp(f"{since}-01-01")
        carry["change_type"] = "in force"
        shown = pd.concat([carry, shown], ignore_index=True)
    kinds = shown["change_type"].astype(str)
    shown["note"] = [
        f"{_month(d)}: {lvl}" if k in ("raised", "lowered") else (f"{_month(d)}: now '{lab}'" if k == "relabelled" else "")
        for d, k, lvl, lab in zip(shown["effective_date"], kinds, shown["level"], shown["label"])
    ]
    levels = {
        int(r["rank"]): f"{r['level']} / {r['label_2026']}" if "label_2026" in scale.columns else str(r["level"])
        for _, r in scale.iterrows()
    }
    end = max(until, shown["effective_date"].max()) + pd.Timedelta(days=60)
    first = shown["effective_date"].min()
    fig = charts.step_chart(
        shown, x="effective_date", y="rank", levels=levels, end=end, annotate="note",
        title=f"New Zealand national terrorism threat level, {first.year}\u2013{until.year}",
        xlabel="Date", ylabel="Threat level (former name / current wording)",
    )
    periods = threat_level_periods(history, scale, until=until)
    periods = periods[periods["end"].isna() | (periods["end"].dt.year >= since)]
    spells = [f"{p['level']} from {fmt_date(p['start'], p['date_precision'])}" for _, p in periods.iterrows()]
    now = steps.iloc[-1]
    alt = (
        f"Step chart of New Zealand's national terrorism threat level from {fmt_date(first, 'month')} "
        f"to {fmt_date(until, 'month')}: {fmt_list(spells)}. "
        f"The level is {now['level']}, described as {now['label']} in the current wording."
    )
    unverified = [fmt_date(d) for d, v in zip(steps["effective_date"], steps.get("verified", [True] * len(steps)))
                  if pd.notna(v) and not bool(v)]
    caption = "Each dot is a published decision, including reviews that kept the level unchanged."
    if unverified:
        caption += f" Dates not confirmed by an authoritative source: {fmt_list(unverified)}."
    return Exhibit(fig, alt, caption, {"spells": len(periods), "unverified_dates": unverified})


# --------------------------------------------------------------------------- operations

def operations_exhibit(timeline: pd.DataFrame, *, region: str = "", since: int | None = None,
                       as_of_year: int | None = None, unplaced: Sequence[str] = ()) -> Exhibit:
    """Timeline of operations (rows from :func:`analysis.operations_timeline`)."""
    where = place_name(region)
    fig = charts.timeline_chart(
        timeline, start="start", end="end", label="label", group="leadership",
        group_order=["UN-led", "Not UN-led", "UN-flagged"], open_end="open_end",
        title=f"New Zealand peace support operations: {region or 'all regions'}" + (f", {since} onwards" if since else ""),
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
            f"Timeline of {len(timeline)} New Zealand peace support operations in {where}"
            + (f" running in or after {since}" if since else "")
            + f", one bar per operation from its start year to its end year, "
            f"{int((timeline['leadership'] == 'UN-led').sum())} of them UN-led: {'; '.join(items)}."
        )
    else:
        alt = f"Empty timeline: the data records no New Zealand peace support operation in {where}" + (f" since {since}." if since else ".")
    parts = []
    if n_open:
        parts.append(
            f"Arrows mark {n_open} operation(s) recorded as ongoing or without an end year"
            + (f", drawn to {as_of_year}, the date of the data." if as_of_year else ".")
        )
    if clipped:
        parts.append(f"{fmt_list(clipped)} began before {since}.")
    if unplaced:
        parts.append(f"Not shown (no start year in the data): {fmt_list(unplaced)}.")
    return Exhibit(fig, alt, " ".join(parts), {"operations": len(timeline), "open": n_open})


def _years(row) -> str:
    if row["open_end"]:
        return f"{row['start']}\u2013, {row['status'].lower()}"
    if row["start"] == row["end"]:
        return f"{row['start']}"
    return f"{row['start']}\u2013{row['end']}"


# --------------------------------------------------------------------------- contributions

def contributions_exhibit(annual: pd.DataFrame, facts: dict, highlight: str = NZ) -> Exhibit:
    """Two panels (IPI and UN series kept apart) of yearly uniformed personnel by country."""
    countries = [highlight] + sorted(c for c in annual["country"].unique() if c != highlight)
    fig = charts.line_chart(
        annual, x="year", y="personnel", series="country", facet="series", order=countries,
        highlight=highlight, logy=True,
        title="Uniformed personnel in UN peacekeeping: New Zealand and comparators",
        xlabel="Year", ylabel="Personnel, yearly mean (log scale)",
    )
    others = [c for c in countries if c != highlight]
    bits = []
    if pd.notna(facts.get("ipi_peak")):
        bits.append(
            f"In the IPI series, {highlight} peaked at about {fmt_int(facts['ipi_peak'])} personnel "
            f"(yearly mean) in {facts['ipi_peak_year']}"
        )
    if pd.notna(facts.get("un_last")):
        bits.append(
            f"in the UN series it had {fmt_int(facts['un_last'])} in {facts['un_last_year']}, "
            f"{_ordinal(facts['un_rank'])} of the {facts['un_of']} countries shown"
        )
    alt = (
        "Two line charts on a logarithmic scale, left the IPI series and right the UN series, of "
        f"yearly mean uniformed personnel in UN peacekeeping for {highlight} and {fmt_list(others)}. "
        + ("; ".join(bits) + "." if bits else "")
    )
    caption = (
        "The two series come from different sources and are not joined: IPI figures are yearly "
        "means of monthly UN contribution reports (part years at each end); UN figures are yearly "
        "means summed over missions. Log scale: each gridline is ten times the one below."
    )
    return Exhibit(fig, alt, caption, dict(facts))


def _ordinal(n) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --------------------------------------------------------------------------- treaties

_EVENT_ORDER = ["Signed", "Ratified", "In force"]


def ratification_exhibit(events: pd.DataFrame, country: str = NZ) -> Exhibit:
    """Treaty milestones of ``country`` (rows from :func:`analysis.ratification_timeline`)."""
    ev = events.copy()
    ev["row"] = ev["label"]
    fig = charts.event_chart(
        ev, date="year", label="row", group="event", group_order=_EVENT_ORDER,
        title=f"{country}'s treaty milestones: disarmament and arms control", xlabel="Year",
    )
    items = [
        f"{r['label']} {r['event'].lower()} {fmt_date(r['date'], r['precision'])}"
        + (" (unverified)" if not r["verified"] else "")
        for _, r in ev.iterrows()
    ]
    alt = (
        f"Timeline of {country}'s signatures, ratifications and entries into force for "
        f"{ev['treaty_id'].nunique()} treaties, one row per treaty: {'; '.join(items)}."
        if len(ev) else f"Empty timeline: the data holds no dated treaty events for {country}."
    )
    caption = "Year-only dates are placed at the start of the year."
    unverified = sorted(set(ev.loc[~ev["verified"].astype(bool), "label"])) if len(ev) else []
    if unverified:
        caption += f" Unverified in the data: {fmt_list(unverified)}."
    return Exhibit(fig, alt, caption, {"events": len(ev), "unverified": unverified})


# --------------------------------------------------------------------------- armed conflict

_CONFLICT_TYPES = {
    "total": "All state-based conflicts",
    "civil": "Civil",
    "civil_internationalised": "Civil, with foreign intervention",
    "interstate": "Between states",
}


def conflicts_exhibit(conflicts: pd.DataFrame, ucdp_region: str, since: int | None = None) -> Exhibit:
    """Line chart of state-based armed conflicts per year in one UCDP/PRIO region, by type."""
    c = conflicts[conflicts["region"].astype("string") == ucdp_region].sort_values("year")
    if since is not None:
        c = c[c["year"] >= since]
    rows = []
    for col, label in _CONFLICT_TYPES.items():
        rows.append(pd.DataFrame({"year": c["year"].astype(int), "count": c[col].astype(float), "type": label}))
    long = pd.concat(rows, ignore_index=True)
    y0, y1 = int(c["year"].min()), int(c["year"].max())
    peak = c.loc[c["total"].astype(float).idxmax()]
    last = c.iloc[-1]
    fig = charts.line_chart(
        long, x="year", y="count", series="type", order=list(_CONFLICT_TYPES.values()),
        highlight=_CONFLICT_TYPES["total"],
        title=f"State-based armed conflicts in {place_name(ucdp_region)}, {y0}\u2013{y1}",
        xlabel="Year", ylabel="Conflicts active in the year (number)",
    )
    facts = {
        "first_year": y0, "last_year": y1, "peak_year": int(peak["year"]), "peak": int(peak["total"]),
        "last": int(last["total"]), "last_civil_int": int(last["civil_internationalised"]),
        "last_civil": int(last["civil"]), "last_interstate": int(last["interstate"]),
    }
    alt = (
        f"Line chart of state-based armed conflicts active each year in {place_name(ucdp_region)} from {y0} "
        f"to {y1}, in total and by type. The total peaked at {facts['peak']} in {facts['peak_year']}; "
        f"in {y1} there were {facts['last']}: {facts['last_civil']} civil, "
        f"{facts['last_civil_int']} civil with foreign intervention and {facts['last_interstate']} between states."
    )
    caption = f"UCDP/PRIO region \u201c{ucdp_region}\u201d; colonial conflicts are counted in the total only."
    return Exhibit(fig, alt, caption, facts)
