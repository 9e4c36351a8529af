"""briefkit: build parameterised notebook briefings into HTML and PDF.

The public surface is small and cheap to import; heavy modules load on first use so that a
no-op ``python build.py`` starts fast.

In a notebook::

    import briefkit as bk
    threats = bk.table("threats", marking=marking)   # validated, typed, ceiling-filtered
    bk.table_info("threats")                          # its title, as_of, sources, licence
    bk.key_points([...]); bk.md("...", value=...); bk.chart(fig, alt=..., source=...)
    bk.sources()                                      # the brief's Sources section
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    # the kernel side (briefkit.nb): data access, provenance
    "table": "briefkit.nb.tables",
    "table_info": "briefkit.nb.tables",
    "measure_of": "briefkit.nb.tables",
    "sources": "briefkit.nb.sources",
    "judgements": "briefkit.nb.judgements",
    # presentation helpers for notebooks
    "key_points": "briefkit.nb.prose",
    "bullets": "briefkit.nb.prose",
    "md": "briefkit.nb.prose",
    "show_table": "briefkit.nb.prose",
    "fmt_int": "briefkit.nb.prose",
    "fmt_num": "briefkit.nb.prose",
    "fmt_percent": "briefkit.nb.prose",
    "fmt_date": "briefkit.nb.prose",
    "fmt_list": "briefkit.nb.prose",
    "plural": "briefkit.nb.prose",
    "fmt_quantity": "briefkit.nb.prose",
    "flagged": "briefkit.nb.prose",
    "phrase": "briefkit.nb.prose",
    "sentence": "briefkit.nb.prose",
    "is_flagged": "briefkit.nb.prose",
    "unverified_flag": "briefkit.nb.prose",
    "chart": "briefkit.nb.charts",
    "new_figure": "briefkit.nb.charts",
    "line_chart": "briefkit.nb.charts",
    "bar_chart": "briefkit.nb.charts",
    "column_chart": "briefkit.nb.charts",
    "step_chart": "briefkit.nb.charts",
    "timeline_chart": "briefkit.nb.charts",
    "event_chart": "briefkit.nb.charts",
    # errors are cheap
    "BriefkitError": "briefkit.errors",
    "CatalogueError": "briefkit.errors",
    "ParameterError": "briefkit.errors",
    "DataValidationError": "briefkit.errors",
    "BriefExecutionError": "briefkit.errors",
}

__all__ = sorted(_LAZY) + ["__version__"]


_DISPLAYS = {"briefkit.nb.prose", "briefkit.nb.charts", "briefkit.nb.sources", "briefkit.nb.judgements"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'briefkit' has no attribute {name!r}")
    if module in _DISPLAYS:  # an analyst's own kernel (never a build) shows the house style once
        from briefkit.nb.lab import activate

        activate()
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
