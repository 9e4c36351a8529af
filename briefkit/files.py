"""Files of the output folder: atomic writes, the staging folder and the lock.

Light on purpose (standard library only): the no-op build uses it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import BuildLockedError, OutputFolderError

STAGING = ".staging"  # private folder (mode 700) in the output folder for files being written


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


HELD = ".held"  # in a runtime folder: locked (flock) by the build using the folder
_held: dict[str, int] = {}  # runtime folder -> the descriptor holding its lock


def runtime_folder(kind: str) -> Path:
    """A new private folder in the system's temporary folder for this build's sockets
    (``bk-<kind>-<pid>-XXXXXXXX``: short, as Unix socket paths must be), held by this process
    (an ``fcntl.flock`` on ``.held`` inside, which the kernel releases when the process ends,
    however it ends) until :func:`remove_runtime`.

    A build killed with SIGKILL cannot remove its folders, so the folders of this kind that no
    process holds any more are removed first (:func:`sweep_runtime`)."""
    import fcntl

    sweep_runtime(kind)
    folder = Path(tempfile.mkdtemp(prefix=f"bk-{kind}-{os.getpid()}-"))
    fd = os.open(folder / HELD, os.O_WRONLY | os.O_CREAT, 0o600)  # not inherited by children
    fcntl.flock(fd, fcntl.LOCK_EX)
    _held[str(folder)] = fd
    return folder


def remove_runtime(folder: Path | str) -> None:
    """Remove a folder made by :func:`runtime_folder`, then let go of it."""
    shutil.rmtree(folder, ignore_errors=True)
    fd = _held.pop(str(folder), None)
    if fd is not None:
        os.close(fd)


def sweep_runtime(kind: str, folder: Path | None = None) -> list[Path]:
    """Remove the ``bk-<kind>-<pid>-*`` folders in ``folder`` (the system's temporary folder)
    that belong to this user and that no process holds any more; return them.

    A folder whose lock is held (a build running, whatever its process id namespace) is left
    alone. So are another user's, one reached through a link, and one whose name carries no
    process id. A folder without its lock file, which jupyter_client re-creates when a kernel
    starting as its build is interrupted writes its connection file after the folder was
    removed, goes when the process named in it has ended.
    """
    import fcntl
    import re

    removed = []
    named = re.compile(rf"bk-{re.escape(kind)}-(\d+)-[^/]+")
    for entry in Path(folder or tempfile.gettempdir()).glob(f"bk-{kind}-*"):
        found = named.fullmatch(entry.name)
        try:
            if not found or entry.is_symlink() or not entry.is_dir() or entry.stat().st_uid != os.getuid():
                continue
            fd = os.open(entry / HELD, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            if not running(int(found.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: in use
            os.close(fd)
            continue
        try:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        finally:
            os.close(fd)
    return removed


def running(pid: int) -> bool:
    """Whether process ``pid`` exists (a zombie counts; someone else's too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


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
