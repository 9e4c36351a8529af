"""Which tables a brief used, and its Sources section.

Every :func:`briefkit.nb.tables.table` call records the table in :data:`USED` (one per kernel:
each brief runs in its own kernel). At the end of the brief, :func:`sources` displays one
output holding the Sources section as HTML and the provenance record as JSON under
:data:`PROVENANCE_MIME`, which the HTML exporter reads back for the brief's data date.

Every data value in the section is escaped (markupsafe, as in Jinja); a source is a link only
when its path is an http(s) URL. Importing this module is cheap (no pandas).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from ..dates import human_date

PROVENANCE_MIME = "application/vnd.briefkit.provenance+json"
KEY_POINTS_MIME = "application/vnd.briefkit.key-points+json"  # bk.key_points: the bottom line, for the build

__all__ = ["PROVENANCE_MIME", "USED", "Used", "sources"]


@dataclass
class Used:
    """The tables a brief has shown, in first-use order; the latest call describes each."""

    tables: dict[str, dict] = field(default_factory=dict)

    def record(self, name: str, info: dict, rows: int, withheld: int) -> None:
        """Note that ``rows`` rows of table ``name`` were shown and ``withheld`` held back."""
        self.tables[name] = {**info, "name": name, "rows": rows, "withheld": withheld}

    def clear(self) -> None:
        self.tables.clear()

    def provenance(self) -> dict:
        """The provenance record: each table's name, title, date, rows, withheld, sources, licence."""
        tables = [{"name": u["name"], "title": u["title"], "as_of": u["as_of"], "rows": u["rows"],
                   "withheld": u["withheld"], "sources": u["sources"], "licence": u["licence"]}
                  for u in self.tables.values()]
        dates = [t["as_of"] for t in tables if t["as_of"]]
        return {"tables": tables, "as_of": max(dates) if dates else None}

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return bundle(self.provenance())


USED = Used()  # this kernel's brief


def sources() -> None:
    """Display the brief's Sources section and its provenance JSON as one output."""
    from IPython.display import display

    display(bundle(USED.provenance()), raw=True)


def bundle(provenance: dict) -> dict:
    """The display data of the Sources section: ``text/html`` and the provenance JSON."""
    return {"text/html": str(section_html(provenance)), PROVENANCE_MIME: provenance}


def section_html(provenance: dict) -> Markup:
    """The Sources section: every data value escaped; links only to http(s) URLs."""
    items = [_item(t) for t in provenance["tables"]]
    body = Markup("<ul>{0}</ul>").format(Markup("").join(items)) if items else Markup(
        "<p>No data tables were used.</p>")
    return Markup('<section class="sources"><h2>Sources</h2>{0}</section>').format(body)


def _item(t: dict) -> Markup:
    """One table in reader's words: its title, its date, its sources; the table's identifier
    only as a ``data-table`` attribute (for tools), never as text."""
    cites = Markup("; ").join(_cite(s) for s in t["sources"])
    n = t["withheld"]
    withheld = Markup(' <span class="withheld">{0} {1} marked above this brief\'s '
                      "classification {2} withheld.</span>").format(
        n, "row" if n == 1 else "rows", "was" if n == 1 else "were") if n else ""
    as_of = Markup(", data as of {0}").format(human_date(t["as_of"])) if t["as_of"] else ""
    return Markup('<li data-table="{name}"><strong>{title}</strong>{as_of}. '
                  "Sources: {cites}. Licence: {licence}.{withheld}</li>").format(
        title=t["title"], name=t["name"], as_of=as_of, cites=cites or "not stated",
        licence=t["licence"] or "not stated", withheld=withheld)


def _cite(s: dict) -> Markup:
    title, where = s.get("title", ""), s.get("path", "")
    if where.startswith(("https://", "http://")):
        text = Markup('<a href="{0}">{1}</a> (<span class="url">{0}</span>)').format(where, title)
    elif where:
        text = Markup("{0} ({1})").format(title, where)
    else:
        text = Markup("{0}").format(title)
    if s.get("publisher"):
        text += Markup(", {0}").format(s["publisher"])
    return text
