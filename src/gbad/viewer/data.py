"""What the viewer draws, from a run's result folder: its tables turned into compact
columnar JSON in WGS-84 (the page places everything on the map by latitude and
longitude)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from gbad.scenario.loader import LoadedScenario

#: Points on a drawn 95 % ellipse.
ELLIPSE_POINTS = 48


def _round(a, digits: int) -> list:
    return [None if not math.isfinite(v) else round(v, digits) for v in np.asarray(a, float)]


def _geo(loaded: LoadedScenario, e, n, u):
    from gbad.earth.wgs84 import enu2geodetic

    o = loaded.model.scenario.origin
    return enu2geodetic(np.asarray(e, float), np.asarray(n, float), np.asarray(u, float),
                        o.lat_deg, o.lon_deg, o.alt_m)  # fmt: skip


def run_payload(loaded: LoadedScenario, run_dir: Path,
                meta_doc: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """Everything the page needs of one run (JSON-ready); ``meta_doc``: `meta`'s, where
    the caller has it already (its coverage outlines are the costly part)."""
    tables = {n: pq.read_table(run_dir / f"{n}.parquet").to_pandas()
              for n in ("truth", "tracks", "detections", "engagements", "locates", "alerts")}  # fmt: skip
    meta_doc = meta_doc or meta(loaded)
    return {
        "meta": meta_doc,
        "truth": _truth(tables["truth"]),
        "tracks": _tracks(loaded, tables["tracks"]),
        "detections": _detections(loaded, tables["detections"]),
        "engagements": _engagements(loaded, tables["engagements"], meta_doc["launchers"]),
        "locates": _locates(loaded, tables["locates"]),
        "alerts": _alerts(tables["alerts"]),
    }


def meta(loaded: LoadedScenario) -> dict[str, Any]:
    """The scenario's sites and each radar's coverage outline, in WGS-84."""
    from gbad.runworld import plan_extras, radar_models

    m = loaded.model
    o = m.scenario.origin
    extras = plan_extras(loaded)
    out_radars = []
    for r in radar_models(loaded):
        lines = []
        for e, n in extras["coverage"].get(r.id, []):
            lat, lon, _ = _geo(loaded, e, n, np.zeros_like(e))
            lines.append(
                [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
            )
        out_radars.append({"id": r.id, "role": r.role, "lat": r.lat_deg, "lon": r.lon_deg,
                           "range_max_m": r.range_max_m, "coverage": lines})  # fmt: skip
    assets = []
    for a in m.assets:
        lat, lon, _ = a.position.to_geodetic(o)
        assets.append({"id": a.id, "lat": lat, "lon": lon, "radius_m": a.radius_m})
    launchers = {}
    for lid, (e, n) in extras["launchers"].items():
        lat, lon, _ = _geo(loaded, [e], [n], [0.0])
        launchers[lid] = {"lat": float(lat[0]), "lon": float(lon[0])}
    return {
        "simulated": True,
        "note": "Simulated with public, nominal parameters; not real sensor data.",
        "scenario": m.scenario.name,
        "origin": {"lat": o.lat_deg, "lon": o.lon_deg, "alt": o.alt_m},
        "duration_s": m.scenario.duration_s,
        "radars": out_radars,
        "assets": assets,
        "launchers": launchers,
        "coverage_label": extras["coverage_label"].replace("<br>", ", "),
    }


def _truth(t) -> dict:
    return {"t": _round(t.t_s, 2), "id": t.object_id.astype(int).tolist(),
            "kind": t.kind.astype(str).tolist(), "lat": _round(t.lat_deg, 6),
            "lon": _round(t.lon_deg, 6), "alt": _round(t.alt_m, 1)}  # fmt: skip


def _tracks(loaded, t) -> dict:
    lat, lon, alt = _geo(loaded, t.east_m, t.north_m, t.up_m)
    return {"t": _round(t.t_s, 3), "id": t.track_id.astype(int).tolist(),
            "status": t.status.astype(str).tolist(), "lat": _round(lat, 6), "lon": _round(lon, 6),
            "alt": _round(alt, 1), "speed": _round(np.hypot(t.v_east_mps, t.v_north_mps), 1)}  # fmt: skip


def _detections(loaded, d) -> dict:
    """Each detection placed where it says the target is (range, azimuth, elevation from
    its radar's site)."""
    from gbad.earth.wgs84 import aer2ecef, ecef2geodetic
    from gbad.runworld import radar_models

    lat = np.full(len(d), np.nan)
    lon = lat.copy()
    for r in radar_models(loaded):
        mine = (d.radar_id == r.id).to_numpy()
        if mine.any():
            xyz = aer2ecef(d.az_deg[mine], d.el_deg[mine], d.range_m[mine], r.lat_deg, r.lon_deg,
                           r.alt_m)  # fmt: skip
            lat[mine], lon[mine], _ = ecef2geodetic(*xyz)
    return {"t": _round(d.t_s, 3), "radar": d.radar_id.astype(str).tolist(),
            "lat": _round(lat, 6), "lon": _round(lon, 6)}  # fmt: skip


def _engagements(loaded, g, launchers: dict) -> list[dict]:
    """Each interceptor from its launcher (``launchers``: `meta`'s, WGS-84) to where its
    flight ended, by outcome."""
    out = []
    o = loaded.model.scenario.origin
    for row in g.itertuples(index=False):
        site = launchers.get(row.launcher_id, {"lat": o.lat_deg, "lon": o.lon_deg})
        lat, lon, _ = _geo(loaded, [row.end_east_m], [row.end_north_m], [row.end_up_m])
        out.append({"id": row.interceptor_id, "track": int(row.track_id),
                    "t0": round(float(row.launch_t_s), 2), "t1": round(float(row.end_t_s), 2),
                    "outcome": str(row.outcome),
                    "path": [[round(site["lon"], 6), round(site["lat"], 6)],
                             [round(float(lon[0]), 6), round(float(lat[0]), 6)]]})  # fmt: skip
    return out


def _locates(loaded, loc) -> list[dict]:
    """The final located rounds: points of origin and impact with their 95 % ellipses."""
    out = []
    final = loc[loc.final & loc.located]
    for row in final.itertuples(index=False):
        item = {"radar": row.radar_id, "track": int(row.track_id), "t": round(float(row.t_s), 2),
                "class": str(row.weapon_class)}  # fmt: skip
        for which in ("poo", "poi"):
            e0, n0 = getattr(row, f"{which}_east_m"), getattr(row, f"{which}_north_m")
            major = getattr(row, f"{which}_ellipse95_major_m")
            minor = getattr(row, f"{which}_ellipse95_minor_m")
            az = math.radians(getattr(row, f"{which}_ellipse95_azimuth_deg"))
            a = np.linspace(0.0, 2.0 * np.pi, ELLIPSE_POINTS)
            # Semi-axes (the table's), the major along the azimuth (clockwise from north).
            x, y = major * np.cos(a), minor * np.sin(a)
            e = e0 + x * math.sin(az) + y * math.cos(az)
            n = n0 + x * math.cos(az) - y * math.sin(az)
            lat, lon, _ = _geo(loaded, e, n, np.zeros_like(e))
            clat, clon, _ = _geo(loaded, [e0], [n0], [0.0])
            item[which] = {"lat": float(clat[0]), "lon": float(clon[0]),
                           "ellipse": [[round(float(p), 6), round(float(q), 6)]
                                       for p, q in zip(lon, lat, strict=True)]}  # fmt: skip
        out.append(item)
    return out


def _alerts(a) -> dict:
    return {"t": _round(a.t_s, 2), "asset": a.asset_id.astype(str).tolist(),
            "track": a.track_id.astype(int).tolist(), "warning_s": _round(a.warning_s, 1)}  # fmt: skip


def dumps(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False)
