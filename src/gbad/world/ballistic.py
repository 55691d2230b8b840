"""Point-mass ballistic flight on the rotating WGS-84 Earth, many rounds at once.

The model (McCoy, *Modern Exterior Ballistics*, ch. 5, point-mass trajectory),
integrated in ECEF, i.e. in the frame that rotates with the Earth:

    dr/dt = v
    dv/dt = g_J2(r) − 2Ω×v − Ω×(Ω×r) + (T/m)·v/|v| − ½·ρ(h)·|v|·v·C_D(M)·A/m

- gravity: WGS-84 GM with the J2 zonal term (``gravity="point"`` drops J2);
- Coriolis and centrifugal terms for Ω = 7.292115e-5 rad/s about the z axis
  (``rotating=False`` drops both and treats ECEF as inertial, for tests);
- drag against the air, which co-rotates with the Earth; by default it has no
  wind, so the air-relative velocity is the ECEF velocity v, and ρ and the speed
  of sound are the U.S. Standard Atmosphere 1976's (:mod:`gbad.earth.atmosphere`)
  at the height above the ellipsoid; M = |v|/a. The ``air`` argument (an
  :class:`Air`) gives the air of the day instead: a wind profile, against which
  v is then taken, and factors on ρ and a;
- thrust T along the air-relative velocity (a finned round weathercocks) while
  the motor burns (``0 <= t < burn_time_s``), the mass falling linearly from
  ``mass_kg`` by ``propellant_kg``;
- per round, ``drag_factor`` scales C_D·A (a lot's or a round's drag),
  ``impulse_factor`` the motor's total impulse and ``burn_factor`` its burn time
  (the thrust then impulse over burn time).

Integration: fixed-step classical RK4 in a Numba kernel, one object per
iteration, each with its own steps: a motor burn in at least 40
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


@dataclass(frozen=True)
class Air:
    """The air of the day: wind by height and departures from the US 1976 atmosphere.

    ``wind_ecef_mps`` (L, 3) is the wind at heights ``wind_h_m`` (L,) above the
    ellipsoid, ascending; between layers it is linear, outside them held.
    ``density_factor`` and ``sound_factor`` multiply ρ and the speed of sound at
    every height.
    """

    wind_h_m: Array
    wind_ecef_mps: Array
    density_factor: float = 1.0
    sound_factor: float = 1.0

    def __post_init__(self) -> None:
        h = np.asarray(self.wind_h_m, dtype=float)
        w = np.asarray(self.wind_ecef_mps, dtype=float)
        if h.ndim != 1 or h.size == 0 or w.shape != (h.size, 3):
            raise ValueError(
                f"Air: wind_h_m must be (L,) and wind_ecef_mps (L, 3); got {h.shape}, {w.shape}"
            )
        if np.any(np.diff(h) <= 0.0):
            raise ValueError("Air: wind_h_m must be strictly ascending")
        if not (self.density_factor > 0.0 and self.sound_factor > 0.0):
            raise ValueError("Air: density_factor and sound_factor must be > 0")

    @classmethod
    def calm(cls) -> Air:
        """No wind, the standard atmosphere."""
        return cls(np.zeros(1), np.zeros((1, 3)))


def _air_arrays(air: Air | None, m: int, wind_factor: ArrayLike) -> tuple[Array, Array, Array]:
    """The kernel's wind heights (L,), winds (M, L, 3) and factors (M, 2)."""
    air = Air.calm() if air is None else air
    wind = (
        np.asarray(air.wind_ecef_mps, dtype=float)[None]
        * np.broadcast_to(np.asarray(wind_factor, dtype=float), (m,))[:, None, None]
    )
    wind = np.ascontiguousarray(wind)
    factors = np.tile([air.density_factor, air.sound_factor], (m, 1)).astype(float)
    return np.asarray(air.wind_h_m, dtype=float), wind, factors


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
    air: Air | None = None,
    drag_factor: ArrayLike = 1.0,
    impulse_factor: ArrayLike = 1.0,
    burn_factor: ArrayLike = 1.0,
    wind_factor: ArrayLike = 1.0,
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
    # A burn time f longer at impulse k: thrust k/f; the mass flow follows the burn.
    burn_f = np.broadcast_to(np.asarray(burn_factor, dtype=float), (m,))
    thrust = np.array([p.thrust_n for p in profiles]) * np.broadcast_to(impulse_factor, (m,))
    thrust = thrust / burn_f
    burn = np.array([p.burn_time_s for p in profiles]) * burn_f
    # C_D·A is what drag sees: the drag factor rides on the area.
    area = np.array([p.area_m2 for p in profiles]) * np.broadcast_to(drag_factor, (m,))
    wind_h, wind, factors = _air_arrays(air, m, wind_factor)
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
            wind_h,
            wind,
            factors,
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
    air: Air | None = None,
    drag_factor: ArrayLike = 1.0,
    impulse_factor: ArrayLike = 1.0,
    burn_factor: ArrayLike = 1.0,
    wind_factor: ArrayLike = 1.0,
) -> Flight:
    """Fly M rounds from their launch states to the ground (or ``max_time_s``).

    ``profiles`` is one profile for all rounds or a sequence of M; every other
    argument is a scalar or an (M,) array: launch point (geodetic), quadrant
    elevation above the local horizontal (deg), azimuth clockwise from true
    north (deg), launch speed relative to the ground (m/s). See the module
    docstring for ``ground``. ``dt_s`` overrides :func:`default_dt_s`;
    ``rotating``, ``gravity`` and ``drag`` switch physics off for tests. ``air`` is
    the air of the day (default calm and standard); ``drag_factor``,
    ``impulse_factor`` and ``burn_factor`` (scalars or (M,)) scale each round's drag,
    its motor's total impulse and its burn time; ``wind_factor`` the wind each round
    feels (0: a guided missile, whose autopilot holds its programmed path through it).
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
        air=air,
        drag_factor=np.asarray(drag_factor, dtype=float),
        impulse_factor=np.asarray(impulse_factor, dtype=float),
        burn_factor=np.asarray(burn_factor, dtype=float),
        wind_factor=np.asarray(wind_factor, dtype=float),
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


__all__ = [
    "BURN_STEPS_MIN",
    "MACH_STEP",
    "Air",
    "Flight",
    "GroundLike",
    "Terrain",
    "default_dt_s",
    "fly",
    "ground_range_m",
    "hermite_states",
]
