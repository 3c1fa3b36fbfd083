

def test_total_rank_text_without_a_lan_row_says_there_is_none():
    import pandas as pd

    from analysis.report.annan_information import total_rank_table, total_rank_text

    t = pd.DataFrame({"scope": ["riket"], "crime_type": "Samtliga brott",
                      "source": "Brå:s samtliga anmälda brott", "year": 2024, "count": 5900,
                      "rate": 9723.7, "ci_low": 9471.1, "ci_high": 9984.8, "target_rate": 13888.8,
                      "ratio": 0.7, "ratio_low": 0.6, "ratio_high": 0.8, "verdict": "lägre",
                      "rank": 150, "rank_low": 120, "rank_high": 190, "rank_from_lowest": 141,
                      "rank_from_lowest_low": 101, "rank_from_lowest_high": 171, "n_ranked": 290})
    text = total_rank_text(t, "Gotland")
    assert "Ingen rangordning inom länet" in text and "plats 150 av 290" in text
    assert total_rank_table(t)["Jämfört med"].tolist() == ["riket"]
