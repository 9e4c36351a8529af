"""Shared fixtures: a tiny pack of the suite's own, and a way to run build.py like a user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def chromium_or_skip() -> None:
    """PDF tests need Chromium. Locally a missing browser skips; under CI it fails."""
    from briefkit.errors import BrowserNotFoundError
    from briefkit import config
    from briefkit.exporters.browser import find_chromium

    try:
        settings = config.settings()
        find_chromium(None, settings.chromium, settings.playwright_browsers)
    except BrowserNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PDF tests: {exc}")
        pytest.skip(str(exc))


def copy_pack(dest: Path) -> Path:
    """A fresh copy of the tiny test pack (pack.yml + notebooks), returned as its folder."""
    shutil.copytree(FIXTURES / "pack", dest, ignore=shutil.ignore_patterns("kernel-ipc*", ".ipynb_checkpoints"))
    return dest


def real_pack_copy(dest: Path) -> Path:
    """A copy of the repository's own pack (pack.yml, data, notebooks, content code) in ``dest``."""
    dest.mkdir()
    shutil.copy2(ROOT / "pack.yml", dest / "pack.yml")
    for folder in ("data", "notebooks", "security_pack"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return dest


def run_build(pack: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python build.py --pack PACK/pack.yml ARGS`` as a user would."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--pack", str(pack / "pack.yml"), *args],
        capture_output=True,
        text=True,
        cwd=pack,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


@pytest.fixture
def tiny_pack(tmp_path: Path) -> Path:
    return copy_pack(tmp_path / "pack")


def survivors(marker: str) -> list[str]:
    """Processes whose environment holds ``marker`` (e.g. ``BRIEFKIT_PACK=/tmp/...``): what a
    build left running."""
    wanted = marker.encode()
    found = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            if wanted in (proc_dir / "environ").read_bytes().split(b"\0"):
                cmd = (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if not any(line.startswith("State:\tZ") for line in (proc_dir / "status").read_text().splitlines()):
                    found.append(f"{proc_dir.name} {cmd[:200]}")
        except OSError:
            continue
    return found


def tmpfs(folder: Path, size: str = "4m", readonly: bool = False):
    """Mount a small tmpfs at ``folder`` (a disk that can fill up, or a read-only one), or skip
    where this machine does not allow mounting. Returns a function that unmounts it."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if readonly else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the test needs root and mount")
    return lambda: subprocess.run(["umount", "-l", str(folder)], check=False)
