"""A projectile's motion for the locator: states carried to given times, or down to the ground.

The estimation model is the truth's own point-mass model (:mod:`gbad.world.ballistic`:
rotating WGS-84 Earth, J2, US 1976 air, C_D(M) of a class's nominal round) with the
drag factor ``kappa`` = A/m left free, so a round of another mass, calibre or drag
scale is matched by its ``kappa``. ``WORLD_FLAT`` is the textbook flat-earth setting
for problems stated that way (Zarchan & Musoff's falling object).

Every function takes many trajectories at once: leading axis = trajectories.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gbad.earth.wgs84 import ecef2geodetic
from gbad.locating._kernel import (
    STATUS_DIVERGED,
    STATUS_NO_CROSSING,
    STATUS_OK,
    WORLD_FLAT,
    WORLD_WGS84,
    floor_kernel,
    propagate_kernel,
    sample_crossing_kernel,
)
from gbad.locating._tangent import (
    N_PHYS,
    PHYS_BURNOUT,
    PHYS_IGNITION,
    PHYS_KAPPA,
    PHYS_MASS_FLOW,
    PHYS_THRUST,
    propagate_tangent_kernel,
    state_rate_kernel,
)
from gbad.world.ballistic import MACH_STEP, terrain_crossings

Array = NDArray[np.float64]

__all__ = [
    "N_PHYS",
    "PHYS_BURNOUT",
    "PHYS_IGNITION",
    "PHYS_KAPPA",
    "PHYS_MASS_FLOW",
    "PHYS_THRUST",
    "STATUS_DIVERGED",
    "STATUS_NO_CROSSING",
    "STATUS_OK",
    "WORLD_FLAT",
    "WORLD_WGS84",
    "World",
    "propagate",
    "propagate_with_sensitivity",
    "state_rate",
    "to_ground",
]

#: Default integration step (s), as the truth's; outputs between steps are cubic Hermite.
DEFAULT_DT_S = 0.1
#: Passes of the level-floor search on a smooth ground over flat (`to_ground`).
SMOOTH_GROUND_PASSES = 3


@dataclass(frozen=True)
class World:
    """Where trajectories are flown: ``WORLD_WGS84`` (ECEF) or ``WORLD_FLAT`` (z up)."""

    kind: int = WORLD_WGS84
    flat_g_mps2: float = 9.80665
    flat_rho0: float = 1.225
    flat_scale_height_m: float = 7000.0
    dt_s: float = DEFAULT_DT_S
    _flat: Array = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        flat = np.array([self.flat_g_mps2, self.flat_rho0, self.flat_scale_height_m])
        object.__setattr__(self, "_flat", flat)

    @property
    def flat(self) -> Array:
        return self._flat

    def height_m(self, pos: Array) -> Array:
        """Height of positions (..., 3): above the ellipsoid (WGS-84) or z (flat)."""
        if self.kind == WORLD_FLAT:
            return pos[..., 2].copy()
        return ecef2geodetic(pos[..., 0], pos[..., 1], pos[..., 2])[2]


#: Calm standard air as the kernels take it: no wind, density and sound-speed factors 1.
CALM_AIR = np.array([0.0, 0.0, 0.0, 1.0, 1.0])


def _arg(x: object, shape: tuple[int, ...] | None = None, dtype: type = float) -> NDArray:
    """A kernel argument: C-contiguous and writeable. A read-only array (a broadcast view)
    is a type of its own to Numba, and each such type one more compile of the kernel."""
    a = np.asarray(x, dtype=dtype)
    if shape is not None:
        a = np.broadcast_to(a, shape)
    return np.require(a, dtype=dtype, requirements=("C", "W"))


def _air(air: Array | None, m: int) -> Array:
    if air is None:
        return np.tile(CALM_AIR, (m, 1))
    return _arg(air, (m, 5))


def _motor(motor: Array | None, m: int) -> Array:
    if motor is None:
        return np.tile(np.array([np.inf, np.inf, 0.0, 0.0]), (m, 1))
    return _arg(motor, (m, 4))


def _flight_args(x0, kappa, t0_s, t_sorted, motor, cd_tables, cd_index, world, air) -> tuple:
    """The flight kernels' common leading arguments, in their order and types."""
    m = len(t_sorted)
    return (
        _arg(x0), _arg(kappa), _arg(t0_s, (m,)), t_sorted, _motor(motor, m), _arg(cd_tables),
        _arg(cd_index, dtype=np.int64), MACH_STEP, world.kind, world.flat, _air(air, m),
        world.dt_s,
    )  # fmt: skip


