"""The battery's seeded studies, in small: the figures docs/engagement.md states for 100
SRBM runs and 20 raids of 900 s (`scripts/monte_carlo.py`), on a few runs here."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_sense_and_warn_gives_lofted_fire_its_warning():
    """One run of the built-in sense-and-warn scenario (flight times 15-35 s): every
    lofted round that lands on the base is warned of, 10-30 s ahead (the Monte Carlo
    figures are in docs/locating.md)."""
    runs = [measure_run(("warning", None, 7, 0))]
    rows = runs[0]["rounds"]
    assert rows, "no round landed on the base"
    assert all(15.0 <= r["flight_s"] <= 35.0 for r in rows)
    lofted = [r for r in rows if r["lofted"]]
    assert len(lofted) >= 6
    assert all(r["warning_s"] is not None for r in lofted)
    rep = study_report("warning", runs)
    assert 10.0 <= rep["lofted"]["warning_s_median"] <= 30.0
    assert rep["lofted"]["missed_share"] == 0.0


#: Median POO error as a share of range, per kind: the issue's bands (nominal; the
#: published fielded figures are "of order 0.2-0.5 %", docs/references.md).
POO_BANDS = {"shell": (0.002, 0.006), "mortar": (0.001, 0.006), "rocket": (0.002, 0.010)}


@pytest.mark.slow
def test_thirty_runs_of_the_default_world_give_fielded_accuracy_and_honest_claims(monkeypatch):
    """The seeded study behind docs/locating.md's table (`scripts/monte_carlo.py locating
    --runs 30`): per kind of round, the median over runs of each run's median POO error
    share is in its band (to the study's own precision: the band meets the 90 % bootstrap
    interval of that median), the 90th percentile of 155 mm under 1.5 %, 35-65 % of
    rounds inside their own CEP, the mean NEES between 1.5 and 3, and 155 mm's median
    POI error at least 30 m."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Fresh interpreters (a fork of this one would inherit its compiled threads), one
    # compiled thread each: the workers are the parallelism, as in the script.
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    jobs = [("locating", None, 7, r) for r in range(30)]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        runs = list(pool.map(measure_run, jobs))
    rep = study_report("locating", runs)["by_class"]
    rng = np.random.default_rng(0)
    for kind, (lo, hi) in POO_BANDS.items():
        row = rep[kind]
        per_run = np.array(
            [r["by_class"][kind]["poo_error_share_of_range_median"] for r in runs], dtype=float
        )
        boot = np.median(rng.choice(per_run, (2000, per_run.size)), axis=1)
        low, high = np.percentile(boot, [5, 95])
        assert high >= lo and low <= hi, (kind, row["poo_error_share_of_range_median"])
        assert row["located"] >= 0.95 * row["rounds"], kind
        assert 0.35 <= row["poo_share_inside_own_cep"] <= 0.65, kind
        assert 1.5 <= row["poo_nees_mean_of_runs"] <= 3.0, kind
    assert rep["shell"]["poo_error_share_of_range_p90"] <= 0.015
    assert rep["shell"]["poi_error_median_m"] >= 30.0
