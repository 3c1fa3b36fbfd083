"""Figures for report drafts, drawn from result tables only (no statistics here).

Every function takes a tidy result table (estimates and intervals already computed by the
statistics layer), returns a :class:`~.figure_base.ReportFigure` sized for an A4 page (16 cm
wide) with Swedish labels and Swedish number formatting, a footer with the source (and the
sample-data label on synthetic data) and an alt text, and changes no global state: styles are
applied with :func:`matplotlib.rc_context` and figures are not registered with pyplot.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker
from matplotlib.figure import Figure

from .figure_base import (FULL_WIDTH_CM, ReportFigure, _finish, _label_axis, _new_figure,
                          _nice_ticks, report_style, save_png)
from .text import SUPPRESSED, dash_ranges, format_number, format_percent

__all__ = ["ReportFigure", "report_style", "time_series", "funnel_plot", "bar_ci",
           "indicator_by_group", "save_png", "FULL_WIDTH_CM", "CRIME_SOURCE", "SURVEY_SOURCE",
           "comparison_label"]

_CM = 1 / 2.54
_LINESTYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P")

_DEFAULT_LABEL = {"rate": "Anmälda brott per 100\u00a0000 invånare", "percent": "Andel",
                  "number": "Antal"}
_SUPPRESSED_NOTE = f"{SUPPRESSED} = redovisas inte (för få svar eller fall)"

#: Source lines of the lägesbild's figures.
CRIME_SOURCE = "Brå, anmälda brott efter brottsplatskommun; SCB, folkmängd 31 december"
SURVEY_SOURCE = "Kommunens trygghetsundersökning, viktade andelar"


def comparison_label(comparison: str) -> str:
    """Legend entry of a funnel's centre line: whose level it is.

    Examples
    --------
    >>> comparison_label("riket"), comparison_label("liknande")
    ('Riket', 'Jämförelsegruppens nivå')
    """
    labels = {"riket": "Riket", "lan": "Länets nivå", "liknande": "Jämförelsegruppens nivå"}
    if comparison not in labels:
        raise ValueError(f"comparison must be one of {sorted(labels)}, got {comparison!r}")
    return labels[comparison]


def _fmt(value, kind: str) -> str:
    return format_percent(value) if kind == "percent" else format_number(value)


def _check_columns(table: pd.DataFrame, *cols) -> None:
    missing = [c for c in cols if c is not None and c not in table.columns]
    if missing:
        raise KeyError(f"columns {missing} not in the table; it has {list(table.columns)}")


def _nonnegative(table: pd.DataFrame, *cols) -> bool:
    values = pd.concat([table[c] for c in cols if c is not None])
    return bool((values.dropna() >= 0).all())


def _suppressed_mask(table: pd.DataFrame, suppressed: str | None) -> pd.Series:
    if suppressed is None or suppressed not in table:
        return pd.Series(False, index=table.index)
    return table[suppressed].fillna(False).astype(bool)


def _x_values(series: pd.Series):
    """Periods, dates, 'YYYY-MM' strings or whole years → plottable values and the x kind."""
    if isinstance(series.dtype, pd.PeriodDtype):
        return series.dt.to_timestamp(), "date"
    if pd.api.types.is_datetime64_any_dtype(series):
        return series, "date"
    if pd.api.types.is_numeric_dtype(series):
        return series, ("year" if (series.dropna() % 1 == 0).all() else "number")
    return pd.to_datetime(series.astype(str), format="mixed"), "date"


def time_series(table: pd.DataFrame, *, x: str = "period", y: str = "estimate",
                ci_low: str | None = "ci_low", ci_high: str | None = "ci_high",
                group: str | None = None, kind: str = "rate", title: str | None = None,
                ylabel: str | None = None, highlight: str | None = None,
                break_at=None, break_label: str = "Tidsseriebrott",
                height_cm: float = 8.0, source: str | None = None, synthetic: bool = False,
                alt: str | None = None) -> Figure:
    """A time series with its confidence band, one line per group.

    Parameters
    ----------
    table : DataFrame
        One row per (group, time point) with ``x``, ``y`` and optionally the interval columns.
    x : str
        Time column: ``Period[M]``, dates, ``YYYY-MM`` strings or whole years.
    group : str, optional
        Column with line labels (e.g. "Sandviken", "Gävleborgs län", "Riket").
    kind : {"rate", "percent", "number"}
        Unit of ``y``; percent takes proportions.
    highlight : str, optional
        Group drawn thicker (the kommun).
    break_at : optional
        Position of a series break (e.g. ``pd.Period("2015-01", "M")``), drawn as a dashed
        vertical line: kommun series before and after 2015 are not comparable.
    source : str, optional
        The source line under the figure ("Brå, anmälda brott; SCB, folkmängd").
    synthetic : bool
        Print the sample-data label on the figure (data from ``lagesbild sample``).
    alt : str, optional
        What the figure shows, in a sentence: the alt text of HTML and DOCX (default: title).

    Returns
    -------
    Figure

    Examples
    --------
    >>> t = pd.DataFrame({"period": pd.period_range("2023-01", periods=24, freq="M"),
    ...                   "estimate": range(100, 124), "ci_low": range(90, 114),
    ...                   "ci_high": range(110, 134)})
    >>> fig = time_series(t, title="Anmälda brott")
    >>> type(fig).__name__, len(fig.axes)
    ('ReportFigure', 1)
    """
    _check_columns(table, x, y, ci_low, ci_high, group)
    if kind not in _DEFAULT_LABEL:
        raise ValueError(f"kind must be one of {sorted(_DEFAULT_LABEL)}, got {kind!r}")
    with mpl.rc_context(report_style()):
        fig = _new_figure(height_cm)
        ax = fig.add_subplot()
        groups = [(None, table)] if group is None else list(table.groupby(group, sort=False))
        palette = sns.color_palette("colorblind", max(len(groups), 1))
        xkind = "date"
        for i, (name, part) in enumerate(groups):
            part = part.sort_values(x)
            xs, xkind = _x_values(part[x])
            lw = 2.6 if (highlight is not None and name == highlight) else 1.6
            ax.plot(xs, part[y], color=palette[i], lw=lw, ls=_LINESTYLES[i % 4],
                    marker=_MARKERS[i % 6] if len(part) <= 24 else None, ms=3.5,
                    label=None if name is None else str(name))
            if ci_low and ci_high:
                ax.fill_between(xs, part[ci_low], part[ci_high], color=palette[i], alpha=0.18,
                                lw=0)
        _label_axis(ax.xaxis, xkind)
        _label_axis(ax.yaxis, kind)
        if _nonnegative(table, y, ci_low, ci_high):  # levels start at zero; changes do not
            ax.set_ylim(bottom=0)
        if break_at is not None:
            bx = (pd.Period(break_at).to_timestamp() if isinstance(break_at, (pd.Period, str))
                  and xkind == "date" else break_at)
            ax.axvline(bx, color="0.35", ls="--", lw=1)
            ax.annotate(break_label, (bx, 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -3), textcoords="offset points", va="top", fontsize="small",
                        color="0.25")
        ax.set_ylabel(ylabel or _DEFAULT_LABEL[kind])
        ax.set_xlabel({"year": "År", "date": "Månad"}.get(xkind, ""))
        if title:
            ax.set_title(title)
        if group is not None:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if alt is None:
            alt = _series_alt(table, x=x, y=y, group=group, kind=kind, highlight=highlight,
                              what=title or ylabel or _DEFAULT_LABEL[kind])
        return _finish(fig, source=source, synthetic=synthetic, alt=alt)


def _series_alt(table, *, x, y, group, kind, highlight, what) -> str:
    """"<what>: linjediagram 2015–2025 för A, B och C; A från 1 234 till 987."""
    order = table.sort_values(x)
    first, last = order[x].iloc[0], order[x].iloc[-1]
    names = [] if group is None else [str(g) for g in dict.fromkeys(table[group])]
    text = f"{what}: linjediagram {first}–{last}"
    if names:
        text += " för " + (", ".join(names[:-1]) + " och " + names[-1] if len(names) > 1
                           else names[0])
    main = order if group is None else order[order[group] == (highlight or names[0])]
    if len(main):
        who = f"{highlight or names[0]} " if names else ""
        text += (f"; {who}från {_fmt(main[y].iloc[0], kind)} till {_fmt(main[y].iloc[-1], kind)}")
    return text + "."


