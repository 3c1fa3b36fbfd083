"""A data directory as one validated :class:`Dataset`: every file read, checked and fingerprinted.

A data directory (the embedded sample, or an analyst's own) holds one file per kind
(docs/data-model.md). :func:`load_dataset` reads and validates them all with the readers of
:mod:`analysis.io.tidy` and :mod:`analysis.io.survey_files`, records where every figure came
from (sha256 per file) and whether the data are synthetic, and hands the frames to the
statistics layer. :func:`load_dataset_shared` reads a folder once per process (in memory
only, never on disk: the data hold survey microdata) and again when a file changes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..store import file_sha256
from .frame_cache import read_tidy_cached
from .incidents import read_incidents
from .survey_files import read_items, read_survey
from .tidy import _yaml_problem, read_margins, read_measures

__all__ = ["load_dataset", "load_dataset_shared", "with_survey", "Dataset", "DATA_FILES"]

#: File name of each kind in a data directory.
DATA_FILES = {"crimes": "crimes.csv", "population": "population.csv", "survey": "survey.csv",
              "items": "items.csv", "margins": "margins.csv", "measures": "measures.csv",
              "crimes_annual": "crimes_annual.csv", "incidents": "incidents.csv"}


@dataclass(frozen=True)
class Dataset:
    """Everything in one data directory, validated.

    Attributes
    ----------
    crimes, population : pandas.DataFrame
        Always present.
    survey, items, margins, measures : pandas.DataFrame or None
        ``None`` when the file is absent.
    incidents : pandas.DataFrame or None
        The kommun's own incident reports (``incidents.csv``, optional; see
        :func:`analysis.io.incidents.read_incidents`).
    synthetic : bool
        True for the embedded sample (from ``DATASET.json``); reports then say
        "Syntetiska exempeldata – inte verklig statistik".
    label : str
        Description from ``DATASET.json``.
    files : dict
        ``{relative path: sha256}`` of every file read, for the provenance line of a report.
    path : pathlib.Path
        The directory.
    info : dict
        The whole ``DATASET.json``.
    crimes_annual : pandas.DataFrame or None
        Brå's annual series (``crimes_annual.csv``, period kind ``annual``), when imported.
    """

    crimes: pd.DataFrame
    population: pd.DataFrame
    survey: pd.DataFrame | None
    items: pd.DataFrame | None
    margins: pd.DataFrame | None
    measures: pd.DataFrame | None
    synthetic: bool
    label: str
    files: dict[str, str]
    path: Path
    info: dict = field(default_factory=dict)
    crimes_annual: pd.DataFrame | None = None
    incidents: pd.DataFrame | None = None

    def summary(self) -> str:
        """One line per table: rows and coverage."""
        lines = [f"{self.path} ({'synthetic' if self.synthetic else 'real'}: {self.label})"]
        for name in ("crimes", "crimes_annual", "population", "survey", "items", "margins", "measures",
                     "incidents"):
            df = getattr(self, name)
            lines.append(f"  {name}: " + ("absent" if df is None else f"{len(df):,} rows".replace(",", " ")))
        return "\n".join(lines)


def load_dataset(data_dir: str | Path, *, kinds=None, survey_kommuner=None) -> Dataset:
    """Read and validate a data directory (layout: docs/data-model.md).

    Parameters
    ----------
    data_dir : str or Path
        Directory with ``crimes.csv`` and ``population.csv`` (required) and optionally
        ``survey.csv``, ``items.csv``, ``margins.csv``, ``measures.csv`` (or ``measures.yaml``),
        ``crimes_annual.csv``, ``incidents.csv`` and ``DATASET.json``.
    kinds : collection of str, optional
        Read only these optional kinds (keys of :data:`DATA_FILES`); the others are ``None``
        as if absent and are neither read nor listed in ``files``. ``crimes`` and
        ``population`` are always read, ``items`` and ``margins`` with ``survey`` (it is
        checked against them). Default: everything present.
    survey_kommuner : collection of str, optional
        Keep (and check) only these kommuners' respondents of ``survey.csv``
        (:func:`~analysis.io.survey_files.read_survey` ``only_kommuner``).

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        The problems of every file together (one file's problems do not hide another's).
    FileNotFoundError
        When the directory or a required file is missing.

    Notes
    -----
    The survey is checked against the item catalogue (answers outside their scale) and against
    the margins (respondents outside the kommun's areas, empty strata). Without ``DATASET.json``
    the data count as real unless a ``planted_truth.json`` (written only by the sample generator)
    is present. ``DATASET.json`` with ``"gaps": "allowed"`` (written by ``lagesbild import``
    when the source compared non-adjacent months) lets monthly series miss months; they are
    listed in ``crimes.attrs['gaps']`` and never filled.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"data directory {root} does not exist")
    for required in ("crimes", "population"):
        if not (root / DATA_FILES[required]).exists():
            raise FileNotFoundError(f"{root / DATA_FILES[required]} is missing (required in a data directory)")
    reading = _Reading()
    problems, frames, files, attempt = (reading.problems, reading.frames, reading.files,
                                        reading.attempt)

    wanted = None if kinds is None else {*kinds, "crimes", "population"}
    if wanted is not None and "survey" in wanted:
        wanted |= {"items", "margins"}  # the survey is checked against them
    unknown = sorted(set(wanted or ()) - set(DATA_FILES))
    if unknown:
        raise ValueError(f"unknown data kind(s) {unknown}; choose from {sorted(DATA_FILES)}")

    def present(name: str) -> Path | None:
        p = root / name
        kind = next((k for k, f in DATA_FILES.items() if f == name), "measures"
                    if name.startswith("measures.") else None)
        if wanted is not None and kind is not None and kind not in wanted:
            return None
        if p.exists():
            files[name] = file_sha256(p)
            return p
        return None

    try:  # read first: it says whether monthly series may have gaps
        declared = json.loads((root / "DATASET.json").read_text(encoding="utf-8")) \
            if (root / "DATASET.json").is_file() else {}
    except (OSError, json.JSONDecodeError):
        declared = {}
    gaps_ok = isinstance(declared, dict) and declared.get("gaps") == "allowed"
    def tidy(kind: str, path: Path, **kwargs) -> pd.DataFrame:  # the per-user frame cache
        return read_tidy_cached(path, kind, sha256=files[path.name], **kwargs)

    attempt("crimes", tidy, "crimes", present(DATA_FILES["crimes"]), allow_gaps=gaps_ok)
    frames["crimes_annual"] = None
    annual_path = present(DATA_FILES["crimes_annual"])
    if annual_path is not None:
        attempt("crimes_annual", tidy, "crimes_annual", annual_path)
    attempt("population", tidy, "population", present(DATA_FILES["population"]))
    _read_catalogues(present, frames, attempt)
    measures_path = present("measures.csv") or present("measures.yaml") or present("measures.yml")
    frames["measures"] = None
    if measures_path is not None:
        attempt("measures", read_measures, measures_path)
    frames["incidents"] = None
    incidents_path = present(DATA_FILES["incidents"])
    if incidents_path is not None:
        attempt("incidents", read_incidents, incidents_path)
    _read_survey(root, present(DATA_FILES["survey"]), frames, attempt, problems,
                 survey_kommuner)
    info: dict = {}
    info_path = present("DATASET.json")
    if info_path is not None:
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            problems.append(_yaml_problem(info_path, err.lineno, f"not valid JSON: {err.msg}"))
    if problems:
        raise DataError(problems)
    synthetic = bool(info.get("synthetic", (root / "planted_truth.json").exists()))
    if (root / "planted_truth.json").exists():
        present("planted_truth.json")
    label = str(info.get("label", "Syntetiska exempeldata – inte verklig statistik" if synthetic else ""))
    return Dataset(crimes=frames["crimes"], population=frames["population"], survey=frames["survey"],
                   items=frames["items"], margins=frames["margins"], measures=frames["measures"],
                   synthetic=synthetic, label=label, files=dict(sorted(files.items())), path=root,
                   info=info, crimes_annual=frames["crimes_annual"], incidents=frames["incidents"])


