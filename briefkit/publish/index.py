"""The pack's landing page, ``index.html``: every brief with its marking, date and links.

Imports nothing from the build: the build calls in, never the other way round.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .. import markings
from ..catalogue import Pack

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def human_date(iso: str) -> str:
    """'2022-11-30' → '30 November 2022'; other text is returned as given."""
    try:
        day = dt.date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    return f"{day.day} {day:%B %Y}"


def index_html(pack: Pack, records: list[dict], editions: list[str] = (), edition: str = "") -> str:
    """Render the index page. Its own marking is the highest marking of the briefs it lists.

    Links are made only from the records' checked output names (see ``cache.read_manifest``)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    highest = max((r.get("marking", markings.DEFAULT) for r in records), key=markings.rank, default=markings.DEFAULT)
    css = (TEMPLATES / "briefing" / "briefing.css").read_text(encoding="utf-8")
    from ..exporters import LABELS

    return env.get_template("index.html.j2").render(
        pack=pack, records=records, marking=highest, css=css, human_date=human_date, editions=list(editions),
        edition=edition, labels=LABELS,
    )
