"""Pack-specific computations: threat-level periods, operations, contributions, treaties, regions.

Every function takes DataFrames shaped like the pack's tables (``data/README.md``) and returns
new DataFrames or small records; none reads files, displays anything or changes its inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "NZ",
    "THREAT_ORDER",
    "REGIONS",
    "CurrentLevel",
    "level_ranks",
    "describe_change",
    "threat_level_steps",
    "threat_level_periods",
    "current_threat_level",
    "threat_level_peak",
    "short_name",
    "leadership",
    "check_region",
    "operations_in",
    "operations_timeline",
    "current_operations",
    "personnel_text",
    "annual_contributions",
    "contribution_facts",
    "parse_partial_date",
    "treaty_matrix",
    "ratification_timeline",
    "forums_for_region",
    "forum_summary",
    "conflict_region",
    "regional_threats",
    "threat_overview",
    "roles_for",
    "THREAT_TREATY_DOMAINS",
    "treaties_for_threat",
    "treaty_dates",
    "region_countries",
    "canonical_country",
    "regional_footprint",
    "threat_row",
    "threat_instruments",
    "operations_table",
    "forum_members_table",
    "treaty_facts",
    "place_name",
]

NZ = "New Zealand"
#: The five threats in the order of the MFAT source text.
THREAT_ORDER: tuple[str, ...] = ("terrorism", "wmd", "cyber", "people-smuggling", "space")

#: Regions used in the peace support operations table, and the wider areas that contain them.
REGIONS: dict[str, tuple[str, ...]] = {
    "Pacific": ("Asia-Pacific",),
    "Southeast Asia": ("Asia-Pacific",),
    "Northeast Asia": ("Asia-Pacific",),
    "South Asia": (),
    "South/Central Asia": (),
    "Middle East": (),
    "Africa": (),
    "Europe": (),
}
#: UCDP/PRIO's regions (armed_conflicts.region) for each of the pack's regions.
_UCDP_REGION = {
    "Pacific": "Asia & Oceania",
    "Southeast Asia": "Asia & Oceania",
    "Northeast Asia": "Asia & Oceania",
    "South Asia": "Asia & Oceania",
    "South/Central Asia": "Asia & Oceania",
    "Middle East": "Middle East",
    "Africa": "Africa",
    "Europe": "Europe",
}


_ARTICLE = {"Pacific", "Middle East"}


def place_name(region: str) -> str:
    """A region as it reads in a sentence: ``"Pacific" -> "the Pacific"``; "" -> "all regions"."""
    region = str(region or "").strip()
    if not region:
        return "all regions"
    return f"the {region}" if region in _ARTICLE else region


def _str(series: pd.Series) -> pd.Series:
    """Text of a column whatever its dtype (categorical, string, object), NA kept."""
    return series.astype("string")


def _is_true(value) -> bool:
    return bool(value) if pd.notna(value) else False


# --------------------------------------------------------------------------- threat level

def level_ranks(scale: pd.DataFrame) -> dict[str, int]:
    """Rank of every level name of either wording (``LOW`` and ``POSSIBLE`` are both 2)."""
    ranks: dict[str, int] = {}
    for _, row in scale.iterrows():
        rank = int(row["rank"])
        for col in ("level", "label_2026"):
            if col in scale.columns and pd.notna(row[col]):
                ranks[str(row[col]).strip().upper()] = rank
    return ranks


def describe_change(change_type: str, before: str, after: str) -> str:
    """``("raised", "LOW", "HIGH") -> "Raised from LOW to HIGH"``."""
    kind = str(change_type).strip().lower()
    if kind in ("raised", "lowered"):
        return f"{kind.capitalize()} from {before} to {after}"
    if kind == "reaffirmed":
        return f"Kept at {after}"
    if kind == "relabelled":
        return f"Level unchanged; {before} now described as {after}"
    return f"{str(change_type).capitalize()}: {before} to {after}"


def threat_level_steps(history: pd.DataFrame, scale: pd.DataFrame) -> pd.DataFrame:
    """The history, oldest first, with each row's rank and its level in both wordings.

    Adds ``rank_before``, ``rank``, ``level`` (2014-2026 wording), ``label`` (2026 wording) and
    ``summary`` ("Raised from LOW to HIGH"). Raises ``ValueError`` for a level not in the scale.
    """
    ranks = level_ranks(scale)
    steps = history.sort_values("effective_date", kind="stable").reset_index(drop=True).copy()
    before = _str(steps["level_before"]).str.strip().str.upper()
    after = _str(steps["level_after"]).str.strip().str.upper()
    unknown = sorted(set(before.dropna()).union(after.dropna()) - set(ranks))
    if unknown:
        raise ValueError(
            f"Threat level(s) {', '.join(unknown)} are not in the threat_level_scale table "
            f"(known: {', '.join(sorted(ranks))})."
        )
    by_rank = scale.set_index(scale["rank"].astype(int))
    steps["rank_before"] = before.map(ranks).astype("Int64")
    steps["rank"] = after.map(ranks).astype("Int64")
    steps["level"] = [str(by_rank.at[int(r), "level"]) for r in steps["rank"]]
    steps["label"] = [
        str(by_rank.at[int(r), "label_2026"]) if "label_2026" in by_rank.columns else str(by_rank.at[int(r), "level"])
        for r in steps["rank"]
    ]
    steps["summary"] = [
        describe_change(c, b, a)
        for c, b, a in zip(_str(steps["change_type"]), _str(steps["level_before"]), _str(steps["level_after"]))
    ]
    return steps


def threat_level_periods(
    history: pd.DataFrame, scale: pd.DataFrame, until: pd.Timestamp | str | None = None
) -> pd.DataFrame:
    """One row per spell at a level: ``start``, ``end`` (next change, or ``until``), ``days``.

    Reaffirmations and relabellings do not start a new spell; they are counted in ``reviews``.
    Each spell also carries the ``change_type``, ``context``, ``date_precision`` and
    ``verified`` of the change that started it.
    """
    steps = threat_level_steps(history, scale)
    if steps.empty:
        return pd.DataFrame(columns=["start", "end", "rank", "level", "label", "change_type",
                                     "context", "date_precision", "verified", "reviews", "days"])
    ranks = steps["rank"].astype(int).tolist()
    spell = pd.Series([0] + [int(a != b) for a, b in zip(ranks[1:], ranks[:-1])]).cumsum()
    rows = []
    for _, group in steps.groupby(spell, sort=True):
        first = group.iloc[0]
        rows.append({
            "start": first["effective_date"],
            "rank": int(first["rank"]),
            "level": first["level"],
            "label": group.iloc[-1]["label"],
            "change_type": str(first["change_type"]),
            "summary": first["summary"],
            "context": first.get("context"),
            "date_precision": first.get("date_precision", "day"),
            "verified": first.get("verified", True),
            "reviews": len(group) - 1,
        })
    periods = pd.DataFrame(rows)
    end = pd.Series(list(periods["start"].iloc[1:]) + [pd.Timestamp(until) if until is not None else pd.NaT])
    periods["end"] = pd.to_datetime(end.values)
    periods["days"] = (periods["end"] - periods["start"]).dt.days.astype("Int64")
    return periods


@dataclass(frozen=True)
class CurrentLevel:
    """The threat level now, and how long it has held."""

    rank: int
    level: str  # 2014-2026 wording, e.g. LOW
    label: str  # 2026 wording, e.g. POSSIBLE
    likelihood: str  # NZSIS wording
    label_verified: bool
    since: pd.Timestamp  # start of the current spell
    since_precision: str
    since_verified: bool
    since_change: str  # raised / lowered (or the first record's type)
    since_context: str
    last_review: pd.Timestamp
    last_review_type: str
    last_review_verified: bool
    reviews_since: int
    first_record: pd.Timestamp
    changes: int  # raises and lowerings in the history
    label_since: pd.Timestamp  # when the current wording was introduced (NaT if never relabelled)


def current_threat_level(history: pd.DataFrame, scale: pd.DataFrame) -> CurrentLevel:
    """Where the level stands at the latest record of ``history``."""
    steps = threat_level_steps(history, scale)
    if steps.empty:
        raise ValueError("The threat level history is empty: there is no current level.")
    periods = threat_level_periods(history, scale)
    now = periods.iloc[-1]
    last = steps.iloc[-1]
    row = scale.set_index(scale["rank"].astype(int)).loc[int(now["rank"])]
    kinds = _str(steps["change_type"]).str.lower()
    return CurrentLevel(
        rank=int(now["rank"]),
        level=str(now["level"]),
        label=str(last["label"]),
        likelihood=str(row.get("likelihood", "")),
        label_verified=_is_true(row.get("verified", True)),
        since=pd.Timestamp(now["start"]),
        since_precision=str(now["date_precision"]),
        since_verified=_is_true(now["verified"]),
        since_change=str(now["change_type"]),
        since_context=str(now["context"]) if pd.notna(now["context"]) else "",
        last_review=pd.Timestamp(last["effective_date"]),
        last_review_type=str(last["change_type"]),
        last_review_verified=_is_true(last.get("verified", True)),
        reviews_since=int(now["reviews"]),
        first_record=pd.Timestamp(steps["effective_date"].iloc[0]),
        changes=int(kinds.isin(["raised", "lowered"]).sum()),
        label_since=(pd.Timestamp(steps.loc[kinds == "relabelled", "effective_date"].iloc[-1])
                     if (kinds == "relabelled").any() else pd.NaT),
    )


def threat_level_peak(history: pd.DataFrame, scale: pd.DataFrame) -> pd.Series:
    """The (first) spell at the highest level recorded, with its ``days`` (NA if still current)."""
    periods = threat_level_periods(history, scale)
    return periods.loc[periods["rank"].idxmax()]


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


def check_region(region: str, known: Iterable[str] | None = None, allow_all: bool = True) -> str:
    """The canonical spelling of ``region`` ("" for all), or ``ValueError`` listing the choices."""
    text = str(region or "").strip()
    if not text:
        if allow_all:
            return ""
        raise ValueError(f"Choose a region: one of {', '.join(known or REGIONS)}.")
    names = list(known) if known is not None else list(REGIONS)
    for name in names:
        if name.lower() == text.lower():
            return name
    raise ValueError(f"Unknown region {region!r}: use one of {', '.join(names)} (or \"\" for all).")


def operations_in(ops: pd.DataFrame, region: str = "", since: int | None = None) -> pd.DataFrame:
    """Operations in ``region`` ("" = all) that were still running in or after ``since``.

    An operation whose end year is not recorded is kept (it may still be running).
    """
    out = ops
    known = list(dict.fromkeys(list(REGIONS) + list(_str(ops["region"]).dropna().unique())))
    region = check_region(region, known)
    if region:
        out = out[_str(out["region"]).str.lower() == region.lower()]
    if since is not None:
        end = out["end_year"]
        out = out[end.isna() | (end.astype("Float64") >= since)]
    return out.reset_index(drop=True)


def _status(row) -> str:
    if _is_true(row.get("ongoing")):
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
    open_end = [_is_true(o) or pd.isna(e) for o, e in zip(placed["ongoing"], placed["end_year"])]
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
    mask = pd.Series([_is_true(o) or pd.isna(e) for o, e in zip(ops["ongoing"], ops["end_year"])],
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
            country=_str(ipi["country"]),
        )
        g = m.groupby(["country", "year"], as_index=False).agg(
            personnel=("total", "mean"), months=("total", "size")
        )
        g["source"] = "IPI"
        parts.append(g)
    if un is not None and len(un):
        u = un.assign(country=_str(un["country"]), total=un["total"].astype("Float64"))
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


# --------------------------------------------------------------------------- treaties

def parse_partial_date(text) -> tuple[pd.Timestamp, str]:
    """``"2018-07-31" -> (Timestamp, "day")``, ``"1969" -> (1 Jan 1969, "year")``, else NaT."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return pd.NaT, ""
    if isinstance(text, pd.Timestamp):
        return text, "day"
    value = str(text).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return pd.Timestamp(value), "day"
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return pd.Timestamp(value + "-01"), "month"
    if re.fullmatch(r"\d{4}", value):
        return pd.Timestamp(f"{value}-01-01"), "year"
    return pd.NaT, ""


