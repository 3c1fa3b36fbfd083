"""Declare a survey design once, as R's ``svydesign()``; every estimator takes the design.

A :class:`SurveyDesign` holds the respondent rows, the sampling weights and the structure the
variance needs (strata, PSUs per stage, finite population corrections). It is immutable:
:meth:`SurveyDesign.subset` and calibration (:mod:`analysis.survey.calibration`) return new
designs that keep the full design for variance. Next in the flow:
:mod:`analysis.survey.estimates`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence
import warnings

import numpy as np
import pandas as pd

from ..errors import DataError, LagesbildWarning, ProblemCollector

__all__ = ["SurveyDesign", "SurveyOptions", "LONELY_PSU"]

#: Choices of ``SurveyOptions.lonely_psu``, as R's ``options(survey.lonely.psu=)``.
LONELY_PSU = ("fail", "remove", "adjust", "average", "certainty")


class _DesignState:
    """What the design classes share: frozen state, set once in ``_init`` and copied with
    changes by ``_derive`` (any other assignment raises: a design is declared once, as in R),
    and the respondent counts of the rows (``_data``) and weights (``_w``) every design holds."""

    __slots__ = ()
    _immutable_hint = ""

    def _init(self, **state):
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            object.__setattr__(self, "_" + key, value)
        object.__setattr__(self, "_cache", {})
        object.__setattr__(self, "_frozen", True)

    def _derive(self, **changes):
        new = object.__new__(type(self))
        state = {k[1:]: getattr(self, k) for k in self.__slots__ if k not in ("_cache", "_frozen")}
        state.update(changes)
        new._init(**state)
        return new

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable{self._immutable_hint}")

    @property
    def n_rows(self) -> int:
        """Number of respondent rows held (including rows outside a subset)."""
        return len(self._data)

    @property
    def n(self) -> int:
        """Number of respondents in the (sub)design with a non-zero weight."""
        return int(np.count_nonzero(self._w))


@dataclass(frozen=True)
class SurveyOptions:
    """Conventions R takes from global options; here they travel with the design.

    Attributes
    ----------
    lonely_psu : str
        What a stratum with a single PSU contributes to the variance, as
        ``options(survey.lonely.psu=)``: ``"fail"`` (R's default: an error naming the stratum),
        ``"remove"`` and ``"certainty"`` (no contribution), ``"adjust"`` (centred at the grand
        mean instead of the stratum mean), ``"average"`` (the average of the other strata).
    adjust_domain_lonely : bool
        Apply the lonely-PSU rule also to strata with a single PSU *inside a domain*, as
        ``options(survey.adjust.domain.lonely=)`` (R default ``False``).
    ultimate_cluster : bool
        Use only the first stage for variance even when later-stage fpc are given, as
        ``options(survey.ultimate.cluster=)`` (R default ``False``).
    """

    lonely_psu: str = "fail"
    adjust_domain_lonely: bool = False
    ultimate_cluster: bool = False

    def __post_init__(self):
        if self.lonely_psu not in LONELY_PSU:
            raise ValueError(f"lonely_psu must be one of {', '.join(LONELY_PSU)}; got {self.lonely_psu!r}")


@dataclass(frozen=True)
class _Stage:
    """Variance structure of one sampling stage (units are the PSUs of the stage)."""

    number: int
    unit: np.ndarray          # (n,) unit code of each row
    unit_stratum: np.ndarray  # (U,) stratum code of each unit
    n_units: np.ndarray       # (S,) units per stratum in the full design
    scale: np.ndarray         # (S,) (1-f) n/(n-1) (or 1-f when n = 1) times earlier-stage fractions
    f_zero: np.ndarray        # (S,) stratum fully enumerated: contributes exactly nothing
    group: np.ndarray         # (S,) parent unit at the previous stage ('average' is per parent)
    labels: tuple             # stratum labels, for messages
    units_are_rows: bool = False  # ids = ~1: unit i is row i (fast paths)


def _as_list(spec) -> list:
    if spec is None:
        return []
    if isinstance(spec, str):
        return [spec]
    return list(spec)


def _codes(data: pd.DataFrame, spec: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (and labels) of a column, or of an interaction written ``"a:b"``."""
    names = spec.split(":")
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise DataError(f"{what}: column '{missing[0]}' not found "
                        f"(columns: {', '.join(map(str, data.columns[:20]))})")
    pc = ProblemCollector()
    for c in names:
        for i in np.flatnonzero(data[c].isna().to_numpy())[:20]:
            pc.add(f"missing value in {what}", row=int(i) + 2, column=c, expected="no missing values")
    pc.raise_if_any()
    if len(names) == 1:
        codes, uniq = pd.factorize(data[names[0]], sort=True)
        return codes.astype(np.int64), np.asarray(uniq, dtype=object)
    frame = data[names].astype(str)
    joined = frame[names[0]].str.cat([frame[c] for c in names[1:]], sep=":")
    codes, uniq = pd.factorize(joined, sort=True)
    return codes.astype(np.int64), np.asarray(uniq, dtype=object)


def _combine(*codes: np.ndarray) -> np.ndarray:
    """Codes of the interaction of several code vectors (dense, order of first appearance)."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for c in codes:
        key = key * (int(c.max()) + 1 if c.size else 1) + c
    out, _ = pd.factorize(key)
    return out.astype(np.int64)


def _first_rows(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Row of the first occurrence of every code (O(n): later writes of reversed rows win)."""
    first = np.empty(n_codes, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first


def _n_pairs_by(a: np.ndarray, b: np.ndarray, n_b: int) -> np.ndarray:
    """For each value of b, the number of distinct a occurring with it."""
    key = pd.unique(a.astype(np.int64) * n_b + b)
    return np.bincount(key % n_b, minlength=n_b)


def _numeric(data: pd.DataFrame, col: str, what: str) -> np.ndarray:
    if col not in data.columns:
        raise DataError(f"{what}: column '{col}' not found")
    values = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        pc = ProblemCollector()
        for i in bad[:20]:
            pc.add(f"{what} must be a finite number", row=int(i) + 2, column=col, value=data[col].iloc[i])
        pc.raise_if_any()
    return values


class SurveyDesign(_DesignState):
    """A complex survey design with R ``survey`` semantics (``svydesign``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. The design keeps its own copy.
    ids : str or sequence of str, optional
        Cluster (PSU) column per stage, as ``ids = ~psu + ssu``. ``None`` or ``"1"``: every row
        is its own PSU (``ids = ~1``). ``"a:b"`` is the interaction of two columns.
    strata : str or sequence of str, optional
        Stratum column per stage (later stages default to the first stage's strata, as R).
    weights, probs : str, optional
        Sampling weights or inclusion probabilities (one of them). Without either, weights come
        from ``fpc`` when it gives population sizes; otherwise all weights are 1 (with a warning).
    fpc : str or sequence of str, optional
        Finite population correction per stage: population size (all values > 1) or sampling
        fraction (all values <= 1), as R's ``fpc=``.
    nest : bool
        PSU labels are only unique within strata: relabel them (R ``nest=TRUE``).
    check_strata : bool, optional
        Check that PSUs are nested in strata (default ``not nest``, as R).
    options : SurveyOptions, optional
        Lonely-PSU and multistage conventions (R's defaults when omitted).

    Notes
    -----
    Variance is by Taylor linearisation with R's ``svyrecvar``: with-replacement at the first
    stage unless fpc are given, and the full multistage formula (each stage weighted by the
    sampling fraction of the stages above) when every stage has an fpc. Subsets keep all rows
    with zero weight outside the subset, so that domain variances use the whole design.

    References
    ----------
    Lumley T (2004). Analysis of complex survey samples. *J Stat Softw* 9(8). R package
    ``survey`` 4.1-1, ``svydesign()`` and ``svyrecvar()``.

    Examples
    --------
    >>> df = pd.DataFrame({"stratum": ["a"] * 3 + ["b"] * 3, "w": [10.0] * 3 + [20.0] * 3,
    ...                    "y": [1, 0, 1, 0, 0, 1]})
    >>> d = SurveyDesign(df, strata="stratum", weights="w")
    >>> d.n_rows, d.degf
    (6, 4)
    >>> d.subset(df["stratum"] == "a").degf
    2
    """

    _immutable_hint = "; subset() and the calibration functions return new designs"
    __slots__ = ("_data", "_w", "_w_design", "_active", "_present", "_stages", "_has_strata",
                 "_cal", "_reports", "_options", "_spec", "_popsize", "_cache", "_frozen")

    def __init__(self, data: pd.DataFrame, *, ids: str | Sequence[str] | None = None,
                 strata: str | Sequence[str] | None = None, weights: str | None = None,
                 probs: str | None = None, fpc: str | Sequence[str] | None = None,
                 nest: bool = False, check_strata: bool | None = None,
                 options: SurveyOptions | None = None):
        if not isinstance(data, pd.DataFrame):
            raise TypeError("data must be a pandas DataFrame with one row per respondent")
        if len(data) == 0:
            raise DataError("the survey has no rows")
        data = data.reset_index(drop=True).copy()
        n = len(data)
        options = options or SurveyOptions()
        id_specs = [s for s in _as_list(ids) if s not in ("1", "0")]
        if not id_specs:
            id_cols = [np.arange(n, dtype=np.int64)]
        else:
            id_cols = [_codes(data, s, "ids")[0] for s in id_specs]
        strata_specs = _as_list(strata)
        has_strata = bool(strata_specs)
        strata_cols = ([_codes(data, s, "strata") for s in strata_specs] if has_strata
                       else [(np.zeros(n, dtype=np.int64), np.array(["1"], dtype=object))])
        if np.all(id_cols[0] == id_cols[0][0]) and not (nest and has_strata):
            raise DataError("Design has only one primary sampling unit")
        # later-stage clusters are the interaction with all earlier stages (R: ids[,i])
        for i in range(1, len(id_cols)):
            id_cols[i] = _combine(id_cols[i - 1], id_cols[i])
        if nest and has_strata:
            for i in range(len(id_cols)):
                upto = [strata_cols[j][0] for j in range(min(i + 1, len(strata_cols)))]
                id_cols[i] = _combine(*upto, id_cols[i])
        if check_strata is None:
            check_strata = not nest
        if check_strata and has_strata and id_specs:
            if (_n_pairs_by(strata_cols[0][0], id_cols[0], int(id_cols[0].max()) + 1) > 1).any():
                raise DataError("Clusters not nested in strata at top level; you may want nest=True.")
        stage_strata = [strata_cols[0][0]]
        for i in range(1, len(id_cols)):
            stage_strata.append(_combine(strata_cols[min(i, len(strata_cols) - 1)][0], id_cols[i - 1]))
        fpc_specs = _as_list(fpc)
        popsize = None
        sampsize = [self._count_units(stage_strata[i], id_cols[i]) for i in range(len(id_cols))]
        if fpc_specs:
            if len(fpc_specs) != len(id_cols):
                raise DataError(f"fpc given for {len(fpc_specs)} stage(s) but the design has "
                                f"{len(id_cols)}; give one fpc column per stage")
            raw = np.column_stack([_numeric(data, c, "fpc") for c in fpc_specs])
            is_pop = bool(np.any(raw > 1))
            if is_pop != bool(np.all(raw >= 1)):
                raise DataError("Must have all fpc>=1 (population sizes) or all fpc<=1 (sampling fractions)")
            ss = np.column_stack(sampsize).astype(float)
            popsize = raw if is_pop else ss / raw
            if np.any(popsize < ss):
                raise DataError("FPC implies >100% sampling in some strata")
            for i in range(popsize.shape[1]):
                codes = pd.factorize(stage_strata[i])[0]
                first = _first_rows(codes, int(codes.max()) + 1)
                if np.any(popsize[:, i] != popsize[first[codes], i]):
                    raise DataError(f"fpc varies within a stratum at stage {i + 1}; "
                                    "give one population size per stratum")
        if weights is not None and probs is not None:
            raise ValueError("Can't specify both sampling weights and probabilities")
        # R stores inclusion probabilities and recovers weights as 1/prob; doing the same keeps
        # exact ties (which decide weighted quantiles) identical to R's
        if weights is not None:
            w = _numeric(data, weights, "weights")
            with np.errstate(divide="ignore"):
                w = np.where(w > 0, 1.0 / (1.0 / w), w)
        elif probs is not None:
            w = 1.0 / _numeric(data, probs, "probs")
        elif popsize is not None:
            w = 1.0 / np.prod(1.0 / (popsize / np.column_stack(sampsize)), axis=1)
        else:
            warnings.warn("No weights or probabilities supplied, assuming equal probability",
                          LagesbildWarning, stacklevel=2)
            w = np.ones(n)
        if np.any(w <= 0):
            i = int(np.flatnonzero(w <= 0)[0])
            raise DataError(f"sampling weights must be > 0 (row {i + 2} has {w[i]})")
        stages = self._build_stages(id_cols, stage_strata, sampsize, popsize, options,
                                    tuple(str(v) for v in strata_cols[0][1]))
        spec = {"ids": id_specs or ["1"], "strata": strata_specs, "weights": weights,
                "probs": probs, "fpc": fpc_specs, "nest": nest}
        self._init(data=data, w=w, w_design=w.copy(), active=np.ones(n, bool),
                   present=np.ones(n, bool), stages=tuple(stages), has_strata=has_strata,
                   cal=None, reports=(), options=options, spec=spec, popsize=popsize)

    # ------------------------------------------------------------------ construction helpers
    @staticmethod
    def _count_units(strata: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Number of distinct units in each row's stratum (R's fpc$sampsize)."""
        codes, _ = pd.factorize(strata)
        if units[0] == 0 and units[-1] == len(units) - 1 and np.array_equal(units, np.arange(len(units))):
            per = np.bincount(codes)  # every row is its own unit
        else:
            per = _n_pairs_by(units, codes, int(codes.max()) + 1)
        return per[codes]

    @staticmethod
    def _build_stages(id_cols, stage_strata, sampsize, popsize, options, labels1):
        n_stages = len(id_cols)
        use = n_stages if (popsize is not None and not options.ultimate_cluster) else 1
        stages = []
        parent_fraction = np.ones(len(id_cols[0]))
        parent_unit = np.zeros(len(id_cols[0]), dtype=np.int64)
        for i in range(use):
            s_codes, _ = pd.factorize(stage_strata[i], sort=True)
            s_codes = s_codes.astype(np.int64)
            rows_are_units = i == 0 and np.array_equal(id_cols[0], np.arange(len(id_cols[0])))
            if rows_are_units:  # ids = ~1: every respondent is a PSU
                u_codes = np.arange(len(s_codes), dtype=np.int64)
                unit_stratum = s_codes
            else:
                u_codes = pd.factorize(id_cols[i])[0].astype(np.int64)
                unit_stratum = s_codes[_first_rows(u_codes, int(u_codes.max()) + 1)]
            S = int(s_codes.max()) + 1
            srow = _first_rows(s_codes, S)
            n_units = np.bincount(unit_stratum, minlength=S)
            if popsize is not None:
                pop = popsize[srow, i]
                f = np.where(np.isinf(pop), 1.0, (pop - n_units) / pop)
            else:
                f = np.ones(S)
            f_zero = f < 1e-7
            scale = np.where(n_units > 1, f * n_units / np.maximum(n_units - 1, 1), f)
            scale = scale * parent_fraction[srow]
            group = parent_unit[srow]
            labels = labels1 if i == 0 else tuple(f"stage-{i + 1} stratum {k}" for k in range(S))
            stages.append(_Stage(i + 1, u_codes, unit_stratum, n_units, scale, f_zero, group, labels,
                                 rows_are_units))
            if popsize is not None and i + 1 < use:
                parent_fraction = parent_fraction * (sampsize[i] / popsize[:, i])
                parent_unit = u_codes
        return stages

    # ------------------------------------------------------------------ public API
    @property
    def options(self) -> SurveyOptions:
        return self._options

    @property
    def is_calibrated(self) -> bool:
        """Whether weights were post-stratified, raked or calibrated (R ``is.calibrated``)."""
        return self._cal is not None

    @property
    def calibration(self) -> tuple:
        """Convergence reports of the calibrations applied, in order."""
        return self._reports

    @property
    def columns(self) -> list[str]:
        """Variables available to the estimators."""
        return list(self._data.columns)

    @property
    def degf(self) -> int:
        """Design degrees of freedom: PSUs minus strata among rows with weight (R ``degf``)."""
        return int(self._df_by(np.zeros(self.n_rows, dtype=np.int64), 1, np.ones(self.n_rows, bool))[0])

    def weights(self) -> pd.Series:
        """Sampling weights (after calibration; zero outside a subset)."""
        return pd.Series(np.asarray(self._w).copy(), name="weight")

    def subset(self, mask: Any) -> "SurveyDesign":
        """Restrict estimation to a domain while keeping the full design for variance.

        Parameters
        ----------
        mask : array-like of bool, callable or str
            Rows to keep: a boolean vector aligned with the data, a function of the data
            frame returning one, or a :meth:`pandas.DataFrame.eval` expression. Missing
            values count as ``False`` (as R's ``subset()``).

        Returns
        -------
        SurveyDesign
            The same design with zero weight outside the domain (R ``subset.survey.design``).
        """
        if callable(mask):
            mask = mask(self._data)
        elif isinstance(mask, str):
            mask = self._data.eval(mask)
        keep = pd.Series(mask).fillna(False).to_numpy(dtype=bool) if not isinstance(mask, np.ndarray) \
            else np.asarray(mask, dtype=bool)
        if keep.shape != (self.n_rows,):
            raise ValueError(f"subset mask has {keep.size} values; the design has {self.n_rows} rows")
        active = self._active & keep
        present = self._present if self.is_calibrated else (self._present & keep)
        return self._derive(w=np.where(active, self._w, 0.0), active=active, present=present)

    def with_columns(self, **columns) -> "SurveyDesign":
        """A design with derived respondent-level variables added (e.g. indicators)."""
        data = self._data.copy()
        for name, values in columns.items():
            values = pd.Series(values).reset_index(drop=True) if not np.isscalar(values) else values
            if not np.isscalar(values) and len(values) != self.n_rows:
                raise ValueError(f"column {name!r} has {len(values)} values; the design has {self.n_rows} rows")
            data[name] = values
        return self._derive(data=data)

    def summary(self) -> str:
        """A short description of the design, as R's ``print(design)``."""
        st = self._stages[0]
        n_psu = len(np.unique(st.unit[self._w != 0]))
        lines = [f"Survey design: {self.n} respondents with weight ({self.n_rows} rows held)",
                 f"  ids: {' + '.join(self._spec['ids'])}; strata: "
                 f"{' + '.join(self._spec['strata']) or 'none'}; fpc: {' + '.join(self._spec['fpc']) or 'none'}",
                 f"  stage-1 PSUs: {n_psu}; strata: {len(st.n_units)}; degrees of freedom: {self.degf}",
                 f"  lonely PSUs: {int(np.sum(st.n_units == 1))} stratum/strata, option '{self._options.lonely_psu}'",
                 f"  weights: sum {float(np.sum(self._w)):.6g}, min {float(np.min(self._w[self._w > 0])):.4g}, "
                 f"max {float(np.max(self._w)):.4g}"]
        for r in self._reports:
            lines.append("  " + r.summary().splitlines()[0])
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    # ------------------------------------------------------------------ estimator interface
    def _column(self, name: str) -> pd.Series:
        if name not in self._data.columns:
            raise DataError(f"variable '{name}' is not in the survey "
                            f"(columns: {', '.join(map(str, self._data.columns[:25]))})")
        return self._data[name]

    def _df_by(self, dom: np.ndarray, n_dom: int, rows: np.ndarray) -> np.ndarray:
        """R ``degf()`` of each domain design: PSUs minus strata among its weighted rows."""
        keep = rows & (dom >= 0) & (self._w != 0)
        st = self._stages[0]
        d = dom[keep]
        if st.units_are_rows:
            n_psu = np.bincount(d, minlength=n_dom)
        else:
            n_psu = _n_pairs_by(st.unit[keep], d, n_dom)
        n_str = np.bincount(d + n_dom * st.unit_stratum[st.unit[keep]], minlength=n_dom * len(st.n_units))
        n_str = (n_str.reshape(-1, n_dom) > 0).sum(axis=0)
        return (n_psu - n_str).astype(float)

    def _nrow_by(self, dom: np.ndarray, n_dom: int, rows: np.ndarray) -> np.ndarray:
        """R ``nrow()`` of each domain design (all held rows once the design is calibrated)."""
        if self.is_calibrated:
            return np.full(n_dom, float(np.count_nonzero(self._present & rows)))
        keep = self._present & rows & (dom >= 0)
        return np.bincount(dom[keep], minlength=n_dom).astype(float)

    def _present_rows(self, dom: np.ndarray, rows: np.ndarray) -> np.ndarray | None:
        """Rows each domain's R design object would hold (``None``: all held rows, any domain)."""
        if self.is_calibrated:
            return None
        return self._present & rows & (dom >= 0)

    def _ratio(self, dom, n_dom, num, den, *, rows, covariance=False):
        from ._engine import ratio_taylor
        return ratio_taylor(self, dom, n_dom, num, den, rows=rows, covariance=covariance)

    @property
    def _variance_label(self) -> str:
        return "taylor"

    @classmethod
    def from_survey(cls, frame: pd.DataFrame, *, options: SurveyOptions | None = None,
                    fpc: str | None = None) -> "SurveyDesign":
        """The design of a survey frame of the data model (``docs/data-model.md``).

        Strata are ``stratum`` within ``kommunkod`` × ``year``; PSUs are ``psu`` when given
        (nested in strata), else each respondent; weights are ``design_weight``.
        """
        needed = ["kommunkod", "year", "stratum", "design_weight"]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise DataError(f"survey frame lacks design column(s) {', '.join(missing)}")
        psu = frame["psu"].replace("", np.nan) if "psu" in frame.columns else pd.Series(np.nan, index=frame.index)
        clustered = bool(psu.notna().any())
        if clustered and psu.isna().any():
            raise DataError("column 'psu' is filled for some respondents and empty for others")
        return cls(frame, ids="psu" if clustered else None, strata="kommunkod:year:stratum",
                   weights="design_weight", fpc=fpc, nest=clustered, options=options)


def domain_codes(design, by: str | Sequence[str] | None) -> tuple[np.ndarray, int, pd.DataFrame]:
    """Domain code of every row (``-1``: no domain), their number and the key table.

    Domains are the observed combinations of the ``by`` variables among rows with weight, as
    R's ``svyby`` (rows with a missing ``by`` value belong to no domain).
    """
    by = _as_list(by)
    weighted = design._w != 0
    if not by:
        return np.where(weighted, 0, -1).astype(np.int64), 1, pd.DataFrame(index=[0])
    cols = [design._column(b) for b in by]
    frame = pd.DataFrame({b: c for b, c in zip(by, cols)})
    ok = frame.notna().all(axis=1).to_numpy() & weighted
    keys = frame[ok].drop_duplicates()
    try:
        keys = keys.sort_values(by, kind="stable")
    except TypeError:
        keys = keys.astype(str).sort_values(by, kind="stable")
    keys = keys.reset_index(drop=True)
    lookup = pd.MultiIndex.from_frame(keys) if len(by) > 1 else pd.Index(keys[by[0]])
    rows_index = pd.MultiIndex.from_frame(frame) if len(by) > 1 else pd.Index(frame[by[0]])
    dom = lookup.get_indexer(rows_index).astype(np.int64)
    dom[~ok] = -1
    return dom, len(keys), keys
