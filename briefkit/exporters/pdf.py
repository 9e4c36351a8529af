"""PDF: the brief's own HTML printed by the build's shared headless Chromium.

A4, with the protective marking and "Page X of Y" in the page margins (the template's CSS
``@page`` margin boxes); figures and table rows are never split (print CSS). Tagged for screen
readers, with an outline (bookmarks) from the headings, and the pack's metadata: title,
subject (with the marking), author (the issuing division), keywords, and dates from the build
(``$SOURCE_DATE_EPOCH`` or the commit's time), never the wall clock or the browser's name, so
the same inputs give the same bytes.

:func:`set_info` writes the metadata as a PDF incremental update (ISO 32000-1, 7.5.6): a new
document information dictionary and a one-entry cross-reference section appended to the file,
after the browser's own dates and name are overwritten in place with text of the same length.
It costs milliseconds; rewriting the file with a PDF library costs one to two seconds for the
pack's 55-page PDF.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .. import __version__

CREATOR = f"briefkit {__version__}"


class PDF:
    name, suffix, label = "pdf", ".pdf", "PDF"
    needs_browser = True

    def check(self, settings, opts) -> None:
        from .browser import require

        require(settings, opts)

    def start(self, session) -> None:
        session.browser(wait=False)  # launched in the background while the first notebooks run

    def export(self, job, dest: Path) -> None:
        job.session.browser().pdf(job.html, dest)
        pack, context = job.session.pack, job.context
        set_info(dest, info(
            title=f"{context['title']} \u2014 {context['marking']}",
            subject=f"{context['marking']}: {context.get('subtitle') or context['title']} ({pack.title})",
            author=getattr(pack, "issuing_division", "") or pack.title,
            keywords=[context["marking"], pack.title, context["id"], context.get("audience", "")],
        ), when(context.get("built_at", "")))


def info(title: str, subject: str, author: str, keywords) -> dict[str, str]:
    """The document information entries briefkit writes (Creator and Producer are its own)."""
    return {"Title": title, "Subject": subject, "Author": author,
            "Keywords": "; ".join(k for k in keywords if k), "Creator": CREATOR,
            "Producer": f"{CREATOR} (printed by Chromium)"}


def when(text: str) -> dt.datetime | None:
    """A build time as the build context shows it (``2026-11-25 09:30 UTC``) or an ISO date."""
    for pattern in ("%Y-%m-%d %H:%M UTC", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(str(text).strip(), pattern).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            continue
    return None


_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$", re.S)
_DATE = re.compile(rb"/(CreationDate|ModDate)\s*\((D(?::|\\072)[^)]*)\)")  # D: or D\072 (escaped)
_CREATOR = re.compile(rb"/(Creator|Producer)\s*\(")


def set_info(path: Path, entries: dict[str, str], date: dt.datetime | None) -> None:
    """Give the PDF at ``path`` these document information entries and ``date`` as its dates.

    Raises ValueError for a PDF this function does not understand (not Chromium's classic
    cross-reference table), leaving the file as it was.
    """
    data = bytearray(Path(path).read_bytes())
    tail = _TRAILER.search(bytes(data[-4096:]))
    if tail is None:
        raise ValueError(f"{path}: not a PDF with a classic trailer; its metadata was not set")
    trailer, startxref = tail.group(1), int(tail.group(2))
    size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))
    root = re.search(rb"/Root\s+(\d+\s+\d+\s+R)", trailer).group(1)
    old_info = re.search(rb"/Info\s+(\d+)\s+(\d+)\s+R", trailer)
    stamp = _pdf_date(date) if date else None
    if old_info:  # overwrite the browser's own values in place: same length, offsets unchanged
        start = data.find(b"\n%d %d obj" % (int(old_info.group(1)), int(old_info.group(2))))
        end = data.find(b"endobj", start)
        if start >= 0 and end > start:
            body = bytes(data[start:end])
            if stamp:
                body = _DATE.sub(lambda m: b"/%s (%s)" % (m.group(1), stamp.ljust(len(m.group(2)))[:len(m.group(2))]), body)
            body = _blank_strings(body)
            data[start:end] = body
    data[:] = stable_ids(bytes(data))
    number = size  # a new object: the old dictionary stays as it was overwritten
    fields = dict(entries)
    entries_pdf = b"".join(b"/%s %s\n" % (k.encode(), _pdf_text(v)) for k, v in fields.items())
    if stamp:
        entries_pdf += b"/CreationDate (%s)\n/ModDate (%s)\n" % (stamp, stamp)
    if not data.endswith(b"\n"):
        data += b"\n"
    offset = len(data)
    data += b"%d 0 obj\n<<\n%s>>\nendobj\n" % (number, entries_pdf)
    xref = len(data)
    data += b"xref\n%d 1\n%010d 00000 n \n" % (number, offset)
    data += b"trailer\n<</Size %d\n/Root %s\n/Info %d 0 R\n/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (
        number + 1, root, number, startxref, xref)
    tmp = Path(path).with_name(Path(path).name + ".meta")
    tmp.write_bytes(bytes(data))
    tmp.replace(path)


_NODE_ID = re.compile(rb"\(node(\d{8})\)")


def stable_ids(data: bytes) -> bytes:
    """Chromium's structure-element IDs renumbered 1, 2, 3... in their own order.

    A tagged PDF names its table cells by the renderer's DOM node numbers (``(node00001502)``),
    which count on across the documents one browser page has shown: the same brief printed
    after another would differ in these strings alone. Renumbered in increasing order (so the
    ID name tree stays sorted) and at the same width (so no byte offset moves), the PDF depends
    on its own document only.
    """
    numbers = sorted({int(n) for n in _NODE_ID.findall(data)})
    if not numbers:
        return data
    new = {n: i for i, n in enumerate(numbers, start=1)}
    return _NODE_ID.sub(lambda m: b"(node%08d)" % new[int(m.group(1))], data)


def _blank_strings(body: bytes) -> bytes:
    """The browser's Creator and Producer strings overwritten with spaces (same length)."""
    out = bytearray(body)
    for m in _CREATOR.finditer(body):
        depth, i = 1, m.end()
        while i < len(body) and depth:
            c = body[i:i + 1]
            if c == b"\\":
                i += 2
                continue
            depth += {b"(": 1, b")": -1}.get(c, 0)
            i += 1
        out[m.end():i - 1] = b" " * (i - 1 - m.end())
    return bytes(out)


def _pdf_date(moment: dt.datetime) -> bytes:
    return moment.astimezone(dt.timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'").encode()


def _pdf_text(text: str) -> bytes:
    """A PDF text string: UTF-16BE with a byte-order mark, in hex (no escaping needed)."""
    return b"<FEFF" + str(text).encode("utf-16-be").hex().upper().encode() + b">"
