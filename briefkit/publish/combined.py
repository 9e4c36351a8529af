"""The combined PDF of a release set: the pack as one document.

Cover (title, marking, edition, issue date, issuing division, contact officer, approver), "at a
glance" (each brief's bottom line and the headline changes), contents with page numbers and
links, "Changes since <date>", then every brief from its own HTML, each on a new page with its
title block. One HTML document printed once by the build's browser, so the PDF is tagged for
screen readers, its outline (bookmarks) comes from the headings (one entry per brief, its
sections beneath), "Page X of Y" runs across the whole pack, the marking is at the top and
bottom of every page (CSS margin boxes), and each brief's pages carry its title as a running
header (a CSS named page per brief).

Each chart goes in as an image of its own SVG (``<img src="data:image/svg+xml...">``, alt text
from the chart's title), not inline: the same vector drawing at the same size, but Chromium
neither builds an accessibility node for every glyph of every chart nor lays them out in the
pack's document, which prints the pack about a third faster (measured in ``bench/README.md``).

Chromium cannot put page numbers in a table of contents (no ``target-counter``), so they are
predicted: the front pages are printed alone (a fraction of a second, while the whole pack
loads on another page) to count them, and each brief takes as many pages as its own PDF (same
page size, margins and CSS). The numbers are set in the loaded pack as text and it is printed;
the printed outline is then read back, and if a number was wrong the right ones are set and
the pack printed again.
"""

from __future__ import annotations

import base64
import functools
import html as html_lib
import logging
import re
from pathlib import Path
from typing import Callable

from .. import files
from ..catalogue import Pack
from .index import TEMPLATES, human_date

MAIN = re.compile(r"<main>(.*)</main>", re.S)
STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
ID_ATTR = re.compile(r'(\sid=")([^"]+)(")')
CHANGES = "#changes"  # the "Changes since" page among the contents' entries
ID_REF = re.compile(r'((?:href|xlink:href)="#|url\(#)([^")]+)')
log = logging.getLogger("briefkit")

CHART = re.compile(r'<svg\b(?=[^>]*\bclass="bk-chart")[^>]*>.*?</svg>', re.S)
CHART_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.S)
# An HTML parser lower-cases the SVG's names (the briefs' HTML went through one); an SVG file
# is XML and case-sensitive. The names the HTML standard restores ("adjust SVG attributes" and
# the SVG tag-name table, https://html.spec.whatwg.org/#parsing-main-inforeign):
SVG_NAMES = {name.lower(): name for name in """
    attributeName attributeType baseFrequency baseProfile calcMode clipPathUnits diffuseConstant
    edgeMode filterUnits glyphRef gradientTransform gradientUnits kernelMatrix kernelUnitLength
    keyPoints keySplines keyTimes lengthAdjust limitingConeAngle markerHeight markerUnits
    markerWidth maskContentUnits maskUnits numOctaves pathLength patternContentUnits
    patternTransform patternUnits pointsAtX pointsAtY pointsAtZ preserveAlpha preserveAspectRatio
    primitiveUnits refX refY repeatCount repeatDur requiredExtensions requiredFeatures
    specularConstant specularExponent spreadMethod startOffset stdDeviation stitchTiles
    surfaceScale systemLanguage tableValues targetX targetY textLength viewBox viewTarget
    xChannelSelector yChannelSelector zoomAndPan
    altGlyph altGlyphDef altGlyphItem animateColor animateMotion animateTransform clipPath feBlend
    feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
    feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR
    feGaussianBlur feImage feMerge feMergeNode feMorphology feOffset fePointLight
    feSpecularLighting feSpotLight feTile feTurbulence foreignObject linearGradient
    radialGradient textPath""".split()}
TAG_NAME = re.compile(r"</?([a-z][\w-]*)")
ATTR_NAME = re.compile(r"\s([a-z][\w:-]*)=")


def css_string(text: str) -> str:
    """``text`` made safe inside a double-quoted CSS string in a <style> element."""
    return "".join(ch if ch.isalnum() or ch in " .,:;-_()'!?&/+" else f"\\{ord(ch):X} " for ch in str(text))


def svg_file(svg: str) -> str | None:
    """A chart's inline SVG (as an HTML parser wrote it) as a standalone SVG file's text, or
    None if it would not be well-formed XML."""
    from xml.parsers import expat

    text = svg
    for name in set(TAG_NAME.findall(svg)) & SVG_NAMES.keys():
        text = re.sub(rf"(</?){name}(?=[\s/>])", rf"\g<1>{SVG_NAMES[name]}", text)
    for name in set(ATTR_NAME.findall(svg)) & SVG_NAMES.keys():
        text = re.sub(rf"(\s){name}(?==)", rf"\g<1>{SVG_NAMES[name]}", text)
    text = text.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ', 1)
    try:
        expat.ParserCreate().Parse(text.encode("utf-8"), True)
    except expat.ExpatError:
        return None
    return text


