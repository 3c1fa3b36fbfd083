"""Figures of a measure evaluation, drawn from result tables only (no statistics here).

Each function takes a tidy frame of :mod:`analysis.evaluation` (``.counterfactual``, an
event study, a synthetic-control gap or placebo table, a power table) and returns a
:class:`~analysis.report.figures.ReportFigure`: the lägesbild's one figure class and style,
Swedish numbers and month names on every axis, the sample-data label and a source line when
asked, and an alt text that says what the figure shows. Nothing is set globally.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import ticker

from .figure_base import (ReportFigure, _finish, _label_axis, _new_figure, _nice_ticks,
                          report_style)
from .text import format_number, format_percent

__all__ = ["plot_counterfactual", "plot_event_study", "plot_synthetic_gap", "plot_placebos",
           "plot_power", "plot_message", "EVALUATION_SOURCE"]

_BLUE, _GREY, _RED = "#1f4e79", "#7f7f7f", "#b03a2e"

#: The source line of the evaluation's crime figures.
EVALUATION_SOURCE = "Brå, anmälda brott per månad; SCB, folkmängd; egna beräkningar"


def _ts(periods) -> pd.DatetimeIndex:
    return pd.PeriodIndex(periods).to_timestamp(how="start")


def _legend(ax) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))


def plot_message(text: str, *, synthetic: bool = False) -> ReportFigure:
    """An empty figure carrying a sentence (e.g. why a measure could not be evaluated).

    Examples
    --------
    >>> plot_message("Ingen tidsserie att visa").alt_text
    'Ingen tidsserie att visa'
    """
    with mpl.rc_context(report_style()):
        fig = _new_figure(3.0)
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True)
        return _finish(fig, synthetic=synthetic, alt=text)


def plot_counterfactual(counterfactual: pd.DataFrame, *, title: str | None = None,
                        ylabel: str = "Anmälda brott per månad",
                        source: str | None = EVALUATION_SOURCE, synthetic: bool = False,
                        alt: str | None = None) -> ReportFigure:
    """Observed counts, the fitted model and the counterfactual with its band after the start.

    Examples
    --------
    >>> cf = pd.DataFrame({"period": pd.period_range("2020-01", periods=4, freq="M"),
    ...                    "observed": [5, 6, 3, 2], "fitted": [5.5, 5.5, 2.6, 2.6],
    ...                    "counterfactual": [5.5, 5.5, 5.4, 5.4], "cf_low": [5, 5, 4, 4],
    ...                    "cf_high": [6, 6, 7, 7], "post": [False, False, True, True],
    ...                    "in_fit": [True] * 4})
    >>> fig = plot_counterfactual(cf)
    >>> type(fig).__name__, fig.alt_text[:40]
    ('ReportFigure', 'Anmälda brott per månad från januari 202')
    """
    if counterfactual.empty:
        return plot_message("Ingen tidsserie att visa", synthetic=synthetic)
    cf = counterfactual
    x = _ts(cf["period"])
    post = cf["post"].to_numpy(bool)
    with mpl.rc_context(report_style()):
        fig = _new_figure(8.5)
        ax = fig.add_subplot()
        ax.plot(x, cf["observed"], color=_GREY, lw=0.9, marker="o", ms=2.5,
                label="Anmälda brott")
        ax.plot(x, cf["fitted"], color=_BLUE, lw=1.8, label="Modell")
        if post.any():
            ax.fill_between(x[post], cf.loc[post, "cf_low"], cf.loc[post, "cf_high"],
                            color=_RED, alpha=0.15, lw=0, label="Utan åtgärden, 95\u00a0% KI")
            ax.plot(x[post], cf.loc[post, "counterfactual"], color=_RED, lw=1.6, ls="--",
                    label="Utan åtgärden (förväntat)")
            ax.axvline(x[post][0], color="black", lw=0.8, ls=":")
        _label_axis(ax.xaxis, "date")
        _label_axis(ax.yaxis, "number")
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        _legend(ax)
        if title:
            ax.set_title(title)
        if alt is None:
            from .text import format_month

            p = pd.PeriodIndex(cf["period"])
            alt = (f"{ylabel} från {format_month(p.min())} till {format_month(p.max())}, med "
                   "modellens förväntade antal utan åtgärden efter starten"
                   + (f" ({format_month(p[post].min())})" if post.any() else "") + ".")
        return _finish(fig, source=source, synthetic=synthetic, alt=alt)


def _ratio_axis(axis, values) -> None:
    """A log axis for ratios with Swedish round ticks (0,5 0,75 1 1,5 2), never 10⁰."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v) & (v > 0)]
    lo, hi = float(min(v.min(), 1.0)) / 1.1, float(max(v.max(), 1.0)) * 1.1
    candidates = [0.1, 0.2, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0]
    ticks = [c for c in candidates if lo <= c <= hi]
    if len(ticks) < 3:
        ticks = _nice_ticks(lo, hi, log=True) or [1.0]
    axis.set_major_locator(ticker.FixedLocator(ticks))
    axis.set_minor_locator(ticker.NullLocator())
    axis.set_major_formatter(ticker.FuncFormatter(
        lambda x, pos=None: format_number(x, decimals=0 if x >= 10 else 2).rstrip("0").rstrip(",")))
    return lo, hi


