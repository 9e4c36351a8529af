"""What to build and why: the output folder, each brief's input hash and its reason to rebuild.

Cheap on purpose (standard library and the catalogue only): a no-op build runs this and
stops. A brief's inputs are its notebook, this run's parameters and marking, the engine and
content code, and the data tables it reads — found by scanning the notebook for
``bk.table("literal")`` calls (a computed name means the whole data package).
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
        tables = used_tables(brief.notebook) if pack.data.exists() else set()
        files = [brief.notebook, *engine, *data_files(pack.root, tables, pack.data)]
        extra = {
            "brief": {k: v for k, v in brief.__dict__.items() if k not in ("notebook", "parameters", "marking")},
            "marking": marking,
            "parameters": dict(brief.parameters),
            "overrides": overrides,
            "formats": formats,
            "engine": __version__,
            "pack_title": pack.title,
        }
        digest = file_digest(files, pack.root, extra, memo)
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
        return "inputs changed"
    missing = [f for f in formats if not (out / f"{name}.{f}").exists()]
    if missing:
        return f"output missing ({', '.join(missing)})"
    return ""


def _files(paths: Iterable[Path]) -> list[Path]:
    out = []
    for path in paths:
        if path.is_dir():
            out.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
            )
        elif path.is_file():
            out.append(path)
    return out


def file_digest(paths: Iterable[Path], root: Path, extra: Any = None, memo: dict | None = None) -> str:
    """SHA-256 over the named files (relative names and contents) and a JSON-able ``extra``.

    ``memo`` (path -> file hash) lets one build hash each shared file (engine, data) once,
    however many briefs read it.
    """
    memo = {} if memo is None else memo
    root = root.resolve()
    h = hashlib.sha256()
    for path in _files(paths):
        try:
            name = path.resolve().relative_to(root).as_posix()
        except ValueError:
            name = path.name
        if path not in memo:
            memo[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        h.update(f"{name}\0{memo[path]}\0".encode())
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
