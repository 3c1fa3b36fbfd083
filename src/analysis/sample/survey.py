"""Synthetic safety survey (NTU-style items) every second year, its margins and true shares.

Design: each kommun × wave is a stratified simple random sample without replacement, strata =
areas, from the register population aged 16-84 (the margins). Response depends on sex, age and
area (young men answer least), so unweighted shares are biased and calibration to the age × sex
margins matters. ``design_weight`` = N_h / n_h, with N_h the area's population and n_h its
respondents (the usual expansion weight; the gross sample per area is in the planted truth).

Answers: respondent i in cell c (area × sex × age) has the indicator of item j with probability
logistic(eta[c, j] + loading_j * z_i), z_i ~ N(0, 1) shared by all items of a respondent (people
who worry, worry about many things). The true population share of a domain is the mean of
E_z logistic(eta + loading z) over its cells, weighted by the cell populations (Gauss-Hermite).
"Vet ej" (9) and item nonresponse (empty) occur completely at random, so they do not move the
share among substantive answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..schemas import AGE_GROUPS, SEXES
from . import measures as _measures
from ._base import (KEY_AREAS, KEY_ITEM, KEY_ITEM_KOMMUN, KEY_SURVEY, SURVEY_YEARS, YEARS,
                    kommun_profiles, population_by_year, stable_key, stream)

__all__ = ["ITEMS", "ITEM_NAMES", "items_frame", "areas", "kommun_model", "margins_frame",
           "survey_frame", "survey_truth", "expected_share", "survey_parameters"]

_LIKERT_ORO = "1=Inte alls|2=I liten grad|3=I ganska hög grad|4=I mycket hög grad|9=Vet ej"
_LIKERT_OROLIG = ("1=Inte alls orolig|2=Inte särskilt orolig|3=Ganska orolig|4=Mycket orolig|"
                  "9=Vet ej")
_LIKERT_PROBLEM = ("1=Inget problem|2=Litet problem|3=Ganska stort problem|"
                   "4=Mycket stort problem|9=Vet ej")
_Q_PROBLEM = "Hur stort problem är {} i området där du bor?"


@dataclass(frozen=True)
class Item:
    """One survey item: catalogue entry plus the parameters of its synthetic answers.

    ``base`` is the log-odds of the indicator for an average person; ``sex`` the women-minus-men
    difference; ``age`` one shift per age group; ``area``, ``crime`` and ``urban`` scale the area's
    deprivation, the kommun's crime level and log10(population / 15 000); ``trend`` is per year;
    ``indicator_codes``/``other_codes`` with their probabilities spread a yes/no onto the scale.
    """

    item: str
    question: str
    scale: str
    indicator_codes: tuple[int, ...]
    indicator_probs: tuple[float, ...]
    other_codes: tuple[int, ...]
    other_probs: tuple[float, ...]
    indicator: str
    base: float
    sex: float
    age: tuple[float, float, float, float]
    area: float
    crime: float
    urban: float
    trend: float
    loading: float
    p_dont_know: float
    p_missing: float


_WORRY = "orolig i ganska eller mycket hög grad"
_PROBLEM = "ganska eller mycket stort problem"
ITEMS: tuple[Item, ...] = (
    Item("otrygg_kvall", "Hur trygg eller otrygg känner du dig om du går ut ensam sent en kväll i "
         "det område där du bor?",
         "1=Mycket trygg|2=Ganska trygg|3=Ganska otrygg|4=Mycket otrygg|5=Går inte ut på grund av "
         "otrygghet|6=Går inte ut av andra skäl|9=Vet ej",
         (3, 4, 5), (0.62, 0.25, 0.13), (1, 2, 6), (0.45, 0.50, 0.05),
         "otrygg eller avstår från att gå ut sen kväll",
         -1.75, 1.25, (0.20, -0.25, -0.15, 0.40), 0.6, 0.8, 0.25, 0.02, 0.9, 0.005, 0.015),
    Item("oro_brottslighet", "I vilken utsträckning oroar du dig över brottsligheten i samhället?",
         _LIKERT_ORO, (3, 4), (0.72, 0.28), (1, 2), (0.30, 0.70), _WORRY,
         -0.10, 0.35, (-0.60, -0.20, 0.15, 0.35), 0.15, 0.3, -0.05, 0.03, 1.0, 0.01, 0.02),
    Item("oro_narstaende", "I vilken utsträckning oroar du dig för att någon närstående ska "
         "drabbas av brott?", _LIKERT_ORO, (3, 4), (0.72, 0.28), (1, 2), (0.30, 0.70), _WORRY,
         -0.60, 0.45, (-0.30, 0.20, 0.05, -0.10), 0.15, 0.3, 0.0, 0.02, 1.0, 0.01, 0.02),
    Item("oro_inbrott", "Hur orolig är du för att någon ska bryta sig in i din bostad?",
         _LIKERT_OROLIG, (3, 4), (0.75, 0.25), (1, 2), (0.35, 0.65), "ganska eller mycket orolig",
         -1.40, 0.30, (-0.50, 0.0, 0.10, 0.20), 0.3, 0.4, 0.0, -0.03, 0.9, 0.01, 0.02),
    Item("oro_misshandel", "Hur orolig är du för att bli överfallen eller misshandlad?",
         _LIKERT_OROLIG, (3, 4), (0.75, 0.25), (1, 2), (0.40, 0.60), "ganska eller mycket orolig",
         -1.90, 0.60, (0.30, -0.10, -0.10, 0.10), 0.5, 0.5, 0.15, 0.02, 0.9, 0.01, 0.02),
    Item("problem_trafik", _Q_PROBLEM.format("trafiken (fortkörning, buskörning)"),
         _LIKERT_PROBLEM, (3, 4), (0.68, 0.32), (1, 2), (0.40, 0.60), _PROBLEM,
         -0.60, 0.10, (-0.30, 0.10, 0.15, 0.0), 0.3, 0.1, -0.10, 0.0, 0.5, 0.03, 0.02),
    Item("problem_belysning", _Q_PROBLEM.format("dålig belysning"), _LIKERT_PROBLEM,
         (3, 4), (0.75, 0.25), (1, 2), (0.50, 0.50), _PROBLEM,
         -1.60, 0.35, (0.0, 0.0, 0.0, 0.10), 0.6, 0.2, 0.0, -0.02, 0.5, 0.04, 0.025),
    Item("problem_narkotika", _Q_PROBLEM.format("narkotikaförsäljning eller narkotikamissbruk"),
         _LIKERT_PROBLEM, (3, 4), (0.70, 0.30), (1, 2), (0.55, 0.45), _PROBLEM,
         -2.20, 0.10, (0.10, 0.10, 0.0, -0.30), 1.0, 0.8, 0.45, 0.03, 0.5, 0.12, 0.03),
    Item("problem_ungdomsgang", _Q_PROBLEM.format("ungdomsgäng som bråkar och stör"),
         _LIKERT_PROBLEM, (3, 4), (0.72, 0.28), (1, 2), (0.55, 0.45), _PROBLEM,
         -2.30, 0.10, (-0.10, 0.0, 0.05, 0.0), 1.0, 0.7, 0.30, -0.01, 0.5, 0.06, 0.03),
    Item("problem_skadegorelse", _Q_PROBLEM.format("skadegörelse och klotter"), _LIKERT_PROBLEM,
         (3, 4), (0.72, 0.28), (1, 2), (0.50, 0.50), _PROBLEM,
         -1.90, 0.05, (-0.10, 0.0, 0.05, 0.05), 0.9, 0.7, 0.25, -0.02, 0.5, 0.05, 0.03),
    Item("utsatt_brott", "Har du under de senaste 12 månaderna blivit utsatt för misshandel, hot "
         "eller stöld?", "1=Ja|2=Nej|9=Vet ej", (1,), (1.0,), (2,), (1.0,), "utsatt för brott",
         -1.80, 0.0, (0.60, 0.20, -0.20, -0.70), 0.5, 0.6, 0.20, 0.0, 0.4, 0.005, 0.015),
)
ITEM_NAMES = tuple(i.item for i in ITEMS)
ITEM_KOMMUN_SD, ITEM_YEAR_SD = 0.15, 0.08

#: Share of each sex × age group in the 16-84 population (Sweden, roughly), kvinna then man.
BASE_COMPOSITION = np.array([[0.065, 0.160, 0.155, 0.115], [0.070, 0.168, 0.160, 0.107]])
_AGE_INDEX = np.array([-1.0, -1 / 3, 1 / 3, 1.0])
#: Log-odds of responding by sex × age (young men about 15 %, older women about 65 %).
RESPONSE_LOGIT = np.array([[-1.00, -0.50, 0.10, 0.60], [-1.75, -1.20, -0.45, 0.30]])
RESPONSE_YEAR = {2019: 0.15, 2021: 0.05, 2023: -0.05, 2025: -0.15}
RESPONSE_AREA = -0.35  # per unit of deprivation
MIN_GROSS_PER_AREA = 60
#: Gross sample of a wave: GROSS_BASE * (population 16-84 / 3000) ** GROSS_POWER, capped; with
#: 30-60 % response this gives about 300 respondents in Storfors and 3 000 in Stockholm.
GROSS_BASE, GROSS_POWER, GROSS_MAX = 700, 0.42, 9000

#: Hand-written areas of the four sample kommuner: (name, population share, deprivation, age tilt).
SAMPLE_AREAS: dict[str, tuple[tuple[str, float, float, float], ...]] = {
    "2181": (("Centrum", 0.34, 0.4, -0.10), ("Björksätra", 0.16, 0.6, -0.20),
             ("Storvik", 0.14, -0.1, 0.10), ("Järbo", 0.08, -0.2, 0.15),
             ("Årsunda", 0.07, -0.4, 0.20), ("Kungsgården", 0.09, -0.3, 0.15),
             ("Österfärnebo", 0.06, -0.5, 0.25)),
    "2026": (("Djurås", 0.30, 0.1, -0.05), ("Gagnef kyrkby", 0.15, -0.3, 0.10),
             ("Mockfjärd", 0.25, 0.0, 0.0), ("Björbo", 0.10, -0.4, 0.25),
             ("Dala-Floda", 0.20, -0.2, 0.15)),
    "1760": (("Storfors tätort", 0.62, 0.2, 0.05), ("Kyrksten", 0.18, -0.3, 0.20),
             ("Lungsund och Bjurtjärn", 0.20, -0.4, 0.25)),
    "1080": (("Trossö", 0.14, 0.5, -0.10), ("Hästö och Vämö", 0.12, 0.3, -0.20),
             ("Kungsmarken", 0.12, 0.5, -0.30), ("Lyckeby", 0.14, 0.0, 0.0),
             ("Nättraby", 0.10, -0.3, 0.10), ("Rödeby", 0.10, -0.3, 0.10),
             ("Jämjö", 0.12, -0.2, 0.15), ("Skärgården", 0.06, -0.5, 0.35)),
}
GENERIC_AREAS = ("Centrum", "Norra", "Södra", "Östra", "Västra", "Norra landsbygden",
                 "Södra landsbygden", "Hamnen")


@dataclass(frozen=True)
class Areas:
    """Areas of one kommun: names, population shares, deprivation and age tilt (aligned)."""

    names: tuple[str, ...]
    share: np.ndarray
    deprivation: np.ndarray
    tilt: np.ndarray
    response: float  # kommun-level response shift (log-odds)


@lru_cache(maxsize=1024)
def areas(seed: int, code: str) -> Areas:
    """The survey areas of kommun ``code`` (hand-written for the sample kommuner)."""
    prof = kommun_profiles(seed)
    k = int(prof.index([code])[0])
    rng = stream(seed, KEY_AREAS, int(code))
    n = int(prof.n_areas[k])
    raw = rng.gamma(4.0, size=8)
    dep = rng.normal(0.0, 0.35, size=8)
    tilt = rng.normal(0.0, 0.10, size=8)
    response = float(rng.normal(0.0, 0.10))
    if code in SAMPLE_AREAS:
        spec = SAMPLE_AREAS[code]
        names = tuple(s[0] for s in spec)
        share = np.array([s[1] for s in spec])
        return Areas(names, share / share.sum(), np.array([s[2] for s in spec]),
                     np.array([s[3] for s in spec]), response)
    names = GENERIC_AREAS[:n]
    share = raw[:n] * np.where(np.arange(n) == 0, 1.8, 1.0)  # the centre is the biggest area
    dep, tilt = dep[:n].copy(), tilt[:n].copy()
    dep[0], tilt[0] = dep[0] * 0.5 + 0.3, tilt[0] * 0.5 - 0.10
    rural = np.array(["landsbygd" in a for a in names])
    dep[rural], tilt[rural] = dep[rural] * 0.5 - 0.4, tilt[rural] * 0.5 + 0.25
    return Areas(names, share / share.sum(), dep, tilt, response)


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (Hamilton's method)."""
    exact = weights / weights.sum() * total
    out = np.floor(exact).astype(np.int64)
    short = int(total - out.sum())
    if short:
        order = np.argsort(-(exact - out), kind="stable")
        out[order[:short]] += 1
    return out


