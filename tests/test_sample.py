"""Tests of the synthetic sample: reproducibility, contracts, realism and the planted truth.

The planted truth is checked by routes that do not reuse the generator's code: rate ratios
from observed counts, the population file and the truth's trend and seasonal factors;
survey shares by post-stratification to the margins.
"""

from __future__ import annotations

import json
import numpy as np
import pandas as pd
import pytest

import analysis.sample as sample
from analysis import SAMPLE_DATA_LABEL
from analysis.crime_types import AGGREGATES, CRIME_TYPE_NAMES, CRIME_TYPES, FOCUS_AREAS
from analysis.municipalities import municipalities
from analysis.sample import SAMPLE_KOMMUNER, generate, write_sample
from analysis.sample.crimes import NATIONAL_TOTAL, SUBCATEGORY_NAMES
from analysis.sample.measures import MEASURES
from analysis.schemas import AGE_GROUPS, SCHEMAS, validate

VALD = AGGREGATES["Våldsbrott"]
ELSEWHERE = ("0180", "1280", "1480", "1880", "2480", "2580")
FILES = ("DATASET.json", "README.txt", "crimes.csv", "incidents.csv", "items.csv", "margins.csv",
         "measures.csv", "planted_truth.json", "population.csv", "survey.csv")


@pytest.fixture(scope="module")
def subset():
    """Sample kommuner, the other measure kommuner and every 12th kommun (about 40)."""
    codes = municipalities()["kommunkod"].tolist()
    return generate(kommuner=sorted(set(SAMPLE_KOMMUNER) | set(ELSEWHERE) | set(codes[::12])))


@pytest.fixture(scope="module")
def full():
    return generate()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    a = write_sample(root / "a", kommuner=["1760", "2026"])
    b = write_sample(root / "b", kommuner=["1760", "2026"])
    return root, a, b


# ------------------------------------------------------------------ reproducibility and contracts

def test_two_writes_are_byte_identical(written):
    root, a, b = written
    assert sorted(p.name for p in a) == sorted(FILES)
    assert {p.name: h for p, h in a.items()} == {p.name: h for p, h in b.items()}
    for name in FILES:
        assert (root / "a" / name).read_bytes() == (root / "b" / name).read_bytes()


def test_bytes_do_not_depend_on_the_process(written, tmp_path):
    """A fresh interpreter with another hash seed writes the same bytes (no hidden state)."""
    import os
    import subprocess
    import sys

    code = ("import sys; from analysis.sample import write_sample; "
            "h = write_sample(sys.argv[1], kommuner=['2026', '1760']); "
            "print('\\n'.join(f'{p.name} {v}' for p, v in sorted(h.items())))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x")], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    fresh = dict(zip(out[::2], out[1::2]))
    assert fresh == {p.name: h for p, h in written[1].items()}


def test_other_seed_gives_other_numbers(written, tmp_path):
    root, a, _ = written
    c = write_sample(tmp_path / "c", seed=7, kommuner=["1760", "2026"])
    by_name = {p.name: h for p, h in a.items()}
    other = {p.name: h for p, h in c.items()}
    for name in ("crimes.csv", "survey.csv", "margins.csv", "population.csv",
                 "planted_truth.json"):
        assert by_name[name] != other[name], name
    assert by_name["items.csv"] == other["items.csv"]  # the catalogue does not depend on the seed


def test_a_kommun_is_the_same_alone_or_with_others(subset):
    alone = generate(kommuner=["Storfors"])
    for kind in ("crimes", "population", "survey", "margins"):
        big = subset.frames[kind]
        part = big[big["kommunkod"] == "1760"].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone.frames[kind], part, check_dtype=False)
    assert alone.truth_table("survey_shares").equals(
        subset.truth_table("survey_shares").query("kommunkod == '1760'").reset_index(drop=True))


def test_every_frame_passes_its_contract(subset):
    for kind, frame in subset.frames.items():
        typed = validate(frame, kind)
        assert len(typed) == len(frame) > 0, kind


def test_written_files_pass_their_contracts_as_text(written):
    root = written[0] / "a"
    for kind in ("crimes", "population", "survey", "items", "margins", "measures"):
        df = pd.read_csv(root / f"{kind}.csv", dtype=str, keep_default_na=False)
        schema = SCHEMAS[kind]
        assert list(df.columns[:len(schema.names)]) == [c for c in schema.names if c in df.columns]
        validate(df, kind, file=f"{kind}.csv")


def test_written_csv_round_trips(written):
    root = written[0] / "a"
    data = generate(kommuner=["1760", "2026"])
    crimes = pd.read_csv(root / "crimes.csv", dtype=str, keep_default_na=False)
    assert crimes["period"].iloc[0] == "2015-01" and crimes["kommunkod"].iloc[0] == "1760"
    assert (crimes["count"].astype(int).to_numpy() == data.crimes["count"].to_numpy()).all()
    survey = pd.read_csv(root / "survey.csv", dtype=str, keep_default_na=False)
    assert (survey["otrygg_kvall"] == "").sum() == data.survey["otrygg_kvall"].isna().sum() > 0
    assert np.allclose(survey["design_weight"].astype(float), data.survey["design_weight"])
    measures = pd.read_csv(root / "measures.csv", dtype=str, keep_default_na=False)
    assert set(measures["measure_id"]) == {"M1760-01", "M1760-02", "M2026-01", "M2026-02"}


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="leading|unknown kommun"):
        generate(kommuner=["114"])
    with pytest.raises(ValueError, match="seed"):
        generate(-1)
    with pytest.raises(ValueError, match="empty"):
        generate(kommuner=[])


# ------------------------------------------------------------------ labels and atomic writing