def funnel_plot(points: pd.DataFrame, *, limits: pd.DataFrame, x: str = "population",
                y: str = "rate", label: str = "kommun", highlight: str | None = None,
                peers=(), target: float | None = None, limit_x: str | None = None,
                limit_level: str = "level", limit_lower: str = "lower",
                limit_upper: str = "upper", kind: str = "rate", title: str | None = None,
                xlabel: str = "Folkmängd", ylabel: str | None = None, log_x: bool = True,
                target_label: str = "Jämförelsegruppens nivå",
                others_label: str = "Övriga kommuner", height_cm: float = 10.0,
                source: str | None = None, synthetic: bool = False,
                alt: str | None = None) -> Figure:
    """A funnel plot: every kommun's rate against its size, with control limits.

    Parameters
    ----------
    points : DataFrame
        One row per kommun with ``x`` (size), ``y`` (rate) and ``label``.
    limits : DataFrame
        Tidy control limits computed by the statistics layer: one row per (size, level) with
        ``limit_x`` (defaults to ``x``), ``limit_level`` (e.g. 0.95, 0.998), ``limit_lower``
        and ``limit_upper``.
    highlight : str, optional
        Label of the kommun the report is about (drawn large, black-edged, and named).
    peers : sequence of str
        Labels of similar kommuner, drawn darker than the rest.
    target : float, optional
        The reference rate the limits are drawn around, as a horizontal line.
    target_label : str
        Its legend entry: say which level it is ("Riket" only when it is riket's; for a
        group of similar kommuner it is the group's level, not riket's).
    others_label : str
        Legend entry of the other points (e.g. "Kommuner i jämförelsegruppen").
    source : str, optional
        The source line under the figure ("Brå, anmälda brott; SCB, folkmängd").
    synthetic : bool
        Print the sample-data label on the figure (data from ``lagesbild sample``).
    alt : str, optional
        What the figure shows, in a sentence: the alt text of HTML and DOCX (default: title).

    Returns
    -------
    Figure

    Examples
    --------
    >>> pts = pd.DataFrame({"kommun": ["A", "B", "C"], "population": [3e3, 2e4, 1.5e5],
    ...                     "rate": [900.0, 1300.0, 1100.0]})
    >>> n = np.geomspace(2e3, 2e5, 20)
    >>> lim = pd.concat([pd.DataFrame({"population": n, "level": lv,
    ...                                "lower": 1000 - z * np.sqrt(1e5 * 1000 / n),
    ...                                "upper": 1000 + z * np.sqrt(1e5 * 1000 / n)})
    ...                  for lv, z in ((0.95, 1.96), (0.998, 3.09))])
    >>> fig = funnel_plot(pts, limits=lim, highlight="B", target=1000)
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['B']
    """
    limit_x = limit_x or x
    _check_columns(points, x, y, label)
    _check_columns(limits, limit_x, limit_level, limit_lower, limit_upper)
    with mpl.rc_context(report_style()):
        fig = _new_figure(height_cm)
        ax = fig.add_subplot()
        peers = set(peers)
        role = np.where(points[label] == highlight, "highlight",
                        np.where(points[label].isin(peers), "peer", "other"))
        others = points[role == "other"]
        ax.scatter(others[x], others[y], s=12, color="0.65", lw=0, label=others_label)
        if peers:
            p = points[role == "peer"]
            ax.scatter(p[x], p[y], s=22, color=sns.color_palette("colorblind")[0], lw=0,
                       label="Liknande kommuner")
        styles = iter([("--", "0.2"), (":", "0.2"), ("-.", "0.4")])
        for level, lim in limits.groupby(limit_level, sort=True):
            ls, col = next(styles, ("-", "0.5"))
            lim = lim.sort_values(limit_x)
            name = format_percent(level, decimals=1 if round(level * 100) != level * 100 else 0)
            ax.plot(lim[limit_x], lim[limit_lower], ls=ls, color=col, lw=1,
                    label=f"{name}-gräns")
            ax.plot(lim[limit_x], lim[limit_upper], ls=ls, color=col, lw=1)
        if target is not None:
            ax.axhline(target, color="0.1", lw=1.2, label=target_label)
        if highlight is not None:
            h = points[role == "highlight"]
            if h.empty:
                raise ValueError(f"highlight {highlight!r} is not among the points' {label!r}")
            ax.scatter(h[x], h[y], s=70, color=sns.color_palette("colorblind")[3],
                       edgecolor="black", lw=1.2, zorder=5, label=str(highlight))
            ax.annotate(str(highlight), (h[x].iloc[0], h[y].iloc[0]), xytext=(8, 0),
                        textcoords="offset points", fontweight="bold", va="center")
            low, high = ax.get_ylim()
            ax.set_ylim(low, max(high, float(h[y].iloc[0]) + 0.08 * (high - low)))
        if log_x:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        _label_axis(ax.xaxis, "number")
        xs = pd.concat([points[x], limits[limit_x]]).astype(float)
        xs = xs[np.isfinite(xs) & ((xs > 0) if log_x else True)]
        ax.set_xlim(xs.min() / 1.1 if log_x else xs.min(), xs.max() * 1.1 if log_x else xs.max())
        ax.xaxis.set_major_locator(ticker.FixedLocator(_nice_ticks(*ax.get_xlim(), log=log_x)))
        _label_axis(ax.yaxis, kind)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel or _DEFAULT_LABEL[kind])
        if title:
            ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if alt is None:
            alt = f"{title or 'Trattdiagram'}: {len(points)} kommuners nivå mot folkmängd"
            if target is not None:
                alt += f", med gränser kring {target_label.lower()} {_fmt(target, kind)}"
            if highlight is not None:
                alt += f"; {highlight} {_fmt(h[y].iloc[0], kind)}"
            alt += "."
        return _finish(fig, source=source, synthetic=synthetic, alt=alt)


