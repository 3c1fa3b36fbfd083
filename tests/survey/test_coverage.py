"""Coverage of the default proportion interval (logit, domain df) under a stratified design
with non-response and raking: the small version of benchmarks/survey_coverage.py.

Domains of about 30, 300 and 3 000 respondents; 150 seeded replicates, so the Monte-Carlo
standard error of a coverage near 95 % is about 1.8 points. The bounds would catch a standard
error that is off by a fifth in either direction (coverage near 89 % or 99 %).
"""

from __future__ import annotations

import pytest

from analysis.survey.simulation import coverage_study, make_population


@pytest.mark.slow
def test_default_proportion_ci_covers_for_domains_of_30_to_3000():
    pop = make_population(size=60_000, n_strata=12, domain_shares=(30 / 3400, 300 / 3400, 3000 / 3400), seed=11)
    res = coverage_study(pop, n_gross=7200, replicates=150, seed=5).set_index("domain")
    main = res.loc[["d1", "d2", "d3"]]
    assert main["mean_n"].between([20, 250, 2700], [45, 350, 3300]).all(), main["mean_n"]
    assert main["coverage"].between(0.90, 0.99).all(), main
    assert 0.925 <= main["coverage"].mean() <= 0.975, main
    assert (main["bias"].abs() < 2 * main["mean_width"] / 3.92 / 150 ** 0.5 + 0.01).all()
