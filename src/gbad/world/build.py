"""Scenario threats -> :class:`Truth`: waypoint flights and ballistic rounds on one grid."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from gbad.earth.terrain import FlatGround
from gbad.earth.wgs84 import ecef2enu, geodetic2ecef, local2geodetic
from gbad.scenario.schema import DEFAULT_BANK_DEG, ROUTE_KINDS, Scenario, Threat
from gbad.world.route import build_route
from gbad.world.truth import Array, Truth, resample
from gbad.world.variability import WorldDraw

#: Grid spacing of truth. Hermite blending on it is exact for cubic motion and
#: within centimetres through the onset of a turn (error ~ a·dt²/8).
GRID_DT_S = 0.1
#: A powered round's burn is kept as flown up to this long past burnout (s).
FINE_PAST_BURNOUT_S = 0.3
#: Half-step used to differentiate route positions into velocities.
_DIFF_DT_S = 0.05

Progress = Callable[[str], None]


def build_truth(
    scenario: Scenario,
    rng: np.random.Generator,
    ground: object | None = None,
    progress: Progress | None = None,
    world: WorldDraw | None = None,
) -> Truth:
    """Fly every threat of the scenario. `rng` draws ballistic dispersion only; ``world``
    is the run's air and lots (default: calm standard air, nominal rounds)."""
    hdr = scenario.scenario
    origin = hdr.origin
    t_grid = np.arange(0.0, hdr.duration_s + GRID_DT_S / 2, GRID_DT_S)
    if len(t_grid) < 2:
        t_grid = np.array([0.0, GRID_DT_S])

    rows: list[dict] = []
    route_threats = [t for t in scenario.threats if t.kind in ROUTE_KINDS]
    ballistic_threats = [t for t in scenario.threats if t.kind not in ROUTE_KINDS]

    for threat in route_threats:
        if progress:
            progress(f"route {threat.id}")
        rows.append(_route_object(threat, origin, t_grid))
    if ballistic_threats:
        if progress:
            progress("ballistic flights")
        world = world if world is not None else WorldDraw.nominal(scenario)
        rows.extend(_ballistic_objects(ballistic_threats, origin, t_grid, rng, ground, world))

    # Keep the scenario's threat order so object ids read like the file.
    order = {t.id: i for i, t in enumerate(scenario.threats)}
    rows.sort(key=lambda r: (order[r["threat_id"]], r["round"]))
    m = len(rows)
    k = len(t_grid)
    pos = np.zeros((m, k, 3))
    vel = np.zeros((m, k, 3))
    for i, r in enumerate(rows):
        pos[i], vel[i] = r["pos"], r["vel"]

    def col(name: str) -> Array:
        return np.array([r[name] for r in rows], dtype=float)

    fine = [r.get("fine") for r in rows]
    n_fine = max((len(f[0]) for f in fine if f is not None), default=0)
    fine_t = fine_p = fine_v = None
    if n_fine:
        fine_t = np.full((m, n_fine), np.nan)
        fine_p = np.full((m, n_fine, 3), np.nan)
        fine_v = np.full((m, n_fine, 3), np.nan)
        for i, f in enumerate(fine):
            if f is not None:
                fine_t[i, : len(f[0])], fine_p[i, : len(f[0])], fine_v[i, : len(f[0])] = f

    info = {name: col(name) for name in _INFO_COLUMNS}
    for name in ("launch", "impact"):
        enu = ecef2enu(
            col(f"{name}_x"),
            col(f"{name}_y"),
            col(f"{name}_z"),
            origin.lat_deg,
            origin.lon_deg,
            origin.alt_m,
        )
        for axis, values in zip(("east_m", "north_m", "up_m"), enu, strict=True):
            info[f"{name}_{axis}"] = values
    return Truth(
        t_grid_s=t_grid,
        pos_ecef_m=pos,
        vel_ecef_mps=vel,
        t_start_s=col("t_start"),
        t_end_s=col("t_end"),
        object_id=np.arange(1, m + 1, dtype=np.int64),
        threat_id=[r["threat_id"] for r in rows],
        kind=[r["kind"] for r in rows],
        rcs_m2=col("rcs_m2"),
        info=info,
        fine_t_s=fine_t,
        fine_pos_ecef_m=fine_p,
        fine_vel_ecef_mps=fine_v,
    )


_INFO_COLUMNS = ("launch_t_s", "impact_t_s", "apogee_m")