def _interval_plot(table, *, category, y, ci_low, ci_high, group, kind, suppressed, title,
                   xlabel, bars: bool, reference, reference_label, height_cm, source, synthetic,
                   alt) -> Figure:
    _check_columns(table, category, y, ci_low, ci_high, group)
    cats = list(dict.fromkeys(table[category]))
    groups = [None] if group is None else list(dict.fromkeys(table[group]))
    hidden = _suppressed_mask(table, suppressed)
    with mpl.rc_context(report_style()):
        height = height_cm or 2.8 + 0.5 * len(cats) * len(groups)
        fig = _new_figure(height)
        ax = fig.add_subplot()
        palette = sns.color_palette("colorblind", len(groups))
        step = 0.8 / len(groups)
        any_hidden = False
        for gi, g in enumerate(groups):
            part = table if g is None else table[table[group] == g]
            for _, row in part.iterrows():
                pos = cats.index(row[category]) - 0.4 + step * (gi + 0.5)
                if hidden[row.name]:
                    # The value is never drawn, only the symbol: a bar would leak the number.
                    ax.text(0, pos, f" {SUPPRESSED}", va="center", ha="left", fontweight="bold")
                    any_hidden = True
                    continue
                est = row[y]
                err = None
                if ci_low and ci_high and pd.notna(row[ci_low]) and pd.notna(row[ci_high]):
                    err = [[est - row[ci_low]], [row[ci_high] - est]]
                lab = None if g is None else str(g)
                if bars:
                    ax.barh(pos, est, height=step * 0.9, color=palette[gi], xerr=err,
                            error_kw={"ecolor": "0.15", "capsize": 2.5, "lw": 1}, label=lab)
                else:
                    ax.errorbar(est, pos, xerr=err, fmt=_MARKERS[gi % 6], color=palette[gi],
                                ecolor=palette[gi], capsize=2.5, ms=5, lw=1.3, label=lab)
        ax.set_yticks(range(len(cats)), [dash_ranges(c) for c in cats])
        ax.set_ylim(len(cats) - 0.5, -0.5)
        ax.grid(axis="y", visible=False)
        _label_axis(ax.xaxis, kind)
        if _nonnegative(table[~hidden], y, ci_low, ci_high):
            ax.set_xlim(left=0)
        else:
            ax.axvline(0, color="0.2", lw=0.8)
        if reference is not None:
            ax.axvline(reference, color="0.2", ls="--", lw=1, label=reference_label)
        ax.set_xlabel(xlabel or _DEFAULT_LABEL[kind])
        ax.set_ylabel("")
        if title:
            ax.set_title(title)
        handles, labels = ax.get_legend_handles_labels()
        if labels:
            uniq = dict(zip(labels, handles))
            ax.legend(uniq.values(), uniq.keys(), loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if alt is None:
            shown = table[~hidden]
            parts = [f"{dash_ranges(r[category])}"
                     + (f" ({r[group]})" if group is not None else "")
                     + f" {_fmt(r[y], kind)}" for _, r in shown.iterrows()]
            alt = (f"{title or xlabel or _DEFAULT_LABEL[kind]}: " + "; ".join(parts)
                   + (f"; {int(hidden.sum())} redovisas inte" if any_hidden else "") + ".")
        return _finish(fig, note=_SUPPRESSED_NOTE if any_hidden else None, source=source,
                       synthetic=synthetic, alt=alt)


def bar_ci(table: pd.DataFrame, *, category: str, y: str = "estimate",
           ci_low: str | None = "ci_low", ci_high: str | None = "ci_high",
           group: str | None = None, kind: str = "rate", suppressed: str | None = "suppressed",
           title: str | None = None, xlabel: str | None = None,
           height_cm: float | None = None, source: str | None = None, synthetic: bool = False,
           alt: str | None = None) -> Figure:
    """Horizontal bars with confidence intervals (e.g. rate per crime type, kommun vs län).

    Parameters
    ----------
    table : DataFrame
        One row per (category, group) with ``y`` and the interval columns.
    category : str
        Column with the bar labels (long Swedish names read best on the vertical axis).
    group : str, optional
        Column for side-by-side bars (e.g. "Kommunen", "Länet", "Riket").
    suppressed : str or None
        Boolean column; suppressed rows show only the symbol ``x``, never a bar.
    source : str, optional
        The source line under the figure ("Brå, anmälda brott; SCB, folkmängd").
    synthetic : bool
        Print the sample-data label on the figure (data from ``lagesbild sample``).
    alt : str, optional
        What the figure shows, in a sentence: the alt text of HTML and DOCX (default: title).

    Returns
    -------
    Figure

    Examples
    --------
    >>> t = pd.DataFrame({"crime_type": ["Bilbrott", "Cykelstöld"], "estimate": [310.0, 540.0],
    ...                   "ci_low": [280.0, 500.0], "ci_high": [340.0, 580.0]})
    >>> fig = bar_ci(t, category="crime_type")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Bilbrott', 'Cykelstöld']
    """
    return _interval_plot(table, category=category, y=y, ci_low=ci_low, ci_high=ci_high,
                          group=group, kind=kind, suppressed=suppressed, title=title,
                          xlabel=xlabel, bars=True, reference=None, reference_label=None,
                          height_cm=height_cm, source=source, synthetic=synthetic, alt=alt)


def indicator_by_group(table: pd.DataFrame, *, group: str, y: str = "estimate",
                       ci_low: str | None = "ci_low", ci_high: str | None = "ci_high",
                       hue: str | None = None, kind: str = "percent",
                       suppressed: str | None = "suppressed", reference: float | None = None,
                       reference_label: str = "Kommunen totalt", title: str | None = None,
                       xlabel: str | None = None, height_cm: float | None = None,
                       source: str | None = None, synthetic: bool = False,
                       alt: str | None = None) -> Figure:
    """A survey indicator by group (area, sex, age) as points with intervals.

    Suppressed cells are marked ``x`` with a footnote; their values are not drawn.

    Parameters
    ----------
    table : DataFrame
        Estimate-contract rows: ``group`` column, ``y``, ``ci_low``, ``ci_high``,
        ``suppressed``.
    hue : str, optional
        Second grouping shown as differently marked points (e.g. sex within area).
    reference : float, optional
        A reference value (e.g. the kommun total) drawn as a dashed vertical line.
    source : str, optional
        The source line under the figure ("Brå, anmälda brott; SCB, folkmängd").
    synthetic : bool
        Print the sample-data label on the figure (data from ``lagesbild sample``).
    alt : str, optional
        What the figure shows, in a sentence: the alt text of HTML and DOCX (default: title).

    Returns
    -------
    Figure

    Examples
    --------
    >>> t = pd.DataFrame({"area": ["Centrum", "Norr", "Söder"], "estimate": [0.21, 0.5, 0.3],
    ...                   "ci_low": [0.17, 0.3, 0.25], "ci_high": [0.25, 0.7, 0.35],
    ...                   "suppressed": [False, True, False]})
    >>> fig = indicator_by_group(t, group="area", reference=0.26)
    >>> sorted(t.get_text().strip() for t in fig.axes[0].texts)
    ['x']
    """
    return _interval_plot(table, category=group, y=y, ci_low=ci_low, ci_high=ci_high,
                          group=hue, kind=kind, suppressed=suppressed, title=title,
                          xlabel=xlabel, bars=False, reference=reference,
                          reference_label=reference_label, height_cm=height_cm, source=source,
                          synthetic=synthetic, alt=alt)