@lru_cache(maxsize=1024)
def cell_populations(seed: int, code: str) -> np.ndarray:
    """Population aged 16-84 per year × area × sex × age group, shape (11, A, 2, 4); read-only."""
    prof = kommun_profiles(seed)
    k = int(prof.index([code])[0])
    ar = areas(seed, code)
    pop = population_by_year(prof)[k]
    out = np.empty((len(YEARS), len(ar.names), 2, 4), dtype=np.int64)
    for y, year in enumerate(YEARS):
        # The population ages slowly: the tilt grows by 0.01 a year.
        tilt = prof.age_tilt[k] + ar.tilt[:, None, None] + 0.01 * (year - 2025)
        w = (ar.share[:, None, None] * BASE_COMPOSITION[None] * np.exp(tilt * _AGE_INDEX))
        w = w / w.sum(axis=(1, 2), keepdims=True) * ar.share[:, None, None]
        total = int(round(prof.share_16_84[k] * pop[y]))
        out[y] = _largest_remainder(w.reshape(-1), total).reshape(w.shape)
    out.flags.writeable = False  # cached: callers share it
    return out


def items_frame() -> pd.DataFrame:
    """The item catalogue in the ``items`` contract (docs/data-model.md)."""
    return pd.DataFrame({
        "item": pd.Series(ITEM_NAMES, dtype="str"),
        "question": pd.Series([i.question for i in ITEMS], dtype="str"),
        "scale": pd.Series([i.scale for i in ITEMS], dtype="str"),
        "indicator_values": pd.Series(["|".join(map(str, i.indicator_codes)) for i in ITEMS],
                                      dtype="str"),
        "indicator": pd.Series([i.indicator for i in ITEMS], dtype="str"),
        "missing_values": pd.Series(["9"] * len(ITEMS), dtype="str"),
    })


