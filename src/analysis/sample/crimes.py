"""Synthetic population and monthly reported crimes for the 290 kommuner, 2015-2025.

Model (per kommun k, crime type t, month m), all parameters written to the planted truth::

    mu[k,t,m]   = R_t * x[k,t] * P_k(m) * exp(theta[k,t] * tau_m) * s_t(month) * days_m / 365.25
                  * effect[k,t,m]
    x[k,t]      = (P_k / 15 000) ** urban_gradient_t * exp(crime_level_k + b[k,t]),  b ~ N(0, 0.25²)
    theta[k,t]  = national trend_t + d[k,t],                                         d ~ N(0, 0.01²)
    count       ~ Poisson(mu * exp(e_m - var(e)/2) * G_m)
    e_m         = 0.5 e_{m-1} + N(0, 0.05²)   (AR(1) in the log rate, stationary start)
    G_m         ~ Gamma(shape 1/phi_t, scale phi_t)   (so Var = mu + phi_t mu² given e)

``tau_m`` is years since the middle of 2024, and ``R_t`` is set so that the expected national
total in 2024 (before planted measure effects) equals ``CrimeType.national_per_year``.

Brå's "därav" subcategories are splits of their crime's monthly count, so a part never exceeds
its whole: misshandel into inomhus + utomhus (Binomial with the kommun's indoor share, higher in
small kommuner), våld mot kvinna i nära relation out of misshandel inomhus, the narkotika split
(eget bruk, innehav, överlåtelse and an unpublished rest; multinomial) and rattfylleri out of
trafikbrott. ``Samtliga brott`` is the sum of the types above plus an "other crimes" component
(Poisson-gamma, level such that the national total in 2024 is about Brå's 1 489 319), so the
total is at least the sum of its parts in every month.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..crime_types import AGGREGATES, CRIME_TYPES, TOTAL_CRIME_TYPE
from . import measures as _measures
from ._base import (KEY_CRIME_EFFECT, KEY_CRIME_NOISE, LAST_YEAR, PRELIMINARY_YEARS, YEARS,
                    KommunProfiles, kommun_profiles, months, population_by_year, stable_key, stream)

__all__ = ["TYPE_PARAMETERS", "AR_RHO", "AR_SIGMA", "population_frame", "crimes_frame",
           "crime_truth", "SUBCATEGORY_NAMES", "NATIONAL_TOTAL"]

#: Per crime type: national trend of the rate (log scale, per year), seasonal amplitude and
#: gamma overdispersion phi. Narkotikabrott and bostadsinbrott are the lumpiest series (police
#: operations, series of break-ins); misshandel is the steadiest.
TYPE_PARAMETERS: dict[str, tuple[float, float, float]] = {
    "Misshandel (inkl. grov)": (-0.010, 0.15, 0.03),
    "Olaga hot": (0.010, 0.10, 0.04),
    "Ofredande": (0.020, 0.10, 0.04),
    "Sexualbrott": (0.030, 0.15, 0.10),
    "Grov kvinnofridskränkning": (-0.020, 0.10, 0.10),
    "Rån (inkl. grovt)": (-0.010, 0.15, 0.08),
    "Bostadsinbrott": (-0.030, 0.25, 0.12),
    "Bilbrott": (-0.030, 0.12, 0.08),
    "Cykelstöld": (-0.020, 0.60, 0.05),
    "Butiksstöld/snatteri": (0.010, 0.12, 0.06),
    "Skadegörelsebrott": (-0.010, 0.15, 0.05),
    "Narkotikabrott": (0.020, 0.10, 0.15),
    "Bedrägeribrott": (0.040, 0.08, 0.10),
    "Trafikbrott": (0.000, 0.10, 0.06),
    "Bidragsbrott": (-0.020, 0.10, 0.20),
}
_DEFAULT_PARAMETERS = (0.0, 0.10, 0.06)
AR_RHO, AR_SIGMA = 0.5, 0.05
KOMMUN_TYPE_SD, TREND_SD = 0.25, 0.01
REFERENCE_POPULATION = 15_000
REFERENCE_YEAR = 2024
#: Storfors gets about four våldsbrott a month, as in the seed material.
ANCHORS = {("1760", "Våldsbrott"): 4.0}

#: Brå's national total of reported crimes in 2024 (domain notes §3.1); the sample's "other
#: crimes" component fills the gap between it and the types above.
NATIONAL_TOTAL = 1_489_319
#: Other crimes: gamma overdispersion, kommun spread (log scale) and urban gradient.
OTHER_PHI, OTHER_SD, OTHER_GRADIENT = 0.02, 0.15, 0.10
_MISSHANDEL, _INOMHUS, _UTOMHUS, _RELATION = ("Misshandel (inkl. grov)", "Misshandel inomhus",
                                              "Misshandel utomhus",
                                              "Våld mot kvinna i nära relation")
#: Indoor share of misshandel: logit = logit(INDOOR_SHARE) - INDOOR_URBAN * urbanity + sd * z
#: (most violence indoors in small kommuner, about half in the largest).
INDOOR_SHARE, INDOOR_URBAN, INDOOR_SD = 0.58, 0.25, 0.25
#: Storfors: "the great majority of violent crimes happen in homes" (seed material).
INDOOR_ANCHORS = {"1760": 0.85}
#: Share of all misshandel that is våld mot kvinna i nära relation (drawn out of the indoor part).
RELATION_SHARE, RELATION_SD = 0.22, 0.15
#: The narkotika split Brå publishes, with the unpublished rest (tillverkning, annat) last.
NARCOTICS_SPLIT = (("Narkotikabrott, eget bruk", 0.50), ("Narkotikabrott, innehav", 0.36),
                   ("Narkotikabrott, överlåtelse", 0.05), (None, 0.09))
#: Rattfylleri (inkl. drograttfylleri) out of all trafikbrott.
DRUNK_DRIVING = ("Trafikbrott", "Rattfylleri (inkl. grovt)", 0.40)
#: The subcategories the sample writes, in file order (after the types, before the total).
SUBCATEGORY_NAMES: tuple[str, ...] = (
    (_UTOMHUS, _INOMHUS, _RELATION) + tuple(n for n, _ in NARCOTICS_SPLIT if n)
    + (DRUNK_DRIVING[1],))


def _parameters(name: str) -> tuple[float, float, float]:
    return TYPE_PARAMETERS.get(name, _DEFAULT_PARAMETERS)


def seasonal_factors(crime_type) -> np.ndarray:
    """Twelve monthly factors with mean 1, peaking in ``crime_type.peak_months``."""
    amp = _parameters(crime_type.name)[1]
    month = np.arange(1, 13)
    raw = np.ones(12)
    for p in crime_type.peak_months:
        d = np.minimum(np.abs(month - p), 12 - np.abs(month - p))  # circular distance
        raw += amp * np.exp(-0.5 * d**2)
    return raw / raw.mean()


@dataclass(frozen=True)
class _World:
    """Crime-level parameters for all 290 kommuner (aligned with the profiles)."""

    profiles: KommunProfiles
    x: np.ndarray          # (290, T) relative level
    theta: np.ndarray      # (290, T) log trend per year
    scale: np.ndarray      # (T,) R_t
    expected_ref: np.ndarray  # (290, T) expected count in the reference year, no measures
    other_rate: np.ndarray    # (290,) other crimes per person-year
    indoor: np.ndarray        # (290,) indoor share of misshandel
    relation: np.ndarray      # (290,) share of misshandel against a woman in a close relation


def _calendar():
    per = months()
    year = per.year.to_numpy()
    month = per.month.to_numpy()
    t_end = year + month / 12.0                     # end of month, in years
    tau = year + (month - 0.5) / 12.0 - (REFERENCE_YEAR + 0.5)
    days = per.days_in_month.to_numpy() / 365.25
    return per, year, month, t_end, tau, days


def _population_by_month(profiles: KommunProfiles, t_end: np.ndarray) -> np.ndarray:
    # Continuous version of population_by_year: equal to it at every 31 December.
    return profiles.population_2025[:, None] * np.exp(
        -profiles.growth[:, None] * (LAST_YEAR + 1 - t_end[None, :]))


def _expected_base(world_x, theta, pop_m, tau, days, seas, month_sel) -> np.ndarray:
    """Expected counts without scale and measures, summed over the selected months."""
    trend = np.exp(theta[:, :, None] * tau[None, None, month_sel])
    per_month = (pop_m[:, None, month_sel] * trend * seas[None, :, month_sel]
                 * days[None, None, month_sel])
    return world_x * per_month.sum(axis=2)


@lru_cache(maxsize=4)
def _world(seed: int) -> _World:
    prof = kommun_profiles(seed)
    per, year, month, t_end, tau, days = _calendar()
    gradient = np.array([c.urban_gradient for c in CRIME_TYPES])
    trend = np.array([_parameters(c.name)[0] for c in CRIME_TYPES])
    draws = np.array([[stream(seed, KEY_CRIME_EFFECT, int(code), stable_key(c.name)).normal(size=2)
                       for c in CRIME_TYPES] for code in prof.code])  # (K, T, 2)
    x = ((prof.population_2025[:, None] / REFERENCE_POPULATION) ** gradient[None, :]
         * np.exp(prof.crime_level[:, None] + KOMMUN_TYPE_SD * draws[:, :, 0]))
    theta = trend[None, :] + TREND_SD * draws[:, :, 1]
    seas = np.array([seasonal_factors(c)[month - 1] for c in CRIME_TYPES])  # (T, months)
    pop_m = _population_by_month(prof, t_end)
    ref = year == REFERENCE_YEAR
    national = np.array([c.national_per_year for c in CRIME_TYPES], dtype=float)
    names = [c.name for c in CRIME_TYPES]
    for _ in range(4):  # anchors and national scaling interact weakly; a few rounds settle both
        base = _expected_base(x, theta, pop_m, tau, days, seas, ref)
        scale = national / base.sum(axis=0)
        for (code, aggregate), per_month in ANCHORS.items():
            k = int(np.flatnonzero(prof.code == code)[0])
            cols = [names.index(t) for t in AGGREGATES.get(aggregate, (aggregate,))]
            current = (scale[cols] * base[k, cols]).sum() / 12
            x[k, cols] *= per_month / current
    base = _expected_base(x, theta, pop_m, tau, days, seas, ref)
    scale = national / base.sum(axis=0)
    # other crimes, and the subcategory shares: one stream per kommun, keyed by the total's name
    z = np.array([stream(seed, KEY_CRIME_EFFECT, int(code), stable_key(TOTAL_CRIME_TYPE))
                  .normal(size=3) for code in prof.code])
    other = ((prof.population_2025 / REFERENCE_POPULATION) ** OTHER_GRADIENT
             * np.exp(prof.crime_level + OTHER_SD * z[:, 0]))
    person_years = (pop_m[:, ref] * days[None, ref]).sum(axis=1)
    other *= (NATIONAL_TOTAL - national.sum()) / (other * person_years).sum()
    logit = (np.log(INDOOR_SHARE / (1 - INDOOR_SHARE)) - INDOOR_URBAN * prof.urbanity
             + INDOOR_SD * z[:, 1])
    indoor = 1 / (1 + np.exp(-logit))
    for code, share in INDOOR_ANCHORS.items():
        indoor[prof.code == code] = share
    relation = np.minimum(RELATION_SHARE * np.exp(RELATION_SD * z[:, 2]), 0.9 * indoor)
    return _World(prof, x, theta, scale, base * scale[None, :], other, indoor, relation)


def population_frame(seed: int, kommuner) -> pd.DataFrame:
    """Population on 31 December, one row per kommun × year (2025 = the register value)."""
    prof = kommun_profiles(seed)
    idx = prof.index(kommuner)
    pop = population_by_year(prof)[idx]
    return pd.DataFrame({
        "kommunkod": pd.Series(np.repeat(prof.code[idx], len(YEARS)), dtype="str"),
        "year": np.tile(np.array(YEARS, dtype=np.int64), len(idx)),
        "population": pop.reshape(-1).astype(np.int64),
    })


def crimes_frame(seed: int, kommuner) -> pd.DataFrame:
    """Monthly reported crimes, one row per kommun × crime type × month, in the crimes contract."""
    w = _world(seed)
    per, year, month, t_end, tau, days = _calendar()
    idx = w.profiles.index(kommuner)
    pop_m = _population_by_month(w.profiles, t_end)
    n_k, n_t, n_m = len(idx), len(CRIME_TYPES), len(per)
    mu = np.empty((n_k, n_t, n_m))
    eps = np.empty((n_k, n_t, n_m))
    gam = np.empty((n_k, n_t, n_m))
    rngs = []
    sd_stationary = AR_SIGMA / np.sqrt(1 - AR_RHO**2)
    seas = [seasonal_factors(ct)[month - 1] for ct in CRIME_TYPES]
    phis = [_parameters(ct.name)[2] for ct in CRIME_TYPES]
    for i, k in enumerate(idx):
        code = w.profiles.code[k]
        for j, ct in enumerate(CRIME_TYPES):
            phi = phis[j]
            mu[i, j] = (w.scale[j] * w.x[k, j] * pop_m[k] * np.exp(w.theta[k, j] * tau) * seas[j]
                        * days * _measures.crime_effect(code, ct.name, per))
            rng = stream(seed, KEY_CRIME_NOISE, int(code), stable_key(ct.name))
            eps[i, j] = rng.normal(0.0, AR_SIGMA, size=n_m)
            eps[i, j, 0] = rng.normal(0.0, sd_stationary)  # start in the stationary distribution
            gam[i, j] = rng.gamma(1.0 / phi, phi, size=n_m)
            rngs.append(rng)
    for m in range(1, n_m):  # AR(1), elementwise over all series (no BLAS: same bits everywhere)
        eps[:, :, m] += AR_RHO * eps[:, :, m - 1]
    lam = (mu * np.exp(eps - sd_stationary**2 / 2) * gam).reshape(n_k * n_t, n_m)
    counts = np.empty((n_k * n_t, n_m), dtype=np.int64)
    for r, rng in enumerate(rngs):  # kommun-major, the order the streams were made in
        counts[r] = rng.poisson(lam[r])
    counts = counts.reshape(n_k, n_t, n_m)
    extra = np.stack([_parts_and_total(seed, w, k, counts[i], pop_m[k] * days)
                      for i, k in enumerate(idx)])
    counts = np.concatenate([counts, extra], axis=1)
    names = np.array([c.name for c in CRIME_TYPES] + list(SUBCATEGORY_NAMES) + [TOTAL_CRIME_TYPE],
                     dtype=object)
    n_s = len(names)
    status = np.where(np.isin(year, PRELIMINARY_YEARS), "preliminär", "slutlig")
    return pd.DataFrame({
        "kommunkod": pd.Series(np.repeat(w.profiles.code[idx], n_s * n_m), dtype="str"),
        "period": pd.PeriodIndex.from_ordinals(np.tile(per.asi8, n_k * n_s), freq="M"),
        "crime_type": pd.Series(np.tile(np.repeat(names, n_m), n_k), dtype="str"),
        "count": counts.reshape(-1),
        "status": pd.Series(np.tile(status.astype(object), n_k * n_s), dtype="str"),
    })


def _parts_and_total(seed: int, w: _World, k: int, counts: np.ndarray,
                     person_years: np.ndarray) -> np.ndarray:
    """The subcategories (splits of their crime's counts) and the total of one kommun, in the
    order of ``SUBCATEGORY_NAMES`` + the total; ``counts`` is (types, months)."""
    code = int(w.profiles.code[k])
    names = [c.name for c in CRIME_TYPES]

    def rng(name):
        return stream(seed, KEY_CRIME_NOISE, code, stable_key(name))

    mis = counts[names.index(_MISSHANDEL)]
    inne = rng(_INOMHUS).binomial(mis, w.indoor[k])
    relation = rng(_RELATION).binomial(inne, w.relation[k] / w.indoor[k])
    narc = rng(NARCOTICS_SPLIT[0][0]).multinomial(
        counts[names.index("Narkotikabrott")], [p for _, p in NARCOTICS_SPLIT])
    parent, _, share = DRUNK_DRIVING
    drunk = rng(DRUNK_DRIVING[1]).binomial(counts[names.index(parent)], share)
    g = rng(TOTAL_CRIME_TYPE)
    lam = w.other_rate[k] * person_years * g.gamma(1 / OTHER_PHI, OTHER_PHI, size=len(mis))
    total = counts.sum(axis=0) + g.poisson(lam)
    return np.vstack([mis - inne, inne, relation, narc[:, 0], narc[:, 1], narc[:, 2], drunk,
                      total]).astype(np.int64)


def crime_truth(seed: int, kommuner) -> dict:
    """The crime part of the planted truth, JSON-ready (tables as columns + rows)."""
    w = _world(seed)
    idx = w.profiles.index(kommuner)
    pop = population_by_year(w.profiles)[:, YEARS.index(REFERENCE_YEAR)]
    rows = []
    for k in idx:
        for j, ct in enumerate(CRIME_TYPES):
            rows.append([w.profiles.code[k], ct.name, round(float(w.theta[k, j]), 6),
                         round(float(np.expm1(w.theta[k, j]) * 100), 4),
                         round(float(w.expected_ref[k, j]), 4),
                         round(float(w.expected_ref[k, j] / pop[k] * 1e5), 4)])
    types = {}
    for j, ct in enumerate(CRIME_TYPES):
        trend, amp, phi = _parameters(ct.name)
        types[ct.name] = {
            "national_per_year": ct.national_per_year,
            "expected_national_reference_year": round(float(w.expected_ref[:, j].sum()), 3),
            "national_log_trend_per_year": trend,
            "seasonal_amplitude": amp,
            "seasonal_factors": [round(float(v), 6) for v in seasonal_factors(ct)],
            "overdispersion_phi": phi,
            "urban_gradient": ct.urban_gradient,
        }
    _, year, _, t_end, _, days = _calendar()
    ref = year == REFERENCE_YEAR
    other = w.other_rate * (_population_by_month(w.profiles, t_end)[:, ref] * days[ref]).sum(1)
    shares = [[w.profiles.code[k], round(float(w.indoor[k]), 6), round(float(w.relation[k]), 6),
               round(float(other[k]), 3)] for k in idx]
    return {
        "subcategories": {
            "model": ("Misshandel inomhus ~ Binomial(misshandel, indoor_share); utomhus = the rest; "
                      "Våld mot kvinna i nära relation ~ Binomial(inomhus, relation_share / "
                      "indoor_share); narkotika split ~ Multinomial(narkotikabrott, shares); "
                      "rattfylleri ~ Binomial(trafikbrott, share); Samtliga brott = the types + "
                      "Poisson-gamma other crimes"),
            "narcotics_split": {str(n or "övrigt (publiceras inte)"): p for n, p in NARCOTICS_SPLIT},
            "drunk_driving_share_of_trafikbrott": DRUNK_DRIVING[2],
            "national_total_reference_year": NATIONAL_TOTAL,
            "other_crimes_overdispersion_phi": OTHER_PHI,
            "columns": ["kommunkod", "indoor_share_misshandel", "relation_share_misshandel",
                        "expected_other_crimes_reference_year"],
            "rows": shares},
        "model": ("count ~ Poisson(mu * exp(e - var(e)/2) * G), G ~ Gamma(1/phi, phi), "
                  "e AR(1); mu = rate * population * exp(log_trend * years since mid-2024) * "
                  "seasonal factor * days/365.25 * planted measure effect"),
        "reference_year": REFERENCE_YEAR,
        "ar1": {"rho": AR_RHO, "sigma": AR_SIGMA},
        "kommun_type_sd": KOMMUN_TYPE_SD,
        "trend_sd": TREND_SD,
        "anchors": [{"kommunkod": c, "aggregate": a, "expected_per_month": v}
                    for (c, a), v in ANCHORS.items()],
        "crime_types": types,
        "trends": {"columns": ["kommunkod", "crime_type", "log_trend_per_year",
                               "percent_per_year", "expected_count_reference_year",
                               "expected_rate_per_100k_reference_year"],
                   "rows": rows},
    }
