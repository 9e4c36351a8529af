"""New Zealand's national terrorism threat level: its steps, spells, where it stands, and its
step chart.

Every function takes the ``threat_level_history`` and ``threat_level_scale`` tables
(``data/README.md``) and returns new frames or small records; none reads files or displays
anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

import briefkit as bk

from .shared import Exhibit, is_true, as_text


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
    before = as_text(steps["level_before"]).str.strip().str.upper()
    after = as_text(steps["level_after"]).str.strip().str.upper()
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
        for c, b, a in zip(as_text(steps["change_type"]), as_text(steps["level_before"]), as_text(steps["level_after"]))
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
    first_verified: bool  # whether the first record's date is confirmed
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
    kinds = as_text(steps["change_type"]).str.lower()
    return CurrentLevel(
        rank=int(now["rank"]),
        level=str(now["level"]),
        label=str(last["label"]),
        likelihood=str(row.get("likelihood", "")),
        label_verified=is_true(row.get("verified", True)),
        since=pd.Timestamp(now["start"]),
        since_precision=str(now["date_precision"]),
        since_verified=is_true(now["verified"]),
        since_change=str(now["change_type"]),
        since_context=str(now["context"]) if pd.notna(now["context"]) else "",
        last_review=pd.Timestamp(last["effective_date"]),
        last_review_type=str(last["change_type"]),
        last_review_verified=is_true(last.get("verified", True)),
        reviews_since=int(now["reviews"]),
        first_record=pd.Timestamp(steps["effective_date"].iloc[0]),
        first_verified=is_true(steps.iloc[0].get("verified", True)),
        changes=int(kinds.isin(["raised", "lowered"]).sum()),
        label_since=(pd.Timestamp(steps.loc[kinds == "relabelled", "effective_date"].iloc[-1])
                     if (kinds == "relabelled").any() else pd.NaT),
    )


def threat_level_peak(history: pd.DataFrame, scale: pd.DataFrame) -> pd.Series:
    """The (first) spell at the highest level recorded, with its ``days`` (NA if still current)."""
    periods = threat_level_periods(history, scale)
    return periods.loc[periods["rank"].idxmax()]


# --------------------------------------------------------------------------- chart

def _month(ts) -> str:
    return f"{pd.Timestamp(ts):%b %Y}"


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
    fig = bk.step_chart(
        shown, x="effective_date", y="rank", levels=levels, end=end, annotate="note",
        title=f"New Zealand national terrorism threat level, {first.year}\u2013{until.year}",
        xlabel="Date", ylabel="Threat level (former name / current wording)",
    )
    periods = threat_level_periods(history, scale, until=until)
    periods = periods[periods["end"].isna() | (periods["end"].dt.year >= since)]
    spells = [f"{p['level']} from {bk.fmt_date(p['start'], p['date_precision'])}" for _, p in periods.iterrows()]
    now = steps.iloc[-1]
    alt = (
        f"Step chart of New Zealand's national terrorism threat level from {bk.fmt_date(first, 'month')} "
        f"to {bk.fmt_date(until, 'month')}: {bk.fmt_list(spells)}. "
        f"The level is {now['level']}, described as {now['label']} in the current wording."
    )
    unverified = [bk.fmt_date(d) for d, v in zip(steps["effective_date"], steps.get("verified", [True] * len(steps)))
                  if pd.notna(v) and not bool(v)]
    caption = "Each dot is a published decision, including reviews that kept the level unchanged."
    if unverified:
        caption += f" Dates not confirmed by an authoritative source: {bk.fmt_list(unverified)}."
    return Exhibit(fig, alt, caption, {"spells": len(periods), "unverified_dates": unverified})
