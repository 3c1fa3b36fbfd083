"""Deterministic synthetic sample data for all 290 kommuner, with the truth that was planted.

Answers "what can I run the toolkit on without real data?" and "does a method recover a known
truth?". :func:`generate` returns tidy frames in the data-model contracts (see
``docs/data-model.md``); :func:`write_sample` writes them as a data directory that
:func:`analysis.io.load_dataset` reads. Everything is labelled
"Syntetiska exempeldata – inte verklig statistik".

Modules: :mod:`.crimes` (population, monthly crimes), :mod:`.survey` (areas, margins,
respondents, item catalogue), :mod:`.measures` (registry and planted effects),
:mod:`.incidents` (the four sample kommuner's incident logs with planted hot spots),
:mod:`.writer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import SAMPLE_DATA_LABEL
from ..crime_types import CRIME_TYPE_NAMES
from . import crimes as _crimes
from . import incidents as _incidents
from . import measures as _measures
from . import survey as _survey
from . import writer as _writer
from ._base import (DEFAULT_SEED, FIRST_YEAR, LAST_YEAR, PRELIMINARY_YEARS, SAMPLE_KOMMUNER,
                    SURVEY_YEARS, kommun_profiles, select_kommuner)

__all__ = ["SampleData", "generate", "write_sample", "DEFAULT_SEED", "SAMPLE_KOMMUNER",
           "SAMPLE_VERSION", "LABEL"]

LABEL = SAMPLE_DATA_LABEL
#: Version of the generating model. Bump it whenever the same seed would give other numbers.
SAMPLE_VERSION = "1.2"  # 1.2: Samtliga brott, new types, Brå's därav subcategories (issue 12)
_FRAME_KINDS = ("crimes", "population", "survey", "items", "margins", "measures")


@dataclass(frozen=True)
class SampleData:
    """A generated sample: one tidy frame per kind plus the planted truth.

    Attributes
    ----------
    crimes, population, survey, items, margins, measures : pandas.DataFrame
        Frames in the contracts of :data:`analysis.schemas.SCHEMAS` (typed as
        :func:`analysis.schemas.validate` returns them: ``period`` is ``Period[M]``, measure
        dates are timestamps, survey items are nullable integers).
    truth : dict
        The planted truth, JSON-ready (written as ``planted_truth.json``); tables inside are
        ``{"columns": [...], "rows": [...]}``, see :meth:`truth_table`.
    seed : int
    kommuner : tuple of str
        The kommun codes generated.
    label : str
        "Syntetiska exempeldata – inte verklig statistik".
    incidents : pandas.DataFrame or None
        Incident reports (``incidents`` contract) of the sample kommuner 2181, 2026, 1760 and
        1080 among those generated, with planted hot places and a weekend-night peak
        (``truth["incidents"]``).
    """

    crimes: pd.DataFrame
    population: pd.DataFrame
    survey: pd.DataFrame
    items: pd.DataFrame
    margins: pd.DataFrame
    measures: pd.DataFrame
    truth: dict = field(repr=False)
    seed: int = DEFAULT_SEED
    kommuner: tuple[str, ...] = ()
    label: str = LABEL
    incidents: pd.DataFrame | None = None

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """The frames keyed by their kind (``crimes``, ``population``, ...; ``incidents`` when
        a sample kommun was generated)."""
        out = {kind: getattr(self, kind) for kind in _FRAME_KINDS}
        if self.incidents is not None and len(self.incidents):
            out["incidents"] = self.incidents
        return out

    def truth_table(self, name: str) -> pd.DataFrame:
        """One table of the planted truth as a DataFrame.

        ``name`` is ``"crime_trends"`` (kommun × crime type: true log trend per year, expected
        count and rate in 2024), ``"survey_shares"`` (kommun × year × item × area/sex: true
        share; empty area/sex = the whole kommun/both sexes), ``"survey_design"`` (kommun × year
        × area: population, gross sample, respondents), or ``"measures"``.
        """
        tables = {"crime_trends": self.truth["crimes"]["trends"],
                  "survey_shares": self.truth["survey"]["shares"],
                  "survey_design": self.truth["survey"]["design"]}
        if name == "measures":
            return pd.DataFrame(self.truth["measures"])
        if name not in tables:
            raise ValueError(f"unknown truth table {name!r}; expected one of "
                             f"{', '.join([*tables, 'measures'])}")
        return pd.DataFrame(tables[name]["rows"], columns=tables[name]["columns"])

    def summary(self) -> str:
        """A few lines: what was generated, how big, and the label."""
        n_resp = len(self.survey)
        n_effects = sum(bool(m["effect_planted"]) for m in self.truth["measures"])
        return "\n".join([
            self.label,
            f"seed {self.seed}, {len(self.kommuner)} kommuner, generator analysis.sample "
            f"{SAMPLE_VERSION}",
            f"crimes: {len(self.crimes):,} rows ({FIRST_YEAR}-01..{LAST_YEAR}-12, "
            f"{len(CRIME_TYPE_NAMES)} types, {len(_crimes.SUBCATEGORY_NAMES)} subcategories and the total; "
            f"{', '.join(map(str, PRELIMINARY_YEARS))} preliminär)",
            f"survey: {n_resp:,} respondents in {', '.join(map(str, SURVEY_YEARS))}; "
            f"{len(self.items)} items; {len(self.margins):,} margin cells",
            f"measures: {len(self.measures)} ({n_effects} with a planted effect)",
        ])


def generate(seed: int = DEFAULT_SEED, *, kommuner=None) -> SampleData:
    """Generate the synthetic sample: crimes, population, survey, margins, measures, truth.

    Parameters
    ----------
    seed : int, default 20260101
        Seed of the whole sample. Each component (a kommun's crimes of one type, a kommun's
        survey wave, one item's answers) draws from its own stream derived from the seed, so
        the numbers of a kommun are the same whether it is generated alone or with all others.
    kommuner : iterable of str, optional
        Kommun codes or names to generate (default: all 290).

    Returns
    -------
    SampleData
        Frames in the data-model contracts and the planted truth.

    Notes
    -----
    Crimes: monthly counts 2015-01..2025-12 for the 12 Brå types, gamma-Poisson with an AR(1)
    log-rate, seasonality, per-type and per-kommun trends, rates rising with kommun size as
    ``CrimeType.urban_gradient`` says, national 2024 levels ≈ ``CrimeType.national_per_year``,
    Storfors (1760) at about four våldsbrott a month; 2025 is ``preliminär``. Population grows
    or shrinks smoothly and equals the register in 2025. Survey: every second year 2019-2025, 3-8
    areas per kommun as strata, nonresponse skewed by sex and age. Measures: a registry for
    the four sample kommuner (2181, 2026, 1760, 1080) and a few more, some with a planted
    effect, some with none. Model details are in the modules' docstrings and in the truth.

    Examples
    --------
    >>> s = generate(kommuner=["Storfors"])
    >>> s.kommuner, len(s.crimes), sorted(s.survey["year"].unique().tolist())
    (('1760',), 3036, [2019, 2021, 2023, 2025])
    >>> vald = ["Misshandel (inkl. grov)", "Rån (inkl. grovt)", "Grov kvinnofridskränkning"]
    >>> per_month = s.crimes[s.crimes.crime_type.isin(vald)].groupby("period")["count"].sum()
    >>> round(float(per_month.mean()), 1)  # about four a month, as in the seed material
    4.1
    >>> s.label
    'Syntetiska exempeldata – inte verklig statistik'
    """
    seed = _check_seed(seed)
    codes = select_kommuner(kommuner)
    survey, design_rows = _survey.survey_frame(seed, codes)
    prof = kommun_profiles(seed)
    idx = prof.index(codes)
    truth = {
        "synthetic": True,
        "label": LABEL,
        "seed": seed,
        "generator": "analysis.sample",
        "version": SAMPLE_VERSION,
        "kommuner": list(codes),
        "population": {
            "model": "population(year) = population_2025 * exp(-growth * (2025 - year)), rounded",
            "columns": ["kommunkod", "growth_per_year", "share_16_84"],
            "rows": [[prof.code[k], round(float(prof.growth[k]), 6),
                      round(float(prof.share_16_84[k]), 6)] for k in idx],
        },
        "crimes": _crimes.crime_truth(seed, codes),
        "measures": [m for m in _measures.measures_truth() if m["kommunkod"] in set(codes)],
        "survey": {
            "parameters": _survey.survey_parameters(),
            "design": {"columns": ["kommunkod", "year", "area", "population", "gross_sample",
                                   "respondents"], "rows": design_rows},
            "shares": _survey.survey_truth(seed, codes),
        },
    }
    if set(codes) & set(SAMPLE_KOMMUNER):
        truth["incidents"] = _incidents.incidents_truth(codes)
    return SampleData(
        crimes=_crimes.crimes_frame(seed, codes),
        population=_crimes.population_frame(seed, codes),
        survey=survey,
        items=_survey.items_frame(),
        margins=_survey.margins_frame(seed, codes),
        measures=_measures.measures_frame(codes),
        truth=truth, seed=seed, kommuner=codes,
        incidents=_incidents.incidents_frame(seed, codes))


def write_sample(out_dir, seed: int = DEFAULT_SEED, *, kommuner=None,
                 overwrite: bool = False) -> dict[Path, str]:
    """Generate the sample and write it as a data directory, atomically.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Directory to create. It must not exist or be empty, unless ``overwrite=True`` and it
        holds an earlier sample (a DATASET.json from this generator).
    seed : int, default 20260101
    kommuner : iterable of str, optional
        Kommun codes or names (default: all 290).
    overwrite : bool, default False
        Replace an earlier sample in ``out_dir``.

    Returns
    -------
    dict of pathlib.Path to str
        SHA-256 of every file written (crimes.csv, population.csv, survey.csv, items.csv,
        margins.csv, measures.csv, incidents.csv when a sample kommun is included,
        planted_truth.json, DATASET.json, README.txt).

    Raises
    ------
    FileExistsError
        If ``out_dir`` is occupied and may not be replaced.

    Notes
    -----
    The files are written to a temporary sibling directory and renamed into place when
    complete: a crash leaves either the old directory or the new one, never a mix. The same
    seed, kommuner and generator version give the same bytes.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     hashes = write_sample(Path(tmp) / "exempel", kommuner=["1760"])
    ...     sorted(p.name for p in hashes)
    ['DATASET.json', 'README.txt', 'crimes.csv', 'incidents.csv', 'items.csv', 'margins.csv',
     'measures.csv', 'planted_truth.json', 'population.csv', 'survey.csv']
    """
    seed = _check_seed(seed)
    out_dir = Path(out_dir)
    data = generate(seed, kommuner=kommuner)
    dataset = {
        "synthetic": True,
        "label": LABEL,
        "seed": seed,
        "generator": "analysis.sample",
        "version": SAMPLE_VERSION,
        "created_by": f"analysis.sample.write_sample (generator version {SAMPLE_VERSION})",
        "kommuner": "all 290" if len(data.kommuner) == 290 else list(data.kommuner),
        "crime_months": f"{FIRST_YEAR}-01/{LAST_YEAR}-12",
        "survey_years": list(SURVEY_YEARS),
    }
    readme = _writer.README_TEMPLATE.format(label=LABEL, seed=seed,
                                            crime_rows=f"{len(data.crimes):,}".replace(",", " "),
                                            survey_rows=f"{len(data.survey):,}".replace(",", " "))
    _writer.atomic_directory(out_dir, lambda tmp: _writer.write_frames(
        tmp, data.frames, data.truth, dataset, readme), overwrite=overwrite)
    return {p: _writer.sha256(p) for p in sorted(out_dir.iterdir()) if p.is_file()}


def _check_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)
