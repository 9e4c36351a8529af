"""The five threats: their order, overview, instruments, and one indicator chart per threat.

The threat-profile notebook reads which tables a threat needs from the
``threat_indicator_tables`` table, loads them with ``bk.table`` (so they appear in the brief's
sources), and hands them here::

    mapping = bk.table("threat_indicator_tables", marking=marking)
    tables = {name: bk.table(name, marking=marking) for name in sp.indicator_tables(threat, mapping)}
    ind = sp.indicator(threat, tables)
    bk.chart(ind.figure, alt=ind.alt, source=sp.source_line(*tables), caption=ind.caption)

Everything said about the data (alt text, caption, facts) is computed from the tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

import briefkit as bk

from .shared import NZ, as_text


#: The five threats in the order of the MFAT source text.
THREAT_ORDER: tuple[str, ...] = ("terrorism", "wmd", "cyber", "people-smuggling", "space")


def threat_order(ids: Iterable) -> list[int]:
    """Sort key: each threat id's place in :data:`THREAT_ORDER` (unknown ids last)."""
    return [THREAT_ORDER.index(t) if t in THREAT_ORDER else len(THREAT_ORDER) for t in map(str, ids)]


# --------------------------------------------------------------------------- overview and instruments

def threat_row(threats: pd.DataFrame, threat_id: str) -> pd.Series:
    """The row of ``threat_id``, or ``ValueError`` naming the threats there are."""
    ids = as_text(threats["threat_id"])
    hit = threats[ids == threat_id]
    if hit.empty:
        raise ValueError(f"Unknown threat {threat_id!r}: use one of {', '.join(ids.dropna())}.")
    return hit.iloc[0]


def threat_instruments(roles: pd.DataFrame, threat_id: str) -> pd.DataFrame:
    """NZ roles on the threat, then its roles that serve every threat (forums, peacekeeping).

    Adds ``scope``: "This threat" or "All threats".
    """
    tid = as_text(roles["threat_id"])
    own = roles[tid == threat_id].assign(scope="This threat")
    general = roles[tid.isna()].assign(scope="All threats")
    return pd.concat([own, general], ignore_index=True)


def _join_unique(values: Iterable) -> str:
    seen = []
    for v in values:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            continue
        for part in re.split(r"\s*;\s*", str(v)):
            if part and part not in seen:
                seen.append(part)
    return "; ".join(seen)


def threat_overview(threats: pd.DataFrame, roles: pd.DataFrame, forums: pd.DataFrame | None = None) -> pd.DataFrame:
    """The five threats side by side, in source order, with NZ's instruments on each.

    Adds ``agencies`` (lead agencies of NZ's roles on the threat), ``forums`` (forum names
    those roles use) and ``roles`` (how many roles).
    """
    r = roles.assign(threat_id=as_text(roles["threat_id"]), forum_id=as_text(roles["forum_id"]))
    fnames = (
        dict(zip(as_text(forums["forum_id"]), forums["name"].astype(str))) if forums is not None else {}
    )
    out = threats.copy()
    ids = list(as_text(out["threat_id"]))
    out["agencies"] = [_join_unique(r.loc[r["threat_id"] == t, "lead_agency"]) for t in ids]
    out["forums"] = [
        _join_unique(fnames.get(f, f) for f in r.loc[r["threat_id"] == t, "forum_id"].dropna())
        for t in ids
    ]
    out["roles"] = [int((r["threat_id"] == t).sum()) for t in ids]
    out["_order"] = threat_order(ids)
    return out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------- indicators

@dataclass
class Indicator:
    """A threat's indicator: the chart, what it shows, and the figures the prose may quote."""

    threat: str
    figure: object
    alt: str
    caption: str
    headline: str  # one sentence for key points and judgements
    facts: dict = field(default_factory=dict)
    table: pd.DataFrame | None = None  # the figures behind the chart, or related figures
    table_columns: dict | None = None
    table_formats: dict | None = None
    table_caption: str | None = None


def indicator_tables(threat: str, mapping: pd.DataFrame) -> tuple[str, ...]:
    """The names of the tables :func:`indicator` reads for ``threat``, in order, from
    ``mapping`` (the ``threat_indicator_tables`` table)."""
    ids = as_text(mapping["threat_id"])
    rows = mapping[ids == threat].sort_values("position", kind="stable")
    if rows.empty:
        known = sorted(set(ids.dropna()), key=lambda t: threat_order([t])[0])
        raise ValueError(f"Unknown threat {threat!r}: use one of {', '.join(known)}.")
    return tuple(as_text(rows["table_name"]))


class _Tables(dict):
    """The tables handed to a builder; a missing one is named in the error."""

    threat = ""

    def __missing__(self, name):
        raise KeyError(f"indicator({self.threat!r}) needs the table {name}: add it to the "
                       f"threat_indicator_tables rows of {self.threat!r} and pass it in.")


def indicator(threat: str, tables: Mapping[str, pd.DataFrame]) -> Indicator:
    """The indicator chart and facts for ``threat`` from its tables (names as in ``bk.table``)."""
    build = _BUILDERS.get(threat)
    if build is None:
        raise ValueError(f"Unknown threat {threat!r}: use one of {', '.join(_BUILDERS)}.")
    given = _Tables(tables)
    given.threat = threat
    return build(given)


# --------------------------------------------------------------------------- indicator builders

def _terrorism(tables) -> Indicator:
    t = tables["terrorism_incidents"]
    country = t["country"].astype("string")
    world = t[country == "World"]
    if world.empty:
        world = t.groupby("year", as_index=False)[["incidents", "fatalities"]].sum()
    world = world.sort_values("year")
    long = pd.concat([
        pd.DataFrame({"year": world["year"].astype(int), "count": world["incidents"].astype(float), "measure": "Incidents"}),
        pd.DataFrame({"year": world["year"].astype(int), "count": world["fatalities"].astype(float), "measure": "Deaths"}),
    ])
    first, last = int(world["year"].min()), int(world["year"].max())
    peak = world.loc[world["incidents"].idxmax()]
    dpeak = world.loc[world["fatalities"].idxmax()]
    nz = t[country == NZ]
    facts = {
        "first_year": first, "last_year": last,
        "peak_year": int(peak["year"]), "peak_incidents": int(peak["incidents"]),
        "deaths_peak_year": int(dpeak["year"]), "deaths_peak": int(dpeak["fatalities"]),
        "total_incidents": int(world["incidents"].sum()),
        "nz_incidents": int(nz["incidents"].sum()), "nz_years": len(nz),
        "nz_deaths": int(nz["fatalities"].sum()),
    }
    fig = bk.line_chart(
        long, x="year", y="count", series="measure", order=["Incidents", "Deaths"],
        title=f"Terrorist incidents and deaths worldwide, {first}\u2013{last}",
        xlabel="Year", ylabel="Number per year",
    )
    alt = (
        f"Line chart of terrorist incidents and deaths recorded worldwide by RAND each year from "
        f"{first} to {last}. Incidents peaked at {bk.fmt_int(facts['peak_incidents'])} in "
        f"{facts['peak_year']}; deaths peaked at {bk.fmt_int(facts['deaths_peak'])} in "
        f"{facts['deaths_peak_year']}."
    )
    caption = (
        f"RAND's historical series ends in {last}. It records "
        f"{bk.plural(facts['nz_incidents'], 'incident')} in New Zealand over those years."
    )
    headline = (
        f"RAND recorded {bk.fmt_int(facts['total_incidents'])} terrorist incidents worldwide from "
        f"{first} to {last}, peaking at {bk.fmt_int(facts['peak_incidents'])} in {facts['peak_year']}; "
        f"{bk.fmt_int(facts['nz_incidents'])} were in New Zealand."
    )
    table = nz[["year", "incidents", "injuries", "fatalities"]].sort_values("year").reset_index(drop=True)
    return Indicator(
        "terrorism", fig, alt, caption, headline, facts, table=table,
        table_columns={"year": "Year", "incidents": "Incidents", "injuries": "Injuries", "fatalities": "Deaths"},
        table_formats={"year": "year"},
        table_caption="Terrorist incidents RAND recorded in New Zealand",
    )


