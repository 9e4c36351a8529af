"""Charts in the house style, rendered to accessible, deterministic inline SVG.

A notebook builds a figure with one of the helpers below (or ``new_figure`` and Matplotlib
calls), then hands it to :func:`chart`, which renders it to SVG, inserts the alternative text as
the SVG's ``<title>``, wraps it in the pack's figure markup with a caption and a source line,
displays it, and closes the figure::

    fig = line_chart(df, x="year", y="stockpile", series="country",
                     title="Nuclear warhead stockpiles, 1945-2023",
                     xlabel="Year", ylabel="Warheads (number)")
    chart(fig, alt="Line chart: ...", source="Federation of American Scientists via OWID")

Nothing here knows about any particular pack: labels, colours to highlight and data come from
the caller. Figures are plain ``matplotlib.figure.Figure`` objects (not pyplot), so a Jupyter
inline backend never shows them a second time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.style  # noqa: F401  (makes mpl.style available)
import numpy as np
import pandas as pd
from markupsafe import Markup, escape
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

STYLE = Path(__file__).parents[1] / "styles" / "briefing.mplstyle"

#: Okabe-Ito colours in series order (neighbours differ in lightness as well as hue).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue (dark)
    "#E69F00",  # orange (light)
    "#D55E00",  # vermillion (mid)
    "#56B4E9",  # sky blue (light)
    "#009E73",  # bluish green (mid)
    "#000000",  # black
    "#CC79A7",  # reddish purple (mid-light)
)
#: Fill patterns in series order, so bars and spans read in greyscale print.
HATCHES: tuple[str, ...] = ("", "///", "...", "xxx", "\\\\\\", "ooo", "+++")
LINESTYLES: tuple = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "-")
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "x")
#: Colour for "the rest" when one category is highlighted, and for the highlight.
BASE_COLOUR = "#0072B2"
HIGHLIGHT_COLOUR = "#E69F00"
MUTED_COLOUR = "#7f7f7f"

#: Width of the A4 portrait text column, inches.
TEXT_WIDTH_IN = 6.3

_SVG_RC = {
    "svg.fonttype": "path",  # glyphs as paths: identical in every browser and in the PDF
    "svg.hashsalt": "briefkit",  # stable clip-path and marker ids
    "svg.id": None,
    "text.parse_math": False,  # tick labels made at draw time are data too
}


# --------------------------------------------------------------------------- style

def use_style() -> None:
    """Make the house style the kernel's default (done by :func:`new_figure`)."""
    mpl.style.use(str(STYLE))


def series_style(i: int) -> dict:
    """Colour, line style, marker and hatch of the ``i``-th series (cycling)."""
    n = len(PALETTE)
    return {
        "color": PALETTE[i % n],
        "linestyle": LINESTYLES[i % n],
        "marker": MARKERS[i % n],
        "hatch": HATCHES[i % n],
    }


def new_figure(
    title: str,
    *,
    xlabel: str = "",
    ylabel: str = "",
    height: float = 3.4,
    width: float = TEXT_WIDTH_IN,
    ncols: int = 1,
    nrows: int = 1,
    sharey: bool = False,
    sharex: bool = False,
):
    """A house-style figure sized for the A4 text column, with its title and axis labels.

    Returns ``(fig, ax)`` for one panel, ``(fig, axes_array)`` for several. With several
    panels, ``title`` goes on the figure and ``xlabel``/``ylabel`` on each panel.
    """
    if not str(title).strip():
        raise ValueError("Every chart needs a title: pass title='What the chart shows, when'.")
    use_style()
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=False)
    # The title sits at the figure's left edge (not the axes'), as in a printed report.
    fig.suptitle(title, x=0.01, ha="left")
    if axes.size == 1:
        ax = axes[0, 0]
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        return fig, ax
    for ax in axes.flat:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    return fig, axes


def thousands(ax_axis) -> None:
    """Format an axis' tick labels with thousands separators (``ax.yaxis``)."""
    ax_axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def _years_axis(ax) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(nbins=9, steps=[1, 2, 5, 10], integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))


def _order(values: pd.Series, order: Sequence | None) -> list:
    if order is not None:
        present = set(values.dropna().unique())
        return [v for v in order if v in present]
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [v for v in values.cat.categories if v in present]
    return list(pd.unique(values.dropna()))


def _truthy(value) -> bool:
    return bool(value) if pd.notna(value) else False