def plot_event_study(event: pd.DataFrame, *, title: str | None = None,
                     source: str | None = EVALUATION_SOURCE, synthetic: bool = False,
                     alt: str | None = None) -> ReportFigure:
    """Rate ratios per year relative to the start (reference: the year before), with intervals.

    Examples
    --------
    >>> e = pd.DataFrame({"rel_year": [-2, -1, 0, 1], "estimate": [1.05, 1.0, 0.8, 0.7],
    ...                   "ci_low": [0.9, 1.0, 0.65, 0.55], "ci_high": [1.2, 1.0, 0.95, 0.9]})
    >>> [t.get_text() for t in plot_event_study(e).axes[0].get_yticklabels()]
    ['0,5', '0,75', '1', '1,25']
    """
    e = event.sort_values("rel_year")
    with mpl.rc_context(report_style()):
        fig = _new_figure(9.0)
        ax = fig.add_subplot()
        ax.axhline(1.0, color=_GREY, lw=0.8)
        ax.axvline(-0.5, color="black", lw=0.8, ls=":")
        yerr = np.vstack([e["estimate"] - e["ci_low"], e["ci_high"] - e["estimate"]])
        ax.errorbar(e["rel_year"], e["estimate"], yerr=yerr, fmt="o", color=_BLUE, capsize=3,
                    label="Kvot med 95\u00a0% KI")
        ax.set_yscale("log")
        lo, hi = _ratio_axis(ax.yaxis, np.r_[e["ci_low"], e["ci_high"], e["estimate"]])
        ax.set_ylim(lo, hi)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(
            lambda x, pos=None: format_number(x, sign=True) if round(x) else "0"))
        ax.set_xlabel("År i förhållande till åtgärdens start (−1 = referensåret)")
        ax.set_ylabel("Kvot mot jämförelsen")
        if title:
            ax.set_title(title)
        alt = alt or ("Kvoten mellan kommunens och jämförelsekommunernas anmälda brott år för "
                      "år före och efter åtgärdens start, med 95 % konfidensintervall; 1 betyder "
                      "samma utveckling som året före start.")
        return _finish(fig, source=source, synthetic=synthetic, alt=alt)


def plot_synthetic_gap(gap: pd.DataFrame, *, title: str | None = None,
                       ylabel: str = "Anmälda brott per 100\u00a0000 invånare och år",
                       source: str | None = EVALUATION_SOURCE, synthetic: bool = False,
                       alt: str | None = None) -> ReportFigure:
    """Observed rate and the synthetic control's rate over time.

    Examples
    --------
    >>> g = pd.DataFrame({"time": pd.period_range("2020-01", periods=3, freq="M"),
    ...                   "observed": [900.0, 950, 700], "synthetic": [910.0, 940, 930],
    ...                   "post": [False, False, True]})
    >>> len(plot_synthetic_gap(g).axes)
    1
    """
    t = gap["time"]
    x = _ts(t) if isinstance(t.iloc[0], pd.Period) else t.to_numpy()
    kind = "date" if isinstance(t.iloc[0], pd.Period) else "year"
    with mpl.rc_context(report_style()):
        fig = _new_figure(8.0)
        ax = fig.add_subplot()
        ax.plot(x, gap["observed"], color=_BLUE, lw=1.8, label="Kommunen")
        ax.plot(x, gap["synthetic"], color=_RED, lw=1.6, ls="--", label="Syntetisk kontroll")
        post = gap["post"].to_numpy(bool)
        if post.any():
            ax.axvline(x[post][0], color="black", lw=0.8, ls=":")
        _label_axis(ax.xaxis, kind)
        _label_axis(ax.yaxis, "number")
        ax.set_ylim(bottom=0)
        ax.set_ylabel(ylabel)
        _legend(ax)
        if title:
            ax.set_title(title)
        alt = alt or ("Kommunens anmälda brott per 100 000 invånare jämförda med den syntetiska "
                      "kontrollen, en vägd blandning av kommuner utan åtgärden, före och efter "
                      "start; före start ska linjerna ligga nära varandra.")
        return _finish(fig, source=source, synthetic=synthetic, alt=alt)


