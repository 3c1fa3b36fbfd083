"""Write the small synthetic safety survey used by the golden tests (run once; output committed).

    python tests/reference/survey/make_safety_survey.py

A kommun with ten areas; two survey rounds (2023, 2025), each a stratified random sample by
area with age- and sex-dependent response, so that calibration matters. Items follow the
NTU-style catalogue of docs/data-model.md, with "vet ej" (9) and item non-response. The
population cells (margins) and the catalogue are written beside it. Synthetic data, not
statistics about any real kommun.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SEED = 20240611
KOMMUN = "2181"
AREAS = ["Centrum", "Norr", "Söder", "Öster", "Väster", "Hamnen", "Bruket", "Skogen", "Sjösidan", "Landsbygd"]
AGES = ["16-24", "25-44", "45-64", "65-84"]
SEXES = ["kvinna", "man"]
RESPONSE = {"16-24": 0.28, "25-44": 0.36, "45-64": 0.52, "65-84": 0.63}

ITEMS = [
    ("otrygg_kvall", "Hur trygg eller otrygg känner du dig om du går ut ensam sent en kväll i området där du bor?",
     "1=Mycket trygg|2=Ganska trygg|3=Ganska otrygg|4=Mycket otrygg|5=Går inte ut på grund av otrygghet|"
     "6=Går inte ut av andra skäl|9=Vet ej", "3|4|5", "otrygghet", "9"),
    ("oro_brottslighet", "I vilken grad oroar du dig över brottsligheten i samhället?",
     "1=Inte alls|2=I liten grad|3=I ganska hög grad|4=I mycket hög grad|9=Vet ej", "3|4", "oro", "9"),
    ("oro_narstaende", "I vilken grad oroar du dig för att någon närstående ska drabbas av brott?",
     "1=Inte alls|2=I liten grad|3=I ganska hög grad|4=I mycket hög grad|9=Vet ej", "3|4", "oro", "9"),
    ("oro_inbrott", "Hur orolig är du för att någon ska bryta sig in i din bostad?",
     "1=Inte alls orolig|2=Inte särskilt orolig|3=Ganska orolig|4=Mycket orolig|9=Vet ej", "3|4", "oro", "9"),
    ("oro_misshandel", "Hur orolig är du för att bli överfallen eller misshandlad?",
     "1=Inte alls orolig|2=Inte särskilt orolig|3=Ganska orolig|4=Mycket orolig|9=Vet ej", "3|4", "oro", "9"),
    ("problem_trafik", "Trafiken (fortkörning, buskörning) i området där du bor",
     "1=Inget problem|2=Litet problem|3=Ganska stort problem|4=Mycket stort problem|9=Vet ej", "3|4", "problem", "9"),
    ("problem_belysning", "Dålig belysning i området där du bor",
     "1=Inget problem|2=Litet problem|3=Ganska stort problem|4=Mycket stort problem|9=Vet ej", "3|4", "problem", "9"),
    ("problem_narkotika", "Narkotikaförsäljning eller narkotikamissbruk i området",
     "1=Inget problem|2=Litet problem|3=Ganska stort problem|4=Mycket stort problem|9=Vet ej", "3|4", "problem", "9"),
    ("problem_ungdomsgang", "Ungdomsgäng som bråkar och stör i området",
     "1=Inget problem|2=Litet problem|3=Ganska stort problem|4=Mycket stort problem|9=Vet ej", "3|4", "problem", "9"),
    ("problem_skadegorelse", "Skadegörelse och klotter i området",
     "1=Inget problem|2=Litet problem|3=Ganska stort problem|4=Mycket stort problem|9=Vet ej", "3|4", "problem", "9"),
    ("utsatt_brott", "Har du de senaste tolv månaderna blivit utsatt för misshandel, hot eller stöld?",
     "1=Ja|2=Nej|9=Vet ej", "1", "utsatthet", "9"),
]


def _ordinal(rng, latent, cuts):
    """Ordered categories 1..len(cuts)+1 from a latent score with logistic noise."""
    z = latent + rng.logistic(size=latent.size)
    return 1 + np.searchsorted(np.asarray(cuts), z)


def main() -> None:
    rng = np.random.default_rng(SEED)
    area_pop = rng.integers(1800, 6500, len(AREAS))
    area_risk = np.linspace(-0.6, 0.9, len(AREAS))[rng.permutation(len(AREAS))]
    age_share = np.array([0.14, 0.33, 0.31, 0.22])
    margins, frames = [], []
    rid = 0
    for year in (2023, 2025):
        for a, area in enumerate(AREAS):
            cells = rng.multinomial(int(area_pop[a] * (1 + 0.02 * (year - 2023))),
                                    np.outer([0.5, 0.5], age_share).ravel()).reshape(2, 4)
            for s, sex in enumerate(SEXES):
                for g, age in enumerate(AGES):
                    margins.append((KOMMUN, year, area, sex, age, int(cells[s, g])))
            N_h = int(cells.sum())
            n_gross = int(rng.integers(110, 260))
            # draw the gross sample from the population cells, then respondents by response propensity
            people = np.repeat(np.arange(8), cells.ravel())
            drawn = rng.choice(people, n_gross, replace=False)
            sex_i, age_i = drawn // 4, drawn % 4
            p_resp = np.array([RESPONSE[AGES[g]] for g in age_i]) * np.where(sex_i == 0, 1.1, 0.9)
            resp = rng.random(n_gross) < p_resp
            sex_i, age_i = sex_i[resp], age_i[resp]
            n = len(sex_i)
            risk = (area_risk[a] + 0.9 * (sex_i == 0) - 0.25 * age_i + 0.3 * (age_i == 3)
                    + (0.25 if year == 2025 and a % 3 == 0 else 0.0))
            frame = pd.DataFrame({
                "respondent_id": [f"R{year}-{rid + i:05d}" for i in range(n)],
                "kommunkod": KOMMUN, "year": year, "area": area,
                "sex": [SEXES[i] for i in sex_i], "age_group": [AGES[i] for i in age_i],
                "stratum": area, "psu": "", "design_weight": N_h / n_gross,
                "stratum_population": N_h})
            rid += n
            otr = _ordinal(rng, risk, [-1.6, 1.2, 2.6, 3.3, 3.7])
            frame["otrygg_kvall"] = otr
            worry = risk + rng.normal(0, 0.6, n)
            for item, shift in [("oro_brottslighet", 0.8), ("oro_narstaende", 0.4), ("oro_inbrott", 0.0),
                                ("oro_misshandel", -0.4)]:
                frame[item] = _ordinal(rng, worry + shift, [-1.0, 0.9, 2.6])
            for item, shift in [("problem_trafik", 0.9), ("problem_belysning", -0.2), ("problem_narkotika", -0.3),
                                ("problem_ungdomsgang", 0.1), ("problem_skadegorelse", 0.3)]:
                frame[item] = _ordinal(rng, 1.4 * area_risk[a] + shift + rng.normal(0, 0.5, n), [-0.8, 1.1, 2.7])
            frame["utsatt_brott"] = np.where(rng.random(n) < 0.10 + 0.05 * (area_risk[a] > 0.3) + 0.06 * (age_i == 0), 1, 2)
            for item, *_ in ITEMS:
                codes = frame[item].astype("Int64")
                dont_know = rng.random(n) < 0.03
                missing = rng.random(n) < 0.025
                codes[dont_know] = 9
                codes[missing] = pd.NA
                frame[item] = codes
            frames.append(frame)
    survey = pd.concat(frames, ignore_index=True)
    survey.to_csv(HERE / "safety_survey.csv", index=False)
    pd.DataFrame(margins, columns=["kommunkod", "year", "area", "sex", "age_group", "population"]).to_csv(
        HERE / "safety_margins.csv", index=False)
    pd.DataFrame(ITEMS, columns=["item", "question", "scale", "indicator_values", "indicator",
                                 "missing_values"]).to_csv(HERE / "safety_items.csv", index=False)
    print(f"{len(survey)} respondents written to {HERE / 'safety_survey.csv'}")


if __name__ == "__main__":
    main()
