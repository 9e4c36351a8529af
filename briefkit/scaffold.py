"""``python build.py new ID --title "..."``: start a brief in one command.

    notebook, entry = new_brief(Path("pack.yml"), "sanctions", "Sanctions regimes")

Writes ``notebooks/<id>.ipynb`` (a typed parameters cell with the marking, a data-loading
cell, the key points, a table and the Sources section: the shape every brief has) and
appends the brief to pack.yml as text, so the catalogue's comments and layout stay as they
are. The appended catalogue is loaded back before anything is kept: if it does not read as
the new brief, pack.yml is restored and the notebook removed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .catalogue import ID_PATTERN
from .errors import BriefkitError, CatalogueError


def new_brief(catalogue: Path, brief_id: str, title: str, notebook: str | None = None) -> tuple[Path, str]:
    """Write the notebook and add the brief to ``catalogue``; return (notebook path, YAML added)."""
    from . import catalogue as cat

    catalogue = Path(catalogue).resolve()
    pack = cat.load(catalogue)
    if not ID_PATTERN.match(brief_id):
        raise CatalogueError(f"{brief_id!r}: a brief id is lower-case letters, digits and hyphens "
                             "(it names the output files), e.g. sanctions or threat-space.")
    if any(b.id == brief_id for b in pack.briefs):
        raise CatalogueError(f"There is already a brief {brief_id!r} in {catalogue.name}. Choose another id, "
                             "or edit that brief's notebook.")
    if not title.strip():
        raise CatalogueError("--title is empty: give the brief's title, e.g. --title \"Sanctions regimes\".")
    rel = notebook or f"notebooks/{brief_id.replace('-', '_')}.ipynb"
    path = (pack.root / rel).resolve()
    if not path.is_relative_to(pack.root) or path.suffix != ".ipynb":
        raise CatalogueError(f"--notebook {rel}: give a .ipynb path inside the pack, e.g. notebooks/{brief_id}.ipynb.")
    if path.exists():
        raise BriefkitError(f"{path.relative_to(pack.root)} already exists; it is never overwritten. "
                            "Pass --notebook with a new name, or add the brief to pack.yml by hand.")
    table = _first_table(pack)
    entry = _entry(catalogue.read_text(encoding="utf-8"), brief_id, title, path.relative_to(pack.root).as_posix())
    original = catalogue.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook_json(table), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    try:
        text = original.decode("utf-8")
        with open(catalogue, "a", encoding="utf-8") as fh:
            fh.write(("" if text.endswith("\n") else "\n") + entry)
        cat.load(catalogue).brief(brief_id)  # reads back as the new brief, or undo
    except BaseException:
        catalogue.write_bytes(original)
        path.unlink(missing_ok=True)
        raise
    return path, entry


def _entry(text: str, brief_id: str, title: str, notebook: str) -> str:
    """The YAML block for the brief, indented like the catalogue's other entries."""
    found = re.findall(r"^( *)- id:", text, flags=re.M)
    indent = found[-1] if found else "  "
    if not re.search(r"^briefs:", text, flags=re.M) or not _briefs_last(text):
        raise CatalogueError("pack.yml's briefs: list is not its last section, so the new brief cannot be "
                             "appended as text; add it by hand (see README.md, 'The catalogue').")
    lines = [f"- id: {brief_id}", f"  title: {json.dumps(title, ensure_ascii=False)}", f"  notebook: {notebook}"]
    return "\n" + "".join(f"{indent}{line}\n" for line in lines)


def _briefs_last(text: str) -> bool:
    tops = [m.group(1) for m in re.finditer(r"^([A-Za-z_][\w-]*):", text, flags=re.M)]
    return bool(tops) and tops[-1] == "briefs"


def _first_table(pack) -> str | None:
    """The data package's first table (the skeleton loads it), or None without a package."""
    if not pack.data.exists():
        return None
    import yaml

    try:
        descriptor = yaml.safe_load(pack.data.read_text(encoding="utf-8")) or {}
        names = [r["name"] for r in descriptor.get("resources", []) if isinstance(r, dict) and r.get("name")]
    except (OSError, yaml.YAMLError, TypeError, KeyError):
        return None
    return names[0] if names else None


def _cell(kind: str, source: str, tags: list[str] | None = None) -> dict:
    cell = {"cell_type": kind, "metadata": {"tags": tags} if tags else {}, "source": source.strip("\n")}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook_json(table: str | None) -> dict:
    """The skeleton: parameters, data, key points, a table, Sources (committed without outputs)."""
    params = '''
marking: str = "UNCLASSIFIED"  # Protective marking: the ceiling for data shown
since: int = 2000  # First year shown (an example parameter: rename it or remove it)
'''
    if table:
        var = re.sub(r"\W", "_", table)
        load = f'''
import briefkit as bk

{var} = bk.table("{table}", marking=marking)  # rows at or below the brief's marking
info = bk.table_info("{table}")  # title, as_of, sources, licence
'''
        points = f'''
bk.key_points([
    f"The data holds {{bk.fmt_int(len({var}))}} rows of {{info['title']}} at or below {{marking}}.",
    "Replace these points with three to five sentences computed from the data.",
    "Each key point is one full sentence a minister can act on.",
])
'''
        detail = f'''
bk.show_table({var}.head(10), columns=list({var}.columns[:4]), caption=f"{{info['title']}}: the first rows")
'''
    else:
        load = '''
import briefkit as bk
'''
        points = '''
bk.key_points([
    "Replace these points with three to five sentences computed from the data.",
    "Load tables by name in the cell above: bk.table(name, marking=marking).",
    "Each key point is one full sentence a minister can act on.",
])
'''
        detail = '''
bk.md("Write what the reader needs to know here; put each chart or table in a cell of its own.")
'''
    cells = [
        _cell("code", params, ["parameters"]),
        _cell("code", load),
        _cell("code", points),
        _cell("markdown", "## Detail\n\nWhat the reader needs to know, one chart or table per cell below."),
        _cell("code", detail),
        _cell("code", "bk.sources()"),
    ]
    for number, cell in enumerate(cells, start=1):  # nbformat 4.5 cells carry ids
        cell["id"] = f"brief-{number}"
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