def _year_of(text) -> str:
    ts, _ = parse_partial_date(text)
    return "" if pd.isna(ts) else str(ts.year)


def _cell(row) -> str:
    status = str(row["status"]).strip()
    status_text = status[:1].upper() + status[1:]
    year = ""
    if status.lower() in ("ratified", "acceded", "party"):
        year = _year_of(row.get("ratification"))
    elif status.lower() == "in force":
        year = _year_of(row.get("in_force"))
    elif status.lower() == "signed":
        year = _year_of(row.get("signature"))
    return f"{status_text} {year}".strip()


def treaty_matrix(
    participation: pd.DataFrame,
    treaties: pd.DataFrame | None,
    countries: Sequence[str],
    missing: str = "\u2014",
) -> pd.DataFrame:
    """One row per treaty, one column per country: ``"Ratified 2018"``, ``"Ratified"``, ...

    A country with no row for a treaty shows ``missing`` (a dash: the data has no record,
    which is not the same as "not a party"). Columns: ``treaty_id``, ``treaty`` (name), ``domain``,
    one per country, and ``verified`` (false if any shown cell is unverified).
    """
    p = participation.assign(treaty_id=_str(participation["treaty_id"]), country=_str(participation["country"]))
    p = p[p["country"].isin(list(countries))]
    ids = list(_str(treaties["treaty_id"])) if treaties is not None else sorted(p["treaty_id"].unique())
    names = (
        dict(zip(_str(treaties["treaty_id"]), treaties["name"].astype(str)))
        if treaties is not None and "name" in treaties.columns else {}
    )
    domains = (
        dict(zip(_str(treaties["treaty_id"]), treaties["domain"].astype(str)))
        if treaties is not None and "domain" in treaties.columns else {}
    )
    rows = []
    for tid in ids:
        sub = p[p["treaty_id"] == tid]
        row = {"treaty_id": tid, "treaty": names.get(tid, tid), "domain": domains.get(tid, "")}
        verified = True
        for country in countries:
            hit = sub[sub["country"] == country]
            if hit.empty:
                row[country] = missing
            else:
                row[country] = _cell(hit.iloc[0])
                if "verified" in hit.columns and not _is_true(hit.iloc[0]["verified"]):
                    verified = False
        row["verified"] = verified
        rows.append(row)
    return pd.DataFrame(rows, columns=["treaty_id", "treaty", "domain", *countries, "verified"])