def chart_image(match: re.Match) -> str:
    """An inline chart as an ``<img>`` of its own SVG, its title as the alt text; the chart as
    it was if it cannot be made a file."""
    from markupsafe import escape

    svg = match.group(0)
    text = svg_file(svg)
    if text is None:
        return svg
    head = svg[:svg.index(">")]
    found = re.search(r'\sid="([^"]*)"', head)
    title = CHART_TITLE.search(svg)
    alt = " ".join(html_lib.unescape(re.sub(r"<[^>]*>", "", title.group(1))).split()) if title else ""
    ident = f' id="{found.group(1)}"' if found else ""
    return (f'<img class="bk-chart"{ident} alt="{escape(alt)}" '
            f'src="data:image/svg+xml;base64,{base64.b64encode(text.encode("utf-8")).decode("ascii")}">')


def brief_body(html: str, prefix: str) -> str:
    """The inside of a brief's ``<main>`` (title block, body, provenance), its charts as
    images (see the module's notes) and its ids prefixed so that no two briefs of the pack
    share one."""
    found = MAIN.search(html)
    body = CHART.sub(chart_image, found.group(1)) if found else ""
    body = ID_ATTR.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}{m.group(3)}", body)
    return ID_REF.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", body)


def head_styles(html: str) -> str:
    """The style sheets in a brief's <head> (the house CSS; the pack's own @page rules follow
    and override the brief's)."""
    return "\n".join(STYLE.findall(html.split("<body", 1)[0]))


@functools.lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("pack.html.j2")


def pack_html(pack: Pack, out: Path, rset, changes: dict | None, edition: str, built_at: str,
              front_only: bool = False) -> tuple[str, list[dict]]:
    """The set's combined HTML, and its briefs (id, title, bottom line, body) in order;
    ``front_only``: the front pages alone (cover to "Changes since"), to count them. The
    contents' page numbers are left empty, to be set in the loaded page (:func:`print_pack`)."""
    from markupsafe import Markup

    from . import changes as ch
    from .sets import issued_text

    briefs, styles = [], ""
    for n, r in enumerate(rset.records, start=1):
        name = (r.get("outputs") or {}).get("html")
        if not name or not (out / name).is_file():
            continue
        text = (out / name).read_text(encoding="utf-8")
        styles = styles or head_styles(text)
        briefs.append({"id": r["id"], "n": n, "title": r.get("title", r["id"]), "title_css": css_string(r.get("title", r["id"])),
                       "bottom_line": r.get("bottom_line"), "marking": r.get("marking"),
                       # the brief's own HTML, written and scanned by the build: engine markup
                       "body": Markup("" if front_only else brief_body(text, f"b{n}-"))})
    label, issued = issued_text(edition, built_at)
    page = _template().render(
        pack=pack, marking=rset.marking, marking_css=css_string(rset.marking), title_css=css_string(pack.title),
        briefs=briefs, changes=changes, headlines=ch.headlines(changes), human_date=human_date,
        edition_label=label, issued=issued, styles=Markup(styles.replace("</", "<\\/")),
        css=Markup((TEMPLATES / "pack.css").read_text(encoding="utf-8")), key_text=ch.key_text,
        shown_rows=ch.SHOWN_ROWS, dict_of=lambda row, key: {k: row.get(k, "") for k in key},
        front_only=front_only,
    )
    entries = ([{"id": CHANGES, "title": f"Changes since {human_date(changes['since'])}"}] if changes else []) + briefs
    return page, entries


