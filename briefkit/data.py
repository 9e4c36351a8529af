"""The data package: validated once per build, typed tables, marking ceilings, provenance.

    root = find_pack_root()          # $BRIEFKIT_PACK, else the folder above holding pack.yml
    validate(root)                   # raises DataValidationError listing every problem
    pkg = load(root)                 # typed tables, cached in .cache/briefkit/data-<hash>.pickle

In a notebook (each brief runs in its own kernel; the cache makes this cheap)::

    threats = bk.table("threats", marking=marking)   # rows above the marking never arrive
    bk.sources()                                      # Sources section + provenance JSON

The cache is keyed on the content of data/datapackage.yaml and every CSV under data/
(black-style: size and mtime first, then a hash of files that changed). A cache that
cannot be read is a miss. Exports go through :func:`to_csv_safe`, which escapes text a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import pickle
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from briefkit import markings
from briefkit.errors import BriefkitError, DataValidationError, Problem
from briefkit.validate import DATA_DIR, DESCRIPTOR, DataWarning, check, read_descriptor

__all__ = ["DataPackage", "DataWarning", "Problem", "check", "escape_formula", "find_pack_root",
           "load", "sources", "table", "to_csv_safe", "used_tables", "validate"]

CACHE_VERSION = 1
CACHE_DIR = ".cache/briefkit"
PROVENANCE_MIME = "application/vnd.briefkit.provenance+json"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_LOADED: dict[Path, DataPackage] = {}  # per process: root -> last package loaded
_USED: dict[str, dict] = {}  # per kernel: tables this brief has shown


@dataclass(frozen=True)
class DataPackage:
    """Typed tables (name -> DataFrame, every row) and each resource's metadata."""

    key: str
    tables: dict
    resources: dict


def find_pack_root(start=None) -> Path:
    """``$BRIEFKIT_PACK`` if set, else the nearest folder at or above ``start`` with pack.yml."""
    env = os.environ.get("BRIEFKIT_PACK")
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / "pack.yml").is_file():
            raise BriefkitError(f"BRIEFKIT_PACK is set to {root}, but there is no pack.yml there. "
                                "Point it at the pack's root folder, or unset it.")
        return root
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pack.yml").is_file():
            return folder
    raise BriefkitError(f"No pack.yml found in {here} or any folder above it. Run from inside "
                        "the pack, or set BRIEFKIT_PACK to the pack's root folder.")


def validate(root) -> None:
    """Raise :class:`DataValidationError` with every problem, or return quietly.

    Only valid data is ever cached, so an unchanged package with a cache entry is not checked
    again: ``validate`` then ``load`` in one build checks once.
    """
    load(root)


