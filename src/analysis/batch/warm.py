"""What a batch worker imports and warms before its first fork (:mod:`.worker`).

Every report is a child forked from the worker, so whatever the worker has paid for (imports,
compiled templates, loaded fonts, the IPython shell, the Word reference document) each
report inherits instead of paying again.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["warm_modules", "warm_rendering"]


def warm_modules(modules) -> dict:
    """Import ``modules``; the names that imported and those that did not."""
    done, failed = [], []
    for name in modules:
        try:
            importlib.import_module(name)
            done.append(name)
        except Exception:  # noqa: BLE001 - e.g. "from pandas import DataFrame"; the child retries
            failed.append(name)
    return {"imported": done, "not_imported": failed}


def warm_rendering() -> None:
    """Pay once, before forking, the first-use costs every report would otherwise pay.

    Compiling nbconvert's templates, building the HTML sanitizer and the Markdown renderer,
    loading fonts for the first figure, creating the IPython shell and building the Word
    drafts' reference document take longer than a small report's cells. None of it runs
    notebook code: the shell the children inherit has an empty namespace, as a new kernel
    has.
    """
    import base64

    import nbformat

    from .inprocess import _shell
    from .render import _html, extract_figures

    png = b""
    if "matplotlib" in sys.modules:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(2, 1))
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1])
        ax.set_title("åäö 1 234,5 %")
        import io
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        png = buf.getvalue()
    v4 = nbformat.v4
    cell = v4.new_code_cell("x", outputs=[
        v4.new_output("stream", name="stdout", text="text"),
        v4.new_output("execute_result", execution_count=1, data={
            "text/plain": "t", "text/html": "<table><tr><td>1</td></tr></table>"}),
        v4.new_output("display_data", data={
            "text/plain": "t",
            "text/markdown": "| a | b |\n|---|---|\n| 1 234,5 | [x](https://x.se) |"}),
        v4.new_output("error", ename="E", evalue="e", traceback=["\x1b[31mE\x1b[0m"])])
    if png:
        cell.outputs.append(v4.new_output("display_data", data={
            "image/png": base64.b64encode(png).decode("ascii"), "text/plain": "<Figure>"}))
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Rubrik\n\n*text* och **text**"), cell])
    extract_figures(nb)
    _html(nb, "warm")  # the sanitizer (bleach, html5lib), the Markdown renderer, the templates
    _shell()
    try:  # the Word draft's reference document, built once here rather than in every report
        import docx  # noqa: F401 - python-docx, which fits the tables of every DOCX

        from . import docx_style
        from .render import pandoc_path
        docx_style.reference_docx(pandoc_path())
    except Exception:  # noqa: BLE001 - no pandoc: each report says so in its own error
        pass