class _Reading:
    """The frames, file hashes and problems of one reading of a data folder; ``attempt`` reads
    one kind, keeping its problems so that one file's problems do not hide another's."""

    def __init__(self):
        self.problems: list = []
        self.frames: dict[str, pd.DataFrame | None] = {}
        self.files: dict[str, str] = {}

    def attempt(self, kind: str, fn, *args, **kwargs) -> None:
        try:
            self.frames[kind] = fn(*args, **kwargs)
        except DataError as err:
            self.problems.extend(err.problems)
            self.frames[kind] = None


def _read_catalogues(present, frames: dict, attempt) -> None:
    for kind, reader in (("items", read_items), ("margins", read_margins)):
        p = present(DATA_FILES[kind])
        frames[kind] = None
        if p is not None:
            attempt(kind, reader, p)


def _read_survey(root: Path, survey_path: Path | None, frames: dict, attempt, problems: list,
                 survey_kommuner) -> None:
    frames["survey"] = None
    if survey_path is None:
        return
    if (root / DATA_FILES["items"]).exists() and frames["items"] is None or \
            (root / DATA_FILES["margins"]).exists() and frames["margins"] is None:
        problems.append(_yaml_problem(survey_path, None, "survey not checked: fix the item "
                                      "catalogue or the margins first"))
    else:
        attempt("survey", read_survey, survey_path, items=frames["items"],
                margins=frames["margins"], only_kommuner=survey_kommuner)