def test_labels_and_provenance(written):
    root = written[0] / "a"
    meta = json.loads((root / "DATASET.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["label"] == SAMPLE_DATA_LABEL
    assert meta["seed"] == sample.DEFAULT_SEED and meta["generator"] == "analysis.sample"
    assert meta["version"] == sample.SAMPLE_VERSION
    assert meta["files"]["crimes.csv"] == written[1][root / "crimes.csv"]
    assert SAMPLE_DATA_LABEL in (root / "README.txt").read_text(encoding="utf-8")
    truth = json.loads((root / "planted_truth.json").read_text(encoding="utf-8"))
    assert truth["label"] == SAMPLE_DATA_LABEL and truth["synthetic"] is True
    assert SAMPLE_DATA_LABEL not in (root / "crimes.csv").read_text(encoding="utf-8")


def test_existing_directory_is_not_clobbered(written, tmp_path):
    target = tmp_path / "data"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_sample(target, kommuner=["1760"])
    with pytest.raises(FileExistsError, match="not a sample directory"):
        write_sample(target, kommuner=["1760"], overwrite=True)
    assert (target / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no temp dirs left behind


def test_overwrite_replaces_an_earlier_sample(tmp_path):
    target = tmp_path / "s"
    write_sample(target, kommuner=["1760"])
    with pytest.raises(FileExistsError):
        write_sample(target, seed=3, kommuner=["1760"])
    hashes = write_sample(target, seed=3, kommuner=["1760"], overwrite=True)
    assert json.loads((target / "DATASET.json").read_text())["seed"] == 3
    assert set(hashes) == {target / f for f in FILES}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


def test_a_failed_write_leaves_nothing_half_written(tmp_path, monkeypatch):
    from analysis.sample import writer

    target = tmp_path / "s"
    write_sample(target, kommuner=["1760"])
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def boom(folder, *args, **kwargs):
        (folder / "crimes.csv").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(writer, "write_frames", boom)
    with pytest.raises(OSError, match="disk full"):
        write_sample(target, seed=5, kommuner=["1760"], overwrite=True)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]
    with pytest.raises(OSError):
        write_sample(tmp_path / "new", kommuner=["1760"])
    assert not (tmp_path / "new").exists()


# ------------------------------------------------------------------ crimes and population

@pytest.mark.slow
def test_full_sample_covers_all_kommuner_months_and_types(full):
    c = full.crimes
    names = set(CRIME_TYPE_NAMES) | set(SUBCATEGORY_NAMES) | {"Samtliga brott"}
    assert c["kommunkod"].nunique() == 290 and set(c["crime_type"]) == names
    assert len(names) == 15 + 7 + 1 and len(c) == 290 * len(names) * 132
    assert str(c["period"].min()) == "2015-01" and str(c["period"].max()) == "2025-12"
    assert set(SAMPLE_KOMMUNER) <= set(full.survey["kommunkod"])
    assert len(full.survey) < 1_000_000


@pytest.mark.slow
def test_national_levels_match_the_crime_types(full):
    c = full.crimes
    got = c[c["period"].dt.year == 2024].groupby("crime_type")["count"].sum()
    for ct in CRIME_TYPES:
        # Planted measures move Malmö's butiksstöld and Göteborg's bilbrott a few per cent.
        assert got[ct.name] == pytest.approx(ct.national_per_year, rel=0.06), ct.name


@pytest.mark.slow
def test_the_total_is_about_bras_and_never_below_its_parts(full):
    c = full.crimes
    wide = c.pivot_table(index=["kommunkod", "period"], columns="crime_type", values="count",
                         aggfunc="sum")
    total = wide["Samtliga brott"]
    assert (total >= wide[list(CRIME_TYPE_NAMES)].sum(axis=1)).all()
    in_2024 = total[wide.index.get_level_values("period").year == 2024].sum()
    assert in_2024 == pytest.approx(NATIONAL_TOTAL, rel=0.03)  # Brå 2024: 1 489 319
    # other crimes are a real share of the total everywhere, not a rounding rest
    other = (total - wide[list(CRIME_TYPE_NAMES)].sum(axis=1)).groupby("kommunkod").sum()
    assert (other / total.groupby("kommunkod").sum()).between(0.2, 0.5).all()


def test_subcategories_are_splits_of_their_crime(subset):
    wide = subset.crimes.pivot_table(index=["kommunkod", "period"], columns="crime_type",
                                     values="count", aggfunc="sum")
    assert (wide["Misshandel utomhus"] + wide["Misshandel inomhus"]
            == wide["Misshandel (inkl. grov)"]).all()
    assert (wide["Våld mot kvinna i nära relation"] <= wide["Misshandel inomhus"]).all()
    narc = ["Narkotikabrott, eget bruk", "Narkotikabrott, innehav", "Narkotikabrott, överlåtelse"]
    assert (wide[narc].sum(axis=1) <= wide["Narkotikabrott"]).all()
    assert (wide["Rattfylleri (inkl. grovt)"] <= wide["Trafikbrott"]).all()
    # every focus area's crime types are in the sample
    assert {t for a in FOCUS_AREAS.values() for t in a["crime_types"]} <= set(wide.columns)


def test_violence_is_mostly_indoors_in_small_kommuner_and_in_storfors(full):
    from scipy import stats

    c = full.crimes[full.crimes["period"].dt.year <= 2024]
    by = c.pivot_table(index="kommunkod", columns="crime_type", values="count", aggfunc="sum")
    share = by["Misshandel inomhus"] / by["Misshandel (inkl. grov)"]
    pop = municipalities().set_index("kommunkod")["population"][share.index]
    assert share[pop < 10_000].mean() > 0.58 > share[pop > 200_000].mean()
    # Storfors, 2015–2024: the exact interval of the indoor share lies above one half
    k, n = int(by.at["1760", "Misshandel inomhus"]), int(by.at["1760", "Misshandel (inkl. grov)"])
    assert stats.binomtest(k, n).proportion_ci().low > 0.7
    truth = full.truth["crimes"]["subcategories"]
    rows = pd.DataFrame(truth["rows"], columns=truth["columns"]).set_index("kommunkod")
    assert rows.at["1760", "indoor_share_misshandel"] == 0.85 and len(truth["rows"]) == 290
    # national relationship share about a fifth of all misshandel, as Brå's order of magnitude
    assert 0.18 < by["Våld mot kvinna i nära relation"].sum() / by["Misshandel (inkl. grov)"].sum() < 0.26


@pytest.mark.slow
def test_small_kommuner_have_whole_years_without_a_rare_crime(full):
    c = full.crimes.assign(year=full.crimes["period"].dt.year)
    yearly = c.groupby(["kommunkod", "crime_type", "year"])["count"].sum()
    zero = yearly[yearly == 0].reset_index()
    assert (zero["crime_type"] == "Rån (inkl. grovt)").any()
    pop = municipalities().set_index("kommunkod")["population"]
    assert pop[zero["kommunkod"]].median() < 15_000  # it happens in small kommuner


@pytest.mark.slow
def test_rates_rise_with_kommun_size_for_ran(full):
    c = full.crimes[full.crimes["crime_type"] == "Rån (inkl. grovt)"]
    per_kommun = c.groupby("kommunkod")["count"].sum()
    pop = municipalities().set_index("kommunkod")["population"]
    rate = per_kommun / pop[per_kommun.index]
    big, small = pop[per_kommun.index] > 100_000, pop[per_kommun.index] < 10_000
    assert rate[big].mean() > 2 * rate[small].mean()


def test_storfors_has_about_four_valdsbrott_a_month(subset):
    c = subset.crimes
    v = c[(c["kommunkod"] == "1760") & c["crime_type"].isin(VALD)]
    per_month = v.groupby("period")["count"].sum()
    assert len(per_month) == 132
    assert 3.3 < per_month.mean() < 4.8
    anchor = subset.truth["crimes"]["anchors"][0]
    assert anchor == {"kommunkod": "1760", "aggregate": "Våldsbrott", "expected_per_month": 4.0}
    trend = subset.truth_table("crime_trends").set_index(["kommunkod", "crime_type"])
    assert trend.loc[[("1760", t) for t in VALD], "expected_count_reference_year"].sum() / 12 \
        == pytest.approx(4.0, rel=1e-6)


def test_status_is_preliminary_only_for_2025(subset):
    c = subset.crimes
    years = c["period"].dt.year
    assert set(c.loc[years == 2025, "status"]) == {"preliminär"}
    assert set(c.loc[years < 2025, "status"]) == {"slutlig"}


def test_seasonality_follows_peak_months(subset):
    c = subset.crimes
    bikes = c[c["crime_type"] == "Cykelstöld"].groupby(c["period"].dt.month)["count"].sum()
    assert bikes.idxmax() in (6, 7, 8, 9)
    assert bikes.loc[[6, 7, 8]].mean() > 1.3 * bikes.loc[[1, 2, 12]].mean()


def test_population_grows_slightly_and_ends_at_the_register(subset):
    p = subset.population.pivot(index="kommunkod", columns="year", values="population")
    reg = municipalities().set_index("kommunkod")["population"]
    assert (p[2025] == reg[p.index]).all()
    change = np.log(p[2025] / p[2015]) / 10
    assert change.between(-0.013, 0.021).all()
    assert change["0180"] > 0.005 > change.min()  # Stockholm grows; some small kommun shrinks


def test_trends_in_the_data_match_the_planted_trends(subset):
    """Slope of log(annual count / population) 2015-2024 ≈ the truth, on large series."""
    c = subset.crimes.assign(year=subset.crimes["period"].dt.year)
    c = c[c["year"] <= 2024]
    annual = c.groupby(["kommunkod", "crime_type", "year"])["count"].sum()
    pop = subset.population.set_index(["kommunkod", "year"])["population"]
    truth = subset.truth_table("crime_trends").set_index(["kommunkod", "crime_type"])
    targeted = {(m.kommunkod, t) for m in MEASURES for t in m.target_crime_types}
    big = truth[truth["expected_count_reference_year"] > 3000].index
    years = np.arange(2015, 2025)
    ar = subset.truth["crimes"]["ar1"]
    checked = 0
    for key in big:
        if key in targeted:
            continue
        rate = annual.loc[key].to_numpy() / pop.loc[key[0]].loc[years].to_numpy()
        slope = np.polyfit(years - years.mean(), np.log(rate), 1)[0]
        # Sampling sd of the slope from the planted noise: gamma phi and AR(1) averaged over
        # 12 months, plus Poisson.
        phi = subset.truth["crimes"]["crime_types"][key[1]]["overdispersion_phi"]
        var_year = ((phi + ar["sigma"] ** 2 / (1 - ar["rho"]) ** 2) / 12
                    + 1 / truth.loc[key, "expected_count_reference_year"])
        sd = np.sqrt(var_year / ((years - years.mean()) ** 2).sum())
        assert abs(slope - truth.loc[key, "log_trend_per_year"]) < 4 * sd, (key, slope, sd)
        checked += 1
    assert checked >= 15


# ------------------------------------------------------------------ measures and planted effects

def test_registry_is_coherent_and_donor_pools_stay_clean(subset):
    owner: dict[str, str] = {}
    for m in MEASURES:
        assert m.focus_area in FOCUS_AREAS
        assert 2021 <= int(m.start[:4]) <= 2024  # >= 24 months before, >= 12 after
        for t in m.target_crime_types:
            assert t in CRIME_TYPE_NAMES
            assert owner.setdefault(t, m.kommunkod) == m.kommunkod, f"{t} targeted twice"
    codes = {m.kommunkod for m in MEASURES}
    assert set(SAMPLE_KOMMUNER) <= codes
    for code in SAMPLE_KOMMUNER:
        assert sum(m.kommunkod == code for m in MEASURES) >= 2
    areas = subset.survey.groupby("kommunkod")["area"].unique()
    for m in MEASURES:
        assert m.area is None or m.area in set(areas[m.kommunkod]), m.measure_id
    t = subset.truth_table("measures").set_index("measure_id")
    assert t.loc["M1760-01", "rate_ratio"] == 1.0 and not t.loc["M1760-01", "effect_planted"]
    assert t.loc["M1080-01", "rate_ratio"] < 0.8 and t.loc["M2181-01", "rate_ratio"] < 0.8


def _rate_ratio(data, measure):
    """Observed post/pre rate ratio, adjusted with the true trend, seasonality and population."""
    tt = data.truth["crimes"]
    trend = data.truth_table("crime_trends").set_index(["kommunkod", "crime_type"])
    pop = data.population.set_index(["kommunkod", "year"])["population"]
    per = pd.period_range("2015-01", "2025-12", freq="M")
    start = pd.Period(measure["start"][:7], freq="M")
    post_from = start + measure["phase_in_months"]
    obs_pre = obs_post = exp_pre = exp_post = 0.0
    var_terms = 0.0
    for ctype in measure["target_crime_types"]:
        series = data.crimes[(data.crimes["kommunkod"] == measure["kommunkod"])
                             & (data.crimes["crime_type"] == ctype)]["count"].to_numpy()
        season = np.array(tt["crime_types"][ctype]["seasonal_factors"])[per.month - 1]
        theta = trend.loc[(measure["kommunkod"], ctype), "log_trend_per_year"]
        t_mid = per.year + (per.month - 0.5) / 12 - 2024.5
        shape = np.asarray(pop.loc[measure["kommunkod"]].loc[per.year].to_numpy()
                           * np.exp(theta * t_mid.to_numpy()) * season
                           * per.days_in_month.to_numpy(), dtype=float)
        pre, post = np.asarray(per < start), np.asarray(per >= post_from)
        obs_pre += series[pre].sum()
        obs_post += series[post].sum()
        exp_pre += shape[pre].sum()
        exp_post += shape[post].sum()
        phi = tt["crime_types"][ctype]["overdispersion_phi"]
        ar = tt["ar1"]
        long_run = ar["sigma"] ** 2 / (1 - ar["rho"]) ** 2
        var_terms = max(var_terms, (phi + long_run) * (1 / pre.sum() + 1 / post.sum()))
    ratio = (obs_post / exp_post) / (obs_pre / exp_pre)
    sd = np.sqrt(1 / max(obs_pre, 1) + 1 / max(obs_post, 1) + var_terms)
    return ratio, sd


def test_planted_crime_effects_are_in_the_counts(subset):
    found = 0
    for m in subset.truth["measures"]:
        if not m["target_crime_types"]:
            continue
        ratio, sd = _rate_ratio(subset, m)
        assert abs(np.log(ratio) - np.log(m["rate_ratio"])) < 4 * sd, (m["measure_id"], ratio, sd)
        found += 1
    assert found >= 8
    by_id = {m["measure_id"]: m for m in subset.truth["measures"]}
    for mid in ("M1080-01", "M2181-01"):  # large series: the effect is plainly detectable
        ratio, sd = _rate_ratio(subset, by_id[mid])
        assert np.log(ratio) + 3 * sd < 0, (mid, ratio, sd)
    ratio, sd = _rate_ratio(subset, by_id["M0180-01"])  # a large null: no effect to see
    assert abs(np.log(ratio)) < 3 * sd and sd < 0.1


def test_other_kommuner_carry_no_effect(subset):
    """Karlskrona's effect is its own: the misshandel of kommuner without measures is steady."""
    c = subset.crimes
    others = c[~c["kommunkod"].isin({m.kommunkod for m in MEASURES})
               & (c["crime_type"] == "Misshandel (inkl. grov)")]
    total = others.groupby("period")["count"].sum()
    pre = total["2020-04":"2022-03"].sum()
    post = total["2022-10":"2024-09"].sum()
    assert post / pre == pytest.approx(1.0, abs=0.06)  # trends and growth roughly cancel


def test_planted_survey_shift_is_in_the_true_shares(subset):
    """Sandviken's lighting measure: Centrum's problem_belysning moves by the planted log-odds."""
    s = subset.truth_table("survey_shares")
    s = s[(s["kommunkod"] == "2181") & (s["item"] == "problem_belysning") & s["area"].notna()]
    logit = s.assign(l=np.log(s["share"] / (1 - s["share"]))).pivot(index="area", columns="year",
                                                                      values="l")
    change = logit[2023] - logit[2021]
    did = change["Centrum"] - change.drop("Centrum").mean()
    assert did == pytest.approx(-0.70, abs=0.08)


# ------------------------------------------------------------------ survey, margins, truth

def test_survey_design(subset):
    s, m = subset.survey, subset.margins
    assert set(s["year"]) == {2019, 2021, 2023, 2025}
    assert not s.duplicated(["kommunkod", "year", "respondent_id"]).any()
    n_areas = s.groupby("kommunkod")["area"].nunique()
    assert n_areas.between(3, 8).all() and n_areas["1080"] == 8 and n_areas["1760"] == 3
    assert (s["stratum"] == s["area"]).all()
    wsum = s.groupby(["kommunkod", "year", "area"])["design_weight"].sum()
    n_h = m.groupby(["kommunkod", "year", "area"])["population"].sum()
    assert np.allclose(wsum, n_h.loc[wsum.index], rtol=1e-5)
    size = s.groupby(["kommunkod", "year"]).size()
    assert size.loc["1760"].between(200, 500).all()       # a few hundred in Storfors
    assert size.loc["0180"].between(2000, 6000).all()     # thousands in Stockholm


def test_margins_sum_to_the_16_84_population(subset):
    m = subset.margins.groupby(["kommunkod", "year"])["population"].sum()
    pop = subset.population.set_index(["kommunkod", "year"])["population"]
    prof = pd.DataFrame(subset.truth["population"]["rows"],
                        columns=subset.truth["population"]["columns"]).set_index("kommunkod")
    expected = np.round(prof.loc[m.index.get_level_values(0), "share_16_84"].to_numpy()
                        * pop.loc[m.index].to_numpy())
    assert (np.abs(m.to_numpy() - expected) <= 1).all()
    assert set(subset.margins["age_group"]) == set(AGE_GROUPS)


def test_answers_follow_the_catalogue(subset):
    s, items = subset.survey, subset.items
    assert list(items["item"]) == list(s.columns[9:])
    for row in items.itertuples():
        codes = {int(p.split("=")[0]) for p in row.scale.split("|")}
        col = s[row.item]
        assert set(col.dropna().unique()) <= codes, row.item
        assert set(map(int, row.indicator_values.split("|"))) <= codes
        assert 0.002 < col.isna().mean() < 0.06, row.item
        assert (col == 9).any(), row.item
    assert set(s["otrygg_kvall"].dropna().unique()) == {1, 2, 3, 4, 5, 6, 9}


def test_young_men_respond_least(subset):
    s, m = subset.survey, subset.margins
    resp = s.groupby(["sex", "age_group"]).size() / len(s)
    pop = m.groupby(["sex", "age_group"])["population"].sum() / m["population"].sum()
    ratio = resp / pop
    assert ratio.idxmin() == ("man", "16-24") and ratio.max() > 2 * ratio.min()


def test_calibrated_shares_recover_the_truth_and_unweighted_do_not(subset):
    s, m = subset.survey, subset.margins
    truth = subset.truth_table("survey_shares")
    whole = truth[truth["area"].isna() & truth["sex"].isna()]
    total = whole.set_index(["kommunkod", "year", "item"])["share"]
    # Post-stratify to the area × sex × age margins: weight = N_c / n_c.
    keys = ["kommunkod", "year", "area", "sex", "age_group"]
    n_c = s.groupby(keys).size().rename("n")
    w = (m.set_index(keys)["population"] / n_c).rename("w")
    s = s.join(w, on=keys)
    rows = []
    for row in subset.items.itertuples():
        x = s[row.item]
        ok = (x.notna() & (x != 9)).to_numpy(dtype=float)
        hit = x.isin(list(map(int, row.indicator_values.split("|")))).to_numpy(dtype=float) * ok
        frame = pd.DataFrame({"kommunkod": s["kommunkod"], "year": s["year"], "ok": ok,
                              "hit": hit, "w_ok": ok * s["w"], "w_hit": hit * s["w"]})
        g = frame.groupby(["kommunkod", "year"]).sum()
        t = total.xs(row.item, level="item").loc[g.index].to_numpy()
        rows.append(pd.DataFrame({"item": row.item, "unweighted": g["hit"] / g["ok"] - t,
                                  "calibrated": g["w_hit"] / g["w_ok"] - t}))
    err = pd.concat(rows).groupby("item")
    assert err["calibrated"].mean().abs().max() < 0.006      # no bias left after calibration
    assert np.sqrt((err["calibrated"].apply(lambda e: (e**2).mean()))).max() < 0.04
    assert err["unweighted"].mean()["otrygg_kvall"] > 0.012   # women and the old answer more
    assert err["unweighted"].mean()["utsatt_brott"] < -0.012  # the young, most exposed, least


def test_true_shares_differ_by_sex_and_are_consistent(subset):
    t = subset.truth_table("survey_shares")
    otr = t[(t["item"] == "otrygg_kvall") & t["area"].isna() & t["sex"].notna()]
    wide = otr.pivot_table(index=["kommunkod", "year"], columns="sex", values="share")
    assert (wide["kvinna"] > wide["man"] + 0.08).all()
    nat = t[t["area"].isna() & t["sex"].isna()].groupby("item")["share"].mean()
    assert 0.12 < nat["otrygg_kvall"] < 0.30 and 0.35 < nat["oro_brottslighet"] < 0.65
    # The kommun share lies between the two sexes' shares.
    both = t[(t["item"] == "otrygg_kvall") & t["area"].isna() & t["sex"].isna()].set_index(
        ["kommunkod", "year"])["share"]
    assert ((both > wide["man"]) & (both < wide["kvinna"])).all()


def test_the_data_layer_reads_the_written_sample(written):
    io = pytest.importorskip("analysis.io")
    if not hasattr(io, "load_dataset"):
        pytest.skip("analysis.io.load_dataset not available yet")
    data = io.load_dataset(written[0] / "a")
    assert data.synthetic and data.label == SAMPLE_DATA_LABEL
    assert len(data.crimes) == 2 * (15 + 7 + 1) * 132 and set(data.survey["kommunkod"]) == {"1760", "2026"}


def test_summary_and_truth_tables(subset):
    text = subset.summary()
    assert text.splitlines()[0] == SAMPLE_DATA_LABEL and "respondents" in text
    with pytest.raises(ValueError, match="unknown truth table"):
        subset.truth_table("nope")
    design = subset.truth_table("survey_design")
    assert (design["respondents"] <= design["gross_sample"]).all()
    assert (design["gross_sample"] <= design["population"]).all()
