"""The data package: validated once per build, typed tables, marking ceilings, provenance.

    root = find_pack_root()          # $BRIEFKIT_PACK, else the folder above holding pack.yml
    validate(root)                   # raises DataValidationError listing every problem
    pkg = load(root)                 # the validated package: metadata, and pkg.table(...)

In a notebook (each brief runs in its own kernel)::

    threats = bk.table("threats", marking=marking)   # rows above the marking never arrive
    bk.sources()                                      # Sources section + provenance JSON

**Ceiling.** The engine starts each brief's kernel with ``BRIEFKIT_MARKING`` set to the
brief's marking. Then that is the ceiling: ``table(name, marking=X)`` with X above it raises
:class:`BriefkitError`, and a lower X narrows. Without the variable (an analyst in
JupyterLab) ``marking`` is used as given. No public name hands out unfiltered rows: the
package's typed tables are private and :func:`table` / :meth:`DataPackage.table` filter.
Python in the same process can still read files, so this is not a sandbox: the engine's
last line of defence is :mod:`briefkit.withheld`, which scans every output before publishing.

**Cache.** Every input (data/datapackage.yaml and every CSV under data/) is read and hashed on
every load (SHA-256 of the bytes: about 2 ms for the whole package; never size or mtime). A
package that validated leaves a JSON stamp ``.cache/briefkit/data-<key>.json`` holding its
parsed descriptor, so the next kernel need not validate or parse YAML again; tables are then
parsed lazily from the very bytes that were hashed. Nothing in the cache can run code, and a
stamp that cannot be read or does not match is a miss. Symbolic links under data/ are refused.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import posixpath
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from briefkit import markings
from briefkit.errors import BriefkitError, DataValidationError, Problem
from briefkit.validate import DATA_DIR, DESCRIPTOR, DataWarning, check

__all__ = ["CEILING_ENV", "DataPackage", "DataWarning", "Problem", "ceiling", "check", 
           "find_pack_root", "load", "sources", "table", "used_tables", "validate"]

CACHE_VERSION = 2
CACHE_DIR = ".cache/briefkit"
CEILING_ENV = "BRIEFKIT_MARKING"
PROVENANCE_MIME = "application/vnd.briefkit.provenance+json"
STAMP_FORMAT = "briefkit-validated-data"
STAMP_MAX_BYTES = 8 * 2**20

_LOADED: dict[Path, DataPackage] = {}  # per process: root -> last package loaded
_USED: dict[str, dict] = {}  # per kernel: tables this brief has shown


@dataclass
class _State:
    """What one validated version of the package holds; private to this module."""

    key: str
    files: dict  # "data/x.csv" -> the bytes that were hashed
    descriptor: list  # the stamp's resources: name, path, schema, title, as_of, sources, licenses
    typed: dict = field(default_factory=dict)  # name -> typed DataFrame, every row (never handed out)


@dataclass(frozen=True)
class DataPackage:
    """The validated package: its key, each table's metadata, and :meth:`table`.

    Rows are only ever handed out filtered by marking; there is no public unfiltered table.
    """

    key: str
    resources: dict  # name -> {title, as_of, sources, licence, licenses}
    _state: _State = field(repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        """The tables' names, in the descriptor's order."""
        return list(self.resources)

    def table(self, name: str, marking: str = markings.DEFAULT, columns=None):
        """Table ``name`` as a typed DataFrame without rows marked above ``marking``.

        The ceiling set by the engine (``$BRIEFKIT_MARKING``) applies: see :func:`table`.
        """
        return _filtered(self, name, marking, columns)


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

    Only valid data is ever stamped, so an unchanged package with a stamp is not checked
    again: ``validate`` then ``load`` in one build checks once.
    """
    load(root)


def load(root=None) -> DataPackage:
    """The validated package; validates only when the data's content hash has no stamp."""
    root = Path(root).resolve() if root else find_pack_root()
    files = _read_inputs(root)
    key = _key(files)
    cached = _LOADED.get(root)
    if cached is not None and cached.key == key:
        return cached
    descriptor = _read_stamp(root, key, files)
    if descriptor is None:
        files, key, descriptor = _validate(root, files, key)
    pkg = DataPackage(key, _metadata(descriptor), _State(key, files, descriptor))
    _LOADED[root] = pkg
    return pkg


