"""Point-mass ballistic flight on the rotating WGS-84 Earth, many rounds at once.

The model (McCoy, *Modern Exterior Ballistics*, ch. 5, point-mass trajectory),
integrated in ECEF, i.e. in the frame that rotates with the Earth:

    dr/dt = v
    dv/dt = g_J2(r) − 2Ω×v − Ω×(Ω×r) + (T/m)·v/|v| − ½·ρ(h)·|v|·v·C_D(M)·A/m

- gravity: WGS-84 GM with the J2 zonal term (``gravity="point"`` drops J2);
- Coriolis and centrifugal terms for Ω = 7.292115e-5 rad/s about the z axis
  (``rotating=False`` drops both and treats ECEF as inertial, for tests);
- drag against the air, which co-rotates with the Earth and has no wind, so the
  air-relative velocity is the ECEF velocity v; ρ and the speed of sound from
  the U.S. Standard Atmosphere 1976 (:mod:`gbad.earth.atmosphere`) at the
  height above the ellipsoid; M = |v|/a;
- thrust T along v while the motor burns (``0 <= t < burn_time_s``), the mass
  falling linearly from ``mass_kg`` by ``propellant_kg``.

Integration: fixed-step classical RK4 in a Numba kernel, one object per
``prange`` iteration, each with its own steps: a motor burn in at least 40
equal steps ending exactly at burnout, then :func:`default_dt_s` (0.1 s; the
impact point moves by under 2 cm against 0.01 s for every built-in profile).
C_D(M) of each profile is sampled once with PCHIP onto a common Mach grid
(step 0.01, M = 0…12) and interpolated linearly in the kernel. The height for
the air is the radial height above the ellipsoid (within 1e-5·h of the
geodetic one); stopping, apogee and impact use the exact geodetic height.

Frames and conventions: launch and impact points are geodetic (deg, deg, m
above the ellipsoid); elevation is the quadrant elevation above the local
horizontal (the plane normal to the ellipsoid normal); azimuth is clockwise
from true north; speed is the muzzle or rail-exit speed relative to the ground.

Ground: ``None`` is the ellipsoid raised to each round's launch altitude (a
round fired from the ground lands on the same level), a number (or one number
per round) is the ellipsoid raised to that altitude, and an object with
``height_m(lat_deg, lon_deg) -> array`` (vectorised) is terrain. Optionally a
terrain object may offer ``min_height_m`` (a float under all of it); otherwise
the flight is carried down to −500 m before the terrain is searched; where the
terrain gives NaN there is no ground. The impact is the first time the round
goes from above the ground to below it, refined between steps on the cubic
Hermite curve through the two end states (to 0.1 mm in height).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.earth.wgs84 import WGS84_A_M, WGS84_E2, ecef2geodetic, geodetic2ecef
from gbad.world._ballistic_kernel import GRAVITY_J2, GRAVITY_POINT, fly_kernel
from gbad.world.munitions import MunitionProfile

Array = NDArray[np.float64]

#: Mach grid on which every profile's C_D is sampled for the kernel.
MACH_STEP = 0.01
MACH_MAX = 12.0
#: Lowest the terrain search goes when the terrain object gives no minimum.
DEFAULT_TERRAIN_FLOOR_M = -500.0


@runtime_checkable
class Terrain(Protocol):
    def height_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> ArrayLike: ...


GroundLike = None | float | ArrayLike | Terrain


@dataclass(frozen=True)
class Flight:
    """Trajectories of M rounds; leading axis = round, padded along the sample axis.

    Samples are the integrator's steps, from launch (index 0) to the impact point
    (the last valid sample, index ``n_samples - 1``, exactly on the ground) or to
    ``max_time_s`` for a round that did not come down. Padding is NaN.
    """

    t_s: Array  # (M, K) time since launch
    pos_ecef_m: Array  # (M, K, 3)
    vel_ecef_mps: Array  # (M, K, 3) relative to the rotating Earth
    n_samples: NDArray[np.int64]  # (M,)
    impacted: NDArray[np.bool_]  # (M,)
    impact_t_s: Array  # (M,) NaN where not impacted
    impact_lat_deg: Array  # (M,)
    impact_lon_deg: Array  # (M,)
    impact_alt_m: Array  # (M,)
    impact_vel_ecef_mps: Array  # (M, 3)
    apogee_m: Array  # (M,) highest height above the ellipsoid reached (at a step)
    apogee_t_s: Array  # (M,)
    launch_lat_deg: Array  # (M,)
    launch_lon_deg: Array  # (M,)
    launch_alt_m: Array  # (M,)
    profile_names: tuple[str, ...]

    @property
    def impact_ecef_m(self) -> Array:
        """(M, 3) impact points in ECEF (NaN where not impacted)."""
        x, y, z = geodetic2ecef(self.impact_lat_deg, self.impact_lon_deg, self.impact_alt_m)
        return np.stack([x, y, z], axis=-1)

    def ground_range_m(self) -> Array:
        """(M,) distance on the ellipsoid from launch to impact (NaN where not impacted)."""
        return ground_range_m(
            self.launch_lat_deg, self.launch_lon_deg, self.impact_lat_deg, self.impact_lon_deg
        )

    def samples_geodetic(self) -> tuple[Array, Array, Array]:
        """(lat_deg, lon_deg, alt_m), each (M, K), of every sample (NaN padding)."""
        p = self.pos_ecef_m
        return ecef2geodetic(p[..., 0], p[..., 1], p[..., 2])


def default_dt_s(profile: MunitionProfile) -> float:
    """The RK4 step (s) of the unpowered part of a flight unless told otherwise.

    0.1 s moves the impact point of every built-in profile by under 2 cm
    against 0.01 s (the accelerations change on a scale of seconds). A motor
    burn is flown in at least ``BURN_STEPS_MIN`` equal steps of at most this
    size, ending exactly at burnout.
    """
    del profile
    return 0.1


BURN_STEPS_MIN = 40
#: solve_aim's elevation scan only brackets the solution: it flies coarser steps.
_SCAN_DT_SCALE = 2.5


def ground_range_m(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> Array:
    """Distance along the ellipsoid between two geodetic points (m), for ranges up to ~1000 km.

    From the exact chord c between the two points on the ellipsoid, as the arc
    2R·asin(c/2R) of a sphere whose radius is the ellipsoid's Gaussian mean
    radius at the mid-latitude; the arc-minus-chord term is ~c³/24R², so the
    radius choice moves a 300 km range by well under a metre.
    """
    lat1 = np.asarray(lat1_deg, dtype=float)
    lat2 = np.asarray(lat2_deg, dtype=float)
    p1 = np.stack(geodetic2ecef(lat1, lon1_deg, 0.0), axis=-1)
    p2 = np.stack(geodetic2ecef(lat2, lon2_deg, 0.0), axis=-1)
    c = np.linalg.norm(p2 - p1, axis=-1)
    s2 = np.sin(np.radians(0.5 * (lat1 + lat2))) ** 2
    w = 1.0 - WGS84_E2 * s2
    r = WGS84_A_M * np.sqrt(1.0 - WGS84_E2) / w
    return 2.0 * r * np.arcsin(np.minimum(c / (2.0 * r), 1.0))


# --- building the kernel's inputs ------------------------------------------


def _as_profiles(profiles: MunitionProfile | Sequence[MunitionProfile], m: int | None) -> list:
    if isinstance(profiles, MunitionProfile):
        return [profiles] * (m if m is not None else 1)
    out = list(profiles)
    if not out:
        raise ValueError("profiles is empty: give one MunitionProfile or one per round")
    for i, p in enumerate(out):
        if not isinstance(p, MunitionProfile):
            raise TypeError(f"profiles[{i}] is {type(p).__name__}, not a MunitionProfile")
    return out


def _broadcast(m: int, **arrays: ArrayLike) -> dict[str, Array]:
    out = {}
    for name, a in arrays.items():
        arr = np.asarray(a, dtype=float)
        if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] not in (1, m)):
            raise ValueError(f"{name} must be a scalar or have shape ({m},), got {arr.shape}")
        out[name] = np.broadcast_to(arr, (m,)).copy()
        if not np.all(np.isfinite(out[name])):
            raise ValueError(f"{name} must be finite")
    return out


_CD_CACHE: dict[MunitionProfile, Array] = {}


def _cd_on_grid(profile: MunitionProfile) -> Array:
    row = _CD_CACHE.get(profile)
    if row is None:
        grid = np.arange(0.0, MACH_MAX + 0.5 * MACH_STEP, MACH_STEP)
        row = np.ascontiguousarray(profile.cd(grid), dtype=float)
        _CD_CACHE[profile] = row
    return row


def _cd_tables(profiles: list[MunitionProfile]) -> tuple[Array, NDArray[np.int64]]:
    uniq: dict[MunitionProfile, int] = {}
    idx = np.empty(len(profiles), dtype=np.int64)
    for i, p in enumerate(profiles):
        idx[i] = uniq.setdefault(p, len(uniq))
    tables = np.stack([_cd_on_grid(p) for p in uniq])
    return tables, idx


def _enu_basis(lat_deg: Array, lon_deg: Array) -> tuple[Array, Array, Array]:
    """Per-point east, north, up unit vectors in ECEF, each (M, 3)."""
    la = np.radians(lat_deg)
    lo = np.radians(lon_deg)
    sl, cl, so, co = np.sin(la), np.cos(la), np.sin(lo), np.cos(lo)
    e_vec = np.stack([-so, co, np.zeros_like(so)], axis=-1)
    n_vec = np.stack([-sl * co, -sl * so, cl], axis=-1)
    u_vec = np.stack([cl * co, cl * so, sl], axis=-1)
    return e_vec, n_vec, u_vec


def _ecef(lat: Array, lon: Array, alt: Array) -> Array:
    return np.stack(geodetic2ecef(lat, lon, alt), axis=-1)


def _launch_state(
    lat: Array, lon: Array, alt: Array, el_deg: Array, az_deg: Array, speed: Array
) -> Array:
    el = np.radians(el_deg)
    az = np.radians(az_deg)
    e_vec, n_vec, u_vec = _enu_basis(lat, lon)
    d = (
        (np.cos(el) * np.sin(az))[:, None] * e_vec
        + (np.cos(el) * np.cos(az))[:, None] * n_vec
        + np.sin(el)[:, None] * u_vec
    )
    return np.concatenate([_ecef(lat, lon, alt), speed[:, None] * d], axis=-1)


@dataclass
class _RawFlight:
    n_steps: NDArray[np.int64]
    impacted: NDArray[np.bool_]
    event: NDArray[np.int64]
    impact_t: Array
    impact_state: Array
    apogee_h: Array
    apogee_t: Array
    rec_t: Array | None
    rec: Array | None


def _run_kernel(
    profiles: list[MunitionProfile],
    state0: Array,
    floor_m: Array,
    *,
    dt_s: float | ArrayLike | None,
    max_time_s: float,
    rotating: bool,
    gravity: str,
    drag: bool,
    record: bool,
    dt_scale: float = 1.0,
    plane: tuple[Array, Array] | None = None,
) -> _RawFlight:
    m = len(profiles)
    if gravity not in ("j2", "point"):
        raise ValueError(f"gravity must be 'j2' or 'point', got {gravity!r}")
    if not max_time_s > 0.0:
        raise ValueError(f"max_time_s must be > 0, got {max_time_s}")
    if dt_s is None:
        dt = np.array([default_dt_s(p) for p in profiles])
    else:
        dt = np.broadcast_to(np.asarray(dt_s, dtype=float), (m,)).copy()
        if not np.all(dt > 0.0):
            raise ValueError("dt_s must be > 0")
    dt = dt * dt_scale
    tables, idx = _cd_tables(profiles)
    mass = np.array([p.mass_kg for p in profiles])
    prop = np.array([p.propellant_kg for p in profiles])
    thrust = np.array([p.thrust_n for p in profiles])
    burn = np.array([p.burn_time_s for p in profiles])
    area = np.array([p.area_m2 for p in profiles])
    dt_burn = np.where(burn > 0.0, np.minimum(dt, burn / BURN_STEPS_MIN), dt)
    max_t = np.full(m, float(max_time_s))
    gmode = GRAVITY_J2 if gravity == "j2" else GRAVITY_POINT
    if plane is None:
        plane_pt = plane_n = np.zeros((m, 3))
    else:
        plane_pt = np.ascontiguousarray(plane[0], dtype=float)
        plane_n = np.ascontiguousarray(plane[1], dtype=float)

    def call(k: int) -> _RawFlight:
        rec_t = np.full((m, k), np.nan)
        rec = np.full((m, k, 6), np.nan)
        event = np.zeros(m, dtype=np.int64)
        out = _RawFlight(
            n_steps=np.zeros(m, dtype=np.int64),
            impacted=np.zeros(m, dtype=np.bool_),
            event=event,
            impact_t=np.empty(m),
            impact_state=np.empty((m, 6)),
            apogee_h=np.empty(m),
            apogee_t=np.empty(m),
            rec_t=rec_t if k > 1 else None,
            rec=rec if k > 1 else None,
        )
        fly_kernel(
            np.ascontiguousarray(state0),
            mass,
            prop,
            thrust,
            burn,
            area,
            tables,
            idx,
            MACH_STEP,
            dt_burn,
            dt,
            max_t,
            np.ascontiguousarray(floor_m, dtype=float),
            plane is not None,
            plane_pt,
            plane_n,
            rotating,
            gmode,
            drag,
            k > 1,
            rec_t,
            rec,
            out.n_steps,
            event,
            out.impact_t,
            out.impact_state,
            out.apogee_h,
            out.apogee_t,
        )
        out.impacted = event == 1
        return out

    first = call(1)
    if not record:
        return first
    # Second pass with storage sized to the flights just measured: the
    # integration is cheap next to holding max_time_s worth of samples.
    return call(max(int(first.n_steps.max()) + 1, 2))


def _ground_floor(ground: GroundLike, m: int, launch_alt: Array) -> tuple[Array, Terrain | None]:
    if ground is None:
        return launch_alt.copy(), None
    if hasattr(ground, "height_m"):
        floor = float(getattr(ground, "min_height_m", DEFAULT_TERRAIN_FLOOR_M))
        return np.full(m, floor - 1.0), ground  # type: ignore[return-value]
    msg = (
        "ground must be None, a finite altitude (m) or one per round, or an object with "
        f"height_m(lat_deg, lon_deg); got {ground!r}"
    )
    try:
        g = np.asarray(ground, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(msg) from None
    if g.ndim > 1 or (g.ndim == 1 and g.shape[0] not in (1, m)) or not np.all(np.isfinite(g)):
        raise ValueError(msg)
    return np.broadcast_to(g, (m,)).copy(), None


def hermite_states(
    p0: Array, v0: Array, p1: Array, v1: Array, h: ArrayLike, s: ArrayLike
) -> tuple[Array, Array]:
    """Position and velocity at fraction ``s`` of steps of length ``h`` on cubic Hermite
    curves through states (p0, v0) and (p1, v1), each (..., 3); ``h`` and ``s`` broadcast
    over the leading axes."""
    s = np.asarray(s, dtype=float)[..., None]
    h = np.asarray(h, dtype=float)[..., None]
    s2, s3 = s * s, s * s * s
    pos = (
        (2 * s3 - 3 * s2 + 1) * p0
        + (s3 - 2 * s2 + s) * h * v0
        + (-2 * s3 + 3 * s2) * p1
        + (s3 - s2) * h * v1
    )
    vel = (
        (6 * s2 - 6 * s) / h * p0
        + (3 * s2 - 4 * s + 1) * v0
        + (-6 * s2 + 6 * s) / h * p1
        + (3 * s2 - 2 * s) * v1
    )
    return pos, vel


def _terrain_agl(terrain: Terrain, pos: Array) -> tuple[Array, Array]:
    """(height above the terrain, height above the ellipsoid) of ECEF points (NaN stays NaN)."""
    lat, lon, alt = ecef2geodetic(pos[..., 0], pos[..., 1], pos[..., 2])
    ok = np.isfinite(lat)
    hgt = np.full(lat.shape, np.nan)
    if np.any(ok):
        hgt[ok] = np.asarray(terrain.height_m(lat[ok], lon[ok]), dtype=float)
    return alt - hgt, alt


def terrain_crossings(
    rec_t: Array, rec_state: Array, terrain: Terrain
) -> tuple[NDArray[np.bool_], NDArray[np.intp], Array, Array, Array]:
    """The first descent through the terrain along recorded samples, many flights at once.

    ``rec_t`` (M, K) and ``rec_state`` (M, K, 6, ECEF) are each flight's samples in
    flight order (NaN padding after the last one; time may run backwards). Returns
    ``has`` (M,), the index of the first sample below the terrain (M,), the crossing
    time (M,), its ECEF state (M, 6; NaN where none) and every sample's height above
    the ellipsoid (M, K). Where the terrain gives no height (NaN) there is no ground.
    """
    pos = rec_state[..., :3]
    vel = rec_state[..., 3:]
    agl, alt = _terrain_agl(terrain, pos)
    m, k = agl.shape
    above = agl >= 0.0
    below = agl < 0.0
    cross = np.zeros((m, k), dtype=bool)
    cross[:, 1:] = above[:, :-1] & below[:, 1:]
    has = cross.any(axis=1)
    i1 = np.where(has, np.argmax(cross, axis=1), 1)
    t_cross = np.full(m, np.nan)
    state = np.full((m, 6), np.nan)
    if not np.any(has):
        return has, i1, t_cross, state, alt
    r = np.flatnonzero(has)
    j1 = i1[has]
    p0, v0, p1, v1 = pos[r, j1 - 1], vel[r, j1 - 1], pos[r, j1], vel[r, j1]
    t0 = rec_t[r, j1 - 1]
    h = rec_t[r, j1] - t0
    lo = np.zeros(len(r))
    hi = np.ones(len(r))
    g_lo = agl[r, j1 - 1]
    g_hi = agl[r, j1]
    # Illinois regula falsi on the terrain height along the Hermite arc, all
    # rounds together; the terrain may be non-smooth, so a bracket is kept.
    side = np.zeros(len(r))
    s = np.ones(len(r))
    for _ in range(40):
        denom = g_hi - g_lo
        s = np.where(
            denom != 0.0,
            (lo * g_hi - hi * g_lo) / np.where(denom != 0.0, denom, 1.0),
            0.5 * (lo + hi),
        )
        s = np.clip(s, lo, hi)
        pos_s, _ = hermite_states(p0, v0, p1, v1, h, s)
        g, _ = _terrain_agl(terrain, pos_s)
        up = g > 0.0
        g_hi = np.where(up & (side == 1), 0.5 * g_hi, g_hi)
        g_lo = np.where(~up & (side == -1), 0.5 * g_lo, g_lo)
        lo = np.where(up, s, lo)
        g_lo = np.where(up, g, g_lo)
        hi = np.where(up, hi, s)
        g_hi = np.where(up, g_hi, g)
        side = np.where(up, 1, -1)
        if np.all((np.abs(g) < 1e-4) | (hi - lo < 1e-12)):
            break
    pos_s, vel_s = hermite_states(p0, v0, p1, v1, h, s)
    t_cross[r] = t0 + s * h
    state[r, :3] = pos_s
    state[r, 3:] = vel_s
    return has, i1, t_cross, state, alt


def _terrain_impacts(raw: _RawFlight, terrain: Terrain) -> None:
    """Replace the floor crossings in ``raw`` by the first descent through the terrain."""
    assert raw.rec is not None and raw.rec_t is not None
    has, i1, raw.impact_t, raw.impact_state, alt = terrain_crossings(raw.rec_t, raw.rec, terrain)
    raw.impacted = has.copy()
    if not np.any(has):
        return
    k = alt.shape[1]
    r = np.flatnonzero(has)
    raw.n_steps = np.where(has, i1, raw.n_steps)
    # A round stopped by a hillside on its way up never reached the apogee the
    # kernel saw further on: take it from the samples before the impact.
    late = r[raw.apogee_t[r] > raw.impact_t[r]]
    if late.size:
        steps = np.arange(k)[None, :]
        before = np.where(steps < i1[late, None], alt[late], -np.inf)
        jm = np.argmax(before, axis=1)
        _, _, imp_alt = ecef2geodetic(*raw.impact_state[late, :3].T)
        top = before[np.arange(late.size), jm]
        raw.apogee_h[late] = np.maximum(top, imp_alt)
        raw.apogee_t[late] = np.where(top >= imp_alt, raw.rec_t[late, jm], raw.impact_t[late])


def fly(
    profiles: MunitionProfile | Sequence[MunitionProfile],
    launch_lat_deg: ArrayLike,
    launch_lon_deg: ArrayLike,
    launch_alt_m: ArrayLike,
    elevation_deg: ArrayLike,
    azimuth_deg: ArrayLike,
    speed_mps: ArrayLike,
    *,
    ground: GroundLike = None,
    max_time_s: float = 1500.0,
    dt_s: float | ArrayLike | None = None,
    rotating: bool = True,
    gravity: Literal["j2", "point"] = "j2",
    drag: bool = True,
) -> Flight:
    """Fly M rounds from their launch states to the ground (or ``max_time_s``).

    ``profiles`` is one profile for all rounds or a sequence of M; every other
    argument is a scalar or an (M,) array: launch point (geodetic), quadrant
    elevation above the local horizontal (deg), azimuth clockwise from true
    north (deg), launch speed relative to the ground (m/s). See the module
    docstring for ``ground``. ``dt_s`` overrides :func:`default_dt_s`;
    ``rotating``, ``gravity`` and ``drag`` switch physics off for tests.
    """
    m_hint = None if isinstance(profiles, MunitionProfile) else len(profiles)
    args = dict(
        launch_lat_deg=launch_lat_deg,
        launch_lon_deg=launch_lon_deg,
        launch_alt_m=launch_alt_m,
        elevation_deg=elevation_deg,
        azimuth_deg=azimuth_deg,
        speed_mps=speed_mps,
    )
    if m_hint is None:
        m_hint = max(int(np.size(a)) for a in args.values())
    profs = _as_profiles(profiles, m_hint)
    m = len(profs)
    a = _broadcast(m, **args)
    if np.any(np.abs(a["launch_lat_deg"]) > 90.0):
        raise ValueError("launch_lat_deg must be within [-90, 90]")
    if np.any(np.abs(a["elevation_deg"]) > 90.0):
        raise ValueError("elevation_deg must be within [-90, 90]")
    if np.any(a["speed_mps"] <= 0.0):
        bad = np.flatnonzero(a["speed_mps"] <= 0.0)
        raise ValueError(f"speed_mps must be > 0 (rounds {bad.tolist()})")
    floor, terrain = _ground_floor(ground, m, a["launch_alt_m"])
    state0 = _launch_state(
        a["launch_lat_deg"],
        a["launch_lon_deg"],
        a["launch_alt_m"],
        a["elevation_deg"],
        a["azimuth_deg"],
        a["speed_mps"],
    )
    raw = _run_kernel(
        profs,
        state0,
        floor,
        dt_s=dt_s,
        max_time_s=max_time_s,
        rotating=rotating,
        gravity=gravity,
        drag=drag,
        record=True,
    )
    if terrain is not None:
        _terrain_impacts(raw, terrain)
    return _to_flight(raw, profs, a)


def _to_flight(raw: _RawFlight, profs: list[MunitionProfile], a: dict[str, Array]) -> Flight:
    assert raw.rec is not None and raw.rec_t is not None
    # Samples 0..n_steps-1 are above the ground; the impact point replaces the
    # first sample below it, so the trajectory ends exactly on the ground.
    n_samples = raw.n_steps + 1
    k = int(n_samples.max())
    valid = np.arange(k)[None, :] < n_samples[:, None]
    pos = np.where(valid[..., None], raw.rec[:, :k, :3], np.nan)
    vel = np.where(valid[..., None], raw.rec[:, :k, 3:], np.nan)
    t = np.where(valid, raw.rec_t[:, :k], np.nan)
    hit = np.flatnonzero(raw.impacted)
    last = n_samples[hit] - 1
    pos[hit, last] = raw.impact_state[hit, :3]
    vel[hit, last] = raw.impact_state[hit, 3:]
    t[hit, last] = raw.impact_t[hit]
    lat, lon, alt = ecef2geodetic(*raw.impact_state[:, :3].T)
    return Flight(
        t_s=t,
        pos_ecef_m=pos,
        vel_ecef_mps=vel,
        n_samples=n_samples.astype(np.int64),
        impacted=raw.impacted.copy(),
        impact_t_s=np.where(raw.impacted, raw.impact_t, np.nan),
        impact_lat_deg=np.where(raw.impacted, lat, np.nan),
        impact_lon_deg=np.where(raw.impacted, lon, np.nan),
        impact_alt_m=np.where(raw.impacted, alt, np.nan),
        impact_vel_ecef_mps=np.where(raw.impacted[:, None], raw.impact_state[:, 3:], np.nan),
        apogee_m=raw.apogee_h.copy(),
        apogee_t_s=raw.apogee_t.copy(),
        launch_lat_deg=a["launch_lat_deg"],
        launch_lon_deg=a["launch_lon_deg"],
        launch_alt_m=a["launch_alt_m"],
        profile_names=tuple(p.name for p in profs),
    )


# --- ranges and aiming -------------------------------------------------------


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


__all__ = [
    "BURN_STEPS_MIN",
    "MACH_STEP",
    "Flight",
    "GroundLike",
    "Terrain",
    "default_dt_s",
    "fly",
    "ground_range_m",
    "max_range_m",
    "solve_aim",
]
