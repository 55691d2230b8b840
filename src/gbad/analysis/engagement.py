"""Scoring the battery: kills, leakers, interceptors spent, the assets' survival.

Reads truth on purpose. A threat *leaks* on an asset when its true path enters the
asset's circle (horizontally) before it is killed; a ballistic round leaks when it
lands inside the circle. An asset survives when nothing leaks on it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gbad.earth.wgs84 import ecef2enu
from gbad.engagement.threat import Assets
from gbad.world.truth import Truth


def leakers(truth: Truth, killed_at: dict[int, float], assets: Assets, origin) -> NDArray[np.bool_]:
    """(objects, assets): True where the object reached the asset before being killed."""
    o = origin
    n, a = truth.n_objects, len(assets.ids)
    out = np.zeros((n, a), dtype=bool)
    if a == 0 or n == 0:
        return out
    t = truth.t_grid_s
    p = truth.pos_ecef_m
    e, nn, _ = ecef2enu(p[..., 0], p[..., 1], p[..., 2], o.lat_deg, o.lon_deg, o.alt_m)
    kill = np.array([killed_at.get(int(i), np.inf) for i in truth.object_id])
    alive = (t[None, :] >= truth.t_start_s[:, None]) & (t[None, :] <= truth.t_end_s[:, None])
    alive &= t[None, :] < kill[:, None]
    for j in range(a):
        d = np.hypot(e - assets.enu_m[j, 0], nn - assets.enu_m[j, 1])
        out[:, j] = np.any(alive & (d <= assets.radius_m[j]), axis=1)
    return out


def score_engagements(
    engagements: dict[str, NDArray],
    killed_at: dict[int, float],
    truth: Truth,
    assets: Assets,
    origin,
    first_detection_t_s: float | None,
    occupancy: dict[str, NDArray],
) -> dict[str, Any]:
    kinds = np.array(truth.kind, dtype=object)
    leak = leakers(truth, killed_at, assets, origin)
    leaked = leak.any(axis=1)
    outcome = Counter(engagements["outcome"].tolist())
    launch = engagements["launch_t_s"]
    killed_ids = np.array(sorted(killed_at), dtype=np.int64)
    out: dict[str, Any] = {
        "interceptors_spent": len(launch),
        "outcomes": dict(sorted(outcome.items())),
        "kills": len(killed_at),
        "kills_by_kind": dict(Counter(kinds[killed_ids - 1].tolist())) if killed_ids.size else {},
        "leakers": int(leaked.sum()),
        "leakers_by_kind": dict(Counter(kinds[leaked].tolist())),
        "assets_survived": {aid: bool(not leak[:, j].any()) for j, aid in enumerate(assets.ids)},
        "leakers_by_asset": {aid: int(leak[:, j].sum()) for j, aid in enumerate(assets.ids)},
        "first_launch_t_s": float(launch.min()) if len(launch) else None,
        "first_detection_to_first_launch_s": (
            float(launch.min() - first_detection_t_s)
            if len(launch) and first_detection_t_s is not None
            else None
        ),
        "miss_distance_median_m": float(np.median(engagements["miss_distance_m"]))
        if len(launch)
        else None,
    }
    if occupancy:
        busy = 1.0 - occupancy["search_share"]
        out["radar_occupancy"] = {
            "busy_share_mean": float(busy.mean()),
            "busy_share_max": float(busy.max()),
            "uplink_share_max": float(occupancy["uplink_share"].max()),
            "tracks_max": int(occupancy["tracks"].max()),
            "frames_with_degraded_tracks": int(np.sum(occupancy["tracks_degraded"] > 0)),
        }
    return out
