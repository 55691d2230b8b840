"""Benchmark: the locator's time per locate, and a 40-round rocket salvo against real time.

Run: `.venv/bin/python benchmarks/bench_locator.py [--repeat N]`.

One run of the built-in `counter-battery` scenario (simulated once, in this process,
in the default world: its variability and the radar's errors drawn): a weapon-locating
radar with a two-row fence and 20 Hz track dwells; 20 mortar bombs, 22 shells, a
40-rocket and a 12-rocket salvo (one every 0.5 s), plus two aircraft crossing the fence.
The locator works as a run's does: on its map (the truth's ground and the run's map
error), told the world's σ, so every claim carries its consider terms.

- time per locate: `gbad.locating.locate.locate` on every radar track's whole data at
  once (one final solution per track: all three class hypotheses fitted, the winner's
  points and covariances found), cold start, best of --repeat, divided by the tracks
  that were long enough to fit;
- salvo: `gbad.locating.locator.run_locator` on the salvo's detections alone, with every
  interim solution the warnings need (a re-solve per track every 0.5 s), against the
  time from the salvo's first detection to its last.

No peer: neither Stone Soup nor the NRL library has a weapon locator.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from gbad.api import load_builtin, simulate
from gbad.locating.dynamics import World
from gbad.locating.locate import locate, observations
from gbad.locating.locator import run_locator
from gbad.sensors.detection_file import from_columns
from gbad.sim import locator_ground, radar_models, world_draw, world_sigma


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    loaded = load_builtin("counter-battery")
    truth, cols, _, _ = simulate(loaded)
    radars = radar_models(loaded)
    det = from_columns(cols, radars, "<simulated>")
    origin = loaded.model.scenario.origin
    cfg = loaded.model.locator
    ground = locator_ground(loaded, world_draw(loaded, loaded.model.scenario.seed, 0))
    sigma_w = world_sigma(loaded)

    # -- time per locate: every track's final solution, one batch --------------------
    wl = det.dwell_track_id >= 0
    ids, group = np.unique(det.dwell_track_id[wl], return_inverse=True)
    rows = np.flatnonzero(wl)
    r = radars[0]
    sigma = np.column_stack(
        [det.range_sigma_m, det.az_sigma_deg, det.el_sigma_deg, det.range_rate_sigma_mps]
    )[rows]
    obs, pos = observations(
        group,
        len(ids),
        det.t_s[rows],
        det.range_m[rows],
        det.az_deg[rows],
        det.el_deg[rows],
        det.range_rate_mps[rows],
        sigma,
        np.tile(r.ecef_m, (len(rows), 1)),
        np.tile(r.enu_rot, (len(rows), 1, 1)),
    )
    o = (origin.lat_deg, origin.lon_deg, origin.alt_m)
    n_fit = int(
        np.sum(
            (np.sum(np.isfinite(obs.t_s), axis=1) >= cfg.min_detections)
            & (np.nanmax(obs.t_s, axis=1) - np.nanmin(obs.t_s, axis=1) >= cfg.min_track_s)
        )
    )
    bias = np.tile(r.bias_sigma, (len(ids), 1))
    locate(obs, pos, World(), ground, cfg, origin=o, bias_sigma=bias, world_sigma=sigma_w)
    best = np.inf
    for _ in range(args.repeat):
        tic = time.perf_counter()
        got = locate(obs, pos, World(), ground, cfg, origin=o, bias_sigma=bias, world_sigma=sigma_w)
        best = min(best, time.perf_counter() - tic)
    print(f"tracks {len(ids)}, fitted {n_fit}, located {int(got.located.sum())}")
    print(f"time per locate: {best / n_fit * 1e3:.2f} ms ({best:.2f} s for {n_fit} tracks)")

    # -- the 40-round salvo, with interim solutions, against real time ----------------
    salvo_ids = truth.object_id[np.array(truth.threat_id, dtype=object) == "mrl-a"]
    in_salvo = np.isin(det.truth_id, salvo_ids)  # selecting the input only; never read inside
    salvo = det.take(np.flatnonzero(in_salvo))
    span = float(salvo.t_s.max() - salvo.t_s.min())
    args_l = (radars, origin, cfg, ground, loaded.model.assets)
    run_locator(salvo, *args_l, world_sigma=sigma_w)
    best = np.inf
    for _ in range(args.repeat):
        tic = time.perf_counter()
        res = run_locator(salvo, *args_l, world_sigma=sigma_w)
        best = min(best, time.perf_counter() - tic)
    n_sol = len(res.locates["t_s"])
    print(
        f"salvo: {int(res.locates['located'][res.locates['final']].sum())}/40 located, "
        f"{n_sol} solutions in {best:.2f} s against {span:.1f} s of radar time: "
        f"{span / best:.1f}x faster than real time"
    )
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