def with_survey(ds: Dataset, *, survey_kommuner=None) -> Dataset:
    """``ds`` with its folder's survey read and checked (``survey.csv``, items and margins).

    For a dataset read without the survey (``kinds`` of :func:`load_dataset` or
    :func:`load_dataset_shared` without ``"survey"``): the same frames and checks as
    :func:`load_dataset` with the survey, without reading the crimes again. The measure
    evaluation reads the crimes of all kommuner once per process and each measure's län
    survey for itself.

    Parameters
    ----------
    ds : Dataset
        From :func:`load_dataset` or :func:`load_dataset_shared`.
    survey_kommuner : collection of str, optional
        As for :func:`load_dataset`.

    Returns
    -------
    Dataset
        A new Dataset; ``files`` also lists the survey files read (a folder without
        ``survey.csv`` gives ``survey=None``, as :func:`load_dataset`).

    Raises
    ------
    DataError
        The problems of the survey, its item catalogue and its margins.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.sample import write_sample
    >>> folder = Path(tempfile.mkdtemp()) / "data"
    >>> _ = write_sample(folder, kommuner=["1760", "1761"])
    >>> base = load_dataset(folder, kinds=("measures",))
    >>> base.survey is None, sorted(with_survey(base, survey_kommuner={"1760"}).survey["kommunkod"].unique())
    (True, ['1760'])
    """
    root = ds.path
    reading = _Reading()
    problems, frames, files, attempt = (reading.problems, reading.frames, reading.files,
                                        reading.attempt)

    def present(name: str) -> Path | None:
        p = root / name
        if p.exists():
            files[name] = file_sha256(p)
            return p
        return None

    _read_catalogues(present, frames, attempt)
    _read_survey(root, present(DATA_FILES["survey"]), frames, attempt, problems, survey_kommuner)
    if problems:
        raise DataError(problems)
    return dataclasses.replace(ds, survey=frames["survey"], items=frames["items"],
                               margins=frames["margins"],
                               files=dict(sorted({**ds.files, **files}.items())))


