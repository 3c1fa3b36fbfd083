"""Do the intervals cover? A design-based simulation of the default proportion CI.

A synthetic population of a kommun (strata = areas, sex × age groups, domains of very
different sizes, a binary safety indicator) is sampled repeatedly with a stratified design
and age/sex-dependent non-response; every sample is raked to the population margins and the
domain proportions are estimated with their default (logit, domain df) 95 % intervals. The
share of intervals that contain the population value is the coverage. Used by
``tests/survey/test_coverage.py`` (small) and ``benchmarks/survey_coverage.py`` (full).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .calibration import rake
from .design import SurveyDesign
from .estimates import proportion

__all__ = ["make_population", "coverage_study"]

_AGES = ("16-24", "25-44", "45-64", "65-84")
_RESPONSE = {"16-24": 0.30, "25-44": 0.40, "45-64": 0.55, "65-84": 0.65}


def make_population(*, size: int = 200_000, n_strata: int = 20,
                    domain_shares: Sequence[float] = (0.0075, 0.075, 0.75), seed: int = 1,
                    concentrated: bool = False) -> pd.DataFrame:
    """A synthetic adult population with strata, sex, age group, domains and an indicator ``y``.

    ``domain`` is ``"d1"``, ``"d2"``, ... with the given population shares (the rest is
    ``"other"``). Domains cut across all strata (like "women aged 16-24"), or with
    ``concentrated=True`` lie in a few strata (like a neighbourhood): about three times as
    many strata as the share would fill, at least two. ``y`` (e.g. "otrygg") depends on
    stratum, sex, age and domain.

    Examples
    --------
    >>> pop = make_population(size=1000, n_strata=4, seed=3)
    >>> sorted(pop.columns)
    ['age_group', 'domain', 'sex', 'stratum', 'y']
    """
    rng = np.random.default_rng(seed)
    stratum = rng.choice(n_strata, size, p=rng.dirichlet(np.full(n_strata, 4.0)))
    sex = rng.integers(0, 2, size)
    age = rng.choice(4, size, p=[0.14, 0.33, 0.31, 0.22])
    shares = np.asarray(domain_shares, dtype=float)
    probs = np.r_[shares, 1 - shares.sum()]
    if concentrated:
        domain = np.full(size, len(shares))
        for i, share_i in enumerate(shares):
            k = int(np.clip(round(n_strata * share_i * 3), 2, n_strata))
            chosen = rng.choice(n_strata, k, replace=False)
            eligible = np.isin(stratum, chosen) & (domain == len(shares))
            p_in = min(1.0, share_i * size / max(eligible.sum(), 1))
            domain[eligible & (rng.random(size) < p_in)] = i
    else:
        domain = rng.choice(len(probs), size, p=probs)
    strat_eff = rng.normal(0, 0.5, n_strata)
    dom_eff = np.r_[rng.normal(0, 0.4, len(shares)), 0.0]
    eta = -1.2 + strat_eff[stratum] + 0.9 * (sex == 0) - 0.3 * age + dom_eff[domain]
    y = (rng.random(size) < 1 / (1 + np.exp(-eta))).astype(float)
    names = [f"d{i + 1}" for i in range(len(shares))] + ["other"]
    # categoricals: the simulation factorizes these columns thousands of times
    cat = pd.Categorical.from_codes
    return pd.DataFrame({"stratum": cat(stratum, [f"s{h:02d}" for h in range(n_strata)]),
                         "sex": cat(sex, ["kvinna", "man"]), "age_group": cat(age, list(_AGES)),
                         "domain": cat(domain, names), "y": y})


def _sample(pop_sorted, bounds, n_h, rng):
    idx = np.concatenate([b0 + rng.choice(b1 - b0, k, replace=False)
                          for (b0, b1), k in zip(bounds, n_h)])
    return idx


def coverage_study(population: pd.DataFrame, *, n_gross: int = 6000, replicates: int = 200,
                   seed: int = 2, method: str = "logit", level: float = 0.95,
                   calibrate: bool = True, df=None) -> pd.DataFrame:
    """Coverage of the proportion intervals for every domain of ``population``.

    Each replicate draws a stratified random sample of ``n_gross`` people (allocation
    proportional to the square root of stratum size), keeps respondents (response 30-65 %
    by age group), rakes to the sex × age and stratum margins (``calibrate=True``) and
    estimates the share ``y = 1`` per domain (``method`` and ``df`` as in
    :func:`~analysis.survey.estimates.proportion`; ``None`` is R's default, the domain df).

    Returns
    -------
    pandas.DataFrame
        One row per domain: ``domain, population_share, true_value, mean_n, min_n, coverage,
        mc_se`` (Monte-Carlo standard error of the coverage), ``mean_width``, ``bias``,
        ``replicates``.

    Examples
    --------
    >>> pop = make_population(size=20_000, n_strata=5, domain_shares=(0.2, 0.5), seed=4)
    >>> res = coverage_study(pop, n_gross=800, replicates=5, seed=1)
    >>> list(res.columns)[:4]
    ['domain', 'population_share', 'true_value', 'mean_n']
    """
    rng = np.random.default_rng(seed)
    pop = population.sort_values("stratum", kind="stable").reset_index(drop=True)
    strata, starts, sizes = np.unique(pop["stratum"].cat.codes.to_numpy(), return_index=True, return_counts=True)
    bounds = list(zip(starts, starts + sizes))
    alloc = np.sqrt(sizes) / np.sqrt(sizes).sum() * n_gross
    n_h = np.maximum(np.round(alloc).astype(int), 2)
    weight_h = sizes / n_h
    truth = pop.groupby("domain", observed=True)["y"].mean()
    share = pop["domain"].value_counts(normalize=True)
    margins = [pop.groupby(["sex", "age_group"], observed=True).size().rename("population").reset_index(),
               pop.groupby("stratum", observed=True).size().rename("population").reset_index()]
    resp_p = pop["age_group"].astype(str).map(_RESPONSE).to_numpy() * np.where(pop["sex"] == "kvinna", 1.08, 0.92)
    stratum_code = np.repeat(np.arange(len(strata)), sizes)
    rows = []
    for r in range(replicates):
        idx = _sample(pop, bounds, n_h, rng)
        idx = idx[rng.random(idx.size) < resp_p[idx]]
        sample = pop.iloc[idx].assign(w=weight_h[stratum_code[idx]], N=sizes[stratum_code[idx]])
        d = SurveyDesign(sample, strata="stratum", weights="w", fpc="N")
        if calibrate:
            d = rake(d, [["sex", "age_group"], "stratum"], margins)
        t = proportion(d, "y", by="domain", levels=[1.0], method=method, level=level, df=df, disclosure=None)
        t["replicate"] = r
        rows.append(t[["domain", "estimate", "ci_low", "ci_high", "n", "replicate"]])
    res = pd.concat(rows, ignore_index=True)
    res["domain"] = res["domain"].astype(str)
    res["true_value"] = res["domain"].map(truth.rename(index=str)).astype(float)
    res["covered"] = (res["ci_low"] <= res["true_value"]) & (res["true_value"] <= res["ci_high"])
    out = res.groupby("domain").agg(true_value=("true_value", "first"), mean_n=("n", "mean"), min_n=("n", "min"),
                                    coverage=("covered", "mean"),
                                    mean_width=("ci_high", "mean"), bias=("estimate", "mean"),
                                    replicates=("replicate", "nunique")).reset_index()
    out["mean_width"] = out["mean_width"] - res.groupby("domain")["ci_low"].mean().to_numpy()
    out["bias"] = out["bias"] - out["true_value"]
    out["mc_se"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["replicates"])
    out.insert(1, "population_share", out["domain"].map(share.rename(index=str)).to_numpy())
    cols = ["domain", "population_share", "true_value", "mean_n", "min_n", "coverage", "mc_se",
            "mean_width", "bias", "replicates"]
    return out[cols].sort_values("mean_n").reset_index(drop=True)
