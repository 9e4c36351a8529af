"""Settings from the environment: the only module that reads ``os.environ``.

The build reads :func:`settings` once and passes what it needs down; the kernel side reads
:func:`kernel_settings`. Nothing else looks at environment variables, and nothing changes
the build's own environment: a kernel's environment is built as a new mapping (see
``engine.session``).

| variable | read by | meaning |
|---|---|---|
| ``BRIEFKIT_PACK`` | kernel side, papermill runs | the pack's root folder |
| ``BRIEFKIT_MARKING`` | kernel side | the brief's marking: the data API's ceiling (set by the engine) |
| ``BRIEFKIT_READS`` | kernel side | comma-separated tables the brief may read (set by the engine for briefs that declare ``reads:``) |
| ``BRIEFKIT_SKIP_TABLES`` | kernel side | comma-separated invalid tables a ``--keep-going`` build set aside (the brief reads none of them) |
| ``BRIEFKIT_CHROMIUM`` | build | browser used for PDFs |
| ``PLAYWRIGHT_BROWSERS_PATH`` | build | where Playwright keeps its own browsers |
| ``BRIEFKIT_FORK`` | build | ``0``: start kernels the ordinary way, not forked from a zygote |
| ``SOURCE_DATE_EPOCH`` | build | the build time shown in briefs (reproducible builds) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class Settings:
    """What the build takes from its environment."""

    chromium: str | None = None
    playwright_browsers: Path | None = None
    fork: bool = True
    source_date_epoch: str | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # for child processes


@dataclass(frozen=True)
class KernelSettings:
    """What a kernel (a notebook run by the engine, papermill or JupyterLab) takes."""

    pack: Path | None = None
    marking: str | None = None  # None: not run by the engine (an analyst's own kernel)
    reads: frozenset[str] | None = None  # None: any table (no declaration to enforce)
    skip: frozenset[str] = frozenset()  # invalid tables set aside by build.py --keep-going


def settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    browsers = env.get("PLAYWRIGHT_BROWSERS_PATH")
    return Settings(
        chromium=env.get("BRIEFKIT_CHROMIUM") or None,
        playwright_browsers=Path(browsers) if browsers else None,
        fork=env.get("BRIEFKIT_FORK", "1") != "0",
        source_date_epoch=env.get("SOURCE_DATE_EPOCH") or None,
        environ=MappingProxyType(dict(env)),
    )


def kernel_settings(environ: Mapping[str, str] | None = None) -> KernelSettings:
    env = os.environ if environ is None else environ
    pack = env.get("BRIEFKIT_PACK")
    marking = env.get("BRIEFKIT_MARKING")
    reads = env.get("BRIEFKIT_READS")
    skip = env.get("BRIEFKIT_SKIP_TABLES") or ""
    return KernelSettings(pack=Path(pack).expanduser() if pack else None,
                          marking=marking if marking is not None else None,
                          reads=None if reads is None else frozenset(n.strip() for n in reads.split(",") if n.strip()),
                          skip=frozenset(n.strip() for n in skip.split(",") if n.strip()))
