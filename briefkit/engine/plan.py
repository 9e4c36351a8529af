"""What to build and why: the output folder, each brief's input hash and its reason to rebuild.

Cheap on purpose (standard library and the catalogue only): a no-op build runs this and
stops. A brief's inputs are its notebook, this run's parameters and marking, the engine and
content code, and the data tables it reads — found by scanning the notebook for
``bk.table("literal")`` calls. A notebook that also computes names (``bk.table(name)``) reads
the whole data package, unless its brief declares them in pack.yml (``reads: [table, ...]``):
then the literal names and the declared ones (:func:`tables_read`), which the kernel enforces
(:func:`kernel_reads`, passed to it as ``BRIEFKIT_READS``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .. import __version__, exporters, markings
from ..catalogue import Brief, Pack, slug
from ..errors import OutputFolderError, ParameterError
from ..publish.manifest import MANIFEST, read_manifest

log = logging.getLogger("briefkit")

ENGINE_DIR = Path(__file__).resolve().parent.parent  # briefkit/: a change rebuilds every brief
FAILED = "failed"


@dataclass
class Options:
    only: list[str] | None = None
    formats: tuple[str, ...] | None = None  # --format: these formats for every brief; None: each brief's own
    overrides: list[tuple[str, str, str]] = field(default_factory=list)
    force: bool = False
    jobs: int = 1
    chromium: str | None = None
    output: Path | None = None  # given on the command line; pack.yml's output otherwise
    wait: bool = False
    cell_timeout: int = 300
    edition: str = ""  # ISO date: also publish OUTPUT/editions/<date>/ and point OUTPUT/latest at it
    keep_going: bool = False  # a data error stops only the briefs that read the table (exit 2 still)
    progress: Any = None  # progress(event, **info): "start" (total, estimate) and "done" (result, done, total)


def output_folder(pack: Pack, opts: Options) -> Path:
    """The output folder: pack.yml's (kept inside the pack by the catalogue) or ``--output``.

    ``--output`` may lie outside the pack (with a warning), but never at a filesystem root,
    the pack's own folder or one above it, the home folder, or a non-empty folder that
    holds no earlier build: a slip of the keyboard must not scatter briefs into ``/``.
    """
    if opts.output is None:
        return pack.root / pack.output
    out = Path(opts.output).expanduser().resolve()
    try:
        home = Path.home().resolve()
    except (RuntimeError, OSError):
        home = None
    if out == Path(out.anchor) or out == pack.root or out in pack.root.parents or out == home:
        raise OutputFolderError(
            f"--output {opts.output}: {out} is a filesystem root, the pack's folder, a folder above "
            "it or the home folder; briefs need a folder of their own. Pass e.g. --output briefs-test."
        )
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--output {opts.output}: {out} exists and is not a folder. Name a folder.")
    if out.is_dir() and any(out.iterdir()) and not (
        (out / MANIFEST).exists() or (out / ".build.lock").exists()
    ):
        raise OutputFolderError(
            f"--output {opts.output}: {out} is not empty and holds no earlier build (no manifest.json), "
            "so writing into it could mix briefs with other files. Name an empty or new folder."
        )
    if not out.is_relative_to(pack.root):
        log.warning("writing outside the pack, to %s (--output)", out)
    return out


def effective_marking(brief: Brief, overrides: list[tuple[str, str, str]]) -> str:
    """The brief's marking in this run: the catalogue's, or a ``-p ID.marking=...`` override."""
    import fnmatch

    marking = brief.marking
    for pattern, name, text in overrides:
        if name == "marking" and fnmatch.fnmatchcase(brief.id, pattern):
            try:
                marking = markings.normalise(text)
            except ValueError as exc:
                raise ParameterError(f"Brief '{brief.id}', parameter 'marking' on the command line: {exc}") from exc
    return marking


def stem(pack: Pack, brief: Brief) -> str:
    """Output file name without suffix: the id, plus the marking when a run overrides it."""
    base = pack.brief(brief.id).marking
    return brief.id if brief.marking == base else f"{brief.id}.{slug(brief.marking)}"


def _stem_of(record: dict) -> str:
    return str(record.get("stem") or record.get("id"))


def plan(pack: Pack, opts: Options, out: Path | None = None, warn: bool = False) -> tuple[Path, list[tuple[Brief, str, str]], dict[str, Any]]:
    """Which briefs need building and why. Cheap: hashes files, imports nothing heavy.

    Returns the output folder, a list of (brief, input hash, reason or "" when up to date)
    and the previous manifest's records by output stem. The briefs carry this run's marking.
    """
    out = out or output_folder(pack, opts)
    previous = {_stem_of(r): r for r in read_manifest(out, warn)["briefs"]}
    engine = [ENGINE_DIR, *pack.code]
    memo: dict = {}  # each shared file is read and hashed once per build
    planned = []
    for brief in pack.select(opts.only):
        overrides = [o for o in opts.overrides if _matches(brief.id, o[0])]
        formats = tuple(f for f in exporters.names() if f in (opts.formats or brief.formats))
        marking = effective_marking(brief, overrides)
        tables = tables_read(brief, memo) if pack.data.exists() else set()
        files = [brief.notebook, *engine, *data_files(pack.root, tables, pack.data)]
        # Not the formats: an executed notebook serves every format (a PDF asked for after an
        # HTML build reuses it), and not the groups, which only select briefs.
        extra = {
            "brief": {k: v for k, v in brief.__dict__.items()
                      if k not in ("notebook", "parameters", "marking", "formats", "groups")},
            "marking": marking,
            "parameters": dict(brief.parameters),
            "overrides": overrides,
            "engine": __version__,
            "pack_title": pack.title,
        }
        digest = Digest(file_digest(files, pack.root, extra, memo))
        digest.inputs = input_hashes(files, pack.root, extra, memo)
        run = Brief(**{**brief.__dict__, "formats": formats, "marking": marking})
        name = stem(pack, run)
        reason = _reason(previous.get(name) or {}, digest, formats, out, name, opts.force)
        planned.append((run, digest, reason))
    return out, planned, previous


def _matches(brief_id: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(brief_id, pattern)


def _reason(before: dict, digest: str, formats: tuple[str, ...], out: Path, name: str, force: bool) -> str:
    if force:
        return "forced (--force)"
    if not before:
        return "new brief"
    if before.get("status") == FAILED:
        return "failed last time"
    if before.get("input_hash") != digest:
        return changed_inputs(before.get("inputs"), getattr(digest, "inputs", None))
    missing = [f for f in formats if not (out / f"{name}.{f}").exists()]
    if missing:
        return f"output missing ({', '.join(missing)})"
    return ""


class Digest(str):
    """A brief's input hash, carrying ``inputs``: a short hash per input (:func:`input_hashes`),
    recorded in the manifest so that the next plan can name what changed."""

    inputs: dict[str, str] | None = None


SETTINGS = "(settings)"  # the non-file inputs (parameters, marking, pack.yml entry), as one entry


def input_hashes(paths: Iterable[Path], root: Path, extra: Any, memo: dict) -> dict[str, str]:
    """``{"data/threats.csv": "1f2e...", ...}``: a short content hash per input file (the engine,
    ``briefkit/``, as one entry), plus one for the brief's settings. Call after
    :func:`file_digest` with the same ``memo``, which holds each file's hash."""
    out: dict[str, str] = {}
    engine = hashlib.sha256()
    for path in _files(paths, memo):
        if path not in memo:
            continue
        name, digest = memo[path]
        if path.is_relative_to(ENGINE_DIR):
            engine.update(f"{name}\0{digest}\0".encode())
        else:
            out[name] = digest[:16]
    out[f"{ENGINE_DIR.name}/"] = engine.hexdigest()[:16]
    out[SETTINGS] = hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return out