def margins_frame(seed: int, kommuner) -> pd.DataFrame:
    """Population 16-84 per kommun × survey year × area × sex × age group (margins contract)."""
    code, year, area, pop = [], [], [], []
    waves = [YEARS.index(y) for y in SURVEY_YEARS]
    for c in kommuner:
        m = kommun_model(seed, c)
        cells = m.cells[waves]  # (W, A, 2, 4)
        n_a = cells.shape[1]
        code.append(np.full(cells.size, c, dtype=object))
        year.append(np.repeat(np.array(SURVEY_YEARS, dtype=np.int64), n_a * 8))
        area.append(np.tile(np.repeat(np.array(m.areas.names, dtype=object), 8), len(waves)))
        pop.append(cells.reshape(-1))
    n = sum(len(p) for p in pop)
    return pd.DataFrame({
        "kommunkod": pd.Series(np.concatenate(code), dtype="str"),
        "year": np.concatenate(year),
        "area": pd.Series(np.concatenate(area), dtype="str"),
        "sex": pd.Series(np.tile(np.repeat(np.array(SEXES, dtype=object), 4), n // 8), dtype="str"),
        "age_group": pd.Series(np.tile(np.array(AGE_GROUPS, dtype=object), n // 4), dtype="str"),
        "population": np.concatenate(pop).astype(np.int64),
    })


@dataclass(frozen=True)
class KommunSurveyModel:
    """Everything fixed about one kommun's survey world: areas, cell populations, log-odds.

    ``cells`` has shape (11 years, A, 2 sexes, 4 age groups); ``eta`` (4 waves, items, A, 2, 4)
    is the log-odds of each item's indicator before the respondent's latent trait.
    """

    code: str
    areas: Areas
    cells: np.ndarray
    eta: np.ndarray


@lru_cache(maxsize=512)
def kommun_model(seed: int, code: str) -> KommunSurveyModel:
    """The survey model of kommun ``code`` (cached)."""
    prof = kommun_profiles(seed)
    k = int(prof.index([code])[0])
    ar = areas(seed, code)
    # Kommun level and wave deviations of every item, one stream per kommun × item.
    eff = np.array([stream(seed, KEY_ITEM_KOMMUN, int(code), stable_key(i.item))
                    .normal(size=1 + len(SURVEY_YEARS)) for i in ITEMS])
    level, by_wave = ITEM_KOMMUN_SD * eff[:, 0], ITEM_YEAR_SD * eff[:, 1:].T  # (I,), (W, I)
    base = np.array([i.base + i.crime * prof.crime_level[k] + i.urban * prof.urbanity[k]
                     for i in ITEMS])
    trend = np.array([i.trend for i in ITEMS])
    years = np.array(SURVEY_YEARS)
    kommun_part = base + level + by_wave + trend * (years[:, None] - 2019)           # (W, I)
    area_part = (np.array([i.area for i in ITEMS])[:, None] * ar.deprivation[None, :]
                 + _measures.survey_shifts(code, SURVEY_YEARS, ITEM_NAMES, ar.names))  # (W, I, A)
    sex = np.array([[i.sex / 2, -i.sex / 2] for i in ITEMS])                          # (I, 2)
    age = np.array([i.age for i in ITEMS])                                            # (I, 4)
    eta = (kommun_part[:, :, None, None, None] + area_part[:, :, :, None, None]
           + sex[None, :, None, :, None] + age[None, :, None, None, :])
    eta.flags.writeable = False
    return KommunSurveyModel(code, ar, cell_populations(seed, code), eta)


_GH_X, _GH_W = np.polynomial.hermite.hermgauss(24)


def expected_share(eta: np.ndarray, loading) -> np.ndarray:
    """E[logistic(eta + loading Z)], Z ~ N(0, 1), by Gauss-Hermite quadrature (24 nodes).

    Examples
    --------
    >>> round(float(expected_share(np.array(0.0), 1.0)), 6)  # symmetric: exactly one half
    0.5
    >>> bool(expected_share(np.array(-2.0), 1.0) > 1 / (1 + np.exp(2.0)))  # Jensen
    True
    """
    z = np.sqrt(2.0) * _GH_X
    p = 1.0 / (1.0 + np.exp(-(np.asarray(eta)[..., None] + np.asarray(loading)[..., None] * z)))
    return (p * _GH_W).sum(axis=-1) / np.sqrt(np.pi)


def _design(seed: int, code: str, year: int, cells: np.ndarray, ar: Areas):
    """Gross sample and respondents per cell of one wave, and the wave's stream."""
    rng = stream(seed, KEY_SURVEY, int(code), year)
    n_pop = cells.sum()
    gross_total = int(round(np.clip(GROSS_BASE * (n_pop / 3000) ** GROSS_POWER, GROSS_BASE,
                                    GROSS_MAX)))
    n_h = cells.sum(axis=(1, 2))
    gross_h = np.minimum(np.maximum(MIN_GROSS_PER_AREA, np.round(gross_total * n_h / n_pop)),
                         n_h).astype(np.int64)
    logit = (RESPONSE_LOGIT[None] + RESPONSE_YEAR[year] + ar.response
             + RESPONSE_AREA * ar.deprivation[:, None, None])
    p_resp = 1.0 / (1.0 + np.exp(-logit))
    resp = np.empty_like(cells)
    gross = np.empty_like(cells)
    for a in range(len(ar.names)):
        g = rng.multivariate_hypergeometric(cells[a].reshape(-1), int(gross_h[a])).reshape(2, 4)
        r = rng.binomial(g, p_resp[a])
        while r.sum() < 2:  # a stratum needs two respondents for a variance; never hit in practice
            r[np.unravel_index(np.argmax(g - r), r.shape)] += 1
        gross[a], resp[a] = g, r
    return gross, resp, rng


_P6_BY_AGE = np.array([0.02, 0.02, 0.04, 0.12])


def _draw_answers(rng: np.random.Generator, item: Item, eta: np.ndarray, age: np.ndarray,
                  z: np.ndarray) -> np.ndarray:
    n = len(eta)
    p = 1.0 / (1.0 + np.exp(-(eta + item.loading * z)))
    hit = rng.random(n) < p
    u = rng.random(n)
    ind_cum = np.cumsum(item.indicator_probs)[:-1]
    ind = np.asarray(item.indicator_codes)[np.searchsorted(ind_cum, u, side="right")]
    if item.item == "otrygg_kvall":
        # Older people more often do not go out at all, for reasons other than insecurity.
        p6 = _P6_BY_AGE[age]
        cum = np.column_stack([(1 - p6) * 0.47, 1 - p6])
    else:
        cum = np.tile(np.cumsum(item.other_probs)[:-1], (n, 1))
    other = np.asarray(item.other_codes)[(u[:, None] >= cum).sum(axis=1)]
    ans = np.where(hit, ind, other).astype(np.int8)
    ans[rng.random(n) < item.p_dont_know] = 9
    ans[rng.random(n) < item.p_missing] = 0  # 0 = not answered (written as an empty cell)
    return ans


def survey_frame(seed: int, kommuner) -> tuple[pd.DataFrame, list]:
    """Respondent rows for every kommun × wave (survey contract) and the design truth rows."""
    parts: dict[str, list] = {c: [] for c in ("code", "year", "area", "sex", "age", "w", "id")}
    answers: dict[str, list] = {i.item: [] for i in ITEMS}
    design_rows = []
    for code in kommuner:
        m = kommun_model(seed, code)
        names = np.asarray(m.areas.names, dtype=object)
        wave_idx, cells_idx, zs = [], [], []
        for w, year in enumerate(SURVEY_YEARS):
            cells = m.cells[YEARS.index(year)]
            gross, resp, rng = _design(seed, code, year, cells, m.areas)
            cell_id = np.repeat(np.arange(resp.size), resp.reshape(-1))
            cell_id = cell_id[rng.permutation(cell_id.size)]  # files are not sorted by stratum
            z = rng.normal(size=cell_id.size)
            n_h, r_h = cells.sum(axis=(1, 2)), resp.sum(axis=(1, 2))
            a_idx = cell_id // 8
            parts["w"].append(np.round(n_h[a_idx] / r_h[a_idx], 6))
            parts["year"].append(np.full(cell_id.size, year, dtype=np.int64))
            parts["id"].append(np.arange(1, cell_id.size + 1))
            wave_idx.append(np.full(cell_id.size, w))
            cells_idx.append(cell_id)
            zs.append(z)
            design_rows += [[code, year, str(name), int(n_h[a]), int(gross[a].sum()), int(r_h[a])]
                            for a, name in enumerate(m.areas.names)]
        w_idx, cell_id, z = map(np.concatenate, (wave_idx, cells_idx, zs))
        a_idx, s_idx, g_idx = np.unravel_index(cell_id, m.eta.shape[2:])
        parts["code"].append(np.full(cell_id.size, code, dtype=object))
        parts["area"].append(names[a_idx])
        parts["sex"].append(s_idx)
        parts["age"].append(g_idx)
        for j, item in enumerate(ITEMS):
            irng = stream(seed, KEY_ITEM, int(code), stable_key(item.item))
            eta = m.eta[w_idx, j, a_idx, s_idx, g_idx]
            answers[item.item].append(_draw_answers(irng, item, eta, g_idx, z))
    area = pd.Series(np.concatenate(parts["area"]), dtype="str")
    ids = np.concatenate(parts["id"])
    labels = np.array([f"R{i:05d}" for i in range(ids.max(initial=0) + 1)], dtype=object)
    out = pd.DataFrame({
        "respondent_id": pd.Series(labels[ids], dtype="str"),
        "kommunkod": pd.Series(np.concatenate(parts["code"]), dtype="str"),
        "year": np.concatenate(parts["year"]),
        "area": area,
        "sex": pd.Series(np.asarray(SEXES, dtype=object)[np.concatenate(parts["sex"])],
                         dtype="str"),
        "age_group": pd.Series(np.asarray(AGE_GROUPS, dtype=object)[np.concatenate(parts["age"])],
                               dtype="str"),
        "stratum": area.copy(),
        "psu": pd.Series(np.full(len(area), None, dtype=object), dtype="str"),
        "design_weight": np.concatenate(parts["w"]),
    })
    for item in ITEMS:
        codes = np.concatenate(answers[item.item]).astype(np.int64)
        out[item.item] = pd.arrays.IntegerArray(codes, codes == 0)
    return out, design_rows


def survey_truth(seed: int, kommuner) -> dict:
    """True population shares per kommun × wave × item (total, by sex, by area), JSON-ready."""
    loading = np.array([i.loading for i in ITEMS])[None, :, None, None, None]
    waves = [YEARS.index(y) for y in SURVEY_YEARS]
    rows = []
    for code in kommuner:
        m = kommun_model(seed, code)
        pop = m.cells[waves].astype(float)[:, None]          # (W, 1, A, 2, 4)
        num = expected_share(m.eta, loading) * pop            # (W, I, A, 2, 4)
        total = np.round(num.sum(axis=(2, 3, 4)) / pop.sum(axis=(2, 3, 4)), 6).tolist()
        by_sex = np.round(num.sum(axis=(2, 4)) / pop.sum(axis=(2, 4)), 6).tolist()
        by_area = np.round(num.sum(axis=(3, 4)) / pop.sum(axis=(3, 4)), 6).tolist()
        for w, year in enumerate(SURVEY_YEARS):
            for j, item in enumerate(ITEM_NAMES):
                rows.append([code, year, item, None, None, total[w][j]])
                rows += [[code, year, item, None, sex, by_sex[w][j][s]]
                         for s, sex in enumerate(SEXES)]
                rows += [[code, year, item, a, None, by_area[w][j][i]]
                         for i, a in enumerate(m.areas.names)]
    return {"columns": ["kommunkod", "year", "item", "area", "sex", "share"], "rows": rows}


def survey_parameters() -> dict:
    """The survey model's parameters, JSON-ready."""
    return {
        "response_logit": {sex: dict(zip(AGE_GROUPS, map(float, RESPONSE_LOGIT[s])))
                           for s, sex in enumerate(SEXES)},
        "response_year_shift": {str(k): v for k, v in RESPONSE_YEAR.items()},
        "response_per_unit_deprivation": RESPONSE_AREA,
        "item_kommun_sd": ITEM_KOMMUN_SD, "item_year_sd": ITEM_YEAR_SD,
        "items": {i.item: {"base": i.base, "women_minus_men": i.sex, "age": list(i.age),
                           "area_deprivation": i.area, "kommun_crime_level": i.crime,
                           "urbanity": i.urban, "trend_per_year": i.trend,
                           "latent_loading": i.loading, "p_dont_know": i.p_dont_know,
                           "p_missing": i.p_missing} for i in ITEMS},
        "share_definition": ("share of the 16-84 population whose answer is in indicator_values, "
                             "among substantive answers (9 = vet ej and empty are missing "
                             "completely at random)"),
    }
