"""Radar looks: which objects each scan sees, their SNR, detection and noisy measurement.

A scan of every kind is a mapping from a direction (az, el) to the moment in
the scan period when the beam points there (its *phase*):
- rotating: the beam turns clockwise from north once a period;
- sector: the beam sweeps the sector from `az_min_deg` to `az_max_deg` once a period;
- electronic: a search frame rasters beam positions (one beamwidth apart)
  row by row from the lowest elevation, once a period.
The look at an object is at the scan's start plus phase·period, solved by a
short fixed-point iteration because the object moves while the beam comes
round. All (object, scan) pairs of a block of scans are evaluated together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gbad.earth.refraction import effective_earth_radius_m
from gbad.earth.wgs84 import enu_rotation, geodetic2ecef
from gbad.scenario.schema import Dwells, Geodetic, Radar
from gbad.sensors.detection import draw_false_alarm_snr, draw_looks, snr_per_pulse_required
from gbad.sensors.looks import MIN_RANGE_M, looks_at, measured
from gbad.sensors.radar_errors import WanderingErrors
from gbad.sensors.weapon_locating import simulate_weapon_locating
from gbad.world.truth import Truth

Array = NDArray[np.float64]
BOLTZMANN_JPK = 1.380649e-23
LIGHT_MPS = 299_792_458.0
#: Accuracy is quoted at this integrated SNR when a radar-equation radar gives none.
DEFAULT_ACCURACY_SNR_DB = 20.0
#: Half-width of the Doppler interval in which false alarms fall (m/s).
FALSE_ALARM_RANGE_RATE_MPS = 1000.0
#: Scans evaluated together; bounds memory on long scenarios.
SCANS_PER_BLOCK = 64
#: Ground reflection coefficient of a weapon-locating radar's multipath when none is
#: given [nominal: rough, vegetated ground].
NOMINAL_MULTIPATH_REFLECTION = 0.3
#: A multifunction radar's track dwells are taken by the tracker in windows this long,
#: each track dwelled at most once a window: revisit rates up to 1/this (4 Hz).
TRACK_DWELL_WINDOW_S = 0.25


@dataclass(frozen=True)
class RadarModel:
    """A radar resolved from the scenario: geometry, sensitivity, scan and accuracy, in SI."""

    id: str
    role: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    ecef_m: Array
    enu_rot: Array
    #: SNR per pulse = snr_constant · rcs_m2 / range_m⁴
    snr_constant: float
    pfa: float
    n_pulses: int
    swerling: int
    scan_kind: str
    period_s: float
    az_min_deg: float
    az_width_deg: float
    el_min_deg: float
    el_max_deg: float
    range_min_m: float
    range_max_m: float
    beamwidth_az_deg: float
    beamwidth_el_deg: float
    cell_range_m: float
    sigma_range_m: float
    sigma_az_deg: float
    sigma_el_deg: float
    sigma_range_rate_mps: float  # NaN: the radar does not measure range rate
    accuracy_snr: float  # integrated SNR (linear) at which the sigmas hold
    accuracy_floor_fraction: float = 0.1
    bias_range_m: float = 0.0
    bias_az_deg: float = 0.0
    bias_el_deg: float = 0.0
    #: A weapon-locating radar's fence and track-dwell time line (schema `Dwells`).
    dwells: Any = None
    #: The radar whose track channel this is (`track_channel`); None for a radar.
    channel_of: str | None = None
    #: 1-σ of the systematic errors a run draws (schema `BiasSigma`): range (m), north
    #: alignment and tilt (deg), survey (m per horizontal axis).
    bias_sigma_range_m: float = 0.0
    bias_sigma_az_deg: float = 0.0
    bias_sigma_el_deg: float = 0.0
    survey_sigma_m: float = 0.0
    #: The wandering errors (`gbad.sensors.radar_errors`): the floor's and multipath's
    #: correlation times, the ground's reflection coefficient.
    floor_correlation_s: float = 5.0
    multipath_reflection: float = 0.0
    multipath_correlation_s: float = 0.3
    #: Drawn per run (`with_drawn_errors`): elevation left by the standard refraction
    #: correction, per metre of slant range (rad/m), and the wandering processes (None:
    #: a perfect radar, whose floor is white and which has no multipath).
    refraction_residual_rad_per_m: float = 0.0
    wandering: WanderingErrors | None = None

    @classmethod
    def from_scenario(cls, radar: Radar, origin: Geodetic) -> RadarModel:
        lat, lon, alt = radar.position.to_geodetic(origin)
        n = radar.pulses
        if radar.reference is not None:
            ref = radar.reference
            snr_ref = float(snr_per_pulse_required(ref.pd, ref.pfa, n, radar.swerling))
            constant = snr_ref * ref.range_m**4 / ref.rcs_m2
            default_acc_snr = n * snr_ref
        else:
            wavelength = LIGHT_MPS / radar.frequency_hz
            gain = 10 ** (radar.gain_db / 10)
            noise = (
                BOLTZMANN_JPK
                * radar.system_temperature_k
                * 10 ** (radar.noise_figure_db / 10)
                * radar.bandwidth_hz
                * 10 ** (radar.losses_db / 10)
            )
            constant = radar.peak_power_w * gain**2 * wavelength**2 / ((4 * np.pi) ** 3 * noise)
            default_acc_snr = 10 ** (DEFAULT_ACCURACY_SNR_DB / 10)
        acc = radar.accuracy
        acc_snr = 10 ** (acc.at_snr_db / 10) if acc.at_snr_db is not None else default_acc_snr
        cov = radar.coverage
        sig = radar.bias_sigma.resolved(radar.role)
        return cls(
            id=radar.id,
            role=radar.role,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            ecef_m=np.array(geodetic2ecef(lat, lon, alt)),
            enu_rot=enu_rotation(lat, lon),
            snr_constant=float(constant),
            pfa=radar.false_alarm_probability,
            n_pulses=n,
            swerling=radar.swerling,
            scan_kind=radar.scan.kind,
            period_s=radar.scan.period_s,
            az_min_deg=cov.az_min_deg,
            az_width_deg=cov.az_width_deg,
            el_min_deg=cov.el_min_deg,
            el_max_deg=cov.el_max_deg,
            range_min_m=cov.range_min_m,
            range_max_m=cov.range_max_m,
            beamwidth_az_deg=radar.beamwidth_az_deg,
            beamwidth_el_deg=radar.beamwidth_el_deg,
            cell_range_m=radar.cell_range_m,
            sigma_range_m=acc.range_m,
            sigma_az_deg=acc.az_deg,
            sigma_el_deg=acc.el_deg,
            sigma_range_rate_mps=acc.range_rate_mps if acc.range_rate_mps is not None else np.nan,
            accuracy_snr=float(acc_snr),
            accuracy_floor_fraction=acc.floor_fraction,
            bias_range_m=radar.bias.range_m,
            bias_az_deg=radar.bias.az_deg,
            bias_el_deg=radar.bias.el_deg,
            dwells=radar.dwells
            if radar.dwells is not None or radar.role != "weapon_locating"
            else Dwells(),
            bias_sigma_range_m=sig["range_m"],
            bias_sigma_az_deg=sig["az_deg"],
            bias_sigma_el_deg=sig["el_deg"],
            survey_sigma_m=sig["survey_m"],
            floor_correlation_s=acc.floor_correlation_s,
            multipath_reflection=acc.multipath_reflection
            if acc.multipath_reflection is not None
            else (NOMINAL_MULTIPATH_REFLECTION if radar.role == "weapon_locating" else 0.0),
            multipath_correlation_s=acc.multipath_correlation_s,
        )

    @property
    def bias_sigma(self) -> Array:
        """The systematic errors' σ as the locator takes them: range (m), azimuth and
        elevation (rad), survey (m per horizontal axis)."""
        return np.array(
            [self.bias_sigma_range_m, np.radians(self.bias_sigma_az_deg),
             np.radians(self.bias_sigma_el_deg), self.survey_sigma_m]
        )  # fmt: skip

    def with_drawn_errors(
        self,
        rng: np.random.Generator,
        n_objects: int = 0,
        refraction_residual_rad_per_m: float = 0.0,
    ) -> RadarModel:
        """The radar as a run has it: its systematic errors drawn from their σ and added
        to the scenario's fixed bias, its antenna moved by the survey error (the scenario
        position stays what the tracker and the locator believe); with ``n_objects``,
        its angle floor and multipath wandering about each object; and the elevation
        error the standard refraction correction leaves. Without any of these, itself."""
        s = np.array(
            [self.bias_sigma_range_m, self.bias_sigma_az_deg, self.bias_sigma_el_deg,
             self.survey_sigma_m, self.survey_sigma_m]
        )  # fmt: skip
        if not np.any(s > 0) and n_objects == 0 and refraction_residual_rad_per_m == 0.0:
            return self
        d = rng.standard_normal(5) * s
        wander = None
        if n_objects:
            wander = WanderingErrors.draw(
                n_objects,
                (self.floor_correlation_s, self.floor_correlation_s, self.multipath_correlation_s),
                rng,
            )
        return replace(
            self,
            bias_range_m=self.bias_range_m + d[0],
            bias_az_deg=self.bias_az_deg + d[1],
            bias_el_deg=self.bias_el_deg + d[2],
            ecef_m=self.ecef_m + self.enu_rot.T @ np.array([d[3], d[4], 0.0]),
            refraction_residual_rad_per_m=refraction_residual_rad_per_m,
            wandering=wander,
        )

    def perfect(self) -> RadarModel:
        """This radar without systematic errors to draw (the ``ideal`` world's)."""
        return replace(
            self, bias_sigma_range_m=0.0, bias_sigma_az_deg=0.0, bias_sigma_el_deg=0.0,
            survey_sigma_m=0.0,
        )  # fmt: skip

    def track_channel(self) -> RadarModel:
        """This multifunction radar's track dwells as a radar of their own for the tracker.

        A dwell looks where a track is predicted, so at most one detection per track
        per `TRACK_DWELL_WINDOW_S`; it updates tracks but starts none, and a dwell that
        finds nothing is no miss of the search (scan kind ``dwell``).
        """
        return replace(
            self,
            id=f"{self.id}#track",
            scan_kind="dwell",
            period_s=TRACK_DWELL_WINDOW_S,
            channel_of=self.id,
        )

    # -- geometry -----------------------------------------------------------------------
    def aer(self, pos_ecef_m: Array, vel_ecef_mps: Array) -> tuple[Array, Array, Array, Array]:
        """Azimuth, elevation (deg), range (m) and range rate (m/s, + opening) of ECEF states."""
        rel = pos_ecef_m - self.ecef_m
        enu = rel @ self.enu_rot.T
        rng = np.linalg.norm(enu, axis=-1)
        az = np.degrees(np.arctan2(enu[..., 0], enu[..., 1])) % 360.0
        el = np.degrees(np.arctan2(enu[..., 2], np.hypot(enu[..., 0], enu[..., 1])))
        rr = np.sum(rel * vel_ecef_mps, axis=-1) / np.maximum(rng, 1e-9)
        return az, el, rng, rr

    def sector_offset_deg(self, az_deg: Array) -> Array:
        """Azimuth measured clockwise from the sector's start, in [0, 360)."""
        return (az_deg - self.az_min_deg) % 360.0

    def in_coverage(self, az_deg: Array, el_deg: Array, range_m: Array) -> NDArray[np.bool_]:
        return (
            (self.sector_offset_deg(az_deg) <= self.az_width_deg)
            & (el_deg >= self.el_min_deg)
            & (el_deg <= self.el_max_deg)
            & (range_m >= self.range_min_m)
            & (range_m <= self.range_max_m)
        )

    @property
    def raster_shape(self) -> tuple[int, int]:
        """Beam positions (elevation rows, azimuth columns) of an electronic search frame."""
        n_az = max(1, int(np.ceil(self.az_width_deg / self.beamwidth_az_deg)))
        n_el = max(1, int(np.ceil((self.el_max_deg - self.el_min_deg) / self.beamwidth_el_deg)))
        return n_el, n_az

    def phase(self, az_deg: Array, el_deg: Array) -> Array:
        """When in the scan period (0..1) the beam points at (az, el)."""
        if self.scan_kind == "rotating":
            return (np.asarray(az_deg) % 360.0) / 360.0
        offset = np.clip(self.sector_offset_deg(az_deg) / self.az_width_deg, 0.0, 1.0 - 1e-12)
        if self.scan_kind == "sector":
            return offset
        n_el, n_az = self.raster_shape
        col = np.floor(offset * n_az)
        row_frac = (np.asarray(el_deg) - self.el_min_deg) / (self.el_max_deg - self.el_min_deg)
        row = np.clip(np.floor(row_frac * n_el), 0, n_el - 1)
        return (row * n_az + col + 0.5) / (n_el * n_az)

    @property
    def n_cells(self) -> float:
        """Resolution cells searched per scan (range cells × beam positions)."""
        n_range = (self.range_max_m - self.range_min_m) / self.cell_range_m
        if self.scan_kind == "rotating":
            beams = 360.0 / self.beamwidth_az_deg
        else:
            beams = self.az_width_deg / self.beamwidth_az_deg
        beams *= max(1.0, (self.el_max_deg - self.el_min_deg) / self.beamwidth_el_deg)
        return n_range * beams

    def sigmas(self, snr_integrated: Array) -> tuple[Array, Array, Array, Array]:
        """1-σ noise of range, az, el and range rate at a look's integrated SNR.

        The thermal part scales as 1/√SNR (Barton); a fixed part, `floor_fraction` of
        the reference σ, stays however strong the echo.
        """
        thermal = self.accuracy_snr / np.maximum(snr_integrated, 1e-12)
        scale = np.sqrt(thermal + self.accuracy_floor_fraction**2)
        return (
            np.minimum(self.sigma_range_m * scale, SIGMA_MAX["range_sigma_m"]),
            np.minimum(self.sigma_az_deg * scale, SIGMA_MAX["az_sigma_deg"]),
            np.minimum(self.sigma_el_deg * scale, SIGMA_MAX["el_sigma_deg"]),
            np.minimum(self.sigma_range_rate_mps * scale, SIGMA_MAX["range_rate_sigma_mps"]),
        )


#: The most a look reports (and a detection file may hold) of each σ: an angle σ past
#: 90° or a range σ past 100 km says nothing (a weak echo of a radar given a coarse
#: accuracy gets there), and squared in the filters' conversions it overflows.
SIGMA_MAX = {
    "range_sigma_m": 1e5,
    "az_sigma_deg": 90.0,
    "el_sigma_deg": 90.0,
    "range_rate_sigma_mps": 1e4,
}


DETECTION_COLUMNS = (
    "t_s",
    "radar_id",
    "range_m",
    "az_deg",
    "el_deg",
    "range_rate_mps",
    "snr_db",
    "truth_id",
    "range_sigma_m",
    "az_sigma_deg",
    "el_sigma_deg",
    "range_rate_sigma_mps",
    "dwell_track_id",
)


def simulate_radar(
    radar: RadarModel,
    truth: Truth,
    rng: np.random.Generator,
    ground: object,
    refractivity_gradient_per_m: float = -39e-9,
    progress: Callable[[float], None] | None = None,
    occupancy: dict[str, NDArray] | None = None,
) -> dict[str, NDArray]:
    """All detections (true and false) of one radar over the truth's time span, time-ordered.

    A weapon-locating radar runs its fence and track dwells
    (:mod:`gbad.sensors.weapon_locating`) and fills ``occupancy`` when given.
    """
    t_end = float(truth.t_grid_s[-1])
    n_scans = int(np.ceil(t_end / radar.period_s))
    radius_m = effective_earth_radius_m(refractivity_gradient_per_m)
    if radar.dwells is not None:
        det, occ = simulate_weapon_locating(radar, truth, rng, ground, radius_m, progress)
        if occupancy is not None:
            occupancy.update(occ)
        det["radar_id"] = np.full(len(det["t_s"]), radar.id, dtype=object)
        return det
    chunks: list[dict[str, NDArray]] = []
    for first in range(0, n_scans, SCANS_PER_BLOCK):
        scans = np.arange(first, min(n_scans, first + SCANS_PER_BLOCK))
        chunks.append(_target_looks(radar, truth, scans, rng, ground, radius_m))
        chunks.append(_false_alarms(radar, scans, rng, t_end))
        if progress:
            progress(len(scans) / n_scans)
    out = {
        k: np.concatenate([c[k] for c in chunks])
        for k in DETECTION_COLUMNS
        if k not in ("radar_id", "dwell_track_id")
    }
    out["dwell_track_id"] = np.full(len(out["t_s"]), -1, dtype=np.int64)
    order = np.argsort(out["t_s"], kind="stable")
    out = {k: v[order] for k, v in out.items()}
    out["radar_id"] = np.full(len(order), radar.id, dtype=object)
    return out


def simulate_track_dwells(
    radar: RadarModel,
    truth: Truth,
    obj: NDArray[np.intp],
    t_s: NDArray,
    dwell_track_id: NDArray[np.int64],
    rng: np.random.Generator,
    ground: object,
    refractivity_gradient_per_m: float = -39e-9,
) -> dict[str, NDArray]:
    """Detections of a multifunction radar's booked track dwells, time-ordered.

    Dwell d points the beam at truth object ``obj[d]`` (index into `truth`) at
    ``t_s[d]``: the object its track follows, where the track predicts it. It sees
    the object if alive, in coverage and over the horizon, and detects it with the
    radar's own Swerling statistics and accuracy. Columns as `simulate_radar`, with
    ``dwell_track_id`` the booked track.
    """
    obj = np.asarray(obj, dtype=np.intp)
    t_s = np.asarray(t_s, dtype=float)
    radius_m = effective_earth_radius_m(refractivity_gradient_per_m)
    seen, az, el, rng_m, rr, _ = looks_at(radar, truth, obj, t_s, ground, radius_m)
    idx = np.flatnonzero(seen)
    snr_mean = radar.snr_constant * truth.rcs_m2[obj[idx]] / rng_m[idx] ** 4
    detected, snr_look = draw_looks(snr_mean, radar.pfa, radar.n_pulses, radar.swerling, rng)
    d = idx[detected]
    out = measured(
        radar, t_s[d], truth.object_id[obj[d]], az[d], el[d], rng_m[d], rr[d],
        snr_look[detected], rng,
    )  # fmt: skip
    out["dwell_track_id"] = np.asarray(dwell_track_id, dtype=np.int64)[d]
    order = np.argsort(out["t_s"], kind="stable")
    out = {k: v[order] for k, v in out.items()}
    out["radar_id"] = np.full(len(order), radar.id, dtype=object)
    return out


def _target_looks(
    radar: RadarModel,
    truth: Truth,
    scans: NDArray[np.int64],
    rng: np.random.Generator,
    ground: object,
    radius_m: float,
) -> dict[str, NDArray]:
    t_scan = scans * radar.period_s
    obj, k = np.meshgrid(np.arange(truth.n_objects), np.arange(len(scans)), indexing="ij")
    obj, k = obj.ravel(), k.ravel()
    t0 = t_scan[k]
    live = (truth.t_start_s[obj] <= t0 + radar.period_s) & (truth.t_end_s[obj] >= t0)
    obj, t0 = obj[live], t0[live]
    # Fixed point: look time from the object's direction, direction at the look time.
    t = t0 + 0.5 * radar.period_s
    for _ in range(3):
        pos, vel, _ = truth.state_at(obj, t)
        az, el, _, _ = radar.aer(pos, vel)
        t = t0 + radar.phase(az, el) * radar.period_s
    seen, az, el, rng_m, rr, _ = looks_at(radar, truth, obj, t, ground, radius_m)
    idx = np.flatnonzero(seen & (t <= truth.t_grid_s[-1]))
    obj, t, az, el, rng_m, rr = obj[idx], t[idx], az[idx], el[idx], rng_m[idx], rr[idx]

    snr_mean = radar.snr_constant * truth.rcs_m2[obj] / rng_m**4
    detected, snr_look = draw_looks(snr_mean, radar.pfa, radar.n_pulses, radar.swerling, rng)
    d = np.flatnonzero(detected)
    return measured(
        radar, t[d], truth.object_id[obj[d]], az[d], el[d], rng_m[d], rr[d], snr_look[d], rng
    )


def _false_alarms(
    radar: RadarModel, scans: NDArray[np.int64], rng: np.random.Generator, t_end: float
) -> dict[str, NDArray]:
    counts = rng.poisson(radar.pfa * radar.n_cells, size=len(scans))
    n = int(counts.sum())
    t0 = np.repeat(scans * radar.period_s, counts)
    width = 360.0 if radar.scan_kind == "rotating" else radar.az_width_deg
    az = (radar.az_min_deg + width * rng.random(n)) % 360.0
    el = radar.el_min_deg + (radar.el_max_deg - radar.el_min_deg) * rng.random(n)
    rng_m = radar.range_min_m + (radar.range_max_m - radar.range_min_m) * rng.random(n)
    # No radar reports inside its first metre (the detection file's bound; a radar with
    # no blind range given would otherwise, once in ~range_max_m false alarms).
    rng_m = np.maximum(rng_m, MIN_RANGE_M)
    rr = FALSE_ALARM_RANGE_RATE_MPS * (2 * rng.random(n) - 1)
    snr = draw_false_alarm_snr(n, radar.pfa, radar.n_pulses, rng)
    t = t0 + radar.phase(az, el) * radar.period_s
    s_r, s_az, s_el, s_rr = radar.sigmas(snr)
    keep = t <= t_end
    if np.isnan(radar.sigma_range_rate_mps):
        rr = np.full(n, np.nan)
    out = {
        "t_s": t,
        "range_m": rng_m,
        "az_deg": az,
        "el_deg": el,
        "range_rate_mps": rr,
        "snr_db": 10 * np.log10(snr),
        "truth_id": np.full(n, -1, dtype=np.int64),
        "range_sigma_m": s_r,
        "az_sigma_deg": s_az,
        "el_sigma_deg": s_el,
        "range_rate_sigma_mps": s_rr,
    }
    return {k: v[keep] for k, v in out.items()}
