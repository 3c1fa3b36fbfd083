"""The synthetic registry of crime-prevention measures and the effects planted with them.

Each measure either changes its target crime types by a true rate ratio (possibly phased in) or
does nothing (rate ratio 1); some also shift survey indicators in an area. No crime type is
targeted by measures in two kommuner, so the other kommuner stay clean donors and controls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["PlantedMeasure", "MEASURES", "measures_frame", "crime_effect", "survey_shifts",
           "measures_truth"]

#: Survey fieldwork is in the autumn; a measure shows in a wave only once it has run this long.
SURVEY_LAG_MONTHS = 6
SURVEY_FIELDWORK_MONTH = 9


@dataclass(frozen=True)
class PlantedMeasure:
    """One measure of the registry with its planted (true) effect.

    ``rate_ratio`` multiplies the expected monthly count of every target crime type from
    ``start`` on; with ``phase_in_months`` = m > 0 the log rate ratio grows linearly over the
    first m months. ``survey_shift`` maps item → log-odds shift of the indicator in ``area``
    (empty = whole kommun) for survey waves at least 6 months after the start.
    """

    measure_id: str
    kommunkod: str
    name: str
    focus_area: str
    start: str
    end: str | None
    target_crime_types: tuple[str, ...]
    area: str | None
    indicator: str
    description: str
    rate_ratio: float = 1.0
    phase_in_months: int = 0
    survey_shift: dict[str, float] = field(default_factory=dict)

    @property
    def start_period(self) -> pd.Period:
        return pd.Period(self.start[:7], freq="M")


_SAFE = "Trygghet på offentliga platser"
_M, _RAN, _OFR, _SKG = ("Misshandel (inkl. grov)", "Rån (inkl. grovt)", "Ofredande",
                        "Skadegörelsebrott")

MEASURES: tuple[PlantedMeasure, ...] = (
    # Karlskrona: a large misshandel series with a clear planted effect.
    PlantedMeasure("M1080-01", "1080", "Krogen mot våld och tillsyn av serveringstillstånd", _SAFE,
                   "2022-04-01", None, (_M,), "Trossö",
                   "anmälda misshandelsbrott per månad",
                   "Utbildning i ansvarsfull alkoholservering, gemensam tillsyn med polisen och "
                   "ordningsvakter vid krogstängning på Trossö.",
                   rate_ratio=0.70, phase_in_months=6),
    PlantedMeasure("M1080-02", "1080", "Kameraövervakning på Stortorget", _SAFE, "2023-06-01", None,
                   (_RAN,), "Trossö", "anmälda rån per månad; otrygg_kvall",
                   "Kameraövervakning av Stortorget och Ronnebygatan i samverkan med polisen.",
                   rate_ratio=1.0),
    PlantedMeasure("M1080-03", "1080", "Belysningsprogram för gång- och cykelvägar", "Belysning",
                   "2021-09-01", "2023-12-31", (), None, "problem_belysning",
                   "Ny och jämnare belysning längs gång- och cykelvägar, prioriterade efter "
                   "trygghetsvandringar.",
                   survey_shift={"problem_belysning": -0.35}),
    # Sandviken: a large skadegörelse series with a planted effect, and lighting in the centre.
    PlantedMeasure("M2181-01", "2181", "Klottersanering inom 24 timmar", _SAFE, "2022-09-01", None,
                   (_SKG,), None, "anmälda skadegörelsebrott per månad; problem_skadegorelse",
                   "Klotter och skadegörelse på kommunens fastigheter åtgärdas inom ett dygn; "
                   "fältassistenter kvällstid.",
                   rate_ratio=0.75, phase_in_months=3,
                   survey_shift={"problem_skadegorelse": -0.30}),
    PlantedMeasure("M2181-02", "2181", "Belysning i centrum och Stadsparken", "Belysning",
                   "2021-10-01", None, (), "Centrum", "problem_belysning; otrygg_kvall",
                   "Ny belysning i Stadsparken, vid resecentrum och längs Köpmangatan.",
                   survey_shift={"problem_belysning": -0.70, "otrygg_kvall": -0.25}),
    # Gagnef: traffic in Mockfjärd (survey) and a small olaga-hot series with an effect that
    # is real but hard to detect at this size.
    PlantedMeasure("M2026-01", "2026", "Hastighetsdämpande åtgärder genom Mockfjärd", "Trafikmiljö",
                   "2022-06-01", None, (), "Mockfjärd", "problem_trafik",
                   "Farthinder, upphöjda övergångsställen och sänkt hastighet på genomfarten.",
                   survey_shift={"problem_trafik": -0.60}),
    PlantedMeasure("M2026-02", "2026", "Fältassistenter och trygga mötesplatser för unga", _SAFE,
                   "2023-05-01", None, ("Olaga hot",), None,
                   "anmälda olaga hot; problem_ungdomsgang",
                   "Fältassistenter fredag och lördag kväll och öppen fritidsgård i Djurås.",
                   rate_ratio=0.80, survey_shift={"problem_ungdomsgang": -0.30}),
    # Storfors: a measure with no effect at all (the null case).
    PlantedMeasure("M1760-01", "1760", "Nattvandring och öppen fritidsgård fredagskvällar", _SAFE,
                   "2023-03-01", None, (_OFR,), None, "anmälda ofredanden; otrygg_kvall",
                   "Föräldrar nattvandrar fredagar; fritidsgården håller öppet till midnatt.",
                   rate_ratio=1.0),
    PlantedMeasure("M1760-02", "1760", "Trygghetsbelysning vid stationen och skolan", "Belysning",
                   "2022-10-01", "2023-06-30", (), "Storfors tätort", "problem_belysning",
                   "Belysning vid järnvägsstationen, skolgården och gångtunneln.",
                   rate_ratio=1.0),
    # Elsewhere: a handful more, each on a crime type nobody else targets.
    PlantedMeasure("M1280-01", "1280", "Butikssamverkan och ordningsvakter i centrum", _SAFE,
                   "2022-02-01", None, ("Butiksstöld/snatteri",), "Centrum",
                   "anmälda butiksstölder per månad",
                   "Handlare, fastighetsägare, polis och kommun delar information och anlitar "
                   "gemensamma ordningsvakter.", rate_ratio=0.85),
    PlantedMeasure("M0180-01", "0180", "Säkra cykelparkeringar vid pendeltågsstationer", _SAFE,
                   "2021-04-01", "2024-12-31", ("Cykelstöld",), None, "anmälda cykelstölder",
                   "Låsbara cykelgarage och kameror vid sex pendeltågsstationer.", rate_ratio=1.0),
    PlantedMeasure("M1480-01", "1480", "Trygga parkeringshus: belysning, kameror och bemanning",
                   _SAFE, "2021-11-01", None, ("Bilbrott",), None, "anmälda bilbrott per månad",
                   "Upprustning av kommunala parkeringshus och bevakning nattetid.",
                   rate_ratio=0.80, phase_in_months=4),
    PlantedMeasure("M1880-01", "1880", "Insats mot öppen narkotikahandel i centrum", "Narkotika",
                   "2021-09-01", None, ("Narkotikabrott",), "Centrum", "anmälda narkotikabrott; "
                   "problem_narkotika",
                   "Polisen och kommunen ökar närvaron kring resecentrum; fler ingripanden ger "
                   "fler "
                   "anmälda narkotikabrott (spaningsbrott).", rate_ratio=1.25,
                   survey_shift={"problem_narkotika": -0.25}),
    PlantedMeasure("M2580-01", "2580", "Kvinnofridsteam och utbildning mot våld i nära relation",
                   "Våld i nära relation", "2022-10-01", None, ("Grov kvinnofridskränkning",), None,
                   "anmälda grova kvinnofridskränkningar",
                   "Samordnat stöd till våldsutsatta och MVP-utbildning i skolan.", rate_ratio=1.0),
    PlantedMeasure("M2480-01", "2480", "Trygghetsbelysning längs älvstranden", "Belysning",
                   "2022-05-01", None, (), "Centrum", "otrygg_kvall",
                   "Belysning och röjning av växtlighet längs gång- och cykelstråken vid älven.",
                   survey_shift={"otrygg_kvall": -0.30}),
)


_BY_KOMMUN: dict[str, tuple[PlantedMeasure, ...]] = {
    code: tuple(m for m in MEASURES if m.kommunkod == code)
    for code in {m.kommunkod for m in MEASURES}}


def measures_frame(kommuner) -> pd.DataFrame:
    """The registry rows for ``kommuner`` in the ``measures`` contract (typed as validated)."""
    rows = sorted((m for m in MEASURES if m.kommunkod in set(kommuner)),
                  key=lambda m: (m.kommunkod, m.measure_id))
    return pd.DataFrame({
        "measure_id": pd.Series([m.measure_id for m in rows], dtype="str"),
        "kommunkod": pd.Series([m.kommunkod for m in rows], dtype="str"),
        "name": pd.Series([m.name for m in rows], dtype="str"),
        "focus_area": pd.Series([m.focus_area for m in rows], dtype="str"),
        "start": pd.to_datetime(pd.Series([m.start for m in rows], dtype="str")),
        "end": pd.to_datetime(pd.Series([m.end for m in rows], dtype=object)),
        "target_crime_types": pd.Series([";".join(m.target_crime_types) or None for m in rows],
                                        dtype="str"),
        "area": pd.Series([m.area for m in rows], dtype="str"),
        "indicator": pd.Series([m.indicator for m in rows], dtype="str"),
        "description": pd.Series([m.description for m in rows], dtype="str"),
    })


def crime_effect(kommunkod: str, crime_type: str, periods: pd.PeriodIndex) -> np.ndarray:
    """True multiplicative effect on the expected count for each month (1 where none)."""
    out = np.ones(len(periods))
    ords = periods.asi8
    for m in _BY_KOMMUN.get(kommunkod, ()):
        if m.kommunkod != kommunkod or crime_type not in m.target_crime_types or m.rate_ratio == 1:
            continue
        since = ords - m.start_period.ordinal  # 0 in the start month
        if m.phase_in_months > 0:
            frac = np.clip((since + 1) / m.phase_in_months, 0.0, 1.0)
        else:
            frac = (since >= 0).astype(float)
        out *= np.exp(np.log(m.rate_ratio) * frac)
    return out


def survey_shifts(kommunkod: str, years, items, area_names) -> np.ndarray:
    """True log-odds shifts of the indicators, shape (len(years), len(items), len(area_names)).

    A measure shifts a wave once it has run ``SURVEY_LAG_MONTHS`` before the autumn fieldwork,
    in its area (or in every area when it has none).
    """
    out = np.zeros((len(years), len(items), len(area_names)))
    for m in MEASURES:
        if m.kommunkod != kommunkod or not m.survey_shift:
            continue
        for w, year in enumerate(years):
            fieldwork = pd.Period(year=year, month=SURVEY_FIELDWORK_MONTH, freq="M").ordinal
            if fieldwork - m.start_period.ordinal < SURVEY_LAG_MONTHS:
                continue
            for j, item in enumerate(items):
                for a, area in enumerate(area_names):
                    if item in m.survey_shift and (m.area is None or m.area == area):
                        out[w, j, a] += m.survey_shift[item]
    return out


def measures_truth() -> list[dict]:
    """The planted truth of every measure, JSON-ready."""
    return [{
        "measure_id": m.measure_id, "kommunkod": m.kommunkod, "start": m.start, "end": m.end,
        "target_crime_types": list(m.target_crime_types), "rate_ratio": m.rate_ratio,
        "phase_in_months": m.phase_in_months, "area": m.area,
        "survey_log_odds_shift": dict(sorted(m.survey_shift.items())),
        "effect_planted": m.rate_ratio != 1.0 or any(v != 0 for v in m.survey_shift.values()),
    } for m in MEASURES]
