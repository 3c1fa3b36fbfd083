"""Figures from result tables (analysis.report.figures): no global state, Swedish labels, real PNGs."""

import struct

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis.report import figures
from analysis.report.text import NBSP

PNG = b"\x89PNG\r\n\x1a\n"


def _series():
    t = pd.DataFrame({"period": list(pd.period_range("2014-01", periods=24, freq="M")) * 2,
                      "estimate": np.r_[np.linspace(900, 1500, 24), np.linspace(1000, 1100, 24)],
                      "group": ["Sandviken"] * 24 + ["Riket"] * 24})
    t["ci_low"], t["ci_high"] = t["estimate"] * 0.9, t["estimate"] * 1.1
    return t


def _funnel():
    n = np.geomspace(2e3, 1e6, 40)
    limits = pd.concat([pd.DataFrame({"population": n, "level": lv,
                                      "lower": 1000 - z * np.sqrt(1e8 / n),
                                      "upper": 1000 + z * np.sqrt(1e8 / n)})
                        for lv, z in ((0.95, 1.96), (0.998, 3.09))])
    pts = pd.DataFrame({"kommun": ["Storfors", "Sandviken", "Karlskrona", "Gagnef"],
                        "population": [4000, 39000, 67000, 10000],
                        "rate": [1500.0, 1040.0, 950.0, 990.0]})
    return pts, limits


def _survey():
    return pd.DataFrame({"area": ["Centrum", "Centrum", "Norr", "Norr"],
                         "sex": ["kvinna", "man", "kvinna", "man"],
                         "estimate": [0.31, 0.12, 0.987654, 0.2],
                         "ci_low": [0.25, 0.08, 0.9, 0.1], "ci_high": [0.37, 0.17, 1.0, 0.3],
                         "suppressed": [False, False, True, False]})


FIGURES = {
    "time_series": lambda: figures.time_series(_series(), group="group", highlight="Sandviken",
                                             break_at="2015-01", title="Anmälda brott"),
    "funnel": lambda: figures.funnel_plot(*_funnel()[:1], limits=_funnel()[1], highlight="Storfors",
                                        peers=["Gagnef"], target=1000.0),
    "bar": lambda: figures.bar_ci(pd.DataFrame({"crime_type": ["Bilbrott", "Rån (inkl. grovt)"],
                                              "estimate": [12345.0, 20.0],
                                              "ci_low": [12000.0, 10.0],
                                              "ci_high": [12700.0, 30.0],
                                              "suppressed": [False, True]}),
                                category="crime_type"),
    "indicator": lambda: figures.indicator_by_group(_survey(), group="area", hue="sex",
                                                  reference=0.2, title="Otrygga"),
}


def _texts(fig: Figure) -> list[str]:
    fig.draw_without_rendering()
    out = [t.get_text() for t in fig.findobj(mpl.text.Text)]
    return [t for t in out if t]


@pytest.fixture(scope="module")
def built():
    """Every figure built once, with the global state before and after each build."""
    out = {}
    for name, make in FIGURES.items():
        before, figs_before = dict(mpl.rcParams), plt.get_fignums()
        fig = make()
        out[name] = (fig, before == dict(mpl.rcParams), figs_before == plt.get_fignums())
    return out


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figures_touch_no_global_state(built, name):
    fig, rc_same, pyplot_same = built[name]
    assert isinstance(fig, Figure)
    assert rc_same
    assert pyplot_same  # not registered with pyplot: never displayed twice


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figures_display_as_png_with_physical_width_and_alt_text(built, name):
    import base64
    fig = built[name][0]
    data, meta = fig._repr_mimebundle_()
    png = base64.b64decode(data["image/png"])
    assert png.startswith(PNG)
    width_px = struct.unpack(">I", png[16:20])[0]
    assert meta["image/png"]["width"] == round(width_px / fig.dpi * 96)
    assert 450 < meta["image/png"]["width"] < 800  # about 16 cm at 96 dpi
    alt = meta["image/png"]["alt"]
    assert alt != "Figur" and len(alt) > 30  # says what the figure shows, not just "Figur"
    assert alt == fig.alt_text


