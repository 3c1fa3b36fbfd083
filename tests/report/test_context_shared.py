"""What a report context shares: the data read once, the funnels' panel built once, the same numbers."""

import pytest

from analysis.crime import funnel_data
from analysis.crime_types import CRIME_TYPE_NAMES
from analysis.report.content import jamforelse
from analysis.report.context import make_context, preload


@pytest.fixture(scope="module")
def folder(tmp_path_factory, sample_subset):
    from analysis.sample import write_sample

    out = tmp_path_factory.mktemp("ctx") / "data"
    write_sample(out, kommuner=sample_subset)
    return out


def _same(a, b) -> bool:
    return (a.table.equals(b.table) and a.limits.equals(b.limits) and a.target == b.target
            and repr(a.dispersion) == repr(b.dispersion) and a.settings == b.settings)


@pytest.mark.parametrize("kommun, similar", [("1080", ["1760", "1761", "1762", "2181"]),
                                             ("1760", ["1080", "1081", "2026", "2181"])])
def test_funnels_from_the_shared_panel_equal_funnels_from_the_crimes(folder, kommun, similar):
    ctx = make_context(folder, kommun, similar=similar)
    assert ctx.peer_panel is not None and ctx.peer_panel is ctx.peer_panel  # built once
    for ct in CRIME_TYPE_NAMES:
        for peers, ref in (("lan", "lan"), (list(ctx.similar) + [kommun], "liknande")):
            direct = funnel_data(ctx.crimes, ctx.population, crime_type=ct, period=ctx.year,
                                 peers=peers, focus=kommun)
            assert _same(jamforelse(ctx, ct, peers=ref), direct), (kommun, ct, ref)


def test_without_a_shared_panel_the_funnels_come_from_the_crimes(folder):
    ctx = make_context(folder, "1080", similar=["1760", "1761", "1762"])
    ctx.__dict__["peer_panel"] = None  # as when the kommuner cannot share one panel
    direct = funnel_data(ctx.crimes, ctx.population, crime_type="Bilbrott", period=ctx.year,
                         peers="lan", focus="1080")
    assert _same(jamforelse(ctx, "Bilbrott", peers="lan"), direct)


def test_preload_reads_the_folder_and_says_what_it_prepared(folder, tmp_path):
    import analysis.io.dataset as dataset

    out = preload({"data_dir": str(folder), "other": 1})
    assert out == {"data_dir": str(folder.resolve()), "national_tables": False}
    assert (folder.resolve(), None) in dataset._MEMO
    with pytest.raises(FileNotFoundError):
        preload({"data_dir": str(tmp_path / "missing"), "kommunkod": "1080"})


def test_preload_for_an_evaluation_reads_what_every_measure_shares(folder, monkeypatch):
    import analysis.io.dataset as dataset

    monkeypatch.setattr(dataset, "_MEMO", {})
    out = preload({"data_dir": str(folder), "measure_id": "M1760-01"})
    assert out == {"data_dir": str(folder.resolve()), "national_tables": False}
    assert list(dataset._MEMO) == [(folder.resolve(), frozenset({"measures"}))]
    state, ds = dataset._MEMO[(folder.resolve(), frozenset({"measures"}))]
    assert ds.survey is None and ds.measures is not None  # no respondents held for the batch
