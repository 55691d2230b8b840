"""Scoring the locator against truth: POO/POI error, CEP honesty, classes, warnings.

Compares on purpose (analysis may read truth; the locator never does). Each
locate's truth is the majority `truth_id` of the detections behind it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: The locator's class for each truth kind of ballistic object.
TRUE_CLASS = {"shell": "artillery", "mortar": "mortar", "rocket": "rocket"}


def majority_truth(detection_rows: list[NDArray[np.intp]], truth_id: NDArray) -> NDArray[np.int64]:
    out = np.full(len(detection_rows), -1, dtype=np.int64)
    for i, rows in enumerate(detection_rows):
        if len(rows):
            ids, counts = np.unique(truth_id[rows], return_counts=True)
            out[i] = ids[np.argmax(counts)]
    return out


def _efficiency(
    locates: dict[str, NDArray], rows: NDArray[np.intp], poo_err: NDArray, poi_err: NDArray
) -> dict[str, Any]:
    """Achieved CEP against the Cramér–Rao bound's, where the bound is defined."""
    if "poo_crlb_cep_m" not in locates:
        return {}
    out: dict[str, Any] = {}
    for point, err in (("poo", poo_err), ("poi", poi_err)):
        bound = locates[f"{point}_crlb_cep_m"][rows]
        ok = np.isfinite(bound)
        out[f"{point}_crlb_cep_median_m"] = _q(bound[ok], 0.5)
        # Rounds differ in geometry, so compare each error with its own bound.
        ratio = err[ok] / bound[ok]
        out[f"{point}_cep_over_crlb_cep"] = _q(ratio, 0.5)
        out[f"{point}_with_crlb"] = int(ok.sum())
        # The same against the bound with the radar's systematic errors (equal to the
        # ideal one when the scenario gives them no σ).
        with_bias = locates.get(f"{point}_crlb_bias_cep_m")
        if with_bias is not None:
            b = with_bias[rows][ok]
            out[f"{point}_crlb_bias_cep_median_m"] = _q(b, 0.5)
            out[f"{point}_cep_over_crlb_bias_cep"] = _q(err[ok] / b, 0.5)
    return out


def _nees2(
    locates: dict[str, NDArray], point: str, rows: NDArray[np.intp], east: NDArray, north: NDArray
) -> NDArray:
    """Horizontal normalised error of each locate's point (χ² with 2 dof when honest)."""
    d = np.column_stack(
        [locates[f"{point}_east_m"][rows] - east, locates[f"{point}_north_m"][rows] - north]
    )
    ee = locates[f"{point}_cov_ee_m2"][rows]
    en = locates[f"{point}_cov_en_m2"][rows]
    nn = locates[f"{point}_cov_nn_m2"][rows]
    det = ee * nn - en * en
    return (nn * d[:, 0] ** 2 - 2 * en * d[:, 0] * d[:, 1] + ee * d[:, 1] ** 2) / det


def _q(x: NDArray, q: float) -> float | None:
    return float(np.quantile(x, q)) if len(x) else None


