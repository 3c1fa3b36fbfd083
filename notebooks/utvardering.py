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
measure_id = "M2181-01"  # åtgärdens id i åtgärdsregistret (measures.csv)
data_dir = "data/sample"  # datamapp enligt docs/data-model.md, relativ till projektets rot
language = "sv"  # rapportspråk (endast svenska)
shared_cache_dir = None  # sätts av batchkörningen: delade beräkningar (styrkan, indikatorerna)

# %%
from IPython.display import Markdown, display

from analysis.report import evaluation as er, evaluation_figures, tables as rt, wording as tx
from analysis.paths import resolve_data_dir
from analysis.evaluation import (evaluate_measure, load_measure_data, shared_indicators,
                                 shared_power)

if language != "sv":
    raise ValueError(f"language {language!r} is not supported; only 'sv'")
folder = resolve_data_dir(data_dir)
dataset = load_measure_data(folder, measure_id, survey=False)  # the survey: its own section
evaluation = evaluate_measure(dataset, measure_id)
power = (shared_power(dataset, measure_id, n_sim=200, cache_dir=shared_cache_dir or None)
         if evaluation.evaluable else None)
display(Markdown(er.heading(evaluation)))

# %% [markdown]
# ## Bedömning

# %%
display(Markdown(er.verdict_text(evaluation)))
if evaluation.evaluable:
    display(Markdown(tx.evaluation_intro()))

# %%
if evaluation.evaluable:
    display(evaluation_figures.plot_counterfactual(evaluation.counterfactual,
                                      title="Anmälda brott och förväntat antal utan åtgärden",
                                                   synthetic=dataset.synthetic))

# %% [markdown]
# ## Resultat för varje metod

# %%
if evaluation.evaluable:
    display(Markdown("Huvudmetoden avgör bedömningen; de andra raderna visar om jämförelser med "
                     "andra kommuner pekar åt samma håll. Kvoten är anmälda brott efter start "
                     "delat med det förväntade antalet utan åtgärden (under 1 = färre än "
                     "förväntat)."))
    rt.show(er.results_table(evaluation))
else:
    display(Markdown("Ingen utvärdering med anmälda brott."))

# %% [markdown]
# ## Kontroller och förbehåll

# %%
if evaluation.evaluable:
    rt.show(er.checks_table(evaluation))
    rt.show(er.caveats_table(evaluation))
else:
    display(Markdown("Ingen utvärdering med anmälda brott."))

# %% [markdown]
# ## Jämförelsekommuner och syntetisk kontroll

# %%
if evaluation.synthetic is not None:
    rt.show(er.donor_table(evaluation))
    display(evaluation_figures.plot_synthetic_gap(evaluation.synthetic.gap,
                                     title="Kommunen och dess syntetiska kontroll",
                                                  synthetic=dataset.synthetic))
    display(evaluation_figures.plot_placebos(evaluation.synthetic.placebo,
                                title="Placebotest: avvikelse efter start i andra kommuner",
                                             synthetic=dataset.synthetic))
else:
    display(Markdown("Ingen syntetisk kontroll kunde göras." if evaluation.evaluable
                     else "Ingen utvärdering med anmälda brott."))

# %%
if evaluation.controlled is not None:
    display(evaluation_figures.plot_event_study(evaluation.controlled.event_study,
                                   title="Kvot mot jämförelsekommunerna år för år",
                                                synthetic=dataset.synthetic))

# %% [markdown]
# ## Kunde en effekt alls upptäckas? (styrka före start)

# %%
if power is None:
    display(Markdown("Ingen styrkeberäkning: åtgärden följs inte upp med anmälda brott."))
else:
    display(Markdown(er.power_text(power)))
    rt.show(er.power_table(power))
    display(evaluation_figures.plot_power(power.table, title="Sannolikhet att upptäcka en minskning",
                                          synthetic=dataset.synthetic))

# %% [markdown]
# ## Trygghetsundersökningen: åtgärdens indikatorer

# %%
indicators, effects = shared_indicators(folder, measure_id, cache_dir=shared_cache_dir or None)
if indicators.empty:
    display(Markdown("Åtgärden anger ingen indikator som finns i trygghetsundersökningen."))
else:
    display(Markdown(er.indicator_text(indicators, evaluation.measure.start)))
    rt.show(er.indicator_table(indicators))
    if not effects.empty:
        display(Markdown("### Effekt på indikatorerna"))
        display(Markdown(er.indicator_effect_text(effects)))
        rt.show(er.indicator_effect_table(effects))

# %% [markdown]
# ## Ordlista

# %%
display(Markdown(tx.ordlista(["kvot mot förväntat", "95 % KI (konfidensintervall)",
                              "statistiskt säkerställd", "p-värde", "syntetisk kontroll"])))

# %% [markdown]
# ## Källor och metod
# Anmälda brott (Brå) per månad och folkmängd (SCB); kommunens trygghetsundersökning (andelar
# viktade till befolkningen, andelar från färre än 50 svarande redovisas inte: x). Metoderna,
# deras antaganden och hur väl intervallen håller i simuleringar beskrivs i
# `docs/measure-evaluation.md`.
