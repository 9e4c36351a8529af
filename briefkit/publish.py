"""The pack's landing page, ``index.html``: every brief with its marking, date and links."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from . import markings
from .catalogue import Pack
from .render import TEMPLATES


def index_html(
    pack: Pack, records: list[dict], human_date: Callable[[str], str], editions: list[str] = (), edition: str = ""
) -> str:
    """Render the index page. Its own marking is the highest marking of the briefs it lists."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    highest = max((r.get("marking", markings.DEFAULT) for r in records), key=markings.rank, default=markings.DEFAULT)
    css = (TEMPLATES / "briefing" / "briefing.css").read_text(encoding="utf-8")
    return env.get_template("index.html.j2").render(
        pack=pack, records=records, marking=highest, css=css, human_date=human_date, editions=list(editions),
        edition=edition,
    )


def editions(out: Path) -> list[str]:
    """Dated editions under ``out/editions``, newest first."""
    folder = out / "editions"
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
