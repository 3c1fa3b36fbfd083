"""Batch runner: one parameterised notebook → report drafts for many kommuner.

Runs a jupytext ``py:percent`` notebook with papermill once per parameter set, in parallel on
warm local workers or on a Dask cluster, resumable, with atomic outputs (executed notebook,
HTML and DOCX drafts, PNG figures) and an ``index.html``. The ``lagesbild reports`` command is
a thin layer over :func:`run_batch`.

Names are imported on first use, so importing the package does not pay for papermill, nbconvert
and nbformat. Atomic files and manifests are in :mod:`analysis.store`, the shared cache in
:mod:`analysis.cache` and the respondent-id guard in :mod:`.guard`.

A batch, as the ``lagesbild reports`` command runs it (executed by the tests, not here)::

    from analysis.batch import run_batch
    result = run_batch("notebooks/lagesbild.py", [{"kommunkod": "2181"}, {"kommunkod": "1760"}],
                       out_dir="reports", jobs=2, resume=True, data_files=["data/sample"])
    print(result.summary())
    raise SystemExit(result.exit_code)
"""

import importlib

_EXPORTS = {
    "run_batch": "runner", "BatchResult": "runner", "ItemResult": "runner",
    "render_outputs": "render", "RenderError": "render",
    "BatchParameterError": "notebook", "load_notebook": "notebook",
    "declared_parameters": "notebook", "check_parameters": "notebook",
    "coerce_parameter": "notebook",
}
__all__ = [*_EXPORTS, "FORMATS"]

#: The output formats of a draft, in the order they are written.
FORMATS = ("ipynb", "html", "docx", "png")


def skip_iri_grammar() -> None:
    """Keep ``jsonschema`` (imported by nbformat) from building its IRI grammar in this process,
    and jupytext from importing the Jupyter server.

    jsonschema imports the optional ``rfc3987_syntax`` when it is installed (it is, through
    jupyter_events), which compiles a Lark grammar at import: about 1.7 s of every process
    that imports nbformat, more than the rest of a draft's start-up. Notebooks never need IRI
    format checks, so the ``lagesbild`` command and the batch workers mark the module as
    absent; jsonschema then simply has no "iri" format checker. A library user's process is
    left alone.
    """
    import sys

    sys.modules.setdefault("rfc3987_syntax", None)  # None: "import rfc3987_syntax" fails
    # jupytext imports its Jupyter-server contents managers when it is imported (jupyter_server,
    # tornado, traitlets: about 0.5 s); reading a .py notebook never uses them, and jupytext
    # stands in a placeholder when they cannot be imported.
    sys.modules.setdefault("jupytext.sync_contentsmanager", None)
    sys.modules.setdefault("jupytext.async_contentsmanager", None)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'analysis.batch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
