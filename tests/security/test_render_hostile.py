"""The renderer's own lines of defence, with raw payloads that skipped the report layer.

A notebook output that still carries HTML or Markdown from a data file must not produce an
active HTML draft, and pandoc must neither read a local file nor fetch a URL into the DOCX.
"""

from __future__ import annotations

import base64
import io

import nbformat
import pytest
from matplotlib.figure import Figure

from analysis.batch.render import pandoc_path, render_outputs

from .hostile import active_content, docx_embedded, loopback_server, payloads, sha


def _png() -> bytes:
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _notebook(port: int, png: bytes):
    p = payloads(port)
    md = ("| Åtgärd | Område |\n|:---|:---|\n"
          + "\n".join(f"| {v} | {k} |" for k, v in p.items()) + "\n\n"
          + "\n\n".join(p.values()))
    v4 = nbformat.v4
    return v4.new_notebook(cells=[
        v4.new_markdown_cell("# Rubrik"),
        v4.new_code_cell("x", execution_count=1, outputs=[
            v4.new_output("display_data", data={"text/markdown": md, "text/plain": "md"}),
            v4.new_output("display_data", data={"text/html": "\n".join(p.values()),
                                                "text/plain": "html"}),
            v4.new_output("display_data", data={"image/png": base64.b64encode(png).decode(),
                                                "text/plain": "<Figure>"})])])


def test_pandoc_is_new_enough_for_its_sandbox():
    import re
    import subprocess

    first = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True,
                           check=True).stdout.splitlines()[0]
    major, minor = map(int, re.search(r"(\d+)\.(\d+)", first).groups())
    assert (major, minor) >= (2, 15), first  # --sandbox arrived in 2.15


def test_raw_payloads_render_inert_html_and_a_docx_with_only_the_figure(tmp_path):
    png = _png()
    with loopback_server() as (port, requests):
        render_outputs(_notebook(port, png), html=tmp_path / "r.html", docx=tmp_path / "r.docx",
                       figures_dir=tmp_path / "fig")
        html = (tmp_path / "r.html").read_text(encoding="utf-8")
        found = active_content(html)
        assert found.scripts == 0
        assert found.handlers == [] and found.bad_urls == [] and found.elements == []
        assert len(found.csp) == 1 and "script-src 'none'" in found.csp[0]
        assert "img-src data:" in found.csp[0] and "default-src 'none'" in found.csp[0]
        assert "&lt;script&gt;" in html  # shown as text, not dropped silently
        media, external = docx_embedded(tmp_path / "r.docx")
        assert [sha(m) for m in media] == [sha(png)]
        assert not [t for t in external if not t.startswith(("http://", "https://", "mailto:"))]
        hostname = open("/etc/hostname", "rb").read().strip() if __import__("os").path.exists(
            "/etc/hostname") else b""
        assert not hostname or all(hostname not in m for m in media)
    assert requests == []  # neither nbconvert nor pandoc fetched anything


@pytest.mark.parametrize("target, kept", [
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), ("vbscript:x", False),
    ("file:///etc/passwd", False), ("data:text/html,<b>x</b>", False),
    ("https://bra.se/statistik", True), ("mailto:samordnare@kommun.se", True)])
def test_docx_keeps_only_web_and_mail_links(target, kept, tmp_path):
    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[v4.new_code_cell("x", execution_count=1, outputs=[
        v4.new_output("display_data", data={"text/html": f'<p><a href="{target}">länk</a></p>',
                                            "text/plain": "l"})])])
    render_outputs(nb, docx=tmp_path / "l.docx")
    _, external = docx_embedded(tmp_path / "l.docx")
    assert (target in external) is kept, external