def print_pack(printer: Callable, pack: Pack, out: Path, staging: Path, rset, changes: dict | None, dest: Path,
               edition: str = "", built_at: str = "") -> int:
    """Print the set's combined PDF to ``dest``; return its number of front pages.

    ``printer()`` gives the build's browser (:class:`~briefkit.exporters.browser.Browser`).
    The front pages are printed alone while the whole pack is made and loaded on another
    page; the contents' page numbers are then set in the loaded pack (as text) and it is
    printed once, or again with the numbers its outline shows if one was wrong.
    """
    import os
    import time
    from concurrent.futures import ThreadPoolExecutor

    from ..exporters.pdf import info, set_info, when

    started = time.perf_counter()
    browser = printer()
    html_path = files.temp_path(dest.with_suffix(".html"), staging)
    pdf_path = files.temp_path(dest, staging)
    front_html = files.temp_path(dest.with_suffix(".front.html"), staging)
    front_pdf = files.temp_path(dest.with_suffix(".front.pdf"), staging)
    try:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pack-print") as side:
            # The front pages printed alone (a fraction of a second) say how many there are and
            # where "Changes since" starts; last time's count is no guide once the changes grow.
            page, entries = pack_html(pack, out, rset, changes, edition, built_at, front_only=True)
            front_html.write_text(page, encoding="utf-8")
            front = side.submit(browser.pdf, front_html, front_pdf)
            page, entries = pack_html(pack, out, rset, changes, edition, built_at)
            html_path.write_text(page, encoding="utf-8")
            loading = side.submit(browser.document, html_path)
            from pypdf import PdfReader  # noqa: F401  (imported while the browser works: _starts needs it)

            with loading.result() as doc:
                front.result()
                count = page_count(front_pdf)
                changes_at = (_starts(front_pdf, [e for e in entries if e["id"] == CHANGES]).get(CHANGES, count)
                              if changes else count)
                starts = _predict(out, rset, count, changes_at)
                for prints in range(1, 4):  # a prediction proved wrong (e.g. a brief took a page more): again
                    doc.set_texts({_page_id(e): str(starts.get(e["id"], "")) for e in entries})
                    doc.pdf(pdf_path)
                    actual = _starts(pdf_path, entries)
                    if not actual or all(actual.get(e["id"]) == starts.get(e["id"]) for e in entries):
                        break
                    starts = actual
        briefs = [e for e in entries if e["id"] != CHANGES]
        first = min((actual.get(b["id"], count + 1) for b in briefs), default=count + 1)
        set_info(pdf_path, info(
            title=f"{pack.title} \u2014 {rset.marking}",
            subject=f"{rset.marking}: {pack.title}, {len(briefs)} brief{'s' if len(briefs) != 1 else ''} at or below {rset.marking}",
            author=pack.issuing_division or pack.title,
            keywords=[rset.marking, pack.title, "briefing pack", *[b["title"] for b in briefs]],
        ), when(edition) or when(built_at))
        os.replace(pdf_path, dest)
        log.info("%s: the whole pack printed %s in %.1f s", dest.name, "once" if prints == 1 else f"{prints} times",
                 time.perf_counter() - started)  # all of it: HTML, prints, outline check, metadata
    finally:
        for path in (html_path, pdf_path, front_html, front_pdf):
            path.unlink(missing_ok=True)
    return first - 1


def _page_id(entry: dict) -> str:
    """The id of an entry's page number in the contents (pack.html.j2)."""
    return "page-changes" if entry["id"] == CHANGES else f"page-b{entry['n']}"


def _predict(out: Path, rset, front: int, changes_at: int | None = None) -> dict[str, int]:
    """Where each brief will start: after the front pages and the briefs before it, each as
    long as its own PDF (one page when it has none); "Changes since" at ``changes_at`` (by
    default the last front page)."""
    starts, page = ({CHANGES: changes_at or front}, front + 1) if rset and front else ({}, front + 1)
    for r in rset.records:
        outputs = r.get("outputs") or {}
        if not outputs.get("html"):
            continue
        starts[r["id"]] = page
        pages = 1
        if outputs.get("pdf") and (out / outputs["pdf"]).is_file():
            pages = page_count(out / outputs["pdf"])
        page += pages
    return starts


PAGES = re.compile(rb"/Type\s*/Pages\s*/Count\s+(\d+)")


def page_count(pdf: Path) -> int:
    """Pages of a PDF the browser printed: its page tree's root count (a PDF library takes 50 ms
    a file to say the same); 1 when it cannot be read."""
    try:
        counts = [int(n) for n in PAGES.findall(pdf.read_bytes())]
        if counts:
            return max(counts)
        from pypdf import PdfReader

        return len(PdfReader(pdf).pages)
    except Exception:
        return 1


def _starts(pdf: Path, briefs: list[dict]) -> dict[str, int]:
    """The page (from 1) each brief starts on in the printed PDF, from its outline."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    tops = [item for item in reader.outline if not isinstance(item, list)]
    found, i = {}, 0
    for brief in briefs:
        wanted = " ".join(brief["title"].split())
        while i < len(tops) and " ".join(str(tops[i].title).split()) != wanted:
            i += 1
        if i == len(tops):
            return {}
        found[brief["id"]] = reader.get_destination_page_number(tops[i]) + 1
        i += 1
    return found
