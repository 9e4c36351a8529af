"""Input hashing, the build manifest, atomic writes and the output-folder lock.

Light on purpose: the no-op build runs only this module, the catalogue and the standard
library, so ``python build.py`` on an up-to-date pack answers in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from .errors import BuildLockedError

MANIFEST = "manifest.json"
ENGINE_DIR = Path(__file__).parent


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


def temp_path(final: Path) -> Path:
    """A unique sibling of ``final`` to write to before ``os.replace`` (same suffix, so a
    browser still knows ``.tmp-x-123.html`` for HTML)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{final.stem}-", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    os.chmod(tmp, 0o644)
    return Path(tmp)


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


def read_manifest(folder: Path) -> dict[str, Any]:
    """The previous build's manifest; a missing or corrupt one is an empty manifest."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("briefs"), list) else {"briefs": []}
    except (OSError, ValueError):
        return {"briefs": []}


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

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            pid = fh.read().strip() or "unknown"
            fh.close()
            raise BuildLockedError(str(self.path.parent), pid) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fh is not None:
            self._fh.seek(0)
            self._fh.truncate()
            self._fh.close()  # closing releases the flock
            self._fh = None
