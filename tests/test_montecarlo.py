"""`gbad montecarlo` as a user meets it: resumable after SIGKILL, the same numbers on any
workers or scheduler, tables every reader opens, sweeps checked before any run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

TINY = """
[scenario]
name = "tiny"
origin = { lat_deg = 37.1, lon_deg = 127.05, alt_m = 40.0 }
duration_s = 30.0
seed = 3

[[assets]]
id = "base"
position = { east_m = 0.0, north_m = 0.0 }

[[radars]]
id = "sr"
role = "surveillance"
position = { east_m = 0.0, north_m = 0.0, up_m = 10.0 }
frequency_hz = 3e9
reference = { range_m = 150e3, rcs_m2 = 1.0, pd = 0.9 }
scan = { kind = "rotating", period_s = 2.0 }
coverage = { range_max_m = 200e3, el_max_deg = 60 }
accuracy = { range_m = 30.0, az_deg = 0.2, el_deg = 0.3 }

[[threats]]
id = "jet"
kind = "aircraft"
route = [ { east_m = 30e3, north_m = 30e3, up_m = 5000.0, speed_mps = 250.0 },
          { east_m = 0.0, north_m = 10e3, up_m = 3000.0 } ]
"""


def gbad_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "gbad", *args]


def gbad(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(gbad_cmd(*args), capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mc") / "tiny.toml"
    path.write_text(TINY)
    return path


def committed(out: Path) -> list[Path]:
    return sorted((out / "runs").glob("run=*/run.json"))


def test_a_monte_carlo_killed_midway_finishes_every_run_once_when_run_again(tiny, tmp_path):
    """200 runs, the command and its workers killed with SIGKILL midway (as a crash would),
    then the same command: 200 distinct runs, none lost, none run twice, and runs.parquet
    equal to an uninterrupted Monte Carlo's."""
    out = tmp_path / "killed"
    args = (str(tiny), "--runs", "200", "--out", str(out), "--workers", "2", "--quiet")
    log = tmp_path / "stderr.txt"
    with log.open("w") as err:
        proc = subprocess.Popen(gbad_cmd("montecarlo", *args), start_new_session=True, stderr=err)
    deadline = time.monotonic() + 300
    while len(committed(out)) < 40 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"finished before it could be killed: {log.read_text()}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)  # the killed workers' last writes settle
    before = len(committed(out))
    assert 40 <= before < 200
    assert not (out / "runs.parquet").exists()

    again = gbad("montecarlo", *args)
    assert again.returncode == 0, again.stderr
    assert f"({200 - before} run now" in again.stdout.replace("\n", " ")
    runs = committed(out)
    assert len(runs) == 200
    assert sorted(int(re.search(r"run=(\d+)", str(p)).group(1)) for p in runs) == list(range(200))
    assert not list((out / "runs").glob(".*")), "a stopped run's staging folder was left"

    fresh = tmp_path / "uninterrupted"
    clean = gbad("montecarlo", str(tiny), "--runs", "200", "--out", str(fresh), "--quiet")
    assert clean.returncode == 0, clean.stderr
    a = pd.read_parquet(out / "runs.parquet")
    pd.testing.assert_frame_equal(a, pd.read_parquet(fresh / "runs.parquet"))
    assert list(a["run"]) == list(range(200))
    # Each run is `gbad run --run K`'s own stream: the runs differ from one another.
    assert a["detections"].nunique() > 20


def test_the_same_numbers_on_one_worker_two_workers_and_a_dask_cluster(tiny, tmp_path):
    tables = []
    for name, extra in (
        ("one", ("--workers", "1")),
        ("two", ("--workers", "2")),
        ("dask", ("--workers", "2", "--local-cluster")),
    ):
        out = tmp_path / name
        done = gbad("montecarlo", str(tiny), "--runs", "6", "--out", str(out), "--quiet", *extra)
        assert done.returncode == 0, done.stderr
        tables.append(
            (pd.read_parquet(out / "runs.parquet"), pd.read_parquet(out / "stats.parquet"))
        )
    for runs, stats in tables[1:]:
        pd.testing.assert_frame_equal(runs, tables[0][0])
        pd.testing.assert_frame_equal(stats, tables[0][1])
    # And run K is `gbad run --run K`.
    single = tmp_path / "single"
    assert gbad("run", str(tiny), "--out", str(single), "--run", "4", "--quiet").returncode == 0
    one = pd.read_parquet(tmp_path / "one" / "runs" / "run=4" / "detections.parquet")
    pd.testing.assert_frame_equal(one, pd.read_parquet(single / "detections.parquet"))


@pytest.fixture(scope="module")
def swept(tiny, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("swept") / "mc"
    done = gbad(
        "montecarlo", str(tiny), "--runs", "4", "--out", str(out), "--quiet",
        "--sweep", "radars.0.reference.range_m=15e3,150e3",
        "--sweep", "threats.0.route.0.up_m=5000.0,8000.0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def test_a_sweep_writes_every_point_and_its_statistics(swept):
    runs = pd.read_parquet(swept / "runs.parquet")
    assert len(runs) == 16
    assert sorted(runs["point"].unique()) == [0, 1, 2, 3]
    # The first sweep varies slowest; the values are columns of their own.
    assert list(runs["radars.0.reference.range_m"][::4]) == [15e3, 15e3, 150e3, 150e3]
    assert list(runs["threats.0.route.0.up_m"][::4]) == [5000.0, 8000.0, 5000.0, 8000.0]
    stats = pd.read_parquet(swept / "stats.parquet")
    row = stats[
        (stats.metric == "detections")
        & (stats["radars.0.reference.range_m"] == 15e3)
        & (stats["threats.0.route.0.up_m"] == 5000.0)
    ].iloc[0]
    x = runs[(runs["point"] == 0)]["detections"].to_numpy(dtype=float)
    assert row["n"] == 4
    np.testing.assert_allclose(row["mean"], x.mean())
    np.testing.assert_allclose(row["std"], x.std(ddof=1))
    np.testing.assert_allclose(row["p50"], np.median(x))
    # Student's t with 3 degrees of freedom: 3.182 standard errors either side.
    half = 3.182446 * x.std(ddof=1) / 2.0
    np.testing.assert_allclose(
        [row["ci95_low"], row["ci95_high"]], [x.mean() - half, x.mean() + half], rtol=1e-6
    )
    # A shorter reference range sees less of the jet.
    by_range = runs.groupby("radars.0.reference.range_m")["target_detections"].mean()
    assert by_range[15e3] < 0.5 * by_range[150e3]


def test_each_table_reads_across_runs_as_one_dataset(swept):
    """Hive partitions: DuckDB, Polars and pandas (pyarrow) see `point` and `run` columns."""
    pattern = str(swept / "runs" / "*" / "*" / "detections.parquet")
    per_run = pd.read_parquet(swept / "runs.parquet").set_index(["point", "run"])["detections"]
    got = duckdb.sql(
        f"select point, run, count(*) as n from read_parquet('{pattern}', hive_partitioning=true) "
        "group by point, run order by point, run"
    ).df()
    assert list(got["n"]) == list(per_run.sort_index())
    lazy = pl.scan_parquet(pattern, hive_partitioning=True)
    assert lazy.select(pl.len()).collect().item() == per_run.sum()
    import pyarrow.dataset as ds

    files = sorted(str(p) for p in (swept / "runs").glob("*/*/detections.parquet"))
    table = ds.dataset(files, partitioning="hive", partition_base_dir=str(swept / "runs"))
    frame = table.to_table().to_pandas()
    assert {"point", "run"} <= set(frame.columns) and len(frame) == per_run.sum()


def test_the_report_is_one_offline_file_with_the_sweep(swept):
    html = (swept / "report.html").read_text()
    assert "simulated" in html
    assert "plotly" in html.lower() and "air_picture.mean_gospa_m" in html
    # Plotly's JavaScript inside, nothing fetched: no script or link from elsewhere.
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?https?:", html)


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ("radars.0.referenc.range_m=1,2", "radars.0 has no 'referenc' (it has accuracy, coverage"),
        ("radars.3.reference.range_m=1", "radars is a list of 1: index it 0 to 0"),
        ("radars.0.reference.range_m=-5,10", "reference.range_m: got -5; input should be greater than 0"),
        ("radars.0.reference.range_m=", "give radars.0.reference.range_m one or more values"),
        ("nonsense", "write it as KEY=V1,V2,..."),
        ("scenario.name.x=1", "scenario.name is a value, not a table"),
        ("scenario.seed=1,1", "each value once"),
    ],
)  # fmt: skip
def test_a_bad_sweep_is_a_clear_error_before_any_run(tiny, tmp_path, sweep, message):
    out = tmp_path / "mc"
    done = gbad("montecarlo", str(tiny), "--runs", "3", "--out", str(out), "--sweep", sweep)
    assert done.returncode == 2
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_a_folder_of_another_monte_carlo_or_of_other_files_is_refused(tiny, tmp_path):
    out = tmp_path / "mc"
    assert (
        gbad("montecarlo", str(tiny), "--runs", "2", "--out", str(out), "--quiet").returncode == 0
    )
    other = gbad("montecarlo", str(tiny), "--runs", "2", "--out", str(out), "--seed", "9")
    assert other.returncode == 2
    assert "it holds a Monte Carlo of another seed" in other.stderr
    # More runs of the same Monte Carlo extend it.
    more = gbad("montecarlo", str(tiny), "--runs", "3", "--out", str(out), "--quiet")
    assert more.returncode == 0 and "(1 run now" in more.stdout
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    refused = gbad("montecarlo", str(tiny), "--runs", "2", "--out", str(stranger))
    assert refused.returncode == 2 and "not a Monte Carlo's" in refused.stderr
    bad = gbad("montecarlo", str(tiny), "--runs", "0", "--out", str(tmp_path / "zero"))
    assert bad.returncode == 2 and "give one run or more" in bad.stderr


def test_runs_whose_summaries_differ_in_kind_still_make_one_table(tmp_path):
    """A text entry missing from some runs (a leak's reason where nothing leaked), a
    count missing from others, a flag: the table keeps text as text (null where absent),
    counts as numbers and flags as flags, and every reader opens it."""
    from gbad.montecarlo.tables import runs_frame, stats_frame, write_frame

    rows = [
        ({"run": 0}, {"engagement": {"leak_reason_by_threat": {"gun-1": "not tasked"}},
                      "kills": 3, "simulated": True, "ok": True}),
        ({"run": 1}, {"engagement": {}, "kills": None, "ok": False}),
        ({"run": 2}, {"engagement": {"leak_reason_by_threat": {"gun-1": None}}, "kills": 5,
                      "ok": True}),
    ]  # fmt: skip
    frame = runs_frame(rows)
    path = write_frame(tmp_path / "runs.parquet", frame)
    back = pd.read_parquet(path)
    reason = back["engagement.leak_reason_by_threat.gun-1"]
    assert reason[0] == "not tasked" and reason[1:].isna().all()
    np.testing.assert_array_equal(back["kills"], [3.0, np.nan, 5.0])
    assert "simulated" not in back.columns
    assert duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall()[0][0] == 3
    stats = stats_frame(frame, [])
    kills = stats[stats.metric == "kills"].iloc[0]
    assert kills["n"] == 2 and kills["mean"] == 4.0
