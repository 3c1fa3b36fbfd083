"""Small-number rules and plain-language verdicts, as data.

Answers "may this number be shown, and did it really change?" once, in the statistics layer,
so the report layer (:mod:`analysis.report.text`) only words the category. This module is the one
verdict vocabulary: :mod:`analysis.crime`, :mod:`analysis.survey`, :mod:`analysis.evaluation` and
the report layer import the words from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_THRESHOLD", "VERDICTS", "INCREASE", "DECREASE", "NO_CHANGE", "HIGHER",
           "LOWER", "DIFFERENCE", "NO_DIFFERENCE", "NOT_ASSESSABLE", "CHANGE_VERDICTS",
           "COMPARISON_VERDICTS", "EVALUATION_VERDICTS", "SIGNIFICANT", "small_number_rule",
           "percent_change", "verdicts", "add_verdicts"]

#: Numerators below this are flagged (domain notes §4.3: no published Brå rule; ~10 is practice).
DEFAULT_THRESHOLD = 10
#: Changes over time (between periods, trends, survey waves, evaluated measures).
INCREASE, DECREASE, NO_CHANGE = "ökning", "minskning", "ingen säkerställd förändring"
#: Differences between areas (a kommun against riket, its län or its comparison group).
HIGHER, LOWER, NO_DIFFERENCE = "högre", "lägre", "ingen säkerställd skillnad"
#: A two-sided difference between survey domains (women vs men) without a direction word.
DIFFERENCE = "skillnad"
#: A measure evaluation that cannot be judged (no crime outcome, too short a series).
NOT_ASSESSABLE = "ej bedömbar"
VERDICTS = CHANGE_VERDICTS = (INCREASE, DECREASE, NO_CHANGE)
COMPARISON_VERDICTS = (HIGHER, LOWER, NO_DIFFERENCE)
EVALUATION_VERDICTS = (DECREASE, INCREASE, NO_CHANGE, NOT_ASSESSABLE)
#: The verdicts that claim something is real.
SIGNIFICANT = frozenset({INCREASE, DECREASE, HIGHER, LOWER, DIFFERENCE})


def small_number_rule(counts, *, threshold: int = DEFAULT_THRESHOLD,
                      action: str = "flag") -> pd.DataFrame:
    """Apply the small-number rule to numerators.

    Parameters
    ----------
    counts : array_like
        Numerators (reported crimes).
    threshold : int
        Counts strictly below this are small (default 10).
    action : {"flag", "suppress"}
        ``"flag"`` keeps the estimate and says why it is fragile; ``"suppress"`` marks it for
        suppression (the caller blanks the estimate; the count itself may still be shown,
        unless it is röjandekänslig, which crime counts are not).

    Returns
    -------
    pandas.DataFrame
        ``small_numbers`` (bool), ``suppressed`` (bool), ``suppressed_reason`` (str, empty when
        the count is at or above the threshold).

    Examples
    --------
    >>> small_number_rule([3, 12], threshold=10).to_dict("list")
    {'small_numbers': [True, False], 'suppressed': [False, False], 'suppressed_reason': ['färre än 10 fall (3): osäker nivå, visa antalet', '']}
    """
    if action not in ("flag", "suppress"):
        raise ValueError(f"action must be 'flag' or 'suppress', got {action!r}")
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    x = np.asarray(counts, dtype=float)
    small = ~np.isnan(x) & (x < threshold)
    verb = "undertryckt" if action == "suppress" else "osäker nivå, visa antalet"
    reason = [f"färre än {threshold} fall ({int(v)}): {verb}" if s else ""
              for v, s in zip(x, small)]
    return pd.DataFrame({"small_numbers": small, "suppressed": small & (action == "suppress"),
                         "suppressed_reason": pd.array(reason, dtype="str")})


def percent_change(x1, t1, x2, t2, *, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Percent change in the rate from period 1 to period 2, withheld for small bases.

    Never reports a percent change from a base count below ``threshold``: 3 → 5 crimes is
    "+67 %" in a headline and noise in fact. The counts stay beside it in every output.

    Parameters
    ----------
    x1, t1, x2, t2 : array_like
        Counts and exposures (person-years or any common unit) of the base and the later period.
    threshold : int
        Minimum base count for a percent change (default 10).

    Returns
    -------
    pandas.DataFrame
        ``percent_change`` (NaN when withheld) and ``percent_change_note``.

    Examples
    --------
    >>> percent_change([3, 40], [1, 1], [5, 50], [1, 1]).to_dict("list")
    {'percent_change': [nan, 25.0], 'percent_change_note': ['bas 3 < 10 fall: ange antalen (3 → 5), inte procent', '']}
    """
    x1, t1, x2, t2 = (np.asarray(a, dtype=float) for a in (x1, t1, x2, t2))
    x1, t1, x2, t2 = np.broadcast_arrays(x1, t1, x2, t2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * ((x2 / t2) / (x1 / t1) - 1.0)
    small = x1 < threshold
    pct = np.where(small | (x1 == 0), np.nan, pct)
    note = [f"bas {int(a)} < {threshold} fall: ange antalen ({int(a)} → {int(b)}), inte procent"
            if s else "" for a, b, s in zip(x1.ravel(), x2.ravel(), small.ravel())]
    return pd.DataFrame({"percent_change": pct.ravel(),
                         "percent_change_note": pd.array(note, dtype="str")})


def verdicts(ci_low, ci_high, *, null: float = 1.0) -> np.ndarray:
    """Verdict category from a confidence interval for a ratio (``null=1``) or a change (``0``).

    ``ökning`` if the whole interval lies above ``null``, ``minskning`` if below, otherwise
    ``ingen säkerställd förändring`` (also when the interval is missing).

    Examples
    --------
    >>> verdicts([1.1, 0.5, 0.9], [1.5, 0.8, 1.2]).tolist()
    ['ökning', 'minskning', 'ingen säkerställd förändring']
    """
    lo = np.asarray(ci_low, dtype=float)
    hi = np.asarray(ci_high, dtype=float)
    out = np.full(lo.shape, NO_CHANGE, dtype=object)
    out[np.nan_to_num(lo, nan=-np.inf) > null] = INCREASE
    out[np.nan_to_num(hi, nan=np.inf) < null] = DECREASE
    return out


def add_verdicts(df: pd.DataFrame, *, null: float = 1.0, alpha: float = 0.05,
                 by=None) -> pd.DataFrame:
    """Add ``verdict``, BH ``q_value``/``survives`` and the FDR-aware ``verdict_fdr``.

    Parameters
    ----------
    df : pandas.DataFrame
        Needs ``ci_low``, ``ci_high`` and ``p_value`` (the default test of the row); an optional
        boolean ``reliable`` column turns unreliable rows into ``ingen säkerställd förändring``.
    null : float
        1 for rate ratios, 0 for percent changes.
    alpha : float
        FDR level for the family (see :func:`analysis.multiplicity.add_qvalues`).
    by : list of str, optional
        Columns defining separate FDR families.

    Returns
    -------
    pandas.DataFrame
        A copy with ``verdict`` (from the row's own interval), ``q_value``, ``survives``,
        ``fdr_level``, ``n_tests`` and ``verdict_fdr`` (the verdict if it survives the FDR
        correction, else ``ingen säkerställd förändring``).

    Examples
    --------
    >>> t = pd.DataFrame({"ci_low": [1.2, 0.9], "ci_high": [2.0, 1.3], "p_value": [0.001, 0.4]})
    >>> add_verdicts(t)[["verdict", "verdict_fdr"]].to_dict("list")
    {'verdict': ['ökning', 'ingen säkerställd förändring'], 'verdict_fdr': ['ökning', 'ingen säkerställd förändring']}
    """
    from .multiplicity import add_qvalues

    out = add_qvalues(df, p_col="p_value", by=by, alpha=alpha)
    v = verdicts(out["ci_low"], out["ci_high"], null=null)
    if "reliable" in out:
        v = np.where(out["reliable"].to_numpy(dtype=bool), v, NO_CHANGE)
    out["verdict"] = pd.array(v, dtype="str")
    out["verdict_fdr"] = pd.array(np.where(out["survives"].to_numpy(), v, NO_CHANGE), dtype="str")
    return out