def score_locates(
    locates: dict[str, NDArray],
    alerts: dict[str, NDArray],
    objects: dict[str, NDArray],
    assets: list[tuple[str, float, float, float]],
    radar_enu_m: dict[str, NDArray],
    duration_s: float,
) -> dict[str, Any]:
    """Summary figures; ``locates`` and ``alerts`` must carry `truth_id` already.

    ``assets``: (id, east_m, north_m, radius_m); ``radar_enu_m``: each radar's position.
    """
    kinds = np.asarray(objects["kind"], dtype=object)
    final = locates["final"]
    tid = locates["truth_id"]
    is_round = np.zeros(len(tid), dtype=bool)
    has_truth = tid > 0
    is_round[has_truth] = np.isin(kinds[tid[has_truth] - 1], list(TRUE_CLASS))
    located = locates["located"]
    fin = np.flatnonzero(final)
    fin_loc = fin[located[fin]]
    good = fin_loc[is_round[fin_loc]]
    i = tid[good] - 1
    poo_err = np.hypot(
        locates["poo_east_m"][good] - objects["launch_east_m"][i],
        locates["poo_north_m"][good] - objects["launch_north_m"][i],
    )
    poi_err = np.hypot(
        locates["poi_east_m"][good] - objects["impact_east_m"][i],
        locates["poi_north_m"][good] - objects["impact_north_m"][i],
    )
    radar_pos = np.stack([radar_enu_m[r] for r in locates["radar_id"][good]]) if good.size else None
    if radar_pos is not None:
        poo_range = np.hypot(
            objects["launch_east_m"][i] - radar_pos[:, 0],
            objects["launch_north_m"][i] - radar_pos[:, 1],
        )
        share = poo_err / poo_range
    else:
        share = np.zeros(0)
    inside_own = poo_err <= locates["poo_cep_m"][good]
    poo_nees = _nees2(
        locates, "poo", good, objects["launch_east_m"][i], objects["launch_north_m"][i]
    )
    poi_nees = _nees2(
        locates, "poi", good, objects["impact_east_m"][i], objects["impact_north_m"][i]
    )

    rounds = np.flatnonzero(np.isin(kinds, list(TRUE_CLASS)))
    located_ids = np.unique(tid[good])
    first_locate = {}
    interim = np.flatnonzero(located & is_round)
    for row in interim[np.argsort(locates["t_s"][interim], kind="stable")]:
        first_locate.setdefault(int(tid[row]), float(locates["t_s"][row]))
    t_to_locate = np.array(
        [t - objects["launch_t_s"][k - 1] for k, t in first_locate.items()], dtype=float
    )

    pred = locates["weapon_class"][good]
    true_cls = np.array([TRUE_CLASS[k] for k in kinds[i]], dtype=object)
    confusion: dict[str, dict[str, int]] = {}
    for t_c, p_c in zip(true_cls, pred, strict=True):
        confusion.setdefault(t_c, Counter())[p_c] += 1
    false_loc = fin_loc[~is_round[fin_loc]]
    false_kinds = Counter(kinds[tid[r] - 1] if tid[r] > 0 else "false alarm" for r in false_loc)

    # Sense-and-warn: a round that lands inside an asset's circle should be warned of.
    warn: dict[str, Any] = {}
    a_t = alerts["t_s"]
    a_tid = alerts["truth_id"]
    warnings_s = []
    warned_kind: list[str] = []
    missed_kind: list[str] = []
    missed = false_alerts = 0
    for asset_id, ae, an, radius in assets:
        hit = rounds[
            np.hypot(objects["impact_east_m"][rounds] - ae, objects["impact_north_m"][rounds] - an)
            <= radius
        ]
        mine = alerts["asset_id"] == asset_id
        for obj in hit:
            got = mine & (a_tid == obj + 1)
            t_imp = objects["impact_t_s"][obj]
            if np.any(got) and a_t[got].min() < t_imp:
                warnings_s.append(t_imp - a_t[got].min())
                warned_kind.append(str(kinds[obj]))
            else:
                missed += 1
                missed_kind.append(str(kinds[obj]))
        false_alerts += int(np.sum(mine & ~np.isin(a_tid, hit + 1)))
        warn[asset_id] = {"rounds_landing_inside": int(hit.size)}
    w = np.array(warnings_s)
    hours = max(duration_s, 1e-9) / 3600.0
    by_class = _by_class(
        kinds[i], kinds[rounds], poo_err, share, poi_err, inside_own,
        poi_err <= locates["poi_cep_m"][good], poo_nees, poi_nees,
        w, np.array(warned_kind, dtype=object), np.array(missed_kind, dtype=object),
    )  # fmt: skip
    return {
        "tracks_final": int(fin.size),
        "tracks_located": int(fin_loc.size),
        "rounds": int(rounds.size),
        "rounds_located": int(located_ids.size),
        "not_located_reasons": dict(Counter(locates["reason"][fin[~located[fin]]])),
        "poo_error_median_m": _q(poo_err, 0.5),
        "poo_cep_m": _q(poo_err, 0.5),
        "poo_error_p90_m": _q(poo_err, 0.9),
        "poo_error_share_of_range_median": _q(share, 0.5),
        "poo_claimed_cep_median_m": _q(locates["poo_cep_m"][good], 0.5),
        "poo_share_inside_own_cep": float(inside_own.mean()) if good.size else None,
        "poo_nees_mean": float(np.mean(poo_nees)) if good.size else None,
        "poo_nees_median": _q(poo_nees, 0.5),
        "poi_nees_median": _q(poi_nees, 0.5),
        **_efficiency(locates, good, poo_err, poi_err),
        "poi_nees_mean": float(np.mean(poi_nees)) if good.size else None,
        "poi_error_median_m": _q(poi_err, 0.5),
        "poi_cep_m": _q(poi_err, 0.5),
        "poi_claimed_cep_median_m": _q(locates["poi_cep_m"][good], 0.5),
        "poi_share_inside_own_cep": float(np.mean(poi_err <= locates["poi_cep_m"][good]))
        if good.size
        else None,
        "time_launch_to_first_locate_median_s": _q(t_to_locate, 0.5),
        "classification_accuracy": float(np.mean(pred == true_cls)) if good.size else None,
        "confusion": {k: dict(v) for k, v in sorted(confusion.items())},
        "false_locates": int(false_loc.size),
        "false_locates_per_hour": false_loc.size / hours,
        "false_locates_by_truth": dict(false_kinds),
        "alerts": len(a_t),
        "false_alerts": false_alerts,
        "missed_warnings": missed,
        "warnings_given": int(w.size),
        "warning_s_min": _q(w, 0.0),
        "warning_s_median": _q(w, 0.5),
        "warning_s_p10": _q(w, 0.1),
        "warning_s_max": _q(w, 1.0),
        "assets": warn,
        "by_class": by_class,
    }


