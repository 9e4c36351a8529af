"""Regions and forums: the pack's regions, the forums and countries that make them up, the
armed conflict in the wider region, and each threat's footprint there.

What a region is comes from the data, never from this module: the ``regions`` table (wider area,
UCDP/PRIO region, the forum that defines it), ``region_countries`` and ``country_aliases``
(``data/README.md``). The notebook reads them with ``bk.table`` and passes them in.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

import briefkit as bk

from .shared import NZ, Exhibit, as_text
from .threats import threat_order


_ARTICLE = {"Pacific", "Middle East"}


def place_name(region: str) -> str:
    """A region as it reads in a sentence: ``"Pacific" -> "the Pacific"``; "" -> "all regions"."""
    region = str(region or "").strip()
    if not region:
        return "all regions"
    return f"the {region}" if region in _ARTICLE else region


def region_names(known) -> list[str]:
    """Region names from a list, or from a column: its categories (the schema's enum) first."""
    if isinstance(known, pd.Series):
        cats = list(known.cat.categories) if isinstance(known.dtype, pd.CategoricalDtype) else []
        return list(dict.fromkeys([*map(str, cats), *as_text(known).dropna()]))
    return [str(k) for k in known]


def check_region(region: str, known, allow_all: bool = True) -> str:
    """The canonical spelling of ``region`` ("" for all), or ``ValueError`` listing the choices.

    ``known`` holds the region names: a list, or a column such as ``regions["region"]`` or
    ``operations["region"]``.
    """
    names = region_names(known)
    text = str(region or "").strip()
    if not text:
        if allow_all:
            return ""
        raise ValueError(f"Choose a region: one of {', '.join(names)}.")
    for name in names:
        if name.lower() == text.lower():
            return name
    raise ValueError(f"Unknown region {region!r}: use one of {', '.join(names)} (or \"\" for all).")


def _region_row(regions: pd.DataFrame, region: str) -> pd.Series:
    """The row of ``region`` in the ``regions`` table (``ValueError`` listing the regions)."""
    name = check_region(region, regions["region"], allow_all=False)
    return regions[as_text(regions["region"]) == name].iloc[0]


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip()


# --------------------------------------------------------------------------- forums

def forums_for_region(forums: pd.DataFrame, region: str, regions: pd.DataFrame) -> pd.DataFrame:
    """Forums of ``region`` itself, then those of its wider area (``regions.wider_area``, e.g.
    Asia-Pacific)."""
    hit = regions[as_text(regions["region"]).str.lower() == str(region).lower()]
    wider = [] if hit.empty or _blank(hit["wider_area"].iloc[0]) else [str(hit["wider_area"].iloc[0])]
    fr = as_text(forums["region"])
    own = forums[fr.str.lower() == region.lower()].assign(scope="region")
    around = forums[fr.isin(list(wider))].assign(scope=wider[0] if wider else "")
    return pd.concat([own, around]).reset_index(drop=True)


def forum_summary(forums: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Per forum: ``members`` (full/ASEAN members), ``others`` (associates, participants),
    ``total`` (all three NA when the data lists no members for the forum), ``listed``, and
    ``nz_in`` (whether New Zealand is listed), in the order of ``forums``."""
    m = memberships.assign(forum_id=as_text(memberships["forum_id"]), member_type=as_text(memberships["member_type"]))
    full = m["member_type"].str.lower().isin(["member", "asean member"])
    counts = pd.DataFrame({
        "members": full.groupby(m["forum_id"]).sum(),
        "others": (~full).groupby(m["forum_id"]).sum(),
    })
    nz = m[as_text(m["member"]) == NZ].groupby("forum_id").size()
    out = forums.copy()
    ids = as_text(out["forum_id"])
    out["members"] = ids.map(counts["members"]).astype("Int64").values
    out["others"] = ids.map(counts["others"]).astype("Int64").values
    out["total"] = (out["members"] + out["others"]).astype("Int64")
    out["listed"] = ids.isin(counts.index).values
    out["nz_in"] = ids.isin(nz.index).values
    return out.reset_index(drop=True)


def forum_members_table(summary: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """:func:`forum_summary` rows with ``member_list``: the members by name, others by type."""
    m = memberships.assign(forum_id=as_text(memberships["forum_id"]), member_type=as_text(memberships["member_type"]),
                           member=as_text(memberships["member"]))
    lists = []
    for fid in as_text(summary["forum_id"]):
        rows = m[m["forum_id"] == fid]
        if rows.empty:
            lists.append("")
            continue
        parts = []
        for kind, group in rows.groupby("member_type", sort=False):
            names = ", ".join(sorted(group["member"]))
            parts.append(f"{kind[:1].upper() + kind[1:]}s: {names}" if len(group) > 1 else f"{kind[:1].upper() + kind[1:]}: {names}")
        lists.append(". ".join(parts))
    out = summary.copy()
    out["member_list"] = lists
    return out


# --------------------------------------------------------------------------- armed conflict

def conflict_region(region: str, regions: pd.DataFrame) -> str:
    """The UCDP/PRIO region (``armed_conflicts.region``) that contains ``region``."""
    row = _region_row(regions, region)
    if _blank(row["ucdp_region"]):
        raise ValueError(f"No UCDP region is known for {region!r}.")
    return str(row["ucdp_region"])


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
    fig = bk.line_chart(
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


# --------------------------------------------------------------------------- countries and footprint

def _alias_map(aliases: pd.DataFrame | None) -> dict[str, str]:
    if aliases is None:
        return {}
    return {" ".join(str(a).split()).lower(): str(c)
            for a, c in zip(as_text(aliases["alias"]), as_text(aliases["country"])) if pd.notna(a)}


def _canonical(name, names: dict[str, str]) -> str:
    text = " ".join(str(name).split())
    return names.get(text.lower(), text)


def canonical_country(name, aliases: pd.DataFrame) -> str:
    """One spelling per country across the pack's tables, from the ``country_aliases`` table
    (``"USA" -> "United States"``); case and extra spaces are ignored."""
    return _canonical(name, _alias_map(aliases))


def region_countries(
    region: str,
    regions: pd.DataFrame,
    countries: pd.DataFrame,
    memberships: pd.DataFrame | None = None,
    aliases: pd.DataFrame | None = None,
) -> list[str]:
    """The countries (and territories) that make up ``region`` in this pack, in one spelling.

    A region defined by a forum (``regions.defined_by_forum``: the Pacific by the Pacific Islands
    Forum, Southeast Asia by ASEAN) is that forum's membership, read from ``memberships``; other
    regions are listed in ``countries`` (the ``region_countries`` table).
    """
    row = _region_row(regions, region)
    names = _alias_map(aliases)
    forum = None if _blank(row["defined_by_forum"]) else str(row["defined_by_forum"])
    if forum and memberships is not None:
        m = memberships[as_text(memberships["forum_id"]) == forum]
        return [_canonical(c, names) for c in as_text(m["member"]).dropna()]
    listed = countries[as_text(countries["region"]) == str(row["region"])]
    return [_canonical(c, names) for c in as_text(listed["country"]).dropna()]


def regional_footprint(
    countries: Sequence[str],
    *,
    threats: pd.DataFrame,
    terrorism: pd.DataFrame | None = None,
    warheads: pd.DataFrame | None = None,
    satellites: pd.DataFrame | None = None,
    displaced: pd.DataFrame | None = None,
    displaced_world: pd.DataFrame | None = None,
    aliases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each threat's measurable footprint in a region: the region's share of the world total of
    the threat's indicator in this pack, largest first (threats without regional data last).

    Columns: ``threat_id``, ``name``, ``indicator`` (a label), ``measure`` (a phrase for
    prose), ``coverage`` (how many of the region's places the data covers), ``region_value``,
    ``world_value``, ``share`` (0-1, NA without regional data). Country names are matched in
    one spelling (``aliases``: the ``country_aliases`` table).
    """
    names = _alias_map(aliases)

    def canonical_country(name) -> str:
        return _canonical(name, names)

    wanted = {canonical_country(c) for c in countries}

    def pick(df, col="country"):
        names = as_text(df[col]).map(canonical_country)
        return df[names.isin(wanted)]

    rows: dict[str, dict] = {}
    if terrorism is not None and len(terrorism):
        world_rows = terrorism[as_text(terrorism["country"]) == "World"]
        world = world_rows["incidents"].astype(float).sum()
        mine = pick(terrorism[as_text(terrorism["country"]) != "World"])["incidents"].astype(float).sum()
        years = world_rows["year"] if len(world_rows) else terrorism["year"]
        y0, y1 = int(years.min()), int(years.max())
        rows["terrorism"] = dict(indicator=f"Terrorist incidents, {y0}\u2013{y1} (RAND)",
                                 measure=f"terrorist incidents recorded by RAND, {y0}\u2013{y1}",
                                 region_value=mine, world_value=world)
    if warheads is not None and len(warheads):
        last = int(warheads["year"].max())
        latest = warheads[warheads["year"] == last]
        states = latest[as_text(latest["country"]) != "World"]  # "World" rows are total inventories
        world = states["stockpile"].astype(float).sum()
        mine = pick(states)["stockpile"].astype(float).sum()
        rows["wmd"] = dict(indicator=f"Nuclear warheads in military stockpiles, {last} (FAS)",
                           measure=f"nuclear warheads in states' military stockpiles in {last}",
                           region_value=mine, world_value=world)
    if satellites is not None and len(satellites):
        world = satellites["active_satellites"].astype(float).sum()
        mine = pick(satellites)["active_satellites"].astype(float).sum()
        rows["space"] = dict(indicator="Active satellites by sole operator country (UCS)",
                             measure="active satellites (counted by operator country)",
                             region_value=mine, world_value=world)
    if displaced is not None and displaced_world is not None and len(displaced) and len(displaced_world):
        last = int(displaced_world["year"].max())
        w = displaced_world[displaced_world["year"] == last]
        world = float(w["refugees"].astype(float).sum() + w["asylum_seekers"].astype(float).sum())
        d = pick(displaced[displaced["year"] == last])
        covered = sorted(set(as_text(d["country"]).map(canonical_country)))
        if covered:
            hosted = d["refugees"].astype(float).fillna(0) + d["asylum_seekers"].astype(float).fillna(0)
            mine = float(hosted.sum())
            top = d.loc[hosted.idxmax()] if len(d) else None
            rows["people-smuggling"] = dict(
                indicator=f"Refugees and asylum seekers hosted, {last} (UNHCR; displacement, not smuggling)",
                measure=f"refugees and asylum seekers hosted in {last}",
                coverage=f"{len(covered)} of {len(wanted)} places",
                top_place=canonical_country(top["country"]) if top is not None else "",
                top_share=float(hosted.max() / mine) if mine else pd.NA,
                region_value=mine, world_value=world)
    out = []
    for _, t in threats.iterrows():
        tid = str(t["threat_id"])
        r = rows.get(tid)
        if r is None:
            out.append(dict(threat_id=tid, name=str(t["name"]), indicator="No regional data in this pack",
                            measure="", coverage="", region_value=pd.NA, world_value=pd.NA, share=pd.NA,
                            top_place="", top_share=pd.NA))
        else:
            share = r["region_value"] / r["world_value"] if r["world_value"] else pd.NA
            out.append(dict(threat_id=tid, name=str(t["name"]), share=share,
                            **{"coverage": "All", "top_place": "", "top_share": pd.NA, **r}))
    df = pd.DataFrame(out, columns=["threat_id", "name", "indicator", "measure", "coverage",
                                    "region_value", "world_value", "share", "top_place", "top_share"])
    df["share"] = df["share"].astype("Float64")
    df["_order"] = threat_order(df["threat_id"])
    df = df.sort_values(["share", "_order"], ascending=[False, True], na_position="last", kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------- sentences

def _membership(status: str, name: str) -> str:
    """A verb phrase for New Zealand's status in a forum, from ``forums.nz_status``:
    "is a member of the Pacific Islands Forum", "takes part in the East Asia Summit", "is not a
    member of the Association of Southeast Asian Nations but has been an ASEAN Dialogue Partner
    since 1975"."""
    clauses = [c.strip() for c in str(status).split(";") if c.strip()]
    first = clauses[0].split("(")[0].strip().lower() if clauses else ""
    if first.startswith("not a member"):
        rest = next((c for c in clauses[1:] if "partner" in c.lower()), "")
        text = f"is not a member of the {name}"
        if rest:
            article = "an" if rest[:1].lower() in "aeiou" else "a"
            text += f" but has been {article} {rest}" if " since " in rest else f" but is {article} {rest}"
        return text
    if first.startswith("member"):
        return f"is a member of the {name}"
    if first.startswith("participant"):
        return f"takes part in the {name}"
    return f"is {first} in the {name}"


def forums_sentence(summary: pd.DataFrame, region: str) -> str:
    """Which regional forums New Zealand works in (from ``forum_summary`` of ``forums_for_region``),
    the region's own forums first, then the wider area's."""
    if summary.empty:
        return (f"The data holds no forum specific to {region}; New Zealand's work there runs "
                "through global bodies such as the UN.")
    scope = as_text(summary["scope"]) if "scope" in summary.columns else pd.Series(["region"] * len(summary))
    own = summary[scope.values == "region"]
    wider = summary[scope.values != "region"]
    text = ""
    if len(own):
        text = f"In {region} New Zealand {bk.fmt_list([_membership(s, n) for s, n in zip(own['nz_status'], own['name'])])}."
    if len(wider):
        area = str(scope[scope != "region"].iloc[0]) if (scope != "region").any() else ""
        phrases = [_membership(s, n) for s, n in zip(wider["nz_status"], wider["name"])]
        merged = _merge_verbs(phrases)
        lead = f"In the wider {area} it" if own.size and area else (f"In the wider {area} New Zealand" if area else "New Zealand")
        text = (text + " " if text else "") + f"{lead} {merged}."
    return text


def _merge_verbs(phrases: list[str]) -> str:
    """``["takes part in the A", "takes part in the B"] -> "takes part in the A and the B"``."""
    if len(phrases) > 1 and len({p.split(" the ", 1)[0] for p in phrases}) == 1 and all(" the " in p for p in phrases):
        verb = phrases[0].split(" the ", 1)[0]
        return f"{verb} " + bk.fmt_list(["the " + p.split(" the ", 1)[1] for p in phrases])
    return bk.fmt_list(phrases)


def conflict_sentence(facts: dict, place: str, ucdp_region: str) -> str:
    """UCDP/PRIO's count for the region, saying when it is a wider region than the one briefed."""
    counted = (f"{bk.plural(facts['last'], 'state-based armed conflict')} in {facts['last_year']}, against a "
               f"peak of {facts['peak']} in {facts['peak_year']}")
    if str(place).strip().lower() == str(ucdp_region).strip().lower():
        return (f"UCDP/PRIO counted {bk.plural(facts['last'], 'state-based armed conflict')} in "
                f"{place_name(ucdp_region)} in {facts['last_year']}, against a peak of {facts['peak']} in {facts['peak_year']}.")
    return (f"UCDP/PRIO holds no count for {place_name(place)} alone: its wider \u201c{ucdp_region}\u201d "
            f"region, of which {place_name(place)} is a part, had {counted}.")


def footprint_sentence(footprint: pd.DataFrame, region: str) -> str:
    """The threat with the largest measurable footprint in the region (``regional_footprint``),
    with what the measure is and, where one place dominates, which."""
    ranked = footprint.dropna(subset=["share"])
    ranked = ranked[ranked["share"] > 0]
    if ranked.empty:
        return f"None of the pack's threat indicators records activity in {region}."
    top = ranked.iloc[0]
    partial = f", from data covering {top['coverage']}" if top["coverage"] not in ("", "All") else ""
    text = (
        f"Of the pack's threat indicators, {top['name'].lower()} has the largest share in {region}: "
        f"{bk.fmt_num(float(top['share']) * 100, 1)}% of the world's {top['measure']}{partial}"
    )
    if "top_share" in top and pd.notna(top.get("top_share")) and float(top["top_share"]) >= 0.5:
        text += f", {bk.fmt_percent(top['top_share'])} of it in {top['top_place']}"
    text += "."
    if top.get("threat_id") == "people-smuggling":
        text += " That measures displacement hosted, not people smuggling or trafficking."
    return text


def network_sentence(forums: pd.DataFrame) -> str:
    """The forums New Zealand works through (members and participants), then the forums it is
    not a member of, with what it is instead (``forums.nz_status``)."""
    status = as_text(forums["nz_status"]).fillna("").str.lower()
    inside = forums[~status.str.startswith("not a member")]
    outside = forums[status.str.startswith("not a member")]
    text = f"{NZ} works through {bk.fmt_list(['the ' + str(n) for n in inside['name']])}"
    if len(outside):
        text += "; it " + bk.fmt_list([_membership(s, n) for s, n in zip(outside["nz_status"], outside["name"])])
    return text + "."
