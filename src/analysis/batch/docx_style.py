"""The Word draft's page and styles: an A4 reference document built by code, and table
columns fitted to their content.

pandoc takes page size, margins and styles from a reference document. Its built-in one is US
Letter in English; :func:`reference_docx` builds an A4 one with Swedish language settings from
pandoc's own default every time it is needed (no binary file in the repository that nobody can
regenerate). pandoc gives every column of an HTML table the same width, so a verdict column
breaks words ("säker ställd skillna d"); :func:`fit_table_columns` sets widths from the cells'
text after pandoc has written the file, and :func:`describe_pictures` gives every picture the
alt text of its figure in both places Word reads it (pandoc put the whole base64 image into
the picture's own description, doubling the file). :mod:`analysis.batch.render` calls
:func:`reference_docx` and :func:`finish_docx`.
"""

from __future__ import annotations

import re
import struct
import subprocess
import tempfile
import zlib
from functools import lru_cache
from pathlib import Path

__all__ = ["reference_docx", "fit_table_columns", "describe_pictures", "finish_docx",
           "stand_in_figures", "restore_figures", "A4_TEXT_WIDTH_CM"]

A4_WIDTH_CM, A4_HEIGHT_CM, MARGIN_CM = 21.0, 29.7, 2.5
#: Width of the text column on the A4 page (what tables and figures may use).
A4_TEXT_WIDTH_CM = A4_WIDTH_CM - 2 * MARGIN_CM
_TWIPS_PER_CM = 1440 / 2.54
_CHAR_TWIPS = 105      # mean width of a character of table text (10 pt)
_CELL_PADDING = 230    # left + right cell margins
_MAX_WANTED_CHARS = 48  # beyond this a cell wraps anyway; it should not take the whole page


def _remove_at_exit(folder: Path) -> None:
    """Remove ``folder`` when the process that made it exits (not when a forked child does:
    a batch worker builds the reference once and its report processes use it)."""
    import atexit
    import os
    import shutil

    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(folder, ignore_errors=True))


@lru_cache(maxsize=4)
def reference_docx(pandoc: str) -> Path:
    """An A4 reference document with Swedish styles, built from pandoc's default.

    Parameters
    ----------
    pandoc : str
        Path of the pandoc executable whose default reference document is the starting point.

    Returns
    -------
    pathlib.Path
        A ``.docx`` in a temporary folder of this process (built once per pandoc, removed
        when the process exits).

    Notes
    -----
    Page A4 (21 × 29,7 cm) with 2,5 cm margins; the document defaults and every style get the
    language sv-SE (Word's spelling and hyphenation); body text 11 pt, table text 10 pt.
    """
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    folder = Path(tempfile.mkdtemp(prefix="lagesbild-reference-"))
    _remove_at_exit(folder)
    path = folder / "reference.docx"
    raw = subprocess.run([pandoc, "--print-default-data-file", "reference.docx"],
                         capture_output=True, check=True).stdout
    path.write_bytes(raw)
    doc = docx.Document(str(path))
    for section in doc.sections:
        section.page_width, section.page_height = Cm(A4_WIDTH_CM), Cm(A4_HEIGHT_CM)
        section.left_margin = section.right_margin = Cm(MARGIN_CM)
        section.top_margin = section.bottom_margin = Cm(MARGIN_CM)
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), "sv-SE")
    rpr.append(lang)
    for style in doc.styles:
        if style.type != 1 or style.element.rPr is None:  # paragraph styles with run properties
            continue
        for old in style.element.rPr.findall(qn("w:lang")):
            style.element.rPr.remove(old)
    for name, size in (("Normal", 11), ("Body Text", 11), ("First Paragraph", 11),
                       ("Compact", 10)):
        if name in [s.name for s in doc.styles]:
            doc.styles[name].font.size = Pt(size)
    doc.save(str(path))
    return path