def _route_object(threat: Threat, origin, t_grid: Array) -> dict:
    assert threat.route is not None
    local = np.array([p.to_local(origin) for p in threat.route])
    path = build_route(
        local[:, 0],
        local[:, 1],
        local[:, 2],
        [p.speed_mps for p in threat.route],
        threat.route[0].t_s or 0.0,
        threat.max_bank_deg or DEFAULT_BANK_DEG[threat.kind],
    )

    def ecef_at(t: Array) -> Array:
        e, n, u = path.local_at(t)
        lat, lon, alt = local2geodetic(e, n, u, origin.lat_deg, origin.lon_deg, origin.alt_m)
        return np.stack(geodetic2ecef(lat, lon, alt), axis=-1)

    # Grid points within the flight, and one either side so that Hermite
    # blending is valid right up to the ends.
    lo = max(0, int(np.searchsorted(t_grid, path.t_start_s)) - 1)
    hi = min(len(t_grid), int(np.searchsorted(t_grid, path.t_end_s, side="right")) + 1)
    t_in = t_grid[lo:hi]
    t_minus = np.clip(t_in - _DIFF_DT_S, path.t_start_s, path.t_end_s)
    t_plus = np.clip(t_in + _DIFF_DT_S, path.t_start_s, path.t_end_s)
    vel_in = (ecef_at(t_plus) - ecef_at(t_minus)) / np.maximum(t_plus - t_minus, 1e-9)[:, None]
    # Outside the route's span the object coasts at its end velocity.
    pos_in = ecef_at(np.clip(t_in, path.t_start_s, path.t_end_s))
    pos_in += vel_in * (t_in - np.clip(t_in, path.t_start_s, path.t_end_s))[:, None]

    pos = np.zeros((len(t_grid), 3))
    vel = np.zeros((len(t_grid), 3))
    pos[lo:hi], vel[lo:hi] = pos_in, vel_in
    start = ecef_at(np.array([path.t_start_s]))[0]
    end = ecef_at(np.array([path.t_end_s]))[0]
    ends_on_ground = threat.route[-1].to_local(origin)[2] <= 1.0
    nan3 = (np.nan, np.nan, np.nan)
    return {
        "threat_id": threat.id,
        "round": 0,
        "kind": threat.kind,
        "rcs_m2": threat.rcs,
        "pos": pos,
        "vel": vel,
        "t_start": path.t_start_s,
        "t_end": path.t_end_s,
        "launch_t_s": path.t_start_s,
        "impact_t_s": path.t_end_s if ends_on_ground else np.nan,
        "apogee_m": float(np.max(path.up_m)) + origin.alt_m,
        **dict(zip(("launch_x", "launch_y", "launch_z"), start, strict=True)),
        **dict(
            zip(("impact_x", "impact_y", "impact_z"), end if ends_on_ground else nan3, strict=True)
        ),
    }


def _ground_height(ground_model: object, lat: float, lon: float, who: str) -> float:
    if hasattr(ground_model, "height_m"):
        h = float(np.asarray(ground_model.height_m(lat, lon)))  # type: ignore[attr-defined]
        if not np.isfinite(h):
            raise ValueError(
                f"threats {who!r}: the firing point ({lat:.5f}, {lon:.5f}) lies outside "
                "the scenario's DEM"
            )
        return h
    return float(ground_model)  # type: ignore[arg-type]


