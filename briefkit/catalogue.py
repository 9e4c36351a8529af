"""The catalogue: ``pack.yml`` → frozen :class:`Brief` records.

A catalogue lists the briefs of a pack. One notebook may appear many times with different
parameters, either as separate entries or through ``each:``::

    pack:
      title: NZ International Security Briefing Pack
      defaults: {marking: UNCLASSIFIED, formats: [html, pdf], audience: Policy staff}
    briefs:
      - id: outlook
        title: International security outlook
        notebook: notebooks/outlook.ipynb
        parameters: {since: 1990}
      - id: threat-{threat}
        notebook: notebooks/threat_profile.ipynb
        each:
          - {title: "Threat profile: Terrorism", parameters: {threat: terrorism}}

``id`` and ``title`` may hold ``{name}`` fields filled from the brief's parameters.

``reads: [table, ...]`` declares the data tables a brief reads under names its notebook
computes (``bk.table(name)``), so that the planner rebuilds it only when one of those (or a
table named literally) changes; the kernel refuses any other table. Under ``each:``, an
item's ``reads`` adds to the entry's.

``group: NAME`` (or a list) puts a brief in a group: ``build.py --only group:threats``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from . import exporters, markings
from .errors import CatalogueError, did_you_mean

FORMATS = exporters.names()  # every format there is an exporter for
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
BRIEF_KEYS = {"id", "title", "subtitle", "notebook", "parameters", "formats", "marking", "audience", "reads", "each",
              "group"}
ITEM_KEYS = BRIEF_KEYS - {"each", "notebook"}
PACK_KEYS = {"title", "publisher", "output", "data", "code", "defaults",
             "issuing_division", "contact_officer", "approver"}  # the last three: the combined PDF's cover
DEFAULT_KEYS = {"marking", "formats", "audience"}


@dataclass(frozen=True)
class Brief:
    """One briefing to build: a notebook with its parameter values and presentation."""

    id: str
    title: str
    notebook: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    subtitle: str = ""
    formats: tuple[str, ...] = exporters.DEFAULT
    marking: str = markings.DEFAULT
    audience: str = ""
    reads: tuple[str, ...] = ()  # tables read under computed names (pack.yml ``reads:``)
    groups: tuple[str, ...] = ()  # pack.yml ``group:``: selected with ``--only group:NAME``

    def with_parameters(self, overrides: Mapping[str, Any]) -> "Brief":
        merged = {**self.parameters, **overrides}
        return Brief(**{**self.__dict__, "parameters": MappingProxyType(merged)})


@dataclass(frozen=True)
class Pack:
    """The whole catalogue: pack-level settings and the briefs in catalogue order."""

    root: Path
    title: str
    briefs: tuple[Brief, ...]
    publisher: str = ""
    output: Path = Path("briefs")
    source: Path = Path("pack.yml")
    data: Path = Path("data/datapackage.yaml")
    code: tuple[Path, ...] = ()  # content-side code (e.g. chart helpers) every brief depends on
    issuing_division: str = ""  # who issues the pack: the cover, and every PDF's Author
    contact_officer: str = ""  # whom a reader asks about the pack (cover)
    approver: str = ""  # who approved its release (cover)

    def brief(self, brief_id: str) -> Brief:
        for brief in self.briefs:
            if brief.id == brief_id:
                return brief
        raise CatalogueError(_unknown_id_message(brief_id, [b.id for b in self.briefs]))

    def select(self, patterns: list[str] | None) -> tuple[Brief, ...]:
        """Briefs whose id matches any of ``patterns`` (globs) or whose ``group:`` is named by a
        ``group:NAME`` pattern; all briefs when None/empty."""
        if not patterns:
            return self.briefs
        ids = [b.id for b in self.briefs]
        groups = sorted({g for b in self.briefs for g in b.groups})
        for pattern in patterns:
            if pattern.startswith("group:"):
                if pattern[6:] not in groups:
                    hint = did_you_mean(pattern[6:], groups, quote=False)
                    raise CatalogueError(f"No group {pattern[6:]!r} in pack.yml.{hint} Groups: "
                                         f"{', '.join(groups) or 'none (add group: NAME to a brief)'}.")
            elif not fnmatch.filter(ids, pattern):
                raise CatalogueError(_unknown_id_message(pattern, ids))
        return tuple(b for b in self.briefs if any(_selects(b, p) for p in patterns))


def _selects(brief: Brief, pattern: str) -> bool:
    if pattern.startswith("group:"):
        return pattern[6:] in brief.groups
    return fnmatch.fnmatchcase(brief.id, pattern)


def _unknown_id_message(given: str, ids: list[str]) -> str:
    hint = did_you_mean(given, ids, n=3, cutoff=0.5, quote=False)
    return (
        f"No brief matches {given!r} in pack.yml.{hint} "
        "Run: python build.py --list to see every brief id."
    )


def slug(value: Any) -> str:
    """'Southeast Asia' → 'southeast-asia': a parameter value made fit for an id."""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")


def load(path: str | Path = "pack.yml") -> Pack:
    """Read and check ``pack.yml``; raise :class:`CatalogueError` naming the problem."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise CatalogueError(
            f"No catalogue at {path}. Run build.py from the pack's folder, or pass --pack PATH."
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CatalogueError(
            f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}). Fix the YAML and try again."
        ) from exc
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{path}: not UTF-8 text ({exc}). Save it as UTF-8.") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("briefs"), list):
        raise CatalogueError(f"{path}: expected a mapping with a 'briefs:' list. See README.md, 'The catalogue'.")

    root = path.resolve().parent
    settings = _mapping(raw.get("pack"), f"{path}: 'pack:'")
    _known_keys(settings, PACK_KEYS, f"{path}: 'pack:'")
    defaults = _mapping(settings.get("defaults"), f"{path}: 'pack: defaults:'")
    _known_keys(defaults, DEFAULT_KEYS, f"{path}: 'pack: defaults:'")
    if not raw["briefs"]:
        raise CatalogueError(
            f"{path}: 'briefs:' is empty, so there is nothing to build (and the last build's "
            "manifest is kept). Add a brief; see README.md, 'The catalogue'."
        )
    briefs: list[Brief] = []
    for number, entry in enumerate(raw["briefs"], start=1):
        briefs.extend(_expand(entry, number, defaults, root, path))

    seen: dict[str, int] = {}
    for brief in briefs:
        key = brief.id.lower()
        if key in seen:
            raise CatalogueError(
                f"{path}: brief id {brief.id!r} appears twice; ids name the output files and must be "
                "unique. Give one of them another id (with each:, put a {parameter} in the id)."
            )
        seen[key] = 1
    code = settings.get("code") or []
    if not isinstance(code, list):
        raise CatalogueError(f"{path}: 'pack: code:' must be a list of folders or files, e.g. [security_pack].")
    output = _inside(root, settings.get("output", "briefs"), f"{path}: 'pack: output:'")
    if output == root:
        raise CatalogueError(f"{path}: 'pack: output:' must be a folder of its own inside the pack, "
                             "not the pack's root (e.g. output: briefs).")
    return Pack(
        root=root,
        title=str(settings.get("title", "Briefing pack")),
        publisher=str(settings.get("publisher", "")),
        output=output.relative_to(root),
        briefs=tuple(briefs),
        source=path,
        data=_inside(root, settings.get("data", "data/datapackage.yaml"), f"{path}: 'pack: data:'"),
        code=tuple(_inside(root, p, f"{path}: 'pack: code:'") for p in code),
        **{key: str(settings.get(key) or "") for key in ("issuing_division", "contact_officer", "approver")},
    )


