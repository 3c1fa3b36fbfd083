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