def test_repr_png_matches_the_mimebundle(built):
    fig = built["bar"][0]
    raw, meta = fig._repr_png_()
    assert raw.startswith(PNG) and meta == fig._repr_mimebundle_()[1]["image/png"]


def test_style_survives_a_later_global_change(built):
    fig = built["bar"][0]
    sizes = [t.get_fontsize() for t in fig.axes[0].get_xticklabels()]
    with mpl.rc_context({"xtick.labelsize": 30, "font.size": 30}):
        fig.draw_without_rendering()
        again = [t.get_fontsize() for t in fig.axes[0].get_xticklabels()]
    assert set(sizes) == set(again)  # the report style, not the global 30 pt


def test_swedish_tick_labels_and_labels(built):
    bar = _texts(built["bar"][0])
    assert f"12{NBSP}000" in bar or f"10{NBSP}000" in bar
    assert all("," not in t or t.replace(",", "").replace(NBSP, "").isdigit() is False
               for t in bar)
    assert "Anmälda brott per 100\u00a0000 invånare" in bar
    ind = _texts(built["indicator"][0])
    assert any(t.endswith(f"{NBSP}%") for t in ind)
    funnel = _texts(built["funnel"][0])
    assert f"100{NBSP}000" in funnel and "Folkmängd" in funnel and "Storfors" in funnel
    assert f"95{NBSP}%-gräns" in funnel and f"99,8{NBSP}%-gräns" in funnel
    ts = _texts(built["time_series"][0])
    assert "Tidsseriebrott" in ts and any(t.endswith("2015") for t in ts)
    assert not any(t.startswith("2\u00a00") for t in ts)  # years are not grouped "2 015"


def test_month_ticks_are_swedish():
    t = pd.DataFrame({"period": pd.period_range("2024-03", periods=5, freq="M"),
                      "estimate": [5.0, 6, 7, 6, 5], "ci_low": [4.0] * 5, "ci_high": [8.0] * 5})
    texts = _texts(figures.time_series(t, kind="number"))
    assert any(x.startswith(("mar", "apr", "maj", "jun", "jul")) for x in texts)
    assert not any(x.startswith(("Mar", "May", "Jun")) for x in texts)


def test_suppressed_cells_are_marked_never_drawn(built):
    fig = built["indicator"][0]
    texts = _texts(fig)
    assert "x" in [t.strip() for t in texts]
    assert any("redovisas inte" in t for t in texts)
    ax = fig.axes[0]
    xs = np.concatenate([line.get_xdata() for line in ax.lines if len(line.get_xdata())])
    assert not np.any(np.isclose(xs.astype(float), 0.987654))  # the hidden value is not plotted
    assert not any("98" in t or "99" in t for t in texts if "%" in t and "9" in t
                   and t.strip() not in {f"{v}{NBSP}%" for v in range(0, 101, 5)})
    bar = built["bar"][0]
    widths = [p.get_width() for p in bar.axes[0].patches]
    assert 20.0 not in widths


def test_bad_columns_are_named():
    with pytest.raises(KeyError, match="'rate'"):
        figures.time_series(pd.DataFrame({"period": ["2024-01"], "estimate": [1.0]}), y="rate")
    pts, limits = _funnel()
    with pytest.raises(ValueError, match="not among"):
        figures.funnel_plot(pts, limits=limits, highlight="Ankeborg")
    with pytest.raises(ValueError, match="kind"):
        figures.time_series(_series(), kind="promille")


