"""`leakers`: a short Monte Carlo of the scenario's own laydown and the optimised one, for
the final comparison (not searched: each laydown costs whole runs).

Run k of each laydown draws the same world (the scenario's seed, run k), so the runs
pair; the table gives each laydown's mean leakers and the paired difference, each with
its 95 % Student-t interval.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gbad.scenario.loader import LoadedScenario
from gbad.stats import mean_interval


def _interval(x: np.ndarray) -> dict[str, float]:
    n, mean, _, half = mean_interval(x)
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "runs": n}


def compare_leakers(loaded: LoadedScenario, items, placed: dict, runs: int, seed: int | None,
                    deadline: float | None, say: Callable[[str], None],
                    tick: Callable[[int, int], None] | None = None) -> dict:  # fmt: skip
    """Leakers of ``runs`` paired runs of the own and the optimised laydown (fewer, but two
    at least, where ``deadline`` passes first)."""
    from gbad.laydown.output import laydown_text
    from gbad.scenario.loader import LoadedScenario as Loaded
    from gbad.scenario.loader import parse_scenario
    from gbad.sim import run_scenario

    text = laydown_text(loaded, items, placed)
    optimised = Loaded(parse_scenario(text, f"{loaded.source} (optimised laydown)"), loaded.source,
                       loaded.base_dir)  # fmt: skip
    counts: dict[str, list[float]] = {"own": [], "optimised": []}
    with tempfile.TemporaryDirectory(prefix="gbad-laydown-") as tmp:
        for k in range(runs):
            if k >= 2 and deadline is not None and time.monotonic() > deadline:
                break
            for name, scenario in (("own", loaded), ("optimised", optimised)):
                if tick:
                    tick(2 * k + (name == "optimised"), 2 * runs)
                else:
                    say(f"leakers: {name} laydown, run {k + 1} of {runs}")
                result = run_scenario(scenario, Path(tmp) / f"{name}-{k}", seed, k, report=False)
                counts[name].append(float(result.summary["engagement"]["leakers"]))
    own, opt = np.array(counts["own"]), np.array(counts["optimised"])
    return {"own": _interval(own), "optimised": _interval(opt),
            "difference": _interval(opt - own)}  # fmt: skip
