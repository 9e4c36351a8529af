"""Output formats: one module per format behind one small interface.

An exporter has a ``name`` (the format's name in ``pack.yml`` and ``--format``), a
``suffix`` and a ``label`` (for the index), and three steps::

    check(settings, opts)   before any kernel starts: raise a BriefkitError if it cannot work
    start(session)          shared resources for the build (the browser), closed with it
    export(job, dest)       write one brief's output to ``dest`` (a staged file)

Every brief is rendered to HTML first (the other formats start from it, so they show the
same thing); exporters then run in :data:`REGISTRY` order. To add a format, write one
module with one such class and add one line to :data:`REGISTRY`: see ``docx.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, Protocol

REGISTRY: dict[str, str] = {  # name -> "module:Class", imported on first use
    "html": "briefkit.exporters.html:HTML",
    "pdf": "briefkit.exporters.pdf:PDF",
    "docx": "briefkit.exporters.docx:DOCX",
}
DEFAULT = ("html", "pdf")  # what a brief gets when pack.yml names no formats
LABELS = {"html": "HTML", "pdf": "PDF", "docx": "Word"}  # for the index, without importing


@dataclass
class Job:
    """One brief to export: its executed notebook, template context and rendered HTML."""

    brief: Any  # catalogue.Brief, with this run's parameters and marking
    nb: Any  # the executed notebook (nbformat.NotebookNode)
    context: dict  # the template context (title, marking, provenance, ...)
    html: Path  # the brief's HTML, written first
    session: Any  # engine.session.Session: shared resources (the browser)


class Exporter(Protocol):
    name: str
    suffix: str
    label: str

    def check(self, settings, opts) -> None: ...

    def start(self, session) -> None: ...

    def export(self, job: Job, dest: Path) -> None: ...


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def create(name: str) -> Exporter:
    """A new exporter for one build (exporters keep per-build resources)."""
    module, _, cls = REGISTRY[name].partition(":")
    return getattr(import_module(module), cls)()