def load(root=None) -> DataPackage:
    """The validated, typed package; validates only when data changed since the last build."""
    root = Path(root).resolve() if root else find_pack_root()
    key = _fingerprint(root)
    cached = _LOADED.get(root)
    if cached is not None and cached.key == key:
        return cached
    path = root / CACHE_DIR / f"data-{key}.pickle"
    try:
        with open(path, "rb") as fh:
            pkg = pickle.load(fh)
        if not isinstance(pkg, DataPackage) or pkg.key != key:
            raise ValueError("stale cache")
    except Exception:  # missing, corrupt or from another version: a miss
        problems = check(root)
        if problems:
            raise DataValidationError(problems) from None
        pkg = _build(root, key)
        _atomic_write(path, pickle.dumps(pkg, protocol=pickle.HIGHEST_PROTOCOL))
        for old in path.parent.glob("data-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)  # earlier versions of the data
    _LOADED[root] = pkg
    return pkg


def table(name: str, marking: str = markings.DEFAULT, columns=None):
    """Table ``name`` as a typed DataFrame without rows marked above ``marking``."""
    pkg = load()
    if name not in pkg.tables:
        raise BriefkitError(f"There is no table {name!r} in {DESCRIPTOR}.{_did_you_mean(name, pkg.tables)} "
                            f"Tables: {', '.join(sorted(pkg.tables))}.")
    try:
        ceiling = markings.normalise(marking)
    except ValueError as exc:
        raise BriefkitError(f"Cannot show table {name!r}: {exc}") from exc
    df = pkg.tables[name]
    allowed = list(markings.ORDER[: markings.rank(ceiling) + 1])
    keep = df["classification"].astype(str).isin(allowed).to_numpy()
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
        for col in columns:
            if col not in df.columns:
                raise BriefkitError(f"Table {name!r} has no column {col!r}."
                                    f"{_did_you_mean(col, df.columns)} Columns: {', '.join(df.columns)}.")
    out = df.loc[keep, columns if columns is not None else df.columns].reset_index(drop=True)
    _USED[name] = {**pkg.resources[name], "name": name, "rows": len(out),
                   "withheld": int((~keep).sum())}  # the latest call describes the brief
    return out.copy()


def sources() -> None:
    """Display the brief's Sources section and its provenance JSON as one output."""
    from IPython.display import display

    display(_sources_bundle(), raw=True)


def used_tables(notebook_path) -> set[str] | None:
    """Table names a notebook asks for; None if any ``table(...)`` call uses a non-literal name."""
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for call in re.finditer(r"\btable\s*\(", source):
            literal = re.match(r"\s*(?:name\s*=\s*)?(['\"])([^'\"\\]+)\1\s*[,)]",
                               source[call.end():])
            if literal is None:
                return None
            names.add(literal.group(2))
    return names


def escape_formula(value):
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv_safe(df, path) -> Path:
    """Write ``df`` as UTF-8 CSV with every text cell and header passed through escape_formula."""
    out = df.copy()
    out.columns = [escape_formula(str(c)) for c in out.columns]
    for col in out.columns:
        if not (out[col].dtype.kind in "biufcmM" or str(out[col].dtype) == "boolean"):
            out[col] = out[col].astype(object).map(escape_formula)
    path = Path(path)
    _atomic_write(path, out.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return path


# --- internals -------------------------------------------------------------------------------


def _did_you_mean(word, choices) -> str:
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" Did you mean {match[0]!r}?" if match else ""


def _inputs(root: Path) -> list[Path]:
    data = root / DATA_DIR
    return [root / DESCRIPTOR, *sorted(p for p in data.rglob("*.csv") if p.is_file())]


def _fingerprint(root: Path) -> str:
    """Content hash of the package; unchanged files (same size and mtime) are not re-read."""
    index_path = root / CACHE_DIR / "data-index.json"
    try:
        index = json.loads(index_path.read_text())
    except Exception:
        index = {}
    fresh, digests = {}, []
    for path in _inputs(root):
        rel = path.relative_to(root).as_posix()
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        old = index.get(rel)
        if old and old["size"] == st.st_size and old["mtime_ns"] == st.st_mtime_ns:
            digest = old["sha256"]
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        fresh[rel] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        digests.append((rel, digest))
    if fresh != index:
        try:
            _atomic_write(index_path, json.dumps(fresh, indent=1).encode())
        except OSError:
            pass  # a read-only checkout still works, it just hashes every time
    return hashlib.sha256(json.dumps([CACHE_VERSION, digests]).encode()).hexdigest()[:20]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        try:
            tmp.write(data)
        except BaseException:
            os.unlink(tmp.name)
            raise
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)


def _build(root: Path, key: str) -> DataPackage:
    descriptor, _ = read_descriptor(root)
    tables, resources = {}, {}
    for res in descriptor["resources"]:
        tables[res["name"]] = _typed(root / DATA_DIR / res["path"], res["schema"])
        resources[res["name"]] = {
            "title": res.get("title", res["name"]),
            "as_of": str(res.get("as_of", "")),
            "sources": [{k: str(v) for k, v in s.items()} for s in res.get("sources", [])],
            "licence": "; ".join(l.get("title") or l.get("name", "") for l in res.get("licenses", [])),
            "licenses": res.get("licenses", []),
        }
    return DataPackage(key, tables, resources)


def _typed(path: Path, schema: dict):
    """Read a validated CSV with the schema's types: Int64, float, boolean, datetime, Categorical."""
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    for spec in schema["fields"]:
        name, kind = spec["name"], spec.get("type", "string")
        col = df[name]
        enum = spec.get("constraints", {}).get("enum")
        if kind in ("integer", "year"):
            df[name] = pd.to_numeric(col).astype("Int64")
        elif kind == "number":
            df[name] = pd.to_numeric(col).astype("float64")
        elif kind == "boolean":
            true = spec.get("trueValues", ["true", "True", "TRUE", "1"])
            false = spec.get("falseValues", ["false", "False", "FALSE", "0"])
            df[name] = col.map(lambda v: True if v in true else False if v in false else pd.NA
                               ).astype("boolean")
        elif kind == "date":
            df[name] = pd.to_datetime(col, format="%Y-%m-%d")
        elif kind == "datetime":
            df[name] = pd.to_datetime(col)
        elif enum:
            df[name] = pd.Categorical(col, categories=[str(e) for e in enum], ordered=True)
    return df[[f["name"] for f in schema["fields"]]]


def _provenance() -> dict:
    tables = [{"name": u["name"], "title": u["title"], "as_of": u["as_of"], "rows": u["rows"],
               "withheld": u["withheld"], "sources": u["sources"], "licence": u["licence"]}
              for u in _USED.values()]
    dates = [t["as_of"] for t in tables if t["as_of"]]
    return {"tables": tables, "as_of": max(dates) if dates else None}


def _sources_bundle() -> dict:
    from html import escape

    prov = _provenance()
    items = []
    for t in prov["tables"]:
        cites = []
        for s in t["sources"]:
            title, where = escape(s.get("title", "")), s.get("path", "")
            if where.startswith(("https://", "http://")):
                text = f'<a href="{escape(where)}">{title}</a> (<span class="url">{escape(where)}</span>)'
            else:
                text = title + (f" ({escape(where)})" if where else "")
            if s.get("publisher"):
                text += f", {escape(s['publisher'])}"
            cites.append(text)
        withheld = (f' <span class="withheld">{t["withheld"]} row(s) marked above this '
                    "brief's classification were withheld.</span>") if t["withheld"] else ""
        items.append(f"<li><strong>{escape(t['title'])}</strong> "
                     f"(<code>{escape(t['name'])}</code>), data as of {escape(t['as_of'])}. "
                     f"Sources: {'; '.join(cites) or 'not stated'}. "
                     f"Licence: {escape(t['licence'] or 'not stated')}.{withheld}</li>")
    body = f"<ul>{''.join(items)}</ul>" if items else "<p>No data tables were used.</p>"
    html = f'<section class="sources"><h2>Sources</h2>{body}</section>'
    return {"text/html": html, PROVENANCE_MIME: prov}
