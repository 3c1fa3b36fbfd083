"""Figures of a measure evaluation, drawn from result tables only (no statistics here).

Each function takes a tidy frame of :mod:`analysis.evaluation` (``.counterfactual``, an
event study, a synthetic-control gap or placebo table, a power table) and returns a matplotlib
Figure with Swedish labels. Nothing is set globally (no rcParams).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["plot_counterfactual", "plot_event_study", "plot_synthetic_gap", "plot_placebos",
           "plot_power", "plot_message"]

_BLUE, _GREY, _RED = "#1f4e79", "#7f7f7f", "#b03a2e"


class EvaluationFigure(Figure):
    """A Figure made without pyplot (no global state in batch runs) that shows itself in
    notebooks as PNG, whatever backend the kernel has."""

    def _repr_png_(self):
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=110)
        return buf.getvalue()


def _figure(width=8.0, height=4.2):
    fig = EvaluationFigure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _ts(periods) -> np.ndarray:
    p = pd.PeriodIndex(periods)
    return p.to_timestamp(how="start").to_numpy()


def plot_message(text: str):
    """An empty figure carrying a sentence (e.g. why a measure could not be evaluated)."""
    fig, ax = _figure(8, 1.6)
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=11)
    return fig


def plot_counterfactual(counterfactual: pd.DataFrame, *, title: str | None = None,
                        ylabel: str = "Anmälda brott per månad"):
    """Observed counts, the fitted model and the counterfactual with its band after the start.

    Examples
    --------
    >>> cf = pd.DataFrame({"period": pd.period_range("2020-01", periods=4, freq="M"),
    ...                    "observed": [5, 6, 3, 2], "fitted": [5.5, 5.5, 2.6, 2.6],
    ...                    "counterfactual": [5.5, 5.5, 5.4, 5.4], "cf_low": [5, 5, 4, 4],
    ...                    "cf_high": [6, 6, 7, 7], "post": [False, False, True, True],
    ...                    "in_fit": [True] * 4})
    >>> len(plot_counterfactual(cf).axes)
    1
    """
    if counterfactual.empty:
        return plot_message("Ingen tidsserie att visa")
    cf = counterfactual
    x = _ts(cf["period"])
    post = cf["post"].to_numpy(bool)
    fig, ax = _figure()
    ax.plot(x, cf["observed"], color=_GREY, lw=0.9, marker="o", ms=2.5, label="Anmälda brott")
    ax.plot(x, cf["fitted"], color=_BLUE, lw=1.8, label="Modell")
    if post.any():
        ax.fill_between(x[post], cf.loc[post, "cf_low"], cf.loc[post, "cf_high"], color=_RED,
                        alpha=0.15, lw=0, label="Utan åtgärden (osäkerhetsintervall)")
        ax.plot(x[post], cf.loc[post, "counterfactual"], color=_RED, lw=1.6, ls="--",
                label="Utan åtgärden (skattning)")
        ax.axvline(x[post][0], color="black", lw=0.8, ls=":")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_event_study(event: pd.DataFrame, *, title: str | None = None):
    """Rate ratios per year relative to the start (reference: the year before), with intervals."""
    fig, ax = _figure(7, 3.6)
    e = event.sort_values("rel_year")
    ax.axhline(1.0, color=_GREY, lw=0.8)
    ax.axvline(-0.5, color="black", lw=0.8, ls=":")
    yerr = np.vstack([e["estimate"] - e["ci_low"], e["ci_high"] - e["estimate"]])
    ax.errorbar(e["rel_year"], e["estimate"], yerr=yerr, fmt="o", color=_BLUE, capsize=3)
    ax.set_yscale("log")
    ax.set_xlabel("År i förhållande till åtgärdens start (−1 = referensår)")
    ax.set_ylabel("Kvot mot jämförelsekommuner")
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_synthetic_gap(gap: pd.DataFrame, *, title: str | None = None,
                       ylabel: str = "Anmälda brott per 100 000 invånare och år"):
    """Observed rate and the synthetic control's rate over time."""
    fig, ax = _figure()
    t = gap["time"]
    x = _ts(t) if isinstance(t.iloc[0], pd.Period) else t.to_numpy()
    ax.plot(x, gap["observed"], color=_BLUE, lw=1.8, label="Kommunen")
    ax.plot(x, gap["synthetic"], color=_RED, lw=1.6, ls="--", label="Syntetisk kontroll")
    post = gap["post"].to_numpy(bool)
    if post.any():
        ax.axvline(x[post][0], color="black", lw=0.8, ls=":")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_placebos(placebo: pd.DataFrame, *, title: str | None = None):
    """Post/pre RMSPE ratios of the treated unit (first row) among its placebos."""
    fig, ax = _figure(7, 3.6)
    r = placebo["ratio"].to_numpy(float)
    ax.hist(r[1:], bins=min(30, max(5, len(r) // 3)), color=_GREY, alpha=0.7,
            label="Placebokommuner")
    ax.axvline(r[0], color=_RED, lw=2, label="Kommunen med åtgärden")
    ax.set_xlabel("Förhållande mellan avvikelse efter och före start (RMSPE)")
    ax.set_ylabel("Antal kommuner")
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_power(table: pd.DataFrame, *, target: float = 0.8, title: str | None = None):
    """Power against the size of the reduction, one line per follow-up length.

    Examples
    --------
    >>> t = pd.DataFrame({"followup_months": [12, 12], "reduction_pct": [10.0, 50.0],
    ...                   "power": [0.1, 0.9]})
    >>> len(plot_power(t).axes)
    1
    """
    fig, ax = _figure(7, 3.8)
    for L, g in table.groupby("followup_months"):
        g = g.sort_values("reduction_pct")
        ax.plot(g["reduction_pct"], 100 * g["power"], marker="o", ms=3,
                label=f"{int(L)} månaders uppföljning")
    ax.axhline(100 * target, color=_GREY, lw=0.8, ls="--")
    ax.set_xlabel("Verklig minskning (%)")
    ax.set_ylabel("Sannolikhet att upptäcka (%)")
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig
