"""The command line as a user meets it: exit codes, messages, files on disk.

Result files must be readable by pandas, Polars and DuckDB with the columns
docs/design.md promises, bit-identical for the same seed, and never half-written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _shared import SMALL, gbad


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    scenario = root / "small.toml"
    scenario.write_text(SMALL)
    out = root / "out"
    result = gbad("run", str(scenario), "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    return scenario, out, result


def test_scenarios_lists_the_builtin():
    result = gbad("scenarios")
    assert result.returncode == 0
    assert "airbase-defence" in result.stdout


def test_validate_good_and_bad(tmp_path):
    good = gbad("validate", "airbase-defence")
    assert good.returncode == 0
    assert "valid" in good.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace("frequency_hz = 3e9", "frequency_hz = -3e9"))
    result = gbad("validate", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}: invalid scenario" in result.stderr
    assert 'radars[0] (id "sr").frequency_hz: got -3000000000.0' in result.stderr


def test_run_with_bad_scenario_writes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace("[scenario]", "[scenario]\nspeed = 3"))
    out = tmp_path / "out"
    result = gbad("run", str(bad), "--out", str(out))
    assert result.returncode == 2
    assert "unknown key 'speed'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    result = gbad("run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_run_writes_the_documented_files(small_run):
    import duckdb
    import pandas as pd
    import polars as pl

    _, out, result = small_run
    assert "Results in" in result.stdout
    expected = {
        "truth.parquet": [
            "t_s",
            "object_id",
            "kind",
            "east_m",
            "north_m",
            "up_m",
            "v_east_mps",
            "v_north_mps",
            "v_up_mps",
        ],
        "objects.parquet": [
            "object_id",
            "threat_id",
            "kind",
            "launch_east_m",
            "launch_north_m",
            "launch_up_m",
            "launch_t_s",
            "impact_east_m",
            "impact_north_m",
            "impact_up_m",
            "impact_t_s",
        ],
        "detections.parquet": [
            "t_s",
            "radar_id",
            "range_m",
            "az_deg",
            "el_deg",
            "range_rate_mps",
            "snr_db",
            "truth_id",
        ],
    }
    for name, columns in expected.items():
        path = out / name
        frame = pd.read_parquet(path)
        assert set(columns) <= set(frame.columns), name
        assert len(frame) > 0, name
        assert pl.read_parquet(path).height == len(frame)
        assert duckdb.sql(f"select count(*) from '{path}'").fetchall()[0][0] == len(frame)
    objects = pd.read_parquet(out / "objects.parquet")
    assert list(objects["threat_id"]) == ["jet", "gun", "gun"]
    assert objects["object_id"].dtype.kind == "i"
    shells = objects[objects["kind"] == "shell"]
    # Two rounds fired at the base; dispersion scatters them by tens of metres, not kilometres.
    assert (shells[["impact_east_m", "impact_north_m"]].abs() < 500).all().all()
    assert (out / "summary.json").exists()
    assert not list(out.glob(".*.tmp"))


def test_files_are_marked_simulated(small_run):
    import pyarrow.parquet as pq

    _, out, _ = small_run
    meta = pq.read_schema(out / "detections.parquet").metadata
    assert meta[b"gbad.simulated"] == b"true"
    assert b"simulated" in meta[b"gbad.note"]


def test_same_seed_gives_identical_files(small_run, tmp_path):
    scenario, out, _ = small_run
    again = tmp_path / "again"
    assert gbad("run", str(scenario), "--out", str(again), "--quiet").returncode == 0
    for name in ("truth.parquet", "objects.parquet", "detections.parquet", "summary.json"):
        if name == "summary.json":
            a = (out / name).read_text().replace(str(out), "")
            b = (again / name).read_text().replace(str(again), "")
            assert a == b
        else:
            assert (out / name).read_bytes() == (again / name).read_bytes(), name
    other = tmp_path / "other"
    assert gbad("run", str(scenario), "--out", str(other), "--seed", "4", "--quiet").returncode == 0
    assert (other / "detections.parquet").read_bytes() != (out / "detections.parquet").read_bytes()


def test_aim_out_of_reach_is_a_clear_error(tmp_path):
    far = SMALL.replace(
        'kind = "shell"\nlaunch = { east_m = 2000.0, north_m = 12000.0, up_m = 100.0 }',
        'kind = "mortar"\nlaunch = { east_m = 2000.0, north_m = 30000.0, up_m = 100.0 }',
    )
    assert far != SMALL
    scenario = tmp_path / "far.toml"
    scenario.write_text(far)
    out = tmp_path / "out"
    result = gbad("run", str(scenario), "--out", str(out), "--quiet")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "120mm-mortar" in result.stderr
    assert "threats 'gun' rounds 0–1" in result.stderr  # its two rounds, aimed alike
    assert "range" in result.stderr
    assert not out.exists()


def test_track_runs_the_tracker_alone_and_scores_against_truth(small_run, tmp_path):
    import json

    import pandas as pd

    scenario, out, _ = small_run
    dest = tmp_path / "trk"
    result = gbad(
        "track",
        str(out / "detections.parquet"),
        "--scenario",
        str(scenario),
        "--out",
        str(dest),
        "--truth",
        str(out / "truth.parquet"),
    )
    assert result.returncode == 0, result.stderr
    tracks = pd.read_parquet(dest / "tracks.parquet")
    assert {"t_s", "track_id", "status", "east_m", "v_east_mps", "cov_ee_m2", "truth_id"} <= set(
        tracks.columns
    )
    assert set(tracks["status"]) <= {"tentative", "confirmed", "deleted"}
    summary = json.loads((dest / "summary.json").read_text())
    assert summary["air_picture"]["tracks_confirmed"] >= 1
    # The same detections through `gbad run` and `gbad track` give the same tracks.
    from_run = pd.read_parquet(out / "tracks.parquet")
    pd.testing.assert_frame_equal(
        tracks.drop(columns="truth_id"), from_run.drop(columns="truth_id"), check_exact=True
    )


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda t: t.drop(columns="az_deg"), "missing required column 'az_deg'"),
        (lambda t: t.rename(columns={"el_deg": "elev_deg"}), "missing required column 'el_deg'"),
        (lambda t: t.assign(range_m=t["range_m"].astype(str)), "column 'range_m' has type"),
        (lambda t: t.assign(t_s=t["t_s"].where(t.index != 3, float("nan"))), "row 3 not finite"),
        (
            lambda t: t.assign(el_deg=t["el_deg"].where(t.index != 2, float("inf"))),
            "row 2 not finite",
        ),
        (lambda t: t.assign(az_deg=t["az_deg"] + 400.0), "must be in [0, 360)"),
        (lambda t: t.assign(range_m=-t["range_m"]), "must be in [1, 2e+06] metres"),
        (lambda t: t.assign(t_s=t["t_s"][::-1].to_numpy()), "goes back in time"),
        (lambda t: t.assign(radar_id="nope"), "name radar(s) ['nope']"),
    ],
    ids=["missing", "misnamed", "wrong-type", "nan", "inf", "angle", "range", "order", "radar"],
)
def test_track_rejects_malformed_detection_files(small_run, tmp_path, mutate, fragment):
    import pandas as pd

    scenario, out, _ = small_run
    bad = tmp_path / "bad.parquet"
    mutate(pd.read_parquet(out / "detections.parquet")).to_parquet(bad)
    dest = tmp_path / "trk"
    result = gbad("track", str(bad), "--scenario", str(scenario), "--out", str(dest))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{bad}: invalid detection file" in result.stderr
    assert fragment in result.stderr
    assert not dest.exists()


def test_report_is_self_contained(small_run):
    import re

    _, out, _ = small_run
    page = (out / "report.html").read_text()
    assert "Simulated." in page
    # Plotly's JavaScript inline, and the figures drawn by it: nothing loaded from a
    # source or a stylesheet elsewhere (the browser test below watches the requests).
    assert not re.search(r"<(script|img|iframe)[^>]+src=|<link[^>]+href=", page)
    for figure in ("plan", "gospa", "timeline"):
        assert f'<div id="{figure}" class="figure">' in page
    assert "mean gospa (m)" in page  # tables head their keys with units
    for layer in ("first detection", "first confirmed track", "confirmed tracks", "radars"):
        assert f'"name":"{layer}"' in page, layer
    assert oct((out / "report.html").stat().st_mode & 0o777) == "0o644"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _page_requests(page: Path, tmp_path: Path, name: str) -> tuple[str, set[str]]:
    """Headless Chromium opens ``page``: (the DOM after its scripts ran, the URLs the page
    itself asked the network for). The browser's own background requests (initiator "not
    an origin") are left out; nothing resolves, so nothing leaves either way."""
    import json

    netlog = tmp_path / f"{name}.netlog.json"
    flags = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--virtual-time-budget=8000",
        "--host-resolver-rules=MAP * ~NOTFOUND", f"--log-net-log={netlog}",
        f"--user-data-dir={tmp_path / (name + '-profile')}",
    ]  # fmt: skip
    dom = subprocess.run(
        [*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    begins = [e["params"] for e in log["events"] if e["type"] == start and "url" in e.get("params", {})]
    urls = {p["url"] for p in begins if p.get("initiator") != "not an origin"}
    return dom.stdout, urls


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium (Debian's chromium): `make test` installs it with apt-get where it can",
)
def test_report_draws_its_figures_in_a_real_browser_with_no_request_leaving(small_run, tmp_path):
    """Headless Chromium opens the report from disk: Plotly draws every figure (their SVG
    roots are in the page afterwards) and the page asks the network for nothing. A probe
    page that does ask (a script, an image, a fetch) shows the watch sees such requests."""
    probe = tmp_path / "probe.html"
    probe.write_text(
        '<html><head><script src="https://example.com/lib.js"></script></head><body>'
        '<img src="http://example.org/a.png"><script>fetch("https://example.net/d.json")'
        ".catch(function(){});</script></body></html>"
    )
    _, asked = _page_requests(probe, tmp_path, "probe")
    assert {"https://example.com/lib.js", "http://example.org/a.png"} <= asked

    _, out, _ = small_run
    dom, asked = _page_requests(out / "report.html", tmp_path, "report")
    assert dom.count('class="main-svg"') >= 3  # plan, GOSPA, timeline: each drawn
    assert asked == set()


def test_track_on_an_empty_file_with_truth(small_run, tmp_path):
    import json

    import pandas as pd

    scenario, out, _ = small_run
    empty = tmp_path / "empty.parquet"
    pd.read_parquet(out / "detections.parquet").iloc[:0].to_parquet(empty)
    dest = tmp_path / "trk"
    result = gbad(
        "track",
        str(empty),
        "--scenario",
        str(scenario),
        "--out",
        str(dest),
        "--truth",
        str(out / "truth.parquet"),
    )
    assert result.returncode == 0, result.stderr
    assert len(pd.read_parquet(dest / "tracks.parquet")) == 0
    assert json.loads((dest / "summary.json").read_text())["tracks_started"] == 0


def test_track_with_a_bad_truth_file(small_run, tmp_path):
    import pandas as pd

    scenario, out, _ = small_run
    bad = tmp_path / "truth.parquet"
    pd.read_parquet(out / "truth.parquet").drop(columns="v_up_mps").to_parquet(bad)
    dest = tmp_path / "trk"
    result = gbad(
        "track",
        str(out / "detections.parquet"),
        "--scenario",
        str(scenario),
        "--out",
        str(dest),
        "--truth",
        str(bad),
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}: invalid truth file" in result.stderr
    assert "missing column(s) ['v_up_mps']" in result.stderr
    assert not dest.exists()


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda t: t.iloc[:0], "it has no rows"),
        (lambda t: t.assign(object_id=t.object_id.astype(str)), "'object_id' must be numeric"),
        (lambda t: t.assign(t_s=t.t_s.astype(str)), "'t_s' must be numeric"),
        (lambda t: t.assign(t_s=t.t_s.where(t.index != 3)), "'t_s': 1 row(s) not finite"),
        # found by the fuzzer: was blamed on the scenario, with a NumPy repr
        (lambda t: t.iloc[[*range(len(t)), 0]], "has more than one row at t_s = "),
    ],
)
def test_issue_12_truth_files_that_cannot_be_scored_against(small_run, tmp_path, mutate, fragment):
    """A truth file with no rows, text for numbers or NaN times is refused before any work
    (NaN times were taken, and moved GOSPA from 589 m to 338 m)."""
    import pandas as pd

    scenario, out, _ = small_run
    bad = tmp_path / "truth.parquet"
    mutate(pd.read_parquet(out / "truth.parquet")).to_parquet(bad)
    dest = tmp_path / "trk"
    result = gbad(
        "track", str(out / "detections.parquet"), "--scenario", str(scenario),
        "--out", str(dest), "--truth", str(bad),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{bad}: invalid truth file" in result.stderr and fragment in result.stderr
    assert not dest.exists()


def test_issue_12_an_unusable_out_is_refused_before_any_work(tmp_path):
    """`--out` naming a file, an empty name or a folder that cannot be written: exit 2 at
    once, naming it (it was found after the whole simulation, as a traceback)."""
    import os

    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    cases = [(str(a_file), "it is a file, not a folder"), ("", "give a folder name")]
    if os.geteuid() != 0:  # root writes anywhere
        cases.append((str(locked / "out"), "cannot be written here"))
    for out, fragment in cases:
        result = gbad("run", "counter-battery", "--out", out)
        assert result.returncode == 2, (out, result.stderr)
        assert "invalid output folder" in result.stderr and fragment in result.stderr
        assert "Traceback" not in result.stderr
    locked.chmod(0o700)


def test_issue_12_ctrl_c_is_one_line_not_a_traceback(tmp_path):
    import signal
    import time

    # The default raid made an hour long: still running when the signal comes, however
    # fast a run gets (the built-in scenarios themselves now finish within seconds).
    builtin = Path(__file__).parents[1] / "src/gbad/scenario/builtin/airbase-defence.toml"
    text = builtin.read_text(encoding="utf-8")
    assert "\nduration_s = 600.0\n" in text
    long_run = tmp_path / "long.toml"
    long_run.write_text(text.replace("\nduration_s = 600.0\n", "\nduration_s = 3600.0\n"))
    # Its kernels compiled first (a minute of the same raid): a signal that lands inside
    # Numba's compiler is swallowed by a ctypes callback of llvmlite's, which then fails
    # with an error of its own. A user's second run, like this one, finds them cached.
    short_run = tmp_path / "short.toml"
    short_run.write_text(text.replace("\nduration_s = 600.0\n", "\nduration_s = 60.0\n"))
    warm = gbad("run", str(short_run), "--out", str(tmp_path / "warm"), "--quiet")
    assert warm.returncode == 0, warm.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "gbad", "run", str(long_run), "--out", str(tmp_path / "o")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4.0)  # past the imports, into the run
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err


