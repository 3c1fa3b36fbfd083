"""Design-based survey statistics with R ``survey`` semantics, for safety surveys.

Declare the design once (:class:`SurveyDesign`), then estimate by domain with ``by=``
(:mod:`.estimates`), calibrate weights to population margins (:mod:`.calibration`), build
replicate-weight designs (:mod:`.replicate`), compare domains and years (:mod:`.compare`),
fit design-based regressions (:mod:`.regression`), estimate a measure's effect on a survey
indicator (:mod:`.effects`), compute safety indicators from the item catalogue
(:mod:`.indicators`), borrow strength for
small areas (:mod:`.small_area`) and apply small-number rules (:mod:`.disclosure`).
Respondent-level rows never leave this package: every estimator returns aggregates.
"""

from .calibration import CalibrationReport, calibrate, population_totals, poststratify, rake, trim_weights
from .compare import ChisqResult, chisq, compare_years, contrast, difference
from .design import LONELY_PSU, SurveyDesign, SurveyOptions
from .disclosure import DEFAULT_RULE, DisclosureError, DisclosureRule, redact
from .effects import SurveyDidResult, survey_did
from .estimates import mean, proportion, ratio, total
from .quantiles import quantile
from .indicators import (DEFAULT_INDICATORS, NTU_OTRYGG_KVALL, OTRYGGHET_INDEX, PROBLEM_INDEX, IndexDefinition,
                         Indicator, add_indicators, indicator_table, indicators_from_catalogue)
from .regression import GlmResult, WaldTest, reg_term_test, svyglm
from .replicate import ReplicateDesign, as_replicate
from .small_area import FayHerriotResult, fay_herriot

__all__ = ["SurveyDesign", "SurveyOptions", "LONELY_PSU", "mean", "total", "proportion", "ratio",
           "quantile", "poststratify", "rake", "calibrate", "trim_weights", "population_totals",
           "CalibrationReport", "ReplicateDesign", "as_replicate", "difference", "contrast",
           "compare_years", "chisq", "ChisqResult", "Indicator", "IndexDefinition", "NTU_OTRYGG_KVALL",
           "DEFAULT_INDICATORS", "PROBLEM_INDEX", "OTRYGGHET_INDEX", "indicators_from_catalogue",
           "add_indicators", "indicator_table", "fay_herriot", "FayHerriotResult", "DisclosureRule",
           "DEFAULT_RULE", "DisclosureError", "redact", "svyglm", "GlmResult", "reg_term_test", "WaldTest",
           "survey_did", "SurveyDidResult"]
