"""Weights that reproduce population margins, with variance that knows about it (R survey).

Post-stratification (``postStratify``), raking (``rake``) and calibration (``calibrate``:
linear/GREG, raking and logit distances, bounds, trimming) return a new design whose weights
match the population totals and that carries a :class:`CalibrationReport`. On a
:class:`~analysis.survey.design.SurveyDesign` later estimates use the calibration residuals
exactly as R's ``svyrecvar``; on a :class:`~analysis.survey.replicate.ReplicateDesign` every
replicate is calibrated too, as R does. Population margins come from the ``margins`` kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence
import warnings

import numpy as np
import pandas as pd

from ..errors import DataError
from ._calcore import (CalibrationWarning, cell_block, cell_codes, count_column, grake, greg_block,
                       linear_g, population_vector, poststrat_apply, poststrat_plan, rake_block, trim_g)
from ._calblocks import CalChain
from ._model import expand_terms, model_matrix, population_totals

__all__ = ["CalibrationReport", "CalibrationWarning", "poststratify", "rake", "calibrate",
           "trim_weights", "population_totals", "model_matrix", "wave_design"]


@dataclass(frozen=True)
class CalibrationReport:
    """What a calibration did and how well the weights meet their targets.

    ``table`` has one row per calibration total: ``total`` (name), ``target``, ``achieved``
    and ``misfit`` (achieved minus target).
    """

    method: str
    converged: bool
    iterations: int
    epsilon: float
    g_min: float
    g_max: float
    n_trimmed: int = 0
    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def max_abs_misfit(self) -> float:
        return float(np.max(np.abs(self.table["misfit"]))) if len(self.table) else 0.0

    def summary(self) -> str:
        state = "converged" if self.converged else "NOT converged"
        trimmed = f"; {self.n_trimmed} weight(s) trimmed" if self.n_trimmed else ""
        return (f"{self.method}: {state} after {self.iterations} iteration(s); g-weights in "
                f"[{self.g_min:.4g}, {self.g_max:.4g}]; largest misfit {self.max_abs_misfit:.3g}{trimmed}")


def _is_rep(design) -> bool:
    return not hasattr(design, "_stages")


def _weight_matrix(design) -> np.ndarray:
    """Full-sample weights in column 0, replicate analysis weights after (replicate designs)."""
    w = np.asarray(design._w)[:, None]
    if not _is_rep(design):
        return w.copy()
    from .replicate import _replicate_columns
    return np.hstack([w, _replicate_columns(design)])


def _finish(design, W, blocks, schedule, report):
    if _is_rep(design):
        from .replicate import _recalibrated
        return _recalibrated(design, W[:, 0], W[:, 1:], report)
    new_w = W[:, 0]
    chain = CalChain.start(blocks, schedule) if design._cal is None else design._cal.extend(blocks, schedule)
    return design._derive(w=np.where(design._active, new_w, 0.0), cal=chain,
                          reports=design._reports + (report,))


def _g_range(new, old):
    ok = old != 0
    g = new[ok] / old[ok]
    return float(g.min()), float(g.max())


def _totals_table(names, target, achieved):
    return pd.DataFrame({"total": list(map(str, names)), "target": np.asarray(target, float),
                         "achieved": np.asarray(achieved, float),
                         "misfit": np.asarray(achieved, float) - np.asarray(target, float)})


def poststratify(design, strata: str | Sequence[str], population: pd.DataFrame, *,
                 count: str | None = None, partial: bool = False):
    """Post-stratify the weights to known population counts (R ``postStratify``).

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    strata : str or list of str
        Post-stratification variables, e.g. ``["age_group", "sex"]``.
    population : pandas.DataFrame
        One row per post-stratum with the strata columns and a count column (``population``
        as in the ``margins`` kind, or R's ``Freq``); rows for the same cell are summed.
    partial : bool
        Ignore population cells without respondents (R ``partial=TRUE``) instead of failing.

    Returns
    -------
    SurveyDesign or ReplicateDesign
        Weights multiplied by population/sample count in each cell; variances use R's
        post-stratification residuals (replicate designs: every replicate post-stratified).

    References
    ----------
    R survey 4.1-1 ``postStratify``; validated in ``tests/reference/survey``.

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> df = pd.DataFrame({"sex": ["kvinna", "kvinna", "man", "man"], "w": [1.0] * 4})
    >>> pop = pd.DataFrame({"sex": ["kvinna", "man"], "population": [30, 10]})
    >>> poststratify(SurveyDesign(df, weights="w"), "sex", pop).weights().tolist()
    [15.0, 15.0, 5.0, 5.0]
    """
    strata = [strata] if isinstance(strata, str) else list(strata)
    W = _weight_matrix(design)
    held = np.asarray(design._present) & (W[:, 0] != 0)
    index, labels, target = poststrat_plan(design, held, W[:, 0], strata, population, count, partial)
    n_cells = len(labels)
    new = poststrat_apply(W, index, target, not _is_rep(design))
    blocks = [] if _is_rep(design) else [cell_block(index, n_cells, new[:, 0], W[:, 0], held, "poststratify")]
    ok = index >= 0
    achieved = np.bincount(index[ok], weights=new[ok, 0], minlength=n_cells)
    report = CalibrationReport("post-stratification", True, 1, 0.0, *_g_range(new[:, 0], W[:, 0]),
                               table=_totals_table([":".join(strata) + "=" + s for s in labels], target, achieved))
    return _finish(design, new, blocks, [0], report)


def rake(design, margins: Sequence[str | Sequence[str]], population, *, count: str | None = None,
         maxit: int = 10, epsilon: float = 1.0, variance: str = "rake"):
    """Rake the weights to several population margins by iterative proportional fitting.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    margins : list of (str or list of str)
        The margins, e.g. ``[["age_group", "sex"], "area"]``.
    population : pandas.DataFrame or list of pandas.DataFrame
        One table per margin with a count column, or one table of population cells that is
        summed to each margin (such as the ``margins`` kind).
    maxit, epsilon : int, float
        R ``rake(control=list(maxit=10, epsilon=1))``: stop when no cell of the joint table
        of the margin variables moves by ``epsilon`` or more (``epsilon < 1``: a fraction of
        the weight total).
    variance : {'rake', 'greg'}
        ``'rake'`` (R ``rake()``): the variance backfits the margin residuals in ten sweeps.
        ``'greg'``: the exact calibration residual that ``calibrate(calfun="raking")`` uses,
        applied to these weights.

    Returns
    -------
    SurveyDesign or ReplicateDesign
        Raked design with a :class:`CalibrationReport`; a :class:`CalibrationWarning` if the
        raking did not converge (R warns too).

    References
    ----------
    Deming WE, Stephan FF (1940). *Ann Math Stat* 11:427-444. R survey 4.1-1 ``rake``.

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> df = pd.DataFrame({"sex": ["k", "k", "m", "m"], "age": ["a", "b", "a", "b"], "w": [1.0] * 4})
    >>> pops = [pd.DataFrame({"sex": ["k", "m"], "population": [60, 40]}),
    ...         pd.DataFrame({"age": ["a", "b"], "population": [30, 70]})]
    >>> [round(x, 2) for x in rake(SurveyDesign(df, weights="w"), ["sex", "age"], pops).weights()]
    [18.0, 42.0, 12.0, 28.0]
    """
    if variance not in ("rake", "greg"):
        raise ValueError("variance must be 'rake' or 'greg'")
    margins = [[m] if isinstance(m, str) else list(m) for m in margins]
    if isinstance(population, pd.DataFrame):
        pc = count_column(population, count)
        population = [population.groupby(m, as_index=False, observed=True)[pc].sum() for m in margins]
    if len(population) != len(margins):
        raise ValueError("sample margins and population margins do not match")
    W0 = _weight_matrix(design)
    held = np.asarray(design._present) & (W0[:, 0] != 0)
    allvars = list(dict.fromkeys(v for m in margins for v in m))
    joint = cell_codes(design, allvars, held)
    eps = epsilon * float(np.sum(W0[:, 0])) if epsilon < 1 else epsilon
    old_table = np.bincount(joint[held], weights=W0[held, 0])
    W = W0.copy()
    plans = [poststrat_plan(design, held, W0[:, 0], m, pop, count, False)
             for m, pop in zip(margins, population)]
    converged, iters, steps = False, 0, []
    while iters < maxit:
        steps = []
        for m, (index, labels, target) in zip(margins, plans):
            W = poststrat_apply(W, index, target, not _is_rep(design))
            steps.append((index, len(labels), W[:, 0].copy(), m, labels, target))
        new_table = np.bincount(joint[held], weights=W[held, 0])
        if float(np.max(np.abs(old_table - new_table))) < eps:
            converged = True
            break
        old_table = new_table
        iters += 1
    if not converged:
        warnings.warn(f"Raking did not converge after {iters} iterations.", CalibrationWarning, stacklevel=2)
    blocks, schedule = [], []
    if not _is_rep(design):
        if variance == "rake":
            blocks = [rake_block(index, n_cells, psw, held) for index, n_cells, psw, *_ in steps]
            schedule = list(range(len(blocks))) * 10
        else:
            mm = model_matrix(design._data, _margin_terms(margins)).to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                g = np.where(held, W[:, 0] / W0[:, 0], 0.0)
            blocks, schedule = [greg_block(mm, W0[:, 0], g, held)], [0]
    parts = []
    for index, n_cells, _, m, labels, target in steps:
        ok = index >= 0
        ach = np.bincount(index[ok], weights=W[ok, 0], minlength=n_cells)
        parts.append(_totals_table([":".join(m) + "=" + s for s in labels], target, ach))
    report = CalibrationReport(f"raking (IPF, variance={variance})", converged,
                               iters + (1 if converged else 0), eps, *_g_range(W[:, 0], W0[:, 0]),
                               table=pd.concat(parts, ignore_index=True))
    return _finish(design, W, blocks, schedule, report)


def _margin_terms(margins):
    """Model terms spanning the cell indicators of every margin (for variance='greg')."""
    terms = []
    for m in margins:
        if len(m) > 2:
            raise ValueError("rake(variance='greg') supports margins of one or two variables")
        terms.append(m[0] if len(m) == 1 else f"{m[0]}*{m[1]}")
    return expand_terms(terms)


def calibrate(design, terms: str | Sequence[str], population, *, calfun: str = "linear",
              bounds: tuple = (-np.inf, np.inf), bounds_const: bool = False,
              trim: tuple | None = None, maxit: int = 50, epsilon: float = 1e-7,
              force: bool = False, intercept: bool = True, count: str | None = None):
    """Calibrate weights to population totals (R ``calibrate``): GREG, raking or logit.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    terms : str or list of str
        Model terms: column names, ``"a*b"`` (cross-classification), ``"a:b"``.
    population : dict, pandas.Series, array or pandas.DataFrame
        Totals named as R's model-matrix columns (``{"(Intercept)": 6194, "stypeH": 755}``),
        in column order, or a table of population cells with a count column from which the
        totals are computed (:func:`population_totals`).
    calfun : {'linear', 'raking', 'logit'}
        Distance function. Linear without bounds is GREG in closed form.
    bounds : (float, float)
        Bounds on the g-weights (``bounds_const=True``: on the final weights).
    trim : (float, float), optional
        Trim g-weights to this range afterwards, spreading the excess over the other weights.
    maxit, epsilon : int, float
        Newton iterations; stop when every ``|misfit| / (1 + |total|) < epsilon``.
    force : bool
        Return the design even if calibration failed (R ``force=TRUE``).

    Returns
    -------
    SurveyDesign or ReplicateDesign
        Calibrated design with a :class:`CalibrationReport`; variances use GREG residuals.

    References
    ----------
    Deville JC, Särndal CE (1992). Calibration estimators in survey sampling. *JASA*
    87:376-382. R survey 4.1-1 ``calibrate``, ``grake``; validated in ``tests/reference/survey``.

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> df = pd.DataFrame({"sex": ["k", "k", "m", "m", "m"], "w": [2.0] * 5})
    >>> c = calibrate(SurveyDesign(df, weights="w"), ["sex"], {"(Intercept)": 20, "sexm": 12})
    >>> c.weights().tolist()
    [4.0, 4.0, 4.0, 4.0, 4.0]
    """
    if trim is not None and len(trim) != 2:
        raise ValueError("trim must be (lower, upper)")
    mm_df = model_matrix(design._data, terms, intercept=intercept)
    names = list(mm_df.columns)
    mm = mm_df.to_numpy()
    pop = population_vector(population, names, terms, design, intercept, count)
    W0 = _weight_matrix(design)
    ww = W0[:, 0]
    held = np.asarray(design._present) & (ww != 0)
    mm_h = np.where(held[:, None], mm, 0.0)
    st = mm_h.T @ ww
    drop = (st == 0) & (pop == 0) & np.all(mm == 0, axis=0)
    if drop.any():
        mm, mm_h, pop = mm[:, ~drop], mm_h[:, ~drop], pop[~drop]
        names = [n for n, d in zip(names, drop) if not d]
    lo, hi = bounds
    if calfun == "logit" and not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("Logit calibration requires finite bounds")
    linear = calfun == "linear" and np.isinf(lo) and np.isinf(hi) and lo < 0 < hi

    def g_for(w):
        if bounds_const:
            with np.errstate(divide="ignore"):
                b = (np.where(w > 0, lo / w, lo), np.where(w > 0, hi / w, hi))
        else:
            b = (lo, hi)
        if linear:
            return linear_g(mm_h, w, pop), 1, True
        return grake(mm_h, w, calfun, b, pop, epsilon, maxit)

    g, it, converged = g_for(ww)
    n_trim = 0
    if trim is not None:
        g, n_trim = trim_g(g, ww, held, trim)
        converged = converged or n_trim > 0
    if not converged and not force:
        raise DataError("Calibration failed: the totals cannot be met within the bounds "
                        "(widen bounds, raise maxit, or pass force=True)")
    W = np.zeros_like(W0)
    with np.errstate(divide="ignore"):
        W[:, 0] = np.where(held, 1.0 / ((1.0 / ww) / g) if not _is_rep(design) else ww * g, 0.0)
    for j in range(1, W0.shape[1]):  # replicate designs: every replicate calibrated afresh
        gj = g_for(W0[:, j])[0]
        if trim is not None:
            gj = trim_g(gj, W0[:, j], held, trim)[0]
        W[:, j] = np.where(held, W0[:, j] * gj, 0.0)
    blocks = [] if _is_rep(design) else [greg_block(mm, ww, g, held)]
    method = "calibration (linear, GREG)" if linear else f"calibration ({calfun})"
    report = CalibrationReport(method, converged, it, epsilon, float(g[held].min()), float(g[held].max()),
                               n_trim, _totals_table(names, pop, mm_h.T @ W[:, 0]))
    return _finish(design, W, blocks, [0], report)


def trim_weights(design, *, lower: float = -np.inf, upper: float = np.inf, strict: bool = False):
    """Trim weights to [lower, upper], sharing the excess equally (R ``trimWeights``).

    The design keeps its calibration information; ``strict=True`` repeats until no weight
    lies outside the range. Replicate designs trim every replicate the same way (R 4.1-1's
    ``trimWeights.svyrep.design`` mislabels the result; this follows its documented intent).

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"w": [1.0, 1.0, 10.0]}), weights="w")
    >>> trim_weights(d, upper=6).weights().tolist()
    [3.0, 3.0, 6.0]
    """
    W0 = _weight_matrix(design)
    held = np.asarray(design._present) & (W0[:, 0] != 0)
    W = W0.copy()
    for j in range(W.shape[1]):
        w = W[:, j]
        outside = held & ((w < lower) | (w > upper))
        if outside.any():
            new = np.where(held, np.clip(w, lower, upper), 0.0)
            inside = held & ~outside
            if not inside.any():
                raise DataError(f"every weight lies outside [{lower}, {upper}]: nothing to share the excess")
            W[:, j] = np.where(inside, new + np.sum(np.where(held, w - new, 0.0)) / inside.sum(), new)
            if j == 0 and not _is_rep(design):  # R: design$prob <- 1/pwnew
                with np.errstate(divide="ignore"):
                    W[:, 0] = np.where(held, 1.0 / (1.0 / W[:, 0]), 0.0)
    if np.array_equal(W, W0):
        return design
    if _is_rep(design):
        from .replicate import _recalibrated
        report = CalibrationReport("trimming", True, 1, 0.0, *_g_range(W[:, 0], W0[:, 0]))
        out = _recalibrated(design, W[:, 0], W[:, 1:], report)
    else:
        out = design._derive(w=W[:, 0])
    return trim_weights(out, lower=lower, upper=upper, strict=True) if strict else out


def wave_design(survey: pd.DataFrame, margins: pd.DataFrame | None, *, kommunkod: str, year: int):
    """The design of one kommun's survey wave, raked to the data's population margins.

    ``survey`` and ``margins`` are the data model's ``survey`` and ``margins`` kinds
    (docs/data-model.md). The wave's rows are declared with
    :meth:`~analysis.survey.SurveyDesign.from_survey`; when ``margins`` has rows for the kommun
    and year, the weights are raked to sex × age group and to area (``count="population"``), as
    the lägesbild and the evaluation draft both use it. Without margins the design weights stand.
    """
    from .design import SurveyDesign

    rows = survey.loc[(survey["kommunkod"] == kommunkod) & (survey["year"] == year)]
    design = SurveyDesign.from_survey(rows)
    if margins is not None:
        m = margins.loc[(margins["kommunkod"] == kommunkod) & (margins["year"] == year)]
        if not m.empty:
            design = rake(design, [["sex", "age_group"], "area"], m, count="population")
    return design
