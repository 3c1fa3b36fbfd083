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
data_dir = "data/sample"  # datamapp enligt docs/data-model.md, relativ till projektets rot
comparison = "liknande"  # jämförelsegrupp i trattdiagrammet: "liknande", "lan" eller "riket"
evaluate_measures = True  # utvärdera kommunens åtgärder (tar längst tid)
liknande = ""  # egna liknande kommuner, kommunkoder med komma emellan (tom sträng ger SKR:s kommungrupp)
language = "sv"  # rapportspråk (endast svenska)
shared_cache_dir = ""  # sätts av batchkörningen: delade beräkningar för alla kommuner

# %%
from IPython.display import Markdown, display

from analysis.paths import resolve_data_dir
from analysis.report import captions as cap, content as rc, figures, tables as rt, wording as tx
from analysis.report import analysis as an, annan_information as ai, bridge as br
from analysis.report import place_figures, tid_och_plats as tp
from analysis.report import coverage as cv

if language != "sv":
    raise ValueError(f"language {language!r} is not supported; only 'sv'")
if comparison not in ("liknande", "lan", "riket"):
    raise ValueError(f"comparison must be 'liknande', 'lan' or 'riket', got {comparison!r}")
ctx = rc.make_context(resolve_data_dir(data_dir), kommunkod, year=year or None, cache_dir=shared_cache_dir or None,
                      similar=[c.strip() for c in liknande.split(",") if c.strip()] or None)
cov = cv.coverage(ctx)  # which comparisons the data cover (all kommuner of the län, all 290)
levels = rc.omfattning(ctx)
changes = rc.forandring(ctx)
trends = rc.utveckling(ctx)
survey = rc.trygghet(ctx)
measures, evaluations = rc.atgarder(ctx, evaluate=evaluate_measures)
display(Markdown(tx.report_heading(ctx.kommun, ctx.year, synthetic=ctx.dataset.synthetic)))

# %% [markdown]
# ## Sammanfattning

# %%
display(Markdown(rc.sammanfattning(ctx, changes, trends, levels, survey).summary()))
display(Markdown(tx.preliminary_note(rc.preliminary_years(ctx))))
display(Markdown(tx.method_note()))

# %% [markdown]
# ## Kartläggning
# ### Omfattning

# %%
if cov.covers("riket"):
    lan = None if cov.lan_too_small else ctx.lan  # Gotland: the län is the kommun itself
    display(Markdown(tx.omfattning_intro(ctx.kommun, lan, ctx.year, n_types=rc.family_size(levels),
                                         n_rows=len(levels))))
    if lan is None:
        display(Markdown(cv.missing_comparison_text(cov, ["lan"])))
    display(Markdown(tx.section_heading(f"Anmälda brott {ctx.year} jämfört med "
                                        + ("länet och riket" if lan else "riket"))))
    display(Markdown(cap.omfattning_sentence(levels, year=ctx.year)))
    rt.show(rt.omfattning_table(levels), claims=rt.claims("levels", levels))
else:
    display(Markdown(tx.section_heading(f"Anmälda brott {ctx.year} i {ctx.kommun}")))
    display(Markdown(cv.missing_comparison_text(cov, ["riket", "lan"])))
    display(Markdown(cv.own_levels_intro(cov, ctx.year)))
    rt.show(rt.omfattning_table(levels))
display(Markdown(tx.preliminary_note(rc.preliminary_years(ctx))))

# %%
figures.bar_ci(levels.assign(suppressed=False), category="crime_type", y="rate", kind="rate",
               title=f"Anmälda brott per 100\u00a0000 invånare {ctx.year}, {ctx.kommun} (95\u00a0% KI)",
               source=figures.CRIME_SOURCE, synthetic=ctx.dataset.synthetic)

# %% [markdown]
# ### Utveckling

# %%
display(Markdown(tx.change_intro(ctx.year - 1, ctx.year, n_types=rc.family_size(changes), n_rows=len(changes))))
display(Markdown(tx.section_heading(f"Förändring från {ctx.year - 1} till {ctx.year}")))
display(Markdown(cap.forandring_sentence(changes)))
rt.show(rt.forandring_table(changes), claims=rt.claims("changes", changes))

# %%
display(Markdown(tx.section_heading(f"Utveckling {trends['year1'].iloc[0]}–{ctx.year}")))
display(Markdown(cap.utveckling_sentence(trends)))
rt.show(rt.utveckling_table(trends), claims=rt.claims("trends", trends))
segments = rc.utveckling_segments(ctx, trends.loc[trends["verdict"].isin(["ökning", "minskning"]), "crime_type"])
display(Markdown(cap.segments_text(segments)))

