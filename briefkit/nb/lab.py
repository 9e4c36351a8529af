"""Notebooks that look like briefs in JupyterLab: the house style and the marking banner.

In an analyst's own kernel (JupyterLab, or papermill run by hand: no ``BRIEFKIT_MARKING``,
which the engine sets for every build), the first use of a display helper (``bk.key_points``,
``bk.show_table``, ``bk.chart``, ``bk.md``, ``bk.sources``...) displays once per kernel:

- the house CSS (``templates/briefing/briefing.css``), scoped to the outputs and Markdown of
  the notebook that shows it (``.jp-Notebook:has(.bk-house)``), so Lab itself and other
  notebooks keep their own look; print-only rules, page rules and rules for Lab's own
  elements are left out;
- a marking banner with the notebook's ``marking`` parameter, as the brief's readers see it.

Never under the engine: a build's outputs do not change. :func:`activate` is called by
``briefkit.__getattr__`` and does nothing after its first call in a process.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from briefkit import config, markings

__all__ = ["activate", "house_css", "banner_html"]

CSS = Path(__file__).resolve().parent.parent / "templates" / "briefing" / "briefing.css"
SCOPES = (".jp-Notebook:has(.bk-house) .jp-OutputArea-output",
          ".jp-Notebook:has(.bk-house) .jp-MarkdownOutput")
ROOT_SCOPE = ".jp-Notebook:has(.bk-house)"
DROPPED = re.compile(r"^(html|body\b.*|main\b.*|\*)$|\.jp-|\.marking-band|\.title-block|\.pack-title|dl\.meta")
_DONE: list[bool] = []


def activate(namespace: dict | None = None) -> bool:
    """Display the house style and the marking banner once, in an analyst's own kernel.

    Returns whether it displayed them. ``namespace``: where to find ``marking`` (default:
    the IPython user namespace, where the parameters cell put it).
    """
    if _DONE:
        return False
    _DONE.append(True)
    if config.kernel_settings().marking is not None:  # under the engine: outputs must not change
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):  # a plain Python or terminal IPython
        return False
    from IPython.display import HTML, display

    ns = namespace if namespace is not None else shell.user_ns
    display(HTML(house_css() + banner_html(ns.get("marking"))),
            metadata={"briefkit": {"lab": True}})
    return True


def banner_html(marking) -> str:
    """The marking banner as readers see it on every page of the brief."""
    try:
        shown = markings.normalise(marking if isinstance(marking, str) and marking else markings.DEFAULT)
    except ValueError:
        shown = f"{marking} (not a protective marking: the build will refuse it)"
    return ('<div class="bk-house bk-lab-banner" role="note" aria-label="Protective marking">'
            f'{html.escape(shown)}</div>'
            '<p class="bk-house bk-lab-note">Shown in the house style, as in the built brief. '
            'Preview the brief itself: <code>python build.py preview ID</code></p>')


def house_css(text: str | None = None) -> str:
    """The house CSS scoped to notebooks that show it, in a ``<style>`` element."""
    rules = scope(CSS.read_text(encoding="utf-8") if text is None else text)
    banner = (f"{ROOT_SCOPE} .bk-lab-banner {{ text-align: center; font: 700 10pt/1.8 var(--font); "
              "color: var(--marking); background: #fff; border-top: 1px solid #000; "
              "border-bottom: 1px solid #000; margin: 0 0 2mm; }\n"
              f"{ROOT_SCOPE} .bk-lab-note {{ font-size: 8.5pt; color: var(--muted); margin: 0; }}\n"
              f"{ROOT_SCOPE} .jp-OutputArea-output, {ROOT_SCOPE} .jp-MarkdownOutput "
              "{ font: 11pt/1.5 var(--font); color: var(--ink); }\n")
    return f'<style class="bk-house">\n{rules}{banner}</style>'


def scope(css: str) -> str:
    """Each rule of ``css`` under :data:`SCOPES`; ``:root`` becomes :data:`ROOT_SCOPE`.

    ``@page`` and ``@media print`` blocks go (they apply to the printed brief only), and so do
    rules for the page's frame (html, body, main) and for Lab's own elements (``.jp-*``).
    """
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out = []
    for prelude, body in _blocks(css):
        if prelude.startswith("@"):
            if prelude.startswith("@media") and "print" not in prelude:
                out.append(f"{prelude} {{\n{scope(body)}}}\n")
            continue
        selectors = []
        for sel in _selectors(prelude):
            sel = re.sub(r"^(article)?\.brief-body\s+", "", sel)  # Lab has no brief-body wrapper
            if sel == ":root":
                selectors.append(ROOT_SCOPE)
            elif sel and not DROPPED.search(sel):
                selectors.extend(f"{s} {sel}" for s in SCOPES)
        if selectors:
            out.append(f"{', '.join(selectors)} {{{body}}}\n")
    return "".join(out)


def _selectors(prelude: str) -> list[str]:
    """``a, b:has(c, d)`` -> ``["a", "b:has(c, d)"]``: commas inside parentheses stay."""
    parts, depth, current = [], 0, ""
    for ch in prelude:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    return [p for p in [*parts, current.strip()] if p]


def _blocks(css: str):
    """(prelude, body) of each top-level block, braces balanced."""
    i, n = 0, len(css)
    while i < n:
        start = css.find("{", i)
        if start < 0:
            return
        depth, j = 1, start + 1
        while j < n and depth:
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        prelude = css[i:start].strip()
        if ";" in prelude:  # @import or @charset before the rule
            prelude = prelude.rsplit(";", 1)[1].strip()
        yield prelude, css[start + 1:j - 1]
        i = j