def test_issue_12_a_fifo_is_named_for_what_it_is(tmp_path):
    """A FIFO given as the scenario or the detections is refused as one (the scenario's
    read would have waited for a writer for ever; the detections said 'no such file')."""
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = gbad("validate", str(fifo))
    assert result.returncode == 2 and "not a regular file (a FIFO)" in result.stderr
    result = gbad(
        "track", str(fifo), "--scenario", "counter-battery", "--out", str(tmp_path / "o")
    )
    assert result.returncode == 2 and "not a regular file (a FIFO)" in result.stderr
    result = gbad("validate", str(tmp_path))
    assert result.returncode == 2 and "not a regular file (a folder)" in result.stderr


def _complete(folder: Path) -> bool:
    """A run's folder as `record.staged_folder` leaves it: a manifest whose every file is
    there with its size and SHA-256."""
    import hashlib
    import json

    manifest = folder / "run.json"
    if not manifest.is_file():
        return False
    files = json.loads(manifest.read_text())["files"]
    return all(
        (folder / name).is_file()
        and hashlib.sha256((folder / name).read_bytes()).hexdigest() == f["sha256"]
        for name, f in files.items()
    )


def test_issue_12_a_run_killed_anywhere_leaves_the_last_whole_run_or_nothing(
    small_run, tmp_path
):
    """Twenty runs into one folder, each killed (SIGKILL) at a random moment: the folder
    always holds a whole run (the one before, or the new one) or nothing at all, never a
    mix; a finished run leaves its manifest."""
    import random
    import signal
    import time

    scenario, _, _ = small_run
    out = tmp_path / "out"
    chooser = random.Random(12)
    seen_whole = 0
    for k in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-m", "gbad", "run", str(scenario), "--out", str(out),
             "--seed", str(k), "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(chooser.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert not out.exists() or _complete(out), k
        seen_whole += out.exists()
        visible = [p for p in out.iterdir()] if out.exists() else []
        assert all(not p.name.endswith(".tmp") for p in visible)
    result = gbad("run", str(scenario), "--out", str(out), "--quiet")
    assert result.returncode == 0 and _complete(out)


