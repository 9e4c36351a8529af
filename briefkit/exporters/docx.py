"""Word (.docx): the brief's own HTML rebuilt as a Word document with python-docx.

Ministerial briefings are edited in Word, so the document is made of real Word parts, not
pictures of a page: headings, paragraphs (bold and italic kept), bulleted key points, Word
tables with a repeating header row, charts as pictures with their alternative text, the
Sources section and the provenance annex. A4 portrait in the house fonts, with the
protective marking centred in the header and footer of every section.

The HTML is the one the pack already wrote for the brief, so Word shows what the web page
and the PDF show; charts are pictured by the build's shared browser (SVG is not something
every Word reads), at twice screen resolution.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

FONT, FONT_SERIF = "Liberation Sans", "Liberation Serif"  # as briefing.css (metric-compatible with Arial / Times)
ACCENT = (0x1F, 0x3A, 0x5F)
BLOCKS = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "table", "figure", "dl", "section", "div", "article", "header",
          "footer", "main", "blockquote"}


class DOCX:
    name, suffix, label = "docx", ".docx", "Word"
    needs_browser = True

    def check(self, settings, opts) -> None:
        from .browser import require

        require(settings, opts)

    def start(self, session) -> None:
        session.browser(wait=False)  # launched in the background while the first notebooks run

    def export(self, job, dest: Path) -> None:
        from .pdf import CREATOR, when

        pictures = job.session.browser().pictures(job.html, "figure.bk-figure svg")
        document = build_document(job.html.read_text(encoding="utf-8"), job.context, pictures, job.session.pack)
        # Dated by the build (the commit's time, or $SOURCE_DATE_EPOCH), as the PDF is; with no
        # such time, not dated at all, rather than with python-docx's template's 2013.
        moment = when(job.context.get("built_at", ""))
        props = document.core_properties
        if moment is not None:
            props.created = props.modified = moment.replace(tzinfo=None)
        else:
            for name in ("created", "modified"):
                element = props._element.find(f"{{http://purl.org/dc/terms/}}{name}")
                if element is not None:
                    props._element.remove(element)
        buffer = io.BytesIO()
        document.save(buffer)
        dest.write_bytes(stable_zip(buffer.getvalue(), moment, CREATOR))


APP_XML = ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           "<Application>{}</Application><DocSecurity>0</DocSecurity></Properties>")
THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"


def stable_zip(data: bytes, moment, application: str) -> bytes:
    """The same archive with every entry dated ``moment`` (1980-01-01 when None) instead of
    the time it was written, so the same brief gives the same bytes, as its HTML and PDF do.

    What python-docx's template says of the file is made true: its extended properties
    (``docProps/app.xml``) name ``application`` instead of "Microsoft Macintosh Word" 14.0,
    without the template's one-page, no-word counts (Word counts again on opening), and the
    template's thumbnail (a blank page, shown as every brief's preview) is dropped with its
    relationship.
    """
    import zipfile
    from xml.etree import ElementTree

    from markupsafe import escape

    stamp = ((moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
             if moment is not None and moment.year >= 1980 else (1980, 1, 1, 0, 0, 0))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        rels = ElementTree.fromstring(source.read("_rels/.rels"))
        thumbnails = [rel for rel in rels if rel.get("Type") == THUMBNAIL]
        dropped = {rel.get("Target", "").lstrip("/") for rel in thumbnails}
        for rel in thumbnails:
            rels.remove(rel)
        ElementTree.register_namespace("", rels.tag[1:].split("}")[0])
        rewritten = {"docProps/app.xml": APP_XML.format(escape(application)).encode("utf-8"),
                     "_rels/.rels": ElementTree.tostring(rels, encoding="UTF-8", xml_declaration=True)}
        for item in source.infolist():
            if item.filename in dropped:
                continue
            body = rewritten.get(item.filename) or source.read(item.filename)
            entry = zipfile.ZipInfo(item.filename, stamp)
            entry.compress_type, entry.external_attr = item.compress_type, item.external_attr
            target.writestr(entry, body)
    return out.getvalue()


def build_document(page: str, context: dict, pictures: list[bytes], pack=None):
    """A python-docx Document of the brief HTML ``page`` (``pictures``: PNG per chart, in order);
    its document properties say what the PDF's say (``pack``: the catalogue, for the author)."""
    from bs4 import BeautifulSoup
    from docx import Document

    soup = BeautifulSoup(page, "html.parser")
    document = Document()
    _page_setup(document, context)
    writer = _Writer(document, list(pictures))
    main = soup.find("main") or soup.body
    header = main.find("header", class_="title-block")
    if header is not None:
        writer.title_block(header)
    body = main.find("article", class_="brief-body")
    if body is not None:
        writer.blocks(body)
    footer = main.find("footer", class_="provenance")
    if footer is not None:
        writer.provenance(footer)
    _properties(document.core_properties, context, pack)
    return document


