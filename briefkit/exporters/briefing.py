"""The pack's briefing HTML as an nbconvert exporter (``jupyter nbconvert --to briefing``).

``BriefingExporter`` is an ``HTMLExporter`` with the ``templates/briefing`` template (which
inherits the stock ``lab`` template), code and prompts excluded, and two preprocessors:
nbconvert's ``TagRemovePreprocessor`` (parameter cells and cells tagged ``remove-cell``) and
:class:`ReaderOnly` (stderr, raw cells and cells left with nothing to show).

Kept apart from :mod:`briefkit.exporters.html` (the ``html`` format) so that a build imports
nbconvert (about half a core-second) only when it first renders a brief, not while it checks
parameters and data before any kernel starts.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from traitlets import Bool, Set, default

from ..errors import RenderError
from .html import METADATA_KEY

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
REMOVE_TAGS = {"injected-parameters", "parameters", "remove-cell", "remove_cell"}


class RemoveForReaders(TagRemovePreprocessor):
    """nbconvert's tag remover, with the tags of cells a reader never sees (parameters and
    papermill's injected parameters among them)."""

    enabled = Bool(True).tag(config=True)
    remove_cell_tags = Set(set(REMOVE_TAGS)).tag(config=True)


class ReaderOnly(Preprocessor):
    """Drop what must never reach a reader: stderr, raw cells, and code cells with no output."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        cells = []
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs
                                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
                if not cell.outputs:
                    continue
            elif cell.cell_type == "raw":
                continue
            cells.append(cell)
        nb.cells = cells
        return nb, resources


class BriefingExporter(HTMLExporter):
    """The pack's briefing HTML (``jupyter nbconvert --to briefing``)."""

    export_from_notebook = "Briefing (HTML)"

    @default("template_name")
    def _template_name_default(self):
        return "briefing"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(TEMPLATES)]

    @default("exclude_input")
    def _exclude_input_default(self):
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True

    @default("embed_images")
    def _embed_images_default(self):
        return True

    @default("anchor_link_text")
    def _anchor_link_text_default(self):
        return ""

    @default("optimistic_validation")
    def _optimistic_validation_default(self):
        # Validate the notebook once, after all the preprocessors, not after each of the 14
        # (nbconvert's option; the output is the same).
        return True

    @default("default_preprocessors")
    def _default_preprocessors_default(self):
        # Ours first, as the cells a reader never sees must go before nbconvert's own steps
        # (which, for example, merge adjacent output streams).
        stock = HTMLExporter.class_traits()["default_preprocessors"].default()
        return [RemoveForReaders, ReaderOnly, *stock]

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = dict(resources or {})
        brief = resources.get("brief") or nb.metadata.get(METADATA_KEY)
        if not brief:
            raise RenderError(
                "This notebook has no brief recorded (metadata.briefkit): render the executed notebook "
                "that build.py keeps in briefs/_build/, or build the brief with python build.py."
            )
        resources["brief"] = brief
        # The caller's notebook is left as it was: a copy of its top level with metadata of its
        # own (nbconvert deep-copies the notebook before any preprocessor changes a cell).
        nb = NotebookNode({**nb, "metadata": NotebookNode({**nb.metadata,
                                                           "title": f"{brief['title']} — {brief['marking']}"})})
        return super().from_notebook_node(nb, resources=resources, **kw)
