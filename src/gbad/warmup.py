"""A first run's compiling, spread over two cores.

The first run on a machine compiles every Numba kernel it uses, about 45 s on the
2-core reference machine, most of it the tracker's. A run needs the tracker only
after the truth, the radars and the locator: so where the tracker's kernels are not
in Numba's cache yet, `gbad run` and `gbad demo` start this module in a second
process, which flies a short stretch of the built-in raid through the radars and the
tracker and so compiles (and caches) the tracker's kernels while the run does the
rest. The run then finds them in the cache when it gets there; where it gets there
first, it compiles what is missing itself, as it would have anyway. Nothing the run
computes depends on the helper. A warm cache starts no helper.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

#: How much of the built-in raid the helper flies (s): long enough for tracks to be
#: confirmed and the battery to engage.
HELPER_DURATION_S = 320.0
#: The threats the helper keeps: those flown along routes (no ballistic flight).
AIR_KINDS = ("aircraft", "cruise_missile", "uav")


def tracker_cache_cold() -> bool:
    """Whether the tracker's main kernel has no usable entry in Numba's cache."""
    try:
        from gbad.tracking import scangate

        index = scangate._gate_scan_serial._cache._cache_file._load_index()
    except Exception:  # a Numba without this layout: assume warm, start nothing
        return False
    return not index


@contextmanager
def helper_if_cold() -> Iterator[subprocess.Popen | None]:
    """Run the body with the helper process beside it when the cache is cold; the
    helper is stopped when the body ends, whatever it has done by then."""
    proc = None
    if tracker_cache_cold():
        proc = subprocess.Popen(
            [sys.executable, "-m", "gbad.warmup"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        yield proc
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def main() -> None:
    """Compile the tracker's kernels (and the battery's) on a short stretch of the raid."""
    from gbad.runworld import radar_models
    from gbad.scenario.loader import load_builtin
    from gbad.sensors.detection_file import from_columns
    from gbad.sim import fight, simulate

    # The raid's air picture only: no weapon-locating radar and no rounds, whose truth
    # and locator kernels the run compiles itself before it needs the tracker.
    loaded = load_builtin("airbase-defence")
    model = loaded.model
    hdr = model.scenario.model_copy(update={"duration_s": HELPER_DURATION_S})
    update = {
        "scenario": hdr,
        "radars": [r for r in model.radars if r.role != "weapon_locating"],
        "threats": [t for t in model.threats if t.kind in AIR_KINDS],
    }
    loaded = replace(loaded, model=model.model_copy(update=update))
    truth, dets, summary, _ = simulate(loaded)
    det = from_columns(dets, radar_models(loaded), "<warm-up detections>")
    fight(loaded, truth, det, summary["seed"], 0, cues=None)


if __name__ == "__main__":
    main()