def _wmd(tables) -> Indicator:
    w = tables["nuclear_warheads"]
    country = w["country"].astype("string")
    world = w[country == "World"].set_index("year")["stockpile"].astype(float)
    states = w[country != "World"]
    if world.empty:
        world = states.groupby("year")["stockpile"].sum().astype(float)
    big = ["United States", "Russia"]
    rows = []
    for name in big:
        s = states[states["country"].astype("string") == name].set_index("year")["stockpile"].astype(float)
        rows.append(pd.DataFrame({"year": s.index.astype(int), "warheads": s.values, "country": name}))
    others = states[~states["country"].astype("string").isin(big)].groupby("year")["stockpile"].sum().astype(float)
    rows.append(pd.DataFrame({"year": others.index.astype(int), "warheads": others.values, "country": "All other states"}))
    long = pd.concat(rows, ignore_index=True)
    first, last = int(world.index.min()), int(world.index.max())
    latest = states[states["year"] == last]
    holders = latest[latest["stockpile"].astype(float) > 0]
    facts = {
        "first_year": first, "last_year": last,
        "peak_year": int(world.idxmax()), "peak": int(world.max()),
        "latest": int(world.loc[last]),
        "states_latest": int(len(holders)),
        "us_ru_share": float(latest[latest["country"].astype("string").isin(big)]["stockpile"].astype(float).sum() / world.loc[last]) if world.loc[last] else float("nan"),
    }
    fig = bk.line_chart(
        long, x="year", y="warheads", series="country", order=[*big, "All other states"],
        title=f"Nuclear warhead stockpiles, {first}\u2013{last}",
        xlabel="Year", ylabel="Warheads (number)",
    )
    alt = (
        f"Line chart of nuclear warhead stockpiles from {first} to {last} for the United States, "
        f"Russia and all other states combined. The world total peaked at "
        f"{bk.fmt_int(facts['peak'])} in {facts['peak_year']} and was {bk.fmt_int(facts['latest'])} in "
        f"{last}, held by {facts['states_latest']} states."
    )
    caption = (
        f"The United States and Russia held {bk.fmt_num(facts['us_ru_share'] * 100, 0)}% of the "
        f"world's {bk.fmt_int(facts['latest'])} warheads in {last}."
    )
    headline = (
        f"The world's nuclear warhead stockpile fell from a peak of {bk.fmt_int(facts['peak'])} in "
        f"{facts['peak_year']} to {bk.fmt_int(facts['latest'])} in {last}, held by "
        f"{facts['states_latest']} states."
    )
    table = holders[["country", "stockpile"]].sort_values("stockpile", ascending=False).reset_index(drop=True)
    return Indicator(
        "wmd", fig, alt, caption, headline, facts, table=table,
        table_columns={"country": "State", "stockpile": f"Warheads, {last}"},
        table_caption=f"Nuclear warhead stockpiles by state, {last}",
    )


def _cyber(tables) -> Indicator:
    c = tables["cyber_incidents"]
    metric = c["metric"].astype("string")
    series = c[metric == "ncsc_incidents"].sort_values("period_start").copy()
    verified = series["verified"].fillna(False).astype(bool) if "verified" in series else pd.Series(True, index=series.index)
    series["basis"] = ["NCSC report" if v else "Secondary source (unverified)" for v in verified]
    series["value"] = series["value"].astype(float)
    last = series.iloc[-1]
    peak = series.loc[series["value"].idxmax()]
    facts = {
        "first_period": str(series["period"].iloc[0]), "last_period": str(last["period"]),
        "last": int(last["value"]), "peak_period": str(peak["period"]), "peak": int(peak["value"]),
        "periods": len(series), "unverified": int((~verified).sum()),
    }
    prev = series.iloc[-2] if len(series) > 1 else None
    if prev is not None:
        facts.update(prev_period=str(prev["period"]), prev=int(prev["value"]))
    gaps = _missing_periods(series)
    if gaps:  # keep the missing years on the axis so the gap is visible
        filler = pd.DataFrame({"period": gaps, "value": float("nan"), "basis": pd.NA,
                               "period_start": pd.to_datetime([f"{g[:4]}-07-01" for g in gaps])})
        series = pd.concat([series, filler], ignore_index=True).sort_values("period_start")
    alt = (
        f"Column chart of cyber security incidents of potential national significance recorded "
        f"by New Zealand's National Cyber Security Centre, {facts['first_period']} to "
        f"{facts['last_period']}: between {bk.fmt_int(series['value'].min())} and "
        f"{bk.fmt_int(series['value'].max())} a year, {bk.fmt_int(facts['last'])} in {facts['last_period']}."
        + (f" No figure is held for {', '.join(gaps)}." if gaps else "")
    )
    fig = bk.column_chart(
        series, category="period", value="value", group="basis",
        group_order=["NCSC report", "Secondary source (unverified)"],
        title="Cyber incidents of potential national significance recorded by NCSC",
        xlabel="Year to 30 June", ylabel="Incidents (number)",
    )
    caption = (
        f"{facts['unverified']} of the {facts['periods']} yearly figures come from secondary "
        f"sources (hatched) and are flagged unverified."
        + (f" No figure is held for {', '.join(gaps)}." if gaps else "")
    )
    others = c[metric != "ncsc_incidents"].sort_values(["period_start", "record_id"]).copy()
    headline = (
        f"NCSC recorded {bk.fmt_int(facts['last'])} cyber incidents of potential national "
        f"significance in {facts['last_period']}"
        + (f", against {bk.fmt_int(facts['prev'])} in {facts['prev_period']}." if "prev" in facts else ".")
    )
    return Indicator(
        "cyber", fig, alt, caption, headline, facts,
        table=others,
        table_columns={"period": "Period", "reporting_body": "Body", "statement": "What the report says", "publisher": "Published by"},
        table_formats=None,
        table_caption="Other cyber security figures reported for New Zealand",
    )


