"""HTML: the ``html`` format, rendered by nbconvert's HTML exporter with the pack's template.

The renderer, ``BriefingExporter`` (in :mod:`.briefing`, imported on first render), is an
``HTMLExporter`` with the ``templates/briefing`` template, code and prompts excluded, and the
pack's preprocessors. It is registered as the nbconvert exporter ``briefing``, so a brief's
executed notebook renders with stock nbconvert too::

    jupyter nbconvert --to briefing briefs/_build/outlook.ipynb

taking the title block and provenance from the notebook's ``metadata.briefkit``, which the
build records there.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

METADATA_KEY = "briefkit"  # notebook metadata holding the brief's template context

_lock = threading.Lock()  # renders take turns: an nbconvert exporter is not thread-safe
_shared: list = []  # the process's one BriefingExporter, made on first use


def _import_renderer() -> None:
    """Import nbconvert and compile the briefing template, ahead of the first render."""
    try:
        with _lock:
            _exporter()
    except Exception:  # the first render raises it, for the brief it fails
        pass


def _exporter():
    """The one exporter, made (and its template compiled, about 0.1-0.2 s) on first use.

    Called under ``_lock``. One exporter for every thread: an exporter a thread costs that
    compile again in each, and renders are Python that runs one at a time anyway.
    """
    if not _shared:
        from .briefing import BriefingExporter

        exporter = BriefingExporter()
        exporter.template  # noqa: B018  (loads and compiles the template and all it extends)
        _shared.append(exporter)
    return _shared[0]


def render(nb, brief_context: dict[str, Any]) -> str:
    """The briefing HTML of executed notebook ``nb``; ``brief_context`` feeds the title and provenance blocks."""
    with _lock:
        body, _ = _exporter().from_notebook_node(nb, resources={"brief": brief_context})
    return body


def provenance(nb) -> dict[str, Any]:
    """The provenance record the notebook's ``bk.sources()`` call displayed (empty if none)."""
    from ..nb.sources import PROVENANCE_MIME

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PROVENANCE_MIME in data:
                value = data[PROVENANCE_MIME]
                return json.loads(value) if isinstance(value, str) else dict(value)
    return {}


class HTML:
    """The ``html`` format: written first for every brief, whatever formats it lists."""

    name, suffix, label = "html", ".html", "HTML"

    def check(self, settings, opts) -> None:
        pass

    def start(self, session) -> None:
        # The renderer's import (nbconvert, about half a core-second) and its template's
        # compile run while the first notebooks execute, not before the data check nor in
        # the first brief's export.
        threading.Thread(target=_import_renderer, name="html-renderer-import", daemon=True).start()

    def export(self, job, dest: Path) -> None:
        dest.write_text(render(job.nb, job.context), encoding="utf-8")
