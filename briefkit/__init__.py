"""briefkit: build parameterised notebook briefings into HTML and PDF.

The public surface is small and cheap to import; heavy modules load on first use so that a
no-op ``python build.py`` starts fast.

In a notebook::

    import briefkit as bk
    threats = bk.table("threats", marking=marking)   # validated, typed, ceiling-filtered
    bk.key_points([...]); bk.md("...", value=...); bk.chart(fig, alt=..., source=...)
    bk.sources()                                      # the brief's Sources section
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    # data access (briefkit.data)
    "table": "briefkit.data",
    "sources": "briefkit.data",
    # presentation helpers for notebooks (briefkit.prose, briefkit.charts)
    "key_points": "briefkit.prose",
    "md": "briefkit.prose",
    "show_table": "briefkit.prose",
    "fmt_int": "briefkit.prose",
    "fmt_num": "briefkit.prose",
    "fmt_percent": "briefkit.prose",
    "fmt_date": "briefkit.prose",
    "fmt_list": "briefkit.prose",
    "plural": "briefkit.prose",
    "unverified_flag": "briefkit.prose",
    "chart": "briefkit.charts",
    "new_figure": "briefkit.charts",
    "line_chart": "briefkit.charts",
    "bar_chart": "briefkit.charts",
    "column_chart": "briefkit.charts",
    "step_chart": "briefkit.charts",
    "timeline_chart": "briefkit.charts",
    "event_chart": "briefkit.charts",
    # errors are cheap
    "BriefkitError": "briefkit.errors",
    "CatalogueError": "briefkit.errors",
    "ParameterError": "briefkit.errors",
    "DataValidationError": "briefkit.errors",
    "BriefExecutionError": "briefkit.errors",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'briefkit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
