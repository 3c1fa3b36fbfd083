"""The time-and-place figures: incidents by weekday and hour, drawn from result tables only.

Takes the table of :func:`analysis.crime.place.weekday_hour` (counts and verdicts already
decided) and draws it; no statistics here, no global state (styles through
:func:`matplotlib.rc_context`).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..swedish import WEEKDAY_NAMES
from ..verdicts import HIGHER
from .figure_base import _finish, _new_figure, report_style

__all__ = ["weekday_hour_heatmap", "INCIDENT_SOURCE"]

#: Source line of the incident figures.
INCIDENT_SOURCE = "kommunens egna händelserapporter"


def weekday_hour_heatmap(table: pd.DataFrame, *, title: str | None = None,
                         source: str | None = INCIDENT_SOURCE, synthetic: bool = False,
                         alt: str | None = None) -> Figure:
    """Incidents per weekday (rows) and hour (columns); peaks framed.

    Parameters
    ----------
    table : pandas.DataFrame
        ``weekday`` (0 = måndag), ``hour``, ``count`` and ``verdict`` (``högre`` marks a cell
        with significantly more incidents than an even spread; the statistics layer decided it).
    title : str, optional
    source : str, optional
        Source line under the figure.
    synthetic : bool
        Put the sample-data label under the figure.
    alt : str, optional
        Alternative text (default: a sentence naming the framed peaks).

    Returns
    -------
    Figure

    Examples
    --------
    >>> t = pd.DataFrame({"weekday": np.repeat(np.arange(7), 24), "hour": np.tile(np.arange(24), 7),
    ...                   "count": 1, "verdict": "ingen säkerställd skillnad"})
    >>> t.loc[(t.weekday == 4) & (t.hour == 23), ["count", "verdict"]] = [9, "högre"]
    >>> fig = weekday_hour_heatmap(t, title="Händelser", synthetic=True)
    >>> [x.get_text() for x in fig.axes[0].get_yticklabels()][:2], len(fig.axes[0].patches)
    (['måndag', 'tisdag'], 1)
    >>> fig.footer[0]
    'Syntetiska exempeldata – inte verklig statistik'
    """
    missing = {"weekday", "hour", "count", "verdict"} - set(table.columns)
    if missing:
        raise KeyError(f"columns {sorted(missing)} not in the table; it has {list(table.columns)}")
    grid = np.zeros((7, 24))
    grid[table["weekday"].to_numpy(int), table["hour"].to_numpy(int)] = table["count"].to_numpy(float)
    peaks = table[table["verdict"] == HIGHER]
    if alt is None:
        named = ", ".join(f"{WEEKDAY_NAMES[int(r.weekday)]} kl. {int(r.hour):02d}"
                          for r in peaks.itertuples())
        alt = ("Antal händelser per veckodag och timme. "
               + (f"Säkerställt fler än vid jämn fördelning: {named}." if named
                  else "Ingen timme har säkerställt fler händelser än vid jämn fördelning."))
    with mpl.rc_context(report_style()):
        fig = _new_figure(8.5)
        ax = fig.add_subplot()
        im = ax.imshow(grid, aspect="auto", cmap="Blues", interpolation="nearest")
        ax.set_yticks(range(7), WEEKDAY_NAMES)
        ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
        ax.set_xlabel("Timme (klockslag då händelsen började)")
        ax.grid(False)
        for r in peaks.itertuples():
            ax.add_patch(Rectangle((r.hour - 0.5, r.weekday - 0.5), 1, 1, fill=False,
                                   edgecolor="#b2182b", linewidth=1.6))
        bar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
        bar.set_label("Antal händelser")
        if title:
            ax.set_title(title)
        _finish(fig, note="Röd ram: säkerställt fler händelser än vid jämn fördelning över "
                "veckans timmar.", source=source, synthetic=synthetic, alt=alt)
    return fig
