"""The data package on disk: read and hash every input, validate once, typed tables.

    root = find_pack_root()          # $BRIEFKIT_PACK, else the folder above holding pack.yml
    validate(root)                   # raises DataValidationError listing every problem
    pkg = load(root)                 # the validated package: its key and each table's metadata

This is the build side: it knows files, hashes and schemas, and nothing of briefs or kernels.
Notebooks ask for rows through :mod:`briefkit.nb.tables`, which applies the brief's marking
ceiling; no public name here hands out rows. Python in the same process can still read files,
so this is not a sandbox: the engine's last line of defence is :mod:`briefkit.data.withheld`,
which scans every output before publishing.

**Cache.** Every input (data/datapackage.yaml and every CSV under data/) is read and hashed on
every load (SHA-256 of the bytes: about 2 ms for the whole package; never size or mtime). A
package that validated leaves a JSON stamp ``.cache/briefkit/data-<key>.json`` holding its
parsed descriptor, so the next kernel need not validate or parse YAML again; tables are then
parsed lazily from the very bytes that were hashed. Nothing in the cache can run code, and a
stamp that cannot be read or does not match is a miss. Symbolic links under data/ are refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import stat
from dataclasses import dataclass, field
from pathlib import Path

from briefkit import config, files, markings
from briefkit.data.validate import DATA_DIR, DESCRIPTOR, check
from briefkit.errors import BriefkitError, DataValidationError, Problem, did_you_mean

__all__ = ["DataPackage", "find_pack_root", "load", "validate"]

CACHE_VERSION = 4
CACHE_DIR = ".cache/briefkit"
STAMP_FORMAT = "briefkit-validated-data"
STAMP_MAX_BYTES = 8 * 2**20

_LOADED: dict[Path, DataPackage] = {}  # per process: root -> last package loaded


@dataclass
class _State:
    """What one validated version of the package holds; private to this module."""

    key: str
    files: dict  # "data/x.csv" -> the bytes that were hashed
    descriptor: list  # the stamp's resources: name, path, schema, title, as_of, sources, licenses
    typed: dict = field(default_factory=dict)  # name -> typed DataFrame, every row (never handed out)


@dataclass(frozen=True)
class DataPackage:
    """The validated package: its key and each table's metadata; no rows.

    Rows are handed out only by :func:`briefkit.nb.tables.table`, filtered by marking.
    """

    key: str
    resources: dict  # name -> {title, as_of, sources, licence, licenses}
    _state: _State = field(repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        """The tables' names, in the descriptor's order."""
        return list(self.resources)

    def _rows(self, name: str, limit: str, columns=None):
        """(rows of ``name`` marked at or below ``limit``, number withheld).

        Private to briefkit: its one caller, :func:`briefkit.nb.tables.table`, checks ``name``
        and checks ``limit`` against the brief's ceiling first.
        """
        df = _typed_table(self._state, name)
        allowed = list(markings.ORDER[: markings.rank(limit) + 1])
        keep = df["classification"].astype(str).isin(allowed).to_numpy()
        if columns is not None:
            columns = [columns] if isinstance(columns, str) else list(columns)
            for col in columns:
                if col not in df.columns:
                    raise BriefkitError(f"Table {name!r} has no column {col!r}."
                                        f"{did_you_mean(col, df.columns)} Columns: {', '.join(df.columns)}.")
        out = df.loc[keep, columns if columns is not None else df.columns].reset_index(drop=True)
        return out.copy(), int((~keep).sum())


def find_pack_root(start=None) -> Path:
    """``$BRIEFKIT_PACK`` if set, else the nearest folder at or above ``start`` with pack.yml.

    Without ``start``: the working folder or one above it, else the pack briefkit is installed
    from (the editable install puts the pack's root at briefkit's parent), so ``papermill``
    runs a notebook from any folder, never from the working folder alone."""
    pack = config.kernel_settings().pack
    if pack:
        root = pack.resolve()
        if not (root / "pack.yml").is_file():
            raise BriefkitError(f"BRIEFKIT_PACK is set to {root}, but there is no pack.yml there. "
                                "Point it at the pack's root folder, or unset it.")
        return root
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pack.yml").is_file():
            return folder
    installed = Path(__file__).resolve().parents[2]  # briefkit/data/store.py -> the pack's root
    if start is None and (installed / "pack.yml").is_file():
        return installed
    raise BriefkitError(f"No pack.yml found in {here} or any folder above it. Run from inside "
                        "the pack, or set BRIEFKIT_PACK to the pack's root folder.")


def validate(root) -> None:
    """Raise :class:`DataValidationError` with every problem, or return quietly.

    Only valid data is ever stamped, so an unchanged package with a stamp is not checked
    again: ``validate`` then ``load`` in one build checks once.
    """
    load(root)


def load(root=None, skip=None) -> DataPackage:
    """The validated package; validates only when the data's content hash has no stamp.

    ``skip`` (default: the tables a ``build.py --keep-going`` run set aside, see
    :func:`tolerate`): tables whose problems do not stop the load; the package is then handed
    out without them (never stamped), and any other problem still raises.
    """
    root = Path(root).resolve() if root else find_pack_root()
    files = _read_inputs(root)
    key = _key(files)
    cached = _LOADED.get(root)
    if cached is not None and cached.key == key:
        return cached
    descriptor = _read_stamp(root, key, files)
    if descriptor is None:
        skip = frozenset(skip if skip is not None else (config.kernel_settings().skip or _TOLERATED))
        if skip and (root, key, skip) in _PARTIAL:
            return _PARTIAL[root, key, skip]
        try:
            files, key, descriptor = _validate(root, files, key)
        except DataValidationError as exc:
            if not skip:
                raise
            descriptor = [r for r in _stamp_descriptor(files) if r["name"] not in bad_tables(exc, files, skip)]
            pkg = DataPackage(key, _metadata(descriptor), _State(key, files, descriptor))
            _PARTIAL[root, key, skip] = pkg
            return pkg
    pkg = DataPackage(key, _metadata(descriptor), _State(key, files, descriptor))
    _LOADED[root] = pkg
    return pkg


_TOLERATED: frozenset[str] = frozenset()  # tables set aside by a --keep-going build (this process)
_PARTIAL: dict = {}  # (root, key, skipped tables) -> the package without them


def tolerate(tables) -> frozenset[str]:
    """Set aside ``tables`` (their problems do not stop :func:`load`) for this process, until
    called again; returns what was set aside before. Used by ``build.py --keep-going``."""
    global _TOLERATED
    before, _TOLERATED = _TOLERATED, frozenset(tables)
    return before


def bad_tables(exc: DataValidationError, files: dict | None = None, allowed=None) -> set[str]:
    """The tables ``exc``'s problems lie in; re-raises ``exc`` when a problem is not in one
    table's CSV (e.g. the descriptor), or in a table outside ``allowed`` (when given)."""
    try:
        descriptor = _stamp_descriptor(files) if files is not None else None
    except Exception:
        raise exc from None
    by_file = {_rel(r["path"]): r["name"] for r in descriptor or [] if isinstance(r.get("path"), str)}
    names = {by_file.get(p.file) for p in exc.problems}
    if None in names or (allowed is not None and not names <= set(allowed)):
        raise exc
    return names


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
    if not _VALIDATOR:  # (briefkit.data.validate, the module; the package's ``validate`` is the function)
        rules = Path(__file__).with_name("validate.py")
        _VALIDATOR.append(hashlib.sha256(rules.read_bytes()).hexdigest()[:16])
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
            if not isinstance(res.get("review_months", 0) or 0, int):
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

    from briefkit.data.validate import _plain, yaml_loader

    descriptor = _plain(yaml.load(files[DESCRIPTOR].decode("utf-8-sig"), Loader=yaml_loader()))
    keep = ("name", "path", "title", "as_of", "review_months", "reviewed", "evidence", "sources", "licenses",
            "schema")
    return [{k: res[k] for k in keep if k in res} for res in descriptor["resources"]]