# %%
notable = rc.notable_crime_types(levels, changes)
for row in notable.itertuples():
    display(Markdown(tx.figure_lead(row.crime_type, row.reason)))
    shown = [ctx.kommun] + [n for r, n in (("lan", ctx.lan), ("riket", "riket")) if cov.covers(r)]
    display(figures.time_series(rc.rate_history(ctx, row.crime_type), x="period",
                                group="area_name", highlight=ctx.kommun, kind="rate",
                                title=f"{row.crime_type}: " + (", ".join(shown[:-1]) + " och " + shown[-1]
                                                               if len(shown) > 1 else shown[0]),
                                source=figures.CRIME_SOURCE, synthetic=ctx.dataset.synthetic))

# %% [markdown]
# ### Fördelning över året

# %%
display(Markdown("#### Månader över och under det normala"))
display(Markdown("Tabellen visar, per brottstyp, vilka månader som ligger statistiskt säkerställt "
                 "över eller under en genomsnittlig månad under hela perioden."))
rt.show(rt.season_table(rc.fordelning_over_aret(ctx)))

# %% [markdown]
# ### Fokusområden

# %%
display(Markdown("Tabellen visar, per fokusområde, antalet anmälda brott de två senaste åren med "
                 "bedömningen ovan och andelarna i trygghetsundersökningen."))
rt.show(rc.fokusomraden(ctx, changes, survey).rename(
    columns={"focus_area": "Fokusområde", "crime_types": "Anmälda brott (antal, bedömning)",
             "survey": "Trygghetsundersökningen"}))

# %% [markdown]
# ### Jämförelse med andra kommuner

# %%
if cov.covers(comparison):
    display(Markdown(tx.comparison_intro(comparison, ctx.similar,
                                         rc.comparison_group_name(ctx.kommunkod, ctx.similar))))
else:
    display(Markdown(cv.missing_comparison_text(
        cov, [comparison], then="Därför visas inga trattdiagram eller rangplatser.")))
for row in (notable.itertuples() if cov.covers(comparison) else ()):
    funnel = rc.jamforelse(ctx, row.crime_type, peers=comparison)
    display(Markdown(tx.section_heading(row.crime_type, ": jämförelse med ", tx.reference_name(comparison))))
    display(Markdown(cap.rank_sentence(funnel.table, ctx.kommunkod, reference=tx.reference_name(comparison))))
    rt.show(rt.rank_table(funnel.table, ctx.kommunkod, reference=tx.reference_name(comparison)),
            claims=rt.claims("rank", funnel.table[funnel.table["area_code"] == ctx.kommunkod]))
    display(figures.funnel_plot(funnel.table, limits=funnel.limits, x="person_years",
                                y="estimate", label="area_name", highlight=ctx.kommun,
                                target=funnel.target, target_label=figures.comparison_label(comparison),
                                others_label="Övriga kommuner" if comparison == "riket"
                                else "Kommuner i jämförelsegruppen",
                                limit_x="person_years", limit_level="ci_level",
                                title=f"{row.crime_type} per 100\u00a0000 invånare: trattdiagram",
                                source=figures.CRIME_SOURCE, synthetic=ctx.dataset.synthetic))

# %% [markdown]
# ### Tid och plats

# %%
place = tp.tid_och_plats(ctx)
display(Markdown(tp.tid_och_plats_text(place)))
if place["incidents"]:
    rt.show(tp.week_table(place))
    display(place_figures.weekday_hour_heatmap(place["weekday_hour"].table,
                                               title=f"Händelser per veckodag och timme, {ctx.kommun}",
                                               synthetic=ctx.dataset.synthetic))
    display(Markdown("#### Platser"))
    rt.show(tp.places_table(place), claims=tp.places_claims(place))
    if place["change"] is not None:
        display(Markdown("#### Platsernas andel, förändring"))
        rt.show(tp.place_change_table(place), claims=tp.place_change_claims(place))
if len(tp.indoor_table(place)):
    display(Markdown("#### Inomhus och utomhus"))
    rt.show(tp.indoor_table(place), claims=tp.indoor_claims(place))

# %% [markdown]
# ## Trygghet och oro

# %%
if survey is None:
    display(Markdown("Det finns ingen trygghetsundersökning för kommunen i datamappen."))
