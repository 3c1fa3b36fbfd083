"""Effect of a measure on a survey indicator: difference-in-differences on the log-odds scale.

For measures that only have survey indicators (lighting, traffic calming) the question "did the
share change more in the measure's area than elsewhere?" is answered by a design-based logistic
regression (:func:`analysis.survey.regression.svyglm`) on the kommun's stacked survey waves:
the log-odds difference between the area and the comparison group, averaged over the waves
after the start, minus the same average before. Only aggregates leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from ..verdicts import DECREASE, INCREASE, NO_CHANGE
from .regression import GlmResult, svyglm

__all__ = ["SurveyDidResult", "survey_did"]

_TREATED = "did_treated"
_WAVE = "did_wave"


@dataclass(frozen=True)
class SurveyDidResult:
    """A log-odds difference-in-differences with its design-based interval.

    ``estimate`` is the change in the log odds of the indicator in the treated group minus the
    change in the comparison group (after-wave mean minus before-wave mean of the yearly log-odds
    differences); ``odds_ratio`` = exp(estimate). ``table`` has one row with every field;
    ``waves`` one row per wave with the treated-minus-comparison log-odds difference.
    """

    indicator: str
    kommunkod: str
    treated: str
    comparison: str
    before_years: tuple
    after_years: tuple
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    ci_level: float
    df: float
    p_value: float
    verdict: str
    n: int
    waves: pd.DataFrame = field(repr=False)
    model: GlmResult = field(repr=False)

    @property
    def odds_ratio(self) -> tuple[float, float, float]:
        """exp(estimate) and its interval."""
        return float(np.exp(self.estimate)), float(np.exp(self.ci_low)), float(np.exp(self.ci_high))

    @property
    def table(self) -> pd.DataFrame:
        orr, olo, ohi = self.odds_ratio
        return pd.DataFrame({
            "kommunkod": [self.kommunkod], "variable": [self.indicator], "treated": [self.treated],
            "comparison": [self.comparison],
            "before_years": [";".join(map(str, self.before_years))],
            "after_years": [";".join(map(str, self.after_years))],
            "estimate": [self.estimate], "se": [self.se], "ci_low": [self.ci_low], "ci_high": [self.ci_high],
            "ci_level": [self.ci_level], "df": [self.df], "p_value": [self.p_value],
            "odds_ratio": [orr], "or_ci_low": [olo], "or_ci_high": [ohi], "n": [self.n],
            "method": ["log-odds DiD, svyglm quasibinomial (taylor)"], "verdict": [self.verdict]})

    def summary(self) -> str:
        orr, olo, ohi = self.odds_ratio
        return (f"{self.indicator} in {self.treated} vs {self.comparison}, "
                f"{'/'.join(map(str, self.before_years))} -> {'/'.join(map(str, self.after_years))}: "
                f"log-odds DiD {self.estimate:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] "
                f"(odds ratio {orr:.2f} [{olo:.2f}, {ohi:.2f}]), p = {self.p_value:.3g}: {self.verdict}")


def _stacked_design(survey, margins, codes, indicator):
    from .calibration import rake
    from .design import SurveyDesign
    from .indicators import add_indicators

    rows = survey.loc[survey["kommunkod"].isin(codes)]
    design = add_indicators(SurveyDesign.from_survey(rows), [indicator])
    if margins is not None:
        m = margins.loc[margins["kommunkod"].isin(codes) & margins["year"].isin(rows["year"].unique())]
        if not m.empty:
            design = rake(design, [["kommunkod", "year", "sex", "age_group"], ["kommunkod", "year", "area"]],
                          m, count="population")
    return design


def survey_did(survey: pd.DataFrame, indicator, *, kommunkod: str, start, area: str | None = None,
               comparison: Sequence[str] | None = None, margins: pd.DataFrame | None = None,
               level: float = 0.95) -> SurveyDidResult:
    """Difference-in-differences of a survey indicator on the log-odds scale, with its interval.

    Parameters
    ----------
    survey : pandas.DataFrame
        The data model's ``survey`` kind (respondents of one or more kommuner and waves).
    indicator : Indicator
        The 0/1 indicator (e.g. from :func:`analysis.survey.indicators_from_catalogue`);
        respondents without a valid answer are left out.
    kommunkod : str
        The measure's kommun.
    start : date-like
        The measure's start; waves in a later year are *after*, the others *before* (as the
        descriptive follow-up in ``measure_evaluation.indicators``).
    area : str, optional
        The measure's area: treated are its respondents, the comparison group the rest of the
        kommun. Without an area the whole kommun is treated and ``comparison`` must name
        other kommuner (e.g. the rest of the län).
    comparison : list of str, optional
        Comparison kommuner (only without ``area``).
    margins : pandas.DataFrame, optional
        The ``margins`` kind: the stacked waves are raked to sex × age group and to area
        within every kommun × year, as ``calibration.wave_design`` rakes one wave.
    level : float
        Confidence level.

    Returns
    -------
    SurveyDidResult
        ``estimate`` (log odds ratio of the DiD), ``se``, ``ci_low``, ``ci_high``, ``df``,
        ``p_value``, ``verdict`` (``minskning`` / ``ökning`` / ``ingen säkerställd
        förändring``), ``odds_ratio``, ``waves``, ``table`` and the fitted ``model``.

    Notes
    -----
    The model is ``y ~ treated * wave`` (quasi-binomial ``svyglm``), saturated in group ×
    wave, so each wave's fitted log-odds difference is ``logit(p_treated) - logit(p_comparison)``
    of the design-based shares; the DiD is the contrast "mean over after waves minus mean over
    before waves" of those differences, with the design-based covariance of the coefficients
    and ``df_residual`` degrees of freedom. The estimand is a *marginal* (population-averaged)
    log odds ratio: if the measure shifts each person's log odds by ``delta`` given
    person-level traits, the marginal shift is smaller in absolute value (non-collapsibility
    of the odds ratio), and the DiD is unbiased for the effect only under parallel trends on
    the log-odds scale.

    References
    ----------
    Lumley T, Scott A (2017). Fitting regression models to survey data. *Stat Sci* 32:265-278.
    Validated against R survey 4.1-1 ``svyglm`` + ``svycontrast`` in
    ``tests/reference/survey/make_reference_extensions.R``.

    Examples
    --------
    >>> from analysis.sample import generate
    >>> from analysis.survey import indicators_from_catalogue
    >>> s = generate(kommuner=["2181"])
    >>> ind = {d.item: d for d in indicators_from_catalogue(s.items)}["problem_belysning"]
    >>> r = survey_did(s.survey, ind, kommunkod="2181", area="Centrum", start="2021-10-01",
    ...                margins=s.margins)
    >>> r.before_years, r.after_years, r.ci_low < r.estimate < r.ci_high
    ((2019, 2021), (2023, 2025), True)
    """
    from .indicators import Indicator

    if not isinstance(indicator, Indicator):
        raise TypeError("indicator must be an analysis.survey.Indicator (a 0/1 indicator of one item)")
    start_year = pd.Timestamp(start).year
    kommun = survey.loc[survey["kommunkod"] == kommunkod]
    if kommun.empty:
        raise DataError(f"the survey has no respondents in kommun {kommunkod!r}")
    if area is not None:
        if comparison:
            raise ValueError("give either area= (compared with the rest of the kommun) or comparison=, not both")
        known = sorted(kommun["area"].dropna().astype(str).unique())
        if area not in known:
            raise DataError(f"area {area!r} is not a survey area of kommun {kommunkod} (areas: {', '.join(known)})")
        codes = [kommunkod]
    else:
        codes = [kommunkod] + [c for c in (comparison or []) if c != kommunkod]
        if len(codes) == 1:
            raise DataError(f"a measure without an area covers all of kommun {kommunkod}: give comparison= "
                            "kommuner (e.g. the rest of the län) to compare it with")
        absent = [c for c in codes[1:] if not (survey["kommunkod"] == c).any()]
        if absent:
            raise DataError(f"comparison kommun(er) {absent} have no survey respondents")
    years = sorted(int(y) for y in kommun["year"].unique())
    before = tuple(y for y in years if y <= start_year)
    after = tuple(y for y in years if y > start_year)
    if not before or not after:
        raise DataError(f"kommun {kommunkod} needs survey waves before and after {start_year} "
                        f"(waves: {', '.join(map(str, years))})")
    design = _stacked_design(survey, margins, codes, indicator)
    data = design._data
    in_kommun = (data["kommunkod"] == kommunkod).to_numpy()
    treated = in_kommun & (data["area"].astype(str) == area).to_numpy() if area is not None else in_kommun
    design = design.with_columns(**{_TREATED: treated.astype(float), _WAVE: data["year"].astype(int).astype(str).to_numpy()})
    fit = svyglm(design, f"{indicator.name} ~ {_TREATED} * {_WAVE}", family="quasibinomial", na_rm=True,
                 level=level)
    first = str(years[0])

    def coef(year):
        return None if str(year) == first else f"{_TREATED}:{_WAVE}{year}"

    weights: dict[str, float] = {}
    for group, sign in ((after, 1.0), (before, -1.0)):
        for y in group:
            if coef(y) is not None:
                weights[coef(y)] = weights.get(coef(y), 0.0) + sign / len(group)
    did = fit.contrast(weights, name="DiD")
    answered = design._data[indicator.name].notna().to_numpy() & (np.asarray(design._w) != 0)
    year_of = data["year"].astype(int).to_numpy()
    wave_rows = []
    for y in years:
        c = {_TREATED: 1.0} | ({coef(y): 1.0} if coef(y) else {})
        t = fit.contrast(c, name=str(y))
        in_wave = answered & (year_of == y)
        wave_rows.append({"year": y, "period": "efter" if y > start_year else "före",
                          "log_odds_difference": float(t.estimate.iloc[0]), "se": float(t.se.iloc[0]),
                          "ci_low": float(t.ci_low.iloc[0]), "ci_high": float(t.ci_high.iloc[0]),
                          "n_treated": int(np.sum(in_wave & treated)),
                          "n_comparison": int(np.sum(in_wave & ~treated))})
    est, p = float(did.estimate.iloc[0]), float(did.p_value.iloc[0])
    verdict = NO_CHANGE if not p < 1 - level else (DECREASE if est < 0 else INCREASE)
    label = area if area is not None else f"kommun {kommunkod}"
    comp = "övriga kommunen" if area is not None else "kommunerna " + ", ".join(codes[1:])
    return SurveyDidResult(indicator.name, kommunkod, label, comp, before, after, est,
                           float(did.se.iloc[0]), float(did.ci_low.iloc[0]), float(did.ci_high.iloc[0]),
                           level, float(did.df.iloc[0]), p, verdict, fit.n, pd.DataFrame(wave_rows), fit)
