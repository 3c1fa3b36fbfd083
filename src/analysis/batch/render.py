"""Render an executed notebook into the drafts an analyst edits: HTML, DOCX and PNG figures.

HTML: nbconvert's JupyterLab template without code cells, figures embedded, outputs sanitized,
a Content-Security-Policy that lets no script run and nothing be fetched. DOCX: pandoc 3
reading that HTML in its sandbox (it reads no local file and fetches no URL), with a filter
that keeps only the embedded PNG figures and links to http(s)/mailto (Debian's pandoc 2.17
silently dropped every table, so older versions are refused). PNG: every figure output,
checked to be a real image (a misconfigured matplotlib backend prints figures as
``<Figure size ...>`` text).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
from functools import lru_cache
from importlib import resources
from pathlib import Path

import nbformat

from ..report.tables import CLAIMS_MARKER, claims_comment
from ..store import atomic_path, atomic_write
from . import docx_style

__all__ = ["RenderError", "render_outputs", "pandoc_path", "extract_figures", "html_exporter"]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TEXT_FIGURE = re.compile(r"^<(Figure|matplotlib\.figure\.Figure)[ \w]* size \d+x\d+")
MIN_PANDOC = (3, 0)  # --sandbox needs 2.15; tables in DOCX need 3


class RenderError(RuntimeError):
    """An executed notebook could not be turned into a draft.

    ``cell`` is the execution count of the cell at fault, when there is one.
    """

    def __init__(self, message: str, *, cell: int | None = None):
        super().__init__(message)
        self.cell = cell


def _templates_dir() -> str:
    return str(resources.files("analysis").joinpath("templates"))


@lru_cache(maxsize=1)
def html_exporter():
    """The HTML exporter (cached: building its Jinja environment is the slow part)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", template_file="report.html.j2",
                        extra_template_paths=[_templates_dir()], exclude_input=True,
                        exclude_input_prompt=True, exclude_output_prompt=True,
                        exclude_anchor_links=True, language_code="sv")


