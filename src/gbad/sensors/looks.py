"""One look of a radar at objects: what its beam can see, and what it measures of them.

`looks_at` is the geometry (alive, in coverage, over the horizon: a line of sight over
the ground), `measured` the measurement of a detected look (noise at the look's SNR,
the radar's bias and wandering errors, its reported σ). Every radar's looks go through
here: the scanning radars' (`gbad.sensors.radar`) and the weapon-locating radar's
fence and track dwells (`gbad.sensors.weapon_locating`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from gbad.earth.terrain import FlatGround, line_of_sight
from gbad.earth.wgs84 import ecef2geodetic
from gbad.sensors.radar_errors import multipath_sigma_deg
from gbad.world.truth import Truth

if TYPE_CHECKING:  # for the hints alone: radar.py imports this module
    from gbad.sensors.radar import RadarModel

#: No radar measures inside its blind range: a look at a target nearer reports this.
MIN_RANGE_M = 1.0
#: The widest range rate a look reports (a Doppler filter bank spans a finite band):
#: nothing tracked flies faster, and a coarse radar's noise on a weak echo went past.
MAX_RANGE_RATE_MPS = 2e4


def measured(
    radar: RadarModel,
    t_s: NDArray,
    truth_id: NDArray,
    az_deg: NDArray,
    el_deg: NDArray,
    range_m: NDArray,
    range_rate_mps: NDArray,
    snr: NDArray,
    rng: np.random.Generator,
) -> dict[str, NDArray]:
    """Detection columns of true looks: noise at each look's SNR, the radar's bias, its σ.

    A radar with its wandering errors drawn (`RadarModel.with_drawn_errors`) adds its
    angle floor and multipath (:mod:`gbad.sensors.radar_errors`) in place of a white
    floor and reports the multipath in its elevation σ; otherwise the whole σ is drawn
    anew each look. Either is left with the day's refraction residual.
    """
    noise = rng.standard_normal((len(t_s), 4))
    return measurement(radar, t_s, truth_id, az_deg, el_deg, range_m, range_rate_mps, snr, noise)


def measurement(
    radar: RadarModel,
    t_s: NDArray,
    truth_id: NDArray,
    az_deg: NDArray,
    el_deg: NDArray,
    range_m: NDArray,
    range_rate_mps: NDArray,
    snr: NDArray,
    noise: NDArray,
) -> dict[str, NDArray]:
    """`measured` with its draws given: ``noise`` (n, 4), unit normals for range, az, el
    and range rate. Element by element, so looks whose noise was drawn one frame at a
    time (the weapon-locating radar's) are measured all together afterwards."""
    s_r, s_az, s_el, s_rr = radar.sigmas(snr)
    e_az = s_az * noise[:, 1]
    e_el = s_el * noise[:, 2]
    if radar.wandering is not None:
        thermal = np.sqrt(radar.accuracy_snr / np.maximum(snr, 1e-12))
        floor = radar.accuracy_floor_fraction
        u = radar.wandering.at(truth_id, t_s)
        # Looks at nothing (false alarms) keep their floor white.
        white = np.where(np.asarray(truth_id) >= 1, thermal, s_az / radar.sigma_az_deg)
        s_mp = multipath_sigma_deg(el_deg, radar.beamwidth_el_deg, radar.multipath_reflection)
        e_az = radar.sigma_az_deg * (white * noise[:, 1] + floor * u[:, 0])
        e_el = radar.sigma_el_deg * (white * noise[:, 2] + floor * u[:, 1]) + s_mp * u[:, 2]
        s_el = np.hypot(s_el, s_mp)
    e_el = e_el + np.degrees(radar.refraction_residual_rad_per_m * range_m)
    return {
        "t_s": t_s,
        "range_m": np.maximum(
            np.abs(range_m + radar.bias_range_m + s_r * noise[:, 0]), MIN_RANGE_M
        ),
        "az_deg": (az_deg + radar.bias_az_deg + e_az) % 360.0,
        "el_deg": np.clip(el_deg + radar.bias_el_deg + e_el, -90.0, 90.0),
        "range_rate_mps": np.clip(
            range_rate_mps + s_rr * noise[:, 3], -MAX_RANGE_RATE_MPS, MAX_RANGE_RATE_MPS
        ),
        # A receiver saturates long before 200 dB (a target flown through the radar's
        # own position has no upper bound); the detection file's bound.
        "snr_db": np.clip(10 * np.log10(snr), -200.0, 200.0),
        "truth_id": truth_id,
        "range_sigma_m": s_r,
        "az_sigma_deg": s_az,
        "el_sigma_deg": s_el,
        "range_rate_sigma_mps": s_rr,
    }


def looks_at(
    radar: RadarModel,
    truth: Truth,
    obj: NDArray[np.intp],
    t_s: NDArray,
    ground: object,
    radius_m: float,
) -> tuple[NDArray[np.bool_], NDArray, NDArray, NDArray, NDArray, NDArray[np.bool_]]:
    """Which objects at which times the beam can see: alive, in coverage, over the horizon.

    Returns (seen, az_deg, el_deg, range_m, range_rate_mps, alive), one per look.
    """
    in_view, az, el, rng_m, rr, alive, pos = look_geometry(radar, truth, obj, t_s)
    seen = over_horizon(radar, in_view, pos, ground, radius_m)
    return seen, az, el, rng_m, rr, alive


def look_geometry(
    radar: RadarModel, truth: Truth, obj: NDArray[np.intp], t_s: NDArray
) -> tuple[NDArray[np.bool_], NDArray, NDArray, NDArray, NDArray, NDArray[np.bool_], NDArray]:
    """`looks_at` but for the horizon: (alive and in coverage, az_deg, el_deg, range_m,
    range_rate_mps, alive, ECEF position) of each look."""
    pos, vel, alive = truth.state_at(obj, t_s)
    az, el, rng_m, rr = radar.aer(pos, vel)
    return alive & radar.in_coverage(az, el, rng_m), az, el, rng_m, rr, alive, pos


def over_horizon(
    radar: RadarModel, in_view: NDArray[np.bool_], pos: NDArray, ground: object, radius_m: float
) -> NDArray[np.bool_]:
    """``in_view`` less the looks whose line of sight the ground (or the earth) blocks."""
    seen = in_view.copy()
    idx = np.flatnonzero(seen)
    if idx.size:
        lat, lon, alt = ecef2geodetic(pos[idx, 0], pos[idx, 1], pos[idx, 2])
        visible = line_of_sight(
            radar.lat_deg,
            radar.lon_deg,
            radar.alt_m,
            lat,
            lon,
            alt,
            ground,
            radius_m=radius_m,
            n_samples=_los_samples(radar, ground),
        )
        seen[idx[~visible]] = False
    return seen


def _los_samples(radar: RadarModel, ground: object) -> int:
    """Path samples for terrain masking: two per DEM cell out to the radar's reach.

    A flat ground is checked exactly without samples; a DEM sampled more
    coarsely than its cells could let a single-cell crest slip between samples.
    """
    if isinstance(ground, FlatGround):
        return 2
    spacing = getattr(ground, "spacing_m", 90.0)
    return int(np.clip(np.ceil(2.0 * radar.range_max_m / spacing), 64, 8192))
