"""The Word draft a kommun can edit (issue 11, item 11): A4 with Swedish styles from a reference
document built by code, table columns that fit their content, real alt texts."""

import re
import zipfile

import docx
import nbformat
import pandas as pd
import pytest

from analysis.batch import docx_style, render
from analysis.report.figures import bar_ci

VERDICT = "ingen statistiskt säkerställd skillnad"


def _notebook():
    fig = bar_ci(pd.DataFrame({"crime_type": ["Bilbrott", "Cykelstöld"], "estimate": [3.0, 5.0]}),
                 category="crime_type", ci_low=None, ci_high=None, title="Anmälda brott")
    data, meta = fig._repr_mimebundle_()
    md = ("| Brottstyp | Antal | Per 100 000 | Riket | Jämfört med riket | Rang |\n"
          "|---|---|---|---|---|---|\n"
          f"| Misshandel (inkl. grov) | 277 | 1 234 | 1 100 | {VERDICT} | 277 (176–274) av 290 |\n"
          f"| Butiksstöld/snatteri | 865 | 865 | 580 | högre än riket (säkerställt) | 4 (4–34) av 290 |")
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Lägesbild"),
        nbformat.v4.new_code_cell("fig", execution_count=1, outputs=[
            nbformat.v4.new_output("display_data", data=data, metadata=meta)]),
        nbformat.v4.new_code_cell("t", execution_count=2, outputs=[
            nbformat.v4.new_output("display_data", data={"text/markdown": md, "text/plain": "t"})])])


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    out = tmp_path_factory.mktemp("docx")
    render.render_outputs(_notebook(), docx=out / "r.docx")
    return out / "r.docx"


def test_page_is_a4_with_swedish_language(draft):
    d = docx.Document(str(draft))
    s = d.sections[0]
    assert round(s.page_width.cm, 1) == 21.0 and round(s.page_height.cm, 1) == 29.7
    styles = zipfile.ZipFile(draft).read("word/styles.xml").decode()
    assert re.search(r'<w:lang [^>]*w:val="sv-SE"', styles)
    assert 'w:val="en-US"' not in styles


def test_reference_document_is_built_by_code_not_stored():
    path = docx_style.reference_docx(render.pandoc_path())
    assert path.exists() and path.suffix == ".docx"
    import analysis
    from pathlib import Path
    assert not list(Path(analysis.__file__).parent.rglob("*.docx"))  # no stored binary


def test_the_reference_document_is_removed_when_its_process_exits(tmp_path):
    # it was left in the temporary folder by every report process (2 414 folders on one
    # machine); now the process that built it removes it, and a forked child that exits
    # normally leaves it to its parent
    import os
    import subprocess
    import sys
    from pathlib import Path

    import analysis

    code = ("import os, sys\n"
            "from analysis.batch import docx_style, render\n"
            "path = docx_style.reference_docx(render.pandoc_path())\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    sys.exit(0)\n"
            "os.waitpid(pid, 0)\n"
            "print(path, path.exists())\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(analysis.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, timeout=120).stdout.split()
    assert out[1] == "True"  # still there after the child's exit
    assert not Path(out[0]).exists() and not Path(out[0]).parent.exists()


def test_table_columns_fit_their_words(draft):
    d = docx.Document(str(draft))
    table = d.tables[0]
    widths = [c.width for c in table.columns]
    assert len(set(widths)) > 1  # not the equal narrow columns pandoc writes
    assert abs(sum(w.cm for w in widths) - docx_style.A4_TEXT_WIDTH_CM) < 0.05
    for j, col in enumerate(table.columns):
        longest = max(len(w) for c in col.cells for w in c.text.split())
        # the longest word ("säkerställd", "Misshandel") fits on one line of its column
        assert col.width.cm >= longest * 0.185 + 0.35, (j, col.width.cm, longest)
    verdict_col = [c.text for c in table.rows[0].cells].index("Jämfört med riket")
    assert widths[verdict_col] == max(widths)


def test_figure_alt_text_says_what_it_shows(draft):
    xml = zipfile.ZipFile(draft).read("word/document.xml").decode()
    descr = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', xml)
    assert descr and all(d not in ("", "Figur") for d in descr)
    assert "Bilbrott 3" in descr[0] and "Cykelstöld 5" in descr[0]
    # the picture itself carries the same description, not the base64 image again
    pic = re.findall(r'<pic:cNvPr [^>]*descr="([^"]*)"', xml)
    assert pic == descr[:len(pic)] and not any(p.startswith("data:") for p in pic)


def test_column_widths_shrink_in_proportion_when_words_cannot_fit():
    widths = docx_style._column_widths([["ord" * 30] * 6], 9000)
    assert sum(widths) == 9000 and len(set(widths)) == 1


def _members(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _two_figures():
    nb = _notebook()
    fig = bar_ci(pd.DataFrame({"crime_type": ["Rån", "Bedrägeri", "Skadegörelse"],
                               "estimate": [1.0, 2.0, 7.0]}),
                 category="crime_type", ci_low=None, ci_high=None, title="Andra brott")
    data, meta = fig._repr_mimebundle_()
    nb.cells.append(nbformat.v4.new_code_cell("fig2", execution_count=3, outputs=[
        nbformat.v4.new_output("display_data", data=data, metadata=meta)]))
    return nb


def test_figures_reach_the_docx_byte_for_byte_as_pandoc_would_place_them(tmp_path, monkeypatch):
    # pandoc lays out blank stand-ins (fast); the real PNGs are put back afterwards. The file
    # must be the one pandoc writes from the real images: same document, same pictures.
    nb = _two_figures()
    pngs = render.extract_figures(nb)
    render.render_outputs(nb, docx=tmp_path / "fast.docx")
    monkeypatch.setattr(docx_style, "stand_in_figures", lambda html: (html, {}))
    render.render_outputs(nb, docx=tmp_path / "plain.docx")
    fast, plain = _members(tmp_path / "fast.docx"), _members(tmp_path / "plain.docx")
    assert set(fast) == set(plain)
    for name in fast:
        if name != "word/_rels/document.xml.rels":  # the same relationships, maybe reordered
            assert fast[name] == plain[name], name
    rels = [sorted(re.findall(r"<Relationship [^>]*/>", d[ "word/_rels/document.xml.rels"]
                              .decode())) for d in (fast, plain)]
    assert rels[0] == rels[1]
    media = sorted(v for k, v in fast.items() if k.startswith("word/media/"))
    assert media == sorted(pngs) and len(media) == 2


def test_a_figure_lost_on_the_way_fails_the_docx_not_silently(tmp_path, monkeypatch):
    real = docx_style.stand_in_figures

    def one_too_many(html):
        html, figures = real(html)
        figures[b"\x89PNG never written"] = b"x"
        return html, figures

    monkeypatch.setattr(docx_style, "stand_in_figures", one_too_many)
    with pytest.raises(render.RenderError, match="lost a figure"):
        render.render_outputs(_notebook(), docx=tmp_path / "r.docx")
    assert not (tmp_path / "r.docx").exists()


def test_images_that_cannot_stand_in_are_left_to_pandoc():
    html = '<img src="data:image/png;base64,bm90IGEgcG5n"/><img src="data:image/gif;base64,R0lG"/>'
    assert docx_style.stand_in_figures(html) == (html, {})
