"""A kommun's survey in context: NTU benchmarks, sex and age gaps, remedies for small groups.

Answers "is our level high or low against the län and riket, do women and men or the age groups
differ, and what can be said about the youngest group that the small-number rule hides?" from
survey designs (:mod:`analysis.survey.design`) and the regional NTU figures
(:func:`analysis.io.ntu.read_ntu_regional`). Only aggregates leave; verdicts use the words of
:mod:`analysis.verdicts`. Next in the flow: :mod:`analysis.report.analysis` words them.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from ..multiplicity import add_qvalues
from ..verdicts import DIFFERENCE, HIGHER, LOWER, NO_DIFFERENCE
from .compare import chisq, difference
from .design import SurveyDesign
from .indicators import Indicator, add_indicators, indicator_table

__all__ = ["NTU_MATCH", "ntu_comparison", "group_gaps", "pooled_waves", "age_remedy"]

#: Survey indicators with an NTU counterpart: Brå's indicator name and how comparable it is.
NTU_MATCH: dict[str, tuple[str, str]] = {
    "otrygg_kvall_andel": ("Otrygghet vid utevistelse sen kväll",
                           "samma definition: otrygg eller avstår från att gå ut"),
    "oro_brottslighet_andel": ("Oro över brottsligheten i samhället",
                               "liknande fråga; NTU:s svarsgränser kan skilja"),
    "oro_narstaende_andel": ("Oro för närstående", "liknande fråga"),
    "oro_inbrott_andel": ("Oro för bostadsinbrott", "liknande fråga"),
    "oro_misshandel_andel": ("Oro för överfall/misshandel", "liknande fråga"),
}
_ROUNDING = 0.005  # Brå prints whole percent: the published figure is known to ±0.5 points


def ntu_comparison(estimates: pd.DataFrame, ntu: pd.DataFrame, *, kommunkod: str,
                   lanskod: str) -> pd.DataFrame:
    """The kommun's indicators against the latest NTU level of its own area, its län and riket.

    Parameters
    ----------
    estimates : pandas.DataFrame
        The kommun's indicator table (:func:`analysis.survey.indicators.indicator_table`):
        ``variable, estimate, ci_low, ci_high, suppressed`` (shares 0–1).
    ntu : pandas.DataFrame
        :func:`analysis.io.ntu.read_ntu_regional`.
    kommunkod, lanskod : str

    Returns
    -------
    pandas.DataFrame
        One row per indicator × benchmark with a figure: ``variable, level`` (``kommun``,
        ``lan``, ``riket``), ``region, ntu_survey, ntu_year, ntu_share, ntu_low, ntu_high``
        (the published whole percent ± 0.5 points: Brå's table gives no margin of error),
        ``estimate, ci_low, ci_high`` (the kommun, design-based), ``difference`` (kommun − NTU),
        ``verdict`` (``högre``/``lägre`` when the kommun's interval lies wholly beyond the NTU
        figure's range, else ``ingen säkerställd skillnad``; never a verdict on a suppressed
        estimate), ``comparability``, ``source_url``.

    Notes
    -----
    The NTU figures are older (NTU 2010 and 2013), asked by telephone of 16–79-year-olds, and
    carry sampling error that the regional table does not publish; the comparison is therefore
    a rough one and the verdict conservative only about rounding. The report says so.

    Examples
    --------
    >>> from analysis.io.ntu import read_ntu_regional
    >>> est = pd.DataFrame({"variable": ["otrygg_kvall_andel"], "estimate": [0.27],
    ...                     "ci_low": [0.23], "ci_high": [0.31], "suppressed": [False]})
    >>> t = ntu_comparison(est, read_ntu_regional(), kommunkod="2181", lanskod="21")
    >>> t[["level", "ntu_year", "ntu_share", "verdict"]].to_dict("records")
    [{'level': 'lan', 'ntu_year': 2013, 'ntu_share': 0.14, 'verdict': 'högre'}, {'level': 'riket', 'ntu_year': 2013, 'ntu_share': 0.15, 'verdict': 'högre'}]
    """
    need = {"variable", "estimate", "ci_low", "ci_high", "suppressed"}
    if not need <= set(estimates.columns):
        raise DataError("estimates need the columns " + ", ".join(sorted(need)))
    rows = []
    areas = (("kommun", str(kommunkod)), ("lan", str(lanskod)), ("riket", "00"))
    for r in estimates[estimates["variable"].isin(list(NTU_MATCH))].itertuples():
        name, comparability = NTU_MATCH[r.variable]
        for level, code in areas:
            hit = ntu[(ntu["level"] == level) & (ntu["region_code"] == code)
                      & (ntu["indicator"] == name) & ntu["percent"].notna()]
            if hit.empty:
                continue
            b = hit.sort_values("year").iloc[-1]
            share = float(b["percent"]) / 100
            lo, hi = share - _ROUNDING, share + _ROUNDING
            verdict = NO_DIFFERENCE
            if not bool(r.suppressed):
                verdict = HIGHER if r.ci_low > hi else LOWER if r.ci_high < lo else NO_DIFFERENCE
            rows.append({"variable": r.variable, "level": level, "region": b["region"],
                         "ntu_survey": b["survey"], "ntu_year": int(b["year"]), "ntu_share": share,
                         "ntu_low": lo, "ntu_high": hi, "estimate": r.estimate,
                         "ci_low": r.ci_low, "ci_high": r.ci_high,
                         "difference": r.estimate - share, "suppressed": bool(r.suppressed),
                         "verdict": verdict, "comparability": comparability,
                         "source_url": b["source_url"]})
    cols = ["variable", "level", "region", "ntu_survey", "ntu_year", "ntu_share", "ntu_low",
            "ntu_high", "estimate", "ci_low", "ci_high", "difference", "suppressed", "verdict",
            "comparability", "source_url"]
    return pd.DataFrame(rows, columns=cols)


def group_gaps(design, definitions: Sequence[Indicator], *, alpha: float = 0.05) -> pd.DataFrame:
    """Do women and men, or the age groups, differ? Design-based tests with FDR per dimension.

    Parameters
    ----------
    design : SurveyDesign
        One wave of one kommun (e.g. :func:`analysis.survey.calibration.wave_design`), with
        ``sex`` and ``age_group``.
    definitions : sequence of Indicator
        The indicators to compare.
    alpha : float
        Test level and FDR level (Benjamini–Hochberg over the indicators of each dimension).

    Returns
    -------
    pandas.DataFrame
        One row per indicator × dimension (``kön``, ``ålder``): ``variable, label, dimension,
        group_high, estimate_high, ci_low_high, ci_high_high, group_low, estimate_low,
        ci_low_low, ci_high_low`` (the two groups compared in words: women and men; the
        shown age groups with the highest and lowest share), ``difference, ci_low, ci_high``
        (women − men; NaN for age), ``method, p_value, q_value, verdict`` (``skillnad`` when the
        test survives the FDR correction, else ``ingen säkerställd skillnad``), ``note``.

    Notes
    -----
    Sex: the difference of two domain shares of the same design (:func:`analysis.survey.compare.
    difference`, covariance included). Age: the Rao–Scott test of the indicator × age group
    table (:func:`analysis.survey.compare.chisq`, R ``svychisq``); the highest and lowest group
    are named only among groups that pass the small-number rule, since a test over all groups
    does not say which pair differs.

    Examples
    --------
    >>> from analysis.sample import generate
    >>> from analysis.survey.calibration import wave_design
    >>> from analysis.survey.indicators import NTU_OTRYGG_KVALL
    >>> s = generate(kommuner=["2181"])
    >>> d = wave_design(s.survey, s.margins, kommunkod="2181", year=2025)
    >>> g = group_gaps(d, [NTU_OTRYGG_KVALL])
    >>> g[["dimension", "group_high", "verdict"]].to_dict("records")
    [{'dimension': 'kön', 'group_high': 'kvinna', 'verdict': 'skillnad'}, {'dimension': 'ålder', 'group_high': '65-84', 'verdict': 'skillnad'}]
    """
    rows = []
    for d in definitions:
        derived = add_indicators(design, [d])
        by_sex = indicator_table(design, [d], by="sex").set_index("sex")
        by_age = indicator_table(design, [d], by="age_group")
        if {"kvinna", "man"} <= set(by_sex.index):
            t = difference(derived, d.name, between="sex", first="kvinna", second="man",
                           na_rm=True).iloc[0]
            hi_g, lo_g = ("kvinna", "man") if t["estimate"] >= 0 else ("man", "kvinna")
            rows.append({"variable": d.name, "label": d.label, "dimension": "kön",
                         **_pair(by_sex, hi_g, lo_g), "difference": t["estimate"],
                         "ci_low": t["ci_low"], "ci_high": t["ci_high"], "method": t["method"],
                         "p_value": t["p_value"], "note": ""})
        shown = by_age[~by_age["suppressed"]].set_index("age_group")
        if len(shown) >= 2 and by_age["age_group"].nunique() >= 2:
            res = chisq(derived, d.name, "age_group")
            hidden = sorted(set(by_age["age_group"]) - set(shown.index))
            rows.append({"variable": d.name, "label": d.label, "dimension": "ålder",
                         **_pair(shown, shown["estimate"].idxmax(), shown["estimate"].idxmin()),
                         "difference": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "method": res.method, "p_value": res.p_value,
                         "note": ("för få svarande för att visas: " + ", ".join(hidden)) if hidden else ""})
    if not rows:
        raise DataError("the design has neither both sexes nor two age groups to compare")
    out = add_qvalues(pd.DataFrame(rows), p_col="p_value", by=["dimension"], alpha=alpha)
    out["verdict"] = np.where(out["survives"], DIFFERENCE, NO_DIFFERENCE)
    return out.drop(columns=["survives", "fdr_level"])


def _pair(table: pd.DataFrame, high, low) -> dict:
    return {"group_high": high, "estimate_high": table.at[high, "estimate"],
            "ci_low_high": table.at[high, "ci_low"], "ci_high_high": table.at[high, "ci_high"],
            "group_low": low, "estimate_low": table.at[low, "estimate"],
            "ci_low_low": table.at[low, "ci_low"], "ci_high_low": table.at[low, "ci_high"]}


def pooled_waves(designs: Sequence[SurveyDesign]) -> SurveyDesign:
    """One design of several waves, each wave weighted to half (a third, ...) of its total.

    The waves' strata stay apart (``kommunkod × year × stratum``) and each wave's calibrated
    weights are divided by the number of waves, so estimates are averages over the waves.

    Notes
    -----
    The calibrated weights are treated as fixed design weights: the variance ignores the small
    gain from calibration, so pooled intervals are, if anything, a little wide.
    """
    if len(designs) < 2:
        raise ValueError("pooling needs at least two waves")
    frames = []
    for d in designs:
        f = d._data.copy()
        f["pooled_weight"] = d.weights().to_numpy() / len(designs)
        frames.append(f[f["pooled_weight"] > 0])
    data = pd.concat(frames, ignore_index=True)
    clustered = "psu" in data and data["psu"].replace("", np.nan).notna().all()
    return SurveyDesign(data, ids="psu" if clustered else None, strata="kommunkod:year:stratum",
                        weights="pooled_weight", nest=bool(clustered))


def age_remedy(last: SurveyDesign, previous: SurveyDesign | None,
               definitions: Sequence[Indicator], *, years: tuple[int, int] | None = None,
               stable: Sequence[str] = (), merge: dict | None = None) -> pd.DataFrame:
    """Estimates for age groups the small-number rule hides, by the sound remedy at hand.

    For each age group × indicator suppressed in the last wave: (1) if the kommun-level
    indicator did not change between the two waves (``stable``), pool the two waves; (2)
    otherwise, or if pooling still leaves too few respondents, merge the group with its
    neighbour in the last wave (``merge``, default 16–24 with 25–44); (3) else say that nothing
    sound can be shown.

    Parameters
    ----------
    last, previous : SurveyDesign
        The last wave and the one before (``previous`` may be ``None``).
    definitions : sequence of Indicator
    years : (int, int), optional
        The previous and the last survey year (for the labels).
    stable : sequence of str
        Indicators whose kommun-level change between the waves was ``ingen säkerställd
        förändring`` (pooling averages over the waves, sound only when they agree).
    merge : dict, optional
        Age group → merged band (default ``{"16-24": "16-44", "25-44": "16-44"}``).

    Returns
    -------
    pandas.DataFrame
        ``age_group, variable, label, remedy`` (``pooled``, ``merged``, ``none``), ``shown_as``
        (e.g. ``16–24 år, 2023 och 2025``), ``estimate, ci_low, ci_high, n, suppressed,
        suppressed_reason`` of the remedied estimate. Empty when nothing is suppressed.
    """
    merge = merge or {"16-24": "16-44", "25-44": "16-44"}
    by_age = indicator_table(last, definitions, by="age_group")
    hidden = by_age[by_age["suppressed"]]
    cols = ["age_group", "variable", "label", "remedy", "shown_as", "estimate", "ci_low",
            "ci_high", "n", "suppressed", "suppressed_reason"]
    if hidden.empty:
        return pd.DataFrame(columns=cols)
    pooled = merged = None
    if previous is not None and set(hidden["variable"]) & set(stable):
        pooled = indicator_table(pooled_waves([last, previous]), definitions,
                                 by="age_group").set_index(["age_group", "variable"])
    if set(hidden["age_group"]) & set(merge):
        band = last._data["age_group"].map(lambda a: merge.get(a, a))
        merged = indicator_table(last.with_columns(age_band=band), definitions,
                                 by="age_band").set_index(["age_band", "variable"])
    wave_text = f"{years[0]} och {years[1]}" if years else "två omgångar"
    rows = []
    for h in hidden.itertuples():
        base = {"age_group": h.age_group, "variable": h.variable, "label": h.label}
        key = (h.age_group, h.variable)
        if pooled is not None and h.variable in stable and key in pooled.index \
                and not pooled.at[key, "suppressed"]:
            rows.append({**base, "remedy": "pooled",
                         "shown_as": f"{h.age_group.replace('-', '–')} år, {wave_text}",
                         **_remedied_values(pooled.loc[key])})
            continue
        band = merge.get(h.age_group)
        if merged is not None and band is not None and (band, h.variable) in merged.index \
                and not merged.at[(band, h.variable), "suppressed"]:
            rows.append({**base, "remedy": "merged",
                         "shown_as": f"{band.replace('-', '–')} år",
                         **_remedied_values(merged.loc[(band, h.variable)])})
            continue
        rows.append({**base, "remedy": "none", "shown_as": "", "estimate": np.nan,
                     "ci_low": np.nan, "ci_high": np.nan, "n": h.n, "suppressed": True,
                     "suppressed_reason": h.suppressed_reason})
    return pd.DataFrame(rows, columns=cols)


def _remedied_values(row: pd.Series) -> dict:
    return {k: row[k] for k in ("estimate", "ci_low", "ci_high", "n", "suppressed",
                                "suppressed_reason")}
