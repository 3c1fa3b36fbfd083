"""Evaluating measures: did crime change when a measure started, and could we even tell?

Interrupted time series (:mod:`.its`), difference-in-differences and controlled ITS
(:mod:`.did`), synthetic control (:mod:`.synthetic_control`), power and minimum detectable effect
(:mod:`.power`), and the verdict as data (:mod:`.verdict`, entry point :func:`evaluate_measure`);
:mod:`.indicators` describes a measure's survey indicators wave by wave.
:mod:`.simulation` holds the coverage study that chose the defaults; the figures are drawn by
:mod:`analysis.report.evaluation_figures`. Methods, defaults and their evidence: ``docs/measure-evaluation.md``.
"""

from ._inputs import load_measure_data
from .did import ControlledITSResult, DiDResult, controlled_its, did_2x2, suggest_comparisons
from .indicators import indicator_effects, indicator_followup, shared_indicators
from .its import ITSResult, fit_its, its_design
from .power import PowerResult, power_analysis
from .synthetic_control import (SyntheticControlResult, synthetic_control,
                                synthetic_control_crimes)
from .verdict import (VERDICTS, MeasureEvaluation, Verdict, evaluate_measure, measure_power,
                      shared_power)

__all__ = ["fit_its", "its_design", "ITSResult", "did_2x2", "DiDResult", "controlled_its",
           "ControlledITSResult", "suggest_comparisons", "synthetic_control",
           "synthetic_control_crimes", "SyntheticControlResult", "power_analysis", "PowerResult",
           "evaluate_measure", "measure_power", "shared_power", "MeasureEvaluation", "Verdict",
           "VERDICTS",
           "indicator_followup", "indicator_effects", "shared_indicators", "load_measure_data"]
