"""The one figure class of the report drafts, its style, Swedish axes and footer.

:class:`ReportFigure` is what every figure of the lägesbild (:mod:`.figures`) and of the
evaluation draft (:mod:`.evaluation_figures`) is: it shows itself as PNG in any front end, at
its physical width, with an alt text that says what it shows. :func:`_finish` gives every
figure its footer (the sample-data label on synthetic data, the source line) and its one
layout pass. Nothing is set globally: styles are applied with :func:`matplotlib.rc_context`.
"""

from __future__ import annotations

import base64
import io
import os
import secrets
import struct
import textwrap
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.text import Text

from .. import SAMPLE_DATA_LABEL
from ..swedish import MONTH_ABBREVIATIONS
from .text import format_number, format_percent

__all__ = ["ReportFigure", "report_style", "save_png", "FULL_WIDTH_CM"]

FULL_WIDTH_CM = 16.0
_CM = 1 / 2.54

class ReportFigure(Figure):
    """A Figure that displays itself as PNG in any IPython front end.

    It does not depend on the inline backend having been activated (a figure that is never
    passed through pyplot would otherwise print as ``<Figure size ...>``), it reports a
    display width at 96 dpi so HTML and DOCX show it at its physical size, and its title
    becomes the image's alternative text.
    """

    def _png(self) -> bytes:
        # No bbox_inches="tight": the layout already fits the content, and a fixed size
        # keeps every figure of a report exactly as wide as the text column.
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=self.dpi, facecolor="white")
        return buf.getvalue()

    #: What the figure shows, in a sentence (HTML ``alt`` and the DOCX picture description);
    #: set by the figure functions' ``alt`` argument, else the title is used.
    alt_text: str | None = None
    #: The footer lines drawn under the axes (sample-data label, source, symbol notes).
    footer: tuple[str, ...] = ()

    def _display_metadata(self, png: bytes) -> dict:
        width_px = struct.unpack(">I", png[16:20])[0]
        titles = [t for ax in self.axes for t in (ax.get_title("left"), ax.get_title())
                  if t]
        return {"width": int(round(width_px / self.dpi * 96)),
                "alt": self.alt_text or (titles[0] if titles else "Figur")}

    def _repr_png_(self):
        png = self._png()
        return png, self._display_metadata(png)

    def _repr_mimebundle_(self, include=None, exclude=None):
        png = self._png()
        meta = self._display_metadata(png)
        data = {"image/png": base64.b64encode(png).decode("ascii"),
                "text/plain": f"<{type(self).__name__}: {meta['alt']}>"}
        return data, {"image/png": meta}

    def _ipython_display_(self):
        # IPython asks this first and then no formatter at all. Through the formatters, the
        # inline backend's PNG formatter (registered for every Figure) would draw the figure
        # a second time (with bbox_inches="tight") and replace this PNG, losing its width.
        # So a figure is drawn once: the PNG in the notebook is the one HTML, DOCX and the
        # PNG files take.
        from IPython.display import publish_display_data

        data, metadata = self._repr_mimebundle_()
        publish_display_data(data, metadata=metadata)


#: seaborn's ``axes_style("whitegrid")`` and ``plotting_context("paper", font_scale=1.15)``
#: (seaborn 0.13), written out: importing seaborn imports scipy.stats (about 0.8 s with
#: seaborn itself), a sixth of an evaluation draft that draws no other seaborn plot.
#: ``tests/report/test_figures.py`` checks them against seaborn's own values, and leaves out
#: only seaborn's default colour map "rocket", which exists only once seaborn is imported
#: and which no report figure uses (the one image names its map).
SEABORN_STYLE = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.facecolor": "white",
    "axes.grid": True, "axes.labelcolor": ".15", "axes.labelsize": 11.040000000000001,
    "axes.linewidth": 1.0, "axes.spines.bottom": True, "axes.spines.left": True,
    "axes.spines.right": True, "axes.spines.top": True, "axes.titlesize": 11.040000000000001,
    "figure.facecolor": "white", "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "font.size": 11.040000000000001, "grid.color": ".8", "grid.linestyle": "-",
    "grid.linewidth": 0.8, "legend.fontsize": 10.12,
    "legend.title_fontsize": 11.040000000000001, "lines.linewidth": 1.2000000000000002,
    "lines.markersize": 4.800000000000001, "lines.solid_capstyle": "round",
    "patch.edgecolor": "w", "patch.force_edgecolor": True, "patch.linewidth": 0.8,
    "text.color": ".15", "xtick.bottom": False, "xtick.color": ".15",
    "xtick.direction": "out", "xtick.labelsize": 10.12,
    "xtick.major.size": 4.800000000000001, "xtick.major.width": 1.0,
    "xtick.minor.size": 3.2, "xtick.minor.width": 0.8, "xtick.top": False,
    "ytick.color": ".15", "ytick.direction": "out", "ytick.labelsize": 10.12,
    "ytick.left": False, "ytick.major.size": 4.800000000000001, "ytick.major.width": 1.0,
    "ytick.minor.size": 3.2, "ytick.minor.width": 0.8, "ytick.right": False,
}


