"""Cheongung-class (KM-SAM) interceptors: profiles, guided flyout, intercept prediction, kill.

The profiles live in :mod:`.profiles`, the intercept prediction in
:mod:`.prediction`, the targets and the uplink in :mod:`.targets`.

Frames and units
----------------
Positions and velocities in and out are in the scenario's true ENU frame
(the tangent plane at the scenario origin, metres; the frame of the result
files), times are simulation seconds. Arrays lead with the interceptor axis
(M); one launcher, one launch time or one target may be given for all.

Flight model
------------
A 3-DOF point mass integrated in ECEF (the Earth-fixed, rotating frame) with
fixed-step RK4, by default 0.01 s. The forces come from the world's ballistic
kernel (:mod:`gbad.world._ballistic_kernel`): WGS-84 gravity with J2, Coriolis
and centrifugal terms, drag in the U.S. Standard Atmosphere 1976 with C_D(M),
and thrust along the velocity (the body axis of a point mass). Integrating in
ECEF rather than on a flat ENU plane with gravity along −up keeps the Earth's
curvature: over a 40 km engagement the ground falls d²/2R ≈ 125 m below the
tangent plane and "down" turns by 0.36°, which a flat model would get wrong by
more than a hit-to-kill lethal radius. Targets given in ENU are moved to ECEF
exactly, so target and interceptor meet in one frame.

The flight:

1. cold launch: the round leaves the canister along the local vertical (the
   ellipsoid normal at the launcher) at ``eject_speed_mps`` and coasts,
   uncontrolled, for ``ignition_delay_s``;
2. the motor ignites: a boost phase then a sustain phase, each at constant
   thrust and constant mass flow; the step is shortened to land on ignition,
   boost-out and burnout so RK4 keeps its order across them;
3. turn-over and midcourse: the launcher uplinks target estimates (truth plus
   Gaussian noise at ``Uplink.rate_hz``, or a track you pass); between
   uplinks the interceptor extrapolates the last one at constant velocity,
   predicts the intercept point from its own speed and the profile's nominal
   speed profile, and turns its velocity onto it at a rate
   ``heading_gain_per_s`` × heading error;
4. terminal homing once, after the boost, the target is within
   ``seeker_acquisition_range_m`` and within ``seeker_field_of_regard_deg`` of
   the velocity (body) axis:
   true proportional navigation a_c = N'·V_c·λ̇ perpendicular to the line of
   sight (Zarchan), on the true relative state (a noise-free seeker).

In both guided phases the command also carries the airframe's weight across
the velocity (gravity compensation); only its part across the velocity is
flown (fins and thrusters turn the velocity, they do not speed it up); it is
limited to ``g_limit`` × g0 scaled by dynamic pressure below
``q_full_control_pa``, but never below ``side_accel_mps2`` (side thrusters or
jet vanes, which need no air: they turn the round over at low speed); and the
airframe follows it through a first-order lag ``autopilot_tau_s``. Guidance is
computed once a step and held over it.

A flight ends at the first of: the closest approach (the range, having
closed, opens again; the exact minimum is found on cubic Hermite curves of
both bodies within the last step), ground impact (the height above the
ellipsoid drops below the ground), ``cannot_close`` (after burnout the range
is not closing, or the speed is below ``min_speed_mps``), ``max_tof`` (the
maximum time of flight). The miss distance is the distance at the closest
approach, or the least distance seen over a flight that ends another way.

Not modelled: induced drag of manoeuvre, power-on base drag, seeker field of
view, blind range and noise, fuze delay, uplink latency, and the target's own
reaction to the interceptor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.earth.atmosphere import G0_MPS2
from gbad.earth.wgs84 import ecef2geodetic
from gbad.engagement import _flyout_kernel as _k
from gbad.engagement._frame import DEFAULT_ORIGIN, Frame, as_column, as_rows, broadcast_leading
from gbad.engagement.prediction import NOMINAL_DT_S, predict_intercept, speed_profile
from gbad.engagement.profiles import (
    MACH_STEP,
    InterceptorProfile,
    cd_row,
    interceptor_profile,
)
from gbad.engagement.targets import TargetFn, TargetSamples, Uplink

Array = NDArray[np.float64]

#: Why a flight ended, by ``Flyout.end_code``.
END_REASONS: tuple[str, ...] = ("closest_approach", "ground", "cannot_close", "max_tof")
#: Sample step (s) at which a callable target is tabulated for the kernel.
TARGET_SAMPLE_DT_S = 0.05


@dataclass(frozen=True)
class Flyout:
    """The result of M interceptor flights; leading axis = interceptor. ENU, simulation time.

    ``end_code`` indexes :data:`END_REASONS`. ``end_*`` hold the interceptor
    (and the target) at the end: the closest approach when the code is 0.
    ``seeker_acquired_t_s`` is NaN where the seeker never acquired. With
    ``record=True``, ``t_s``/``pos_enu_m``/``vel_enu_mps`` hold the path every
    ``record_every`` steps from launch to the end point (NaN padding after
    ``n_samples``); otherwise they are empty along the sample axis.
    """

    profile_names: tuple[str, ...]
    launch_t_s: Array
    end_code: NDArray[np.int64]
    end_t_s: Array
    miss_distance_m: Array
    end_pos_enu_m: Array
    end_vel_enu_mps: Array
    target_end_pos_enu_m: Array
    target_end_vel_enu_mps: Array
    end_range_m: Array  # slant range from the launcher to the end point
    end_height_m: Array  # height of the end point above the scenario ground
    seeker_acquired_t_s: Array
    peak_speed_mps: Array
    peak_mach: Array
    burnout_speed_mps: Array
    t_s: Array
    pos_enu_m: Array
    vel_enu_mps: Array
    n_samples: NDArray[np.int64]

    @property
    def time_of_flight_s(self) -> Array:
        return self.end_t_s - self.launch_t_s

    @property
    def end_reason(self) -> NDArray[np.str_]:
        return np.array(END_REASONS)[self.end_code]

    @property
    def intercepted(self) -> NDArray[np.bool_]:
        """Flights that ended at a closest approach (whatever the miss distance)."""
        return self.end_code == _k.END_CLOSEST_APPROACH


def _params(p: InterceptorProfile, ground_h_m: float) -> Array:
    prm = np.empty(_k.N_PARAMS)
    prm[_k.P_MASS] = p.mass_kg
    prm[_k.P_AREA] = p.area_m2
    prm[_k.P_IGNITION] = p.ignition_delay_s
    prm[_k.P_BOOST_T] = p.boost_time_s
    prm[_k.P_BOOST_F] = p.boost_thrust_n
    prm[_k.P_BOOST_MDOT] = p.boost_propellant_kg / p.boost_time_s
    prm[_k.P_SUST_T] = p.sustain_time_s
    prm[_k.P_SUST_F] = p.sustain_thrust_n
    prm[_k.P_SUST_MDOT] = p.sustain_propellant_kg / p.sustain_time_s if p.sustain_time_s else 0.0
    prm[_k.P_ACC_MAX] = p.g_limit * G0_MPS2
    prm[_k.P_SIDE_ACC] = p.side_accel_mps2
    prm[_k.P_Q_FULL] = p.q_full_control_pa
    prm[_k.P_TAU] = p.autopilot_tau_s
    prm[_k.P_NAV] = p.nav_constant
    prm[_k.P_HEADING_GAIN] = p.heading_gain_per_s
    prm[_k.P_ACQ_RANGE] = p.seeker_acquisition_range_m
    prm[_k.P_MAX_TOF] = p.max_time_of_flight_s
    prm[_k.P_MIN_SPEED] = p.min_speed_mps
    prm[_k.P_GROUND_H] = ground_h_m
    prm[_k.P_LOOK_COS] = math.cos(math.radians(p.seeker_field_of_regard_deg))
    prm[_k.P_TGT_BALLISTIC] = 0.0
    prm[_k.P_TGT_BETA] = math.inf
    prm[_k.P_IDEAL_SEEKER] = 0.0
    prm[_k.P_ANGLE_NOISE] = p.seeker_angle_noise_rad
    prm[_k.P_GLINT_M] = 0.0
    prm[_k.P_GLINT_TAU] = p.seeker_glint_tau_s
    prm[_k.P_RADOME] = p.radome_slope
    prm[_k.P_FILTER_TAU] = p.guidance_filter_tau_s
    prm[_k.P_BLIND_RANGE] = p.seeker_blind_range_m
    return prm


def fly_interceptors(
    profile: str | InterceptorProfile | Sequence[str | InterceptorProfile],
    launcher_enu_m: ArrayLike,
    launch_t_s: ArrayLike,
    target: TargetSamples | TargetFn,
    *,
    uplink: Uplink | TargetSamples | None = None,
    rng: np.random.Generator | None = None,
    origin: Sequence[float] = DEFAULT_ORIGIN,
    ground_alt_m: float | None = None,
    dt_s: float = 0.01,
    record: bool = False,
    record_every: int = 10,
    rotating: bool = True,
    target_rcs_m2: ArrayLike | None = None,
    target_glint_m: ArrayLike | None = None,
    target_beta_kg_m2: ArrayLike | None = None,
    ideal_seeker: bool = False,
) -> Flyout:
    """Fly M guided interceptors against their targets; see the module doc for the model.

    Parameters
    ----------
    profile: a built-in name (``"cheongung-2"``), a profile, or one per interceptor.
    launcher_enu_m: (3,) or (M, 3), the launcher in the scenario ENU frame.
    launch_t_s: scalar or (M,), simulation time of each launch (>= 0).
    target: the truth each interceptor flies against, in ENU: a :class:`TargetSamples`,
        or a callable ``f(t_s) -> (pos, vel)`` taking simulation times (M, K) and
        returning (M, K, 3) arrays (or (K, 3) for one target for all), e.g.
        :func:`constant_velocity_target`, :func:`weaving_target`.
    uplink: the midcourse data: an :class:`Uplink` (truth plus noise; default 1 Hz,
        noise-free), or a :class:`TargetSamples` of estimates (a track) used as
        given, whose first time must not be later than the launch.
    rng: the Generator for uplink noise (needed only when there is noise).
    origin: the scenario origin (lat_deg, lon_deg, alt_m above the ellipsoid).
    ground_alt_m: altitude above the ellipsoid below which a flight ends on the
        ground; default the origin's altitude (the scenario ground without DEM).
    dt_s: the RK4 step (s); 0.01 s by default.
    record: keep the path, every ``record_every`` steps.
    rotating: keep the Coriolis and centrifugal terms (False treats ECEF as inertial).
    target_rcs_m2: scalar or (M,), the target's RCS: the seeker locks on at the profile's
        acquisition range × (RCS / ``seeker_reference_rcs_m2``)^¼; default the reference.
    target_glint_m: scalar or (M,), 1-σ glint of the target (m); default 0.
    target_beta_kg_m2: scalar or (M,), the ballistic coefficient the midcourse assumes:
        finite, the uplinked target is extrapolated under gravity and drag (a ballistic
        track); inf or None (default), at constant velocity.
    ideal_seeker: the seeker sees the true line of sight: no angle noise, glint, radome
        error, filter lag or blind range. For guidance-law efficiency tests only; a real
        seeker is the default, and then ``rng`` is needed.
    """
    if not (isinstance(dt_s, int | float) and math.isfinite(dt_s) and 0.0 < dt_s <= 0.1):
        raise ValueError(f"dt_s must be in (0, 0.1] s, got {dt_s!r}")
    if not (isinstance(record_every, int) and record_every >= 1):
        raise ValueError(f"record_every must be an integer >= 1, got {record_every!r}")
    frame = Frame.of(origin)
    profs_in = [profile] if isinstance(profile, str | InterceptorProfile) else list(profile)
    if not profs_in:
        raise ValueError("profile is empty: give one profile or one per interceptor")
    profs = [interceptor_profile(p) for p in profs_in]
    launcher = as_rows("launcher_enu_m", launcher_enu_m, 3)
    t_launch = as_rows("launch_t_s", launch_t_s, None)
    if np.any(t_launch < 0.0):
        raise ValueError(f"launch_t_s must be >= 0, got {t_launch[t_launch < 0.0][:3]}")
    if uplink is None:
        uplink = Uplink()

    sizes = {len(profs), launcher.shape[0], t_launch.shape[0]}
    if isinstance(target, TargetSamples):
        tt, tp, tv = target.arrays()
        sizes |= {tt.shape[0], tp.shape[0], tv.shape[0]}
    elif callable(target):
        tt = tp = tv = None
    else:
        raise TypeError(
            "target must be TargetSamples or a callable f(t_s) -> (pos_enu_m, vel_enu_mps), "
            f"not {type(target).__name__}"
        )
    m = max(sizes)
    if tt is None:
        # A callable target says how many targets it has only when called.
        n_k = math.ceil(max(p.max_time_of_flight_s for p in profs) / TARGET_SAMPLE_DT_S) + 3
        t_first = broadcast_leading("launch_t_s", t_launch, 0, m)
        tt = t_first[:, None] + TARGET_SAMPLE_DT_S * np.arange(n_k)[None, :]
        tp, tv = _call_target(target, tt)
        if tp.shape[0] != m:
            if m != 1:
                raise ValueError(
                    f"the target callable gave {tp.shape[0]} targets for {m} interceptors: "
                    "shapes do not match"
                )
            m = tp.shape[0]
            tt = np.broadcast_to(tt, (m, n_k)).copy()
    else:
        tt = broadcast_leading("target t_s", tt, 0, m)
        tp = broadcast_leading("target pos_enu_m", tp, 0, m)
        tv = broadcast_leading("target vel_enu_mps", tv, 0, m)
    if len(profs) not in (1, m):
        raise ValueError(
            f"{len(profs)} profiles for {m} interceptors: shapes do not match "
            "(give one profile for all, or one per interceptor)"
        )
    profs = profs * m if len(profs) == 1 else profs
    launcher = broadcast_leading("launcher_enu_m", launcher, 3, m)
    t_launch = broadcast_leading("launch_t_s", t_launch, 0, m)
    max_tof = np.array([p.max_time_of_flight_s for p in profs])

    # Target truth, as ECEF samples (M, K, 6).
    if isinstance(target, TargetSamples):
        late = tt[:, 0] > t_launch
        if np.any(late):
            i = int(np.argmax(late))
            raise ValueError(
                f"target samples for interceptor {i} start at t={tt[i, 0]:g} s, after its "
                f"launch at t={t_launch[i]:g} s: the truth must cover the launch"
            )
    tgt_x = np.ascontiguousarray(
        np.concatenate([frame.to_ecef(tp), frame.vec_to_ecef(tv)], axis=-1)
    )
    tgt_t = np.ascontiguousarray(tt)
    tgt_n = np.full(m, tgt_t.shape[1], dtype=np.int64)

    up_t, up_x = _uplinks(uplink, rng, frame, t_launch, max_tof, tgt_t, tgt_x, tgt_n, m)
    up_n = np.full(m, up_t.shape[1], dtype=np.int64)
    rcs = as_column("target_rcs_m2", target_rcs_m2, np.nan, m)
    glint = as_column("target_glint_m", target_glint_m, 0.0, m)
    beta = as_column("target_beta_kg_m2", target_beta_kg_m2, math.inf, m)
    if np.any(rcs <= 0.0) or np.any(glint < 0.0) or np.any(beta <= 0.0):
        raise ValueError("target_rcs_m2 and target_beta_kg_m2 must be > 0, target_glint_m >= 0")
    noisy = not ideal_seeker and (
        any(p.seeker_angle_noise_rad > 0.0 for p in profs) or bool(np.any(glint > 0.0))
    )
    if noisy:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                "seeker errors need a numpy.random.Generator: pass rng=np.random.default_rng(seed), "
                "or ideal_seeker=True for a perfect seeker"
            )
        n_steps = math.ceil(max_tof.max() / dt_s) + 8
        noise = rng.standard_normal((m, n_steps, 4))
    else:
        noise = np.zeros((m, 1, 4))

    # Launch state: on the launcher, moving along the local vertical at the ejection speed.
    pos0 = frame.to_ecef(launcher)
    lat, lon, h_launch = ecef2geodetic(pos0[:, 0], pos0[:, 1], pos0[:, 2])
    la, lo = np.radians(lat), np.radians(lon)
    up = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)
    eject = np.array([p.eject_speed_mps for p in profs])
    state0 = np.ascontiguousarray(np.concatenate([pos0, eject[:, None] * up], axis=-1))
    ground = frame.alt0_m if ground_alt_m is None else float(ground_alt_m)
    if not math.isfinite(ground):
        raise ValueError(f"ground_alt_m must be finite, got {ground_alt_m!r}")
    # A launcher standing below the ground level given would "land" at once.
    ground_h = np.minimum(ground, h_launch - 1.0)

    uniq: dict[InterceptorProfile, int] = {}
    idx = np.array([uniq.setdefault(p, len(uniq)) for p in profs], dtype=np.int64)
    cd_tables = np.stack([cd_row(p) for p in uniq])
    # Each interceptor's nominal speed profile is the one towards the intercept
    # point predicted at launch from the first uplinked estimate.
    first = np.stack([frame.to_enu(up_x[:, 0, :3]), frame.vec_to_enu(up_x[:, 0, 3:])], axis=1)
    n_nom = max(speed_profile(p).t_s.size for p in uniq)
    nom_s = np.empty((m, n_nom))
    nom_v = np.empty_like(nom_s)
    for prof, i_p in uniq.items():
        rows = np.flatnonzero(idx == i_p)
        pred = predict_intercept(
            prof, launcher[rows], first[rows, 0], first[rows, 1], origin=origin
        )
        aim = np.where(np.isfinite(pred.pip_enu_m), pred.pip_enu_m, first[rows, 0]) - launcher[rows]
        el = np.degrees(np.arctan2(aim[:, 2], np.hypot(aim[:, 0], aim[:, 1])))
        d, v = speed_profile(prof).rows_at(el)
        nom_s[rows] = [_pad_last(r, n_nom) for r in d]
        nom_v[rows] = [_pad_last(r, n_nom) for r in v]
    nom_s = np.ascontiguousarray(nom_s)
    nom_v = np.ascontiguousarray(nom_v)
    prm = np.stack([_params(p, g) for p, g in zip(profs, ground_h, strict=True)])
    ref_rcs = np.array([p.seeker_reference_rcs_m2 for p in profs])
    prm[:, _k.P_ACQ_RANGE] *= np.where(np.isnan(rcs), 1.0, (rcs / ref_rcs) ** 0.25)
    prm[:, _k.P_GLINT_M] = glint
    prm[:, _k.P_TGT_BALLISTIC] = np.isfinite(beta)
    prm[:, _k.P_TGT_BETA] = np.where(np.isfinite(beta), beta, 1.0)
    prm[:, _k.P_IDEAL_SEEKER] = float(ideal_seeker)

    n_rec = math.ceil(max_tof.max() / dt_s / record_every) + 6 if record else 1
    rec_t = np.full((m, n_rec), np.nan)
    rec_x = np.full((m, n_rec, 6), np.nan)
    rec_n = np.zeros(m, dtype=np.int64)
    end_code = np.zeros(m, dtype=np.int64)
    out_f = np.zeros((m, _k.N_OUT))
    end_m = np.zeros((m, 6))
    end_tg = np.zeros((m, 6))
    _k.flyout_kernel(
        state0,
        np.ascontiguousarray(t_launch),
        prm,
        cd_tables,
        idx,
        MACH_STEP,
        nom_s,
        nom_v,
        NOMINAL_DT_S,
        tgt_t,
        tgt_x,
        tgt_n,
        up_t,
        up_x,
        up_n,
        np.ascontiguousarray(noise),
        float(dt_s),
        bool(rotating),
        record_every if record else 0,
        rec_t,
        rec_x,
        rec_n,
        end_code,
        out_f,
        end_m,
        end_tg,
    )
    end_pos = frame.to_enu(end_m[:, :3])
    if record:
        pos_rec = frame.to_enu(rec_x[..., :3])
        vel_rec = frame.vec_to_enu(rec_x[..., 3:])
    else:
        rec_t = np.empty((m, 0))
        pos_rec = np.empty((m, 0, 3))
        vel_rec = np.empty((m, 0, 3))
        rec_n = np.zeros(m, dtype=np.int64)
    return Flyout(
        profile_names=tuple(p.name for p in profs),
        launch_t_s=t_launch,
        end_code=end_code,
        end_t_s=t_launch + out_f[:, _k.O_END_T],
        miss_distance_m=out_f[:, _k.O_MISS],
        end_pos_enu_m=end_pos,
        end_vel_enu_mps=frame.vec_to_enu(end_m[:, 3:]),
        target_end_pos_enu_m=frame.to_enu(end_tg[:, :3]),
        target_end_vel_enu_mps=frame.vec_to_enu(end_tg[:, 3:]),
        end_range_m=np.linalg.norm(end_pos - launcher, axis=-1),
        end_height_m=frame.height_m(end_pos),
        seeker_acquired_t_s=t_launch + out_f[:, _k.O_ACQ_T],
        peak_speed_mps=out_f[:, _k.O_PEAK_SPEED],
        peak_mach=out_f[:, _k.O_PEAK_MACH],
        burnout_speed_mps=out_f[:, _k.O_BURNOUT_SPEED],
        t_s=rec_t,
        pos_enu_m=pos_rec,
        vel_enu_mps=vel_rec,
        n_samples=rec_n,
    )


def _pad_last(a: Array, n: int) -> Array:
    # Extend a table by its last slope, as the kernel's lookup does past its end.
    if a.size >= n:
        return a
    slope = a[-1] - a[-2]
    return np.concatenate([a, a[-1] + slope * np.arange(1, n - a.size + 1)])


def _call_target(fn: TargetFn, t: Array) -> tuple[Array, Array]:
    m, k = t.shape
    try:
        pos, vel = fn(t.copy())
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"the target callable failed on times of shape {t.shape} ({exc}): shapes do not "
            "match, or it is not a target; it must map simulation times (M, K) to "
            "(pos_enu_m, vel_enu_mps), each (M, K, 3)"
        ) from exc
    pos = np.asarray(pos, dtype=float)
    vel = np.asarray(vel, dtype=float)
    out = []
    n = max(m, pos.shape[0] if pos.ndim == 3 else 1)
    for name, a in (("position", pos), ("velocity", vel)):
        if a.shape == (k, 3):
            a = a[None]
        if a.ndim != 3 or a.shape[1:] != (k, 3) or a.shape[0] not in (1, n):
            raise ValueError(
                f"the target callable returned a {name} of shape {a.shape} for times of shape "
                f"{t.shape}: shapes do not match (want ({n}, {k}, 3))"
            )
        a = np.broadcast_to(a, (n, k, 3))
        if not np.all(np.isfinite(a)):
            raise ValueError(f"the target callable returned a non-finite {name}")
        out.append(np.ascontiguousarray(a))
    return out[0], out[1]


def _uplinks(uplink, rng, frame, t_launch, max_tof, tgt_t, tgt_x, tgt_n, m):
    if isinstance(uplink, TargetSamples):
        ut, up, uv = uplink.arrays()
        ut = broadcast_leading("uplink t_s", ut, 0, m)
        up = broadcast_leading("uplink pos_enu_m", up, 0, m)
        uv = broadcast_leading("uplink vel_enu_mps", uv, 0, m)
        late = ut[:, 0] > t_launch
        if np.any(late):
            i = int(np.argmax(late))
            raise ValueError(
                f"the uplinked track for interceptor {i} starts at t={ut[i, 0]:g} s, after its "
                f"launch at t={t_launch[i]:g} s: the launch needs an estimate"
            )
        x = np.concatenate([frame.to_ecef(up), frame.vec_to_ecef(uv)], axis=-1)
        return np.ascontiguousarray(ut), np.ascontiguousarray(x)
    if not isinstance(uplink, Uplink):
        raise TypeError(f"uplink must be an Uplink or TargetSamples, not {type(uplink).__name__}")
    n_u = math.ceil(max_tof.max() * uplink.rate_hz) + 1
    ut = np.ascontiguousarray(t_launch[:, None] + np.arange(n_u)[None, :] / uplink.rate_hz)
    x = np.empty((m, n_u, 6))
    _k.sample_targets(ut, tgt_t, tgt_x, tgt_n, x)
    if uplink.position_sigma_m > 0.0 or uplink.velocity_sigma_mps > 0.0:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                "uplink noise needs a numpy.random.Generator: pass rng=np.random.default_rng(seed)"
            )
        noise = rng.standard_normal((m, n_u, 6))
        # Isotropic per-axis noise is the same in ENU and ECEF axes.
        x[..., :3] += uplink.position_sigma_m * noise[..., :3]
        x[..., 3:] += uplink.velocity_sigma_mps * noise[..., 3:]
    return ut, x


__all__ = ["END_REASONS", "Flyout", "fly_interceptors"]
