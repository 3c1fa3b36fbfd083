"""Shared ground of the sample generator: seeded streams, the calendar and the kommun profiles.

Every random component draws from its own stream, derived from the seed and a stable key
(component, kommun code, crime type or item name), so generating a subset of kommuner, or adding
an item, leaves every other number unchanged.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from ..municipalities import municipalities

DEFAULT_SEED = 20260101
FIRST_YEAR, LAST_YEAR = 2015, 2025
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
SURVEY_YEARS = (2019, 2021, 2023, 2025)
#: Brå publishes a year as final in March of the following year; 2025 is still preliminary.
PRELIMINARY_YEARS = (2025,)
#: The four kommuner of the seed material, with hand-written areas and measures.
SAMPLE_KOMMUNER = ("2181", "2026", "1760", "1080")

# Component keys of the seed tree. Never renumber: that would change every sample.
KEY_KOMMUN, KEY_CRIME_EFFECT, KEY_CRIME_NOISE, KEY_AREAS, KEY_SURVEY, KEY_ITEM, KEY_ITEM_KOMMUN = (
    1, 2, 3, 4, 5, 6, 7)


def stable_key(name: str) -> int:
    """A stable non-negative integer for a name (a crime type, an item), for the seed tree."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, *key: int) -> np.random.Generator:
    """The random stream of one component: ``SeedSequence(seed, spawn_key=key)``.

    Examples
    --------
    >>> a = stream(1, 2, 2181).normal()
    >>> b = stream(1, 2, 2181).normal()
    >>> a == b, a == stream(1, 2, 2182).normal()
    (True, False)
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def months() -> pd.PeriodIndex:
    """The 132 calendar months 2015-01 … 2025-12."""
    return pd.period_range(f"{FIRST_YEAR}-01", f"{LAST_YEAR}-12", freq="M")


@dataclass(frozen=True)
class KommunProfiles:
    """Kommun-level traits of the synthetic world, drawn for all 290 kommuner (aligned arrays).

    ``crime_level`` is a log-scale effect shared by every crime type and echoed in the survey;
    ``urbanity`` is log10(population / 15 000); ``growth`` the yearly log growth of population;
    ``age_tilt`` > 0 means an older population; ``share_16_84`` the share of the population aged
    16-84; ``n_areas`` the number of survey areas (3-8).
    """

    code: np.ndarray
    name: np.ndarray
    population_2025: np.ndarray
    crime_level: np.ndarray
    urbanity: np.ndarray
    growth: np.ndarray
    age_tilt: np.ndarray
    share_16_84: np.ndarray
    n_areas: np.ndarray

    @cached_property
    def _position(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.code)}

    def index(self, codes) -> np.ndarray:
        """Positions of ``codes`` in the profile arrays."""
        return np.array([self._position[c] for c in codes], dtype=int)


@lru_cache(maxsize=8)
def kommun_profiles(seed: int) -> KommunProfiles:
    """Draw the kommun traits of the world for ``seed`` (cached; cheap)."""
    reg = municipalities()
    codes = reg["kommunkod"].to_numpy(dtype=object)
    pop = reg["population"].to_numpy(dtype=float)
    urb = np.log10(pop / 15_000)
    draws = np.array([stream(seed, KEY_KOMMUN, int(c)).normal(size=6) for c in codes])
    # Large kommuner grow (about +1.4 %/yr for Stockholm), the smallest shrink slightly.
    growth = np.clip(0.003 + 0.006 * urb + 0.003 * draws[:, 0], -0.012, 0.02)
    crime_level = 0.20 * draws[:, 1]
    age_tilt = -0.10 * urb + 0.05 * draws[:, 2]
    share = np.clip(0.775 - 0.01 * age_tilt + 0.008 * draws[:, 3], 0.72, 0.82)
    # 3 areas in the smallest kommuner, 8 in the largest; a little jitter in between.
    raw = 3 + 1.1 * np.log2(np.maximum(pop, 1) / 6_000) + 0.6 * draws[:, 4]
    n_areas = np.clip(np.floor(raw), 3, 8).astype(int)
    return KommunProfiles(codes, reg["kommun"].to_numpy(dtype=object), pop, crime_level, urb,
                          growth, age_tilt, share, n_areas)


def population_by_year(profiles: KommunProfiles) -> np.ndarray:
    """Population on 31 December, shape (290, 11) for 2015-2025; 2025 equals the register."""
    back = LAST_YEAR - np.array(YEARS)
    pop = profiles.population_2025[:, None] * np.exp(-profiles.growth[:, None] * back[None, :])
    return np.round(pop).astype(np.int64)


def select_kommuner(kommuner) -> tuple[str, ...]:
    """Validate a kommun selection (codes or names) and return sorted codes; ``None`` = all 290."""
    from ..municipalities import code_for_name, is_valid_code

    reg = municipalities()["kommunkod"].tolist()
    if kommuner is None:
        return tuple(reg)
    if isinstance(kommuner, str):
        kommuner = [kommuner]
    out, bad = set(), []
    for k in kommuner:
        text = str(k).strip()
        if is_valid_code(text):
            out.add(text)
        elif (code := code_for_name(text)) is not None:
            out.add(code)
        else:
            bad.append(text)
    if bad:
        raise ValueError(f"unknown kommun {', '.join(map(repr, bad))}: give 4-character codes "
                         "such as '1760' or names such as 'Storfors'")
    if not out:
        raise ValueError("kommuner is empty: give at least one kommun, or None for all 290")
    return tuple(sorted(out))