def _properties(props, context: dict, pack=None) -> None:
    """Title, subject, author and keywords as in the brief's PDF (:func:`.pdf.info`), the
    marking as the category, and no word of python-docx's template ("python-docx", "generated
    by python-docx")."""
    from .pdf import CREATOR, info

    title = str(context.get("title", ""))
    marking = str(context.get("marking", ""))
    pack_title = getattr(pack, "title", "") or str(context.get("pack_title", ""))
    entries = info(
        title=f"{title} \u2014 {marking}",
        subject=f"{marking}: {context.get('subtitle') or title} ({pack_title})",
        author=getattr(pack, "issuing_division", "") or pack_title,
        keywords=[marking, pack_title, str(context.get("id", "")), str(context.get("audience", ""))],
    )
    props.title, props.subject = entries["Title"], entries["Subject"]
    props.author = props.last_modified_by = entries["Author"]
    props.keywords, props.category = entries["Keywords"], marking
    props.comments = f"Made by {CREATOR} from the brief's HTML"


def _page_setup(document, context: dict) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    marking = str(context.get("marking", ""))
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(20)
        section.top_margin = section.bottom_margin = Mm(22)
        for part in (section.header, section.footer):
            paragraph = part.paragraphs[0]
            paragraph.text = ""
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = paragraph.add_run(marking)
            run.bold = True
            run.font.size = Pt(10)
            run.font.name = FONT
    styles = document.styles
    styles["Normal"].font.name = FONT
    styles["Normal"].font.size = Pt(10.5)
    for level, size in ((0, 22), (1, 15), (2, 12.5), (3, 11)):
        style = styles["Title" if level == 0 else f"Heading {level}"]
        style.font.name = FONT_SERIF
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(*ACCENT)