def changed_inputs(before: Any, now: dict[str, str] | None) -> str:
    """The reason a brief is rebuilt, naming what changed: ``data/cyber_incidents.csv changed``."""
    if not isinstance(before, dict) or not now:
        return "inputs changed"
    changed = [name for name in now if before.get(name) != now[name] and name != SETTINGS]
    gone = [name for name in before if name not in now and name != SETTINGS]
    parts = [f"{', '.join(changed[:3])}{f' and {len(changed) - 3} more' if len(changed) > 3 else ''} changed"] if changed else []
    parts += [f"{', '.join(gone[:3])} no longer read"] if gone else []
    if before.get(SETTINGS) != now.get(SETTINGS):
        parts.append("parameters, marking or pack.yml entry changed")
    return "; ".join(parts) or "inputs changed"


def _files(paths: Iterable[Path], memo: dict) -> list[Path]:
    out = []
    for path in paths:
        key = ("files", path)
        if key not in memo:  # a folder (the engine, the content code) is listed once per build
            if path.is_dir():
                memo[key] = [p for p in sorted(path.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
            else:
                memo[key] = [path] if path.is_file() else []
        out.extend(memo[key])
    return out


def file_digest(paths: Iterable[Path], root: Path, extra: Any = None, memo: dict | None = None) -> str:
    """SHA-256 over the named files (relative names and contents) and a JSON-able ``extra``.

    ``memo`` (path -> file hash) lets one build hash each shared file (engine, data) once,
    however many briefs read it.
    """
    memo = {} if memo is None else memo
    root = root.resolve()
    h = hashlib.sha256()
    for path in _files(paths, memo):
        if path not in memo:  # (relative name, content hash), once per file per build
            try:
                name = path.resolve().relative_to(root).as_posix()
            except ValueError:
                name = path.name
            memo[path] = (name, hashlib.sha256(path.read_bytes()).hexdigest())
        name, digest = memo[path]
        h.update(f"{name}\0{digest}\0".encode())
    h.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return h.hexdigest()


def data_files(root: Path, tables: set[str] | None, descriptor: Path) -> list[Path]:
    """The data files a brief reads: the descriptor plus its tables' CSVs (all if unknown)."""
    if tables is None:
        return [descriptor.parent]
    files = [descriptor]
    for name in sorted(tables):
        csv = descriptor.parent / f"{name}.csv"
        if csv.exists():
            files.append(csv)
    return files


def scan_tables(notebook_path) -> tuple[set[str], bool]:
    """(table names a notebook asks for literally, whether any ``table(...)`` call computes its name)."""
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    names: set[str] = set()
    computed = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for call in re.finditer(r"\btable\s*\(", source):
            literal = re.match(r"\s*(?:name\s*=\s*)?(['\"])([^'\"\\]+)\1\s*[,)]",
                               source[call.end():])
            if literal is None:
                computed = True
            else:
                names.add(literal.group(2))
    return names, computed


def used_tables(notebook_path) -> set[str] | None:
    """Table names a notebook asks for; None if any ``table(...)`` call uses a non-literal name."""
    names, computed = scan_tables(notebook_path)
    return None if computed else names


def tables_read(brief: Brief, memo: dict | None = None) -> set[str] | None:
    """The tables a brief depends on: its notebook's literal names, plus its declared ``reads:``
    when the notebook computes names; None (the whole package) if it computes names and
    declares nothing."""
    memo = {} if memo is None else memo
    key = ("scan", brief.notebook)
    if key not in memo:
        memo[key] = scan_tables(brief.notebook)
    names, computed = memo[key]
    if not computed:
        return set(names)
    if not brief.reads:
        return None
    return set(names) | set(brief.reads)


def kernel_reads(brief: Brief) -> set[str] | None:
    """The tables the kernel may hand out for ``brief``: :func:`tables_read` when its notebook
    computes names and it declares ``reads:`` (so the declaration cannot lie), else None (no
    restriction: every name is literal and already known to the planner, or it reads everything)."""
    names, computed = scan_tables(brief.notebook)
    return set(names) | set(brief.reads) if computed and brief.reads else None


def check_reads(briefs: Iterable[Brief], tables: Iterable[str]) -> None:
    """Raise :class:`CatalogueError` if a brief's ``reads:`` names a table the data package lacks."""
    from ..errors import CatalogueError, did_you_mean

    known = set(tables)
    for brief in briefs:
        for name in brief.reads:
            if name not in known:
                raise CatalogueError(
                    f"Brief '{brief.id}': reads: names {name!r}, which is not a table of the data package."
                    f"{did_you_mean(name, known)} Tables: {', '.join(sorted(known))}.")
