"""Input hashing, the build manifest, atomic writes and the output-folder lock.

Light on purpose: the no-op build runs only this module, the catalogue and the standard
library, so ``python build.py`` on an up-to-date pack answers in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable

from .errors import BuildLockedError, OutputFolderError

MANIFEST = "manifest.json"
STAGING = ".staging"  # private folder (mode 700) in the output folder for files being written
ENGINE_DIR = Path(__file__).parent
OUTPUT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}(\.[a-z0-9-]{1,40})?\.[a-z0-9]{1,8}$")
log = logging.getLogger("briefkit")


def atomic_write(path: Path, data: bytes | str, staging: Path | None = None) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part.

    The temporary file is made in ``staging`` (same filesystem; swept at the next build's
    start, so even a killed build leaves nothing behind in the output folder) or, without
    it, beside ``path``. It is removed if the write fails (a full disk keeps the old file).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=staging or path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def temp_path(final: Path, staging: Path | None = None) -> Path:
    """A unique file to write ``final`` to before ``os.replace``: in ``staging`` when given,
    else beside ``final`` (same suffix, so a browser still knows ``.tmp-x-123.html`` for HTML)."""
    folder = staging or final.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{final.stem}-", suffix=final.suffix, dir=folder)
    os.close(fd)
    os.chmod(tmp, 0o644)
    return Path(tmp)


def sweep(out: Path) -> Path:
    """Empty the output folder's staging folder (what a killed build left) and return it.

    Also removes temporary files that older versions wrote beside the outputs. Call only
    while holding the :class:`BuildLock`.
    """
    staging = out / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    for leftover in out.glob(".tmp-*"):
        leftover.unlink(missing_ok=True)
    for leftover in out.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    for leftover in out.glob(".*.link"):  # a symbolic link being swapped (editions)
        leftover.unlink(missing_ok=True)
    try:
        staging.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(
            f"Cannot write to the output folder {out} ({exc.strerror or exc}); nothing was built and "
            "every previous output was kept. Free some space, or make the folder writable, and try again."
        ) from exc
    return staging


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


def digest(paths: Iterable[Path], root: Path, extra: Any = None, memo: dict | None = None) -> str:
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


def read_manifest(folder: Path, warn: bool = False) -> dict[str, Any]:
    """The previous build's manifest, every record checked; a missing or corrupt one is empty.

    A record is kept only if its id is a brief id and its outputs are plain file names in
    the folder (``outlook.html``): a hand-edited or crafted manifest can never put a path, a
    ``javascript:`` link or another folder's file into the index. With ``warn``, what was
    dropped is logged (the manifest is then rebuilt by this build).
    """
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"briefs": []}
    except (OSError, ValueError) as exc:
        if warn:
            log.warning("%s could not be read (%s); it is rebuilt by this build, and every brief "
                        "is treated as new.", path, exc)
        return {"briefs": []}
    if not isinstance(data, dict) or not isinstance(data.get("briefs"), list):
        if warn:
            log.warning("%s is not a briefkit manifest; it is rebuilt by this build.", path)
        return {"briefs": []}
    records = []
    for record in data["briefs"]:
        clean = _clean_record(record)
        if clean is None:
            if warn:
                log.warning("%s: dropped a record that is not a valid brief record: %.80r", path, record)
            continue
        if warn and clean.get("outputs") != record.get("outputs"):
            log.warning("%s: brief %r: dropped output entries that are not plain file names in the "
                        "folder.", path, clean["id"])
        records.append(clean)
    return {**data, "briefs": records}


def _clean_record(record: Any) -> dict | None:
    from .catalogue import ID_PATTERN

    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not ID_PATTERN.match(record["id"]):
        return None
    for key, value in record.items():
        if not isinstance(key, str) or not isinstance(value, (str, int, float, bool, type(None), dict, list)):
            return None
    outputs = record.get("outputs")
    if outputs is None:
        return record
    if not isinstance(outputs, dict):
        return {**record, "outputs": {}}
    kept = {fmt: name for fmt, name in outputs.items()
            if isinstance(fmt, str) and isinstance(name, str) and OUTPUT_NAME.match(name)
            and name.startswith(record["id"] + ".") and name.endswith("." + fmt)}
    return {**record, "outputs": kept}


class BuildLock:
    """An exclusive lock on an output folder (``fcntl.flock`` on ``.build.lock``).

    Released by the kernel if the process dies, so a crashed build never leaves it stuck.
    """

    def __init__(self, folder: Path, wait: bool = False):
        self.path = folder / ".build.lock"
        self.wait = wait
        self._fh = None

    def __enter__(self) -> "BuildLock":
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+")
        except OSError as exc:
            raise OutputFolderError(
                f"Cannot write to the output folder {self.path.parent} ({exc.strerror or exc}). "
                "Make it writable by the user running the build (chown or chmod), free some space "
                "if the disk is full, or pass --output DIR."
            ) from exc
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            pid = fh.read().strip() or "unknown"
            fh.close()
            raise BuildLockedError(str(self.path.parent), pid) from None
        try:  # the holder's pid, for the message another build shows; the flock is the lock
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
        except OSError:  # a full disk: lock without the pid
            try:
                fh.truncate(0)
            except OSError:
                pass
        self._fh = fh
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fh is not None:
            try:
                self._fh.seek(0)
                self._fh.truncate()
                self._fh.close()  # closing releases the flock
            except OSError:
                pass
            self._fh = None