def test_issue_12_a_failed_run_leaves_the_folder_as_it_was(tmp_path):
    from gbad.record import staged_folder, write_json

    out = tmp_path / "out"
    with staged_folder(out, {"seed": 1}) as stage:
        write_json(stage / "summary.json", {"seed": 1})
    assert _complete(out)
    before = (out / "run.json").read_text()
    with pytest.raises(RuntimeError), staged_folder(out, {"seed": 2}) as stage:
        write_json(stage / "summary.json", {"seed": 2})
        raise RuntimeError("the disk filled")
    assert (out / "run.json").read_text() == before and _complete(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a gbad run"), staged_folder(mine, {}):
        pass
    assert (mine / "notes.txt").read_text() == "mine"


def test_issue_13_a_cold_numba_cache_is_seen_as_cold(tmp_path):
    """`gbad.warmup` starts its compiling helper only where the tracker's kernel has no
    cache entry: an empty NUMBA_CACHE_DIR is cold."""
    code = "from gbad.warmup import tracker_cache_cold; print(tracker_cache_cold())"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "empty")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr


def test_issue_13_the_compiling_helper_lives_only_as_long_as_the_run(monkeypatch):
    """The helper is a second process beside a cold run, killed when the run ends (its
    cache entries are all it leaves), and none is started on a warm cache."""
    import gbad.warmup as warmup

    monkeypatch.setattr(warmup, "tracker_cache_cold", lambda: True)
    with warmup.helper_if_cold() as proc:
        assert proc is not None and proc.poll() is None
    assert proc.returncode is not None
    monkeypatch.setattr(warmup, "tracker_cache_cold", lambda: False)
    with warmup.helper_if_cold() as proc:
        assert proc is None


