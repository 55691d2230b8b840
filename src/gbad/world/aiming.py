"""Ranges and aiming of ballistic rounds: the range to a level, the maximum range, and the
launch elevation and azimuth (or, for a boosted missile, the elevation) that put a round
on a target, all by flying :func:`gbad.world.ballistic.fly` itself.

Frames and conventions as in :mod:`gbad.world.ballistic`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.earth.wgs84 import ecef2geodetic
from gbad.world.ballistic import (
    GroundLike,
    _as_profiles,
    _broadcast,
    _ecef,
    _enu_basis,
    _launch_state,
    _run_kernel,
    fly,
    ground_range_m,
)
from gbad.world.munitions import MunitionProfile

Array = NDArray[np.float64]

#: solve_aim's elevation scan only brackets the solution: it flies coarser steps.
_SCAN_DT_SCALE = 2.5


def _repeat(a: Array, s: int) -> Array:
    return np.repeat(a, s, axis=0)


def _dt_subset(dt_s: float | ArrayLike | None, m: int, idx: NDArray[np.int64]) -> Array | None:
    return None if dt_s is None else np.broadcast_to(np.asarray(dt_s, float), (m,))[idx]


def _ranges_to_level(
    profs: list[MunitionProfile],
    lat: Array,
    lon: Array,
    alt: Array,
    az: Array,
    speed: Array,
    els: Array,
    land_alt: Array,
    *,
    dt_s: Array | None,
    rotating: bool,
    max_time_s: float,
) -> Array:
    """Ground range (m) at each of the (M, S) elevations, landing on the level land_alt (M,).

    A round that never comes down through that level gets range 0.
    """
    m, s = els.shape
    pr = [p for p in profs for _ in range(s)]
    state0 = _launch_state(
        _repeat(lat, s),
        _repeat(lon, s),
        _repeat(alt, s),
        els.ravel(),
        _repeat(az, s),
        _repeat(speed, s),
    )
    raw = _run_kernel(
        pr,
        state0,
        _repeat(land_alt, s),
        dt_s=None if dt_s is None else _repeat(dt_s, s),
        max_time_s=max_time_s,
        rotating=rotating,
        gravity="j2",
        drag=True,
        record=False,
    )
    pos = raw.impact_state[:, :3]
    ilat, ilon, _ = ecef2geodetic(pos[:, 0], pos[:, 1], pos[:, 2])
    rng = ground_range_m(_repeat(lat, s), _repeat(lon, s), ilat, ilon)
    return np.where(raw.impacted, rng, 0.0).reshape(m, s)


def max_range_m(
    profiles: MunitionProfile | Sequence[MunitionProfile],
    speed_mps: ArrayLike | None = None,
    *,
    launch_lat_deg: ArrayLike = 45.0,
    launch_lon_deg: ArrayLike = 0.0,
    launch_alt_m: ArrayLike = 0.0,
    azimuth_deg: ArrayLike = 0.0,
    land_alt_m: ArrayLike | None = None,
    dt_s: float | ArrayLike | None = None,
    rotating: bool = True,
    max_time_s: float = 1500.0,
) -> tuple[Array, Array]:
    """Greatest ground range of each round within its profile's elevation limits.

    The round lands on the ellipsoid raised to ``land_alt_m`` (default: its
    launch altitude); the speed defaults to the profile's top charge. Returns
    ``(range_m, elevation_deg)``, both (M,): the range on the ellipsoid
    (:func:`ground_range_m`) and the quadrant elevation that gives it, found by
    a scan over the elevation limits and two finer scans about the best point
    (the range is flat at its maximum, so a 0.02° elevation step costs well
    under a metre of range).
    """
    if isinstance(profiles, MunitionProfile):
        sized = (speed_mps, launch_lat_deg, launch_lon_deg, launch_alt_m, azimuth_deg, land_alt_m)
        m = max(int(np.size(x)) for x in sized if x is not None)
    else:
        m = len(profiles)
    profs = _as_profiles(profiles, m)
    m = len(profs)
    top = np.array([p.top_charge_mps for p in profs])
    a = _broadcast(
        m,
        lat=launch_lat_deg,
        lon=launch_lon_deg,
        alt=launch_alt_m,
        az=azimuth_deg,
        speed=top if speed_mps is None else speed_mps,
    )
    land = a["alt"] if land_alt_m is None else _broadcast(m, land_alt_m=land_alt_m)["land_alt_m"]
    lo = np.array([p.elevation_min_deg for p in profs])
    hi = np.array([p.elevation_max_deg for p in profs])
    dt = _dt_subset(dt_s, m, np.arange(m))
    best_el = np.empty(m)
    best_r = np.empty(m)
    n_pts = 13
    rows = np.arange(m)
    for _ in range(3):
        els = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, n_pts)[None, :]
        rng = _ranges_to_level(
            profs,
            a["lat"],
            a["lon"],
            a["alt"],
            a["az"],
            a["speed"],
            els,
            land,
            dt_s=dt,
            rotating=rotating,
            max_time_s=max_time_s,
        )
        i = np.argmax(rng, axis=1)
        best_el = els[rows, i]
        best_r = rng[rows, i]
        step = (hi - lo) / (n_pts - 1)
        lo, hi = np.maximum(best_el - step, lo), np.minimum(best_el + step, hi)
        n_pts = 9
    return best_r, best_el


def solve_aim(
    profiles: MunitionProfile | Sequence[MunitionProfile],
    launch_lat_deg: ArrayLike,
    launch_lon_deg: ArrayLike,
    launch_alt_m: ArrayLike,
    aim_lat_deg: ArrayLike,
    aim_lon_deg: ArrayLike,
    aim_alt_m: ArrayLike,
    speed_mps: ArrayLike,
    trajectory: Literal["low", "high"] | Sequence[str] | None = None,
    *,
    ground: GroundLike = None,
    tol_m: float = 0.5,
    max_iter: int = 40,
    n_scan: int = 15,
    dt_s: float | ArrayLike | None = None,
    rotating: bool = True,
    on_unreachable: Literal["raise", "nan"] = "raise",
    max_time_s: float = 1500.0,
) -> tuple[Array, Array, Array]:
    """Quadrant elevation and azimuth that put each round on its aim point.

    All M rounds are solved together, as a gun-layer would: each round is made
    to pass through the aim point. Its *target plane* is the vertical plane
    through the aim point across the line of fire; where the trajectory
    crosses it, the height above the aim point is the error in elevation and
    the offset to the right is the error in azimuth. A scan over the profile's
    elevation limits finds where the trajectory passes highest through the
    target plane; below that elevation is the ``"low"`` branch, above it the
    ``"high"`` one (default: the profile's ``default_trajectory``). On the
    branch, a secant on elevation drives the height error to zero while the
    azimuth is turned by the cross-track error over the range (so the drift
    of Coriolis and of the Earth's curvature is taken out), until the round
    lands (on the level of the aim point) within ``tol_m`` of it, 0.5 m by
    default, or ``max_iter`` passes. A round may hit while still climbing
    (direct fire at a point above the launcher) as well as when descending.

    Returns ``(elevation_deg, azimuth_deg, miss_m)``, each (M,). With ``ground``
    None (default), ``miss_m`` is the distance from the aim point to where the
    trajectory meets the aim point's level (the ellipsoid raised to
    ``aim_alt_m``) next to it. With a ground (an altitude, or terrain with
    ``height_m``) the solutions are flown over it and ``miss_m`` is the 3-D
    distance from the aim point to the impact, so masking by terrain shows as
    a large miss (``inf`` for a round that never lands).

    Out of reach: with ``on_unreachable="raise"`` (default) one ValueError names
    every round whose aim point is beyond its maximum range (and gives that
    range, on the aim point's level), or closer than its branch can reach at
    the elevation limit (and gives that minimum range), or whose profile has
    no such branch. With ``"nan"`` those rounds get NaN in all three outputs
    and the others are solved.
    """
    if isinstance(profiles, MunitionProfile):
        sized = (
            launch_lat_deg,
            launch_lon_deg,
            launch_alt_m,
            aim_lat_deg,
            aim_lon_deg,
            aim_alt_m,
            speed_mps,
        )
        m = max(int(np.size(x)) for x in sized)
    else:
        m = len(profiles)
    profs = _as_profiles(profiles, m)
    m = len(profs)
    a = _broadcast(
        m,
        launch_lat_deg=launch_lat_deg,
        launch_lon_deg=launch_lon_deg,
        launch_alt_m=launch_alt_m,
        aim_lat_deg=aim_lat_deg,
        aim_lon_deg=aim_lon_deg,
        aim_alt_m=aim_alt_m,
        speed_mps=speed_mps,
    )
    if on_unreachable not in ("raise", "nan"):
        raise ValueError("on_unreachable must be 'raise' or 'nan'")
    if np.any(a["speed_mps"] <= 0.0):
        raise ValueError(f"speed_mps must be > 0 (rounds {np.flatnonzero(a['speed_mps'] <= 0)})")
    if trajectory is None:
        traj = [p.default_trajectory for p in profs]
    elif isinstance(trajectory, str):
        traj = [trajectory] * m
    else:
        traj = list(trajectory)
        if len(traj) != m:
            raise ValueError(f"trajectory has {len(traj)} entries for {m} rounds")
    for i, t in enumerate(traj):
        if t not in ("low", "high"):
            raise ValueError(f"trajectory[{i}] is {t!r}; valid: 'low', 'high'")
    high = np.array([t == "high" for t in traj])
    lat, lon, alt = a["launch_lat_deg"], a["launch_lon_deg"], a["launch_alt_m"]
    aim_alt = a["aim_alt_m"]
    speed = a["speed_mps"]

    # Geometry: the aim point's axes, the line of fire there and its right.
    aim = _ecef(a["aim_lat_deg"], a["aim_lon_deg"], aim_alt)
    launch = _ecef(lat, lon, alt)
    e_aim, n_aim, u_aim = _enu_basis(a["aim_lat_deg"], a["aim_lon_deg"])
    d = launch - aim
    back_e = np.einsum("ij,ij->i", d, e_aim)
    back_n = np.einsum("ij,ij->i", d, n_aim)
    range_h = np.hypot(back_e, back_n)
    if np.any(range_h < 1.0):
        bad = np.flatnonzero(range_h < 1.0).tolist()
        raise ValueError(f"rounds {bad}: aim point is on top of the launch point")
    fwd = -(back_e / range_h)[:, None] * e_aim - (back_n / range_h)[:, None] * n_aim
    right = np.cross(fwd, u_aim)
    e_l, n_l, _ = _enu_basis(lat, lon)
    az0 = (
        np.degrees(np.arctan2(np.einsum("ij,ij->i", -d, e_l), np.einsum("ij,ij->i", -d, n_l)))
        % 360.0
    )
    # Rounds that come down before the target plane stop here; the error is
    # continued below it (see errors()), so the floor's depth is arbitrary.
    floor = np.minimum(aim_alt, alt) - 50.0

    def errors(
        idx: NDArray[np.int64], el: Array, az: Array, dt_scale: float = 1.0
    ) -> tuple[Array, Array, Array]:
        """Height error (m, + high), cross error (m, + right) and the landing miss estimate."""
        state0 = _launch_state(lat[idx], lon[idx], alt[idx], el, az, speed[idx])
        raw = _run_kernel(
            [profs[i] for i in idx],
            state0,
            floor[idx],
            dt_s=_dt_subset(dt_s, m, idx),
            max_time_s=max_time_s,
            rotating=rotating,
            gravity="j2",
            drag=True,
            record=False,
            dt_scale=dt_scale,
            plane=(aim[idx], fwd[idx]),
        )
        dp = raw.impact_state[:, :3] - aim[idx]
        v = raw.impact_state[:, 3:]
        dz = np.einsum("ij,ij->i", dp, u_aim[idx])
        cross = np.einsum("ij,ij->i", dp, right[idx])
        ahead = -np.einsum("ij,ij->i", dp, fwd[idx])  # > 0: distance still to go
        at_plane = raw.event == 2
        # Came down short of the plane: continue the height error by the
        # distance still to go, so the error is continuous and monotonic.
        f = np.where(at_plane, dz, np.where(raw.event == 1, dz - ahead, -1e9))
        cross = np.where(raw.event > 0, cross, 0.0)
        # Where it meets the aim point's level, to first order along its path.
        v_up = np.einsum("ij,ij->i", v, u_aim[idx])
        v_fwd = np.einsum("ij,ij->i", v, fwd[idx])
        tiny = np.abs(v_up) < 1e-9
        along = np.where(tiny, np.inf, -dz * v_fwd / np.where(tiny, 1.0, v_up))
        along = np.where(at_plane, np.where(np.abs(dz) < 1e-6, 0.0, along), np.inf)
        return f, cross, np.hypot(along, cross)

    # 1. Scan the elevation limits, azimuth straight at the aim point. The scan
    # only brackets, so it flies with a coarser step.
    lo_lim = np.array([p.elevation_min_deg for p in profs])
    hi_lim = np.array([p.elevation_max_deg for p in profs])
    els = lo_lim[:, None] + (hi_lim - lo_lim)[:, None] * np.linspace(0.0, 1.0, n_scan)[None, :]
    rep = np.repeat(np.arange(m), n_scan)
    f_scan, c_scan, _ = errors(rep, els.ravel(), np.repeat(az0, n_scan), _SCAN_DT_SCALE)
    f_scan = f_scan.reshape(m, n_scan)
    c_scan = c_scan.reshape(m, n_scan)
    rows = np.arange(m)
    imax = np.argmax(f_scan, axis=1)
    # Where the grid's best passes below the aim point, look closer around it
    # before declaring the aim point out of reach.
    near = np.flatnonzero(f_scan[rows, imax] < 0.0)
    if near.size:
        n_fine = 21
        step = (hi_lim - lo_lim)[near] / (n_scan - 1)
        c = els[near, imax[near]]
        fine = np.clip(
            c[:, None] + step[:, None] * np.linspace(-1.0, 1.0, n_fine)[None, :],
            lo_lim[near, None],
            hi_lim[near, None],
        )
        f_fine, c_fine, _ = errors(
            np.repeat(near, n_fine), fine.ravel(), np.repeat(az0[near], n_fine), _SCAN_DT_SCALE
        )
        f_fine = f_fine.reshape(near.size, n_fine)
        c_fine = c_fine.reshape(near.size, n_fine)
        j = np.argmax(f_fine, axis=1)
        k = np.arange(near.size)
        better = f_fine[k, j] > f_scan[near, imax[near]]
        nb, kb, jb = near[better], k[better], j[better]
        els[nb, imax[nb]] = fine[kb, jb]
        f_scan[nb, imax[nb]] = f_fine[kb, jb]
        c_scan[nb, imax[nb]] = c_fine[kb, jb]
    fmax = f_scan[rows, imax]
    el_star = els[rows, imax]

    # 2. A bracket on the requested branch, or the reason there is none.
    j_br = np.full(m, -1)
    failed: list[tuple[int, str]] = []
    for i in range(m):
        f = f_scan[i]
        end = 0 if not high[i] else n_scan - 1
        if fmax[i] < 0.0:
            failed.append((i, "far"))
        elif f[end] > 0.0:
            failed.append((i, "near"))
        else:
            js = range(0, imax[i]) if not high[i] else range(imax[i], n_scan - 1)
            for j in js:
                if np.sign(f[j]) != np.sign(f[j + 1]) or f[j] == 0.0:
                    j_br[i] = j
                    break
            else:
                failed.append((i, "branch"))
    if failed and on_unreachable == "raise":
        raise ValueError(
            _reach_report(
                failed,
                profs,
                high,
                speed,
                range_h,
                el_star,
                lat,
                lon,
                alt,
                az0,
                aim_alt,
                dt_s,
                rotating,
                max_time_s,
            )
        )

    el = np.full(m, np.nan)
    az = np.full(m, np.nan)
    miss = np.full(m, np.nan)
    ok = np.flatnonzero(j_br >= 0)
    if ok.size == 0:
        return el, az, miss

    # 3. Secant on elevation within the branch, azimuth turned by the cross
    # error. Each pass changes the azimuth too, which moves the height error a
    # little, so no bracket is trusted: steps are only kept on the branch, and
    # a slope of the wrong sign falls back to the scan's.
    j = j_br[ok]
    e0, e1 = els[ok, j], els[ok, j + 1]
    f0, f1 = f_scan[ok, j], f_scan[ok, j + 1]
    c0, c1 = c_scan[ok, j], c_scan[ok, j + 1]
    scan_slope = (f1 - f0) / (e1 - e0)
    w = np.where(f1 != f0, f0 / np.where(f1 != f0, f0 - f1, 1.0), 0.5)
    cur = e0 + w * (e1 - e0)
    # The scan's cross-track drift, interpolated, gives a first azimuth
    # correction for free (Coriolis alone is kilometres at SRBM ranges).
    cur_az = (az0[ok] - np.degrees((c0 + w * (c1 - c0)) / range_h[ok])) % 360.0
    b_lo = np.where(high[ok], el_star[ok], lo_lim[ok])
    b_hi = np.where(high[ok], hi_lim[ok], el_star[ok])
    prev_e = np.full(ok.size, np.nan)
    prev_f = np.full(ok.size, np.nan)
    done = np.zeros(ok.size, dtype=bool)
    last_miss = np.full(ok.size, np.inf)
    for _ in range(max_iter):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        f, c, est = errors(ok[act], cur[act], cur_az[act])
        last_miss[act] = est
        fin = est < tol_m
        done[act[fin]] = True
        de = cur[act] - prev_e[act]
        ok_de = np.isfinite(de) & (np.abs(de) > 1e-12)
        slope = np.where(ok_de, (f - prev_f[act]) / np.where(ok_de, de, 1.0), np.nan)
        good = np.isfinite(slope) & (np.sign(slope) == np.sign(scan_slope[act]))
        slope = np.where(good, slope, scan_slope[act])
        nxt = np.clip(cur[act] - f / slope, b_lo[act], b_hi[act])
        prev_e[act], prev_f[act] = cur[act], f
        upd = act[~fin]
        cur[upd] = nxt[~fin]
        cur_az[upd] = (cur_az[upd] - np.degrees(c[~fin] / range_h[ok[upd]])) % 360.0
    el[ok] = cur
    az[ok] = cur_az
    miss[ok] = last_miss

    if ground is not None:
        flight = fly(
            [profs[i] for i in ok],
            lat[ok],
            lon[ok],
            alt[ok],
            el[ok],
            az[ok],
            speed[ok],
            ground=ground,
            dt_s=_dt_subset(dt_s, m, ok),
            rotating=rotating,
            max_time_s=max_time_s,
        )
        dist = np.linalg.norm(flight.impact_ecef_m - aim[ok], axis=-1)
        miss[ok] = np.where(flight.impacted, dist, np.inf)
    return el, az, miss


def _reach_report(
    failed: list[tuple[int, str]],
    profs: list[MunitionProfile],
    high: NDArray[np.bool_],
    speed: Array,
    range_h: Array,
    el_star: Array,
    lat: Array,
    lon: Array,
    alt: Array,
    az0: Array,
    aim_alt: Array,
    dt_s: float | ArrayLike | None,
    rotating: bool,
    max_time_s: float,
) -> str:
    """The ValueError text for rounds that cannot reach their aim points, with the ranges."""
    m = len(profs)
    idx = np.array([i for i, _ in failed])
    sub = [profs[i] for i in idx]
    rmax, el_max = max_range_m(
        sub,
        speed[idx],
        launch_lat_deg=lat[idx],
        launch_lon_deg=lon[idx],
        launch_alt_m=alt[idx],
        azimuth_deg=az0[idx],
        land_alt_m=aim_alt[idx],
        dt_s=_dt_subset(dt_s, m, idx),
        rotating=rotating,
        max_time_s=max_time_s,
    )
    end_el = np.where(
        high[idx], [p.elevation_max_deg for p in sub], [p.elevation_min_deg for p in sub]
    )
    r_end = _ranges_to_level(
        sub,
        lat[idx],
        lon[idx],
        alt[idx],
        az0[idx],
        speed[idx],
        end_el[:, None],
        aim_alt[idx],
        dt_s=_dt_subset(dt_s, m, idx),
        rotating=rotating,
        max_time_s=max_time_s,
    )[:, 0]
    lines = []
    for k, (i, why) in enumerate(failed):
        p = profs[i]
        branch = "high" if high[i] else "low"
        what = (
            f"round {i} ({p.name}, {branch} angle, {speed[i]:.1f} m/s): aim point "
            f"{range_h[i] / 1000.0:.3f} km away"
        )
        if why == "far":
            lines.append(
                f"{what} is beyond the maximum range {rmax[k] / 1000.0:.3f} km "
                f"(at elevation {el_max[k]:.1f} deg, landing at the aim's altitude)"
            )
        elif why == "near":
            lim = "elevation_max_deg" if high[i] else "elevation_min_deg"
            lines.append(
                f"{what} is inside the {branch}-angle minimum range "
                f"{r_end[k] / 1000.0:.3f} km (at {lim}={end_el[k]:g}): the round "
                f"passes over it"
            )
        else:
            lines.append(
                f"{what} has no {branch}-angle solution within elevation "
                f"{p.elevation_min_deg:g}..{p.elevation_max_deg:g} deg (the round "
                f"passes highest over it at {el_star[i]:.1f} deg)"
            )
    return "aim point out of reach:\n  " + "\n  ".join(lines)


__all__ = ["max_range_m", "solve_aim"]
