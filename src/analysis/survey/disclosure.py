"""Small-number and disclosure rules: which estimates may be shown, and why not.

Every estimator of :mod:`analysis.survey` passes its table through :func:`finalize`: it flags
rows resting on too few respondents (``suppressed`` with a ``suppressed_reason``), optionally
blanks them, and checks that only aggregates leave the estimation layer. Reports use
:func:`redact` before publishing; :mod:`analysis.report.text` words the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from ..schemas import ESTIMATE_COLUMNS

__all__ = ["DisclosureRule", "DEFAULT_RULE", "DisclosureError", "apply_rule", "redact",
           "assert_aggregate", "finalize", "VALUE_COLUMNS"]

#: Columns that carry the numbers of an estimate (blanked by :func:`redact`).
VALUE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "deff")

#: Respondent-level columns that must never appear in an estimator's output.
_RESPONDENT_COLUMNS = ("respondent_id", "design_weight", "weight", "psu")


class DisclosureError(DataError):
    """An output would reveal respondent-level data."""


@dataclass(frozen=True)
class DisclosureRule:
    """When an estimate is too uncertain or too revealing to show.

    Attributes
    ----------
    min_n : int
        Smallest unweighted number of respondents behind an estimate (default 50, the usual
        rule for municipal safety surveys: below it, a share's margin of error exceeds about
        ±14 percentage points).
    min_n_eff : float or None
        Smallest Kish effective sample size ``(sum w)^2 / sum w^2`` (default 30): heavily
        weighted domains carry less information than their respondent count suggests.
    blank : bool
        Also replace the numbers of suppressed rows by NaN (default ``False``: flag only, so that
        analysts see the values; use :func:`redact` before publishing).
    """

    min_n: int = 50
    min_n_eff: float | None = 30.0
    blank: bool = False

    def __post_init__(self):
        if self.min_n < 0 or (self.min_n_eff is not None and self.min_n_eff < 0):
            raise ValueError("min_n and min_n_eff must be >= 0")


DEFAULT_RULE = DisclosureRule()


def apply_rule(table: pd.DataFrame, rule: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """Set ``suppressed`` and ``suppressed_reason`` from the ``n`` and ``n_eff`` columns.

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [0.2, 0.3], "n": [120, 31], "n_eff": [95.0, 29.0]})
    >>> apply_rule(t)[["suppressed", "suppressed_reason"]]
       suppressed     suppressed_reason
    0       False
    1        True  n=31 < 50; n_eff=29.0 < 30
    """
    out = table.copy()
    rule = rule or DisclosureRule(min_n=0, min_n_eff=None)
    n = pd.to_numeric(out["n"], errors="coerce").to_numpy(dtype=float)
    n_eff = pd.to_numeric(out.get("n_eff", pd.Series(np.nan, index=out.index)),
                          errors="coerce").to_numpy(dtype=float)
    reasons = []
    for ni, ei in zip(n, n_eff):
        parts = []
        if not np.isfinite(ni) or ni < rule.min_n:
            parts.append(f"n={ni:.0f} < {rule.min_n}" if np.isfinite(ni) else "n unknown")
        if rule.min_n_eff is not None and np.isfinite(ei) and ei < rule.min_n_eff:
            parts.append(f"n_eff={ei:.1f} < {rule.min_n_eff:g}")
        reasons.append("; ".join(parts))
    out["suppressed"] = [bool(r) for r in reasons]
    out["suppressed_reason"] = pd.array(reasons, dtype="str")
    if rule.blank:
        out = redact(out)
    return out


def redact(table: pd.DataFrame) -> pd.DataFrame:
    """Blank the numbers of suppressed rows (for publication); counts stay.

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [0.2, 0.3], "se": [0.01, 0.08], "suppressed": [False, True]})
    >>> redact(t)["estimate"].tolist()
    [0.2, nan]
    """
    out = table.copy()
    hide = out["suppressed"].to_numpy(dtype=bool)
    for c in VALUE_COLUMNS:
        if c in out.columns:
            out.loc[hide, c] = np.nan
    return out


def assert_aggregate(table: pd.DataFrame, *, n_respondents: int, id_columns: Sequence[str] = ()) -> None:
    """Guard: raise :class:`DisclosureError` if ``table`` looks like respondent-level data.

    An estimator's output must have no respondent identifiers, weights or PSU labels, an
    ``n`` column counting the respondents behind each row, and fewer rows than respondents
    unless every row aggregates more than one respondent.

    Examples
    --------
    >>> micro = pd.DataFrame({"respondent_id": ["a", "b"], "estimate": [1.0, 0.0], "n": [1, 1]})
    >>> assert_aggregate(micro, n_respondents=2)
    Traceback (most recent call last):
    ...
    analysis.survey.disclosure.DisclosureError: output contains respondent-level column(s) respondent_id; estimators return aggregates only
    """
    bad = [c for c in table.columns if c in _RESPONDENT_COLUMNS or c in id_columns]
    if bad:
        raise DisclosureError(f"output contains respondent-level column(s) {', '.join(map(str, bad))}; "
                              "estimators return aggregates only")
    if "n" not in table.columns:
        raise DisclosureError("output has no 'n' column: every estimate must say how many "
                              "respondents it rests on")
    n = pd.to_numeric(table["n"], errors="coerce")
    if len(table) >= max(n_respondents, 2) and (n.fillna(0) <= 1).all():
        raise DisclosureError(f"output has {len(table)} rows of single respondents: "
                              "respondent-level rows never leave the estimation layer")


def finalize(table: pd.DataFrame, *, by: Sequence[str], extra: Sequence[str] = (),
             rule: DisclosureRule | None = DEFAULT_RULE, n_respondents: int,
             id_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Order the columns as the estimate contract, apply ``rule`` and the aggregate guard."""
    table = apply_rule(table, rule)
    cols = list(by) + ["variable"] + list(extra) + [c for c in ESTIMATE_COLUMNS if c != "variable"]
    rest = [c for c in table.columns if c not in cols]
    table = table[cols + rest].reset_index(drop=True)
    assert_aggregate(table, n_respondents=n_respondents,
                     id_columns=[c for c in id_columns if c not in by])
    return table
