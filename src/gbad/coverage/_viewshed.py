"""Numba kernel: which cells of a height grid a radar sees, a target standing on each.

Private module; :mod:`gbad.coverage` is the public face. The ray from the antenna to
each cell is sampled once per grid cell it crosses (bilinear heights, as
`gbad.earth.terrain.Terrain` interpolates them), and the target is seen when no
sample rises above the straight line to it. The earth's curvature and the
atmosphere's refraction enter as one drop, d²/(2·kR): the 4/3-earth model of the
rest of gbad (`gbad.earth.refraction`), and of ``gdal_viewshed -cc R/kR``.

Grid coordinates are metres in a local plane: a projected grid's own (UTM), or, for
a geographic grid, east and north distances from the radar (over the tens of
kilometres a radar covers, a few metres from the geodesic).
"""

from __future__ import annotations

import math

from numba import njit

#: `viewshed`'s answer for a cell whose height is unknown.
NO_DATA = 255


@njit(cache=True)
def _bilinear(h, r, c):
    rows, cols = h.shape
    r = min(max(r, 0.0), rows - 1.0)
    c = min(max(c, 0.0), cols - 1.0)
    r0 = min(int(r), rows - 2)
    c0 = min(int(c), cols - 2)
    u = r - r0
    t = c - c0
    return (1.0 - u) * ((1.0 - t) * h[r0, c0] + t * h[r0, c0 + 1]) + u * (
        (1.0 - t) * h[r0 + 1, c0] + t * h[r0 + 1, c0 + 1]
    )


@njit(cache=True)
def viewshed(
    heights, xs, ys, radar_x, radar_y, antenna_m, target_agl_m, k_radius_m, out, per_cell=1
):
    """out[i, j] = 1 where a target ``target_agl_m`` above cell (i, j) is in sight of the
    antenna (height ``antenna_m``, same datum as ``heights``) at (radar_x, radar_y), 0
    where the ground hides it, `NO_DATA` where the cell has no height.

    ``xs`` (C,) and ``ys`` (R,): the cells' centre coordinates (m), evenly spaced.
    A sample with no height (NaN) hides nothing. ``per_cell``: ray samples per cell
    crossed (one is within 0.1 % of the cells of eight on a real DEM: the tests).
    """
    rows, cols = heights.shape
    dx = xs[1] - xs[0]
    dy = ys[1] - ys[0]
    rc = (radar_x - xs[0]) / dx
    rr = (radar_y - ys[0]) / dy
    two_k = 2.0 * k_radius_m
    for i in range(rows):
        for j in range(cols):
            h_t = heights[i, j]
            if math.isnan(h_t):
                out[i, j] = NO_DATA
                continue
            ex = xs[j] - radar_x
            ny = ys[i] - radar_y
            d = math.sqrt(ex * ex + ny * ny)
            if d < 1e-6:
                out[i, j] = 1
                continue
            target_slope = (h_t + target_agl_m - d * d / two_k - antenna_m) / d
            di = i - rr
            dj = j - rc
            n = int(per_cell * max(abs(di), abs(dj)))
            seen = 1
            for s in range(1, n):
                f = s / n
                h = _bilinear(heights, rr + f * di, rc + f * dj)
                if math.isnan(h):
                    continue
                ds = f * d
                if (h - ds * ds / two_k - antenna_m) / ds > target_slope:
                    seen = 0
                    break
            out[i, j] = seen