# ------------------------------------------------------------------ read once per process

#: Folders read by :func:`load_dataset_shared` in this process: (resolved path, kinds or
#: None) -> (the folder's file state when read, the Dataset). Memory only; at most
#: _MEMO_SIZE entries.
_MEMO: dict[tuple[Path, frozenset | None], tuple[tuple, Dataset]] = {}
_MEMO_SIZE = 2
_MEMO_LOCK = threading.Lock()
_FRAMES = ("crimes", "population", "survey", "items", "margins", "measures", "crimes_annual",
           "incidents")


def _folder_state(root: Path) -> tuple:
    """(name, size, mtime_ns) of every file directly in ``root``: what load_dataset may read."""
    state = []
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.is_file():
                st = entry.stat()
                state.append((entry.name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(state))


def _private_view(ds: Dataset, path: Path) -> Dataset:
    # Shallow copies: pandas copy-on-write (always on in pandas 3) copies a column when
    # either side writes it, so a caller that edits its frames never edits the memo's.
    frames = {name: (None if getattr(ds, name) is None else getattr(ds, name).copy(deep=False))
              for name in _FRAMES}
    return dataclasses.replace(ds, **frames, files=dict(ds.files), info=json.loads(
        json.dumps(ds.info)), path=path)


def load_dataset_shared(data_dir: str | Path, *, kinds=None) -> Dataset:
    """:func:`load_dataset`, read once per process and again whenever a file of it changes.

    The first call reads and validates the folder; later calls for the same folder return the
    same data without reading anything, as long as every file directly in the folder has the
    size and modification time (ns) it had when read: a file changed, added or removed means
    the folder is read again. The data stay in this process's memory (never on disk: they
    hold survey microdata). The batch runner's worker calls it before forking, so every
    report inherits the data instead of reading them (:func:`analysis.report.context.preload`).

    Each call returns its own :class:`Dataset` whose frames are shallow copies: with pandas'
    copy-on-write, changing one of them changes neither the memo nor another caller's.

    Parameters
    ----------
    data_dir : str or Path
        As for :func:`load_dataset`.
    kinds : collection of str, optional
        As for :func:`load_dataset`; each choice of kinds is remembered on its own (the
        measure evaluation shares ``("measures",)``: every kommun's crimes and population).

    Returns
    -------
    Dataset
        With ``path`` as given.

    Raises
    ------
    DataError, FileNotFoundError
        As :func:`load_dataset` (a folder that fails is never remembered).

    Examples
    --------
    >>> import os, tempfile
    >>> from analysis.sample import write_sample
    >>> folder = Path(tempfile.mkdtemp()) / "data"
    >>> _ = write_sample(folder, kommuner=["1760"])
    >>> a = load_dataset_shared(folder)
    >>> b = load_dataset_shared(folder)  # not read again
    >>> b.crimes.equals(a.crimes), b.crimes is a.crimes
    (True, False)
    >>> os.utime(folder / "crimes.csv", ns=(1, 1))  # a changed file: read again
    >>> load_dataset_shared(folder).crimes.equals(a.crimes)
    True
    """
    root = Path(data_dir)
    if not root.is_dir():
        return load_dataset(root, kinds=kinds)  # its error
    folder = root.resolve()
    key = (folder, None if kinds is None else frozenset(kinds))
    state = _folder_state(folder)
    with _MEMO_LOCK:
        hit = _MEMO.get(key)
    if hit is None or hit[0] != state:
        ds = load_dataset(folder, kinds=kinds)
        if _folder_state(folder) == state:  # not changed while it was read
            with _MEMO_LOCK:
                _MEMO.pop(key, None)
                while len(_MEMO) >= _MEMO_SIZE:
                    _MEMO.pop(next(iter(_MEMO)))
                _MEMO[key] = (state, ds)
        hit = (state, ds)
    return _private_view(hit[1], root)
