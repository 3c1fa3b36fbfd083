"""A papermill engine that runs a notebook in an IPython shell inside the current process.

The batch runner forks a warm worker (imports done) for each report and runs the notebook
here, in the fresh child: start-up costs nothing and no state can reach the next report,
because every child starts from the same untouched parent. Outputs are recorded as a Jupyter
kernel would record them: streams, ``display()`` data, results, tracebacks, and matplotlib
figures as PNG through the inline backend.
"""

from __future__ import annotations

import base64
import io
import platform
import sys

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from papermill.engines import Engine, papermill_engines
from traitlets import Type
from traitlets.config import Config

__all__ = ["InProcessEngine", "ENGINE_NAME", "register"]

ENGINE_NAME = "lagesbild-inprocess"
_BINARY_PREFIXES = ("image/png", "image/jpeg", "image/gif", "application/pdf")


def _jsonable(data: dict) -> dict:
    out = {}
    for mime, value in data.items():
        if isinstance(value, (bytes, bytearray)):
            value = (base64.b64encode(value).decode("ascii") if mime.startswith(_BINARY_PREFIXES)
                     else value.decode("utf-8", "replace"))
        out[mime] = value
    return out


class _Recorder:
    """Collects the outputs of the cell being executed."""

    def __init__(self):
        self.outputs: list = []

    def stream(self, name: str, text: str) -> None:
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.output_type == "stream" and last.name == name:
            last.text += text
        else:
            self.outputs.append(nbformat.v4.new_output("stream", name=name, text=text))

    def display(self, data: dict, metadata: dict) -> None:
        self.outputs.append(nbformat.v4.new_output("display_data", data=_jsonable(data),
                                                   metadata=metadata or {}))

    def result(self, data: dict, metadata: dict, count: int) -> None:
        self.outputs.append(nbformat.v4.new_output("execute_result", data=_jsonable(data),
                                                   metadata=metadata or {},
                                                   execution_count=count))

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                                   traceback=list(traceback)))

    def clear(self) -> None:
        self.outputs.clear()


class _CellStream(io.TextIOBase):
    def __init__(self, recorder: _Recorder, name: str):
        self._recorder, self.name = recorder, name

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text) -> int:
        if text:
            self._recorder.stream(self.name, str(text))
        return len(text)


class _Publisher(DisplayPublisher):
    def publish(self, data, metadata=None, source=None, *, transient=None, update=False,
                **kwargs) -> None:
        self.shell._recorder.display(data, metadata)

    def clear_output(self, wait=False) -> None:
        self.shell._recorder.clear()


class _Hook(DisplayHook):
    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:
        self.shell._recorder.result(format_dict, md_dict, self.prompt_count)


class _ReportShell(InteractiveShell):
    displayhook_class = Type(_Hook)
    display_pub_class = Type(_Publisher)

    def _showtraceback(self, etype, evalue, stb) -> None:
        self._recorder.error(etype.__name__, str(evalue), stb)

    def enable_gui(self, gui=None) -> None:  # only the inline backend exists here
        pass


def _shell() -> _ReportShell:
    if _ReportShell.initialized():
        return _ReportShell.instance()
    config = Config()
    config.HistoryManager.enabled = False  # no sqlite history file per report
    shell = _ReportShell.instance(config=config)
    shell._recorder = _Recorder()
    # If matplotlib was imported before this shell existed (in the warm parent), its inline
    # backend never saw an IPython shell and figures would print as "<Figure size ...>" text.
    if "matplotlib" in sys.modules:
        shell.enable_matplotlib("inline")
    return shell


def _run_cell(shell: _ReportShell, cell) -> bool:
    recorder = shell._recorder
    recorder.outputs = cell.outputs = []
    count = shell.execution_count
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _CellStream(recorder, "stdout"), _CellStream(recorder, "stderr")
    try:
        result = shell.run_cell(cell.source, store_history=True)
    finally:
        sys.stdout, sys.stderr = saved
    cell.outputs = recorder.outputs
    cell.execution_count = count
    if result.error_before_exec is not None or result.error_in_exec is not None:
        err = result.error_in_exec or result.error_before_exec
        # sys.exit(0) in a notebook ends it quietly, as in a kernel
        return isinstance(err, SystemExit) and err.code in (None, 0)
    return True


class InProcessEngine(Engine):
    """papermill engine executing cells in this process (use in a fresh, forked process)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        shell = _shell()
        nb = nb_man.nb
        for index, cell in enumerate(nb.cells):
            try:
                nb_man.cell_start(cell, index)
                if cell.cell_type == "code" and not _run_cell(shell, cell):
                    nb_man.cell_exception(cell, cell_index=index)
                    break
            finally:
                nb_man.cell_complete(cell, cell_index=index)
        nb.metadata["language_info"] = {
            "name": "python", "version": platform.python_version(),
            "mimetype": "text/x-python", "file_extension": ".py",
            "codemirror_mode": {"name": "ipython", "version": 3},
            "pygments_lexer": "ipython3", "nbconvert_exporter": "python"}
        return nb


def register() -> str:
    """Make the engine known to papermill (done by the runner, not at import); its name."""
    papermill_engines.register(ENGINE_NAME, InProcessEngine)
    return ENGINE_NAME