def _mapping(value: Any, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CatalogueError(f"{where} must be a mapping of key: value, not {type(value).__name__}.")
    return value


def _known_keys(mapping: dict, allowed: set[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise CatalogueError(
                f"{where} has an unknown key {key!r}.{did_you_mean(str(key), allowed)} "
                f"Allowed: {', '.join(sorted(allowed))}. A misspelt key would otherwise be ignored."
            )


def _inside(root: Path, value: Any, where: str) -> Path:
    """``value`` (a path relative to the pack) resolved, refused unless it stays inside the pack."""
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: expected a path inside the pack, got {value!r}.")
    resolved = (root / value).resolve()
    if not resolved.is_relative_to(root):
        raise CatalogueError(
            f"{where} {value!r} resolves to {resolved}, outside the pack ({root}). Paths in pack.yml "
            "must stay inside the pack's folder (no '..', absolute paths or links leading out)."
        )
    return resolved


def _expand(entry: Any, number: int, defaults: dict, root: Path, path: Path) -> list[Brief]:
    where = f"{path}: brief #{number}"
    if not isinstance(entry, dict):
        raise CatalogueError(f"{where} is not a mapping of id, title, notebook, parameters.")
    unknown = set(entry) - BRIEF_KEYS
    if unknown:
        raise CatalogueError(
            f"{where} ({entry.get('id', '?')}): unknown key(s) {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(BRIEF_KEYS))}."
        )
    items = entry.get("each")
    if items is None:
        return [_brief(entry, where, defaults, root)]
    if not isinstance(items, list) or not items:
        raise CatalogueError(f"{where}: 'each:' must be a non-empty list of {{title, parameters}} mappings.")
    out = []
    for k, item in enumerate(items, start=1):
        if not isinstance(item, dict) or set(item) - ITEM_KEYS:
            raise CatalogueError(
                f"{where}, each item #{k}: expected a mapping with keys from {', '.join(sorted(ITEM_KEYS))}."
            )
        merged = {key: value for key, value in entry.items() if key != "each"}
        merged.update({key: value for key, value in item.items() if key != "parameters"})
        merged["parameters"] = {**(entry.get("parameters") or {}), **(item.get("parameters") or {})}
        if "reads" in entry and "reads" in item:
            merged["reads"] = [*_reads(entry, where), *_reads(item, f"{where}, each item #{k}")]
        out.append(_brief(merged, f"{where}, each item #{k}", defaults, root))
    return out


def _brief(entry: dict, where: str, defaults: dict, root: Path) -> Brief:
    parameters = entry.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise CatalogueError(f"{where}: 'parameters' must be a mapping of name: value.")
    fields = {str(k): v for k, v in parameters.items()}

    def fill(text: Any, key: str) -> str:
        values = {k: slug(v) for k, v in fields.items()} if key == "id" else fields
        try:
            return str(text).format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            raise CatalogueError(
                f"{where}: {key} {text!r} names {exc} which is not one of its parameters "
                f"({', '.join(fields) or 'none'})."
            ) from exc

    for required in ("id", "notebook"):
        if not entry.get(required):
            raise CatalogueError(f"{where}: '{required}' is required.")
    brief_id = fill(entry["id"], "id")
    if not ID_PATTERN.match(brief_id):
        raise CatalogueError(
            f"{where}: id {brief_id!r} must be lower-case letters, digits and hyphens "
            "(it names the output files)."
        )
    notebook = _inside(root, entry["notebook"], f"{where} ({brief_id}): notebook")
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise CatalogueError(f"{where} ({brief_id}): notebook {entry['notebook']} does not exist.")
    formats = entry.get("formats", defaults.get("formats", list(exporters.DEFAULT)))
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise CatalogueError(f"{where} ({brief_id}): formats {formats!r} must be a list such as [html, pdf]; "
                             f"allowed: {', '.join(FORMATS)}.")
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise CatalogueError(f"{where} ({brief_id}): formats {formats!r}; allowed: {', '.join(FORMATS)}.")
    try:
        marking = markings.normalise(entry.get("marking", defaults.get("marking", markings.DEFAULT)))
    except ValueError as exc:
        raise CatalogueError(f"{where} ({brief_id}): marking {exc}") from exc
    return Brief(
        id=brief_id,
        title=fill(entry.get("title", brief_id), "title"),
        subtitle=fill(entry.get("subtitle", ""), "subtitle"),
        notebook=notebook,
        parameters=MappingProxyType(dict(parameters)),
        formats=tuple(f for f in FORMATS if f in formats),
        marking=marking,
        audience=str(entry.get("audience", defaults.get("audience", ""))),
        reads=tuple(dict.fromkeys(_reads(entry, f"{where} ({brief_id})"))),
        groups=_groups(entry, f"{where} ({brief_id})"),
    )


def _groups(entry: dict, where: str) -> tuple[str, ...]:
    """``group: NAME`` or ``group: [NAME, ...]``: what ``--only group:NAME`` selects."""
    value = entry.get("group")
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(g, str) and ID_PATTERN.match(g) for g in names):
        raise CatalogueError(f"{where}: group {value!r} must be a name or a list of names in lower-case "
                             "letters, digits and hyphens, e.g. group: threats.")
    return tuple(dict.fromkeys(names))


def _reads(entry: dict, where: str) -> list[str]:
    """The ``reads:`` list of table names (checked against the data package by the engine's check)."""
    reads = entry.get("reads")
    if reads is None:
        return []
    if not isinstance(reads, list) or not all(isinstance(r, str) and r.strip() for r in reads):
        raise CatalogueError(f"{where}: reads {reads!r} must be a list of data table names, "
                             "e.g. reads: [cyber_incidents].")
    return [r.strip() for r in reads]