def _column_widths(texts: list[list[str]], total: int) -> list[int]:
    """Column widths (twips) summing to ``total``: no column narrower than its longest word,
    the rest shared by how much text each column holds."""
    ncol = max(len(r) for r in texts)
    longest_word = [1] * ncol
    wanted = [1] * ncol
    for row in texts:
        for j, cell in enumerate(row):
            words = cell.split()
            longest_word[j] = max(longest_word[j], max((len(w) for w in words), default=1))
            wanted[j] = max(wanted[j], min(len(cell), _MAX_WANTED_CHARS))
    floor = [w * _CHAR_TWIPS + _CELL_PADDING for w in longest_word]
    want = [max(w * _CHAR_TWIPS + _CELL_PADDING, f) for w, f in zip(wanted, floor)]
    if sum(want) <= total:  # everything fits on one line: widen in proportion
        widths = [w * total / sum(want) for w in want]
    elif sum(floor) <= total:  # words stay whole; the rest goes where the text is
        spare = total - sum(floor)
        extra = [w - f for w, f in zip(want, floor)]
        widths = [f + spare * e / sum(extra) for f, e in zip(floor, extra)]
    else:  # even the longest words do not fit side by side: shrink in proportion
        widths = [f * total / sum(floor) for f in floor]
    widths = [int(w) for w in widths]
    widths[-1] += total - sum(widths)
    return widths


def fit_table_columns(path: str | Path, *, text_width_cm: float = A4_TEXT_WIDTH_CM) -> int:
    """Give every table of a DOCX column widths that fit its content, across the text width.

    Parameters
    ----------
    path : path
        The ``.docx``, changed in place.
    text_width_cm : float
        The width tables may take (A4 with 2,5 cm margins: 16 cm).

    Returns
    -------
    int
        The number of tables changed.

    Examples
    --------
    >>> import docx, tempfile, pathlib
    >>> d = docx.Document()
    >>> t = d.add_table(rows=2, cols=3)
    >>> for j, text in enumerate(["Brottstyp", "Antal", "ingen statistiskt säkerställd skillnad"]):
    ...     t.cell(1, j).text = text
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.docx"
    >>> d.save(str(p))
    >>> fit_table_columns(p)
    1
    >>> [round(c.width.cm, 1) for c in docx.Document(str(p)).tables[0].columns]
    [3.1, 2.0, 10.9]
    """
    import docx

    doc = docx.Document(str(path))
    n = _fit_tables(doc, text_width_cm)
    doc.save(str(path))
    return n


def _fit_tables(doc, text_width_cm: float) -> int:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Twips

    total = int(text_width_cm * _TWIPS_PER_CM)
    for table in doc.tables:
        texts = [[c.text for c in row.cells] for row in table.rows]
        widths = _column_widths(texts, total)
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        tbl_w = tbl_pr.find(qn("w:tblW"))
        if tbl_w is None:
            tbl_w = OxmlElement("w:tblW")
            tbl_pr.append(tbl_w)
        tbl_w.set(qn("w:type"), "dxa")
        tbl_w.set(qn("w:w"), str(total))
        for j, col in enumerate(table.columns):
            if j < len(widths):
                col.width = Twips(widths[j])
        for row in table.rows:
            for j, cell in enumerate(row.cells):
                if j < len(widths):
                    cell.width = Twips(widths[j])
    return len(doc.tables)


def describe_pictures(doc) -> int:
    """Copy each picture's alt text (``wp:docPr/@descr``) to the picture itself.

    pandoc writes the HTML ``alt`` to the drawing and the image's ``src`` (here the whole
    base64 PNG) to the picture's description; Word and screen readers may read either.

    Parameters
    ----------
    doc : docx.document.Document
        An open document, changed in place.

    Returns
    -------
    int
        The number of pictures described.
    """
    from docx.oxml.ns import qn

    n = 0
    for drawing in doc.element.body.iter(qn("wp:inline"), qn("wp:anchor")):
        doc_pr = drawing.find(qn("wp:docPr"))
        alt = doc_pr.get("descr", "") if doc_pr is not None else ""
        for c_nv_pr in drawing.iter(qn("pic:cNvPr")):
            c_nv_pr.set("descr", alt)
            c_nv_pr.set("name", f"Figur {n + 1}")
            n += 1
    return n


