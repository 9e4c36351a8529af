"""Disarmament and non-proliferation: treaty participation of New Zealand and comparators,
the treaties that bear on each threat, the ratification chart and its sentences.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

import briefkit as bk
from markupsafe import Markup

from .shared import NZ, Exhibit, is_true, as_text


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
    p = participation.assign(treaty_id=as_text(participation["treaty_id"]), country=as_text(participation["country"]))
    p = p[p["country"].isin(list(countries))]
    ids = list(as_text(treaties["treaty_id"])) if treaties is not None else sorted(p["treaty_id"].unique())
    names = (
        dict(zip(as_text(treaties["treaty_id"]), treaties["name"].astype(str)))
        if treaties is not None and "name" in treaties.columns else {}
    )
    domains = (
        dict(zip(as_text(treaties["treaty_id"]), treaties["domain"].astype(str)))
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
                if "verified" in hit.columns and not is_true(hit.iloc[0]["verified"]):
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
    p = participation[as_text(participation["country"]) == country]
    names = (
        dict(zip(as_text(treaties["treaty_id"]), treaties["name"].astype(str)))
        if treaties is not None and "name" in treaties.columns else {}
    )
    shorts = ({str(row["treaty_id"]): short_name(row) for _, row in treaties.iterrows()}
              if treaties is not None else {})
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
                "short": shorts.get(tid, tid),
                "event": event,
                "date": ts,
                "year": ts.year + (ts.day_of_year - 1) / 366 if precision == "day" else float(ts.year),
                "precision": precision,
                "verified": is_true(r.get("verified", True)),
            })
    out = pd.DataFrame(rows, columns=["treaty_id", "treaty", "label", "short", "event", "date", "year", "precision", "verified"])
    return out.sort_values(["date", "treaty_id"], kind="stable").reset_index(drop=True)


def _date_text(text) -> str:
    ts, precision = parse_partial_date(text)
    return "" if pd.isna(ts) else bk.fmt_date(ts, precision)


def treaty_dates(participation: pd.DataFrame, treaties: pd.DataFrame, country: str = NZ) -> pd.DataFrame:
    """One row per treaty in ``treaties`` with ``country``'s dates as display text.

    Columns: ``treaty_id``, ``treaty``, ``domain``, ``status`` ("No record" when the data holds
    none), ``signed``, ``ratified``, ``in_force`` (dates at their known precision, e.g.
    "31 July 2018" or "1969"), ``notes``, ``verified``.
    """
    p = participation[as_text(participation["country"]) == country]
    by_id = {str(r["treaty_id"]): r for _, r in p.iterrows()}
    rows = []
    for _, t in treaties.iterrows():
        tid = str(t["treaty_id"])
        short = short_name(t)
        r = by_id.get(tid)
        if r is None:
            rows.append({"treaty_id": tid, "treaty": str(t["name"]), "short": short, "domain": str(t.get("domain", "")),
                         "status": "No record", "signed": "", "ratified": "", "in_force": "",
                         "notes": "", "verified": True})
            continue
        status = str(r["status"])
        rows.append({
            "treaty_id": tid, "treaty": str(t["name"]), "short": short, "domain": str(t.get("domain", "")),
            "status": status[:1].upper() + status[1:],
            "signed": _date_text(r.get("signature")),
            "ratified": _date_text(r.get("ratification")),
            "in_force": _date_text(r.get("in_force")),
            "notes": str(r["notes"]) if "notes" in r and pd.notna(r["notes"]) else "",
            "verified": is_true(r.get("verified", True)),
        })
    return pd.DataFrame(rows, columns=["treaty_id", "treaty", "short", "domain", "status", "signed",
                                       "ratified", "in_force", "notes", "verified"])


#: Statuses by which a state becomes party to a treaty: ratification, or accession (same effect).
PARTY = ("ratified", "acceded")


def short_name(treaty_row) -> str:
    """The name a sentence uses (the treaties table's ``short_name``), never the id code."""
    value = treaty_row.get("short_name") if hasattr(treaty_row, "get") else None
    if value is not None and not (not isinstance(value, str) and pd.isna(value)) and str(value).strip():
        return str(value).strip()
    return str(treaty_row.get("name", treaty_row.get("treaty_id", "")))


def treaty_facts(dates: pd.DataFrame, events: pd.DataFrame) -> dict:
    """Headline facts on one country's treaties (from :func:`treaty_dates` and
    :func:`ratification_timeline`): counts by status, first and last ratification, the
    treaties in progress, with no record, and unverified."""
    status = dates["status"].str.lower()
    ratified = events[events["event"] == "Ratified"].sort_values("date")
    short = dict(zip(dates["treaty_id"], dates["short"] if "short" in dates.columns else dates["treaty_id"]))
    flags = dict(zip(dates["treaty_id"], dates["verified"].astype(bool)))
    facts = {
        "treaties": len(dates),
        "party": int(status.isin(PARTY).sum()),
        "acceded": list(dates.loc[status == "acceded", "treaty_id"]),
        "in_force": list(dates.loc[status == "in force", "treaty_id"]),
        "short": short,
        "flags": flags,
        "ratified": int(status.isin(PARTY).sum()),
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


# --------------------------------------------------------------------------- treaties by threat

def treaties_for_threat(
    treaties: pd.DataFrame, participation: pd.DataFrame, threat_id: str, domains: pd.DataFrame,
    country: str = NZ,
) -> pd.DataFrame:
    """Treaties in the threat's domains with ``country``'s status (see :func:`treaty_dates`).

    ``domains`` is the ``threat_treaty_domains`` table (``threat_id``, ``domain``); a threat
    without rows there has no treaties.
    """
    mine = as_text(domains.loc[as_text(domains["threat_id"]) == threat_id, "domain"]).dropna()
    chosen = treaties[as_text(treaties["domain"]).isin(list(mine))]
    return treaty_dates(participation, chosen, country)


# --------------------------------------------------------------------------- chart

_EVENT_ORDER = ["Signed", "Ratified", "In force"]


def ratification_exhibit(events: pd.DataFrame, country: str = NZ) -> Exhibit:
    """Treaty milestones of ``country`` (rows from :func:`ratification_timeline`)."""
    ev = events.copy()
    ev["row"] = ev["short"] if "short" in ev.columns else ev["label"]
    fig = bk.event_chart(
        ev, date="year", label="row", group="event", group_order=_EVENT_ORDER,
        title=f"{country}'s treaty milestones: disarmament and arms control", xlabel="Year",
    )
    items = [
        f"{r['row']} {r['event'].lower()} {bk.fmt_date(r['date'], r['precision'])}"
        + (" (unverified)" if not r["verified"] else "")
        for _, r in ev.iterrows()
    ]
    alt = (
        f"Timeline of {country}'s signatures, ratifications and entries into force for "
        f"{ev['treaty_id'].nunique()} treaties, one row per treaty: {'; '.join(items)}."
        if len(ev) else f"Empty timeline: the data holds no dated treaty events for {country}."
    )
    caption = "Year-only dates are placed at the start of the year; accessions are shown as ratifications."
    unverified = sorted(set(ev.loc[~ev["verified"].astype(bool), "row"])) if len(ev) else []
    if unverified:
        caption += f" Unverified in the data: {bk.fmt_list(unverified)}."
    return Exhibit(fig, alt, caption, {"events": len(ev), "unverified": unverified})


# --------------------------------------------------------------------------- sentences

def _named(dates: pd.DataFrame, mask) -> list:
    """Short names of the rows under ``mask``, each carrying its unverified flag (flags travel);
    an accession carries its date ("Budapest Convention (acceded 28 August 2025)")."""
    rows = dates.loc[mask]
    names = rows["short"] if "short" in rows.columns else rows["treaty_id"]
    out = []
    for name, status, when, ok in zip(names, rows["status"].str.lower(), rows["ratified"], rows["verified"].astype(bool)):
        text = f"{name} (acceded {when})" if status == "acceded" and when else str(name)
        out.append(bk.flagged(text, ok))
    return out


def treaty_sentence(dates: pd.DataFrame, country: str = NZ):
    """Summary of a threat's treaties (rows from ``treaties_for_threat``), in treaty names, with
    the unverified flag on any treaty whose record is not confirmed."""
    if dates.empty:
        return ("The pack's treaty table holds no treaty on this threat; any treaty action by "
                f"{country} on it is listed with the {country}-specific facts.")
    status = dates["status"].str.lower()
    done = _named(dates, status.isin(PARTY))
    in_force = _named(dates, status == "in force")
    pending = _named(dates, status.str.contains("progress"))
    unknown = _named(dates, status == "no record")
    parts = []
    if done:
        parts.append(bk.phrase("{country} is party to the {names}", country=country, names=bk.fmt_list(done)))
    if in_force:
        parts.append(bk.phrase("it also has the {names} in force", names=bk.fmt_list(in_force)))
    if pending:
        parts.append(bk.phrase("accession to the {names} is in progress", names=bk.fmt_list(pending)))
    if unknown:
        parts.append(bk.phrase("the data holds no record of {country}'s status for the {names}",
                               country=country, names=bk.fmt_list(unknown)))
    if not parts:
        return ""
    text = Markup("; ").join(parts)
    # plain text when nothing carries a flag (the sinks escape it), Markup when a flag travels
    return bk.sentence(text if bk.is_flagged(text) else text.unescape())


def ratified_sentence(facts: dict, country: str = NZ) -> str:
    """From :func:`treaty_facts`: how many the country is party to (ratified or acceded), first and latest."""
    if not facts.get("first"):
        return f"The data records no treaty ratification or accession for {country}."
    first, last = facts["first"], facts["last"]
    short = facts.get("short", {})
    how = ""
    if facts.get("acceded"):
        how = f" ({bk.plural(facts['party'] - len(facts['acceded']), 'ratification')}, {bk.plural(len(facts['acceded']), 'accession')})"
    verb = "acceded to" if last["treaty_id"] in facts.get("acceded", []) else "ratified"
    return (
        f"{country} is party to {facts['party']} of the {facts['treaties']} disarmament, arms-control and "
        f"cybercrime treaties in the data{how}: the first it ratified was the {short.get(first['treaty_id'], first['treaty'])} "
        f"({bk.fmt_date(first['date'], first['precision'])}); the latest it {verb} was the "
        f"{short.get(last['treaty_id'], last['treaty'])} ({bk.fmt_date(last['date'], last['precision'])})."
    )


def pending_sentence(facts: dict, country: str = NZ) -> str:
    """Treaties in progress, and treaties the data holds no record of, for ``country``."""
    parts = []
    short = facts.get("short", {})
    if facts.get("in_progress"):
        parts.append(f"Accession to the {bk.fmt_list(facts['in_progress'])} is in progress")
    if facts.get("in_force"):
        parts.append(f"the {bk.fmt_list([short.get(t, t) for t in facts['in_force']])} "
                     f"{'is' if len(facts['in_force']) == 1 else 'are'} in force for {country} without a ratification in the data")
    if facts.get("no_record"):
        parts.append(f"the data holds no record of {country}'s status for the {bk.fmt_list([short.get(t, t) for t in facts['no_record']])}")
    if not parts:
        return ""
    return bk.sentence("; ".join(parts))


def unverified_sentence(facts: dict, country: str = NZ):
    """Which of the country's treaty records are flagged unverified, named and flagged."""
    ids = facts.get("unverified", [])
    if not ids:
        return ""
    short = facts.get("short", {})
    names = [short.get(t, t) for t in ids]  # the sentence itself says they are flagged
    if len(ids) == 1:
        return f"One of {country}'s treaty records is flagged unverified: that of the {names[0]}."
    return f"{bk.fmt_int(len(ids))} of {country}'s treaty records are flagged unverified: those of the {bk.fmt_list(names)}."


def coverage_sentence(matrix: pd.DataFrame, countries: list[str], missing: str = "\u2014") -> str:
    """How complete the comparator columns of a treaty matrix are."""
    others = [c for c in countries if c != NZ and c in matrix.columns]
    if not others:
        return ""
    cells = matrix[others]
    known = int((cells != missing).sum().sum())
    return (
        f"For the comparators ({bk.fmt_list(others)}) the data holds {known} of "
        f"{cells.size} treaty statuses; a gap is missing data, not a refusal to join."
    )