def test_report_tables_head_keys_with_their_units_and_figures_cannot_break_out():
    from gbad.analysis.report_plots import figure_div, labelled

    assert labelled("mean_gospa_m") == "mean gospa (m)"
    assert labelled("mean_gospa_missed_m2") == "mean gospa missed (m²)"
    assert labelled("false_tracks_per_hour") == "false tracks (per hour)"
    assert labelled("time_to_confirmed_track_median_s") == "time to confirmed track median (s)"
    assert labelled("tracks_total") == "tracks total"
    # A name with "</script>" in it stays inside its script; NaN becomes null.
    div = figure_div("plan", [{"name": "</script><b>x", "y": [1.0, float("nan")]}], {})
    assert div.count("</script>") == 1 and "null" in div
    with pytest.raises(ValueError, match="figure id"):
        figure_div('x" onload="evil', [], {})


def test_issue_13_the_command_leaves_its_heap_to_the_exit_not_the_collector(monkeypatch, capsys):
    """`gbad` freezes what is alive before and after its work (`gc.freeze`): the shutdown
    would otherwise walk the run's whole heap with the cyclic collector, 0.2 s of CPU
    after the default raid, to free memory the exit frees anyway."""
    import gc

    from gbad.cli import entry

    monkeypatch.setattr(sys, "argv", ["gbad", "scenarios"])
    try:
        with pytest.raises(SystemExit) as done:
            entry()
        assert done.value.code == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert "airbase-defence" in capsys.readouterr().out