def finish_docx(path: str | Path, *, text_width_cm: float = A4_TEXT_WIDTH_CM) -> dict:
    """Fit table columns and describe pictures of a DOCX pandoc wrote (in place, one pass).

    Returns
    -------
    dict
        ``{"tables": int, "pictures": int}`` changed.
    """
    import docx

    doc = docx.Document(str(path))
    out = {"tables": _fit_tables(doc, text_width_cm), "pictures": describe_pictures(doc)}
    doc.save(str(path))
    return out


# ----------------------------------------------------------------- figures handed to pandoc

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"')
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def _png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG")
    chunks, at = [], len(_PNG_SIGNATURE)
    while at + 8 <= len(png):
        n, kind = struct.unpack(">I4s", png[at:at + 8])
        chunks.append((kind, png[at + 8:at + 8 + n]))
        at += 12 + n
        if kind == b"IEND":
            break
    return chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _stand_in(png: bytes, token: str) -> bytes | None:
    """A blank PNG with the figure's size, depth and resolution and a text chunk naming it:
    what pandoc needs to lay the picture out, without the pixels it is slow to read."""
    chunks = dict(_png_chunks(png))
    head = chunks.get(b"IHDR", b"")
    if len(head) != 13:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", head)
    if colour not in _CHANNELS or interlace or width * height > 16_000_000:
        return None
    row = 1 + (width * _CHANNELS[colour] * depth + 7) // 8
    parts = [_PNG_SIGNATURE, _chunk(b"IHDR", head)]
    parts += [_chunk(k, chunks[k]) for k in (b"PLTE", b"pHYs") if k in chunks]
    parts += [_chunk(b"tEXt", b"lagesbild\x00" + token.encode("ascii")),
              _chunk(b"IDAT", zlib.compress(bytes(row * height), 1)), _chunk(b"IEND", b"")]
    return b"".join(parts)


def stand_in_figures(html: str) -> tuple[str, dict[bytes, bytes]]:
    """The HTML with every embedded PNG replaced by a blank one of the same size, and the
    real images by their stand-ins' bytes (for :func:`restore_figures`).

    pandoc spends about 0.1 s per figure reading a base64 image out of HTML (0.65 s of a
    five-figure draft's 0.78 s); with stand-ins it lays out the same pictures in a fraction of
    that, and the real PNG files are put back into the DOCX afterwards, byte for byte.

    Examples
    --------
    >>> import base64
    >>> png = _PNG_SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 0, 0, 0, 0)) \\
    ...     + _chunk(b"IDAT", zlib.compress(b"\\x00\\x07\\x09")) + _chunk(b"IEND", b"")
    >>> page = f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'
    >>> html, figures = stand_in_figures(page)
    >>> list(figures.values()) == [png], html != page
    (True, True)
    """
    import base64
    import secrets

    figures: dict[bytes, bytes] = {}
    salt = secrets.token_hex(8)

    def swap(m: re.Match) -> str:
        try:
            png = base64.b64decode(m.group(1), validate=False)
            blank = _stand_in(png, f"{salt}-{len(figures)}")
        except (ValueError, struct.error):
            blank = None
        if blank is None:
            return m.group(0)  # pandoc reads this one itself
        figures[blank] = png
        return f'src="data:image/png;base64,{base64.b64encode(blank).decode("ascii")}"'

    return _DATA_PNG.sub(swap, html), figures


def restore_figures(path: str | Path, figures: dict[bytes, bytes]) -> int:
    """Put the real PNGs back in place of their stand-ins in the DOCX at ``path`` (in place);
    the number replaced. A stand-in not found is an error: the draft would show a blank."""
    import zipfile

    if not figures:
        return 0
    path = Path(path)
    tmp = path.with_name(path.name + ".figures")
    found = 0
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("word/media/") and data in figures:
                data = figures[data]
                found += 1
            dst.writestr(info, data)
    if found != len(figures):
        tmp.unlink()
        raise ValueError(f"{len(figures) - found} of {len(figures)} figures were not found in "
                         f"{path.name}")
    tmp.replace(path)
    return found