@lru_cache(maxsize=1)
def pandoc_path() -> str:
    """Path of a pandoc >= 3 (the one in the ``pypandoc-binary`` wheel comes first).

    Raises
    ------
    RenderError
        When only an older pandoc is found: pandoc 2.17 drops tables from DOCX files.
    """
    import pypandoc

    path = pypandoc.get_pandoc_path()
    first = subprocess.run([path, "--version"], capture_output=True, text=True,
                           check=True).stdout.splitlines()[0]
    m = re.search(r"(\d+)\.(\d+)", first)
    version = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    if version < MIN_PANDOC:
        raise RenderError(f"DOCX needs pandoc >= 3 (found '{first}' at {path}); pandoc 2.x drops "
                          "tables from DOCX files. Install the pypandoc-binary wheel.")
    return path


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_SRC = re.compile(r"""\ssrc\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I)


def _embedded_images_only(page: str) -> str:
    """Drop the source of every ``<img>`` that is not an embedded PNG (a local path or URL).

    Examples
    --------
    >>> _embedded_images_only('<img src="/etc/hostname" alt="x"><img src="data:image/png;base64,AA">')
    '<img alt="x"><img src="data:image/png;base64,AA">'
    """
    def fix(tag: re.Match) -> str:
        def src(m: re.Match) -> str:
            value = m.group(1).strip("\"'")
            return m.group(0) if value.startswith("data:image/png;base64,") else ""
        return _SRC.sub(src, tag.group(0))
    return _IMG_TAG.sub(fix, page)


#: What a cell output may contain once it is HTML: text structure, tables, links.
_TAGS = frozenset({"a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup",
                   "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6",
                   "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
                   "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"})
_ATTRIBUTES = {"*": ["class", "title"], "a": ["href", "title"],
               "td": ["style", "colspan", "rowspan", "align"],
               "th": ["style", "colspan", "rowspan", "align"]}


@lru_cache(maxsize=1)
def _cleaner():
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    return bleach.Cleaner(tags=_TAGS, attributes=_ATTRIBUTES,
                          protocols=["http", "https", "mailto"], strip=False,
                          css_sanitizer=CSSSanitizer(allowed_css_properties=["text-align"]))


def safe_outputs(nb) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose Markdown and HTML outputs are HTML from an allowlist.

    The report layer escapes data before it reaches a cell output; this is the second line:
    raw HTML that still arrives (a script, an event handler, an ``<img>`` or ``<iframe>``) is
    shown as text, and links keep only http, https and mailto targets. Markdown cells (the
    template's own text) and figures are not touched.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
    ...     nbformat.v4.new_output("display_data", data={
    ...         "text/markdown": "| a |\\n|---|\\n| <script>alert(1)</script> |"})])])
    >>> html = safe_outputs(nb).cells[0].outputs[0].data["text/html"]
    >>> "<script>" in html, "&lt;script&gt;" in html, "<table>" in html
    (False, True, True)
    """
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    nb = nbformat.from_dict(nb)  # a copy: the executed notebook keeps its outputs
    markdown = MarkdownWithMath(renderer=IPythonRenderer(
        escape=True, allow_harmful_protocols=False, embed_images=False,
        exclude_anchor_links=True)).render
    clean = _cleaner().clean
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            claims = ""
            if "text/markdown" in data:
                md = data["text/markdown"]
                md, claims = _split_claims("".join(md) if isinstance(md, list) else md)
                html = markdown(md)
            elif "text/html" in data:
                html = data["text/html"]
                html = "".join(html) if isinstance(html, list) else html
            else:
                continue
            keep = {k: v for k, v in data.items() if k.startswith("image/") or k == "text/plain"}
            out["data"] = {**keep, "text/html": clean(html) + claims}
    return nb


_CLAIMS = re.compile(r"\n*<!-- " + CLAIMS_MARKER + r" (\[.*\]) -->\s*$", re.S)


def _split_claims(md: str) -> tuple[str, str]:
    """A table's claims for the audit (``tables.show(claims=...)``), rebuilt by our own code.

    The Markdown renderer escapes every raw HTML comment, so the claims comment is taken off
    the Markdown, parsed as JSON (anything else is left in the text, where it is escaped) and
    written again by :func:`analysis.report.tables.claims_comment`: what reaches the page is
    inert JSON inside a comment that cannot be closed early.
    """
    m = _CLAIMS.search(md)
    if not m:
        return md, ""
    try:
        items = json.loads(m.group(1))
    except ValueError:
        return md, ""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return md, ""
    return md[:m.start()], claims_comment(items)


def _html(nb, title: str) -> str:
    body, _ = html_exporter().from_notebook_node(safe_outputs(nb),
                                                 resources={"metadata": {"name": title}})
    return _embedded_images_only(body)


def extract_figures(nb) -> list[bytes]:
    """The PNG bytes of every figure output, in order.

    Raises
    ------
    RenderError
        When a figure output has no image (only ``<Figure size ...>`` text) or is not a PNG.
    """
    images = []
    for cell in nb.cells:
        count = cell.get("execution_count")
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                raw = data["image/png"]
                png = base64.b64decode(raw if isinstance(raw, str) else "".join(raw))
                if not png.startswith(_PNG_MAGIC):
                    raise RenderError(f"cell [{count}]: image/png output is not a PNG image",
                                      cell=count)
                images.append(png)
            elif any(k.startswith("image/") for k in data):
                continue
            elif _TEXT_FIGURE.match(str(data.get("text/plain", ""))):
                raise RenderError(
                    f"cell [{count}]: a figure was rendered as text ({data['text/plain']!r}); "
                    "the kernel's matplotlib backend is not the inline backend (check "
                    "MPLBACKEND)", cell=count)
    return images


def _write_docx(html: str, path: Path, *, reference_docx: str | None) -> None:
    # --sandbox: pandoc reads only the files named here and fetches nothing, whatever
    # an image or link in the HTML names; the filter drops every image that is not an
    # embedded PNG and every link whose scheme is not http, https or mailto. A4 and Swedish
    # styles come from a reference document built by code, unless the caller brings one.
    args = [pandoc_path(), "--sandbox", "--from=html", "--to=docx", "--metadata=title:",
            "--metadata=lang:sv-SE", f"--lua-filter={_templates_dir()}/safe_links.lua",
            f"--reference-doc={reference_docx or docx_style.reference_docx(pandoc_path())}"]
    # The inlined JupyterLab CSS is a quarter megabyte that pandoc parses and then ignores.
    html = re.sub(r"<style[^>]*>.*?</style>", "", html, flags=re.S | re.I)
    # pandoc lays out blank stand-ins of the figures (reading base64 images out of HTML was
    # most of its time); the real PNGs go back into the file afterwards, byte for byte
    html, figures = docx_style.stand_in_figures(html)
    with atomic_path(path) as tmp:
        proc = subprocess.run([*args, f"--output={tmp}"], input=html.encode("utf-8"),
                              capture_output=True)
        if proc.returncode != 0:
            raise RenderError(f"pandoc failed ({proc.returncode}): "
                              f"{proc.stderr.decode('utf-8', 'replace')[-2000:]}")
        docx_style.finish_docx(tmp)  # columns fitted to content; pictures' alt texts
        try:
            docx_style.restore_figures(tmp, figures)
        except ValueError as exc:
            raise RenderError(f"the Word draft lost a figure: {exc}") from None


def render_outputs(executed, *, html: str | os.PathLike | None = None,
                   docx: str | os.PathLike | None = None,
                   figures_dir: str | os.PathLike | None = None, title: str | None = None,
                   figure_prefix: str = "figur",
                   reference_docx: str | os.PathLike | None = None) -> dict:
    """Write the drafts of one executed notebook; every file is written atomically.

    Parameters
    ----------
    executed : path or NotebookNode
        The executed notebook (``.ipynb``).
    html, docx : path, optional
        Where to write the HTML draft (code hidden, figures embedded, no internet resources)
        and the editable Word draft (pandoc >= 3; headings, tables and figures kept).
    figures_dir : path, optional
        Folder for the figures as ``{figure_prefix}_01.png``, ...; older figures with that
        prefix that the report no longer has are removed.
    title : str, optional
        Document title; defaults to the first ``# heading`` of the notebook.
    reference_docx : path, optional
        A Word file whose styles the DOCX takes (``pandoc --reference-doc``); by default an
        A4 document with Swedish styles built by :func:`analysis.batch.docx_style.reference_docx`.
        Table columns are then fitted to their content either way.

    Returns
    -------
    dict
        ``{"html": Path, "docx": Path, "png": [Path, ...], "seconds": {format: float}}`` for
        the formats written.

    Raises
    ------
    RenderError
        A figure rendered as text, an output that is not a PNG, or pandoc failing.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.report.figures import bar_ci
    >>> import pandas as pd
    >>> fig = bar_ci(pd.DataFrame({"crime_type": ["Bilbrott"], "estimate": [3.0]}),
    ...              category="crime_type", ci_low=None, ci_high=None)
    >>> data, meta = fig._repr_mimebundle_()
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("# Lägesbild"),
    ...     nbformat.v4.new_code_cell("fig", execution_count=1, outputs=[
    ...         nbformat.v4.new_output("display_data", data=data, metadata=meta)])])
    >>> out = Path(tempfile.mkdtemp())
    >>> res = render_outputs(nb, html=out / "r.html", figures_dir=out / "fig")
    >>> [p.name for p in res["png"]], "data:image/png" in res["html"].read_text()
    (['figur_01.png'], True)
    """
    nb = executed if isinstance(executed, nbformat.NotebookNode) else nbformat.read(
        executed, as_version=4)
    title = title or _title(nb, fallback=Path(str(getattr(executed, "name", "rapport"))).stem)
    result: dict = {"seconds": {}}
    t = time.perf_counter()
    figures = extract_figures(nb)  # first: a broken figure must fail before any file is written
    if figures_dir is not None:
        folder = Path(figures_dir)
        folder.mkdir(parents=True, exist_ok=True)
        written = [atomic_write(folder / f"{figure_prefix}_{i:02d}.png", png)
                   for i, png in enumerate(figures, start=1)]
        for old in folder.glob(f"{figure_prefix}_*.png"):
            if old not in written:
                old.unlink()
        result["png"] = written
        result["seconds"]["png"] = time.perf_counter() - t
    if html is not None or docx is not None:
        t = time.perf_counter()
        page = _html(nb, title)
        if html is not None:
            result["html"] = atomic_write(html, page)
        result["seconds"]["html"] = time.perf_counter() - t
        if docx is not None:
            t = time.perf_counter()
            _write_docx(page, Path(docx), reference_docx=reference_docx and str(reference_docx))
            result["docx"] = Path(docx)
            result["seconds"]["docx"] = time.perf_counter() - t
    return result
