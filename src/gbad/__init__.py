"""gbad: simulator and analysis workbench for ground-based air defence.

Everything here is a simulation with public, nominal parameters. The single
front door for the Python API is :mod:`gbad.api`.
"""

import os

# Numba's parallel kernels run on OpenMP, whose idle threads spin between kernels by
# default: on the default raid that was 4 CPU s of 26 spent waiting. Passive waiting
# costs no wall time here (measured: docs/performance.md). Set before Numba loads
# OpenMP; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Before any kernel loads: a cache beside the sources that an edited helper left stale
# is cleared (`gbad._kernel_cache`; an installed release never changes, so never pays).
from pathlib import Path as _Path

from gbad._kernel_cache import refresh as _refresh_kernel_cache

_refresh_kernel_cache(_Path(__file__).parent)

__version__ = "0.1.0"
