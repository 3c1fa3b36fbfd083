"""Crime-count statistics: rates, period comparisons, trends, joinpoints, seasonality, funnels.

Everything starts from one :class:`~analysis.crime.panel.MonthlyPanel` (counts and person-years
per series and month, :mod:`.panel`) and one batched count-GLM core (:mod:`.glm`, shared with
:mod:`analysis.evaluation`). :mod:`.rates` gives rates with exact Poisson intervals,
:mod:`.compare` period and area comparisons, :mod:`.trends` and :mod:`.joinpoints` trends,
:mod:`.seasonal` the seasonal terms and profile, :mod:`.funnel` peer comparison and ranks;
:func:`bra_rate` (from :mod:`analysis.io.bra_rates`) reproduces Brå's published rates.
Significance is decided here (``verdict`` columns, :mod:`analysis.verdicts`); the report layer
only words it. Methods and the simulations that chose the defaults: ``docs/crime-statistics.md``.
"""

from ..io.bra_rates import bra_rate, conventions_for
from .compare import METHODS, compare_areas, compare_periods, poisson_exact
from .funnel import (FunnelResult, count_limits, funnel_data, overdispersion, poisson_limits,
                     ratio_to_expected)
from .joinpoints import JoinpointResult, joinpoints
from .panel import LEVELS, MonthlyPanel, as_panel, monthly_panel
from .rates import PERIODS, crime_rates, garwood_ci
from .seasonal import MONTH_NAMES, seasonal_terms, seasonality_profile
from .trends import SE_METHODS, TrendResult, trend

__all__ = ["MonthlyPanel", "monthly_panel", "as_panel", "LEVELS", "crime_rates", "garwood_ci",
           "PERIODS", "compare_periods", "compare_areas", "poisson_exact", "METHODS", "trend",
           "TrendResult", "SE_METHODS", "joinpoints", "JoinpointResult", "seasonal_terms",
           "seasonality_profile", "MONTH_NAMES", "funnel_data", "FunnelResult", "overdispersion",
           "poisson_limits", "ratio_to_expected", "count_limits", "bra_rate", "conventions_for"]