def propagate(
    x0: Array,
    kappa: Array,
    t0_s: Array,
    t_out_s: Array,
    cd_tables: Array,
    cd_index: NDArray[np.int64],
    world: World,
    motor: Array | None = None,
    presorted: bool = False,
    air: Array | None = None,
) -> Array:
    """States (M, K, 6) at times ``t_out_s`` (M, K) from states ``x0`` (M, 6) at ``t0_s`` (M,).

    Output times may be in any order and NaN (→ NaN state). A trajectory whose speed
    runs away (drag integrated backwards with a wild ``kappa``) gives NaN from there on.
    ``motor`` (M, 4): ignition time, burnout time, thrust/burnout mass (m/s²), mass
    flow/burnout mass (1/s); None for an unpowered round. ``air`` (M, 5) or (5,):
    a uniform wind (ECEF, m/s) and density and sound-speed factors; None is calm
    standard air (`CALM_AIR`).
    """
    t_out = np.asarray(t_out_s, dtype=float)
    m, k = t_out.shape
    # The kernel wants each row ascending with NaN last; sort (unless the caller
    # vouches for that already), then put back.
    order = None
    t_sorted = np.ascontiguousarray(t_out)
    if not presorted:
        order = np.argsort(np.where(np.isnan(t_out), np.inf, t_out), axis=1, kind="stable")
        t_sorted = np.ascontiguousarray(np.take_along_axis(t_out, order, axis=1))
    out = np.empty((m, k, 6))
    propagate_kernel(
        *_flight_args(x0, kappa, t0_s, _arg(t_sorted), motor, cd_tables, cd_index, world, air),
        out,
    )
    if order is None:
        return out
    back = np.empty_like(out)
    back[np.arange(m)[:, None], order] = out
    return back


def propagate_with_sensitivity(
    x0: Array,
    kappa: Array,
    t0_s: Array,
    t_out_s: Array,
    cd_tables: Array,
    cd_index: NDArray[np.int64],
    world: World,
    dphys: Array,
    motor: Array | None = None,
    air: Array | None = None,
) -> tuple[Array, Array]:
    """`propagate`'s states (M, K, 6), the same to the bit, and their sensitivity (M, K, 6, P)
    to θ: the initial state (θ's first six) and parameters that move the flight's physical
    ones through ``dphys`` (M, 5, P): drag factor, ignition, burnout, thrust and mass flow
    per burnout mass (`gbad.locating._tangent`). Output times are held fixed."""
    t_out = np.asarray(t_out_s, dtype=float)
    m, k = t_out.shape
    p = dphys.shape[2]
    order = np.argsort(np.where(np.isnan(t_out), np.inf, t_out), axis=1, kind="stable")
    t_sorted = np.ascontiguousarray(np.take_along_axis(t_out, order, axis=1))
    out = np.empty((m, k, 6))
    sens = np.empty((m, k, 6, p))
    propagate_tangent_kernel(
        *_flight_args(x0, kappa, t0_s, t_sorted, motor, cd_tables, cd_index, world, air),
        _arg(order, dtype=np.int64),
        _arg(dphys, (m, N_PHYS, p)),
        out,
        sens,
    )
    return out, sens


def state_rate(
    states: Array,
    t_s: Array,
    side: Array,
    kappa: Array,
    cd_tables: Array,
    cd_index: NDArray[np.int64],
    world: World,
    motor: Array | None = None,
    air: Array | None = None,
) -> Array:
    """d(state)/dt (M, 6) of states (M, 6) at times ``t_s``, the motor's phase that of just
    after (``side`` +1) or just before (−1) each time."""
    m = len(states)
    out = np.empty((m, 6))
    state_rate_kernel(
        _arg(states),
        _arg(t_s, (m,)),
        _arg(side, (m,)),
        _arg(kappa, (m,)),
        _motor(motor, m),
        _arg(cd_tables),
        _arg(cd_index, dtype=np.int64),
        MACH_STEP,
        world.kind,
        world.flat,
        _air(air, m),
        out,
    )
    return out


@dataclass(frozen=True)
class GroundCrossing:
    """Where trajectories meet the ground: ``status`` 0 met it, 1 did not, 2 diverged."""

    status: NDArray[np.int64]
    t_s: Array  # (M,)
    state: Array  # (M, 6)