def report_style() -> dict:
    """The rc parameters of report figures: seaborn "whitegrid"/"paper", print-sized text.

    Returns
    -------
    dict
        Use with ``matplotlib.rc_context(report_style())``; nothing is set globally.

    Examples
    --------
    >>> style = report_style()
    >>> style["axes.grid"], style["font.family"], style["figure.dpi"]
    (True, 'DejaVu Sans', 150)
    """
    rc = dict(SEABORN_STYLE)
    rc.update({"figure.dpi": 150, "savefig.dpi": 200, "axes.unicode_minus": True,
               "axes.titleweight": "bold", "axes.titlelocation": "left",
               "legend.frameon": False, "font.family": "DejaVu Sans",
               "axes.formatter.use_locale": False, "figure.facecolor": "white",
               # labels are data (area names): "$" is a dollar sign, never mathtext that
               # could fail to parse and take the whole report down
               "text.parse_math": False})
    return rc


class _SwedishFormatter(ticker.Formatter):
    """Tick labels as ``1 234,5`` or ``12 %`` with as few decimals as the ticks need."""

    def __init__(self, kind: str):
        self.kind = kind
        self.decimals = 0

    def set_locs(self, locs):
        scale = 100.0 if self.kind == "percent" else 1.0
        values = np.asarray([v for v in locs if np.isfinite(v)]) * scale
        self.decimals = next((d for d in range(4)
                              if np.allclose(values, np.round(values, d), atol=1e-9)), 3)

    def __call__(self, x, pos=None):
        if self.kind == "percent":
            return format_percent(x, decimals=self.decimals)
        if self.kind == "year":
            return f"{int(round(x))}"
        return format_number(x, decimals=self.decimals)


class _SwedishDateFormatter(ticker.Formatter):
    _all_january = True  # every tick on a year's first month (none yet): label years only

    def set_locs(self, locs):
        self._all_january = all(mdates.num2date(v).month == 1 for v in locs)

    def __call__(self, x, pos=None):
        d = mdates.num2date(x)
        if d.month == 1 and self._all_january:
            return str(d.year)
        return f"{MONTH_ABBREVIATIONS[d.month - 1]} {d.year}"


def _new_figure(height_cm: float, width_cm: float = FULL_WIDTH_CM) -> Figure:
    return ReportFigure(figsize=(width_cm * _CM, height_cm * _CM))


_LINE_CM = 0.42  # height of one footer line at the "small" font size of the report style
_CHAR_CM = 0.2  # mean width of a character of an axis label


