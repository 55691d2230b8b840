"""Benchmark: `gbad laydown`'s speed, one radar over 10,000 candidate sites at 3 heights.

Run: `.venv/bin/python benchmarks/bench_laydown.py [--sites 10000]`.

The default raid's long-range surveillance radar is given a candidate circle about its
own site, sampled to about ``--sites`` candidates; the area-coverage objective (the
defended area 20 km about the assets in 1 km cells, targets 50, 150 and 500 m above
the ground) is computed for every site, then the exact covering programme is solved.
Printed: the sites, the cells, the seconds of each step, and the sites per second.
No peer runs here: the issue names none that places radars.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from dataclasses import replace

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", type=int, default=10_000)
    args = ap.parse_args()
    from gbad.laydown.objectives import area_cells, cover_matrix
    from gbad.laydown.solve import mclp
    from gbad.laydown.zones import candidate_sites, placeable
    from gbad.scenario.loader import load_builtin
    from gbad.scenario.schema import CandidateCircle, Position

    loaded = load_builtin("airbase-defence")
    i = next(k for k, r in enumerate(loaded.model.radars) if r.id == "lrsr")
    radius = 20e3
    zone = CandidateCircle(center=Position(east_m=-2000.0, north_m=15000.0), radius_m=radius)
    radars = list(loaded.model.radars)
    radars[i] = radars[i].model_copy(update={"candidates": zone})
    loaded = replace(loaded, model=loaded.model.model_copy(update={"radars": radars}))
    spacing = math.sqrt(math.pi * radius**2 / args.sites)
    print(f"gbad laydown benchmark; Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} cores; load average before: {os.getloadavg()}")  # fmt: skip
    t0 = time.perf_counter()
    e, n, _ = candidate_sites(loaded, placeable(loaded, ['lrsr'])[0], spacing)
    cells_e, cells_n = area_cells(loaded, 20e3, 1000.0)
    t1 = time.perf_counter()
    cover = cover_matrix(loaded, i, e, n, cells_e, cells_n, (50.0, 150.0, 500.0), 0.1, 350.0)
    t2 = time.perf_counter()
    weights = np.full(cover.shape[1], 1.0 / cover.shape[1])
    choice, value = mclp([cover], weights)
    t3 = time.perf_counter()
    print(f"{len(e)} candidate sites, {len(cells_e)} cells x 3 heights")
    print(f"sites and cells {t1 - t0:.2f} s; cover (every site, every cell and height) "
          f"{t2 - t1:.2f} s ({len(e) / (t2 - t1):.0f} sites/s); the choice (one radar: read off) "
          f"{t3 - t2:.2f} s; total {t3 - t0:.2f} s")  # fmt: skip
    print(f"best area coverage {value:.3f} at east {e[choice[0]]:.0f} m, north {n[choice[0]]:.0f} m")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