def table(name: str, marking: str = markings.DEFAULT, columns=None):
    """Table ``name`` as a typed DataFrame without rows marked above ``marking``.

    When ``$BRIEFKIT_MARKING`` is set (the engine sets it to the brief's marking) it is the
    ceiling: a ``marking`` above it raises :class:`BriefkitError`, a lower one narrows.
    """
    return _filtered(load(), name, marking, columns)


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


def _did_you_mean(word, choices) -> str:
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" Did you mean {match[0]!r}?" if match else ""


def _symlink_problem(rel: str) -> Problem:
    return Problem(rel, None, None, None,
                   "is a symbolic link; the data package reads only regular files inside data/, "
                   "never through links. Replace the link with a copy of the file itself")


def _read_inputs(root: Path) -> dict[str, bytes]:
    """Every input's bytes: the descriptor and each regular CSV under data/ (links refused)."""
    data_dir = root / DATA_DIR
    if data_dir.is_symlink():
        raise DataValidationError([_symlink_problem(f"{DATA_DIR}/")])
    paths = [root / DESCRIPTOR, *sorted(data_dir.rglob("*.csv"))] if data_dir.is_dir() else []
    files, problems = {}, []
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue  # a missing descriptor is reported by validation
        if stat.S_ISLNK(mode):
            problems.append(_symlink_problem(rel))
        elif stat.S_ISREG(mode):
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with open(fd, "rb") as fh:
                files[rel] = fh.read()
    if problems:
        raise DataValidationError(problems)
    return files


def _key(files: dict[str, bytes]) -> str:
    digests = [(rel, hashlib.sha256(blob).hexdigest()) for rel, blob in sorted(files.items())]
    return hashlib.sha256(json.dumps([CACHE_VERSION, _validator_digest(), digests]).encode()
                          ).hexdigest()[:24]


_VALIDATOR: list[str] = []


def _validator_digest() -> str:
    """A hash of the validation code, so a stamp from other rules is a miss."""
    if not _VALIDATOR:
        from briefkit import validate as module

        _VALIDATOR.append(hashlib.sha256(Path(module.__file__).read_bytes()).hexdigest()[:16])
    return _VALIDATOR[0]


def _stamp_path(root: Path, key: str) -> Path:
    return root / CACHE_DIR / f"data-{key}.json"


def _read_stamp(root: Path, key: str, files: dict[str, bytes]) -> list | None:
    """The stamped descriptor for ``key``, or None: anything unreadable or unexpected is a miss."""
    try:
        with open(_stamp_path(root, key), "rb") as fh:
            raw = fh.read(STAMP_MAX_BYTES + 1)
        stamp = json.loads(raw) if len(raw) <= STAMP_MAX_BYTES else None
        if not (isinstance(stamp, dict) and stamp.get("format") == STAMP_FORMAT
                and stamp.get("version") == CACHE_VERSION and stamp.get("key") == key):
            return None
        resources = stamp["resources"]
        for res in resources:
            fields = res["schema"]["fields"]
            if not (isinstance(res["name"], str) and _rel(res["path"]) in files
                    and all(isinstance(f["name"], str) for f in fields)
                    and "classification" in [f["name"] for f in fields]):
                return None
            for key_name in ("title", "as_of"):
                if not isinstance(res.get(key_name, ""), str):
                    return None
            if not all(isinstance(x, dict) for x in [*res.get("sources", []), *res.get("licenses", [])]):
                return None
        return resources
    except Exception:  # missing, corrupt, foreign or from another version: a miss
        return None


def _validate(root: Path, files: dict, key: str) -> tuple[dict, str, list]:
    """Check the package; stamp it only if the bytes did not change while it was checked."""
    for _ in range(3):
        problems = check(root)
        if problems:
            raise DataValidationError(problems) from None
        again = _read_inputs(root)
        if _key(again) == key:
            descriptor = _stamp_descriptor(files)
            _write_stamp(root, key, descriptor)
            return files, key, descriptor
        files, key = again, _key(again)
    raise BriefkitError("The files under data/ kept changing while they were being checked. "
                        "Wait until nothing is writing them, then run: python build.py --check")


def _rel(path) -> str:
    return posixpath.normpath(f"{DATA_DIR}/{path}")