def _finish(fig: Figure, *, note: str | None = None, source: str | None = None,
            synthetic: bool = False, alt: str | None = None) -> Figure:
    """Footer (sample-data label, source, symbol note), alt text and the one layout pass.

    Every PNG carries what it needs when cut out of the report: the sample-data label when
    the data are synthetic, and the source line.
    """
    # Ticks are created lazily and read rcParams when created: creating the first tick of each
    # axis inside the style context fixes the style, because later ticks copy its properties.
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            axis.majorTicks[0], axis.minorTicks[0]
    lines = []
    if synthetic:
        lines.append((SAMPLE_DATA_LABEL, {"fontweight": "bold", "color": "#a31515"}))
    if source:
        lines.append((f"Källa: {source}", {"color": "0.3"}))
    if note:
        lines.append((note, {"color": "0.1"}))
    height_cm = fig.get_figheight() * 2.54
    step = _LINE_CM / height_cm
    # a vertical axis label longer than the axes is high would be cut off: wrap it
    room_chars = (height_cm * (1 - len(lines) * step) - 1.6) / _CHAR_CM
    for ax in fig.axes:
        label = ax.get_ylabel()
        if label and "\n" not in label and len(label) > room_chars:
            ax.set_ylabel(textwrap.fill(label, width=max(len(label) // 2 + 1, 8)))
    for i, (text, style) in enumerate(reversed(lines)):
        fig.text(0.01, 0.012 + i * step, text, fontsize="small", ha="left", va="bottom",
                 **style)
    fig.footer = tuple(t for t, _ in lines)
    if alt:
        fig.alt_text = " ".join(str(alt).split())
    # Laid out once, here: a layout engine would redo it at every draw (about half the cost
    # of rendering a report figure). Legends outside the axes are part of the layout.
    rect = (0, min(0.4, 0.012 + len(lines) * step + 0.01), 1, 1)
    fig.tight_layout(pad=0.5, rect=rect)
    # a left-aligned title starts at the axes, which long tick labels push right: a title
    # running past the figure's edge would be cut off, so wrap it and lay out again
    if _wrap_long_titles(fig):
        fig.tight_layout(pad=0.5, rect=rect)
    return fig


def _wrap_long_titles(fig: Figure) -> bool:
    from matplotlib.backends.backend_agg import RendererAgg  # the PNG's own renderer
    renderer = RendererAgg(fig.bbox.width, fig.bbox.height, fig.dpi)
    right = fig.bbox.width - 2
    wrapped = False
    for ax in fig.axes:
        title = ax.get_title("left")
        if not title or "\n" in title:
            continue
        art = next((c for c in ax.get_children()
                    if isinstance(c, Text) and c.get_text() == title), None)
        if art is None:
            continue
        box = art.get_window_extent(renderer)
        if box.x1 > right and box.width > 0:
            chars = max(int(len(title) * (right - box.x0) / box.width) - 1, 20)
            ax.set_title(textwrap.fill(title, width=chars), loc="left")
            wrapped = True
    return wrapped


def _nice_ticks(low: float, high: float, *, log: bool) -> list[float]:
    """Round tick values (1, 2, 5 × 10^k; finer when the range is narrow) inside the limits.

    A log axis over less than a decade would otherwise get no labelled tick at all.
    """
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        return []
    if not log:
        return list(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high))
    for subs in ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0),
                 tuple(np.arange(1.0, 10.0))):
        ticks = [m * 10.0 ** k for k in range(int(np.floor(np.log10(low))),
                                              int(np.ceil(np.log10(high))) + 1)
                 for m in subs if low <= m * 10.0 ** k <= high]
        if len(ticks) >= 3:
            return ticks
    return list(np.geomspace(low, high, 3).round(-int(np.floor(np.log10(low)))))


def _label_axis(axis, kind: str) -> None:
    if kind == "date":
        axis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
        axis.set_major_formatter(_SwedishDateFormatter())
    else:
        axis.set_major_formatter(_SwedishFormatter(kind))
        if kind == "year":
            axis.set_major_locator(ticker.MaxNLocator(integer=True))


def save_png(fig: Figure, path: str | os.PathLike, *, dpi: int = 200) -> Path:
    """Write a figure as PNG atomically: a temporary file in the same folder, then a rename.

    A crash or kill never leaves a half-written PNG under ``path``.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> fig = _finish(_new_figure(4.0), source="Brå", synthetic=True)
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> p = save_png(fig, d / "f.png")
    >>> p.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n", sorted(x.name for x in d.iterdir())
    (True, ['f.png'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".tmp-{secrets.token_hex(6)}-{path.name}"
    try:
        with open(tmp, "xb") as fh:
            fig.savefig(fh, format="png", dpi=dpi, facecolor="white")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