def plot_placebos(placebo: pd.DataFrame, *, title: str | None = None,
                  source: str | None = EVALUATION_SOURCE, synthetic: bool = False,
                  alt: str | None = None) -> ReportFigure:
    """How unusual the kommun's post/pre misfit ratio is among its placebo kommuner.

    The ratio (root mean squared gap after the start over the same before it) of the treated
    unit (first row) against the placebo kommuner's.

    Examples
    --------
    >>> p = pd.DataFrame({"ratio": [3.2, 1.1, 0.9, 1.4, 2.0, 1.2, 0.8]})
    >>> plot_placebos(p).axes[0].get_xlabel()
    'Avvikelse efter start delad med avvikelse före start'
    """
    r = placebo["ratio"].to_numpy(float)
    with mpl.rc_context(report_style()):
        fig = _new_figure(7.5)
        ax = fig.add_subplot()
        ax.hist(r[1:], bins=min(30, max(5, len(r) // 3)), color=_GREY, alpha=0.7,
                label="Kommuner utan åtgärden")
        ax.axvline(r[0], color=_RED, lw=2, label="Kommunen med åtgärden")
        _label_axis(ax.xaxis, "number")
        ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        _label_axis(ax.yaxis, "number")
        ax.set_xlabel("Avvikelse efter start delad med avvikelse före start")
        ax.set_ylabel("Antal kommuner")
        _legend(ax)
        if title:
            ax.set_title(title)
        larger = int(np.sum(r[1:] >= r[0]))
        alt = alt or (f"Histogram över {len(r) - 1} kommuner utan åtgärden: hur mycket deras "
                      "avvikelse från den egna syntetiska kontrollen växte efter startdatumet. "
                      f"Kommunen med åtgärden har kvoten {format_number(r[0], decimals=1)}; "
                      f"{larger} av de andra har minst lika stor.")
        return _finish(fig, source=source, synthetic=synthetic, alt=alt)


def plot_power(table: pd.DataFrame, *, target: float = 0.8, title: str | None = None,
               source: str | None = "Simulering från kommunens anmälda brott före start",
               synthetic: bool = False, alt: str | None = None) -> ReportFigure:
    """Power against the size of the reduction, one line per follow-up length.

    Examples
    --------
    >>> t = pd.DataFrame({"followup_months": [12, 12], "reduction_pct": [10.0, 50.0],
    ...                   "power": [0.1, 0.9]})
    >>> [t.get_text() for t in plot_power(t).axes[0].get_yticklabels()][-1]
    '100\\xa0%'
    """
    with mpl.rc_context(report_style()):
        fig = _new_figure(8.0)
        ax = fig.add_subplot()
        for i, (months, g) in enumerate(table.groupby("followup_months")):
            g = g.sort_values("reduction_pct")
            ax.plot(g["reduction_pct"] / 100, g["power"], marker="o", ms=3,
                    ls=("-", "--", ":", "-.")[i % 4], label=f"{int(months)} månaders uppföljning")
        ax.axhline(target, color=_GREY, lw=0.8, ls="--",
                   label=f"{format_percent(target)} sannolikhet")
        _label_axis(ax.xaxis, "percent")
        _label_axis(ax.yaxis, "percent")
        ax.set_xlabel("Verklig minskning av anmälda brott")
        ax.set_ylabel("Sannolikhet att upptäcka")
        ax.set_ylim(0, 1)
        ax.set_xlim(0, float(table["reduction_pct"].max()) / 100 * 1.03)
        _legend(ax)
        if title:
            ax.set_title(title)
        alt = alt or ("Sannolikheten att tidsserietestet upptäcker en minskning, mot minskningens "
                      "storlek, för olika lång uppföljning; den streckade linjen visar "
                      f"{format_percent(target)}.")
        return _finish(fig, source=source, synthetic=synthetic, alt=alt)
