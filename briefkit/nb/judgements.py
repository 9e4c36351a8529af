"""Analysts' judgements and talking points: authored, attributed and dated, kept apart from
the key points (which are computed from data).

    bk.judgements(bk.table("judgements", marking=marking), brief="outlook")

The rows come through ``bk.table`` like any other, so the brief's marking ceiling applies and
the table is cited in the Sources section. Each row is shown with its author, the date it was
written, its review-by date and its source; a row past its review date says so. A brief with
no row shows nothing at all (not an empty box).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup

from briefkit.nb.prose import escape, fmt_date

__all__ = ["judgements", "judgements_html"]

KINDS = {"judgement": "Judgements", "talking point": "Talking points"}


def judgements_html(rows, brief: str, today: dt.date | None = None) -> Markup:
    """The judgements block of ``brief`` from ``rows`` (a judgements table); empty if none."""
    mine = rows[rows["brief_id"].astype(str) == brief]
    if len(mine) == 0:
        return Markup("")
    today = today or dt.date.today()
    parts = [Markup('<section class="bk-judgements" aria-label="Analysts\' judgements">'
                    "<h2>Analysts\u2019 judgements</h2>"
                    '<p class="bk-judgements-note">The pack\u2019s analysis, written and attributed by people: '
                    "not computed from the data, and reviewed by the date shown.</p>")]
    for kind, heading in KINDS.items():
        items = mine[mine["kind"].astype(str) == kind]
        if len(items) == 0:
            continue
        lis = Markup("").join(_item(row, today) for _, row in items.iterrows())
        parts.append(Markup("<h3>{}</h3><ul>{}</ul>").format(heading, lis))
    parts.append(Markup("</section>"))
    return Markup("").join(parts)


def _item(row: Any, today: dt.date) -> Markup:
    review = row["review_by"]
    overdue = review is not None and review.date() < today
    due = Markup(' <strong class="bk-overdue">past its review date</strong>') if overdue else Markup("")
    return Markup('<li><p class="bk-judgement-text">{text}</p><p class="bk-judgement-meta">{author}, '
                  "{written}; review by {review}{due}. Source: {source}.</p></li>").format(
        text=row["text"], author=row["author"], written=fmt_date(row["written"]),
        review=fmt_date(review), due=due, source=row["source"])


def judgements(rows, brief: str) -> None:
    """Display ``brief``'s judgements and talking points from ``rows`` (``bk.table("judgements", ...)``)."""
    from IPython.display import HTML, display

    block = judgements_html(rows, brief)
    if block:
        display(HTML(escape(block)))
