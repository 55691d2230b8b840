"""Waypoint flight: straight legs joined by coordinated turns at a bank limit.

The route lives in the scenario's local coordinates (docs/design.md): east/north
on the origin's tangent plane, up as height above the origin's altitude. The
horizontal path is flown in that plane and mapped to the curved Earth only at
the end, so level flight stays level over hundreds of kilometres. The plane's
scale differs from the ground's by about d²/(2R²) (1e-4 at 100 km): that is
the error of the route speed, not of position, which is exact by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

G0_MPS2 = 9.80665
#: Angular spacing of the samples along a turn; the chord sags < 4e-6 R.
_ARC_STEP_RAD = np.radians(0.25)


@dataclass(frozen=True)
class RoutePath:
    """A route resolved into a dense polyline with its timing.

    `s_m` is the distance flown along the horizontal path; `t_s` the absolute
    scenario time at each sample; `east_m`, `north_m`, `up_m` the local
    coordinates.
    """

    s_m: NDArray[np.float64]
    t_s: NDArray[np.float64]
    east_m: NDArray[np.float64]
    north_m: NDArray[np.float64]
    up_m: NDArray[np.float64]

    @property
    def t_start_s(self) -> float:
        return float(self.t_s[0])

    @property
    def t_end_s(self) -> float:
        return float(self.t_s[-1])

    def local_at(self, t_s: NDArray[np.float64]) -> tuple[NDArray, NDArray, NDArray]:
        """Local east/north/up at the given times (clamped to the route's span)."""
        s = np.interp(t_s, self.t_s, self.s_m)
        return (
            np.interp(s, self.s_m, self.east_m),
            np.interp(s, self.s_m, self.north_m),
            np.interp(s, self.s_m, self.up_m),
        )


def _fill_speeds(speeds: list[float | None]) -> NDArray[np.float64]:
    """A speed at every waypoint: carried forward, and back-filled before the first given."""
    out = np.array([np.nan if v is None else v for v in speeds], dtype=float)
    first = int(np.flatnonzero(~np.isnan(out))[0])
    out[:first] = out[first]
    for i in range(first + 1, len(out)):
        if np.isnan(out[i]):
            out[i] = out[i - 1]
    return out


def build_route(
    east_m: NDArray[np.float64],
    north_m: NDArray[np.float64],
    up_m: NDArray[np.float64],
    speeds_mps: list[float | None],
    t_start_s: float,
    max_bank_deg: float,
) -> RoutePath:
    """Resolve waypoints into a flyable path.

    Corners become circular arcs of radius v²/(g·tan φ) (a level coordinated
    turn at bank φ); where two corners crowd a short leg, the arcs shrink to
    fit — a tighter turn than the bank limit, which only very short legs need.
    Speed varies linearly with distance between waypoints, height likewise.
    """
    pts = np.column_stack([east_m, north_m]).astype(float)
    heights = np.asarray(up_m, dtype=float)
    speeds = _fill_speeds(speeds_mps)
    # Drop repeated points: they define no direction.
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = np.hypot(*(np.diff(pts, axis=0).T)) > 1e-6
    pts, heights, speeds = pts[keep], heights[keep], speeds[keep]
    if len(pts) < 2:
        raise ValueError("a route needs at least two distinct points")

    legs = np.diff(pts, axis=0)
    leg_len = np.hypot(legs[:, 0], legs[:, 1])
    dirs = legs / leg_len[:, None]

    # Tangent distance of each interior corner's fillet, capped so that the two
    # fillets sharing a leg never overlap.
    n_corner = len(pts) - 2
    tangent = np.zeros(n_corner)
    turn = np.zeros(n_corner)
    radius = np.zeros(n_corner)
    if n_corner:
        cross = dirs[:-1, 0] * dirs[1:, 1] - dirs[:-1, 1] * dirs[1:, 0]
        dot = np.sum(dirs[:-1] * dirs[1:], axis=1)
        turn = np.arctan2(cross, dot)  # signed, + is a left (counter-clockwise) turn
        radius = speeds[1:-1] ** 2 / (G0_MPS2 * np.tan(np.radians(max_bank_deg)))
        tangent = radius * np.tan(np.abs(turn) / 2.0)
        cap = 0.5 * np.minimum(leg_len[:-1], leg_len[1:])
        tangent = np.minimum(tangent, cap)
        with np.errstate(divide="ignore", invalid="ignore"):
            radius = np.where(np.abs(turn) > 1e-9, tangent / np.tan(np.abs(turn) / 2.0), 0.0)

    xs: list[NDArray] = [pts[:1]]
    # Distance along the path at which each waypoint is passed (the arc's midpoint).
    s_way = np.zeros(len(pts))
    s_total = 0.0
    cursor = pts[0]
    for i in range(len(legs)):
        end_cut = tangent[i] if i < n_corner else 0.0
        leg_end = pts[i + 1] - dirs[i] * end_cut
        s_total += float(np.hypot(*(leg_end - cursor)))
        xs.append(leg_end[None, :])
        cursor = leg_end
        if i < n_corner:
            if abs(turn[i]) > 1e-9 and radius[i] > 0:
                # Arc about the centre on the inside of the turn.
                normal = np.array([-dirs[i, 1], dirs[i, 0]]) * np.sign(turn[i])
                centre = leg_end + normal * radius[i]
                n_step = max(2, int(np.ceil(abs(turn[i]) / _ARC_STEP_RAD)))
                ang0 = np.arctan2(*(leg_end - centre)[::-1])
                angs = ang0 + np.sign(turn[i]) * np.linspace(0, abs(turn[i]), n_step + 1)[1:]
                arc = centre + radius[i] * np.column_stack([np.cos(angs), np.sin(angs)])
                arc_len = radius[i] * abs(turn[i])
                s_way[i + 1] = s_total + arc_len / 2.0
                s_total += arc_len
                xs.append(arc)
                cursor = arc[-1]
            else:
                s_way[i + 1] = s_total
    s_way[-1] = s_total

    poly = np.vstack(xs)
    seg = np.hypot(*(np.diff(poly, axis=0).T))
    s = np.concatenate([[0.0], np.cumsum(seg)])
    # Fix accumulated rounding so the waypoint marks match the polyline length.
    s_way = s_way * (s[-1] / s_way[-1]) if s_way[-1] > 0 else s_way

    v = np.interp(s, s_way, speeds)
    # Time along the path: dt = ds / v, trapezoidal in 1/v, exact for linear v on fine samples.
    inv_v = 1.0 / v
    t = t_start_s + np.concatenate([[0.0], np.cumsum(0.5 * (inv_v[1:] + inv_v[:-1]) * seg)])
    up = np.interp(s, s_way, heights)
    return RoutePath(s_m=s, t_s=t, east_m=poly[:, 0], north_m=poly[:, 1], up_m=up)
