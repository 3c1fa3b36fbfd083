"""Write a folder of "downloaded exports" in real layouts from a tidy data folder (for tests).

The layouts are those of the committed real files in tests/fixtures/io/real_layouts (Brå's
statistikdatabas kommun × month table in long form; SCB PxWeb API v2 JSON-stat 2.0 for
Folkmängd, TAB638 structure); the numbers come from the synthetic sample, so the import can be
run end to end on all 290 kommuner without committing megabytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.crime_types import bra_category
from analysis.municipalities import municipalities

#: Brå's labels (as in the statistikdatabas) and ids for the sample's crime types.
BRA_LABELS = {
    "Misshandel (inkl. grov)": ("Brott mot brottsbalken, 3-7 kap. Brott mot person, 3 kap. Brott mot liv och "
                                "hälsa, därav misshandel inkl. grov", "13197"),
    "Olaga hot": ("Brott mot brottsbalken, 3-7 kap. Brott mot person, 4 kap. Brott mot frihet och frid, "
                  "därav olaga hot", ""),
    "Ofredande": ("Brott mot brottsbalken, 3-7 kap. Brott mot person, 4 kap. Brott mot frihet och frid, "
                  "därav ofredande", ""),
    "Sexualbrott": ("Brott mot brottsbalken, 3-7 kap. Brott mot person, 6 kap. Sexualbrott", "13678"),
    "Grov kvinnofridskränkning": ("Brott mot brottsbalken, 3-7 kap. Brott mot person, 4 kap. Brott mot frihet "
                                  "och frid, därav grov kvinnofridskränkning", ""),
    "Rån (inkl. grovt)": ("Brott mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 8 kap. Stöld, rån m.m., "
                          "därav rån, inkl. grovt", "13268"),
    "Bostadsinbrott": ("Brott mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 8 kap. Stöld, rån m.m., "
                       "därav inbrottsstöld i bostad", "13264"),
    "Bilbrott": ("Bilbrott", ""),
    "Cykelstöld": ("Brott mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 8 kap. Stöld, rån m.m., "
                   "därav cykeltillgrepp", "13260"),
    "Butiksstöld/snatteri": ("Brott mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 8 kap. Stöld, rån "
                             "m.m., därav stöld och snatteri i butik, varuhus o.d.", "13550"),
    "Skadegörelsebrott": ("Brott mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 12 kap. "
                          "Skadegörelsebrott", "13216"),
    "Narkotikabrott": ("Brott mot specialstraffrättsliga författningar, Brott mot narkotikastrafflagen",
                       "13236"),
}


def bra_label(crime_type: str) -> tuple[str, str]:
    """Brå's label and id for a sample crime type: the statistikdatabas label above, else the
    first of Brå's own labels in the alias table (the total, the newer types, the "därav"
    subcategories) with its statistikdatabas id where it has one."""
    if crime_type in BRA_LABELS:
        return BRA_LABELS[crime_type]
    cat = bra_category(crime_type)
    if cat is None:
        raise KeyError(f"no Brå label for {crime_type!r}")
    return cat.labels[0], (cat.codes[-1] if cat.codes else "")


def write_bra_long(crimes: pd.DataFrame, population: pd.DataFrame, path: Path) -> None:
    """Brå's kommun × month table, one row per kommun, crime type and month, with Brå's rate
    (count / population 31 December of the year before × 100 000, whole numbers)."""
    names = municipalities().set_index("kommunkod")["kommun"]
    pop = population.set_index(["kommunkod", "year"])["population"]
    period = pd.PeriodIndex(crimes["period"], freq="M")
    prev = pd.MultiIndex.from_arrays([crimes["kommunkod"], period.year - 1])
    denom = pop.reindex(prev).to_numpy(float)
    rate = np.floor(crimes["count"].to_numpy(float) / denom * 1e5 + 0.5)
    lab = crimes["crime_type"].map(lambda c: bra_label(c)[0])
    ids = crimes["crime_type"].map(lambda c: bra_label(c)[1])
    out = pd.DataFrame({"År": period.year, "Månad": [f"{m}.0" for m in period.month],
                        "Preliminär": (crimes["status"] == "preliminär").map({True: "True", False: "False"}),
                        "Kommun": crimes["kommunkod"].map(names), "Brott": lab, "Brott_ID": ids,
                        "Antal": crimes["count"].map(lambda c: f"{c}.0"),
                        "Per100000": [("" if np.isnan(r) else f"{r:.1f}") for r in rate]})
    out.to_csv(path, index=False, encoding="utf-8")


def write_pxweb_population(population: pd.DataFrame, path: Path) -> None:
    """SCB PxWeb API v2 JSON-stat 2.0, TAB638 structure, Region × ContentsCode × Tid (Kön,
    Civilstånd and Ålder left out of the query, so SCB sums over them)."""
    names = municipalities().set_index("kommunkod")["kommun"]
    codes = sorted(population["kommunkod"].unique())
    years = sorted(population["year"].unique())
    wide = population.pivot(index="kommunkod", columns="year", values="population").reindex(codes)[years]
    js = {"version": "2.0", "class": "dataset",
          "label": "Folkmängd efter region, tabellinnehåll och år", "source": "SCB",
          "updated": "2026-02-21T07:00:00Z", "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
          "id": ["Region", "ContentsCode", "Tid"], "size": [len(codes), 1, len(years)],
          "dimension": {
              "Region": {"label": "region", "category": {"index": {c: i for i, c in enumerate(codes)},
                                                        "label": {c: names[c] for c in codes}},
                         "extension": {"elimination": True, "eliminationValueCode": "00"}},
              "ContentsCode": {"label": "tabellinnehåll", "category": {
                  "index": {"BE0101N1": 0}, "label": {"BE0101N1": "Folkmängd"},
                  "unit": {"BE0101N1": {"base": "antal personer", "decimals": 0}}}},
              "Tid": {"label": "år", "category": {"index": {str(y): i for i, y in enumerate(years)},
                                                  "label": {str(y): str(y) for y in years}}}},
          "extension": {"px": {"tableid": "TAB638", "contents": "Folkmängd"}},
          "value": [int(v) for v in wide.to_numpy().ravel()]}
    path.write_text(json.dumps(js, ensure_ascii=False), encoding="utf-8")


def write_survey_xlsx(survey: pd.DataFrame, path: Path) -> None:
    """The survey as a coordinator's Excel workbook (capitalised sexes: 'Kvinna', 'Man')."""
    openpyxl = __import__("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Enkät"
    ws.append(list(survey.columns))
    for row in survey.assign(sex=survey["sex"].str.capitalize()).itertuples(index=False):
        ws.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in row])
    wb.save(path)


