"""Numba kernel behind `threat.evaluate`: each track's closest approach to each asset.

Private module. The same sampled search as the array version it replaces (each track
flown on the 1,201-point time grid, its horizontal distance to each asset, the first
smallest, the first sample within reach), with the same arithmetic element by element,
so the same numbers; without the (tracks × samples × assets) arrays, and stopping the
entry search at the first sample within reach.
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def closest_approach(
    pos,  # (N, 3) ENU, m
    vel,  # (N, 3)
    acc,  # (N, 3)
    ballistic,  # (N,) bool: ends on the ground
    t,  # (T,) sample times from now
    asset_en,  # (A, 2) assets' east, north
    reach,  # (N, A) distance within which a track threatens an asset
    k_cpa,  # (N, A) out: sample of the closest approach (the first smallest)
    d_cpa,  # (N, A) out: its horizontal distance (inf: landed before any sample)
    k_in,  # (N, A) out: first sample within reach, -1 if none
):
    n_t = t.shape[0]
    for n in range(pos.shape[0]):
        for a in range(asset_en.shape[0]):
            best = math.inf
            kb = 0
            seen_nan = False
            k_in[n, a] = -1
            for j in range(n_t):
                tj = t[j]
                t2 = tj**2
                x = pos[n, 0] + vel[n, 0] * tj + 0.5 * acc[n, 0] * t2
                y = pos[n, 1] + vel[n, 1] * tj + 0.5 * acc[n, 1] * t2
                z = pos[n, 2] + vel[n, 2] * tj + 0.5 * acc[n, 2] * t2
                if ballistic[n] and z < 0.0:
                    d = math.inf
                else:
                    dx = x - asset_en[a, 0]
                    dy = y - asset_en[a, 1]
                    d = math.sqrt(dx * dx + dy * dy)
                # np.argmin: the first NaN if any, else the first smallest.
                if not seen_nan:
                    if d != d:
                        seen_nan = True
                        kb = j
                        best = d
                    elif d < best:
                        best = d
                        kb = j
                if k_in[n, a] < 0 and d <= reach[n, a]:
                    k_in[n, a] = j
            k_cpa[n, a] = kb
            d_cpa[n, a] = best