def to_ground(
    x0: Array,
    kappa: Array,
    t0_s: Array,
    direction: Array,
    cd_tables: Array,
    cd_index: NDArray[np.int64],
    world: World,
    ground: object,
    max_time_s: float = 400.0,
    motor: Array | None = None,
    air: Array | None = None,
) -> GroundCrossing:
    """Carry states forwards (direction +1: the impact) or backwards (−1: the launch) to the ground.

    ``ground``: a number (height above the ellipsoid, or z in the flat world) or,
    in the WGS-84 world, an object with ``height_m(lat_deg, lon_deg)`` (a DEM;
    NaN where it has no data — a trajectory that leaves the DEM before meeting
    the ground gets status 1). So does a state that starts below the lowest ground
    (a wrong class's fit can put a track's reference state under it): it is not flown.
    """
    m = len(x0)
    terrain = None if np.isscalar(ground) or isinstance(ground, (int, float)) else ground
    smooth_base = getattr(terrain, "flat_base_m", None)
    if terrain is not None and hasattr(terrain, "alt_m"):
        terrain, floor = None, float(terrain.alt_m)  # a FlatGround: exact in the kernel
    elif smooth_base is not None:
        floor = float(smooth_base)
    elif terrain is not None:
        floor = float(getattr(terrain, "min_height_m", -500.0)) - 1.0
    else:
        floor = float(ground)  # type: ignore[arg-type]

    def run(floors: Array, record: bool, padded: bool = True) -> tuple:
        # ``padded``: NaN past each trajectory's last sample, for readers that look there
        # (the DEM search); the level search reads the first ``n_rec`` samples alone.
        n_samples = int(np.ceil(max_time_s / world.dt_s)) + 8 if record else 1
        alloc = np.full if padded else (lambda shape, _: np.empty(shape))
        rec_t = alloc((m, n_samples), np.nan)
        rec_state = alloc((m, n_samples, 6), np.nan)
        n_rec = np.zeros(m, dtype=np.int64)
        cross_t = np.empty(m)
        cross_state = np.empty((m, 6))
        status = np.empty(m, dtype=np.int64)
        floor_kernel(
            _arg(x0),
            _arg(kappa),
            _arg(t0_s, (m,)),
            _arg(direction, (m,)),
            _motor(motor, m),
            _arg(floors),
            np.full(m, float(max_time_s)),
            _arg(cd_tables),
            _arg(cd_index, dtype=np.int64),
            MACH_STEP,
            world.kind,
            world.flat,
            _air(air, m),
            world.dt_s,
            record,
            rec_t,
            rec_state,
            n_rec,
            cross_t,
            cross_state,
            status,
        )
        return rec_t, rec_state, cross_t, cross_state, status, n_rec

    if smooth_base is not None:
        # A smooth error over flat ground (`MappedGround`): flown once below its lowest
        # point, then crossed level by level on the samples, each level the ground's
        # height where the last one was crossed: the field changes over a kilometre,
        # the crossing moves by metres.
        lowest = float(getattr(terrain, "min_height_m", floor - 500.0)) - 1.0
        rec_t, rec_state, _, _, status, n_rec = run(np.full(m, lowest), True, padded=False)
        diverged = status == STATUS_DIVERGED
        floors = np.full(m, floor)
        cross_t = np.full(m, np.nan)
        cross_state = np.full((m, 6), np.nan)
        status = np.full(m, STATUS_NO_CROSSING, dtype=np.int64)
        for _ in range(SMOOTH_GROUND_PASSES):
            sample_crossing_kernel(rec_t, rec_state, n_rec, floors, cross_t, cross_state, status)
            ok = status == STATUS_OK
            if not ok.any():
                break
            lat, lon, _ = ecef2geodetic(*cross_state[ok, :3].T)
            floors[ok] = terrain.height_m(lat, lon)  # type: ignore[union-attr]
        status = np.where(diverged & (status != STATUS_OK), STATUS_DIVERGED, status)
        return GroundCrossing(status, cross_t, cross_state)
    rec_t, rec_state, cross_t, cross_state, status, _ = run(np.full(m, floor), terrain is not None)
    if terrain is not None:
        has, _, t_c, st_c, _ = terrain_crossings(rec_t, rec_state, terrain)
        diverged = status == STATUS_DIVERGED
        status = np.where(has, STATUS_OK, np.where(diverged, STATUS_DIVERGED, STATUS_NO_CROSSING))
        cross_t, cross_state = t_c, st_c
    return GroundCrossing(status, cross_t, cross_state)