def _write_stamp(root: Path, key: str, descriptor: list) -> None:
    path = _stamp_path(root, key)
    body = {"format": STAMP_FORMAT, "version": CACHE_VERSION, "key": key, "resources": descriptor}
    try:
        files.atomic_write(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))
        for old in path.parent.glob("data-*"):
            if old != path and old.is_file():  # earlier versions of the data, old pickles, the old index
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only checkout still works; it validates every time


def _metadata(descriptor: list) -> dict:
    return {res["name"]: {
        "title": res.get("title", res["name"]),
        "as_of": str(res.get("as_of", "")),
        "sources": [{k: str(v) for k, v in s.items()} for s in res.get("sources", [])],
        "licence": "; ".join(l.get("title") or l.get("name", "") for l in res.get("licenses", [])),
        "licenses": res.get("licenses", []),
        "review_months": res.get("review_months"),
        "reviewed": str(res.get("reviewed", "") or ""),
        "evidence": res.get("evidence", True) is not False,
        "units": _units(res.get("schema", {})),
    } for res in descriptor}


def _units(schema: dict) -> dict:
    """``{field: {"unit": ..., "measure": ..., "unit_field": ...}}`` for fields that declare any."""
    out = {}
    for f in schema.get("fields", []):
        spec = {k: str(f[k]) for k in ("unit", "measure", "unit_field") if f.get(k)}
        if spec:
            out[f["name"]] = spec
    return out


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
