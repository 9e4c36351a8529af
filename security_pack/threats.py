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
from functools import cached_property, partial

import pandas as pd
from markupsafe import Markup

import briefkit as bk

from .shared import NZ, as_text
from .treaties import treaty_sentence


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
    draw: Callable[[], object] = field(repr=False)  # draws the chart: see ``figure``
    alt: str
    caption: str
    headline: str  # one sentence for key points and judgements
    facts: dict = field(default_factory=dict)
    table: pd.DataFrame | None = None  # the figures behind the chart, or related figures
    table_columns: dict | None = None
    table_formats: dict | None = None
    table_caption: str | None = None

    @cached_property
    def figure(self):
        """The chart, drawn when first asked for: the outlook quotes every threat's headline
        and facts but shows none of their charts, so it draws none (and leaves none open)."""
        return self.draw()


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
    aliases = None

    def __missing__(self, name):
        raise KeyError(f"indicator({self.threat!r}) needs the table {name}: add it to the "
                       f"threat_indicator_tables rows of {self.threat!r} and pass it in.")


def indicator(threat: str, tables: Mapping[str, pd.DataFrame], aliases: pd.DataFrame | None = None) -> Indicator:
    """The indicator chart and facts for ``threat`` from its tables (names as in ``bk.table``).

    ``aliases`` (the ``country_aliases`` table) gives countries the one name the pack uses in
    prose ("USA" -> "United States")."""
    build = _BUILDERS.get(threat)
    if build is None:
        raise ValueError(f"Unknown threat {threat!r}: use one of {', '.join(_BUILDERS)}.")
    given = _Tables(tables)
    given.threat = threat
    given.aliases = aliases
    return build(given)


def _measure(table: str, column: str, unit: str, measure: str) -> dict:
    """The schema's unit and measure of ``table.column`` (``bk.measure_of``), or the given ones
    where no data package is at hand (unit tests on hand-made frames)."""
    try:
        found = bk.measure_of(table, column)
    except Exception:
        found = {}
    return {"unit": found.get("unit", unit), "measure": found.get("measure", measure)}


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
    draw = partial(
        bk.line_chart, long, x="year", y="count", series="measure", order=["Incidents", "Deaths"],
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
        f"RAND's historical series recorded {bk.fmt_int(facts['total_incidents'])} terrorist incidents "
        f"worldwide from {first} to {last}, peaking at {bk.fmt_int(facts['peak_incidents'])} in "
        f"{facts['peak_year']}; {bk.fmt_int(facts['nz_incidents'])} "
        f"{'was' if facts['nz_incidents'] == 1 else 'were'} in New Zealand. The series ends in {last}."
    )
    table = nz[["year", "incidents", "injuries", "fatalities"]].sort_values("year").reset_index(drop=True)
    return Indicator(
        "terrorism", draw, alt, caption, headline, facts, table=table,
        table_columns={"year": "Year", "incidents": "Incidents", "injuries": "Injuries", "fatalities": "Deaths"},
        table_formats={"year": "year"},
        table_caption="Terrorist incidents RAND recorded in New Zealand",
    )


def _wmd(tables) -> Indicator:
    w = tables["nuclear_warheads"]
    country = w["country"].astype("string")
    states = w[country != "World"]
    # The "World" rows are FAS's total inventory (retired warheads included): never a denominator
    # for the states' stockpiles. The stockpile total is the sum over states.
    world = states.groupby("year")["stockpile"].sum().astype(float)
    stock = _measure("nuclear_warheads", "stockpile", "warheads", "military stockpile")
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
    big_now = float(latest[latest["country"].astype("string").isin(big)]["stockpile"].astype(float).sum())
    facts = {
        "first_year": first, "last_year": last,
        "peak_year": int(world.idxmax()), "peak": int(world.max()),
        "latest": int(world.loc[last]),
        "states_latest": int(len(holders)),
        "us_ru_share": big_now / world.loc[last] if world.loc[last] else float("nan"),
        "unit": stock["unit"], "measure": stock["measure"],
    }
    inv = tables.get("nuclear_warhead_inventories")
    table = holders[["country", "stockpile"]].copy()
    if inv is not None and len(inv):
        inv_measure = _measure("nuclear_warhead_inventories", "inventory", "warheads", "total inventory (incl. retired)")
        inv_last = inv[inv["year"] == inv["year"].max()]
        total = float(inv_last["inventory"].astype(float).sum())
        inv_big = float(inv_last[inv_last["country"].astype("string").isin(big)]["inventory"].astype(float).sum())
        facts.update(inventory_year=int(inv["year"].max()), inventory=int(total),
                     retired=int(inv_last["retired"].astype(float).sum()),
                     us_ru_inventory_share=inv_big / total if total else float("nan"),
                     inventory_measure=inv_measure["measure"])
        table = table.merge(inv_last[["country", "inventory"]], on="country", how="left")
    draw = partial(
        bk.line_chart, long, x="year", y="warheads", series="country", order=[*big, "All other states"],
        title=f"Nuclear warheads in states' military stockpiles, {first}\u2013{last}",
        xlabel="Year", ylabel=f"{stock['unit'].capitalize()} ({stock['measure']})",
    )
    alt = (
        f"Line chart of nuclear warheads in military stockpiles from {first} to {last} for the United States, "
        f"Russia and all other states combined. The states' stockpiles together peaked at "
        f"{bk.fmt_int(facts['peak'])} in {facts['peak_year']} and held {bk.fmt_int(facts['latest'])} in "
        f"{last}, in {facts['states_latest']} states."
    )
    caption = (
        f"The United States and Russia held {bk.fmt_percent(facts['us_ru_share'])} of the "
        f"{bk.fmt_quantity(facts['latest'], stock['unit'], stock['measure'])} in {last}."
    )
    if "inventory" in facts:
        caption += (
            f" Counting retired warheads awaiting dismantlement, the total inventory in {facts['inventory_year']} was "
            f"{bk.fmt_quantity(facts['inventory'], 'warheads')}, {bk.fmt_percent(facts['us_ru_inventory_share'])} of them "
            f"American or Russian."
        )
    headline = (
        f"Nuclear warheads in states' military stockpiles fell from a peak of {bk.fmt_int(facts['peak'])} in "
        f"{facts['peak_year']} to {bk.fmt_int(facts['latest'])} in {last}, in {facts['states_latest']} states; "
        f"the United States and Russia held {bk.fmt_percent(facts['us_ru_share'])} of them (FAS)."
    )
    table = table.sort_values("stockpile", ascending=False).reset_index(drop=True)
    columns = {"country": "State", "stockpile": f"Military stockpile, {last}"}
    if "inventory" in table.columns:
        columns["inventory"] = f"Total inventory, incl. retired, {facts['inventory_year']}"
    return Indicator(
        "wmd", draw, alt, caption, headline, facts, table=table,
        table_columns=columns,
        table_formats={"stockpile": "int", "inventory": "int"},
        table_caption=f"Nuclear warheads by state, {last} (FAS estimates)",
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
    draw = partial(
        bk.column_chart, series, category="period", value="value", group="basis",
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
        "cyber", draw, alt, caption, headline, facts,
        table=others,
        table_columns={"period": "Period", "reporting_body": "Body", "value": "Figure", "statement": "What the report says", "publisher": "Published by"},
        table_formats={"value": ("quantity", "unit")},
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
    draw = partial(
        bk.line_chart, long, x="year", y="millions", series="measure", order=list(measures.values()),
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
    flag_note = f"UNHCR flags the {last} figures: \u201c{note}\u201d." if note else ""
    caption = (
        f"A measure of displacement, not of people smuggling or trafficking: no series of smuggling or "
        f"trafficking cases is held. Internally displaced people are counted where UNHCR is involved, so "
        f"that series starts later. {flag_note}"
    ).strip()
    headline = (
        f"UNHCR counted {bk.fmt_num(facts['refugees'] / 1e6)} million refugees and "
        f"{bk.fmt_num(facts['idps'] / 1e6)} million internally displaced people worldwide in {last}"
        + (f"; New Zealand hosted {bk.fmt_quantity(facts['nz_refugees'], 'refugees')} and "
           f"{bk.fmt_quantity(facts['nz_asylum_seekers'], 'asylum seekers')} in {facts['nz_year']}"
           if facts["nz_year"] is not None else "")
        + (" (UNHCR's latest figures, possibly mid-year)" if "mid-year" in facts["year_note"] else "")
        + ". These count displacement hosted, not people smuggling."
    )
    p_last = p[p["year"] == int(p["year"].max())].sort_values("refugees", ascending=False)
    table = p_last[["country", "refugees", "asylum_seekers", "idps"]].reset_index(drop=True)
    return Indicator(
        "people-smuggling", draw, alt, caption, headline, facts, table=table,
        table_columns={"country": "Country of asylum", "refugees": "Refugees",
                       "asylum_seekers": "Asylum seekers", "idps": "Internally displaced"},
        table_caption=f"Displaced people hosted by New Zealand and comparators, {int(p['year'].max())} (UNHCR)",
    )


def _space(tables, top: int = 10) -> Indicator:
    s = tables["active_satellites"].copy()
    names = {}
    if tables.aliases is not None:
        names = {" ".join(str(a).split()).lower(): str(c) for a, c in
                 zip(as_text(tables.aliases["alias"]), as_text(tables.aliases["country"])) if pd.notna(a)}
    s["country"] = [names.get(" ".join(str(c).split()).lower(), str(c)) for c in s["country"]]
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
    draw = partial(
        bk.bar_chart, shown, category="country", value="active_satellites", highlight=NZ,
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
        "names it; joint and multinational operators are listed separately. Satellites launched from "
        "New Zealand for other operators are not counted here."
    )
    lead_name = facts["lead"] if facts["lead"] not in ("United States",) else "the United States"
    headline = (
        f"Operators based in {lead_name} ran {bk.fmt_int(facts['lead_count'])} of the "
        f"{bk.fmt_int(total)} active satellites on {when} "
        f"({bk.fmt_num(facts['lead_share'] * 100, 0)}%); operators in New Zealand ran {bk.fmt_int(facts['nz'])}. "
        f"This counts satellites operated, not launches from New Zealand."
    )
    table = shown[["country", "active_satellites"]].reset_index(drop=True)
    table["share"] = table["active_satellites"] / total if total else float("nan")
    return Indicator(
        "space", draw, alt, caption, headline, facts, table=table,
        table_columns={"country": "Operator country", "active_satellites": "Active satellites", "share": "Share of all"},
        table_formats={"active_satellites": "int", "share": "percent:1"},
        table_caption=f"Largest satellite operators by country, {when}",
    )

_BUILDERS: dict[str, Callable[[Mapping[str, pd.DataFrame]], Indicator]] = {
    "terrorism": _terrorism,
    "wmd": _wmd,
    "cyber": _cyber,
    "people-smuggling": _people,
    "space": _space,
}


# --------------------------------------------------------------------------- the MFAT page and its wording

def page_year(threats: pd.DataFrame) -> int | None:
    """The year the MFAT page dates from, as the threats table's ``source`` states it ("... so it
    dates from about 2015"); None when no row says."""
    for text in as_text(threats["source"]).dropna():
        found = re.search(r"about (\d{4})", str(text))
        if found:
            return int(found.group(1))
    return None


def quote_with_sic(text, sic) -> str:
    """``text`` exactly as the source has it, each of its own errors (``sic``: phrases separated by
    " ; ") followed by "[sic]": "have lead to" -> "have lead [sic] to"."""
    out = str(text)
    if sic is None or (not isinstance(sic, str) and pd.isna(sic)):
        return out
    for phrase in (p.strip() for p in str(sic).split(";")):
        if phrase and phrase in out and f"{phrase} [sic]" not in out:
            out = out.replace(phrase, f"{phrase} [sic]", 1)
    return out


def _basis(trend_basis) -> tuple[str, str]:
    """(the quoted words, the note after them) of a ``trend_basis`` such as
    "MFAT (about 2015): 'the rapid rise of ...' (the rise of ISIL as the page saw it, ...)"."""
    text = str(trend_basis or "")
    quoted = re.search(r"'(.*)'", text)
    words = quoted.group(1) if quoted else ""
    rest = text[quoted.end():] if quoted else ""
    note = re.search(r"\((.*)\)\s*$", rest.strip())
    return words, (note.group(1) if note else "")


def direction_sentence(profile: pd.Series, year: int | None) -> str:
    """What MFAT's page says of the threat's direction, dated, in words a minister reads:
    "MFAT's page, written about 2015, saw the threat as rising: “...”." or "... states no direction"."""
    when = f"MFAT's page, written about {year}," if year else "MFAT's undated page"
    trend = str(profile["trend"])
    words, note = _basis(profile["trend_basis"])
    if trend == "not stated" or not words:
        return f"{when} states no direction for this threat."
    text = f"{when} saw it as {trend}: \u201c{words}\u201d"
    return text + (f" ({note})." if note else ".")


def trend_summary(threats: pd.DataFrame, year: int | None) -> str:
    """The outlook's count of what the page says of direction: how many threats it describes as
    rising, and which it gives no direction for."""
    names = threats.assign(_o=threat_order(as_text(threats["threat_id"]))).sort_values("_o")
    trend = as_text(names["trend"])
    rising = [str(n).lower() for n in names.loc[trend == "rising", "name"]]
    silent = [str(n).lower() for n in names.loc[trend == "not stated", "name"]]
    when = f"written about {year}" if year else "undated"
    parts = [f"MFAT's page ({when}) names {bk.plural(len(names), 'major threat')} to international security"]
    text = parts[0] + f": {bk.fmt_list(names['name'].astype(str).str.lower())}."
    if rising:
        text += (f" Its wording signals growth for {len(rising)} of them ({bk.fmt_list(rising)})")
        text += f" and gives no direction for {bk.fmt_list(silent)}." if silent else "."
    elif silent:
        text += f" It gives no direction for {bk.fmt_list(silent)}."
    return text


# --------------------------------------------------------------------------- New Zealand's record on a threat

def threat_record(commitments: pd.DataFrame, threat: str) -> pd.DataFrame:
    """The ``nz_commitments`` rows of ``threat``, newest first (undated status rows last), with
    ``what`` (the title, without a ": measure" tail), ``when`` (the date at its precision) and
    ``figure`` (value, unit and measure, or "")."""
    rows = commitments[as_text(commitments["threat_id"]) == threat].copy()
    if rows.empty:
        return rows.assign(what=[], when=[], figure=[], fact=[])
    rows["what"] = [_title(t, m) for t, m in zip(rows["title"], rows["measure"])]
    whens, keys = [], []
    for d, p in zip(rows["date"], rows["date_precision"]):
        if d is None or (not isinstance(d, str) and pd.isna(d)) or not str(d).strip():
            whens.append("")
            keys.append("0000")
            continue
        d = str(d)
        prec = {10: "day", 7: "month", 4: "year"}.get(len(d), str(p))
        whens.append(bk.fmt_date(pd.Timestamp(d if len(d) > 4 else f"{d}-01-01"), prec))
        keys.append(d)
    rows["when"] = whens
    rows["_key"] = keys
    rows["figure"] = [_figure(v, u, m) for v, u, m in zip(rows["value"], rows["unit"], rows["measure"])]
    rows["fact"] = [w + _with_figure(f) for w, f in zip(rows["what"], rows["figure"])]
    return rows.sort_values("_key", ascending=False, kind="stable").drop(columns="_key").reset_index(drop=True)


def _title(title, measure) -> str:
    """A title without a tail that only names its figure's measure ("...: people killed")."""
    head, sep, tail = str(title).partition(":")
    if sep and isinstance(measure, str) and measure.strip() and (
            tail.strip().lower() in measure.lower() or measure.lower() in tail.strip().lower()):
        return head.strip()
    return str(title).strip()


def _figure(value, unit, measure) -> str:
    """``51 people killed``, ``licence term: 5 years``; "" without a value."""
    if value is None or pd.isna(value):
        return ""
    unit = "" if unit is None or (not isinstance(unit, str) and pd.isna(unit)) else str(unit)
    measure = "" if measure is None or (not isinstance(measure, str) and pd.isna(measure)) else str(measure)
    if unit and measure.startswith(unit):
        return f"{bk.fmt_quantity(value, '')} {measure}"
    return f"{measure}: {bk.fmt_quantity(value, unit)}" if measure else bk.fmt_quantity(value, unit)


def _in_sentence(text: str) -> str:
    """A title as it reads inside a sentence: an ordinary first word loses its capital
    ("Terrorist attack" -> "terrorist attack"); names ("Christchurch Call", "GCSB") keep theirs."""
    words = str(text).split()
    if len(words) > 1 and words[0][:1].isupper() and words[0][1:].islower() and words[1][:1].islower():
        return text[:1].lower() + text[1:]
    return text


def record_sentence(record: pd.DataFrame, limit: int = 2) -> str:
    """A key point from New Zealand's record on the threat: the latest ``limit`` distinct facts
    resting on confirmed sources (flagged rows stay out of key points), "" when there are none."""
    if record.empty:
        return ""
    items = _latest_facts(record[record["verified"].fillna(False).astype(bool)], limit, flags=False)
    return f"Key dates for New Zealand: {'; '.join(items)}." if items else ""


def record_facts(record: pd.DataFrame, limit: int = 3):
    """New Zealand's record on the threat as one sentence: the latest ``limit`` facts, told in
    date order, each with its date and figure; a fact resting only on a weak source keeps its
    "unverified" flag (tables and overviews, not key points). "" when there are none."""
    items = _latest_facts(record, limit, flags=True)
    return bk.phrase("New Zealand's record: {items}.", items=Markup("; ").join(items)) if items else ""


def _latest_facts(record: pd.DataFrame, limit: int, flags: bool) -> list:
    """The latest ``limit`` distinct facts of ``record`` (newest first, as ``threat_record``
    sorts it) as text with date and figure, told oldest first with undated facts last;
    ``flags``: an unconfirmed fact carries the "unverified" flag."""
    dated, undated, seen = [], [], set()
    for _, r in record.iterrows():
        if r["what"] in seen:
            continue
        seen.add(r["what"])
        text = _in_sentence(str(r["what"])) + (f", {r['when']}" if r["when"] else "") + _with_figure(r["figure"])
        (dated if r["when"] else undated).append(bk.flagged(text, r["verified"]) if flags else text)
        if len(seen) == limit:
            break
    return dated[::-1] + undated


def _with_figure(figure: str) -> str:
    """A fact's figure after its date: ": 51 people killed", or " (licence term: 5 years)" when
    the figure names its measure with a colon of its own (never two colons in a row)."""
    if not figure:
        return ""
    return f" ({figure})" if ":" in figure else f": {figure}"


def position_text(record: pd.DataFrame, ind: Indicator, treaties: pd.DataFrame):
    """New Zealand's position on one threat, computed from the data: the latest facts of New
    Zealand's record, the indicator's headline and its treaties, flags kept."""
    parts = [record_facts(record), bk.sentence(ind.headline),
             treaty_sentence(treaties) if len(treaties) else ""]
    return Markup(" ").join(p for p in parts if p)


def mfat_point(profile: pd.Series, year: int | None) -> str:
    """The threat in MFAT's words, dated, quoted exactly (the page's errors marked [sic])."""
    quote = quote_with_sic(profile["source_description"], profile.get("sic"))
    when = f"MFAT's International security page, written about {year}" if year else "MFAT's undated International security page"
    text = f"{when}: \u201c{quote}\u201d"
    if str(profile["trend"]) == "not stated":
        text += " The page states no direction for the threat."
    return text


def page_dating(threats: pd.DataFrame) -> str:
    """How the threats table dates the MFAT page: "undated; its latest events are ISIL's rise and
    late 2014" ("" when no row says)."""
    for text in as_text(threats["source"]).dropna():
        found = re.search(r"undated[;,]\s*(its latest events are [^,)]*)", str(text))
        if found:
            return found.group(1)
    return ""


def flagged_items(record: pd.DataFrame, treaties: pd.DataFrame, ind: Indicator) -> list[str]:
    """Names of the values a threat brief shows with the unverified flag: New Zealand facts,
    treaty records, the indicator's further figures and its chart's secondary-source bars."""
    def unconfirmed(df):
        return ~df["verified"].astype("boolean").fillna(False).astype(bool)

    items = []
    if len(record):
        items += [_in_sentence(w) for w in record.loc[unconfirmed(record), "what"]]
    if len(treaties):
        items += [f"the {s}'s record" for s in treaties.loc[unconfirmed(treaties), "short"]]
    table = ind.table
    if table is not None and len(table) and "verified" in table.columns and "publisher" in table.columns:
        items += [f"the {p} figure from {pub}" for p, pub in
                  table.loc[unconfirmed(table), ["period", "publisher"]].itertuples(index=False)]
    if ind.facts.get("unverified"):
        items.append(f"{bk.plural(ind.facts['unverified'], 'yearly figure')} in the chart from secondary sources")
    return items


def evidence_notes(year: int | None, measures, flagged: list, ind: Indicator, dating: str = "") -> list[str]:
    """The limits of a threat brief's evidence, one sentence each: the MFAT page's age, what the
    chart measures, a series that ends early, and which values are flagged unverified."""
    notes = []
    if year:
        notes.append(f"MFAT's page is undated{'; ' + dating if dating else ''}: it is read as MFAT's "
                     f"view of about {year}, not as a current assessment.")
    measures = [str(m) for m in measures if isinstance(m, str) and m.strip()]
    if len(measures) == 1:
        notes.append(f"The figures measure {measures[0][:1].lower() + measures[0][1:]}.")
    elif measures:
        notes.append(f"The figures measure: {'; '.join(m[:1].lower() + m[1:] for m in measures)}.")
    if ind.threat == "terrorism" and ind.facts.get("last_year"):
        notes.append(f"RAND's historical series ends in {ind.facts['last_year']}: later attacks, the "
                     "Christchurch masjidain attack among them, are not in it.")
    if flagged:
        notes.append(f"Flagged unverified (an inferred value or a secondary source): {'; '.join(flagged)}. "
                     "Facts resting only on such sources are kept out of the key points; where a flagged "
                     "value appears in them, it carries its flag.")
    return notes


def agency_list(agencies) -> str:
    """Lead agencies as a sentence names them: "MFAT's International Security and Disarmament
    Division (ISED) and the New Zealand Security Intelligence Service (NZSIS)"; a cell naming two
    agencies (" ; "-separated) counts as two."""
    names = []
    for cell in agencies:
        for name in re.split(r"\s*;\s*", str(cell)):
            if not name or name in names:
                continue
            names.append(name)
    def article(name: str) -> str:
        if name.startswith("MFAT "):
            return "MFAT's " + name[len("MFAT "):]
        return name if name.split()[0].isupper() else "the " + name
    return bk.fmt_list([article(n) for n in names])