def _legend(fig, ax, n: int, order: Sequence | None = None) -> None:
    """A legend under the plot, entries left to right, as many columns as fit the width."""
    if n <= 1:
        return
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if order is not None:
        rank = {str(v): i for i, v in enumerate(order)}
        pairs = sorted(zip(handles, labels), key=lambda hl: rank.get(hl[1], len(rank)))
        handles, labels = [h for h, _ in pairs], [lab for _, lab in pairs]
    width_chars = fig.get_figwidth() * 72 / 4.9  # ~characters of 8 pt text across the figure

    def fits(ncols: int) -> bool:
        cols = [labels[c::ncols] for c in range(ncols)]
        return sum(max(len(x) for x in col) + 8 for col in cols if col) <= width_chars

    ncols = min(len(handles), 5)
    while ncols > 1 and not fits(ncols):
        ncols -= 1
    rows = -(-len(handles) // ncols)
    # Matplotlib fills legend columns first; reorder so entries read left to right.
    idx = [r * ncols + c for c in range(ncols) for r in range(rows) if r * ncols + c < len(handles)]
    fig.legend([handles[i] for i in idx], [labels[i] for i in idx],
               loc="outside lower center", ncols=ncols, handlelength=3.2)


def _count_axis(axis) -> None:
    """Tick at round numbers; whole numbers without decimals, thousands separated."""
    axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"))


# --------------------------------------------------------------------------- chart types

def line_chart(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    xlabel: str,
    ylabel: str,
    series: str | None = None,
    facet: str | None = None,
    order: Sequence | None = None,
    highlight: str | None = None,
    logy: bool = False,
    height: float = 3.4,
    zero: bool = True,
) -> Figure:
    """Lines of ``y`` over ``x``: one per value of ``series``, one panel per value of ``facet``.

    Each series gets its own colour, line style and marker (readable in greyscale); the
    ``highlight`` series is drawn heavier. Panels share the y axis so they can be compared.
    """
    data = data.dropna(subset=[x, y])
    facets = _order(data[facet], None) if facet else [None]
    fig, axes = new_figure(
        title, xlabel=xlabel, ylabel=ylabel, height=height, ncols=len(facets), sharey=True
    )
    axes = np.atleast_1d(axes).ravel()
    names = _order(data[series], order) if series else [None]
    for ax, fval in zip(axes, facets):
        part = data if facet is None else data[data[facet] == fval]
        for i, name in enumerate(names):
            rows = part if series is None else part[part[series] == name]
            rows = rows.sort_values(x)
            if logy:
                rows = rows[rows[y] > 0]
            if rows.empty:
                continue
            st = series_style(i)
            heavy = highlight is not None and name == highlight
            ax.plot(
                rows[x],
                rows[y].astype(float),
                label=str(name) if name is not None else None,
                color=st["color"],
                linestyle=st["linestyle"],
                marker=st["marker"],
                markevery=max(1, len(rows) // 10),
                linewidth=2.4 if heavy else 1.5,
                markersize=4.5 if heavy else 3.5,
                zorder=3 if heavy else 2,
            )
        if fval is not None:
            ax.set_title(str(fval), fontsize=9, fontweight="normal")
        if logy:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        else:
            if zero:
                ax.set_ylim(bottom=0)
            _count_axis(ax.yaxis)
        if pd.api.types.is_numeric_dtype(data[x]):
            _years_axis(ax)
    if facet is not None:
        for ax in axes[1:]:
            ax.set_ylabel("")
    _legend(fig, axes[0], len(names) if series else 0, names)
    return fig


def bar_chart(
    data: pd.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    value_label: str,
    category_label: str = "",
    highlight: str | Sequence[str] | None = None,
    sort: bool = True,
    value_labels: bool = True,
    height: float | None = None,
    value_format: str = "{:,.0f}",
) -> Figure:
    """Horizontal bars of ``value`` by ``category`` (largest at the top when ``sort``).

    Highlighted categories are orange with a hatch pattern, so they stand out in greyscale too.
    """
    data = data.dropna(subset=[value])
    if sort:
        data = data.sort_values(value, ascending=True, kind="stable")
    else:
        data = data.iloc[::-1]
    wanted = {highlight} if isinstance(highlight, str) else set(highlight or ())
    if height is None:
        height = min(8.0, 1.0 + 0.26 * len(data))
    fig, ax = new_figure(title, xlabel=value_label, ylabel=category_label, height=height)
    labels = data[category].astype(str).tolist()
    values = data[value].astype(float).to_numpy()
    is_hl = [c in wanted for c in labels]
    colours = [HIGHLIGHT_COLOUR if h else BASE_COLOUR for h in is_hl]
    bars = ax.barh(labels, values, color=colours, edgecolor="#1a1a1a", linewidth=0.5, height=0.7)
    for bar, h in zip(bars, is_hl):
        if h:
            bar.set_hatch("///")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.set_xlim(0, max(values.max() * 1.12, 1) if len(values) else 1)
    thousands(ax.xaxis)
    if value_labels:
        for bar, v in zip(bars, values):
            ax.annotate(
                value_format.format(v),
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(3, 0), textcoords="offset points", va="center", fontsize=7.5,
            )
    ax.tick_params(axis="y", length=0)
    return fig


def column_chart(
    data: pd.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    xlabel: str,
    ylabel: str,
    group: str | None = None,
    group_order: Sequence | None = None,
    value_labels: bool = True,
    height: float = 3.2,
    value_format: str = "{:,.0f}",
    missing_label: str = "no data",
) -> Figure:
    """Vertical bars of ``value`` for each ``category`` in the order given (e.g. periods).

    ``group`` styles bars by a category (colour and hatch, with a legend), e.g. to set apart
    figures from a secondary source. A row whose value is missing keeps its place on the axis
    and is labelled ``missing_label``.
    """
    fig, ax = new_figure(title, xlabel=xlabel, ylabel=ylabel, height=height)
    groups = _order(data.dropna(subset=[value])[group], group_order) if group else [None]
    labels = data[category].astype(str).tolist()
    seen: set = set()
    for pos, (_, row) in enumerate(data.iterrows()):
        if pd.isna(row[value]):  # a gap in the series stays visible as a gap
            ax.annotate(missing_label, (pos, 0), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7.5, color=MUTED_COLOUR)
            continue
        g = row[group] if group else None
        st = series_style(groups.index(g) if g in groups else 0)
        ax.bar(pos, float(row[value]), width=0.7, color=st["color"], hatch=st["hatch"],
               edgecolor="#1a1a1a", linewidth=0.5,
               label=str(g) if group and g not in seen else None)
        seen.add(g)
        if value_labels:
            ax.annotate(value_format.format(float(row[value])), (pos, float(row[value])),
                        xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                        fontsize=7.5)
    ax.set_xticks(range(len(labels)), labels)
    ax.grid(axis="x", visible=False)
    top = float(data[value].max()) if data[value].notna().any() else 1.0
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    _count_axis(ax.yaxis)
    _legend(fig, ax, len(groups) if group else 0, groups)
    return fig


def step_chart(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    xlabel: str,
    ylabel: str,
    levels: Mapping[int, str],
    end=None,
    annotate: str | None = None,
    height: float = 3.2,
) -> Figure:
    """A level held from each ``x`` until the next (e.g. an alert level over time).

    ``data`` holds one row per change (sorted by ``x``); ``levels`` maps the numeric ``y`` to
    tick labels; ``end`` extends the last level to a date (default: the last ``x``).
    ``annotate`` names a column whose text is written beside each change point.
    """
    data = data.sort_values(x)
    fig, ax = new_figure(title, xlabel=xlabel, ylabel=ylabel, height=height)
    xs = list(data[x])
    ys = [float(v) for v in data[y]]
    if end is not None and xs:
        xs.append(pd.Timestamp(end) if isinstance(xs[0], pd.Timestamp) else end)
        ys.append(ys[-1])
    ax.step(xs, ys, where="post", color=BASE_COLOUR, linewidth=2.2, marker=None)
    ax.plot(list(data[x]), [float(v) for v in data[y]], linestyle="none", marker="o",
            color=BASE_COLOUR, markersize=5, markeredgecolor="white", zorder=3)
    ticks = sorted(levels)
    ax.set_yticks(ticks, [levels[t] for t in ticks])
    ax.set_ylim(min(ticks) - 0.5, max(ticks) + 0.7)
    ax.grid(axis="y", visible=True)
    if annotate:
        import matplotlib.dates as mdates

        def num(v):
            return mdates.date2num(pd.Timestamp(v)) if isinstance(v, pd.Timestamp | np.datetime64) else float(v)

        lo, hi = num(xs[0]), num(xs[-1])
        for i, (_, row) in enumerate(data.iterrows()):
            text = row[annotate]
            if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text):
                continue
            right = hi > lo and (num(row[x]) - lo) / (hi - lo) > 0.8  # near the right edge
            ax.annotate(
                str(text), (row[x], float(row[y])),
                xytext=(-4 if right else 4, 7 if i % 2 == 0 else -12), ha="right" if right else "left",
                textcoords="offset points", fontsize=7, color="#1a1a1a",
            )
    return fig


def timeline_chart(
    data: pd.DataFrame,
    *,
    start: str,
    end: str,
    label: str,
    title: str,
    xlabel: str,
    group: str | None = None,
    open_end: str | None = None,
    group_order: Sequence | None = None,
    height: float | None = None,
    min_span: float = 12,
) -> Figure:
    """One horizontal bar per row from ``start`` to ``end`` (years, inclusive), earliest on top.

    ``group`` colours and hatches the bars by a category (with a legend); ``open_end`` names a
    boolean column for rows still running at ``end``: those bars end in an arrow.
    """
    data = data.dropna(subset=[start]).sort_values([start, label], ascending=[False, True])
    if height is None:
        height = min(9.0, 1.5 + 0.22 * len(data))
    fig, ax = new_figure(title, xlabel=xlabel, height=height)
    if data.empty:
        _no_data(ax)
        return fig
    groups = _order(data[group], group_order) if group else [None]
    seen: set = set()
    for pos, (_, row) in enumerate(data.iterrows()):
        g = row[group] if group else None
        i = groups.index(g) if g in groups else 0
        st = series_style(i)
        s = float(row[start])
        e = float(row[end]) if pd.notna(row[end]) else s
        ax.barh(
            pos, e - s + 1, left=s, height=0.6, color=st["color"], hatch=st["hatch"],
            edgecolor="#1a1a1a", linewidth=0.5,
            label=str(g) if group and g not in seen else None,
        )
        seen.add(g)
        if open_end and _truthy(row[open_end]):
            ax.annotate("", xy=(e + 2.2, pos), xytext=(e + 1, pos),
                        arrowprops={"arrowstyle": "-|>", "color": "#1a1a1a", "lw": 0.9})
    ax.set_yticks(range(len(data)), data[label].astype(str).tolist())
    ax.set_ylim(-0.7, len(data) - 0.3)
    lo = float(data[start].min())
    hi = float(pd.to_numeric(data[end], errors="coerce").fillna(data[start]).max()) + 1
    if hi - lo < min_span:  # a short history still gets a readable time axis
        pad = (min_span - (hi - lo)) / 2
        lo, hi = lo - pad, hi + pad
    ax.set_xlim(lo - 1, hi + 3)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    _years_axis(ax)
    _legend(fig, ax, len(groups) if group else 0, groups)
    return fig


def event_chart(
    data: pd.DataFrame,
    *,
    date: str,
    label: str,
    title: str,
    xlabel: str,
    group: str | None = None,
    group_order: Sequence | None = None,
    height: float | None = None,
) -> Figure:
    """Dated events as points on a time axis: one row per ``label`` (earliest first, at the
    top), one marker style per ``group`` (e.g. signed / ratified / in force), with a legend."""
    data = data.dropna(subset=[date])
    rows = list(pd.unique(data.sort_values(date, kind="stable")[label].astype(str)))
    if height is None:
        height = min(8.0, 1.5 + 0.3 * max(len(rows), 1))
    fig, ax = new_figure(title, xlabel=xlabel, height=height)
    if data.empty:
        _no_data(ax)
        return fig
    groups = _order(data[group], group_order) if group else [None]
    pos_of = {name: len(rows) - 1 - i for i, name in enumerate(rows)}
    # Nudge groups apart vertically so events close in time do not hide each other.
    nudge = [0.0] if len(groups) == 1 else list(np.linspace(0.16, -0.16, len(groups)))
    for i, g in enumerate(groups):
        part = data if group is None else data[data[group] == g]
        st = series_style(i)
        ax.plot(list(part[date]), [pos_of[str(v)] + nudge[i] for v in part[label]], linestyle="none",
                marker=st["marker"], color=st["color"], markersize=6.5,
                markeredgecolor="#1a1a1a", markeredgewidth=0.6,
                label=str(g) if group is not None else None, zorder=3)
    ax.set_yticks([pos_of[r] for r in rows], rows)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=True, color="#e6e6e6")
    ax.grid(axis="x", visible=True)
    if pd.api.types.is_numeric_dtype(data[date]):
        _years_axis(ax)
    _legend(fig, ax, len(groups) if group else 0, groups)
    return fig


