"""The battery's seeded studies, in small: the figures docs/engagement.md states for 100
SRBM runs and 20 raids of 900 s (`scripts/monte_carlo.py`), on a few runs here."""

from __future__ import annotations

from gbad.studies import measure_run, study_report


def test_the_srbm_is_engaged_and_killed_in_block_ii_s_band_on_time():
    rep = study_report("srbm", [measure_run(("srbm", 400.0, 7, r)) for r in range(8)])
    assert rep["engaged_runs"] == 8
    assert rep["killed_runs"] >= 7
    assert rep["shots_intercept_10_20_km"] >= 0.9
    assert rep["shots_tof_within_2_s"] >= 0.9


def test_fighters_that_come_in_are_engaged_those_that_turn_away_are_not():
    run = measure_run(("raid", 900.0, 7, 0))
    rep = study_report("raid", [run])
    assert rep["fighters_1_2_engaged_before_cpa_runs"] == 1
    assert rep["fighters_3_4_engaged_runs"] == 0
    # No aircraft, UAV or cruise-missile track is taken for a round on > 2 % of decisions.
    assert rep["air_tracks"] > 10 and rep["air_tracks_over_2pct"] == 0
    assert rep["interceptors_at_rounds"] == 0


def test_the_locating_study_reports_every_kind_of_round():
    runs = [measure_run(("locating", None, 7, r)) for r in range(2)]
    rep = study_report("locating", runs)
    assert set(rep["by_class"]) == {"mortar", "rocket", "shell"}
    for row in rep["by_class"].values():
        assert row["located"] >= 0.9 * row["rounds"] > 0
        assert 0.0 < row["poo_error_share_of_range_median"] < 0.02


def test_the_bound_with_the_radars_errors_is_wider_than_the_ideal_one(tmp_path):
    import pyarrow.parquet as pq

    from gbad.sim import run_scenario
    from gbad.studies import study_scenario

    assert study_scenario("locating-ideal", None).model.variability.ideal
    run = run_scenario(study_scenario("locating", None), tmp_path, seed=7, run=0)
    loc = pq.read_table(run.files["locates"]).to_pandas()
    both = loc[loc.poo_crlb_cep_m.notna() & loc.poo_crlb_bias_cep_m.notna()]
    assert len(both) > 50
    # The ideal sensor's bound (estimator efficiency) and the one a locator told only the
    # errors' σ (the radar's and the world's) can reach: never tighter, and far wider at
    # these ranges (1 mrad ~ 15 m).
    assert (both.poo_crlb_bias_cep_m >= both.poo_crlb_cep_m - 1e-9).all()
    assert (both.poo_crlb_bias_cep_m > 3.0 * both.poo_crlb_cep_m).mean() > 0.5
    s = run.summary["locating"]
    assert s["poo_crlb_bias_cep_median_m"] > s["poo_crlb_cep_median_m"]
