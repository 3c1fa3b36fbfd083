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
# For researchers: load a data folder, pick a kommun, a crime type and a survey indicator, and
# look. Change the parameters and re-run; every cell calls `analysis` and shows one table or
# figure. The sample data is synthetic ("Syntetiska exempeldata – inte verklig statistik").

# %% tags=["parameters"]
data_dir = "data/sample"
kommunkod = "2181"
crime_type = "Skadegörelsebrott"
indicator = "otrygg_kvall_andel"

# %%
from IPython.display import display

from analysis.report import content as rc, figures
from analysis.crime import compare_periods
from analysis.crime import crime_rates
from analysis.crime import joinpoints, trend

ctx = rc.make_context(data_dir, kommunkod)
print(ctx.dataset.summary())

# %% [markdown]
# ## Rates per year in the kommun (Garwood 95 % intervals), then beside its län and riket

# %%
rates = crime_rates(ctx.crimes, ctx.population, level="kommun", period="year",
                    areas=[kommunkod], crime_types=[crime_type])
rates[["area_name", "period", "count", "estimate", "ci_low", "ci_high", "small_numbers"]]

# %%
figures.time_series(rc.rate_history(ctx, crime_type), x="period", group="area_name",
                  highlight=ctx.kommun, kind="rate", title=f"{crime_type} per 100 000 invånare")

# %% [markdown]
# ## Is the latest change real? Default test beside the naive exact Poisson test

# %%
compare_periods(ctx.crimes, ctx.population, period1=ctx.year - 1, period2=ctx.year,
                areas=[kommunkod], crime_types=[crime_type])[
    ["x1", "x2", "rate_ratio", "ci_low", "ci_high", "verdict", "exact_ci_low", "exact_ci_high", "caveat"]]

# %% [markdown]
# ## Trend (annual percent change) and joinpoints

# %%
print(trend(ctx.crimes, ctx.population, areas=[kommunkod], crime_types=[crime_type]).summary())
print(joinpoints(ctx.crimes, ctx.population, areas=[kommunkod], crime_types=[crime_type]).summary())

# %% [markdown]
# ## Peer comparison: funnel against similar kommuner

# %%
funnel = rc.jamforelse(ctx, crime_type, peers="liknande")
print(funnel.summary())
figures.funnel_plot(funnel.table, limits=funnel.limits, x="person_years", y="estimate",
                  label="area_name", highlight=ctx.kommun, target=funnel.target,
                  limit_x="person_years", limit_level="ci_level")

# %% [markdown]
# ## A survey indicator by area (calibrated weights, 95 % intervals; small cells suppressed)

# %%
survey = rc.trygghet(ctx)
if survey is not None:
    by_area = survey["area"][survey["area"]["variable"] == indicator]
    display(by_area[["area", "estimate", "ci_low", "ci_high", "n", "suppressed"]])
    display(figures.indicator_by_group(by_area, group="area"))
