# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Utvärdering av åtgärd
#
# Utkast från `lagesbild`: effekt av en brottsförebyggande åtgärd på anmälda brott, med
# osäkerhet, kontrollfall och förbehåll. Siffror och omdöme kommer från
# `analysis.measure_evaluation`; metoderna beskrivs i `docs/measure-evaluation.md`.

# %% tags=["parameters"]
measure_id = "M2181-01"
data_dir = "data/sample"
language = "sv"

# %%
from analysis.io import load_dataset
from analysis.measure_evaluation import evaluate_measure, measure_power
from analysis.measure_evaluation import plots

dataset = load_dataset(data_dir)
evaluation = evaluate_measure(dataset, measure_id)
print(evaluation.summary())

# %% [markdown]
# ## Resultat
# Huvudmetoden är avbruten tidsserie (kvasi-Poisson) med intervall kalibrerat mot kommuner utan
# åtgärden; övriga rader är kontrollfall.

# %%
evaluation.table

# %%
plots.plot_counterfactual(evaluation.counterfactual, title=evaluation.measure.name)

# %% [markdown]
# ## Omdöme, kontroller och förbehåll

# %%
evaluation.verdict.table if evaluation.evaluable else evaluation.notes

# %%
evaluation.verdict.checks if evaluation.evaluable else None

# %%
evaluation.verdict.caveats if evaluation.evaluable else None

# %% [markdown]
# ## Jämförelsekommuner och syntetisk kontroll

# %%
(plots.plot_event_study(evaluation.controlled.event_study) if evaluation.controlled is not None
 else plots.plot_message("Ingen kontrollerad tidsserie"))

# %%
(plots.plot_synthetic_gap(evaluation.synthetic.gap) if evaluation.synthetic is not None
 else plots.plot_message("Ingen syntetisk kontroll"))

# %%
(plots.plot_placebos(evaluation.synthetic.placebo) if evaluation.synthetic is not None
 else plots.plot_message("Inga placebokörningar"))

# %% [markdown]
# ## Kunde en effekt alls upptäckas? (styrka före start)

# %%
power = measure_power(dataset, measure_id, n_sim=200) if evaluation.evaluable else None
power.mde if power is not None else None

# %%
plots.plot_power(power.table) if power is not None else plots.plot_message("Ingen styrkeberäkning")
