"""Scoring the battery: kills, leakers, interceptors spent, damage to each asset.

Reads truth on purpose. A threat *leaks* on an asset when its true path enters the
asset's circle (horizontally) before it is killed; a ballistic round leaks when it
lands inside the circle. Leakers are split into the kinds the batteries are tasked
against (air-breathing targets and ballistic missiles; rounds only where a battery
opts in) and the rest. Damage to an asset is the sum over its leakers of a nominal
weight per kind (DAMAGE_WEIGHT: the expected share of the asset one leaker of that kind
puts out of action), a number rather than a yes/no.
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


#: Expected share of an asset put out of action by one leaker of each kind [nominal]:
#: a ballistic missile's ~500 kg warhead, a cruise missile's ~250-450 kg, an attack
#: aircraft's run, a loitering munition's few kilograms, one rocket, shell or bomb.
DAMAGE_WEIGHT: dict[str, float] = {
    "ballistic_missile": 0.5,
    "cruise_missile": 0.3,
    "aircraft": 0.3,
    "uav": 0.05,
    "rocket": 0.02,
    "shell": 0.01,
    "mortar": 0.005,
}
#: The kinds a battery is tasked against; rounds only with the `engage_rounds` opt-in.
TASKED = ("aircraft", "cruise_missile", "uav", "ballistic_missile")
ROUNDS = ("shell", "mortar", "rocket")


def score_engagements(
    engagements: dict[str, NDArray],
    killed_at: dict[int, float],
    truth: Truth,
    assets: Assets,
    origin,
    first_detection_t_s: float | None,
    occupancy: dict[str, NDArray],
    engage_rounds: bool = False,
    queued: dict[str, NDArray] | None = None,
) -> dict[str, Any]:
    kinds = np.array(truth.kind, dtype=object)
    threat_ids = np.array(truth.threat_id, dtype=object)
    leak = leakers(truth, killed_at, assets, origin)
    leaked = leak.any(axis=1)
    tasked_kinds = TASKED + (ROUNDS if engage_rounds else ())
    tasked = np.isin(kinds, tasked_kinds)
    outcome = Counter(engagements["outcome"].tolist())
    launch = engagements["launch_t_s"]
    killed_ids = np.array(sorted(killed_at), dtype=np.int64)
    weight = np.array([DAMAGE_WEIGHT.get(k, 0.0) for k in kinds])
    damage = {aid: float(np.sum(weight[leak[:, j]])) for j, aid in enumerate(assets.ids)}
    out_kill = engagements["outcome"] == "kill"
    declared = engagements.get("assessed", engagements["outcome"]) == "kill"
    shots_at = Counter(int(o) for o in engagements["truth_id"] if o > 0)
    depth = sorted(shots_at.values())
    leak_why = {}
    engaged_objects = set(shots_at)
    for i in np.flatnonzero(leaked):
        oid = int(truth.object_id[i])
        if not tasked[i]:
            why = "not tasked (counter-artillery's)"
        elif oid in engaged_objects:
            why = f"engaged {shots_at[oid]}x, not killed"
        else:
            why = "never engaged"
        leak_why.setdefault(str(threat_ids[i]), why)
    out: dict[str, Any] = {
        "interceptors_spent": len(launch),
        "outcomes": dict(sorted(outcome.items())),
        "kills": len(killed_at),
        "kills_by_kind": dict(Counter(kinds[killed_ids - 1].tolist())) if killed_ids.size else {},
        "misses": int(np.sum(engagements["outcome"] == "miss")),
        # (an aborted interceptor's target was already destroyed: a kill declared on it
        # is no false one)
        "false_kill_declarations": int(np.sum(declared & (engagements["outcome"] == "miss"))),
        "missed_kill_declarations": int(np.sum(~declared & out_kill)),
        "interceptors_per_kill": len(launch) / len(killed_at) if killed_at else None,
        "depth_of_fire_mean": float(np.mean(depth)) if depth else None,
        "depth_of_fire_max": int(max(depth)) if depth else 0,
        "objects_engaged": len(engaged_objects),
        "leakers": int(leaked.sum()),
        "leakers_tasked": int((leaked & tasked).sum()),
        "leakers_not_tasked": int((leaked & ~tasked).sum()),
        "leakers_by_kind": dict(Counter(kinds[leaked].tolist())),
        "leakers_tasked_by_kind": dict(Counter(kinds[leaked & tasked].tolist())),
        "leak_reason_by_threat": dict(sorted(leak_why.items())),
        "leakers_by_asset": {aid: int(leak[:, j].sum()) for j, aid in enumerate(assets.ids)},
        "damage_by_asset": damage,
        "engagements_queued": len(queued["t_s"]) if queued else 0,
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