def _by_class(
    kind, round_kinds, poo_err, share, poi_err, poo_in, poi_in, poo_nees, poi_nees,
    warning_s, warned_kind, missed_kind,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The figures per kind of round (shell, mortar, rocket): one median across kinds
    hides what a radar officer needs to know of each."""
    out = {}
    for k in sorted(set(round_kinds.tolist())):
        m = kind == k
        w = warning_s[warned_kind == k] if warning_s.size else np.zeros(0)
        out[str(k)] = {
            "rounds": int(np.sum(round_kinds == k)),
            "located": int(m.sum()),
            "poo_error_median_m": _q(poo_err[m], 0.5),
            "poo_error_share_of_range_median": _q(share[m], 0.5),
            "poo_error_share_of_range_p90": _q(share[m], 0.9),
            "poo_share_inside_own_cep": float(poo_in[m].mean()) if m.any() else None,
            "poo_nees_mean": float(np.mean(poo_nees[m])) if m.any() else None,
            "poi_error_median_m": _q(poi_err[m], 0.5),
            "poi_error_p90_m": _q(poi_err[m], 0.9),
            "poi_share_inside_own_cep": float(poi_in[m].mean()) if m.any() else None,
            "poi_nees_mean": float(np.mean(poi_nees[m])) if m.any() else None,
            "warnings_given": int(w.size),
            "warning_s_median": _q(w, 0.5),
            "missed_warnings": int(np.sum(missed_kind == k)),
        }
    return out


def crlb_ceps(
    locates: dict[str, NDArray],
    detection_rows: list[NDArray[np.intp]],
    det,
    radars,
    truth,
    munition_of: dict[int, str],
    origin: tuple[float, float, float],
    ground: object,
    world_sigma=None,
) -> dict[str, NDArray]:
    """CEP (m) of the Cramér–Rao bound for each locate's POO and POI, NaN where undefined:
    ``poo_crlb_cep_m``, ``poi_crlb_cep_m`` for the ideal sensor, and
    ``poo_crlb_bias_cep_m``, ``poi_crlb_bias_cep_m`` with the radar's systematic errors
    and the world's variability (``world_sigma``) as consider terms at the truth: the
    best a locator blind to their drawn values can claim.

    The bound of the dwells actually made: the Fisher information of the locate's own
    detections (their times, radars and reported σ) at the true state, in the true
    round's class model, carried onto the ground at the true launch and impact. It is
    defined where the round is one of the class hypotheses' own nominal rounds (the
    model then holds the truth); elsewhere it is NaN.
    """
    from gbad.earth.wgs84 import enu_rotation
    from gbad.locating.cep import cep_m
    from gbad.locating.claims import consider_cov, ground_map, world_consider
    from gbad.locating.dynamics import World
    from gbad.locating.fit import LAUNCH_HEIGHT_SIGMA_M, information
    from gbad.locating.locate import (
        WEAPON_CLASSES,
        WIND_HEIGHT_SHARE,
        ground_height_fn,
        observations,
    )
    from gbad.locating.locator import systematic_sigma

    n = len(locates["t_s"])
    out = {
        k: np.full(n, np.nan)
        for k in ("poo_crlb_cep_m", "poi_crlb_cep_m", "poo_crlb_bias_cep_m", "poi_crlb_bias_cep_m")
    }
    radar_bias = np.array([r.bias_sigma for r in radars])
    world = World()
    rot = enu_rotation(origin[0], origin[1])
    gh = ground_height_fn(world, ground)
    r_ecef = np.stack([r.ecef_m for r in radars])
    r_rot = np.stack([r.enu_rot for r in radars])
    for cls in WEAPON_CLASSES:
        model = cls.model()
        rows = [
            i
            for i in range(n)
            if locates["located"][i]
            and munition_of.get(int(locates["truth_id"][i])) == cls.munition.name
        ]
        if not rows:
            continue
        group = np.concatenate([np.full(len(detection_rows[i]), k) for k, i in enumerate(rows)])
        d = np.concatenate([detection_rows[i] for i in rows])
        sigma = np.column_stack(
            [
                det.range_sigma_m[d],
                det.az_sigma_deg[d],
                det.el_sigma_deg[d],
                np.where(np.isfinite(det.range_rate_mps[d]), det.range_rate_sigma_mps[d], np.nan),
            ]
        )
        obs, _ = observations(
            group,
            len(rows),
            det.t_s[d],
            det.range_m[d],
            det.az_deg[d],
            det.el_deg[d],
            np.nan_to_num(det.range_rate_mps[d], nan=0.0),
            sigma,
            r_ecef[det.radar_index[d]],
            r_rot[det.radar_index[d]],
        )
        idx = locates["truth_id"][rows] - 1
        pos, vel, _ = truth.state_at(idx, obs.t_ref_s)
        theta = np.column_stack([pos, vel, np.ones(len(rows))])
        t_launch = truth.info["launch_t_s"][idx]
        t_impact = truth.info["impact_t_s"][idx]
        if model.powered:
            theta = np.column_stack([theta, t_launch + model.burn_time_s, np.ones(len(rows))])
        bound = np.linalg.inv(information(theta, obs, model, world, gh))
        p_l, v_l, _ = truth.state_at(idx, t_launch)
        p_i, v_i, _ = truth.state_at(idx, t_impact)
        s_l, s_i = np.column_stack([p_l, v_l]), np.column_stack([p_i, v_i])
        a_poo = ground_map(
            theta, model, world, obs.t_ref_s, None if model.powered else t_launch, s_l
        )
        a_poi = ground_map(theta, model, world, obs.t_ref_s, t_impact, s_i)
        c_poo = a_poo @ bound @ np.swapaxes(a_poo, 1, 2)
        c_poi = a_poi @ bound @ np.swapaxes(a_poi, 1, 2)
        out["poo_crlb_cep_m"][rows] = cep_m((rot @ c_poo @ rot.T)[:, :2, :2])
        out["poi_crlb_cep_m"][rows] = cep_m((rot @ c_poi @ rot.T)[:, :2, :2])
        radar_of = det.radar_index[[detection_rows[i][0] for i in rows]]
        sig = radar_bias[radar_of]
        if world_sigma is not None and not world_sigma.ideal:
            sig = systematic_sigma(radar_bias, radars, radar_of, obs, world_sigma)
        if np.any(sig > 0):
            add_poo, add_poi = consider_cov(
                theta, bound, obs, model, world, (a_poo, a_poi), (s_l, s_i), sig
            )
            c_poo, c_poi = c_poo + add_poo, c_poi + add_poi
        if world_sigma is not None:
            h0 = world.height_m(p_l)
            apex = truth.info["apogee_m"][idx]
            add_poo, add_poi = world_consider(
                theta, bound, obs, model, world, gh,
                ((a_poo, s_l, None if model.powered else t_launch), (a_poi, s_i, t_impact)),
                world_sigma, h0 + WIND_HEIGHT_SHARE * (apex - h0), LAUNCH_HEIGHT_SIGMA_M,
            )  # fmt: skip
            c_poo, c_poi = c_poo + add_poo, c_poi + add_poi
        out["poo_crlb_bias_cep_m"][rows] = cep_m((rot @ c_poo @ rot.T)[:, :2, :2])
        out["poi_crlb_bias_cep_m"][rows] = cep_m((rot @ c_poi @ rot.T)[:, :2, :2])
    return out