def _missing_periods(series: pd.DataFrame) -> list[str]:
    """Financial years (e.g. 2021/22) absent between the first and last of a yearly series."""
    starts = pd.to_datetime(series["period_start"]).dt.year.astype(int).tolist()
    have = set(starts)
    return [f"{y}/{str(y + 1)[-2:]}" for y in range(min(starts), max(starts) + 1) if y not in have]


def _people(tables) -> Indicator:
    w = tables["displaced_world"].sort_values("year")
    p = tables["displaced_populations"]
    measures = {"refugees": "Refugees", "asylum_seekers": "Asylum seekers", "idps": "Internally displaced people"}
    rows = []
    for col, label in measures.items():
        s = w[["year", col]].dropna()
        s = s[s[col].astype(float) > 0]
        rows.append(pd.DataFrame({"year": s["year"].astype(int), "millions": s[col].astype(float) / 1e6, "measure": label}))
    long = pd.concat(rows, ignore_index=True)
    first, last = int(w["year"].min()), int(w["year"].max())
    latest = w[w["year"] == last].iloc[0]
    note = str(latest.get("year_note")) if pd.notna(latest.get("year_note")) else ""
    nz = p[p["country"].astype("string") == NZ].sort_values("year")
    nz_last = nz.iloc[-1] if len(nz) else None
    idp_peak = w.loc[w["idps"].astype(float).idxmax()]
    facts = {
        "first_year": first, "last_year": last, "year_note": note,
        "refugees": int(latest["refugees"]), "asylum_seekers": int(latest["asylum_seekers"]),
        "idps": int(latest["idps"]),
        "idp_peak_year": int(idp_peak["year"]), "idp_peak": int(idp_peak["idps"]),
        "nz_year": int(nz_last["year"]) if nz_last is not None else None,
        "nz_refugees": int(nz_last["refugees"]) if nz_last is not None else None,
        "nz_asylum_seekers": int(nz_last["asylum_seekers"]) if nz_last is not None else None,
    }
    fig = bk.line_chart(
        long, x="year", y="millions", series="measure", order=list(measures.values()),
        title=f"People displaced worldwide, {first}\u2013{last}",
        xlabel="Year", ylabel="People (millions)",
    )
    alt = (
        f"Line chart of refugees, asylum seekers and internally displaced people counted by UNHCR "
        f"worldwide from {first} to {last}. In {last} there were "
        f"{bk.fmt_num(facts['refugees'] / 1e6)} million refugees, "
        f"{bk.fmt_num(facts['asylum_seekers'] / 1e6)} million asylum seekers and "
        f"{bk.fmt_num(facts['idps'] / 1e6)} million internally displaced people."
    )
    caption = (
        f"Internally displaced people are counted where UNHCR is involved, so the series starts "
        f"later. {('UNHCR notes on the ' + str(last) + ' figures: ' + note + '.') if note else ''}"
    ).strip()
    headline = (
        f"UNHCR counted {bk.fmt_num(facts['refugees'] / 1e6)} million refugees and "
        f"{bk.fmt_num(facts['idps'] / 1e6)} million internally displaced people worldwide in {last}"
        + (f"; New Zealand hosted {bk.fmt_int(facts['nz_refugees'])} refugees and "
           f"{bk.fmt_int(facts['nz_asylum_seekers'])} asylum seekers in {facts['nz_year']}."
           if facts["nz_year"] is not None else ".")
    )
    p_last = p[p["year"] == int(p["year"].max())].sort_values("refugees", ascending=False)
    table = p_last[["country", "refugees", "asylum_seekers", "idps"]].reset_index(drop=True)
    return Indicator(
        "people-smuggling", fig, alt, caption, headline, facts, table=table,
        table_columns={"country": "Country of asylum", "refugees": "Refugees",
                       "asylum_seekers": "Asylum seekers", "idps": "Internally displaced"},
        table_caption=f"New Zealand and comparators, {int(p['year'].max())}",
    )


