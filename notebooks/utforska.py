# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Utforska data
#
# For researchers: pick a kommun, a crime type and a survey indicator in the parameters cell
# below, then run all cells (Run → Run All Cells). One page shows the level and its latest
# change, the trend with its joinpoints, a funnel against similar kommuner and the survey
# indicator by area; every figure is drawn by `analysis.report.figures`, as in the drafts.
#
# `data_dir` is resolved against the project root, wherever the kernel runs: the default
# `data/sample` means the folder in the environment variable `LAGESBILD_DATA` if it is set,
# else the project's `data/sample` (the synthetic sample, written on first use:
# "Syntetiska exempeldata – inte verklig statistik").

# %% tags=["parameters"]
data_dir = "data/sample"  # datamapp (docs/data-model.md), relativ till projektets rot
kommunkod = "2181"  # kommunens kod, fyra tecken (2181 Sandviken)
crime_type = "Skadegörelsebrott"  # brottstyp, se listan nedan
indicator = "otrygg_kvall_andel"  # enkätindikator, se listan nedan
peers = "liknande"  # jämförelsegrupp i trattdiagrammet: "liknande", "lan" eller "riket"

# %%
import pandas as pd
from IPython.display import display

from analysis.crime import compare_periods, crime_rates, joinpoints
from analysis.paths import resolve_data_dir
from analysis.report import content as rc, figures, tables as rt
from analysis.survey.indicators import indicators_from_catalogue

ctx = rc.make_context(resolve_data_dir(data_dir), kommunkod)
print(ctx.dataset.summary())
print(f"{ctx.kommun} ({ctx.kommunkod}), {ctx.lan}; senaste hela år: {ctx.year}")

# %% [markdown]
# ## What there is to choose from
# The crime types in the data and the survey indicators of the item catalogue; set
# `crime_type` and `indicator` in the parameters cell to one of these.

# %%
crime_types = sorted(ctx.crimes["crime_type"].unique())
indicators = ([] if ctx.dataset.items is None else
              [(d.name, d.label) for d in indicators_from_catalogue(ctx.dataset.items)])
display(pd.DataFrame({"crime_type": crime_types}))
display(pd.DataFrame(indicators, columns=["indicator", "question"]))
if crime_type not in crime_types:
    raise ValueError(f"crime_type {crime_type!r} is not in the data; choose one of {crime_types}")
if peers not in ("liknande", "lan", "riket"):
    raise ValueError(f"peers must be 'liknande', 'lan' or 'riket', got {peers!r}")

# %% [markdown]
# ## Level: rates per year (Garwood 95 % intervals), beside the län and riket

# %%
rates = crime_rates(ctx.crimes, ctx.population, level="kommun", period="year",
                    areas=[kommunkod], crime_types=[crime_type])
rates[["area_name", "period", "count", "estimate", "ci_low", "ci_high", "small_numbers"]]

# %%
figures.time_series(rc.rate_history(ctx, crime_type), x="period", group="area_name",
                    highlight=ctx.kommun, kind="rate", title=f"{crime_type} per 100 000 invånare",
                    source=figures.CRIME_SOURCE, synthetic=ctx.dataset.synthetic)

# %% [markdown]
# ## Is the latest change real? The default test beside the naive exact Poisson test

# %%
compare_periods(ctx.crimes, ctx.population, period1=ctx.year - 1, period2=ctx.year,
                areas=[kommunkod], crime_types=[crime_type])[
    ["x1", "x2", "rate_ratio", "ci_low", "ci_high", "verdict", "exact_ci_low", "exact_ci_high", "caveat"]]

# %% [markdown]
# ## Trend with joinpoints
# A segmented log-linear model of the monthly counts (seasonal terms, overdispersion from
# 12-month blocks) chooses 0–2 joinpoints; each segment's annual percent change has its
# interval and verdict. The figure shows the monthly rate with the joinpoints as dashed lines.

# %%
jp = joinpoints(ctx.crimes, ctx.population, areas=[kommunkod], crime_types=[crime_type],
                end=pd.Period(f"{ctx.year}-12", "M"))
print(jp.summary())
jp.table[["segment", "segment_start", "segment_end", "variable", "estimate", "ci_low", "ci_high",
          "verdict"]]

# %%
monthly = crime_rates(ctx.crimes, ctx.population, level="kommun", period="month",
                      areas=[kommunkod], crime_types=[crime_type])
figures.time_series(monthly[monthly["period"] <= f"{ctx.year}-12"], x="period", kind="rate",
                    break_at=list(jp.joinpoints["location"]), break_label="Brytpunkt",
                    ylabel="Per 100 000 invånare och år", title=f"{crime_type} per månad, {ctx.kommun}",
                    source=figures.CRIME_SOURCE, synthetic=ctx.dataset.synthetic)

# %% [markdown]
# ## Peer comparison: funnel against similar kommuner, the län or riket

# %%
funnel = rc.jamforelse(ctx, crime_type, peers=peers)
print(funnel.summary())
figures.funnel_plot(funnel.table, limits=funnel.limits, x="person_years", y="estimate",
                    label="area_name", highlight=ctx.kommun, target=funnel.target,
                    target_label=figures.comparison_label(peers),
                    others_label="Övriga kommuner" if peers == "riket" else "Kommuner i jämförelsegruppen",
                    limit_x="person_years", limit_level="ci_level",
                    title=f"{crime_type} {ctx.year}: trattdiagram",
                    source=figures.CRIME_SOURCE, synthetic=ctx.dataset.synthetic)

# %% [markdown]
# ## The survey indicator by area
# The last survey wave, raked to the population margins (95 % intervals; areas with fewer than
# 50 respondents are suppressed and drawn as x).

# %%
survey = rc.trygghet(ctx)
if survey is None:
    print(f"No survey for {ctx.kommun} in {ctx.dataset.path}.")
else:
    by_area = survey["area"][survey["area"]["variable"] == indicator]
    if by_area.empty:
        raise ValueError(f"indicator {indicator!r} is not in the survey; choose one of "
                         f"{[name for name, _ in indicators]}")
    rt.show(rt.survey_table(by_area, by="area"))
    display(figures.indicator_by_group(by_area, group="area",
                                       title=f"{ctx.kommun} {survey['year']}, per område (95 % KI)",
                                       xlabel=f"Andel: {rt.survey_label(indicator).lower()}",
                                       source=figures.SURVEY_SOURCE, synthetic=ctx.dataset.synthetic))