def _ballistic_objects(
    threats: list[Threat],
    origin,
    t_grid: Array,
    rng: np.random.Generator,
    ground: object | None,
    world: WorldDraw,
) -> list[dict]:
    # Imported here: the integrator is JIT-compiled and only ballistic scenarios need it.
    from gbad.world.aiming import solve_aim
    from gbad.world.ballistic import fly
    from gbad.world.munitions import MUNITIONS

    # A flat ground is a plain altitude to the integrator (no terrain look-ups).
    ground_model = getattr(ground, "alt_m", None) if isinstance(ground, FlatGround) else ground
    if ground_model is None:
        ground_model = origin.alt_m
    profiles, launch, aim, speed, traj, angles, meta = [], [], [], [], [], [], []
    for threat in threats:
        profile = MUNITIONS[threat.munition_name]
        charge = threat.charge if threat.charge is not None else len(profile.charges_mps) - 1
        if charge >= len(profile.charges_mps):
            raise ValueError(
                f"threats {threat.id!r}: charge {charge} does not exist for {profile.name} "
                f"(charges 0..{len(profile.charges_mps) - 1})"
            )
        lat, lon, _ = threat.launch.to_geodetic(origin)
        # A firing point stands on the ground, whatever height its position names.
        alt = _ground_height(ground_model, lat, lon, threat.id)
        for r in range(threat.count):
            profiles.append(profile)
            launch.append((lat, lon, alt))
            speed.append(profile.charges_mps[charge])
            traj.append(threat.trajectory or profile.default_trajectory)
            if threat.aim is not None:
                aim.append(threat.aim.to_geodetic(origin))
                angles.append((np.nan, np.nan))
            else:
                aim.append((np.nan, np.nan, np.nan))
                angles.append((threat.quadrant_elevation_deg, threat.azimuth_deg))
            meta.append((threat, r))
    launch_a = np.array(launch)
    aim_a = np.array(aim)
    speed_a = np.array(speed)
    el = np.array([a[0] for a in angles], dtype=float)
    az = np.array([a[1] for a in angles], dtype=float)
    aimed = ~np.isnan(aim_a[:, 0])
    if aimed.any():
        idx = np.flatnonzero(aimed)
        # A salvo's rounds share their aim problem (same weapon, charge, launch and aim
        # point): it is solved once per distinct problem, not once per round.
        first: dict[tuple, int] = {}
        inverse = np.array([first.setdefault((profiles[i].name, *launch_a[i], *aim_a[i],
                                              speed_a[i], traj[i]), len(first))
                            for i in idx])  # fmt: skip
        u = idx[np.unique(inverse, return_index=True)[1]]
        try:
            el_s, az_s, _ = solve_aim(
                [profiles[i] for i in u],
                launch_a[u, 0],
                launch_a[u, 1],
                launch_a[u, 2],
                aim_a[u, 0],
                aim_a[u, 1],
                aim_a[u, 2],
                speed_a[u],
                [traj[i] for i in u],
                ground=ground_model,
            )
        except ValueError as exc:
            # Name rounds by their scenario threat, not by their place in the solver's batch.
            def name(match: re.Match) -> str:
                k = int(match.group(1))
                threat, r = meta[u[k]]
                alike = [meta[i][1] for i in idx[inverse == k]]
                if len(alike) > 1:  # a salvo aimed alike: its rounds, first to last
                    return f"threats {threat.id!r} rounds {alike[0]}–{alike[-1]}"
                return f"threats {threat.id!r} round {r}"

            raise ValueError(re.sub(r"round (\d+)", name, str(exc))) from None
        el[idx], az[idx] = el_s[inverse], az_s[inverse]

    # Round-to-round dispersion (nominal, per profile), drawn in object order.
    n = len(profiles)
    draws = rng.standard_normal((n, 3))
    use = np.array([t.dispersion for t, _ in meta], dtype=float)
    sig_v = np.array([p.mv_sigma_frac for p in profiles])
    sig_el = np.array([p.elevation_sigma_mrad for p in profiles])
    sig_az = np.array([p.azimuth_sigma_mrad for p in profiles])
    speed_a = speed_a * (1.0 + use * sig_v * draws[:, 0])
    el = el + np.degrees(use * sig_el * 1e-3 * draws[:, 1])
    az = (az + np.degrees(use * sig_az * 1e-3 * draws[:, 2])) % 360.0

    flight = fly(
        profiles,
        launch_a[:, 0],
        launch_a[:, 1],
        launch_a[:, 2],
        el,
        az,
        speed_a,
        ground=ground_model,
        air=world.air,
        drag_factor=np.array([world.drag_factor[t.id][r] for t, r in meta]),
        impulse_factor=np.array([world.impulse_factor[t.id][r] for t, r in meta]),
        burn_factor=np.array([world.burn_factor[t.id][r] for t, r in meta]),
        # A ballistic missile is guided through its boost: its path ignores the wind.
        wind_factor=np.array([0.0 if p.kind == "ballistic_missile" else 1.0 for p in profiles]),
    )
    rows = []
    for i, (threat, r) in enumerate(meta):
        t_launch = threat.t_launch_s + r * threat.interval_s
        ns = int(flight.n_samples[i])
        t_src = t_launch + flight.t_s[i, :ns]
        t_end = t_launch + float(flight.impact_t_s[i]) if flight.impacted[i] else float(t_src[-1])
        lo = max(0, int(np.searchsorted(t_grid, t_launch)) - 1)
        hi = min(len(t_grid), int(np.searchsorted(t_grid, t_end, side="right")) + 1)
        pos = np.zeros((len(t_grid), 3))
        vel = np.zeros((len(t_grid), 3))
        if hi > lo:
            pos[lo:hi], vel[lo:hi] = resample(
                t_src, flight.pos_ecef_m[i, :ns], flight.vel_ecef_mps[i, :ns], t_grid[lo:hi]
            )
        start = flight.pos_ecef_m[i, 0]
        fine = None
        burn_s = profiles[i].burn_time_s * float(world.burn_factor[threat.id][r])
        if profiles[i].powered:
            # The burn as flown, and a few steps past burnout (its kink).
            n_b = int(np.searchsorted(flight.t_s[i, :ns], burn_s + FINE_PAST_BURNOUT_S)) + 1
            n_b = min(n_b, ns)
            fine = (
                t_launch + flight.t_s[i, :n_b],
                flight.pos_ecef_m[i, :n_b],
                flight.vel_ecef_mps[i, :n_b],
            )
        if flight.impacted[i]:
            impact = np.stack(
                geodetic2ecef(
                    flight.impact_lat_deg[i], flight.impact_lon_deg[i], flight.impact_alt_m[i]
                )
            )
        else:
            impact = np.full(3, np.nan)
        rows.append(
            {
                "threat_id": threat.id,
                "round": r,
                "kind": threat.kind,
                "rcs_m2": threat.rcs,
                "pos": pos,
                "vel": vel,
                "t_start": t_launch,
                "t_end": t_end,
                "launch_t_s": t_launch,
                "impact_t_s": t_end if flight.impacted[i] else np.nan,
                "apogee_m": float(flight.apogee_m[i]),
                "fine": fine,
                **dict(zip(("launch_x", "launch_y", "launch_z"), start, strict=True)),
                **dict(zip(("impact_x", "impact_y", "impact_z"), impact, strict=True)),
            }
        )
    return rows
