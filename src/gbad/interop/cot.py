"""Cursor-on-Target: the air picture's tracks and the located points of origin as CoT
events, as XML (a TAK server's plain TCP input) or as TAK protobuf (`takproto`; the
mesh format a TAK client listens for on UDP).

An event (CoT 2.0):

- ``uid``: ``gbad.<scenario>.track.<id>`` or ``gbad.<scenario>.poo.<radar>.<id>``;
- ``type``: by class and affiliation. An air track the battery's threat evaluation
  lists is hostile (``a-h-A``) with its class: aircraft ``a-h-A-M-F``, UAV
  ``a-h-A-M-F-Q``, cruise or ballistic missile ``a-h-A-W-M``; one it does not list is an
  unknown air track (``a-u-A``). A located point of origin is a hostile firing unit,
  ``a-h-G-U-C-F``;
- ``how="m-g"``: machine-generated; ``opex="s-gbad"``: a simulation (CoT's opex
  attribute: o operations, e exercise, s simulation), and the remarks say so;
- ``time`` and ``start`` when sent (the wall clock), ``stale`` `STALE_S` later;
- ``point``: WGS-84 latitude, longitude, height above the ellipsoid; ``ce`` the 1-σ
  circular error (a track's √((σe² + σn²)/2); a point of origin's CEP / 1.1774), ``le``
  the 1-σ height error (9999999 where not known, CoT's "unknown");
- ``detail``: ``track`` (course, speed), ``contact`` (callsign), ``remarks``.
"""

from __future__ import annotations

import datetime as dt
import math
from xml.sax.saxutils import quoteattr

import numpy as np
import pyarrow.parquet as pq

#: How long an event stays current after it is sent (s).
STALE_S = 20.0
UNKNOWN_ERROR_M = 9999999.0
TYPES = {
    "aircraft": "a-h-A-M-F",
    "uav": "a-h-A-M-F-Q",
    "cruise_missile": "a-h-A-W-M",
    "ballistic": "a-h-A-W-M",
    "ballistic_missile": "a-h-A-W-M",
}
UNKNOWN_AIR = "a-u-A"
FIRING_UNIT = "a-h-G-U-C-F"
#: A circular normal's CEP over its per-axis σ.
CEP_PER_SIGMA = 1.1774


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def event_xml(fields: dict, now: dt.datetime) -> bytes:
    """One CoT event from its fields (`track_fields`, `poo_fields`), sent at ``now``."""
    stale = now + dt.timedelta(seconds=STALE_S)
    f = fields
    track = ""
    if math.isfinite(f.get("speed_mps", math.nan)):
        track = f'<track course="{f["course_deg"]:.1f}" speed="{f["speed_mps"]:.1f}"/>'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<event version="2.0" uid={quoteattr(f["uid"])} type="{f["type"]}" how="m-g" '
        f'opex="s-gbad" access="Unclassified" time="{_iso(now)}" start="{_iso(now)}" '
        f'stale="{_iso(stale)}">'
        f'<point lat="{f["lat"]:.7f}" lon="{f["lon"]:.7f}" hae="{f["hae"]:.1f}" '
        f'ce="{f["ce"]:.1f}" le="{f["le"]:.1f}"/>'
        f"<detail>{track}<contact callsign={quoteattr(f['callsign'])}/>"
        f"<remarks>{f['remarks']}</remarks></detail></event>"
    ).encode()


def event_proto(fields: dict, now: dt.datetime) -> bytes:
    """The same event as TAK protobuf in the mesh format (`takproto`)."""
    import takproto

    return bytes(takproto.xml2proto(event_xml(fields, now).decode(), takproto.TAKProtoVer.MESH))


def run_events(loaded, run_dir) -> list[tuple[float, dict]]:
    """(simulated time, event fields) of every track update and every final located
    point of origin of a finished run, in time order."""
    from gbad.earth.wgs84 import enu2geodetic

    name = loaded.model.scenario.name
    o = loaded.model.scenario.origin
    out: list[tuple[float, dict]] = []
    tracks = pq.read_table(run_dir / "tracks.parquet").to_pandas()
    threats = pq.read_table(run_dir / "threat_list.parquet").to_pandas()
    kinds = threats.sort_values("t_s").groupby("track_id")["kind"].last().to_dict()
    if len(tracks):
        lat, lon, hae = enu2geodetic(tracks.east_m, tracks.north_m, tracks.up_m,
                                     o.lat_deg, o.lon_deg, o.alt_m)  # fmt: skip
        ve, vn = tracks.v_east_mps.to_numpy(), tracks.v_north_mps.to_numpy()
        ce = np.sqrt(0.5 * (tracks.cov_ee_m2.to_numpy() + tracks.cov_nn_m2.to_numpy()))
        le = np.sqrt(tracks.cov_uu_m2.to_numpy())
        for k, row in enumerate(tracks.itertuples(index=False)):
            kind = kinds.get(row.track_id)
            out.append((float(row.t_s), {
                "uid": f"gbad.{name}.track.{row.track_id}",
                "type": TYPES.get(kind, "a-h-A") if kind is not None else UNKNOWN_AIR,
                "lat": float(lat[k]), "lon": float(lon[k]), "hae": float(hae[k]),
                "ce": _error(ce[k]), "le": _error(le[k]),
                "course_deg": math.degrees(math.atan2(ve[k], vn[k])) % 360.0,
                "speed_mps": math.hypot(ve[k], vn[k]),
                "callsign": f"GBAD T{row.track_id}",
                "remarks": f"SIMULATED (gbad {name}): {row.status} air track "
                           f"{row.track_id}" + (f", {kind}" if kind else ""),
            }))  # fmt: skip
    locates = pq.read_table(run_dir / "locates.parquet").to_pandas()
    poo = locates[locates.final & locates.located]
    if len(poo):
        lat, lon, hae = enu2geodetic(poo.poo_east_m, poo.poo_north_m, poo.poo_up_m,
                                     o.lat_deg, o.lon_deg, o.alt_m)  # fmt: skip
        for k, row in enumerate(poo.itertuples(index=False)):
            out.append((float(row.t_s), {
                "uid": f"gbad.{name}.poo.{row.radar_id}.{row.track_id}",
                "type": FIRING_UNIT,
                "lat": float(lat[k]), "lon": float(lon[k]), "hae": float(hae[k]),
                "ce": _error(row.poo_cep_m / CEP_PER_SIGMA), "le": UNKNOWN_ERROR_M,
                "speed_mps": math.nan,
                "callsign": f"GBAD POO {row.radar_id}-{row.track_id}",
                "remarks": f"SIMULATED (gbad {name}): point of origin of a {row.weapon_class} "
                           f"round, weapon-locating radar {row.radar_id} track {row.track_id}",
            }))  # fmt: skip
    out.sort(key=lambda e: e[0])
    return out


def _error(sigma_m: float) -> float:
    return float(sigma_m) if math.isfinite(sigma_m) else UNKNOWN_ERROR_M
