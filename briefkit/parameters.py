"""A notebook's declared parameters, and checking values against them before any kernel starts.

Notebooks declare parameters in their first code cell, tagged ``parameters``, one per line::

    threat: str = "cyber"  # Threat id from data/threats.csv

papermill's inspection reads them; this module checks catalogue and command-line values
against those declarations so a wrong value stops the build before execution.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from . import markings
from .catalogue import Brief
from .errors import ParameterError, did_you_mean

TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}
MARKING = "marking"


@dataclass(frozen=True)
class Declared:
    """One declared parameter: name, type name, default (as source text) and help."""

    name: str
    type: str
    default: str
    help: str


def declared(notebook: Path) -> dict[str, Declared]:
    """The parameters a notebook declares, read with papermill's inspection."""
    from papermill.inspection import inspect_notebook

    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ParameterError(f"{notebook}: cannot be read as a notebook ({exc}). Open it in JupyterLab and save it again.") from exc
    if not any("parameters" in (c.get("metadata") or {}).get("tags", []) for c in cells if isinstance(c, dict)):
        raise ParameterError(
            f"{notebook}: no cell is tagged 'parameters'. In JupyterLab, select the first code cell, "
            "open the property inspector and add the tag 'parameters'."
        )
    try:
        inspected = inspect_notebook(str(notebook))
    except ValueError as exc:  # papermill: no kernel recorded in the notebook
        raise ParameterError(
            f"{notebook}: {exc} Open it in JupyterLab, choose the kernel 'Python 3 (briefing pack)' "
            "and save it, so that its metadata names the kernel."
        ) from exc
    except Exception as exc:  # nbformat raises several unrelated types for a broken file
        raise ParameterError(f"{notebook}: cannot be read as a notebook ({exc}). Open it in JupyterLab and save it again.") from exc
    found = {}
    for p in inspected.values():
        found[p["name"]] = Declared(p["name"], p["inferred_type_name"], p["default"], p["help"])
    untyped = [d.name for d in found.values() if d.type not in TYPES]
    if untyped:
        raise ParameterError(
            f"{notebook}: parameter(s) {', '.join(untyped)} have no supported type. Write each as "
            f"`name: type = default  # help` with type one of {', '.join(TYPES)}."
        )
    if MARKING not in found:
        raise ParameterError(
            f"{notebook}: the parameters cell does not declare `marking`. Add the line\n"
            '    marking: str = "UNCLASSIFIED"  # Protective marking: the ceiling for data shown\n'
            "and pass it on: bk.table(name, marking=marking)."
        )
    return found


def check_value(brief_id: str, decl: Declared, value: Any) -> Any:
    """Return ``value`` if it fits ``decl`` (ints are accepted for floats), else raise."""
    expected = TYPES[decl.type]
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise ParameterError(
            f"Brief '{brief_id}', parameter '{decl.name}': given {value!r} "
            f"({type(value).__name__}), but the notebook declares {decl.type} "
            f"(default {decl.default}{'; ' + decl.help if decl.help else ''}). "
            "Fix the value in pack.yml or on the command line."
        )
    if decl.name == MARKING:
        try:
            value = markings.normalise(value)
        except ValueError as exc:
            raise ParameterError(f"Brief '{brief_id}', parameter 'marking': {exc}") from exc
    return value


def coerce(text: str, type_name: str) -> Any:
    """Turn command-line text into a value of ``type_name`` (raises ValueError)."""
    if type_name == "str":
        return text
    if type_name == "int":
        return int(text)
    if type_name == "float":
        return float(text)
    if type_name == "bool":
        lowered = text.strip().lower()
        if lowered in {"true", "yes", "1", "on"}:
            return True
        if lowered in {"false", "no", "0", "off"}:
            return False
        raise ValueError("expected true or false")
    value = json.loads(text)
    if not isinstance(value, TYPES[type_name]):
        raise ValueError(f"expected a JSON {type_name}")
    return value


def parse_overrides(items: Iterable[str]) -> list[tuple[str, str, str]]:
    """Split ``-p ID.name=value`` options into (id pattern, name, text)."""
    out = []
    for item in items:
        head, sep, text = item.partition("=")
        pattern, dot, name = head.rpartition(".")
        if not sep or not dot or not pattern or not name:
            raise ParameterError(
                f"-p {item!r}: write -p BRIEF_ID.NAME=VALUE (the id may be a glob, e.g. -p 'threat-*.since=2000')."
            )
        out.append((pattern, name, text))
    return out


def resolve(brief: Brief, overrides: list[tuple[str, str, str]] = ()) -> Brief:
    """The brief with its parameters checked and command-line overrides applied.

    The brief's ``marking`` is always passed to the notebook as the ``marking`` parameter.
    """
    decls = declared(brief.notebook)
    values = dict(brief.parameters)
    if MARKING in values:
        raise ParameterError(
            f"Brief '{brief.id}': set the protective marking with `marking:` on the brief in pack.yml, "
            "not under parameters (it also marks every page)."
        )
    for pattern, name, text in overrides:
        if not fnmatch.fnmatchcase(brief.id, pattern):
            continue
        if name not in decls and name != MARKING and is_glob(pattern):
            continue  # a glob sets the parameter on the matching briefs that declare it
        decl = decls.get(name) or _unknown(brief, name, decls, "on the command line")
        try:
            values[name] = coerce(text, decl.type)
        except ValueError as exc:
            raise ParameterError(
                f"Brief '{brief.id}', parameter '{name}': given {text!r} on the command line, "
                f"but the notebook declares {decl.type} ({exc})."
            ) from exc
    marking = values.pop(MARKING, brief.marking)
    for name, value in values.items():
        decl = decls.get(name) or _unknown(brief, name, decls, "in pack.yml")
        values[name] = check_value(brief.id, decl, value)
    marking = check_value(brief.id, decls[MARKING], marking)
    values[MARKING] = marking
    return Brief(**{**brief.__dict__, "parameters": values, "marking": marking})


def is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def check_overrides(briefs: Iterable[Brief], overrides: list[tuple[str, str, str]]) -> None:
    """Every ``-p ID.NAME=VALUE`` must reach a brief: an id (or glob) matching none of the
    pack's briefs, or a glob whose matching briefs none declares NAME, is an error, not a no-op."""
    briefs = list(briefs)
    ids = [b.id for b in briefs]
    for pattern, name, text in overrides:
        matched = [b for b in briefs if fnmatch.fnmatchcase(b.id, pattern)]
        if not matched:
            raise ParameterError(
                f"-p {pattern}.{name}={text}: no brief id matches {pattern!r}.{did_you_mean(pattern, ids, n=3, cutoff=0.5)} "
                "Run: python build.py --list to see every brief id and its parameters."
            )
        if name != MARKING and is_glob(pattern) and not any(name in declared(b.notebook) for b in matched):
            raise ParameterError(
                f"-p {pattern}.{name}={text}: none of the briefs matching {pattern!r} "
                f"({', '.join(b.id for b in matched)}) declares a parameter {name!r}. "
                "Run: python build.py --list to see each brief's parameters."
            )


def _unknown(brief: Brief, name: str, decls: dict[str, Declared], where: str):
    hint = did_you_mean(name, decls)
    allowed = ", ".join(f"{d.name}: {d.type}" for d in decls.values())
    raise ParameterError(
        f"Brief '{brief.id}': unknown parameter '{name}' {where}.{hint} "
        f"{brief.notebook.name} declares: {allowed}."
    )
