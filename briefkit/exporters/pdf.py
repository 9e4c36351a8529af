"""PDF: the brief's own HTML printed by the build's shared headless Chromium.

A4, with the protective marking and "Page X of Y" in the page margins (the template's CSS
``@page`` margin boxes); figures and table rows are never split (print CSS).
"""

from __future__ import annotations

from pathlib import Path


class PDF:
    name, suffix, label = "pdf", ".pdf", "PDF"
    needs_browser = True

    def check(self, settings, opts) -> None:
        from .browser import require

        require(settings, opts)

    def start(self, session) -> None:
        session.browser()  # launched in the background; shared with other exporters

    def export(self, job, dest: Path) -> None:
        job.session.browser().pdf(job.html, dest)
