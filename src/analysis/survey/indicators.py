"""Safety indicators as configurable definitions on the item catalogue (NTU-style).

An :class:`Indicator` turns one item's answer codes into 0/1 (``values`` count as 1, codes in
``missing_values`` such as 9 "vet ej" leave the respondent out). An :class:`IndexDefinition`
is a transparent weighted mean of item scores (a problem index, an otrygghet index). Both are
added to a design as derived variables (:func:`add_indicators`) and estimated by domain with
the ordinary estimators (:func:`indicator_table`). The item catalogue is the ``items`` kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, ProblemCollector
from ..schemas import parse_codes
from .design import _as_list
from .disclosure import DEFAULT_RULE, DisclosureRule
from .estimates import mean, proportion

__all__ = ["Indicator", "IndexDefinition", "NTU_OTRYGG_KVALL", "WORRY_INDICATORS",
           "PROBLEM_INDICATORS", "DEFAULT_INDICATORS", "PROBLEM_INDEX", "OTRYGGHET_INDEX",
           "indicators_from_catalogue", "add_indicators", "indicator_table"]


def _item_codes(data: pd.DataFrame, item: str) -> pd.Series:
    if item not in data.columns:
        raise DataError(f"item '{item}' is not in the survey")
    values = pd.to_numeric(data[item], errors="coerce")
    bad = values.isna() & data[item].notna()
    if bad.any():
        raise DataError(f"item '{item}' has non-numeric answer codes (e.g. {data[item][bad].iloc[0]!r})")
    return values


@dataclass(frozen=True)
class Indicator:
    """A 0/1 indicator from one survey item.

    Attributes
    ----------
    name : str
        Name of the derived variable (e.g. ``"otrygg_kvall_andel"``).
    item : str
        Item column in the survey frame.
    values : tuple of int
        Answer codes that count as 1.
    missing_values : tuple of int
        Codes that leave the respondent out of the base ("vet ej", 9).
    valid_values : tuple of int, optional
        All codes the item can take; other codes raise :class:`~analysis.errors.DataError`.
    label : str
        Swedish wording for reports.
    group : str
        Family: ``otrygghet``, ``oro``, ``problem``, ``utsatthet``.

    Examples
    --------
    >>> d = pd.DataFrame({"otrygg_kvall": [1, 3, 5, 6, 9, None]})
    >>> NTU_OTRYGG_KVALL.compute(d).tolist()
    [0.0, 1.0, 1.0, 0.0, nan, nan]
    """

    name: str
    item: str
    values: tuple
    missing_values: tuple = (9,)
    valid_values: tuple | None = None
    label: str = ""
    group: str = ""

    def compute(self, data: pd.DataFrame) -> pd.Series:
        codes = _item_codes(data, self.item)
        if self.valid_values is not None:
            allowed = set(self.valid_values) | set(self.missing_values)
            bad = codes.notna() & ~codes.isin(allowed)
            if bad.any():
                pc = ProblemCollector()
                for i in np.flatnonzero(bad.to_numpy())[:20]:
                    pc.add("answer code not in the item's scale", row=int(i) + 2, column=self.item,
                           value=codes.iloc[i], expected=f"one of {sorted(allowed)}")
                pc.raise_if_any()
        out = codes.isin(self.values).astype(float)
        out[codes.isna() | codes.isin(self.missing_values)] = np.nan
        return out.rename(self.name)


#: NTU's "otrygg vid utevistelse sen kväll i området": mycket or ganska otrygg (3, 4) or does not
#: go out because of insecurity (5). Code 6 (does not go out for other reasons) stays in the base
#: as not unsafe; 9 (vet ej) is left out.
NTU_OTRYGG_KVALL = Indicator(
    "otrygg_kvall_andel", "otrygg_kvall", (3, 4, 5), (9,), (1, 2, 3, 4, 5, 6),
    "Otrygg vid utevistelse sen kväll i området (mycket/ganska otrygg eller avstår)", "otrygghet")

WORRY_INDICATORS = tuple(
    Indicator(f"{item}_andel", item, (3, 4), (9,), (1, 2, 3, 4), label, "oro")
    for item, label in [
        ("oro_brottslighet", "Oroar sig i ganska/mycket hög grad för brottsligheten i samhället"),
        ("oro_narstaende", "Oroar sig i ganska/mycket hög grad för att närstående ska drabbas av brott"),
        ("oro_inbrott", "Ganska/mycket orolig för bostadsinbrott"),
        ("oro_misshandel", "Ganska/mycket orolig för överfall eller misshandel")])

PROBLEM_INDICATORS = tuple(
    Indicator(f"{item}_andel", item, (3, 4), (9,), (1, 2, 3, 4), label, "problem")
    for item, label in [
        ("problem_trafik", "Trafiken ett ganska/mycket stort problem i bostadsområdet"),
        ("problem_belysning", "Dålig belysning ett ganska/mycket stort problem"),
        ("problem_narkotika", "Narkotikaförsäljning/-missbruk ett ganska/mycket stort problem"),
        ("problem_ungdomsgang", "Ungdomsgäng som bråkar och stör ett ganska/mycket stort problem"),
        ("problem_skadegorelse", "Skadegörelse och klotter ett ganska/mycket stort problem")])

UTSATT = Indicator("utsatt_brott_andel", "utsatt_brott", (1,), (9,), (1, 2),
                   "Utsatt för brott de senaste 12 månaderna", "utsatthet")

DEFAULT_INDICATORS = (NTU_OTRYGG_KVALL,) + WORRY_INDICATORS + PROBLEM_INDICATORS + (UTSATT,)


@dataclass(frozen=True)
class IndexDefinition:
    """A transparent index: the weighted mean of item scores, per respondent.

    Each item's answer code is mapped to a score by ``scores[item]`` (codes not in the
    mapping, and missing answers, are left out); the respondent's index is the weighted mean
    of the scores of the items answered, if at least ``min_items`` were answered (otherwise
    missing). The population value is then the design-based mean of that score.

    Attributes
    ----------
    name : str
    items : tuple of str
    scores : mapping item -> mapping code -> score
    weights : mapping item -> weight, optional (default: equal weights)
    min_items : int
    label : str

    Examples
    --------
    >>> d = pd.DataFrame({"problem_trafik": [1, 4, 9], "problem_belysning": [2, 4, 9],
    ...                   "problem_narkotika": [1, 3, 9], "problem_ungdomsgang": [1, 4, 2],
    ...                   "problem_skadegorelse": [3, 4, 9]})
    >>> PROBLEM_INDEX.compute(d).round(1).tolist()
    [20.0, 93.3, nan]
    """

    name: str
    items: tuple
    scores: Mapping
    weights: Mapping | None = None
    min_items: int = 1
    label: str = ""

    def compute(self, data: pd.DataFrame) -> pd.Series:
        # long-double accumulation, as R's rowMeans, so that scores tie exactly as they do in R
        num = np.zeros(len(data), dtype=np.longdouble)
        den = np.zeros(len(data), dtype=np.longdouble)
        answered = np.zeros(len(data), dtype=int)
        for item in self.items:
            codes = _item_codes(data, item)
            mapping = self.scores[item]
            score = codes.map(lambda c: mapping.get(int(c), np.nan) if pd.notna(c) else np.nan)
            score = score.to_numpy(dtype=float)
            w = 1.0 if self.weights is None else float(self.weights[item])
            ok = ~np.isnan(score)
            num[ok] += np.longdouble(w) * score[ok]
            den[ok] += w
            answered += ok
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(answered >= self.min_items, (num / den).astype(float), np.nan)
        return pd.Series(out, index=data.index, name=self.name)


def _linear_scores(n_codes: int, top: float = 100.0) -> dict:
    return {c: (c - 1) / (n_codes - 1) * top for c in range(1, n_codes + 1)}


#: Default problem index (0 = no problems, 100 = every item a very big problem): the mean of the
#: five problem items with answers 1-4 scored 0, 33.3, 66.7, 100; "vet ej" left out; at least
#: three items answered. Polisens trygghetsmätning's own formula is not public: set your own.
PROBLEM_INDEX = IndexDefinition(
    "problemindex", tuple(i.item for i in PROBLEM_INDICATORS),
    {i.item: _linear_scores(4) for i in PROBLEM_INDICATORS}, None, 3,
    "Problemindex (0-100): medelvärde av fem problemfrågor i bostadsområdet")

#: Default otrygghet index (0 = trygg and unworried, 100 = very unsafe and very worried): the mean
#: of the evening-safety item (1-4 scored 0-100, 5 "avstår på grund av otrygghet" = 100, 6 left
#: out) and the four worry items (1-4 scored 0-100); at least three of five answered.
OTRYGGHET_INDEX = IndexDefinition(
    "otrygghetsindex", ("otrygg_kvall",) + tuple(i.item for i in WORRY_INDICATORS),
    {"otrygg_kvall": {**_linear_scores(4), 5: 100.0},
     **{i.item: _linear_scores(4) for i in WORRY_INDICATORS}}, None, 3,
    "Otrygghetsindex (0-100): kvällsotrygghet och oro för brott")


def indicators_from_catalogue(items: pd.DataFrame) -> tuple[Indicator, ...]:
    """One :class:`Indicator` per row of an item catalogue (the ``items`` kind).

    The indicator is named ``<item>_andel``; its codes come from ``indicator_values``, the
    missing codes from ``missing_values`` and the valid codes from ``scale``.

    Examples
    --------
    >>> cat = pd.DataFrame({"item": ["oro_inbrott"], "question": ["Oro för inbrott"],
    ...                     "scale": ["1=Inte alls|2=Lite|3=Ganska|4=Mycket|9=Vet ej"],
    ...                     "indicator_values": ["3|4"], "indicator": ["oro"], "missing_values": ["9"]})
    >>> indicators_from_catalogue(cat)[0].values
    (3, 4)
    """
    out = []
    for _, r in items.iterrows():
        scale = str(r.get("scale", "") or "")
        valid = tuple(int(float(p.split("=")[0])) for p in scale.split("|") if "=" in p) or None
        missing = parse_codes(r.get("missing_values"))
        if valid is not None:
            valid = tuple(v for v in valid if v not in missing)
        out.append(Indicator(f"{r['item']}_andel", str(r["item"]), parse_codes(r["indicator_values"]),
                             missing, valid, str(r.get("question", "")), str(r.get("indicator", "") or "")))
    return tuple(out)


def add_indicators(design, definitions: Iterable = DEFAULT_INDICATORS + (PROBLEM_INDEX, OTRYGGHET_INDEX)):
    """The design with each indicator/index added as a derived variable (named ``.name``).

    Items absent from the survey are skipped only if *every* item of a definition is absent;
    a partly present index raises.
    """
    data = design._data
    cols = {}
    for d in definitions:
        items = [d.item] if isinstance(d, Indicator) else list(d.items)
        present = [i for i in items if i in data.columns]
        if not present:
            continue
        cols[d.name] = d.compute(data).to_numpy()
    return design.with_columns(**cols)


def indicator_table(design, definitions: Sequence | None = None, *, by=None, method: str = "logit",
                    level: float = 0.95, df=None,
                    disclosure: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """Estimates of safety indicators (shares) and indices (means) by domain, one table.

    Indicators are estimated as the proportion of 1 with ``svyciprop`` intervals (``method``),
    indices as means with Wald intervals; respondents without a valid answer are left out.
    ``label`` and ``group`` columns carry the definitions' wording.

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> df = pd.DataFrame({"w": [1.0] * 6, "otrygg_kvall": [1, 3, 5, 2, 9, 4]})
    >>> t = indicator_table(SurveyDesign(df, weights="w"), [NTU_OTRYGG_KVALL], disclosure=None)
    >>> float(t.estimate.iloc[0])
    0.6
    """
    definitions = list(DEFAULT_INDICATORS + (PROBLEM_INDEX, OTRYGGHET_INDEX) if definitions is None else definitions)
    available = [d for d in definitions
                 if all(i in design._data.columns for i in ([d.item] if isinstance(d, Indicator) else d.items))]
    if not available:
        raise DataError("none of the indicator items is in the survey")
    derived = add_indicators(design, available)
    tables = []
    for d in available:
        if isinstance(d, Indicator):
            t = proportion(derived, d.name, by=by, method=method, level=level, df=df, na_rm=True,
                           levels=[1.0], disclosure=disclosure).drop(columns="level")
        else:
            t = mean(derived, d.name, by=by, level=level, df=df, na_rm=True, disclosure=disclosure)
        t.insert(len(_as_list(by)) + 1, "label", d.label)
        t.insert(len(_as_list(by)) + 2, "group", getattr(d, "group", "index") or "index")
        tables.append(t)
    return pd.concat(tables, ignore_index=True)