def write_exports(sample: Path, out: Path, *, survey_kommun: str = "1760",
                  kommuner: list[str] | None = None) -> Path:
    """The folder a coordinator would have after downloading: Brå, SCB, her survey files
    (Brå's and SCB's tables for ``kommuner`` only, when given: one kommun's own exports)."""
    out.mkdir(parents=True, exist_ok=True)
    crimes = pd.read_csv(sample / "crimes.csv", dtype={"kommunkod": str})
    population = pd.read_csv(sample / "population.csv", dtype={"kommunkod": str})
    if kommuner is not None:
        crimes = crimes[crimes["kommunkod"].isin(kommuner)]
        population = population[population["kommunkod"].isin(kommuner)]
    write_bra_long(crimes, population, out / "bra_anmalda_brott_kommun_manad.csv")
    write_pxweb_population(population, out / "scb_folkmangd_TAB638.json")
    survey = pd.read_csv(sample / "survey.csv", dtype={"kommunkod": str, "respondent_id": str,
                                                       "psu": str})
    write_survey_xlsx(survey[survey["kommunkod"] == survey_kommun], out / "trygghetsenkat.xlsx")
    margins = pd.read_csv(sample / "margins.csv", dtype={"kommunkod": str})
    margins[margins["kommunkod"] == survey_kommun].to_csv(out / "marginaler.csv", index=False, sep=";")
    (out / "fragor.csv").write_text((sample / "items.csv").read_text(encoding="utf-8"), encoding="utf-8")
    (out / "LASMIG.txt").write_text("Nedladdat från Brå och SCB.\n", encoding="utf-8")
    return out