def test_year_axis_and_string_periods():
    years = pd.DataFrame({"year": [2019, 2020, 2021], "estimate": [0.2, 0.25, 0.22],
                          "ci_low": [0.15, 0.2, 0.17], "ci_high": [0.25, 0.3, 0.27]})
    texts = _texts(figures.time_series(years, x="year", kind="percent"))
    assert "2020" in texts and "År" in texts  # a labelled axis
    strings = pd.DataFrame({"period": ["2024-01", "2024-02"], "estimate": [1.0, 2.0]})
    figures.time_series(strings, ci_low=None, ci_high=None, kind="number")


def test_save_png_is_atomic(built, tmp_path, monkeypatch):
    fig = built["bar"][0]
    path = figures.save_png(fig, tmp_path / "sub" / "f.png")
    assert path.read_bytes().startswith(PNG)
    assert sorted(p.name for p in path.parent.iterdir()) == ["f.png"]
    # a crash while writing leaves the old file intact and no temporary file
    old = path.read_bytes()

    def broken(self, fh, **kw):
        fh.write(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        figures.save_png(fig, path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in path.parent.iterdir()) == ["f.png"]


def test_negative_values_are_not_cut_off_at_zero():
    t = pd.DataFrame({"crime_type": ["Bilbrott", "Cykelstöld"], "estimate": [-0.2, 0.1],
                      "ci_low": [-0.3, 0.05], "ci_high": [-0.1, 0.15]})
    ax = figures.bar_ci(t, category="crime_type", kind="percent").axes[0]
    assert ax.get_xlim()[0] <= -0.3
    ts = pd.DataFrame({"year": [2020, 2021], "estimate": [-5.0, 3.0]})
    ax = figures.time_series(ts, x="year", ci_low=None, ci_high=None, kind="number").axes[0]
    assert ax.get_ylim()[0] <= -5


def test_several_breaks_are_drawn_as_labelled_lines():
    """Joinpoints of a trend: one dashed line and label per position, on a month or year axis."""
    months = pd.DataFrame({"period": pd.period_range("2019-01", periods=48, freq="M"),
                           "estimate": np.linspace(100, 140, 48)})
    fig = figures.time_series(months, ci_low=None, ci_high=None, break_label="Brytpunkt",
                              break_at=[pd.Period("2020-06", "M"), pd.Period("2021-09", "M")])
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # the series and two break lines
    assert [t.get_text() for t in ax.texts] == ["Brytpunkt", "Brytpunkt"]
    years = pd.DataFrame({"period": range(2015, 2025), "estimate": range(10)})
    fig = figures.time_series(years, ci_low=None, ci_high=None, break_at=(2018.5, 2021.25))
    assert sorted(line.get_xdata()[0] for line in fig.axes[0].lines[1:]) == [2018.5, 2021.25]


# --- issue 11 item 7: figures chosen from the data, labelled, Swedish, labelled as sample ---

def _inside_figure(fig) -> list[str]:
    """Texts whose extent leaves the figure (clipped labels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)  # a ReportFigure has no pyplot canvas; Agg renders the PNG
    canvas.draw()
    renderer = canvas.get_renderer()
    box = fig.bbox
    undrawn = set()  # tick labels outside the view limits exist but are never drawn
    for ax in fig.axes:
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if loc is None or not min(lim) - 1e-9 <= loc <= max(lim) + 1e-9:
                    undrawn |= {id(tick.label1), id(tick.label2)}
    out = []
    for t in fig.findobj(mpl.text.Text):
        if not t.get_visible() or not t.get_text().strip() or id(t) in undrawn:
            continue
        e = t.get_window_extent(renderer)
        if e.x0 < box.x0 - 1 or e.y0 < box.y0 - 1 or e.x1 > box.x1 + 1 or e.y1 > box.y1 + 1:
            out.append(t.get_text())
    return out


def test_funnel_centre_line_is_named_for_the_comparison_group():
    pts, limits = _funnel()
    texts = _texts(figures.funnel_plot(pts, limits=limits, highlight="Storfors", target=1000.0))
    assert "Riket" not in texts and "Jämförelsegruppens nivå" in texts
    texts = _texts(figures.funnel_plot(pts, limits=limits, target=1000.0,
                                       target_label=figures.comparison_label("riket")))
    assert "Riket" in texts
    with pytest.raises(ValueError, match="comparison"):
        figures.comparison_label("grannar")


def test_funnel_of_similar_kommuner_has_population_tick_values():
    # ten kommuner of similar size span less than a decade: a log axis got no labelled tick
    pts = pd.DataFrame({"kommun": list("ABCDEFGHIJ"),
                        "population": np.linspace(30_000, 52_000, 10),
                        "rate": np.linspace(900, 1100, 10)})
    n = np.linspace(30_000, 52_000, 20)
    limits = pd.DataFrame({"population": n, "level": 0.95, "lower": 800.0, "upper": 1200.0})
    fig = figures.funnel_plot(pts, limits=limits, highlight="C", target=1000.0)
    fig.draw_without_rendering()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [t for t, lab in zip(ax.get_xticks(), ax.get_xticklabels())
             if lo <= t <= hi and lab.get_text()]
    assert len(ticks) >= 3
    assert all(lab.get_text().replace(NBSP, "").isdigit()
               for lab in ax.get_xticklabels() if lab.get_text())
    assert ax.get_xlabel() == "Folkmängd"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_sample_label_and_source_line_are_in_the_png(name):
    from analysis import SAMPLE_DATA_LABEL
    make = {
        "time_series": lambda **kw: figures.time_series(_series(), group="group", **kw),
        "funnel": lambda **kw: figures.funnel_plot(*_funnel()[:1], limits=_funnel()[1],
                                                   target=1000.0, **kw),
        "bar": lambda **kw: figures.bar_ci(pd.DataFrame({"crime_type": ["Bilbrott"],
                                                         "estimate": [3.0]}),
                                           category="crime_type", ci_low=None, ci_high=None, **kw),
        "indicator": lambda **kw: figures.indicator_by_group(_survey(), group="area", **kw),
    }[name]
    fig = make(source=figures.CRIME_SOURCE, synthetic=True)
    texts = _texts(fig)
    assert SAMPLE_DATA_LABEL in texts and f"Källa: {figures.CRIME_SOURCE}" in texts
    assert not _inside_figure(fig)
    plain = _texts(make())
    assert SAMPLE_DATA_LABEL not in plain


def test_alt_text_can_be_given_and_reaches_the_display_metadata():
    fig = figures.bar_ci(pd.DataFrame({"crime_type": ["Bilbrott"], "estimate": [3.0]}),
                         category="crime_type", ci_low=None, ci_high=None,
                         alt="Stapeldiagram:  bilbrott\n3 per 100 000")
    assert fig._repr_mimebundle_()[1]["image/png"]["alt"] == "Stapeldiagram: bilbrott 3 per 100 000"


def test_age_groups_in_figures_use_an_en_dash():
    t = pd.DataFrame({"age_group": ["16-24", "25-44"], "estimate": [0.2, 0.3],
                      "ci_low": [0.1, 0.2], "ci_high": [0.3, 0.4], "suppressed": False})
    labels = [x.get_text() for x in
              figures.indicator_by_group(t, group="age_group").axes[0].get_yticklabels()]
    assert labels == ["16–24", "25–44"]


def test_there_is_one_figure_class():
    from analysis.report import evaluation_figures, figure_base
    assert not hasattr(evaluation_figures, "EvaluationFigure")
    assert figures.ReportFigure is figure_base.ReportFigure


def _evaluation_figures():
    from analysis.report import evaluation_figures as ef
    per = pd.period_range("2019-01", periods=48, freq="M")
    post = np.arange(48) >= 30
    cf = pd.DataFrame({"period": per, "observed": np.linspace(40, 30, 48), "fitted": 35.0,
                       "counterfactual": 36.0, "cf_low": 30.0, "cf_high": 42.0, "post": post,
                       "in_fit": True})
    event = pd.DataFrame({"rel_year": [-3, -2, -1, 0, 1], "estimate": [1.02, 0.97, 1.0, 0.8, 0.7],
                          "ci_low": [0.9, 0.85, 1.0, 0.65, 0.55],
                          "ci_high": [1.15, 1.1, 1.0, 0.98, 0.9]})
    gap = pd.DataFrame({"time": per, "observed": np.linspace(900, 800, 48),
                        "synthetic": np.linspace(905, 880, 48), "post": post})
    placebo = pd.DataFrame({"ratio": [3.7, 1.0, 1.2, 0.8, 1.5, 2.0, 1.1, 0.9]})
    power = pd.DataFrame({"followup_months": [12] * 3 + [24] * 3, "reduction_pct": [10.0, 20, 30] * 2,
                          "power": [0.2, 0.5, 0.85, 0.3, 0.7, 0.95]})
    return {"cf": ef.plot_counterfactual(cf, title="Anmälda brott", synthetic=True),
            "event": ef.plot_event_study(event, title="Kvot", synthetic=True),
            "gap": ef.plot_synthetic_gap(gap, title="Syntetisk kontroll", synthetic=True),
            "placebo": ef.plot_placebos(placebo, title="Placebotest", synthetic=True),
            "power": ef.plot_power(power, title="Styrka", synthetic=True)}


def test_evaluation_figures_are_report_figures_in_swedish():
    import re
    from analysis import SAMPLE_DATA_LABEL
    for name, fig in _evaluation_figures().items():
        assert isinstance(fig, figures.ReportFigure), name
        texts = _texts(fig)
        assert SAMPLE_DATA_LABEL in texts, name
        assert any(t.startswith("Källa: ") for t in texts), name
        assert not [t for t in texts if re.fullmatch(r"[−-]?\d+\.\d+", t)], (name, texts)  # "1.5"
        assert not [t for t in texts if "10^" in t or "$" in t], (name, texts)  # 10⁰ ticks
        assert not [t for t in texts if "RMSPE" in t], name
        assert not _inside_figure(fig), (name, _inside_figure(fig))
        assert fig.alt_text and fig.alt_text != "Figur"
    event = _texts(_evaluation_figures()["event"])
    assert "0,75" in event and "1" in event


def test_a_long_title_beside_long_tick_labels_is_wrapped_inside_the_figure():
    """Long tick labels push a left-aligned title right; it must not run past the edge."""
    import pandas as pd

    from analysis.report import figures
    levels = pd.DataFrame({"crime_type": ["Grov kvinnofridskränkning", "Butiksstöld/snatteri"],
                           "rate": [26.0, 106.0], "ci_low": [1.0, 50.0], "ci_high": [140.0, 200.0],
                           "suppressed": [False, False]})
    title = "Anmälda brott per 100\u00a0000 invånare 2025, Storfors (95\u00a0% KI)"
    fig = figures.bar_ci(levels, category="crime_type", y="rate", kind="rate", title=title,
                         source="Brå", synthetic=True)
    from matplotlib.backends.backend_agg import RendererAgg
    renderer = RendererAgg(fig.bbox.width, fig.bbox.height, fig.dpi)
    ax = fig.axes[0]
    shown = ax.get_title("left")
    art = next(c for c in ax.get_children() if getattr(c, "get_text", None) and c.get_text() == shown)
    assert art.get_window_extent(renderer).x1 <= fig.bbox.width
    assert shown.replace("\n", " ") == title


def test_the_report_style_is_seaborns_whitegrid_paper_style():
    # written out so that a draft need not import seaborn (and with it scipy.stats)
    sns = pytest.importorskip("seaborn")
    from analysis.report.figure_base import SEABORN_STYLE

    theirs = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper", font_scale=1.15)}
    assert theirs.pop("image.cmap") == "rocket"  # seaborn's own map; no report figure uses it
    assert SEABORN_STYLE == theirs
