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
# # Survey statistics in lagesbild: a short tutorial
#
# How to get honest numbers out of a trygghetsundersökning with `analysis.survey`, the
# R `survey` of this project: declare the design once, estimate by domain with `by=`,
# calibrate to the population, compare areas and years, and borrow strength for small areas.
# The engine's numbers agree with R survey 4.1.1 (golden tests on `tests/reference/survey/`;
# see `docs/survey-statistics.md`).
#
# The data are the package's own synthetic sample of one kommun (`analysis.sample.generate`:
# "Syntetiska exempeldata – inte verklig statistik"; about ten areas, waves every second
# year). To run the tutorial on your own survey, set `data_dir` to a data folder with
# `survey.csv` and `margins.csv` in the data model's format (`docs/data-model.md`); a relative
# path is resolved against the project root, wherever the kernel runs.

# %% tags=["parameters"]
data_dir = ""  # tom: syntetiska exempeldata; annars en datamapp (docs/data-model.md)
kommunkod = "2181"  # kommunens kod, fyra tecken
year = 2025  # enkätomgången som visas
previous_year = 2023  # omgången att jämföra med
level = 0.95
min_n = 50

# %%
from analysis.io import load_dataset
from analysis.paths import resolve_data_dir
from analysis.sample import generate
from analysis.survey import DisclosureRule, SurveyDesign, mean, proportion, quantile
from analysis.survey.calibration import rake
from analysis.survey.compare import chisq, compare_years, difference
from analysis.survey.indicators import NTU_OTRYGG_KVALL, PROBLEM_INDEX, add_indicators, indicator_table
from analysis.survey.replicate import as_replicate
from analysis.survey.small_area import fay_herriot

data = load_dataset(resolve_data_dir(data_dir)) if data_dir else generate(kommuner=[kommunkod])
if data.survey is None or data.margins is None:
    raise ValueError(f"{data_dir}: the tutorial needs survey.csv and margins.csv")
survey = data.survey[data.survey["kommunkod"].eq(kommunkod)].reset_index(drop=True)
margins = data.margins[data.margins["kommunkod"].eq(kommunkod)]
if not {year, previous_year} <= set(survey["year"]):
    raise ValueError(f"the survey of {kommunkod} has the waves {sorted(set(survey['year']))}; "
                     "set year and previous_year to two of them")
rule = DisclosureRule(min_n=min_n)
print(f"{len(survey)} respondents in {survey['area'].nunique()} areas, waves {sorted(set(survey['year']))}")

# %% [markdown]
# ## 1. Declare the design once
# Strata are the areas within kommun × year, each respondent is a primary sampling unit and
# the weights are the inverse inclusion probabilities (`fpc=` takes a column of stratum
# population sizes where the sampling fraction is large). Never filter rows to make a domain:
# subsets keep the whole design.

# %%
design = add_indicators(SurveyDesign.from_survey(survey), [NTU_OTRYGG_KVALL, PROBLEM_INDEX])
print(design.summary())

# %% [markdown]
# ## 2. The NTU indicator by area, with design-based intervals
# "Otrygg vid utevistelse sen kväll": mycket/ganska otrygg or staying in because of insecurity
# (codes 3, 4, 5). The interval is R's `svyciprop` default (logit, domain degrees of
# freedom); rows resting on fewer than `min_n` respondents are flagged.

# %%
this_year = design.subset(survey["year"].eq(year))
otrygg = proportion(this_year, "otrygg_kvall_andel", by="area", levels=[1.0], na_rm=True,
                    level=level, disclosure=rule)
otrygg[["area", "estimate", "ci_low", "ci_high", "n", "suppressed", "suppressed_reason"]].round(3)

# %% [markdown]
# ## 3. Calibrate to the population
# Response rates differ by age and sex, so the design weights do not reproduce the
# population. Raking to the sex × age and area margins of each year fixes that, and the
# variances know about it (R's `rake()` residuals).

# %%
raked = rake(design, [["year", "sex", "age_group"], ["year", "area"]], margins)
print(raked.calibration[-1].summary())
calibrated = proportion(raked.subset(survey["year"].eq(year)), "otrygg_kvall_andel", by="area",
                        levels=[1.0], na_rm=True, level=level, disclosure=rule)
calibrated[["area", "estimate", "se", "ci_low", "ci_high"]].round(3)

# %% [markdown]
# ## 4. All indicators at once, and the problem index
# The index is a transparent weighted mean of the five problem items (0 = no problems,
# 100 = every item a very big problem); set your own scores and weights with
# `IndexDefinition`.

# %%
indicator_table(raked.subset(survey["year"].eq(year)), level=level, disclosure=rule)[
    ["variable", "estimate", "ci_low", "ci_high", "n", "suppressed"]].round(3)

# %%
quantile(raked, "problemindex", [0.25, 0.5, 0.75], by="year", na_rm=True, disclosure=rule)[
    ["year", "quantile", "estimate", "ci_low", "ci_high"]]

# %% [markdown]
# ## 5. Comparisons: women and men, and two waves
# Differences use the covariance of the two estimates; the verdict is decided here, once.

# %%
difference(raked.subset(survey["year"].eq(year)), "otrygg_kvall_andel", between="sex",
           first="kvinna", second="man", stat="mean", na_rm=True, disclosure=rule)[
    ["contrast", "estimate", "ci_low", "ci_high", "p_value", "verdict"]].round(4)

# %%
earlier = raked.subset(survey["year"].eq(previous_year))
later = raked.subset(survey["year"].eq(year))
compare_years(earlier, later, "otrygg_kvall_andel", by="area", na_rm=True,
              labels=(str(previous_year), str(year)),
              disclosure=rule)[["area", "estimate_earlier", "estimate_later", "estimate", "p_value",
                                "verdict"]].round(3)

# %%
print(chisq(raked.subset(survey["year"].eq(year)), "otrygg_kvall_andel", "age_group").summary())

# %% [markdown]
# ## 6. Replicate weights
# The same estimates with a rescaled bootstrap (R's `as.svrepdesign(type = "bootstrap")`;
# the seed reproduces R's replicates after `set.seed`).

# %%
boot = as_replicate(design, type="bootstrap", replicates=50, seed=2025)
mean(boot, "problemindex", by="year", na_rm=True, disclosure=rule)[["year", "estimate", "se", "ci_low", "ci_high"]]

# %% [markdown]
# ## 7. Small areas: Fay-Herriot
# Areas with few respondents get noisy direct estimates. The Fay-Herriot model shrinks them
# towards a regression on area-level covariates (here the share of 16-24-year-olds); the
# table shows how much each area borrowed.

# %%
direct = proportion(this_year, "otrygg_kvall_andel", by="area", levels=[1.0], na_rm=True, disclosure=None)
young = (margins[margins["year"].eq(year)].assign(young=lambda m: m["age_group"].eq("16-24") * m["population"])
         .groupby("area")[["young", "population"]].sum())
aux = (young["young"] / young["population"]).rename("share_young").reset_index()
fh = fay_herriot(direct, area="area", covariates=["share_young"], auxiliary=aux)
print(fh.summary())
fh.table[["area", "direct_estimate", "direct_se", "estimate", "se", "shrinkage"]].round(3)
