"""Where the project's folders are: the clone's root, and the data folder a notebook means.

Notebooks run wherever JupyterLab or papermill starts their kernel (JupyterLab: the notebook's
own folder), so a data folder given as a relative path is resolved against the project root,
never against the kernel's working directory. Next in the flow: :func:`analysis.io.load_dataset`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

__all__ = ["DATA_ENV", "DEFAULT_DATA_DIR", "project_root", "resolve_data_dir"]

#: Environment variable naming the data folder that notebooks use by default.
DATA_ENV = "LAGESBILD_DATA"
#: The notebooks' default data folder, relative to the project root (written by `lagesbild sample`).
DEFAULT_DATA_DIR = "data/sample"

_log = logging.getLogger(__name__)


def _is_project(folder: Path) -> bool:
    marker = folder / "pyproject.toml"
    if not (marker.is_file() and (folder / "notebooks").is_dir()):
        return False
    try:
        text = marker.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return False
    return 'name = "lagesbild"' in text


def project_root(start: str | os.PathLike | None = None) -> Path | None:
    """The root of the lagesbild clone (``pyproject.toml`` and ``notebooks/``), or None.

    Parameters
    ----------
    start : path, optional
        Folder to search upwards from. By default the package's own location is tried first
        (an editable install or ``PYTHONPATH=src`` runs from the clone), then the current
        working directory and its parents.

    Returns
    -------
    pathlib.Path or None
        Absolute path of the project root; None when the package runs outside a clone
        (installed from a wheel and started elsewhere).

    Examples
    --------
    >>> root = project_root()
    >>> root is None or (root / "notebooks").is_dir()
    True
    >>> import tempfile
    >>> project_root(tempfile.gettempdir()) is None
    True
    """
    if start is not None:
        starts = [Path(start)]
    else:
        starts = [Path(__file__).resolve().parent, Path.cwd()]
    for begin in starts:
        begin = begin.resolve()
        for folder in (begin, *begin.parents):
            if _is_project(folder):
                return folder
    return None


def resolve_data_dir(data_dir: str | os.PathLike = DEFAULT_DATA_DIR, *,
                     write_sample_if_missing: bool = True,
                     root: str | os.PathLike | None = None) -> Path:
    """The absolute data folder a notebook parameter means, wherever the kernel runs.

    Parameters
    ----------
    data_dir : str or path, default "data/sample"
        The notebook's ``data_dir`` parameter. Absolute paths stand as given. The default
        ``"data/sample"`` (or ``""``) means the folder named by the environment variable
        ``LAGESBILD_DATA`` when it is set, else ``data/sample`` under the project root. Any
        other relative path is resolved against the project root, not the working directory.
    write_sample_if_missing : bool, default True
        When the default sample folder of the project (``<root>/data/sample``) does not
        exist yet, write the synthetic sample there (``lagesbild sample``; about 15 seconds
        and 80 MB, once) and say so in a log message. Never done for any other folder.
    root : path, optional
        Project root to resolve against (default :func:`project_root`).

    Returns
    -------
    pathlib.Path
        An existing folder, absolute.

    Raises
    ------
    FileNotFoundError
        When the folder does not exist (saying how to write the sample or which variable to
        set), or when a relative path is given outside a clone of the project.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> resolve_data_dir(folder) == Path(folder).resolve()
    True
    >>> project = Path(tempfile.mkdtemp())
    >>> (project / "mina_data").mkdir()
    >>> resolve_data_dir("mina_data", root=project) == (project / "mina_data").resolve()
    True
    >>> resolve_data_dir("saknas", root=project)
    Traceback (most recent call last):
    ...
    FileNotFoundError: data folder ... does not exist (data_dir); write the synthetic sample ...
    """
    text = os.fspath(data_dir)
    default = text in ("", DEFAULT_DATA_DIR)
    env = os.environ.get(DATA_ENV, "").strip()
    base = Path(root).resolve() if root is not None else project_root()
    if default and env:
        path, origin = Path(env).expanduser(), f"environment variable {DATA_ENV}"
    else:
        path, origin = Path(text or DEFAULT_DATA_DIR).expanduser(), "data_dir"
    if not path.is_absolute():
        if base is None:
            raise FileNotFoundError(
                f"data folder {str(path)!r} ({origin}) is relative and lagesbild is not running "
                f"from a clone of the project to resolve it against; give an absolute path or "
                f"set {DATA_ENV} to your data folder")
        path = base / path
    path = path.resolve()
    if path.is_dir():
        return path
    is_project_sample = base is not None and path == (base / DEFAULT_DATA_DIR).resolve()
    if is_project_sample and write_sample_if_missing:
        from .sample import write_sample

        _log.warning("%s does not exist yet: writing the synthetic sample data there "
                     "(Syntetiska exempeldata – inte verklig statistik; once, about 15 s)", path)
        try:
            write_sample(path)
        except FileExistsError:  # another kernel wrote it meanwhile
            pass
        if path.is_dir():
            return path
    raise FileNotFoundError(
        f"data folder {path} does not exist ({origin}); write the synthetic sample with "
        f"`lagesbild sample --out {path}`, or point data_dir or the environment variable "
        f"{DATA_ENV} at your data folder")