def _space(tables, top: int = 10) -> Indicator:
    s = tables["active_satellites"].copy()
    s["country"] = s["country"].astype("string")
    s["active_satellites"] = s["active_satellites"].astype(float)
    ranked = s.sort_values(["active_satellites", "country"], ascending=[False, True]).reset_index(drop=True)
    total = float(ranked["active_satellites"].sum())
    shown = ranked.head(top)
    nz = ranked[ranked["country"] == NZ]
    if len(nz) and NZ not in set(shown["country"]):
        shown = pd.concat([shown, nz])
    as_of = s["as_of"].iloc[0] if "as_of" in s.columns and len(s) else None
    lead = ranked.iloc[0]
    facts = {
        "total": int(total), "operators": len(ranked),
        "lead": str(lead["country"]), "lead_count": int(lead["active_satellites"]),
        "lead_share": float(lead["active_satellites"] / total) if total else float("nan"),
        "nz": int(nz["active_satellites"].iloc[0]) if len(nz) else 0,
        "nz_rank": int((ranked["active_satellites"] > nz["active_satellites"].iloc[0]).sum()) + 1 if len(nz) else None,
        "as_of": as_of,
    }
    when = bk.fmt_date(as_of) if as_of is not None and pd.notna(as_of) else "latest"
    fig = bk.bar_chart(
        shown, category="country", value="active_satellites", highlight=NZ,
        title=f"Active satellites by operator country, {when}",
        value_label="Active satellites (number)",
    )
    alt = (
        f"Horizontal bar chart of active satellites by country of operator on {when}, largest "
        f"{top} operators" + (" plus New Zealand" if len(nz) and int(nz.index[0]) >= top else "") +
        f". {facts['lead']} operated {bk.fmt_int(facts['lead_count'])} of {bk.fmt_int(total)} "
        f"({bk.fmt_num(facts['lead_share'] * 100, 0)}%); New Zealand operated {bk.fmt_int(facts['nz'])}."
    )
    caption = (
        "Satellites are counted by the country of their operator or owner as the UCS database "
        "names it; joint and multinational operators are listed separately."
    )
    headline = (
        f"Operators based in {facts['lead']} ran {bk.fmt_int(facts['lead_count'])} of the "
        f"{bk.fmt_int(total)} active satellites on {when} "
        f"({bk.fmt_num(facts['lead_share'] * 100, 0)}%); operators in New Zealand ran {bk.fmt_int(facts['nz'])}."
    )
    table = shown[["country", "active_satellites"]].reset_index(drop=True)
    table["share"] = table["active_satellites"] / total if total else float("nan")
    return Indicator(
        "space", fig, alt, caption, headline, facts, table=table,
        table_columns={"country": "Operator country", "active_satellites": "Active satellites", "share": "Share of all"},
        table_formats={"active_satellites": "int", "share": "percent"},
        table_caption=f"Largest satellite operators by country, {when}",
    )

_BUILDERS: dict[str, Callable[[Mapping[str, pd.DataFrame]], Indicator]] = {
    "terrorism": _terrorism,
    "wmd": _wmd,
    "cyber": _cyber,
    "people-smuggling": _people,
    "space": _space,
}
