"""What several test files share: a small scenario, and the command line run as a user
runs it."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port nobody holds now (TCP by default, or ``socket.SOCK_DGRAM``)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_small(root: Path) -> tuple[Path, Path]:
    """`SMALL` written into ``root`` and run there in this process, without its report:
    (the scenario file, the run's folder)."""
    from gbad.scenario.loader import load_scenario
    from gbad.sim import run_scenario

    scenario = root / "small.toml"
    scenario.write_text(SMALL)
    run_scenario(load_scenario(scenario), root / "run", report=False)
    return scenario, root / "run"


def gbad(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`gbad ARGS` in a fresh interpreter, its output captured (five minutes at most)."""
    return subprocess.run(
        [sys.executable, "-m", "gbad", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


#: Two minutes: a surveillance radar and a weapon-locating radar, a jet and two shells.
SMALL = """
[scenario]
name = "small"
origin = { lat_deg = 37.1, lon_deg = 127.05, alt_m = 40.0 }
duration_s = 120.0
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

[[radars]]
id = "wl"
role = "weapon_locating"
position = { east_m = 1000.0, north_m = 0.0, up_m = 5.0 }
frequency_hz = 5.6e9
reference = { range_m = 25e3, rcs_m2 = 0.01, pd = 0.9 }
scan = { kind = "sector", period_s = 0.5 }
coverage = { az_min_deg = 315, az_max_deg = 45, el_max_deg = 15, range_max_m = 40e3 }
accuracy = { range_m = 5.0, az_deg = 0.05, el_deg = 0.05, range_rate_mps = 0.5 }

[[threats]]
id = "jet"
kind = "aircraft"
route = [ { east_m = 60e3, north_m = 60e3, up_m = 5000.0, speed_mps = 250.0 },
          { east_m = 0.0, north_m = 10e3, up_m = 3000.0 } ]

[[threats]]
id = "gun"
kind = "shell"
launch = { east_m = 2000.0, north_m = 12000.0, up_m = 100.0 }
aim = { east_m = 0.0, north_m = 0.0 }
t_launch_s = 5.0
count = 2
interval_s = 5.0
"""