def _stamp_descriptor(files: dict[str, bytes]) -> list:
    """The parts of the (validated) descriptor a kernel needs, parsed from the hashed bytes."""
    import yaml

    from briefkit.validate import _plain

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    descriptor = _plain(yaml.load(files[DESCRIPTOR].decode("utf-8-sig"), Loader=loader))
    keep = ("name", "path", "title", "as_of", "sources", "licenses", "schema")
    return [{k: res[k] for k in keep if k in res} for res in descriptor["resources"]]


def _write_stamp(root: Path, key: str, descriptor: list) -> None:
    path = _stamp_path(root, key)
    body = {"format": STAMP_FORMAT, "version": CACHE_VERSION, "key": key, "resources": descriptor}
    try:
        _atomic_write(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))
        for old in path.parent.glob("data-*"):
            if old != path and old.is_file():  # earlier versions of the data, old pickles, the old index
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only checkout still works; it validates every time


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


def _metadata(descriptor: list) -> dict:
    return {res["name"]: {
        "title": res.get("title", res["name"]),
        "as_of": str(res.get("as_of", "")),
        "sources": [{k: str(v) for k, v in s.items()} for s in res.get("sources", [])],
        "licence": "; ".join(l.get("title") or l.get("name", "") for l in res.get("licenses", [])),
        "licenses": res.get("licenses", []),
    } for res in descriptor}


def ceiling(marking: str = markings.DEFAULT, name: str | None = None) -> str:
    """The marking rows may carry: ``marking``, checked against ``$BRIEFKIT_MARKING`` if set."""
    what = f"table {name!r}" if name else "data"
    try:
        asked = markings.normalise(marking)
    except ValueError as exc:
        raise BriefkitError(f"Cannot show {what}: {exc}") from exc
    env = os.environ.get(CEILING_ENV)
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


def _filtered(pkg: DataPackage, name: str, marking, columns):
    if name not in pkg.resources:
        raise BriefkitError(f"There is no table {name!r} in {DESCRIPTOR}.{_did_you_mean(name, pkg.resources)} "
                            f"Tables: {', '.join(sorted(pkg.resources))}.")
    limit = ceiling(marking, name)
    df = _typed_table(pkg._state, name)
    allowed = list(markings.ORDER[: markings.rank(limit) + 1])
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


def _typed_table(state: _State, name: str):
    if name not in state.typed:
        res = next(r for r in state.descriptor if r["name"] == name)
        df = _typed(state.files[_rel(res["path"])], res["schema"])
        if "classification" not in df.columns:
            raise BriefkitError(f"Table {name!r} has no classification column; run: python build.py --check")
        state.typed[name] = df
    return state.typed[name]


def _typed(blob: bytes, schema: dict):
    """Parse validated CSV bytes with the schema's types: Int64, float, boolean, datetime, Categorical."""
    import io

    import pandas as pd

    df = pd.read_csv(io.BytesIO(blob), dtype=str, keep_default_na=False, na_values=[""],
                     encoding="utf-8-sig")
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
    """The Sources section: every data value escaped by markupsafe; links only to http(s) URLs."""
    from markupsafe import Markup

    prov = _provenance()
    items = []
    for t in prov["tables"]:
        cites = []
        for s in t["sources"]:
            title, where = s.get("title", ""), s.get("path", "")
            if where.startswith(("https://", "http://")):
                text = Markup('<a href="{0}">{1}</a> (<span class="url">{0}</span>)').format(where, title)
            elif where:
                text = Markup("{0} ({1})").format(title, where)
            else:
                text = Markup("{0}").format(title)
            if s.get("publisher"):
                text += Markup(", {0}").format(s["publisher"])
            cites.append(text)
        withheld = Markup(' <span class="withheld">{0} row(s) marked above this brief\'s '
                          "classification were withheld.</span>").format(t["withheld"]) if t["withheld"] else ""
        items.append(Markup("<li><strong>{title}</strong> (<code>{name}</code>), data as of {as_of}. "
                            "Sources: {cites}. Licence: {licence}.{withheld}</li>").format(
            title=t["title"], name=t["name"], as_of=t["as_of"],
            cites=Markup("; ").join(cites) or "not stated", licence=t["licence"] or "not stated",
            withheld=withheld))
    body = Markup("<ul>{0}</ul>").format(Markup("").join(items)) if items else Markup(
        "<p>No data tables were used.</p>")
    html = Markup('<section class="sources"><h2>Sources</h2>{0}</section>').format(body)
    return {"text/html": str(html), PROVENANCE_MIME: prov}
