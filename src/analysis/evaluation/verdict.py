"""The verdict on a measure, as data: effect, interval, method, adequacy checks and caveats.

:func:`evaluate_measure` runs the default interrupted time series (placebo-calibrated over donor
kommuner without the measure), a controlled ITS against comparison kommuner and a synthetic
control, checks what can be checked (pre-trends, pre-period fit, a placebo start in the
pre-period) and collects caveats (regression to the mean, displacement to the rest of the län,
reporting propensity). The report layer words the verdict; it never decides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..cache import shared_artifact
from ..municipalities import lan_of, municipalities
from ..schemas import ESTIMATE_COLUMNS
from ..verdicts import DECREASE, EVALUATION_VERDICTS, INCREASE, NO_CHANGE
from ._inputs import (MeasureSpec, donor_frame, measure_spec, resolve_inputs,
                      same_measure_kommuner, treated_series)
from ._series import build_panel, monthly_series_by_kommun, type_rows
from .did import ControlledITSResult, controlled_its
from .its import ITSResult, fit_its
from .power import PowerResult, power_analysis
from .synthetic_control import SyntheticControlResult, synthetic_control_crimes

__all__ = ["Verdict", "MeasureEvaluation", "evaluate_measure", "measure_power", "shared_power",
           "VERDICTS"]

#: Verdict words (Swedish, as the reports print them); "ej bedömbar" = no crime outcome.
VERDICTS = EVALUATION_VERDICTS

#: A change seen by the default ITS is declared only if the synthetic control does not contradict
#: it: same direction, and placebo p at most this, i.e. the kommun's post/pre RMSPE ratio is at
#: least the median of its placebo kommuner (see ``evaluate_measure``, Notes).
CONFIRM_P = 0.5

#: A synthetic control whose pre-period root mean squared gap exceeds this share of the
#: kommun's mean level did not track the kommun: it is shown as not reliable and takes no
#: part in the verdict (neither confirms nor vetoes).
SC_MAX_PRE_MISFIT = 0.15

#: The controlled ITS is reliable only if its event-study pre-trend test does not reject.
PRETREND_ALPHA = 0.05

#: Words in a measure's description that signal more police or guard presence, which raises
#: the share of crimes that are discovered and reported.
_DETECTION_WORDS = ("polis", "kamera", "ordningsvakt", "tillsyn", "insats", "bevakning",
                    "ingripande", "spaning")


@dataclass(frozen=True)
class Verdict:
    """What the statistics say about one measure (no wording beyond the verdict word).

    ``verdict`` is the decision the report prints; ``its_verdict`` what the default ITS
    interval alone says (they differ only when the synthetic control does not confirm a change:
    then ``verdict`` is "ingen säkerställd förändring" with the caveat ``designs_disagree``).
    ``checks`` is a frame ``check, value, threshold, passed, note``; ``caveats`` a frame
    ``code, message`` (English message; codes: ``regression_to_the_mean``,
    ``displacement``, ``reporting_propensity``, ``unreliable_interval``, ``pretrend``,
    ``placebo_in_time``, ``designs_disagree``, ``unconfirmed``, ``short_followup``,
    ``preliminary``, ``measure_ended``, ``volatile_treated``).
    """

    measure_id: str
    kommunkod: str
    crime_types: tuple[str, ...]
    method: str
    rate_ratio: float
    ci_low: float
    ci_high: float
    ci_level: float
    p_value: float
    prevented: float
    prevented_ci: tuple[float, float]
    verdict: str
    reliable: bool
    checks: pd.DataFrame
    caveats: pd.DataFrame
    its_verdict: str = ""

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{k: getattr(self, k) for k in (
            "measure_id", "kommunkod", "method", "rate_ratio", "ci_low", "ci_high", "ci_level",
            "p_value", "prevented", "verdict", "its_verdict", "reliable")}])


@dataclass(frozen=True)
class MeasureEvaluation:
    """Everything :func:`evaluate_measure` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per method and quantity (estimate contract + ``p_value, role, reliable``);
        ``role`` is ``primary`` for the default method.
    counterfactual : pandas.DataFrame
        The default ITS's ``period, observed, fitted, counterfactual, cf_low, cf_high, post,
        in_fit`` (empty if not evaluable).
    verdict : Verdict or None
    its, controlled, synthetic : results of the three designs (None if not run or failed)
    measure : MeasureSpec
    notes : tuple of str
        Why a design was not run.
    """

    table: pd.DataFrame
    counterfactual: pd.DataFrame
    verdict: Verdict | None
    measure: MeasureSpec
    its: ITSResult | None = field(default=None, repr=False)
    controlled: ControlledITSResult | None = field(default=None, repr=False)
    synthetic: SyntheticControlResult | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    synthetic_data: bool | None = None

    @property
    def evaluable(self) -> bool:
        return self.verdict is not None

    def summary(self) -> str:
        m = self.measure
        head = f"{m.measure_id} {m.name} ({m.kommunkod}), start {m.start}"
        if not self.evaluable:
            return head + "\n  not evaluable: " + "; ".join(self.notes)
        v = self.verdict
        lines = [head, f"  outcome: {', '.join(m.crime_types)}",
                 f"  verdict: {v.verdict} (rate ratio {v.rate_ratio:.2f}, {v.ci_level:.0%} CI "
                 f"{v.ci_low:.2f}-{v.ci_high:.2f}, p = {v.p_value:.2g}, {v.method})"
                 + ("" if v.reliable else " [interval not reliable]")
                 + (f" [the ITS alone: {v.its_verdict}]" if v.its_verdict not in ("", v.verdict)
                    else "")]
        for _, c in v.caveats.iterrows():
            lines.append(f"  caveat {c['code']}: {c['message']}")
        return "\n".join(lines)


def evaluate_measure(data, measure_id: str, *, phase_in_months: int = 0,
                     transition_months: int = 0, controlled: bool = True,
                     synthetic: bool = True, n_comparisons: int = 5,
                     ci_level: float = 0.95, confirm: bool = True) -> MeasureEvaluation:
    """Evaluate one measure of the registry against its target crime types.

    Parameters
    ----------
    data : path, dataset or mapping
        A data directory (read with ``analysis.io.load_dataset``), a loaded dataset or the
        sample (anything with ``crimes``, ``population``, ``measures``), or a dict of frames.
    measure_id : str
        Id in the measures registry.
    phase_in_months, transition_months : int
        Passed to :func:`~analysis.evaluation.its.fit_its` (a gradual start; months
        left out right after the start).
    controlled, synthetic : bool
        Also run the controlled ITS against suggested comparison kommuner and the synthetic
        control (secondary results and checks).
    confirm : bool, default True
        Declare a change ("minskning"/"ökning") only when the synthetic control does not
        contradict the ITS: its ratio on the same side of 1 and placebo p <= ``CONFIRM_P``
        (0.5: the kommun at least as unusual as the median placebo kommun). Without a
        synthetic control (``synthetic=False``, it could not be fitted, or its pre-period
        misfit exceeds ``SC_MAX_PRE_MISFIT`` so it neither confirms nor vetoes) the ITS
        decides alone, with the caveat ``unconfirmed``. ``confirm=False`` gives the ITS-alone verdict.

    Returns
    -------
    MeasureEvaluation

    Notes
    -----
    The primary result is the default ITS: quasi-Poisson with log-population offset, trend,
    Fourier seasonality and level change, interval calibrated by placebo-in-space over the 19
    donor kommuner nearest in size (kommuner with a measure on the same crime types are never
    donors). This is the method that held 93-97 % coverage in the
    simulation (docs/measure-evaluation.md); when it cannot be applied (fewer than 19 donors,
    short pre-period) the verdict is marked not reliable and no change is declared.

    The verdict word asks two designs with different assumptions not to contradict each
    other: the ITS assumes the kommun's own trend would have continued, the synthetic control
    that a weighted mix of similar kommuner tracks it. Both must reject for a change to be
    declared (an intersection-union test, so its level stays at most 5 %). In 100 re-drawn
    copies of the sample (``benchmarks/evaluation_sample_seeds.py``) this cut false
    "ökning"/"minskning" verdicts on the four planted null measures from 5.5 % (ITS alone) to
    2.8 %, while the share of the six planted effects declared fell from 51.7 % to 45.7 %;
    demanding synthetic-control p <= 0.10 instead would give 0.8 % and 33.3 %.
    A synthetic control whose pre-period misfit exceeds ``SC_MAX_PRE_MISFIT`` takes no part
    (it cannot veto what it never tracked); the ITS then decides alone, flagged
    ``unconfirmed``. In 10 re-drawn samples (seeds 1-10) this gave false "ökning"/"minskning"
    verdicts on 3 of 40 planted nulls (7.5 %, all flagged unconfirmed; the ITS alone: 7.5 %)
    and declared 45.0 % of the planted effects (ITS alone: 46.7 %): the nulls the ITS
    misjudges are the small series whose synthetic control does not fit. The power and
    MDE of :func:`measure_power` are those of the ITS test, so a slight overstatement for the
    verdict.

    Examples
    --------
    Six kommuner give only five donors, too few for a calibrated 95 % interval, so the verdict
    is flagged and no change is declared (with the full sample it is a reduction):

    >>> from analysis.sample import generate
    >>> world = generate(kommuner=["2181", "2180", "2182", "2183", "2184", "2101"])
    >>> ev = evaluate_measure(world, "M2181-01", controlled=False, synthetic=False)
    >>> ev.verdict.verdict, ev.verdict.reliable, round(ev.verdict.rate_ratio, 2)
    ('ingen säkerställd förändring', False, 0.7)
    """
    inputs = resolve_inputs(data)
    spec = measure_spec(inputs.measures, measure_id)
    if not spec.crime_types:
        return _not_evaluable(spec, "the measure has no target crime types (its survey indicators "
                              "are followed up with analysis.survey)", inputs)
    # every step below reads only the target crime types: select their rows once
    inputs = replace(inputs, crimes=type_rows(inputs.crimes, spec.crime_types))
    series = treated_series(inputs, spec)
    exclude = same_measure_kommuner(inputs.measures, spec)
    panel = build_panel(inputs.crimes, inputs.population, crime_types=spec.crime_types)
    donors = donor_frame(inputs, spec, exclude=exclude, panel=panel)
    its = fit_its(series, start=spec.start, end=spec.end, donors=donors, population="exposure",
                  phase_in_months=phase_in_months, transition_months=transition_months,
                  ci_level=ci_level)
    notes: list[str] = []
    ctl = syn = None
    if controlled:
        try:
            ctl = controlled_its(inputs.crimes, inputs.population, kommunkod=spec.kommunkod,
                                 crime_types=spec.crime_types, start=spec.start, end=spec.end,
                                 n_comparisons=n_comparisons, exclude=exclude, ci_level=ci_level,
                                 panel=panel)
        except (ValueError, np.linalg.LinAlgError) as err:
            notes.append(f"controlled ITS not run: {err}")
    if synthetic:
        try:
            syn = synthetic_control_crimes(inputs.crimes, inputs.population,
                                           kommunkod=spec.kommunkod, crime_types=spec.crime_types,
                                           start=spec.start, end=spec.end, exclude=exclude,
                                           panel=panel)
        except ValueError as err:
            notes.append(f"synthetic control not run: {err}")
    verdict = _verdict(spec, inputs, series, its, ctl, syn, ci_level, confirm)
    return MeasureEvaluation(_table(its, ctl, syn), its.counterfactual, verdict, spec, its, ctl,
                             syn, tuple(notes), inputs.synthetic)


def measure_power(data, measure_id: str, **kwargs) -> PowerResult:
    """:func:`~analysis.evaluation.power.power_analysis` on the history before a measure."""
    inputs = resolve_inputs(data)
    spec = measure_spec(inputs.measures, measure_id)
    if not spec.crime_types:
        raise ValueError(f"{measure_id} has no target crime types to compute power for")
    kwargs.setdefault("population", "exposure")
    inputs = replace(inputs, crimes=type_rows(inputs.crimes, spec.crime_types))
    return power_analysis(treated_series(inputs, spec), start=spec.start, **kwargs)


#: The files of a data folder the power of a measure depends on (the registry by any name).
_POWER_FILES = ("crimes.csv", "population.csv", "measures.csv", "measures.yaml", "measures.yml")


def shared_power(data, measure_id: str, *, cache_dir=None, **kwargs) -> PowerResult:
    """:func:`measure_power` computed once per batch and read by every process that asks.

    Goes through :func:`analysis.cache.shared_artifact` (``"measure_power"``), keyed by the
    measure id and every keyword argument, with the data folder's crimes, population and
    measures registry as its data files: a changed file is a new entry. The batch runner's
    worker computes it on a spare core while an evaluation draft reads its data and
    evaluates the measure (:func:`analysis.report.context.preload`); the draft then reads
    the value (or waits for it on the entry's lock) instead of simulating again. Whoever
    computes it, the value every caller gets is the one read back from the entry, the same
    numbers as :func:`measure_power` (the entry stores frames with their dtypes and floats
    exactly).

    Parameters
    ----------
    data : Dataset, str or Path
        A loaded data folder (:func:`analysis.evaluation.load_measure_data`, anything with a
        ``path``) or the folder itself. Frames without a folder (a mapping, a generated
        world) are simply computed.
    measure_id : str
        Id in the measures registry.
    cache_dir : path or None
        The batch's ``shared_cache_dir``; ``None`` (a notebook run on its own) computes.
    **kwargs
        As :func:`measure_power` (``n_sim``, ``followup_months`` ...): numbers, text or
        sequences of them, since they are part of the entry's key.

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> import tempfile
    >>> from analysis.sample import write_sample
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_sample(folder, kommuner=["2181", "2180", "2182"])
    >>> cache = tempfile.mkdtemp()
    >>> a = shared_power(folder, "M2181-01", n_sim=50, cache_dir=cache)  # computed, stored
    >>> b = shared_power(folder, "M2181-01", n_sim=50, cache_dir=cache)  # read
    >>> a.table.equals(b.table), a.parameters == b.parameters
    (True, True)
    >>> a.table.equals(measure_power(folder, "M2181-01", n_sim=50).table)
    True
    """
    def compute() -> PowerResult:
        return measure_power(data, measure_id, **kwargs)

    root = Path(data) if isinstance(data, (str, Path)) else getattr(data, "path", None)
    if cache_dir is None or root is None:
        return compute()
    files = [Path(root) / n for n in _POWER_FILES if (Path(root) / n).is_file()]
    return shared_artifact("measure_power", compute, cache_dir=cache_dir, data_files=files,
                           key={"measure_id": str(measure_id), "arguments": kwargs},
                           types=(PowerResult,))


def _not_evaluable(spec, why, inputs):
    empty = pd.DataFrame(columns=list(ESTIMATE_COLUMNS) + ["p_value", "role", "reliable"])
    cf = pd.DataFrame(columns=["period", "observed", "fitted", "counterfactual", "cf_low",
                               "cf_high", "post", "in_fit"])
    return MeasureEvaluation(empty, cf, None, spec, notes=(why,), synthetic_data=inputs.synthetic)


def _table(its, ctl, syn):
    t = its.table.loc[its.table["variable"].isin(["level_change", "prevented"])].copy()
    t["variable"] = t["variable"].replace({"level_change": "rate_ratio"})
    t["role"] = "primary"
    t["reliable"] = its.reliable
    parts = [t]
    if ctl is not None:
        c = ctl.table.copy()
        c["method"] = "controlled_its_" + c["method"]
        c["role"] = "secondary"
        # the comparison design holds only if the kommun moved like its comparisons before
        c["reliable"] = (c["method"].eq("controlled_its_permutation") & c["ci_low"].notna()
                         & bool(not ctl.pretrend_p < PRETREND_ALPHA))
        parts.append(c)
    if syn is not None:
        s = syn.table.loc[syn.table["variable"] == "ratio"].copy()
        s["variable"] = "rate_ratio"
        s["role"] = "secondary"
        # reliable only when its own checks pass: enough placebos AND a pre-period fit
        # within the limit (the same check the verdict shows)
        s["reliable"] = (len(syn.placebo) - 1 >= 19) and _synthetic_fits(syn)
        parts.append(s)
    out = pd.concat(parts, ignore_index=True)
    out["variable"] = out["variable"].astype("str")
    return out


def _synthetic_pre_misfit(syn) -> float:
    """Root mean squared pre-period gap of a synthetic control relative to the mean level."""
    pre_mean = syn.gap.loc[~syn.gap["post"], "observed"].mean()
    return float(syn.rmspe_pre / pre_mean) if pre_mean > 0 else np.inf


def _synthetic_fits(syn) -> bool:
    """Did the synthetic control track the kommun before the start (misfit <= SC_MAX_PRE_MISFIT)?"""
    return bool(_synthetic_pre_misfit(syn) <= SC_MAX_PRE_MISFIT)


def _verdict(spec, inputs, series, its, ctl, syn, ci_level, confirm=True) -> Verdict:
    row = its.table.set_index("variable")
    lvl, prev = row.loc["level_change"], row.loc["prevented"]
    checks, caveats = [], []
    reliable = its.reliable
    for note in its.reliability_notes:
        caveats.append(("unreliable_interval", note))
    if ctl is not None:
        checks.append(("pretrend_vs_comparisons_p", ctl.pretrend_p, PRETREND_ALPHA,
                       bool(not ctl.pretrend_p < PRETREND_ALPHA),
                       "event-study test that the kommun moved like its comparisons before"))
        if ctl.pretrend_p < PRETREND_ALPHA:
            caveats.append(("pretrend", "before the start the kommun did not move in parallel "
                            "with its comparison kommuner (event-study test p < 0.05)"))
    if syn is not None:
        rel = _synthetic_pre_misfit(syn)
        checks.append(("synthetic_pre_rmspe_relative", rel, SC_MAX_PRE_MISFIT,
                       bool(rel <= SC_MAX_PRE_MISFIT),
                       "pre-period misfit of the synthetic control relative to the mean rate"))
    caveats += _volatility(its)
    pit = _placebo_in_time(series, spec, its)
    if pit is not None:
        checks.append(("placebo_in_time_p", pit, 0.05, bool(pit >= 0.05),
                       "a fake start 12 months early finds no change (t test, AR(1)-noise SE)"))
        if pit < 0.05:
            caveats.append(("placebo_in_time", "a fake start 12 months before the real one "
                            "already shows a change: trend or seasonality may be misspecified"))
    est, lo, hi, p = float(lvl["estimate"]), float(lvl["ci_low"]), float(lvl["ci_high"]), float(lvl["p_value"])
    if not reliable or not np.isfinite(lo):
        its_word = NO_CHANGE
    elif hi < 1:
        its_word = DECREASE
    elif lo > 1:
        its_word = INCREASE
    else:
        its_word = NO_CHANGE
    word = its_word
    if its_word in (DECREASE, INCREASE) and confirm:
        if syn is None:
            caveats.append(("unconfirmed", "no synthetic control could be run, so the change rests "
                            "on the kommun's own trend alone"))
        elif not _synthetic_fits(syn):
            # a control that did not track the kommun before the start says nothing about
            # after it: it can neither confirm nor veto the ITS
            caveats.append(("unconfirmed", "the synthetic control did not track the kommun "
                            f"before the start (misfit {_synthetic_pre_misfit(syn):.0%} of the "
                            f"level, limit {SC_MAX_PRE_MISFIT:.0%}), so it can neither confirm "
                            "nor contradict the change; it rests on the kommun's own trend "
                            "alone"))
        else:
            r_sc = float(syn.table.set_index("variable").at["ratio", "estimate"])
            same_side = (r_sc < 1) == (est < 1) and r_sc != 1
            if not (syn.p_value <= CONFIRM_P and same_side):
                word = NO_CHANGE
                caveats.append(("designs_disagree", f"the kommun's own trend indicates {its_word} "
                                f"(rate ratio {est:.2f}, CI {lo:.2f}-{hi:.2f}) but the synthetic "
                                f"control does not support it (ratio {r_sc:.2f}, placebo p = "
                                f"{syn.p_value:.2f}: nothing unusual next to similar kommuner), "
                                "so no change is declared"))
    caveats += _rtm(series, spec)
    caveats += _displacement(inputs, spec, ci_level)
    caveats += _reporting(spec, inputs, series, its)
    chk = pd.DataFrame(checks, columns=["check", "value", "threshold", "passed", "note"])
    cav = pd.DataFrame(caveats, columns=["code", "message"]).drop_duplicates("code", ignore_index=True)
    return Verdict(spec.measure_id, spec.kommunkod, spec.crime_types, str(lvl["method"]), est, lo,
                   hi, ci_level, p, float(prev["estimate"]),
                   (float(prev["ci_low"]), float(prev["ci_high"])), word, bool(reliable), chk, cav,
                   its_word)


def _volatility(its):
    """Caveat when the treated kommun wanders more than every placebo donor (issue 15)."""
    vol = its.volatility
    if vol is None or not vol.out_of_line:
        return []
    return [("volatile_treated", f"the kommun's monthly rate wanders more than any of its "
             f"{vol.n_units - 1} placebo comparison kommuner, so the placebo calibration of the "
             f"interval is not assured; the interval was widened {vol.widening:.2f} times to the "
             "kommun's own autocorrelation and may still be too narrow")]


def _placebo_in_time(series, spec, its):
    pre = series.loc[pd.PeriodIndex(series["period"], freq="M") < spec.start]
    if len(pre) < 36:
        return None
    fake = spec.start - 12
    r = fit_its(pre, start=fake, se="ar", inference="t", population="exposure")
    return float(r.table.set_index("variable").at["level_change", "p_value"])


def _rtm(series, spec):
    """Flag a start right after an unusual 12 months (regression to the mean)."""
    per = pd.PeriodIndex(series["period"], freq="M")
    y = series["count"].to_numpy(float)
    last = (per < spec.start) & (per >= spec.start - 12)
    earlier = per < spec.start - 12
    if earlier.sum() < 12 or last.sum() < 12:
        return []
    a, b = y[earlier].mean(), y[last].mean()
    if a <= 0 or b <= 0:
        return []
    # dispersion of 12-month means around the earlier level, from the earlier months themselves
    disp = max(float(np.var(y[earlier], ddof=1) / a), 1.0)
    z = np.log(b / a) / np.sqrt(disp * (1 / (a * earlier.sum()) + 1 / (b * 12)))
    if z > 1.64 and b / a > 1.15:
        return [("regression_to_the_mean", f"the 12 months before the start were {100 * (b / a - 1):.0f} % "
                 "above the earlier level: part of a later fall may be a return to normal")]
    if z < -1.64 and b / a < 0.87:
        return [("regression_to_the_mean", f"the 12 months before the start were {100 * (1 - b / a):.0f} % "
                 "below the earlier level: part of a later rise may be a return to normal")]
    return []


def _displacement(inputs, spec, ci_level):
    """Did the rest of the län (same crime types) rise when the measure started?"""
    lan = lan_of(spec.kommunkod)[0]
    reg = municipalities()
    others = [c for c in reg.loc[reg["lanskod"] == lan, "kommunkod"] if c != spec.kommunkod]
    crimes = inputs.crimes.loc[inputs.crimes["kommunkod"].isin(others)]
    if crimes.empty:
        return []
    # a kommun without complete data is simply left out
    parts = list(monthly_series_by_kommun(crimes, inputs.population,
                                          kommuner=sorted(crimes["kommunkod"].unique()),
                                          crime_types=spec.crime_types).values())
    if not parts:
        return []
    agg = pd.concat(parts).groupby("period", as_index=False)[["count", "exposure"]].sum()
    try:
        r = fit_its(agg, start=spec.start, end=spec.end, se="ar", inference="t", ci_level=ci_level,
                    population="exposure")
    except ValueError:
        return []
    row = r.table.set_index("variable").loc["level_change"]
    if row["ci_low"] > 1:
        return [("displacement", f"the rest of the län rose by {100 * (row['estimate'] - 1):.0f} % "
                 f"(CI {row['ci_low']:.2f}-{row['ci_high']:.2f}) when the measure started: crime "
                 "may have moved to neighbouring kommuner")]
    return []


def _reporting(spec, inputs, series, its):
    out = []
    text = (spec.name + " " + spec.description).lower()
    if "Narkotikabrott" in spec.crime_types or any(w in text for w in _DETECTION_WORDS):
        out.append(("reporting_propensity", "the measure adds police, guard or camera presence, "
                    "or targets crimes found by police activity: reported crime can rise because "
                    "more is discovered, not because more happens"))
    post = its.counterfactual.loc[its.counterfactual["post"] & its.counterfactual["in_fit"]]
    if len(post) < 12:
        out.append(("short_followup", f"only {len(post)} months of follow-up"))
    if spec.end is not None:
        out.append(("measure_ended", f"the measure ended {spec.end}; the follow-up stops there"))
    crimes = inputs.crimes
    if "status" in crimes:
        sub = crimes.loc[(crimes["kommunkod"] == spec.kommunkod)
                         & crimes["crime_type"].isin(spec.crime_types)]
        prelim = sub.loc[sub["status"] == "preliminär", "period"]
        if len(prelim):
            out.append(("preliminary", f"months from {prelim.min()} are preliminary statistics"))
    return out
