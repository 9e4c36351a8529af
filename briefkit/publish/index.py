"""The pack's landing page, ``index.html``: every brief with its marking, date and links.

Imports nothing from the build: the build calls in, never the other way round.
"""

from __future__ import annotations

from pathlib import Path

from .. import markings
from ..catalogue import Pack
from ..dates import human_date  # noqa: F401  (the index templates and publish modules use it)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def index_html(pack: Pack, records: list[dict], editions: list[str] = (), edition: str = "",
               release: dict | None = None, changes: dict | None = None, sets: list[dict] = ()) -> str:
    """Render an index page. The build folder's index carries the highest marking of the briefs
    it lists and links to each release set; a release set's index (``release``, its manifest
    record) carries the set's marking and lists only the set's briefs and its changes.

    Links are made only from the records' checked output names (see ``manifest.read_manifest``)
    and from the sets' names, which the engine makes from markings."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from .changes import SHOWN_ROWS, headlines, key_text

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    highest = max((r.get("marking", markings.DEFAULT) for r in records), key=markings.rank, default=markings.DEFAULT)
    marking = release["marking"] if release else highest
    css = (TEMPLATES / "briefing" / "briefing.css").read_text(encoding="utf-8")
    from ..exporters import LABELS

    return env.get_template("index.html.j2").render(
        pack=pack, records=records, marking=marking, css=css, human_date=human_date, editions=list(editions),
        edition=edition, labels=LABELS, release=release, changes=changes, sets=list(sets),
        headlines=headlines(changes), key_text=key_text, shown_rows=SHOWN_ROWS,
        dict_of=lambda row, key: {k: row.get(k, "") for k in key},
        pdf_name=(release or {}).get("pdf", "").rpartition("/")[2] if release and release.get("pdf") else "",
    )
