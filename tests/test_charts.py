"""briefkit.nb.charts: house style, accessible deterministic SVG, figure markup."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from briefkit.nb import charts


def line_fig(title="Warheads, 1945-2023", ylabel="Warheads (number)"):
    df = pd.DataFrame(
        {
            "year": [2000, 2001, 2002, 2000, 2001, 2002],
            "value": [10, 12, 15, 3, 2, 4],
            "country": ["A", "A", "A", "B", "B", "B"],
        }
    )
    return charts.line_chart(df, x="year", y="value", series="country", title=title, xlabel="Year", ylabel=ylabel)


# --------------------------------------------------------------------------- markup

def test_figure_markup_has_alt_text_role_and_source():
    out = charts.figure_html(line_fig(), alt="Line chart of A & B <rising>", source="FAS via OWID", caption="A caption.")
    assert out.startswith('<figure class="bk-figure">')
    svg = re.search(r"<svg\b[^>]*>", out).group(0)
    assert 'role="img"' in svg
    title_id = re.search(r'aria-labelledby="([^"]+)"', svg).group(1)
    assert f'<title id="{title_id}">Line chart of A &amp; B &lt;rising&gt;</title>' in out
    assert '<figcaption><span class="bk-caption">A caption.</span><span class="bk-source">Source: FAS via OWID</span></figcaption>' in out
    assert out.rstrip().endswith("</figure>")


def test_svg_is_ready_to_inline_in_html():
    out = charts.figure_html(line_fig(), alt="alt", source="src")
    assert "<?xml" not in out and "<!DOCTYPE" not in out
    assert "<metadata" not in out
    assert "http://" not in out and "https://" not in out  # no namespace or creator URLs
    assert "xlink:href" not in out
    # Every internal reference points at an id defined in this figure.
    ids = set(re.findall(r'\bid="([^"]+)"', out))
    refs = set(re.findall(r'href="#([^"]+)"', out)) | set(re.findall(r"url\(#([^)]+)\)", out))
    assert refs and refs <= ids  # glyphs drawn as <use href="#..."> and clip paths as url(#...)
    fid = re.search(r'<svg id="([^"]+)"', out).group(1)
    assert all(i.startswith(fid) for i in ids)


def test_two_charts_on_one_page_share_no_ids():
    a = charts.figure_html(line_fig(), alt="a", source="s")
    b = charts.figure_html(line_fig(title="Another title"), alt="b", source="s")
    ids_a = set(re.findall(r'\bid="([^"]+)"', a))
    ids_b = set(re.findall(r'\bid="([^"]+)"', b))
    assert ids_a and ids_b and not ids_a & ids_b


def test_same_input_gives_the_same_bytes():
    a = charts.figure_html(line_fig(), alt="alt", source="src")
    b = charts.figure_html(line_fig(), alt="alt", source="src")
    assert a == b
    assert charts.render_svg(line_fig()) == charts.render_svg(line_fig())


def test_text_is_drawn_as_paths_so_no_font_is_needed():
    svg = charts.render_svg(line_fig())
    assert "<text" not in svg


@pytest.mark.parametrize(("alt", "source", "match"), [("", "src", "alternative text"), ("  ", "src", "alternative text"), ("alt", "", "source")])
def test_alt_and_source_are_required(alt, source, match):
    with pytest.raises(ValueError, match=match):
        charts.figure_html(line_fig(), alt=alt, source=source)


def test_title_and_axis_labels_are_required():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2], [3, 4])
    ax.set_xlabel("Year")
    with pytest.raises(ValueError, match="title"):
        charts.figure_html(fig, alt="a", source="s")
    with pytest.raises(ValueError, match="title"):
        charts.new_figure("")
    fig2, ax2 = charts.new_figure("Title")
    ax2.plot([1, 2], [3, 4])
    with pytest.raises(ValueError, match="axis label"):
        charts.figure_html(fig2, alt="a", source="s")


def test_chart_displays_html_and_closes(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert charts.chart(line_fig(), alt="Line chart", source="Somewhere") is None
    assert len(shown) == 1 and 'class="bk-figure"' in shown[0].data


def test_chart_closes_pyplot_figures(monkeypatch):
    import IPython.display
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(IPython.display, "display", lambda obj: None)
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2])
    ax.set_title("T")
    ax.set_ylabel("Y (units)")
    charts.chart(fig, alt="a", source="s")
    assert not plt.fignum_exists(fig.number)


# --------------------------------------------------------------------------- style

def test_house_style_sizes_for_a4_and_uses_palette():
    fig = line_fig()
    w, h = fig.get_size_inches()
    assert w == pytest.approx(charts.TEXT_WIDTH_IN)
    lines = fig.axes[0].get_lines()
    assert [ln.get_color().lower() for ln in lines] == [c.lower() for c in charts.PALETTE[:2]]
    # series differ in line style and marker too, so they read in greyscale
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    assert lines[0].get_marker() != lines[1].get_marker()


def test_palette_neighbours_differ_in_lightness():
    from matplotlib.colors import to_rgb

    def luminance(c):
        r, g, b = to_rgb(c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    first = [luminance(c) for c in charts.PALETTE[:4]]
    assert all(abs(a - b) > 0.1 for a, b in zip(first, first[1:]))


def test_style_file_is_valid():
    import matplotlib as mpl

    params = mpl.rc_params_from_file(str(charts.STYLE), use_default_template=False)
    assert params["svg.fonttype"] == "path"
    assert "DejaVu Sans" in params["font.sans-serif"]


# --------------------------------------------------------------------------- chart types

def test_bar_chart_highlights_with_hatch():
    df = pd.DataFrame({"country": ["USA", "China", "New Zealand"], "n": [4511, 587, 1]})
    fig = charts.bar_chart(df, category="country", value="n", title="Satellites", value_label="Satellites (number)", highlight="New Zealand")
    bars = fig.axes[0].patches
    hatched = [b for b in bars if b.get_hatch()]
    assert len(hatched) == 1
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-1] == "USA"  # largest at the top


def test_column_chart_keeps_gaps():
    df = pd.DataFrame({"period": ["2020/21", "2021/22", "2022/23"], "n": [404, None, 316], "basis": ["a", None, "b"]})
    fig = charts.column_chart(df, category="period", value="n", group="basis", title="Incidents", xlabel="Year", ylabel="Incidents (number)")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2020/21", "2021/22", "2022/23"]
    assert any(t.get_text() == "no data" for t in ax.texts)
    assert len(ax.patches) == 2


def test_step_timeline_event_and_faceted_charts_render():
    steps = pd.DataFrame({"d": pd.to_datetime(["2014-10-10", "2019-03-15", "2019-04-17"]), "r": [2, 4, 3], "t": ["raised", "raised", "lowered"]})
    f1 = charts.step_chart(steps, x="d", y="r", title="Level", xlabel="Date", ylabel="Level", levels={1: "A", 2: "B", 3: "C", 4: "D", 5: "E"}, end="2020-01-01", annotate="t")
    ops = pd.DataFrame({"name": ["X", "Y"], "s": [1990, 2000], "e": [1995, 2020], "open": [False, True], "g": ["UN-led", "Not UN-led"]})
    f2 = charts.timeline_chart(ops, start="s", end="e", label="name", group="g", open_end="open", title="Ops", xlabel="Year")
    ev = pd.DataFrame({"t": ["NPT", "TPNW"], "y": [1969.0, 2018.5], "e": ["Ratified", "Ratified"]})
    f3 = charts.event_chart(ev, date="y", label="t", group="e", title="Treaties", xlabel="Year")
    long = pd.DataFrame({"year": [2000, 2001, 2010, 2011], "v": [5, 6, 7, 8], "c": ["NZ"] * 4, "s": ["I", "I", "U", "U"]})
    f4 = charts.line_chart(long, x="year", y="v", series="c", facet="s", title="Personnel", xlabel="Year", ylabel="Personnel (number)", logy=True)
    for fig in (f1, f2, f3, f4):
        out = charts.figure_html(fig, alt="alt", source="src")
        assert 'role="img"' in out
    assert len(f4.axes) == 2
    assert [t.get_text() for t in f1.axes[0].get_yticklabels()] == ["A", "B", "C", "D", "E"]


def test_same_chart_in_another_process_gives_the_same_bytes():
    import subprocess
    import sys

    code = (
        "import hashlib, pandas as pd\n"
        "from briefkit.nb import charts\n"
        "df = pd.DataFrame({'year': [2000, 2001, 2002] * 2, 'value': [10, 12, 15, 3, 2, 4], 'country': ['A'] * 3 + ['B'] * 3})\n"
        "fig = charts.line_chart(df, x='year', y='value', series='country', title='Warheads, 1945-2023', xlabel='Year', ylabel='Warheads (number)')\n"
        "print(hashlib.sha256(charts.figure_html(fig, alt='alt', source='src').encode()).hexdigest())\n"
    )
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout for _ in range(2)}
    here = __import__("hashlib").sha256(charts.figure_html(line_fig(), alt="alt", source="src").encode()).hexdigest()
    assert runs == {here + "\n"}