_EVENTS = (("signature", "Signed"), ("ratification", "Ratified"), ("in_force", "In force"))


def ratification_timeline(
    participation: pd.DataFrame, treaties: pd.DataFrame | None, country: str = NZ
) -> pd.DataFrame:
    """Dated treaty events of ``country``, oldest first: one row per known date.

    Columns: ``treaty_id``, ``treaty``, ``label`` (short name for a chart), ``event``
    ("Signed", "Ratified" (ratification or accession), "In force"), ``date``, ``year`` (float, for charts),
    ``precision`` (day / month / year), ``verified``.
    """
    p = participation[_str(participation["country"]) == country]
    names = (
        dict(zip(_str(treaties["treaty_id"]), treaties["name"].astype(str)))
        if treaties is not None and "name" in treaties.columns else {}
    )
    rows = []
    for _, r in p.iterrows():
        tid = str(r["treaty_id"])
        for col, event in _EVENTS:
            if col not in p.columns:
                continue
            ts, precision = parse_partial_date(r[col])
            if pd.isna(ts):
                continue
            rows.append({
                "treaty_id": tid,
                "treaty": names.get(tid, tid),
                "label": tid,
                "event": event,
                "date": ts,
                "year": ts.year + (ts.day_of_year - 1) / 366 if precision == "day" else float(ts.year),
                "precision": precision,
                "verified": _is_true(r.get("verified", True)),
            })
    out = pd.DataFrame(rows, columns=["treaty_id", "treaty", "label", "event", "date", "year", "precision", "verified"])
    return out.sort_values(["date", "treaty_id"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- forums and regions

def forums_for_region(forums: pd.DataFrame, region: str) -> pd.DataFrame:
    """Forums of ``region`` itself, then those of wider areas containing it (e.g. Asia-Pacific)."""
    wider = REGIONS.get(region, ())
    fr = _str(forums["region"])
    own = forums[fr.str.lower() == region.lower()]
    around = forums[fr.isin(list(wider))]
    return pd.concat([own, around]).reset_index(drop=True)


def forum_summary(forums: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Per forum: ``members`` (full/ASEAN members), ``others`` (associates, participants),
    ``total`` (all three NA when the data lists no members for the forum), ``listed``, and
    ``nz_in`` (whether New Zealand is listed), in the order of ``forums``."""
    m = memberships.assign(forum_id=_str(memberships["forum_id"]), member_type=_str(memberships["member_type"]))
    full = m["member_type"].str.lower().isin(["member", "asean member"])
    counts = pd.DataFrame({
        "members": full.groupby(m["forum_id"]).sum(),
        "others": (~full).groupby(m["forum_id"]).sum(),
    })
    nz = m[_str(m["member"]) == NZ].groupby("forum_id").size()
    out = forums.copy()
    ids = _str(out["forum_id"])
    out["members"] = ids.map(counts["members"]).astype("Int64").values
    out["others"] = ids.map(counts["others"]).astype("Int64").values
    out["total"] = (out["members"] + out["others"]).astype("Int64")
    out["listed"] = ids.isin(counts.index).values
    out["nz_in"] = ids.isin(nz.index).values
    return out.reset_index(drop=True)


def conflict_region(region: str) -> str:
    """The UCDP/PRIO region (``armed_conflicts.region``) that contains ``region``."""
    try:
        return _UCDP_REGION[check_region(region, allow_all=False)]
    except KeyError:
        raise ValueError(f"No UCDP region is known for {region!r}.") from None


def regional_threats(
    threats: pd.DataFrame,
    roles: pd.DataFrame,
    forum_ids: Iterable[str],
) -> pd.DataFrame:
    """Threats ranked by how many of NZ's recorded roles tie them to the region's forums.

    ``links`` counts roles whose ``forum_id`` is one of ``forum_ids`` and whose ``threat_id``
    is the threat; ``roles_total`` counts all roles on the threat. Ties keep the source order.
    """
    wanted = set(map(str, forum_ids))
    r = roles.assign(threat_id=_str(roles["threat_id"]), forum_id=_str(roles["forum_id"]))
    linked = r[r["forum_id"].isin(wanted)].groupby("threat_id").size()
    total = r.groupby("threat_id").size()
    out = threats.copy()
    ids = _str(out["threat_id"])
    out["links"] = ids.map(linked).fillna(0).astype(int).values
    out["roles_total"] = ids.map(total).fillna(0).astype(int).values
    out["_order"] = [THREAT_ORDER.index(t) if t in THREAT_ORDER else 99 for t in ids]
    out = out.sort_values(["links", "roles_total", "_order"], ascending=[False, False, True], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------- threats and roles

def roles_for(roles: pd.DataFrame, threat_id: str | None = None, forum_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """NZ roles on one threat and/or in some forums (all roles when both are None)."""
    out = roles
    if threat_id is not None:
        out = out[_str(out["threat_id"]) == threat_id]
    if forum_ids is not None:
        out = out[_str(out["forum_id"]).isin(list(forum_ids))]
    return out.reset_index(drop=True)


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
    r = roles.assign(threat_id=_str(roles["threat_id"]), forum_id=_str(roles["forum_id"]))
    fnames = (
        dict(zip(_str(forums["forum_id"]), forums["name"].astype(str))) if forums is not None else {}
    )
    out = threats.copy()
    ids = list(_str(out["threat_id"]))
    out["agencies"] = [_join_unique(r.loc[r["threat_id"] == t, "lead_agency"]) for t in ids]
    out["forums"] = [
        _join_unique(fnames.get(f, f) for f in r.loc[r["threat_id"] == t, "forum_id"].dropna())
        for t in ids
    ]
    out["roles"] = [int((r["threat_id"] == t).sum()) for t in ids]
    out["_order"] = [THREAT_ORDER.index(t) if t in THREAT_ORDER else 99 for t in ids]
    return out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------- treaties by threat

#: Treaty domains (treaties.domain) that bear on each threat.
THREAT_TREATY_DOMAINS: dict[str, tuple[str, ...]] = {
    "terrorism": (),
    "wmd": ("nuclear", "chemical", "biological"),
    "cyber": ("cyber",),
    "people-smuggling": (),
    "space": (),
}


def treaties_for_threat(
    treaties: pd.DataFrame, participation: pd.DataFrame, threat_id: str, country: str = NZ
) -> pd.DataFrame:
    """Treaties in the threat's domains with ``country``'s status (see :func:`treaty_dates`)."""
    domains = THREAT_TREATY_DOMAINS.get(threat_id, ())
    chosen = treaties[_str(treaties["domain"]).isin(list(domains))]
    return treaty_dates(participation, chosen, country)


def _date_text(text) -> str:
    from briefkit.prose import fmt_date

    ts, precision = parse_partial_date(text)
    return "" if pd.isna(ts) else fmt_date(ts, precision)


def treaty_dates(participation: pd.DataFrame, treaties: pd.DataFrame, country: str = NZ) -> pd.DataFrame:
    """One row per treaty in ``treaties`` with ``country``'s dates as display text.

    Columns: ``treaty_id``, ``treaty``, ``domain``, ``status`` ("No record" when the data holds
    none), ``signed``, ``ratified``, ``in_force`` (dates at their known precision, e.g.
    "31 July 2018" or "1969"), ``notes``, ``verified``.
    """
    p = participation[_str(participation["country"]) == country]
    by_id = {str(r["treaty_id"]): r for _, r in p.iterrows()}
    rows = []
    for _, t in treaties.iterrows():
        tid = str(t["treaty_id"])
        r = by_id.get(tid)
        if r is None:
            rows.append({"treaty_id": tid, "treaty": str(t["name"]), "domain": str(t.get("domain", "")),
                         "status": "No record", "signed": "", "ratified": "", "in_force": "",
                         "notes": "", "verified": True})
            continue
        status = str(r["status"])
        rows.append({
            "treaty_id": tid, "treaty": str(t["name"]), "domain": str(t.get("domain", "")),
            "status": status[:1].upper() + status[1:],
            "signed": _date_text(r.get("signature")),
            "ratified": _date_text(r.get("ratification")),
            "in_force": _date_text(r.get("in_force")),
            "notes": str(r["notes"]) if "notes" in r and pd.notna(r["notes"]) else "",
            "verified": _is_true(r.get("verified", True)),
        })
    return pd.DataFrame(rows, columns=["treaty_id", "treaty", "domain", "status", "signed",
                                       "ratified", "in_force", "notes", "verified"])


# --------------------------------------------------------------------------- regional footprint

#: Countries of regions that no forum in the data defines (UCDP/PRIO's Middle East, etc.).
_REGION_COUNTRIES: dict[str, tuple[str, ...]] = {
    "Middle East": ("Bahrain", "Egypt", "Iran", "Iraq", "Israel", "Jordan", "Kuwait", "Lebanon",
                    "Oman", "Palestine", "Qatar", "Saudi Arabia", "Syria", "Turkey",
                    "United Arab Emirates", "Yemen"),
    "Northeast Asia": ("China", "Japan", "Mongolia", "North Korea", "South Korea", "Taiwan"),
    "South Asia": ("Afghanistan", "Bangladesh", "Bhutan", "India", "Maldives", "Nepal",
                   "Pakistan", "Sri Lanka"),
}
#: The forum whose members define a region in this pack.
_REGION_FORUM = {"Pacific": "PIF", "Southeast Asia": "ASEAN"}
#: Other spellings of country names found in the pack's tables.
_ALIASES = {
    "timor": "Timor-Leste", "east timor": "Timor-Leste",
    "usa": "United States", "united states of america": "United States",
    "united kingdom of great britain and northern ireland": "United Kingdom",
    "sinapore": "Singapore", "brunei darussalam": "Brunei",
    "lao people's democratic republic": "Laos", "viet nam": "Vietnam",
    "micronesia (country)": "Federated States of Micronesia",
    "micronesia (federated states of)": "Federated States of Micronesia",
}


def canonical_country(name) -> str:
    """One spelling per country across the pack's tables (``"USA" -> "United States"``)."""
    text = " ".join(str(name).split())
    return _ALIASES.get(text.lower(), text)


def region_countries(region: str, memberships: pd.DataFrame | None = None) -> list[str]:
    """The countries (and territories) that make up ``region`` in this pack.

    The Pacific is the Pacific Islands Forum's membership and Southeast Asia ASEAN's, read
    from ``memberships``; other regions use a fixed list.
    """
    region = check_region(region, allow_all=False)
    forum = _REGION_FORUM.get(region)
    if forum and memberships is not None:
        m = memberships[_str(memberships["forum_id"]) == forum]
        return [canonical_country(c) for c in _str(m["member"]).dropna()]
    return [canonical_country(c) for c in _REGION_COUNTRIES.get(region, ())]


def regional_footprint(
    countries: Sequence[str],
    *,
    threats: pd.DataFrame,
    terrorism: pd.DataFrame | None = None,
    warheads: pd.DataFrame | None = None,
    satellites: pd.DataFrame | None = None,
    displaced: pd.DataFrame | None = None,
    displaced_world: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each threat's measurable footprint in a region: the region's share of the world total of
    the threat's indicator in this pack, largest first (threats without regional data last).

    Columns: ``threat_id``, ``name``, ``indicator`` (a label), ``measure`` (a phrase for
    prose), ``coverage`` (how many of the region's places the data covers), ``region_value``,
    ``world_value``, ``share`` (0-1, NA without regional data).
    """
    wanted = {canonical_country(c) for c in countries}

    def pick(df, col="country"):
        names = _str(df[col]).map(canonical_country)
        return df[names.isin(wanted)]

    rows: dict[str, dict] = {}
    if terrorism is not None and len(terrorism):
        world_rows = terrorism[_str(terrorism["country"]) == "World"]
        world = world_rows["incidents"].astype(float).sum()
        mine = pick(terrorism[_str(terrorism["country"]) != "World"])["incidents"].astype(float).sum()
        years = world_rows["year"] if len(world_rows) else terrorism["year"]
        y0, y1 = int(years.min()), int(years.max())
        rows["terrorism"] = dict(indicator=f"Terrorist incidents, {y0}\u2013{y1} (RAND)",
                                 measure=f"terrorist incidents recorded by RAND, {y0}\u2013{y1}",
                                 region_value=mine, world_value=world)
    if warheads is not None and len(warheads):
        last = int(warheads["year"].max())
        latest = warheads[warheads["year"] == last]
        world = latest[_str(latest["country"]) == "World"]["stockpile"].astype(float).sum()
        mine = pick(latest[_str(latest["country"]) != "World"])["stockpile"].astype(float).sum()
        rows["wmd"] = dict(indicator=f"Nuclear warheads held, {last} (FAS)",
                           measure=f"nuclear warheads in {last}", region_value=mine, world_value=world)
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
        covered = sorted(set(_str(d["country"]).map(canonical_country)))
        if covered:
            mine = float(d["refugees"].astype(float).sum() + d["asylum_seekers"].astype(float).sum())
            rows["people-smuggling"] = dict(
                indicator=f"Refugees and asylum seekers hosted, {last} (UNHCR)",
                measure=f"refugees and asylum seekers hosted in {last}",
                coverage=f"{len(covered)} of {len(wanted)} places",
                region_value=mine, world_value=world)
    out = []
    for _, t in threats.iterrows():
        tid = str(t["threat_id"])
        r = rows.get(tid)
        if r is None:
            out.append(dict(threat_id=tid, name=str(t["name"]), indicator="No regional data in this pack",
                            measure="", coverage="", region_value=pd.NA, world_value=pd.NA, share=pd.NA))
        else:
            share = r["region_value"] / r["world_value"] if r["world_value"] else pd.NA
            out.append(dict(threat_id=tid, name=str(t["name"]), share=share, **{"coverage": "All", **r}))
    df = pd.DataFrame(out, columns=["threat_id", "name", "indicator", "measure", "coverage",
                                    "region_value", "world_value", "share"])
    df["share"] = df["share"].astype("Float64")
    df["_order"] = [THREAT_ORDER.index(t) if t in THREAT_ORDER else 99 for t in df["threat_id"]]
    df = df.sort_values(["share", "_order"], ascending=[False, True], na_position="last", kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------- brief tables

def threat_row(threats: pd.DataFrame, threat_id: str) -> pd.Series:
    """The row of ``threat_id``, or ``ValueError`` naming the threats there are."""
    ids = _str(threats["threat_id"])
    hit = threats[ids == threat_id]
    if hit.empty:
        raise ValueError(f"Unknown threat {threat_id!r}: use one of {', '.join(ids.dropna())}.")
    return hit.iloc[0]


def threat_instruments(roles: pd.DataFrame, threat_id: str) -> pd.DataFrame:
    """NZ roles on the threat, then its roles that serve every threat (forums, peacekeeping).

    Adds ``scope``: "This threat" or "All threats".
    """
    tid = _str(roles["threat_id"])
    own = roles[tid == threat_id].assign(scope="This threat")
    general = roles[tid.isna()].assign(scope="All threats")
    return pd.concat([own, general], ignore_index=True)


def _years_text(row) -> str:
    start = row.get("start_year")
    end = row.get("end_year")
    if pd.isna(start):
        first = "Start not recorded"
        if _is_true(row.get("ongoing")):
            return f"{first}; ongoing"
        return first if pd.isna(end) else f"{first}; ended {int(end)}"
    first = str(int(start))
    if _is_true(row.get("ongoing")):
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


def forum_members_table(summary: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """:func:`forum_summary` rows with ``member_list``: the members by name, others by type."""
    m = memberships.assign(forum_id=_str(memberships["forum_id"]), member_type=_str(memberships["member_type"]),
                           member=_str(memberships["member"]))
    lists = []
    for fid in _str(summary["forum_id"]):
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


def treaty_facts(dates: pd.DataFrame, events: pd.DataFrame) -> dict:
    """Headline facts on one country's treaties (from :func:`treaty_dates` and
    :func:`ratification_timeline`): counts by status, first and last ratification, the
    treaties in progress, with no record, and unverified."""
    status = dates["status"].str.lower()
    ratified = events[events["event"] == "Ratified"].sort_values("date")
    facts = {
        "treaties": len(dates),
        "ratified": int((status == "ratified").sum()),
        "in_force_only": int((status == "in force").sum()),
        "in_progress": list(dates.loc[status.str.contains("progress"), "treaty"]),
        "no_record": list(dates.loc[status == "no record", "treaty_id"]),
        "unverified": list(dates.loc[~dates["verified"].astype(bool), "treaty_id"]),
        "first": None,
        "last": None,
    }
    if len(ratified):
        f, last = ratified.iloc[0], ratified.iloc[-1]
        facts["first"] = {"treaty_id": f["treaty_id"], "treaty": f["treaty"], "date": f["date"], "precision": f["precision"]}
        facts["last"] = {"treaty_id": last["treaty_id"], "treaty": last["treaty"], "date": last["date"], "precision": last["precision"]}
    return facts
