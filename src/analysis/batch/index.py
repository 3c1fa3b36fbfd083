"""The ``index.html`` of a batch: every report with its status, links and errors."""

from __future__ import annotations

import datetime as _dt
import os
from importlib import resources
from pathlib import Path

import jinja2

from ..report.text import format_number
from ..store import atomic_write

__all__ = ["write_index"]

_STATUS = {"ok": "klar", "skipped": "oförändrad", "failed": "misslyckades"}


def _label(name: str, params: dict, name_key: str | None) -> str:
    if name_key == "kommunkod":
        from ..municipalities import is_valid_code, name_of
        code = str(params.get("kommunkod", name))
        if is_valid_code(code):
            return f"{code} {name_of(code)}"
    return name


def write_index(items, out_dir: str | os.PathLike, *, title: str = "Lägesbilder – utkast",
                notebook: str = "", note: str | None = None,
                name_key: str | None = "kommunkod") -> Path:
    """Write ``index.html`` in ``out_dir`` listing every report (atomically).

    Parameters
    ----------
    items : iterable of ItemResult
        The reports of the batch (failed ones included, with cell and error).
    note : str, optional
        A highlighted line, e.g. the sample-data label.

    Returns
    -------
    Path
    """
    out = Path(out_dir)
    rows = []
    for it in sorted(items, key=lambda r: r.name):
        links = []
        for fmt, text in (("html", "HTML"), ("docx", "Word"), ("ipynb", "Notebook")):
            p = out / f"{it.stem}.{fmt}"
            if p.is_file():
                links.append((text, p.name))
        figdir = out / f"{it.stem}_figurer"
        n_fig = len(list(figdir.glob("*.png"))) if figdir.is_dir() else 0
        rows.append({
            "name": it.name, "label": _label(it.name, it.params, name_key),
            "status": it.status, "status_text": _STATUS.get(it.status, it.status),
            "links": links, "figures": n_fig, "figures_href": figdir.name + "/",
            "seconds": format_number(it.total_s, decimals=1) if it.total_s else "",
            "error": it.error, "error_cell": it.error_cell,
            "error_line": getattr(it, "error_line", None), "error_source": it.error_source})
    counts = {s: sum(r["status"] == s for r in rows) for s in ("ok", "skipped", "failed")}
    counts["total"] = len(rows)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(resources.files("analysis").joinpath(
        "templates", "batch_index.html.j2").read_text(encoding="utf-8"))
    html = template.render(title=title, rows=rows, counts=counts, notebook=notebook, note=note,
                           created=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    return atomic_write(out / "index.html", html)
