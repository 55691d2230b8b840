"""From weapon-locating radar detections to locates and warnings (the `locating` stage).

The radar's own track number (`dwell_track_id`) groups its detections into
projectile tracks. Each track is solved at every `update_interval_s` as its data
grows (the prefix up to then) and once on all of it (the final locate): every
solution is a row of `locates.parquet`. A warning goes out for an asset the first
time a solution's impact region — the ellipse holding `alert_probability` of the
impact point's horizontal Gaussian — touches the asset's circle, once that
impact point is sure enough (CEP at most `alert_max_poi_cep_m`). It sounds
`alert_latency_s` later (command and control, the siren); warning time counts from then.

Reads detections only, never `truth_id`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gbad.earth.wgs84 import geodetic2enu
from gbad.locating.dynamics import World
from gbad.locating.fit import N_THETA
from gbad.locating.locate import WEAPON_CLASSES, Locates, locate, observations
from gbad.scenario.schema import Asset, Geodetic, LocatorConfig
from gbad.sensors.detection_file import Detections
from gbad.sensors.radar import RadarModel
from gbad.sensors.radar_errors import mean_variance_share
from gbad.stats import chi2_ppf
from gbad.world.variability import WorldSigma

#: Tracks solved together, and the padded detections they may hold between them: bound
#: the memory of one batch.
BATCH = 192
BATCH_CELLS = BATCH * 256
#: The reason a track longer than any flight gets.
TOO_LONG = "not a round: longer than max_flight_s"

LOCATE_COLUMNS = (
    "t_s",
    "radar_id",
    "track_id",
    "final",
    "located",
    "reason",
    "weapon_class",
    "poo_east_m",
    "poo_north_m",
    "poo_up_m",
    "poi_east_m",
    "poi_north_m",
    "poi_up_m",
    "poo_cep_m",
    "poi_cep_m",
    "launch_t_s",
    "predicted_impact_t_s",
    "n_detections",
    "chi2_dof",
    "kappa_m2pkg",
    "launch_speed_mps",
    "apogee_alt_m",
    "poo_cov_ee_m2",
    "poo_cov_en_m2",
    "poo_cov_nn_m2",
    "poi_cov_ee_m2",
    "poi_cov_en_m2",
    "poi_cov_nn_m2",
    "poo_ellipse95_major_m",
    "poo_ellipse95_minor_m",
    "poo_ellipse95_azimuth_deg",
    "poi_ellipse95_major_m",
    "poi_ellipse95_minor_m",
    "poi_ellipse95_azimuth_deg",
)
#: ``t_s``: when the alert sounds (``solution_t_s`` plus the alert latency); ``warning_s``:
#: from then to the predicted impact.
ALERT_COLUMNS = (
    "t_s",
    "asset_id",
    "radar_id",
    "track_id",
    "predicted_impact_t_s",
    "warning_s",
    "solution_t_s",
)


@dataclass
class LocatorResult:
    locates: dict[str, NDArray]
    alerts: dict[str, NDArray]
    #: Detection rows (into the Detections handed in) of each locate row, for scoring.
    detection_rows: list[NDArray[np.intp]]
    n_tracks: int


def _solutions(
    t: NDArray, group: NDArray[np.intp], n_groups: int, cfg: LocatorConfig
) -> tuple[NDArray[np.intp], NDArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """(group, cut-off time, final?) of every solution: the growing prefixes, then all of
    it; and which groups last longer than any flight (`max_flight_s`: no round, and not
    solved, so the work per track stays bounded whatever a recording holds)."""
    first = np.full(n_groups, np.inf)
    last = np.full(n_groups, -np.inf)
    np.minimum.at(first, group, t)
    np.maximum.at(last, group, t)
    too_long = last - first > cfg.max_flight_s
    span = np.maximum(last - first - cfg.min_track_s, 0.0)
    n_pref = np.floor(span / cfg.update_interval_s + 1e-9).astype(np.int64) + 1
    n_pref = np.where((last - first >= cfg.min_track_s) & ~too_long, n_pref, 0)
    g = np.repeat(np.arange(n_groups), n_pref)
    k = np.arange(len(g)) - np.repeat(np.cumsum(n_pref) - n_pref, n_pref)
    cut = first[g] + cfg.min_track_s + k * cfg.update_interval_s
    # A prefix that already holds every detection is the final solution itself.
    inner = cut < last[g] - 1e-9
    g, cut = g[inner], cut[inner]
    g = np.concatenate([g, np.arange(n_groups)])
    cut = np.concatenate([cut, last])
    final = np.concatenate([np.zeros(len(cut) - n_groups, bool), np.ones(n_groups, bool)])
    return g, cut, final, too_long


def _batches(in_round: NDArray[np.intp], n_in: NDArray[np.int64]) -> list[NDArray[np.intp]]:
    """``in_round`` in order, cut into batches of at most BATCH solutions and BATCH_CELLS
    padded detections (a batch pads every solution to its longest)."""
    out: list[NDArray[np.intp]] = []
    b0 = 0
    while b0 < len(in_round):
        longest = np.maximum.accumulate(np.maximum(n_in[in_round[b0 : b0 + BATCH]], 1))
        fits = np.flatnonzero(longest * np.arange(1, len(longest) + 1) <= BATCH_CELLS)
        b1 = b0 + (int(fits[-1]) + 1 if fits.size else 1)
        out.append(in_round[b0:b1])
        b0 = b1
    return out


def run_locator(
    det: Detections,
    radars: list[RadarModel],
    origin: Geodetic,
    cfg: LocatorConfig,
    ground: object,
    assets: list[Asset],
    world: World | None = None,
    world_sigma: WorldSigma | None = None,
    progress: Callable[[float], None] | None = None,
) -> LocatorResult:
    """Locate every weapon-locating radar track in ``det`` and raise the warnings
    (``progress``: the share of solutions done, as they are).

    ``ground`` is the locator's map of the ground; ``world_sigma`` the nominal σ of the
    world's variability (None: the locator claims a perfect world), whose effects the
    claimed covariances include, with the part of each radar's wandering angle floor
    a track cannot average away.
    """
    world = world if world is not None else World()
    dwell = det.dwell_track_id if det.dwell_track_id is not None else np.full(len(det), -1)
    mine = np.flatnonzero(det.locating_dwells(radars))
    key = det.radar_index[mine].astype(np.int64) * (1 << 40) + dwell[mine]
    uniq, group = np.unique(key, return_inverse=True)
    n_groups = len(uniq)
    if n_groups == 0:
        return LocatorResult(_empty(LOCATE_COLUMNS), _empty(ALERT_COLUMNS), [], 0)
    g_radar = (uniq >> 40).astype(np.int64)
    g_track = uniq & ((1 << 40) - 1)
    sol_g, sol_cut, sol_final, too_long = _solutions(det.t_s[mine], group, n_groups, cfg)

    # Members of each solution: its group's detections up to its cut-off (listed per
    # batch, as a batch is solved: all at once they grow with a track's length squared).
    order = np.lexsort((det.t_s[mine], group))
    members = mine[order]
    counts = np.bincount(group, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # One sorted key (group, time) answers every solution's "how many up to the cut-off".
    span = float(np.ptp(det.t_s[mine])) + 10.0
    keyed = group[order] * span + (det.t_s[mine][order] - det.t_s[mine].min())
    cuts = sol_g * span + (sol_cut - det.t_s[mine].min())
    n_in = np.searchsorted(keyed, cuts + 1e-9, side="right") - start[sol_g]
    # A track longer than any flight is not solved: its final row goes to `locate` with
    # its first detection alone (too few to fit, so no work) and then says why.
    n_fit = np.where(too_long[sol_g], np.minimum(n_in, 1), n_in)

    def rows_of(sols: NDArray[np.intp], n: NDArray[np.int64]) -> tuple[NDArray, NDArray]:
        """(solution's place in ``sols``, detection row) of every member."""
        at = np.repeat(np.arange(len(sols)), n)
        within = np.arange(len(at)) - np.repeat(np.cumsum(n) - n, n)
        return at, members[start[sol_g[sols[at]]] + within]

    o = origin
    r_ecef = np.stack([r.ecef_m for r in radars])
    r_rot = np.stack([r.enu_rot for r in radars])
    sigma_all = np.column_stack(
        [
            det.range_sigma_m,
            det.az_sigma_deg,
            det.el_sigma_deg,
            np.where(np.isfinite(det.range_rate_mps), det.range_rate_sigma_mps, np.nan),
        ]
    )
    # Solutions in rounds: a track's k-th solution starts from its (k-1)-th, every
    # class's own fit, all about one reference time per track.
    n_sol = len(sol_g)
    by_group = np.lexsort((sol_cut, sol_g))
    rank = np.empty(n_sol, dtype=np.int64)
    first_of = np.searchsorted(sol_g[by_group], sol_g[by_group])
    rank[by_group] = np.arange(n_sol) - first_of
    g_first = np.full(n_groups, np.inf)
    np.minimum.at(g_first, group, det.t_s[mine])
    g_last = np.full(n_groups, -np.inf)
    np.maximum.at(g_last, group, det.t_s[mine])
    t_ref_g = g_first + 0.5 * np.minimum(cfg.min_track_s, g_last - g_first)
    warm = np.full((n_groups, len(WEAPON_CLASSES), N_THETA), np.nan)
    # What the locator knows of each radar's systematic errors: their σ (consider terms).
    radar_bias = np.array([r.bias_sigma for r in radars])
    wandering = world_sigma is not None and not world_sigma.ideal
    told = bool(np.any(radar_bias > 0)) or wandering
    parts: list[tuple[NDArray[np.intp], Locates]] = []
    for k in range(int(rank.max()) + 1):
        in_round = np.flatnonzero(rank == k)
        for batch in _batches(in_round, n_fit):
            at, rows = rows_of(batch, n_fit[batch])
            ri = det.radar_index[rows]
            gs = sol_g[batch]
            obs, pos = observations(
                at,
                len(batch),
                det.t_s[rows],
                det.range_m[rows],
                det.az_deg[rows],
                det.el_deg[rows],
                np.nan_to_num(det.range_rate_mps[rows], nan=0.0),
                sigma_all[rows],
                r_ecef[ri],
                r_rot[ri],
                t_ref_g[gs],
            )
            loc = locate(
                obs,
                pos,
                world,
                ground,
                cfg,
                origin=(o.lat_deg, o.lon_deg, o.alt_m),
                theta0=warm[gs],
                bias_sigma=systematic_sigma(radar_bias, radars, g_radar[gs], obs, world_sigma)
                if wandering else (radar_bias[g_radar[gs]] if told else None),
                world_sigma=world_sigma,
            )  # fmt: skip
            warm[gs] = loc.class_theta
            parts.append((batch, loc))
            if progress:
                progress(sum(len(b) for b, _ in parts) / n_sol)
    loc = _scatter(parts, n_sol)
    loc.reason[too_long[sol_g]] = TOO_LONG
    radar_names = np.array([r.id for r in radars], dtype=object)
    table = {
        "t_s": sol_cut,
        "radar_id": radar_names[g_radar[sol_g]],
        "track_id": g_track[sol_g],
        "final": sol_final,
        "located": loc.located,
        "reason": loc.reason,
        "weapon_class": np.where(loc.located, loc.weapon_class, ""),
        "poo_east_m": loc.poo_enu_m[:, 0],
        "poo_north_m": loc.poo_enu_m[:, 1],
        "poo_up_m": loc.poo_enu_m[:, 2],
        "poi_east_m": loc.poi_enu_m[:, 0],
        "poi_north_m": loc.poi_enu_m[:, 1],
        "poi_up_m": loc.poi_enu_m[:, 2],
        "poo_cep_m": loc.poo_cep_m,
        "poi_cep_m": loc.poi_cep_m,
        "launch_t_s": loc.launch_t_s,
        "predicted_impact_t_s": loc.impact_t_s,
        "n_detections": n_in,
        "chi2_dof": loc.chi2_dof,
        "kappa_m2pkg": loc.kappa_m2pkg,
        "launch_speed_mps": loc.launch_speed_mps,
        "apogee_alt_m": loc.apogee_alt_m,
        "poo_cov_ee_m2": loc.poo_cov_enu_m2[:, 0, 0],
        "poo_cov_en_m2": loc.poo_cov_enu_m2[:, 0, 1],
        "poo_cov_nn_m2": loc.poo_cov_enu_m2[:, 1, 1],
        "poi_cov_ee_m2": loc.poi_cov_enu_m2[:, 0, 0],
        "poi_cov_en_m2": loc.poi_cov_enu_m2[:, 0, 1],
        "poi_cov_nn_m2": loc.poi_cov_enu_m2[:, 1, 1],
    }
    for point, cov in (("poo", loc.poo_cov_enu_m2), ("poi", loc.poi_cov_enu_m2)):
        major, minor, azimuth = ellipse95(cov[:, :2, :2])
        table[f"{point}_ellipse95_major_m"] = major
        table[f"{point}_ellipse95_minor_m"] = minor
        table[f"{point}_ellipse95_azimuth_deg"] = azimuth
    # Keep the final row of every track, and the interim ones that located something.
    keep = sol_final | loc.located
    table = {k: v[keep] for k, v in table.items()}
    det_rows = [members[start[sol_g[i]] : start[sol_g[i]] + n_in[i]] for i in np.flatnonzero(keep)]
    alerts = _alerts(table, assets, origin, cfg)
    return LocatorResult(table, alerts, det_rows, n_groups)


def systematic_sigma(
    radar_bias: NDArray,
    radars: list[RadarModel],
    radar_of: NDArray[np.intp],
    obs,
    world_sigma: WorldSigma,
) -> NDArray:
    """Each track's systematic σ (M, 6) as `gbad.locating.claims.consider_cov` takes them:
    its radar's, with in quadrature the part of the wandering angle floor the track's
    span T cannot average away (its mean over the track) and the refraction the
    standard correction leaves on elevation (σ(dN/dh)·R/2 at the track's range); and
    the floor's drift through the track as a rate, σ·√(2(1 − e^(−T/τ)))/T."""
    span = np.nan_to_num(np.nanmax(obs.t_s, axis=1) - np.nanmin(obs.t_s, axis=1))
    floor_rad = (
        np.array([[np.radians(r.sigma_az_deg), np.radians(r.sigma_el_deg)] for r in radars])
        * np.array([r.accuracy_floor_fraction for r in radars])[:, None]
    )[radar_of]
    corr = np.array([r.floor_correlation_s for r in radars])[radar_of]
    share = mean_variance_share(span, corr)
    out = np.zeros((len(radar_of), 6))
    out[:, :4] = radar_bias[radar_of]
    out[:, 1:3] = np.sqrt(out[:, 1:3] ** 2 + floor_rad**2 * share[:, None])
    refraction = world_sigma.refractivity_per_m * np.nanmean(obs.z[..., 0], axis=1) / 2.0
    out[:, 2] = np.hypot(out[:, 2], np.nan_to_num(refraction))
    drift = np.sqrt(2.0 * (1.0 - np.exp(-span / corr))) / np.maximum(span, 1e-3)
    out[:, 4:6] = floor_rad * drift[:, None]
    return out


def relocate(
    prev: LocatorResult,
    det_prev: Detections,
    kept: NDArray[np.bool_],
    radars: list[RadarModel],
    origin: Geodetic,
    cfg: LocatorConfig,
    ground: object,
    assets: list[Asset],
    world: World | None = None,
    world_sigma: WorldSigma | None = None,
) -> LocatorResult:
    """`run_locator` on ``det_prev`` less some detections (``kept`` marks those left),
    from ``prev`` (its result on all of them): only the tracks that lost detections are
    located again, each as it would be alone. The result indexes the detections left."""
    if kept.all():
        return prev
    dwell = det_prev.dwell_track_id
    if dwell is None:
        return prev
    ours = det_prev.locating_dwells(radars)
    key = det_prev.radar_index.astype(np.int64) * (1 << 40) + dwell
    changed = np.unique(key[~kept & ours])
    left = np.flatnonzero(kept)
    new_index = np.cumsum(kept) - 1
    det_new = det_prev.take(left)
    sub = np.flatnonzero(np.isin(key[left], changed) & ours[left])
    again = run_locator(det_new.take(sub), radars, origin, cfg, ground, assets, world, world_sigma)
    index_of = {r.id: i for i, r in enumerate(radars)}

    def keys(table: dict[str, NDArray]) -> NDArray[np.int64]:
        ri = np.array([index_of[r] for r in table["radar_id"]], dtype=np.int64)
        return ri * (1 << 40) + table["track_id"].astype(np.int64)

    stay = ~np.isin(keys(prev.locates), changed)
    table = {c: np.concatenate([v[stay], again.locates[c]]) for c, v in prev.locates.items()}
    rows = [new_index[r] for r, s in zip(prev.detection_rows, stay, strict=True) if s]
    rows += [sub[r] for r in again.detection_rows]
    # run_locator's order: interim solutions by track and time, then the final ones.
    order = np.lexsort((table["t_s"], keys(table), table["final"]))
    table = {c: v[order] for c, v in table.items()}
    n_tracks = int(np.unique(key[left][ours[left]]).size)
    return LocatorResult(
        table, _alerts(table, assets, origin, cfg), [rows[i] for i in order], n_tracks
    )


def ellipse95(cov2: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Semi-axes (m) of the ellipse holding 95 % of N(0, cov2) and its major axis's azimuth.

    Azimuth in degrees clockwise from north, in [0, 180); NaN where cov2 is.
    """
    k = np.sqrt(chi2_ppf(0.95, 2))
    ok = np.all(np.isfinite(cov2.reshape(len(cov2), -1)), axis=1)
    major = np.full(len(cov2), np.nan)
    minor = np.full(len(cov2), np.nan)
    azimuth = np.full(len(cov2), np.nan)
    if np.any(ok):
        w, v = np.linalg.eigh(cov2[ok])
        major[ok] = k * np.sqrt(np.maximum(w[:, 1], 0.0))
        minor[ok] = k * np.sqrt(np.maximum(w[:, 0], 0.0))
        # Eigenvector (east, north) of the larger eigenvalue.
        azimuth[ok] = np.degrees(np.arctan2(v[:, 0, 1], v[:, 1, 1])) % 180.0
    return major, minor, azimuth


def _alerts(
    table: dict[str, NDArray], assets: list[Asset], origin: Geodetic, cfg: LocatorConfig
) -> dict[str, NDArray]:
    """The first solution of each (asset, track) whose impact region touches the asset."""
    k = np.sqrt(chi2_ppf(cfg.alert_probability, 2))
    ok = table["located"] & (table["poi_cep_m"] <= cfg.alert_max_poi_cep_m)
    out: dict[str, list] = {c: [] for c in ALERT_COLUMNS}
    o = origin
    for asset in assets:
        lat, lon, alt = asset.position.to_geodetic(o)
        ae, an, _ = geodetic2enu(lat, lon, alt, o.lat_deg, o.lon_deg, o.alt_m)
        d = np.column_stack([ae - table["poi_east_m"], an - table["poi_north_m"]])
        dist = np.linalg.norm(d, axis=1)
        u = d / np.maximum(dist, 1e-9)[:, None]
        var = (
            u[:, 0] ** 2 * table["poi_cov_ee_m2"]
            + 2 * u[:, 0] * u[:, 1] * table["poi_cov_en_m2"]
            + u[:, 1] ** 2 * table["poi_cov_nn_m2"]
        )
        # The region's reach towards the asset is its support k·√(uᵀCu) along the
        # line to it: never short of the true gap, so no touching region is missed.
        touch = ok & (dist <= asset.radius_m + k * np.sqrt(np.maximum(var, 0.0)))
        idx = np.flatnonzero(touch)
        if idx.size == 0:
            continue
        key = (
            table["radar_id"][idx].astype(str).astype(object)
            + ":"
            + table["track_id"][idx].astype(str).astype(object)
        )
        ord_ = np.lexsort((table["t_s"][idx], key))
        idx, key = idx[ord_], key[ord_]
        first = np.ones(len(idx), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        idx = idx[first]
        out["solution_t_s"].extend(table["t_s"][idx])
        out["t_s"].extend(table["t_s"][idx] + cfg.alert_latency_s)
        out["asset_id"].extend([asset.id] * len(idx))
        out["radar_id"].extend(table["radar_id"][idx])
        out["track_id"].extend(table["track_id"][idx])
        out["predicted_impact_t_s"].extend(table["predicted_impact_t_s"][idx])
        out["warning_s"].extend(
            table["predicted_impact_t_s"][idx] - table["t_s"][idx] - cfg.alert_latency_s
        )
    res = {
        "t_s": np.array(out["t_s"], dtype=float),
        "asset_id": np.array(out["asset_id"], dtype=object),
        "radar_id": np.array(out["radar_id"], dtype=object),
        "track_id": np.array(out["track_id"], dtype=np.int64),
        "predicted_impact_t_s": np.array(out["predicted_impact_t_s"], dtype=float),
        "warning_s": np.array(out["warning_s"], dtype=float),
        "solution_t_s": np.array(out["solution_t_s"], dtype=float),
    }
    order = np.argsort(res["t_s"], kind="stable")
    return {k: v[order] for k, v in res.items()}


def _scatter(parts: list[tuple[NDArray[np.intp], Locates]], n: int) -> Locates:
    """One Locates of n rows from batches that each solved the rows they name."""
    index = np.concatenate([i for i, _ in parts])
    back = np.empty(n, dtype=np.int64)
    back[index] = np.arange(n)
    fields = Locates.__dataclass_fields__
    return Locates(**{f: np.concatenate([getattr(p, f) for _, p in parts])[back] for f in fields})


def _empty(columns: tuple[str, ...]) -> dict[str, NDArray]:
    text = {"radar_id", "reason", "weapon_class", "asset_id"}
    ints = {"track_id", "n_detections"}
    out: dict[str, NDArray] = {}
    for c in columns:
        if c in text:
            out[c] = np.zeros(0, dtype=object)
        elif c in ints:
            out[c] = np.zeros(0, dtype=np.int64)
        elif c in ("final", "located"):
            out[c] = np.zeros(0, dtype=bool)
        else:
            out[c] = np.zeros(0)
    return out
