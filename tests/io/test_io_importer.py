"""`lagesbild import`: downloaded exports in, a data folder that the reports accept out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.io.importer import import_exports

from _exports import write_exports  # tests/io is on sys.path (rootdir-less test modules)

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "fixtures" / "io" / "real_layouts"


@pytest.fixture(scope="module")
def imported(full_sample, tmp_path_factory):
    exports = write_exports(full_sample, tmp_path_factory.mktemp("exports") / "nedladdat")
    out = tmp_path_factory.mktemp("imported") / "data"
    result = import_exports(exports, out, label="Syntetiska exempeldata – inte verklig statistik "
                            "(importerade i verkliga exportformat)")
    return exports, out, result


@pytest.mark.slow
def test_import_of_all_kommuner_in_real_layouts(imported, full_sample):
    exports, out, result = imported
    assert result.ok, result.render()
    ds = load_dataset(out)
    sample = load_dataset(full_sample)
    assert len(ds.crimes) == len(sample.crimes) and set(ds.crimes["crime_type"]) == set(sample.crimes["crime_type"])
    assert ds.population["population"].sum() == sample.population["population"].sum()
    assert set(ds.survey["kommunkod"]) == {"1760"} and ds.items is not None and ds.margins is not None
    manifest = json.loads((out / "IMPORT.json").read_text(encoding="utf-8"))
    by_file = {Path(s["file"]).name: s for s in manifest["sources"]}
    assert by_file["bra_anmalda_brott_kommun_manad.csv"]["format"] == "bra-long"
    assert by_file["scb_folkmangd_TAB638.json"]["format"] == "scb-json-stat2"
    assert by_file["trygghetsenkat.xlsx"]["format"] == "tidy-excel"
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"])
    assert any(c["from"] == "Kvinna" and c["to"] == "kvinna"
               for c in by_file["trygghetsenkat.xlsx"]["conversions"])
    assert manifest["warnings"] == []          # Brå's rates agree with SCB's population
    assert "LASMIG.txt" not in by_file          # notes are not data
    info = json.loads((out / "DATASET.json").read_text(encoding="utf-8"))
    assert info["synthetic"] is False and info["period_kinds"] == {"crimes": "monthly"}


@pytest.mark.slow
def test_reports_render_a_draft_from_the_imported_folder(imported, tmp_path):
    from analysis.batch import run_batch

    _, out, result = imported
    assert result.ok
    res = run_batch(ROOT / "notebooks" / "lagesbild.py",
                    [{"kommunkod": "1760", "data_dir": str(out)}], out_dir=tmp_path, jobs=1,
                    data_files=[out], progress=False, formats=["html"])
    assert res.ok, res.summary()
    html = (tmp_path / "lagesbild_1760.html").read_text(encoding="utf-8")
    assert "Storfors" in html and "Traceback" not in html


def _small(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(REAL / "bra_statistikdatabas_manad_norrbotten_2026-08.csv", src / "bra.csv")
    shutil.copy(REAL / "scb_v2_jsonstat2_TAB638_norrbotten_2025.json", src / "scb.json")
    return src


def test_real_files_in_and_brå_rates_checked(tmp_path):
    src = _small(tmp_path)
    # Brå's August 2026 table needs the population of 2026 for the rates of the data model
    res = import_exports(src, tmp_path / "out")
    assert not res.ok and any("no population for 2580 2026, 2582 2026" in p for p in res.problems)
    pop = pd.DataFrame({"kommunkod": ["2580", "2582"], "year": 2026, "population": [80304, 28624]})
    pop.to_csv(src / "befolkning_2026.csv", index=False)  # a tidy file next to the SCB one
    res = import_exports(src, tmp_path / "out")
    assert res.ok, res.render()
    assert res.warnings == []   # the 2025 population reproduces Brå's published rates
    text = res.render()
    assert "left out: 'Brott mot brottsbalken, 16-20 kap. Brott mot staten, 17 kap. Brott mot allmän verksamhet'" in text
    ds = load_dataset(tmp_path / "out")
    assert ds.crimes.set_index(["kommunkod", "crime_type"]).loc[("2582", "Samtliga brott"), "count"] == 225


def test_wrong_population_date_is_a_warning(tmp_path):
    src = _small(tmp_path)
    pop = pd.DataFrame({"kommunkod": ["2580", "2582"], "year": 2026, "population": [81000, 29000]})
    pop.to_csv(src / "befolkning_2026.csv", index=False)
    js = json.loads((src / "scb.json").read_text(encoding="utf-8"))
    js["value"] = [81000, 29000]
    (src / "scb.json").write_text(json.dumps(js), encoding="utf-8")
    res = import_exports(src, tmp_path / "out")
    assert res.ok and len(res.warnings) == 2
    assert "do not match the population of 31 December 2025 (29 000)" in " ".join(res.warnings)


def test_refused_files_are_listed_and_strict_stops(tmp_path):
    src = _small(tmp_path)
    pd.DataFrame({"kommunkod": ["2580", "2582"], "year": 2026, "population": [80304, 28624]}) \
        .to_csv(src / "befolkning_2026.csv", index=False)
    shutil.copy(REAL / "scb_v2_jsonstat2_TAB638_BE0101N1_riket.json", src / "riket.json")
    (src / "tom.csv").write_bytes(b"")
    res = import_exports(src, tmp_path / "out")
    assert res.ok
    refused = {Path(f.file).name: f.problems for f in res.files if not f.ok}
    assert set(refused) == {"riket.json", "tom.csv"}
    assert "the file is empty (0 bytes)" in refused["tom.csv"][0]
    manifest = json.loads((tmp_path / "out" / "IMPORT.json").read_text(encoding="utf-8"))
    assert {Path(s["file"]).name for s in manifest["sources"] if s["refused"]} == {"riket.json", "tom.csv"}
    res = import_exports(src, tmp_path / "strict", strict=True)
    assert not res.ok and not (tmp_path / "strict").exists()


def test_cross_file_problems_that_would_break_the_report(tmp_path, full_sample):
    src = tmp_path / "in"
    src.mkdir()
    crimes = pd.read_csv(full_sample / "crimes.csv", dtype={"kommunkod": str})
    crimes[crimes["kommunkod"] == "1760"].to_csv(src / "crimes.csv", index=False)
    pop = pd.read_csv(full_sample / "population.csv", dtype={"kommunkod": str})
    pop[(pop["kommunkod"] == "1760") & (pop["year"] > 2016)].to_csv(src / "population.csv", index=False)
    survey = pd.read_csv(full_sample / "survey.csv", dtype={"kommunkod": str, "psu": str})
    sv = survey[survey["kommunkod"] == "1760"].copy()
    sv["psu"] = "P1"   # one PSU in every stratum: a lonely PSU
    sv.to_csv(src / "survey.csv", index=False)
    margins = pd.read_csv(full_sample / "margins.csv", dtype={"kommunkod": str})
    m = margins[(margins["kommunkod"] == "1760") & (margins["age_group"] != "65-84")]
    m.to_csv(src / "margins.csv", index=False)      # margins missing an age band
    shutil.copy(full_sample / "items.csv", src / "items.csv")
    (src / "measures.csv").write_text(
        "measure_id,kommunkod,name,focus_area,start,end,target_crime_types,area,indicator,description\n"
        "M1,1760,Fickstöld,Trygghet på offentliga platser,2023-01-01,,Fickstöld,,,\n", encoding="utf-8")
    res = import_exports(src, tmp_path / "out")
    assert not res.ok
    text = "\n".join(res.problems) + "\n".join(p for f in res.files for p in f.problems)
    assert "lonely PSU" in text
    assert "no population for 1760 2015, 1760 2016" in text
    assert "measure M1 targets 'Fickstöld'" in text
    assert not (tmp_path / "out").exists()
    sv.assign(psu=None).to_csv(src / "survey.csv", index=False)   # not clustered after all
    res = import_exports(src, tmp_path / "out")
    text = "\n".join(res.problems)
    assert not res.ok and "margins have no age band '65-84' (sex kvinna) for 1760 2019" in text
    assert "lonely PSU" not in text


def test_two_months_a_year_apart_without_the_months_between(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "brott.csv").write_text(
        "År,Månad,Kommun,Brott,Antal\n2025,1.0,Boden,Totalt antal brott,201.0\n"
        "2026,1.0,Boden,Totalt antal brott,215.0\n", encoding="utf-8")
    (src / "befolkning.csv").write_text("kommunkod,year,population\n2582,2025,28700\n2582,2026,28624\n",
                                        encoding="utf-8")
    res = import_exports(src, tmp_path / "out")
    assert res.ok, res.render()
    info = json.loads((tmp_path / "out" / "DATASET.json").read_text(encoding="utf-8"))
    assert info["gaps"] == "allowed"
    ds = load_dataset(tmp_path / "out")
    assert ds.crimes["period"].astype(str).tolist() == ["2025-01", "2026-01"]   # nothing filled
    assert ds.crimes.attrs["gaps"] == ["2025-01"]
    # without the declaration the same file is an error, as before
    info["gaps"] = "none"
    (tmp_path / "out" / "DATASET.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(Exception, match="gap in the monthly series of 2582 × Samtliga brott"):
        load_dataset(tmp_path / "out")


def test_check_of_a_survey_catches_what_would_break_estimation(tmp_path, full_sample):
    from analysis.io import check_file

    survey = pd.read_csv(full_sample / "survey.csv", dtype={"kommunkod": str, "psu": str})
    sv = survey[(survey["kommunkod"] == "1760") & (survey["year"] == 2025)]
    sv.assign(psu="P1").to_csv(tmp_path / "lonely.csv", index=False)
    res = check_file(tmp_path / "lonely.csv", "survey")
    assert not res.ok and "lonely PSU" in res.render()
    margins = pd.read_csv(full_sample / "margins.csv", dtype={"kommunkod": str})
    m = margins[(margins["kommunkod"] == "1760") & (margins["year"] == 2025) & (margins["age_group"] != "16-24")]
    m.to_csv(tmp_path / "margins.csv", index=False)
    sv.to_csv(tmp_path / "survey.csv", index=False)
    res = check_file(tmp_path / "survey.csv", "survey", margins=tmp_path / "margins.csv")
    assert not res.ok and "margins have no age band '16-24'" in res.render()


def _docx_text(path: Path) -> str:
    import re
    import zipfile

    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", xml.replace("</w:p>", "\n")))


@pytest.mark.slow
def test_one_kommuns_exports_render_a_lägesbild_from_the_command_line(tmp_path, full_sample):
    """A new user's path: her own kommun's Brå and SCB exports (real layouts), `lagesbild
    import`, `lagesbild reports`. The draft renders and says which comparisons are missing,
    why, and what to add; it never claims a comparison it could not make."""
    import html as _html
    import re

    from typer.testing import CliRunner

    from analysis.cli import app

    exports = write_exports(full_sample, tmp_path / "nedladdat", kommuner=["1760"])
    runner = CliRunner()
    res = runner.invoke(app, ["import", str(exports), "--out", str(tmp_path / "data")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["reports", "--kommun", "1760", "--data", str(tmp_path / "data"),
                              "--out", str(tmp_path / "rep"), "--jobs", "1",
                              "--format", "html", "--format", "docx"])
    assert res.exit_code == 0 and "1 built" in res.output and "failed" in res.output, res.output
    assert ", 0 failed" in res.output, res.output
    raw = (tmp_path / "rep" / "lagesbild_1760.html").read_text(encoding="utf-8")
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", raw, flags=re.S)
    html = " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    docx = _docx_text(tmp_path / "rep" / "lagesbild_1760.docx")
    for text in (html, docx):
        assert "Traceback" not in text and "Error" not in text
        assert "Storfors" in text and "Anmälda brott 2025 i Storfors" in text
        assert ("Jämförelsen med riket och Värmlands län saknas. Datamappen har anmälda brott för "
                "1 av landets 290 kommuner och 1 av länets 16 kommuner") in text
        assert "Jämförelsen med liknande kommuner saknas." in text
        assert "Lägg till Brå:s tabell över anmälda brott för alla kommuner" in text
        assert "Därför visas inga trattdiagram eller rangplatser." in text
        assert "Kommunens placering bland landets och länets kommuner kan inte anges." in text
        assert "jämförelsen med riket saknas i underlaget" in text
        # nothing that needs riket, the län or the group is claimed
        assert "skiljer sig statistiskt säkerställt från riket" not in text
        assert "säkerställt högre än i riket" not in text
        assert "Rang (rimligt intervall)" not in text and "trattdiagram:" not in text
    assert "lagesbild-claims" in raw      # the tables that do claim something still carry their claims


@pytest.mark.slow
def test_a_whole_län_is_compared_with_the_län_but_not_with_riket(tmp_path, full_sample):
    from analysis.municipalities import municipalities
    from analysis.report.content import make_context, omfattning
    from analysis.report.coverage import coverage, missing_comparison_text
    from analysis.report.tables import omfattning_table

    m = municipalities()
    varmland = list(m.loc[m["lanskod"] == "17", "kommunkod"])
    exports = write_exports(full_sample, tmp_path / "nedladdat", kommuner=varmland)
    assert import_exports(exports, tmp_path / "data").ok
    ctx = make_context(tmp_path / "data", "1760")
    cov = coverage(ctx)
    assert cov.covers("lan") and not cov.covers("riket") and cov.missing == ("riket", "liknande")
    levels = omfattning(ctx)
    assert not levels["compared"].any() and levels["rate_riket"].isna().all()
    assert levels["rate_lan"].notna().all() and (levels["verdict_riket"] == "ej bedömbar").all()
    table = omfattning_table(levels)
    assert list(table.columns) == ["Brottstyp", "Antal", "Per 100 000 (95 % KI)", "Länet"]
    # the län's level is the sum over its kommuner: the same as the sample's own län rates
    sample = load_dataset(full_sample)
    from analysis.crime import crime_rates
    r = crime_rates(sample.crimes, sample.population, level="lan", period="year")
    r = r[(r["area_code"] == "17") & (r["period"] == str(ctx.year))].set_index("crime_type")["estimate"]
    assert (levels.set_index("crime_type")["rate_lan"] - r.reindex(levels["crime_type"]).to_numpy()).abs().max() < 1e-9
    text = missing_comparison_text(cov, ["riket", "lan"])
    assert text.startswith("Jämförelsen med riket saknas. Datamappen har anmälda brott för 16 av landets 290")