def _no_data(ax, text: str = "No data to show for this selection") -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color=MUTED_COLOUR)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


# --------------------------------------------------------------------------- rendering

_ID_RE = re.compile(r'\bid="([^"]+)"')
_REF_RE = re.compile(r'(id="|href="#)([^"]+)(?=")|(url\(#)([^)]+)(?=\))')


def _check_labels(fig: Figure) -> None:
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    titled = bool(fig.get_suptitle().strip()) or any(
        ax.get_title(loc).strip() for ax in axes for loc in ("left", "center", "right")
    )
    if not titled:
        raise ValueError("The chart has no title: set one with ax.set_title(...) or new_figure(title=...).")
    for ax in axes:
        if not (ax.get_xlabel().strip() or ax.get_ylabel().strip()):
            raise ValueError(
                "A chart panel has no axis label: label the axes with their units, "
                "e.g. ax.set_ylabel('Personnel (number)')."
            )


def render_svg(fig: Figure) -> str:
    """The figure as SVG text, byte-for-byte the same for the same figure."""
    import io

    buf = io.StringIO()
    with mpl.rc_context(_SVG_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def figure_html(fig: Figure, alt: str, source: str, caption: str | None = None) -> Markup:
    """The pack's figure markup for ``fig``: inline SVG with alt text, caption and source.

    ``alt``, ``source`` and ``caption`` are text, escaped here (``source`` and ``caption`` may
    also be engine ``Markup``; alt text is always plain text). Matplotlib draws the chart's own
    text as paths and escapes the comment naming each one; house style keeps data out of
    mathtext (``text.parse_math: False``).
    """
    alt = " ".join((alt.striptags() if isinstance(alt, Markup) else str(alt or "")).split())
    source = Markup(" ").join(source.split()) if isinstance(source, Markup) else " ".join(str(source or "").split())
    if not alt:
        raise ValueError("Every chart needs alternative text: pass alt='Line chart of ... showing ...'.")
    if not source:
        raise ValueError("Every chart needs a source line: pass source='Publisher, dataset (year)'.")
    _check_labels(fig)
    svg = render_svg(fig)
    digest = hashlib.sha1(
        "\x1f".join([svg, alt, source, caption or ""]).encode("utf-8")
    ).hexdigest()[:10]
    fid = f"bkfig-{digest}"

    # Inline SVG in HTML5: drop the XML prolog, DOCTYPE, metadata and namespace URLs.
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    # Make every id unique to this figure, so several charts can share one page: each
    # id="X", href="#X" and url(#X) of an id X the chart defines, in one pass over the text.
    ids = set(_ID_RE.findall(svg))

    def scoped(found: re.Match) -> str:
        before, name = (found.group(1), found.group(2)) if found.group(1) else (found.group(3), found.group(4))
        return f"{before}{fid}-{name}" if name in ids else found.group(0)

    svg = _REF_RE.sub(scoped, svg)
    # Scope Matplotlib's global "*{...}" rule to this figure.
    svg = svg.replace("*{stroke-linejoin", f"#{fid} *{{stroke-linejoin")
    title_id = f"{fid}-title"
    svg = re.sub(
        r"<svg\b",
        f'<svg id="{fid}" class="bk-chart" role="img" aria-labelledby="{title_id}" '
        f'style="max-width:100%;height:auto"',
        svg,
        count=1,
    )
    svg = re.sub(
        r"(<svg\b[^>]*>)",
        lambda m: f'{m.group(1)}\n <title id="{title_id}">{escape(alt)}</title>',
        svg,
        count=1,
    )
    cap = Markup('<span class="bk-caption">{}</span>').format(caption) if caption else ""
    # The SVG is Matplotlib's own markup (its text escaped by Matplotlib); the rest is escaped here.
    return Markup(
        f'<figure class="bk-figure">\n{svg.strip()}\n'
        f'<figcaption>{cap}<span class="bk-source">Source: {escape(source)}</span>'
        "</figcaption>\n</figure>"
    )


def chart(fig: Figure, alt: str, source: str, caption: str | None = None) -> None:
    """Display ``fig`` as an accessible inline-SVG figure with caption and source; close it.

    ``alt`` says what the chart shows (read aloud by screen readers and shown as a tooltip);
    ``source`` names the data's publisher; ``caption`` is an optional sentence under the chart.
    """
    from IPython.display import HTML, display

    try:
        markup = figure_html(fig, alt, source, caption)
    finally:
        _close(fig)
    display(HTML(markup))


def _close(fig: Figure) -> None:
    try:
        import sys

        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close(fig)
    except Exception:  # pragma: no cover - closing is best effort
        pass