else:
    display(Markdown(tx.survey_intro(survey["year"], survey["n"], survey["calibrated"])))
    display(Markdown(f"#### Indikatorer för hela kommunen {survey['year']}"))
    display(Markdown(cap.survey_sentence(survey["kommun"], year=survey["year"])))
    rt.show(rt.survey_table(survey["kommun"]))
    if "sex_gap" in survey:
        display(Markdown("#### Kvinnor och män"))
        display(Markdown(cap.sex_gap_sentence(survey["sex_gap"], survey["sex"])))
        rt.show(rt.sex_gap_table(survey["sex_gap"], survey["sex"]),
                claims=rt.claims("sex_gap", survey["sex_gap"]))
    display(Markdown("#### Per åldersgrupp"))
    display(Markdown("Tabellen visar andelarna per åldersgrupp med 95 % konfidensintervall inom "
                     "parentes; skillnaderna mellan åldersgrupper är inte prövade här."))
    rt.show(rt.survey_table(survey["age_group"], by="age_group"))
    display(Markdown("#### Per område"))
    display(Markdown("Tabellen visar andelarna per område med 95 % konfidensintervall inom "
                     "parentes; områden med färre än 50 svarande redovisas inte (x)."))
    rt.show(rt.survey_table(survey["area"], by="area"))

# %%
if survey is not None:
    display(figures.indicator_by_group(survey["area"][survey["area"]["variable"] == "otrygg_kvall_andel"],
                                       group="area", title="Otrygga ute sen kväll, per område (95\u00a0% KI)",
                                       source=figures.SURVEY_SOURCE, synthetic=ctx.dataset.synthetic))
    if "change" in survey:
        display(Markdown(f"#### Förändring sedan {survey['previous_year']}"))
        display(Markdown(cap.survey_change_summary(survey["change"],
                                                   previous_year=survey["previous_year"])))
        rt.show(rt.change_table(survey["change"]), claims=rt.claims("survey_change", survey["change"]))
    if "small_area" in survey:
        display(Markdown("#### Modellskattning per område"))
        display(Markdown(tx.small_area_intro()))
        rt.show(rt.small_area_table(survey["small_area"]))

# %% [markdown]
# ## Annan information

# %%
info = ai.annan_information(ctx, survey)
display(Markdown(ai.annan_information_text(info)))
if info is not None:
    display(Markdown("#### Jämfört med Nationella trygghetsundersökningen"))
    rt.show(ai.ntu_table(info), claims=ai.ntu_claims(info))
    display(Markdown("#### Skillnader mellan kvinnor och män och mellan åldersgrupper"))
    rt.show(ai.gaps_table(info))
    if len(info["remedy"]):
        display(Markdown("#### Åldersgrupper med för få svarande"))
        rt.show(ai.remedy_table(info))

# %% [markdown]
# ## Analys
# ### Brottsligheten totalt

# %%
if cov.covers("riket"):
    total = ai.total_rank(ctx)
    display(Markdown(ai.total_rank_text(total, ctx.kommun)))
    rt.show(ai.total_rank_table(total), claims=ai.total_rank_claims(total))
else:
    display(Markdown(cv.missing_comparison_text(
        cov, ["riket", "lan"], lead="Kommunens placering bland landets och länets kommuner kan inte anges.")))

# %% [markdown]
# ### Problembild, samstämmighet och konsekvenser

# %%
problems = an.problembild(ctx, levels, changes, trends)
agreement = an.samstammighet(ctx, survey)
display(Markdown(an.analys_text(problems, agreement, survey, info, kommun=ctx.kommun,
                               relation=place["relation"])))
rt.show(an.problem_table(problems))
rt.show(an.agreement_table(agreement))

# %% [markdown]
# ## Åtgärder och uppföljning

# %%
if measures.empty:
    display(Markdown("Inga åtgärder finns registrerade för kommunen."))
else:
    display(Markdown("#### Kommunens åtgärder"))
    display(Markdown("Tabellen visar kommunens registrerade åtgärder, vilket problem de riktar sig "
                     "mot och hur de följs upp."))
    rt.show(rt.measures_table(measures, ctx.dataset.items))
    display(Markdown("#### Utvärdering av åtgärderna"))
    if evaluate_measures:
        display(Markdown(tx.evaluation_intro()))
        rt.show(rt.evaluation_table(evaluations))
    else:
        display(Markdown("Åtgärderna har inte utvärderats i den här körningen."))

# %% [markdown]
# ### Från lägesbild till åtgärdsplan

# %%
plan = br.bridge(ctx, problems, survey, measures)
display(Markdown(br.bridge_text(plan)))
rt.show(br.bridge_table(plan))

# %% [markdown]
# ## Källor och begränsningar

# %%
display(Markdown(tx.sources_and_limitations(synthetic=ctx.dataset.synthetic,
                                            preliminary=bool(rc.preliminary_years(ctx)))))

# %% [markdown]
# ## Ordlista

# %%
display(Markdown(tx.ordlista()))

# %% [markdown]
# ### Om underlaget (proveniens)

# %%
rt.show(rc.provenance(ctx, {"kommunkod": kommunkod, "year": year, "data_dir": data_dir,
                           "comparison": comparison, "language": language}))