class _Writer:
    def __init__(self, document, pictures: list[bytes]):
        self.doc = document
        self.pictures = pictures

    # -- the parts of a brief
    def title_block(self, header) -> None:
        pack = header.find(class_="pack-title")
        if pack:
            self._para(pack.get_text(" ", strip=True), style="Normal").runs[0].bold = True
        h1 = header.find("h1")
        if h1:
            self.doc.add_heading(_text(h1), level=0)
        sub = header.find(class_="subtitle")
        if sub:
            self._para(_text(sub)).runs[0].italic = True
        meta = header.find("dl")
        if meta:
            self._definitions(meta)

    def provenance(self, footer) -> None:
        heading = footer.find("h2")
        self.doc.add_heading(_text(heading) if heading is not None else "Provenance", level=2)
        for row in footer.select("dl > div"):
            dt, dd = row.find("dt"), row.find("dd")
            if dt is None or dd is None:
                continue
            table = dd.find("table")
            if table is not None:
                self._para(_text(dt)).runs[0].bold = True
                self._table(table)
                continue
            items = dd.find_all("li")
            if items:
                self._para(_text(dt)).runs[0].bold = True
                for li in items:
                    self._para(_text(li), style="List Bullet")
                continue
            paragraph = self._para("")
            paragraph.add_run(_text(dt) + ": ").bold = True
            paragraph.add_run(_text(dd))

    def blocks(self, node) -> None:
        """Write the block elements under ``node`` in document order."""
        for child in node.children:
            name = getattr(child, "name", None)
            if name is None:
                continue
            classes = set(child.get("class") or [])
            if name in ("h1", "h2", "h3", "h4"):
                self.doc.add_heading(_text(child), level=min(int(name[1]) + (0 if name != "h1" else 1), 4))
            elif name == "p":  # a table's or figure's source line reads as a caption
                self._rich(self.doc.add_paragraph(style="Caption" if "bk-source" in classes else None), child)
            elif name in ("ul", "ol"):
                style = "List Bullet" if name == "ul" else "List Number"
                for li in child.find_all("li", recursive=False):
                    self._rich(self.doc.add_paragraph(style=style), li)
            elif name == "table":
                self._table(child)
            elif name == "figure":
                self._figure(child)
            elif name == "dl":
                self._definitions(child)
            elif name in ("svg", "style", "script", "a") and "bk-table-wrap" not in classes:
                continue
            else:  # containers: section, div, the notebook's cell wrappers
                self.blocks(child)

    # -- pieces
    def _para(self, text: str, style: str | None = None):
        return self.doc.add_paragraph(text, style=style)

    def _rich(self, paragraph, node) -> None:
        """Runs for ``node``'s text, keeping bold and italic; flags as [unverified]."""
        for piece, bold, italic in _runs(node):
            run = paragraph.add_run(piece)
            run.bold, run.italic = bold or None, italic or None

    def _definitions(self, dl) -> None:
        for dt in dl.find_all("dt"):
            dd = dt.find_next_sibling("dd")
            paragraph = self._para("")
            paragraph.add_run(_text(dt) + ": ").bold = True
            paragraph.add_run(_text(dd) if dd is not None else "")

    def _table(self, node) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        caption = node.find("caption")
        if caption is not None:
            self._para(_text(caption), style="Caption")
        head = [_text(th) for th in node.select("thead th")] or None
        rows = [[_text(td) for td in tr.find_all(["td", "th"])] for tr in node.select("tbody tr")]
        if not head and rows:
            head, rows = rows[0], rows[1:]
        width = max([len(head or [])] + [len(r) for r in rows]) or 1
        table = self.doc.add_table(rows=1 + len(rows), cols=width)
        table.style = "Table Grid"
        for j, text in enumerate(head or []):
            cell = table.rows[0].cells[j]
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
        header_props = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
        repeat.set(qn("w:val"), "true")
        header_props.append(repeat)
        for i, row in enumerate(rows, start=1):
            for j, text in enumerate(row[:width]):
                table.rows[i].cells[j].text = text

    def _figure(self, node) -> None:
        from docx.shared import Mm

        svg = node.find("svg")
        alt = _alt_text(svg) if svg is not None else ""
        if svg is not None and self.pictures:
            self.doc.add_picture(io.BytesIO(self.pictures.pop(0)), width=Mm(160))
            _set_alt_text(self.doc.inline_shapes[-1], alt)
        caption = node.find("figcaption")
        if caption is not None:
            for span in caption.find_all("span") or [caption]:
                self._para(_text(span), style="Caption")


def _text(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split()) if node is not None else ""


def _runs(node, bold: bool = False, italic: bool = False):
    """(text, bold, italic) pieces of ``node``; an unverified flag reads "[unverified]"."""
    for child in node.children:
        name = getattr(child, "name", None)
        if name is None:
            text = re.sub(r"\s+", " ", str(child))
            if text:
                yield text, bold, italic
        elif "bk-unverified" in (child.get("class") or []):
            yield "[unverified]", bold, True
        elif name in ("svg", "style", "script"):
            continue
        else:
            yield from _runs(child, bold or name in ("strong", "b"), italic or name in ("em", "i"))


def _alt_text(svg) -> str:
    ids = (svg.get("aria-labelledby") or "").split()
    parts = [_text(svg.find(id=i)) for i in ids if svg.find(id=i) is not None]
    title = svg.find("title")
    return " ".join(p for p in parts if p) or (_text(title) if title is not None else "") or svg.get("aria-label", "")


def _set_alt_text(shape, alt: str) -> None:
    """Word's alternative text of a picture is the ``descr`` of its ``wp:docPr``."""
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", alt)
    doc_pr.set("title", alt[:120])
