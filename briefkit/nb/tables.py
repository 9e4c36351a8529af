"""Tables for a brief: typed rows at or below its marking, and each table's metadata.

    threats = bk.table("threats", marking=marking)   # rows above the marking never arrive
    info = bk.table_info("threats")                   # title, as_of, sources, licence

**Ceiling.** The engine starts each brief's kernel with ``BRIEFKIT_MARKING`` set to the
brief's marking (read through :func:`briefkit.config.kernel_settings`). Then that is the
ceiling: ``table(name, marking=X)`` with X above it raises :class:`BriefkitError`, and a lower
X narrows. Without it (an analyst in JupyterLab) ``marking`` is used as given. This is the only
public way to rows; each call is recorded for the brief's Sources section
(:data:`briefkit.nb.sources.USED`).

**Declared reads.** For a brief whose notebook computes table names and that declares them in
pack.yml (``reads: [...]``), the engine also sets ``BRIEFKIT_READS``: the tables the planner
hashed for it. ``table()`` then refuses any other table, so a declaration cannot lie (a brief
reading an undeclared table would not be rebuilt when that table changes).
"""

from __future__ import annotations

from briefkit import config, markings
from briefkit.data.store import load
from briefkit.data.validate import DESCRIPTOR
from briefkit.errors import BriefkitError, did_you_mean
from briefkit.nb.sources import USED

__all__ = ["ceiling", "measure_of", "table", "table_info"]

CEILING_ENV = "BRIEFKIT_MARKING"  # named in messages; read only by briefkit.config
READS_ENV = "BRIEFKIT_READS"


def table(name: str, marking: str = markings.DEFAULT, columns=None):
    """Table ``name`` as a typed DataFrame without rows marked above ``marking``.

    When the engine set a ceiling (the brief's marking), a ``marking`` above it raises
    :class:`BriefkitError` and a lower one narrows. ``columns`` picks columns, in order.
    """
    pkg = load()
    _known(pkg, name)
    _declared(name)
    rows, withheld = pkg._rows(name, ceiling(marking, name), columns)
    USED.record(name, pkg.resources[name], len(rows), withheld)  # the latest call describes the brief
    return rows


def table_info(name: str) -> dict:
    """Table ``name``'s metadata: ``title``, ``as_of`` (ISO date or ""), ``sources``, ``licence``.

    ``sources`` is a list of dicts (``title``, ``path``, ``publisher``, ...), as in
    data/datapackage.yaml. No rows, so no ceiling applies; nothing is recorded.
    """
    pkg = load()
    _known(pkg, name)
    info = pkg.resources[name]
    return {"title": info["title"], "as_of": info["as_of"],
            "sources": [dict(s) for s in info["sources"]], "licence": info["licence"]}


def measure_of(name: str, column: str) -> dict:
    """What column ``column`` of table ``name`` counts, from the schema: ``{"unit": "warheads",
    "measure": "military stockpile"}`` (``unit_field`` when each row names its unit); ``{}`` when
    the schema says nothing. Format values with :func:`briefkit.nb.prose.fmt_quantity`."""
    pkg = load()
    _known(pkg, name)
    units = pkg.resources[name].get("units", {})
    if column not in units:
        fields = [f["name"] for f in next(r for r in pkg._state.descriptor if r["name"] == name)["schema"]["fields"]]
        if column not in fields:
            raise BriefkitError(f"Table {name!r} has no column {column!r}.{did_you_mean(column, fields)}")
        return {}
    return dict(units[column])


def ceiling(marking: str = markings.DEFAULT, name: str | None = None) -> str:
    """The marking rows may carry: ``marking``, checked against the brief's ceiling if set."""
    what = f"table {name!r}" if name else "data"
    try:
        asked = markings.normalise(marking)
    except ValueError as exc:
        raise BriefkitError(f"Cannot show {what}: {exc}") from exc
    env = config.kernel_settings().marking
    if env is None:
        return asked
    try:
        brief = markings.normalise(env)
    except ValueError as exc:
        raise BriefkitError(f"{CEILING_ENV} is set to {env[:40]!r}, which is not a protective "
                            f"marking, so no data can be shown. The build sets it to the brief's "
                            f"marking; outside a build, unset it or set it to one of "
                            f"{', '.join(markings.ORDER)}.") from exc
    if markings.rank(asked) > markings.rank(brief):
        raise BriefkitError(
            f"Cannot show {what} at {asked}: this brief is marked {brief}, and no row marked above "
            f"{brief} may appear in it. Pass marking=marking (the brief's own marking) or a lower "
            f"one; if the brief really needs {asked} rows, set its marking to {asked} in pack.yml.")
    return asked


def _declared(name: str) -> None:
    allowed = config.kernel_settings().reads
    if allowed is not None and name not in allowed:
        raise BriefkitError(
            f"This brief may not read table {name!r}: add {name!r} to the brief's reads: list in "
            f"pack.yml. Its notebook computes table names, so the build rebuilds it only when a table it "
            f"names literally or declares there changes ({READS_ENV}: {', '.join(sorted(allowed)) or 'none'}).")


def _known(pkg, name: str) -> None:
    if name not in pkg.resources:
        raise BriefkitError(f"There is no table {name!r} in {DESCRIPTOR}.{did_you_mean(name, pkg.resources)} "
                            f"Tables: {', '.join(sorted(pkg.resources))}.")
