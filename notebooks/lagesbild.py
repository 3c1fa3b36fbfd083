# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
kommunkod = "2181"  # kommunens kod, fyra tecken
year = 0  # rapportår (0 betyder senaste hela året i data)
data_dir = "data/sample"  # datamapp enligt docs/data-model.md
comparison = "liknande"  # jämförelsegrupp i trattdiagrammet: "liknande", "lan" eller "riket"
language = "sv"  # rapportspråk (endast svenska)
shared_cache_dir = ""  # sätts av batchkörningen: delade beräkningar för alla kommuner

# %%
from IPython.display import Markdown, display

from analysis.report import content as rc, figures, tables as rt, wording as tx

if language != "sv":
    raise ValueError(f"language {language!r} is not supported; only 'sv'")
if comparison not in ("liknande", "lan", "riket"):
    raise ValueError(f"comparison must be 'liknande', 'lan' or 'riket', got {comparison!r}")
ctx = rc.make_context(data_dir, kommunkod, year=year or None, cache_dir=shared_cache_dir or None)
levels = rc.omfattning(ctx)
changes = rc.forandring(ctx)
trends = rc.utveckling(ctx)
survey = rc.trygghet(ctx)
measures, evaluations = rc.atgarder(ctx)
display(Markdown(tx.report_heading(ctx.kommun, ctx.year, synthetic=ctx.dataset.synthetic)))

# %% [markdown]
# ## Sammanfattning

# %%
display(Markdown(rc.sammanfattning(ctx, changes, trends, levels, survey).summary()))
display(Markdown(tx.method_note()))

# %% [markdown]
# ## Kartläggning
# ### Omfattning

# %%
display(Markdown(tx.omfattning_intro(ctx.kommun, ctx.lan, ctx.year)))
rt.show(rt.omfattning_table(levels))

# %%
figures.bar_ci(levels.assign(suppressed=False), category="crime_type", y="rate", kind="rate",
               title=f"Anmälda brott per 100\u00a0000 invånare {ctx.year}, {ctx.kommun} (95\u00a0% KI)",
               source=figures.CRIME_SOURCE, synthetic=ctx.dataset.synthetic)

# %% [markdown]
# ### Utveckling

# %%
display(Markdown(tx.change_intro(ctx.year - 1, ctx.year)))
rt.show(rt.forandring_table(changes))

# %%
rt.show(rt.utveckling_table(trends))

# %%
notable = rc.notable_crime_types(levels, changes)
for row in notable.itertuples():
    display(Markdown(f"**{row.crime_type}** ({row.reason}) per 100\u00a0000 invånare och år:"))
    display(figures.time_series(rc.rate_history(ctx, row.crime_type), x="period",
                                group="area_name", highlight=ctx.kommun, kind="rate",
                                title=f"{row.crime_type}: {ctx.kommun}, {ctx.lan} och riket",
                                source=figures.CRIME_SOURCE, synthetic=ctx.dataset.synthetic))

# %% [markdown]
# ### Fördelning över året

# %%
rt.show(rt.season_table(rc.fordelning_over_aret(ctx)))

# %% [markdown]
# ### Fokusområden

# %%
rt.show(rc.fokusomraden(ctx, changes, survey).rename(
    columns={"focus_area": "Fokusområde", "crime_types": "Anmälda brott (antal, bedömning)",
             "survey": "Trygghetsundersökningen"}))

# %% [markdown]
# ### Jämförelse med andra kommuner

# %%
display(Markdown(tx.comparison_intro(comparison, ctx.similar)))
for row in notable.itertuples():
    funnel = rc.jamforelse(ctx, row.crime_type, peers=comparison)
    display(Markdown(f"**{row.crime_type}**"))
    rt.show(rt.rank_table(funnel.table, ctx.kommunkod, reference=tx.reference_name(comparison)))
    display(figures.funnel_plot(funnel.table, limits=funnel.limits, x="person_years",
                                y="estimate", label="area_name", highlight=ctx.kommun,
                                target=funnel.target, target_label=figures.comparison_label(comparison),
                                others_label="Övriga kommuner" if comparison == "riket"
                                else "Kommuner i jämförelsegruppen",
                                limit_x="person_years", limit_level="ci_level",
                                title=f"{row.crime_type} per 100\u00a0000 invånare: trattdiagram",
                                source=figures.CRIME_SOURCE, synthetic=ctx.dataset.synthetic))

# %% [markdown]
# ## Trygghet och oro

# %%
if survey is None:
    display(Markdown("Det finns ingen trygghetsundersökning för kommunen i datamappen."))
else:
    display(Markdown(tx.survey_intro(survey["year"], survey["n"], survey["calibrated"])))
    rt.show(rt.survey_table(survey["kommun"]))
    rt.show(rt.survey_table(survey["area"], by="area"))
    rt.show(rt.survey_table(survey["sex"], by="sex"))
    rt.show(rt.survey_table(survey["age_group"], by="age_group"))

# %%
if survey is not None:
    display(figures.indicator_by_group(survey["area"][survey["area"]["variable"] == "otrygg_kvall_andel"],
                                       group="area", title="Otrygga ute sen kväll, per område (95\u00a0% KI)",
                                       source=figures.SURVEY_SOURCE, synthetic=ctx.dataset.synthetic))
    if "change" in survey:
        display(Markdown(f"Förändring sedan {survey['previous_year']}:"))
        rt.show(rt.change_table(survey["change"]))
    if "small_area" in survey:
        display(Markdown(tx.small_area_intro()))
        rt.show(rt.small_area_table(survey["small_area"]))

# %% [markdown]
# ## Åtgärder och uppföljning

# %%
if measures.empty:
    display(Markdown("Inga åtgärder finns registrerade för kommunen."))
else:
    rt.show(rt.measures_table(measures, ctx.dataset.items))
    display(Markdown(tx.evaluation_intro()))
    rt.show(rt.evaluation_table(evaluations))

# %% [markdown]
# ## Källor och begränsningar

# %%
display(Markdown(tx.sources_and_limitations(synthetic=ctx.dataset.synthetic,
                                            preliminary=bool(levels.get("preliminary", False).any())
                                            if "preliminary" in levels else False)))

# %% [markdown]
# ## Ordlista

# %%
display(Markdown(tx.ordlista()))

# %% [markdown]
# ### Om underlaget (proveniens)

# %%
rt.show(rc.provenance(ctx, {"kommunkod": kommunkod, "year": year, "data_dir": data_dir,
                           "comparison": comparison, "language": language}))
