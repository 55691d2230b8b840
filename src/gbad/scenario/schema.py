"""The scenario file's schema: typed, validated, units in every key.

Every table forbids unknown keys (with a "did you mean" for near misses);
every number carries its range. `docs/scenario.md` documents each key; keep
the two in step.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from gbad.scenario.laydown_table import LaydownTable
from gbad.scenario.primitives import (  # noqa: F401  (re-exported: the schema's names)
    BALLISTIC_KINDS,
    DEFAULT_BANK_DEG,
    DEFAULT_MUNITION,
    DEFAULT_RCS_M2,
    GEODETIC_KEYS,
    INTERCEPTOR_NAMES,
    LOCAL_KEYS,
    MUNITION_NAMES,
    ROUTE_KINDS,
    THREAT_KINDS,
    Altitude,
    CandidateCircle,
    Geodetic,
    Identifier,
    Latitude,
    Longitude,
    NonNegFloat,
    PosFloat,
    Position,
    Probability,
    RoutePoint,
    Strict,
    _check_position_keys,
)


class AsterixSource(Strict):
    """An ASTERIX data source identifier (I048/010, I062/010): System Area Code and
    System Identification Code, one octet each."""

    sac: Annotated[int, Field(ge=0, le=255)]
    sic: Annotated[int, Field(ge=0, le=255)]


class ScenarioHeader(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    origin: Geodetic
    duration_s: Annotated[float, Field(gt=0, le=86400)]
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    description: str = ""
    #: Not finer than the truth's own 0.1 s grid by more than ten (rows are interpolated).
    truth_interval_s: Annotated[float, Field(ge=0.01, le=60)] = 1.0
    refractivity_gradient_per_m: Annotated[float, Field(gt=-157e-9, le=0)] = -39e-9
    dem: str | None = None
    dem_height_offset_m: Annotated[float, Field(ge=-200, le=200)] = 0.0
    #: The fused air picture's source as ASTERIX CAT062 names it (`gbad stream`).
    asterix: AsterixSource = AsterixSource(sac=0, sic=100)


class Asset(Strict):
    id: Identifier
    position: Position
    radius_m: Annotated[float, Field(gt=0, le=1e5)] = 1000.0
    value: NonNegFloat = 1.0


class Reference(Strict):
    range_m: PosFloat
    rcs_m2: PosFloat
    pd: Probability
    pfa: Probability = 1e-6

    @model_validator(mode="after")
    def _detects_more_than_noise(self) -> Reference:
        if self.pd <= self.pfa:
            raise ValueError(
                f"pd ({self.pd}) must exceed pfa ({self.pfa}): a radar detects its reference "
                "target more often than it raises a false alarm"
            )
        return self


class Scan(Strict):
    kind: Literal["rotating", "sector", "electronic"]
    #: A scan, sweep or frame takes at least 10 ms (the fastest beam agility is ~µs a
    #: beam, but a frame of beams is milliseconds at least).
    period_s: Annotated[float, Field(ge=0.01, le=600)]


class Coverage(Strict):
    az_min_deg: Annotated[float, Field(ge=0, lt=360)] = 0.0
    az_max_deg: Annotated[float, Field(gt=0, le=360)] = 360.0
    el_min_deg: Annotated[float, Field(ge=-10, lt=90)] = 0.0
    el_max_deg: Annotated[float, Field(gt=-10, le=90)] = 60.0
    range_min_m: NonNegFloat = 0.0
    #: Out to 2,000 km: past any ground-based air-defence radar's instrumented range.
    range_max_m: Annotated[float, Field(gt=0, le=2e6)]

    @model_validator(mode="after")
    def _ordered(self) -> Coverage:
        if self.el_min_deg >= self.el_max_deg:
            raise ValueError(
                f"el_min_deg ({self.el_min_deg}) must be below el_max_deg ({self.el_max_deg})"
            )
        if self.range_min_m >= self.range_max_m:
            raise ValueError(
                f"range_min_m ({self.range_min_m}) must be below range_max_m ({self.range_max_m})"
            )
        if self.az_min_deg == self.az_max_deg:
            raise ValueError(
                "az_min_deg equals az_max_deg: an empty sector; use 0 and 360 for all round"
            )
        return self

    @property
    def az_width_deg(self) -> float:
        """Sector width, wrapping through north when az_min_deg > az_max_deg."""
        return (self.az_max_deg - self.az_min_deg) % 360.0 or 360.0


class Accuracy(Strict):
    """1-σ measurement noise at the reference SNR; it scales as 1/√SNR."""

    range_m: PosFloat
    az_deg: PosFloat
    el_deg: PosFloat
    range_rate_mps: PosFloat | None = None
    at_snr_db: Annotated[float, Field(ge=-10, le=60)] | None = None
    #: The share of each σ that no SNR removes (glint, quantisation, residual
    #: calibration), added in quadrature: σ² = σ_ref²·SNR_ref/SNR + (floor·σ_ref)².
    floor_fraction: Annotated[float, Field(ge=0, le=1)] = 0.1
    #: The angle floor wanders with this correlation time (s): it does not average away
    #: (a monopulse calibration residual changes slowly as a target crosses the array).
    floor_correlation_s: Annotated[float, Field(gt=0, le=600)] = 5.0
    #: Ground reflection coefficient ρ for low-angle multipath on elevation (0: none).
    #: Default 0.3 for a weapon-locating radar, whose fence skims the horizon, else 0
    #: (not modelled).
    multipath_reflection: Annotated[float, Field(ge=0, le=1)] | None = None
    multipath_correlation_s: Annotated[float, Field(gt=0, le=60)] = 0.3


class Bias(Strict):
    """A radar's registration error: added to every measurement it reports."""

    range_m: Annotated[float, Field(ge=-1000, le=1000)] = 0.0
    az_deg: Annotated[float, Field(ge=-10, le=10)] = 0.0
    el_deg: Annotated[float, Field(ge=-10, le=10)] = 0.0


class BiasSigma(Strict):
    """A radar's systematic errors as a 1-σ per source: drawn once per run for the truth
    (what the radar really has), known to the locator only as these σ. Keys left out
    take the role's nominal value (`NOMINAL_BIAS_SIGMA`)."""

    range_m: Annotated[float, Field(ge=0, le=1000)] | None = None
    #: North alignment.
    az_deg: Annotated[float, Field(ge=0, le=10)] | None = None
    #: Tilt (levelling), taken as an elevation error.
    el_deg: Annotated[float, Field(ge=0, le=10)] | None = None
    #: Emplacement survey: horizontal position error per axis.
    survey_m: Annotated[float, Field(ge=0, le=1000)] | None = None

    def resolved(self, role: str) -> dict[str, float]:
        """Every σ, the role's nominal one where this table leaves it out."""
        nominal = NOMINAL_BIAS_SIGMA.get(role, {})
        return {
            k: float(v) if (v := getattr(self, k)) is not None else nominal.get(k, 0.0)
            for k in ("range_m", "az_deg", "el_deg", "survey_m")
        }


#: A weapon-locating radar's systematic errors when the scenario gives none
#: (docs/references.md, "Weapon-locating accuracy" [nominal]): range bias 3 m, north
#: alignment 1 mrad, levelling 0.3 mrad, survey 4 m per axis. Other roles: none
#: (the air picture's registration errors are not modelled unless given).
NOMINAL_BIAS_SIGMA: dict[str, dict[str, float]] = {
    "weapon_locating": {
        "range_m": 3.0,
        "az_deg": float(np.degrees(1.0e-3)),
        "el_deg": float(np.degrees(0.3e-3)),
        "survey_m": 4.0,
    }
}


class Dwells(Strict):
    """A weapon-locating radar's time line: a search fence plus track dwells on projectiles.

    The fence is ``fence_rows`` rows of beams from ``coverage.el_min_deg`` across the
    sector. A fence detection opens a track that gets one dwell every
    1/``track_rate_hz`` s for ``track_time_s`` (or until it is lost); when the tracks
    want more than ``1 - search_share_min`` of the time, the oldest-served are served
    first and everyone's rate falls, while the fence keeps its minimum share.
    """

    search_dwell_s: Annotated[float, Field(gt=0, le=0.1)] = 0.002
    track_dwell_s: Annotated[float, Field(gt=0, le=0.1)] = 0.002
    track_pulses: Annotated[int, Field(ge=1, le=10000)] | None = None
    track_rate_hz: Annotated[float, Field(gt=0, le=200)] = 20.0
    track_time_s: Annotated[float, Field(gt=0, le=120)] = 4.0
    fence_rows: Annotated[int, Field(ge=1, le=20)] = 2
    search_share_min: Annotated[float, Field(ge=0.05, le=0.95)] = 0.25
    #: Consecutive missed dwells that drop a track (one, before its second detection).
    drop_misses: Annotated[int, Field(ge=1, le=50)] = 3


#: Where `gbad laydown` may put an item: a circle, or a GeoJSON polygon file (lon/lat)
#: in the scenario's folder.
Candidates = CandidateCircle | Annotated[str, Field(min_length=1)]


class Radar(Strict):
    id: Identifier
    role: Literal["surveillance", "multifunction", "weapon_locating"]
    position: Position
    frequency_hz: Annotated[float, Field(ge=1e8, le=1e11)]
    reference: Reference | None = None
    peak_power_w: PosFloat | None = None
    gain_db: Annotated[float, Field(ge=0, le=70)] | None = None
    noise_figure_db: Annotated[float, Field(ge=0, le=30)] | None = None
    bandwidth_hz: Annotated[float, Field(gt=0, le=1e10)] | None = None
    losses_db: Annotated[float, Field(ge=0, le=50)] = 0.0
    system_temperature_k: Annotated[float, Field(gt=0, le=5000)] = 290.0
    pfa: Probability | None = None
    swerling: Annotated[int, Field(ge=0, le=4)] = 1
    pulses: Annotated[int, Field(ge=1, le=10000)] = 1
    scan: Scan
    coverage: Coverage
    accuracy: Accuracy
    #: No antenna here is finer than 0.05 deg (a 20 m dish at X band is 0.1 deg).
    beamwidth_az_deg: Annotated[float, Field(ge=0.05, le=90)] = 1.5
    beamwidth_el_deg: Annotated[float, Field(ge=0.05, le=90)] = 1.5
    #: At least 0.1 m (1.5 GHz of bandwidth): the cell count sets the false alarms.
    range_resolution_m: Annotated[float, Field(ge=0.1, le=1e4)] | None = None
    bias: Bias = Bias()
    bias_sigma: BiasSigma = BiasSigma()
    #: Weapon-locating radars only: the fence and track-dwell time line.
    dwells: Dwells | None = None
    #: Its plots' source in ASTERIX CAT048 and CAT034 (`gbad stream`; `gbad track` reads
    #: a recording's plots by it); default SAC 0 and SIC its place in `radars` from 1.
    asterix: AsterixSource | None = None
    #: Where `gbad laydown` may put it: a circle, or a GeoJSON polygon file (lon/lat) in
    #: the scenario's folder; and its antenna's height above the ground there (default:
    #: as at its own site).
    candidates: Candidates | None = None
    mast_m: Annotated[float, Field(ge=0, le=500)] | None = None

    @model_validator(mode="after")
    def _one_sensitivity(self) -> Radar:
        if self.dwells is not None and self.role != "weapon_locating":
            raise ValueError(
                f"`dwells` belongs to a weapon_locating radar; this radar's role is {self.role!r}"
            )
        equation_keys = ("peak_power_w", "gain_db", "noise_figure_db", "bandwidth_hz")
        given = [k for k in equation_keys if getattr(self, k) is not None]
        if self.reference is not None and given:
            raise ValueError(
                f"give either `reference` or the radar-equation terms, not both (found {given})"
            )
        if self.reference is None and not given:
            raise ValueError(
                "no sensitivity: give `reference = { range_m, rcs_m2, pd, pfa }` "
                f"or the radar-equation terms {list(equation_keys)}"
            )
        if self.reference is None:
            missing = [k for k in equation_keys if getattr(self, k) is None]
            if missing:
                raise ValueError(f"radar-equation sensitivity is missing {missing}")
        if self.reference is not None and self.pfa is not None:
            raise ValueError("pfa belongs inside `reference` when a reference point is given")
        if self.coverage.range_max_m <= self.coverage.range_min_m:
            raise ValueError("coverage.range_max_m must exceed coverage.range_min_m")
        return self

    @property
    def false_alarm_probability(self) -> float:
        if self.reference is not None:
            return self.reference.pfa
        return self.pfa if self.pfa is not None else 1e-6

    @property
    def cell_range_m(self) -> float:
        """Range-cell size: given, from the bandwidth (c/2B), or 150 m."""
        if self.range_resolution_m is not None:
            return self.range_resolution_m
        if self.bandwidth_hz is not None:
            return 299_792_458.0 / (2.0 * self.bandwidth_hz)
        return 150.0


class Launcher(Strict):
    id: Identifier
    position: Position
    missiles: Annotated[int, Field(ge=0, le=64)] = 8
    #: Where `gbad laydown` may put it (as a radar's `candidates`).
    candidates: Candidates | None = None


class InterceptorSpec(Strict):
    """An inline interceptor: a built-in profile with nominal figures overridden."""

    base: Literal["cheongung-1", "cheongung-2"]
    speed_mps: Annotated[float, Field(gt=0, le=5000)] | None = None
    range_max_m: PosFloat | None = None
    altitude_max_m: PosFloat | None = None


Doctrine = Literal["shoot-look-shoot", "salvo-2"]


class DoctrineByClass(Strict):
    """Doctrine per kind of target the station has labelled a track with."""

    aircraft: Doctrine = "shoot-look-shoot"
    cruise_missile: Doctrine = "shoot-look-shoot"
    uav: Doctrine = "shoot-look-shoot"
    ballistic: Doctrine = "salvo-2"
    artillery: Doctrine = "shoot-look-shoot"


class KillAssessmentSpec(Strict):
    """How often the radar's kill assessment is wrong (nominal defaults)."""

    p_false_kill: Annotated[float, Field(ge=0, le=1)] = 0.05
    p_missed_kill: Annotated[float, Field(ge=0, le=1)] = 0.10


class Battery(Strict):
    id: Identifier
    radar: Identifier
    launchers: Annotated[list[Launcher], Field(min_length=1)]
    interceptor: Literal["cheongung-1", "cheongung-2"] | InterceptorSpec = "cheongung-2"
    #: One doctrine for every target, or a table by the station's kind of target.
    doctrine: Doctrine | DoctrineByClass = Field(default_factory=DoctrineByClass)
    #: Interceptors the radar can guide at once (uplink channels) [nominal].
    fire_control_channels: Annotated[int, Field(ge=1, le=64)] = 6
    #: Shells, mortar bombs and artillery rockets are engaged only when this is set:
    #: a Cheongung battery is not a counter-rocket system.
    engage_rounds: bool = False
    kill_assessment: KillAssessmentSpec = Field(default_factory=KillAssessmentSpec)
    reaction_time_s: NonNegFloat = 5.0
    #: A launcher fires at most one interceptor per this interval (s).
    launch_interval_s: Annotated[float, Field(gt=0, le=600)] = 2.0
    #: An empty launcher with reloads left is full again after this (s).
    reload_s: Annotated[float, Field(gt=0, le=86400)] = 900.0
    reloads: Annotated[int, Field(ge=0, le=100)] = 0
    #: Where `gbad laydown` may put the battery whole: its radar's site, the launchers
    #: keeping their places about it.
    candidates: Candidates | None = None

    @model_validator(mode="after")
    def _doctrine_possible(self) -> Battery:
        total = sum(ln.missiles for ln in self.launchers)
        salvo = (
            self.doctrine == "salvo-2"
            if isinstance(self.doctrine, str)
            else "salvo-2" in self.doctrine.model_dump().values()
        )
        if salvo and total < 2:
            raise ValueError(
                f"doctrine 'salvo-2' fires two interceptors at a target, but the battery's "
                f"launchers hold {total} in all; give them at least 2 or use 'shoot-look-shoot'"
            )
        return self

    @field_validator("interceptor", mode="before")
    @classmethod
    def _interceptor_name(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in INTERCEPTOR_NAMES:
            close = difflib.get_close_matches(value, INTERCEPTOR_NAMES, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"unknown interceptor profile {value!r}{hint}; built-in profiles: "
                f"{', '.join(INTERCEPTOR_NAMES)}, or an inline table with `base`"
            )
        return value


class Threat(Strict):
    id: Identifier
    kind: Literal[
        "aircraft", "cruise_missile", "uav", "ballistic_missile", "shell", "mortar", "rocket"
    ]
    rcs_m2: PosFloat | None = None
    # waypoint flight
    route: list[RoutePoint] | None = None
    max_bank_deg: Annotated[float, Field(gt=0, lt=90)] | None = None
    # ballistic flight
    munition: str | None = None
    launch: Position | None = None
    aim: Position | None = None
    quadrant_elevation_deg: Annotated[float, Field(gt=0, lt=90)] | None = None
    azimuth_deg: Annotated[float, Field(ge=0, lt=360)] | None = None
    charge: Annotated[int, Field(ge=0, le=20)] | None = None
    trajectory: Literal["low", "high"] | None = None
    t_launch_s: NonNegFloat = 0.0
    count: Annotated[int, Field(ge=1, le=1000)] = 1
    interval_s: NonNegFloat = 0.0
    dispersion: bool = True

    @model_validator(mode="after")
    def _by_kind(self) -> Threat:
        if self.kind in ROUTE_KINDS:
            self._check_route()
        else:
            self._check_ballistic()
        return self

    def _check_route(self) -> None:
        ballistic_keys = [
            k
            for k in (
                "munition",
                "launch",
                "aim",
                "quadrant_elevation_deg",
                "azimuth_deg",
                "charge",
            )
            if getattr(self, k) is not None
        ]
        if ballistic_keys:
            raise ValueError(
                f"a {self.kind} flies a `route`; {ballistic_keys} belong to ballistic kinds "
                f"({', '.join(BALLISTIC_KINDS)})"
            )
        if self.count != 1:
            raise ValueError(f"count applies to ballistic kinds; give each {self.kind} its own id")
        if self.route is None or len(self.route) < 2:
            n = 0 if self.route is None else len(self.route)
            raise ValueError(f"a {self.kind} needs a `route` of at least 2 points (got {n})")
        for i, point in enumerate(self.route[1:], start=1):
            if point.t_s is not None:
                raise ValueError(
                    f"route[{i}].t_s: only the first point takes a time; later points take speed_mps"
                )
        if all(p.speed_mps is None for p in self.route):
            raise ValueError("a route needs speed_mps on at least one point")

    def _check_ballistic(self) -> None:
        if self.route is not None:
            raise ValueError(
                f"a {self.kind} is ballistic: give `launch` and `aim` (or quadrant_elevation_deg "
                "and azimuth_deg), not a `route`"
            )
        if self.max_bank_deg is not None:
            raise ValueError("max_bank_deg applies to route flight, not ballistic kinds")
        if self.munition is not None and self.munition not in MUNITION_NAMES:
            close = difflib.get_close_matches(self.munition, MUNITION_NAMES, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"munition: unknown profile {self.munition!r}{hint}; built-in profiles: "
                f"{', '.join(MUNITION_NAMES)}"
            )
        munition = self.munition_name
        if DEFAULT_MUNITION[self.kind] != munition:
            raise ValueError(
                f"munition {munition!r} is a {_munition_kind(munition)} profile but the threat "
                f"kind is {self.kind!r}; use kind = {_munition_kind(munition)!r} or munition = "
                f"{DEFAULT_MUNITION[self.kind]!r}"
            )
        if self.launch is None:
            raise ValueError(f"a {self.kind} needs a `launch` position")
        angles = (self.quadrant_elevation_deg, self.azimuth_deg)
        if self.aim is not None and any(a is not None for a in angles):
            raise ValueError("give either `aim` or quadrant_elevation_deg + azimuth_deg, not both")
        if self.aim is None and any(a is None for a in angles):
            raise ValueError(
                "a ballistic threat needs `aim` or both quadrant_elevation_deg and azimuth_deg"
            )
        if self.count > 1 and self.interval_s <= 0 and self.kind != "rocket":
            raise ValueError(f"count = {self.count} needs interval_s > 0 between rounds")

    @property
    def munition_name(self) -> str | None:
        """The munition profile of a ballistic threat; None for route flight."""
        return self.munition or DEFAULT_MUNITION.get(self.kind)

    @property
    def rcs(self) -> float:
        return self.rcs_m2 if self.rcs_m2 is not None else DEFAULT_RCS_M2[self.kind]


def _munition_kind(name: str) -> str:
    return next(k for k, v in DEFAULT_MUNITION.items() if v == name)


class TrackerConfig(Strict):
    """How `gbad run` and `gbad track` turn detections into tracks."""

    filter: Literal["ekf", "ukf", "cmkf", "imm"] = "ekf"
    association: Literal["gnn", "jpda"] = "gnn"
    #: Power spectral density q of the motion model's continuous white-noise
    #: acceleration (m²/s³): over a step dt the velocity gains variance q·dt.
    process_noise_m2ps3: Annotated[float, Field(gt=0, le=1e6)] = 100.0
    gate_probability: Annotated[float, Field(gt=0.5, lt=1)] = 0.9997
    confirm_m: Annotated[int, Field(ge=1, le=50)] = 3
    confirm_n: Annotated[int, Field(ge=1, le=50)] = 5
    #: Consecutive looks without a detection that delete a confirmed track.
    delete_misses: Annotated[int, Field(ge=1, le=100)] = 5
    #: A track whose position 1-σ (RMS over the axes) grows past this is deleted (m).
    max_position_sigma_m: Annotated[float, Field(gt=0, le=1e6)] = 5000.0
    #: A track with no detection for this long is deleted, looked at or not (s).
    max_coast_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    #: 1-σ of a new track's velocity in each axis (m/s).
    #: Bounded by what flies: 20 km/s is past any ballistic missile.
    initial_velocity_sigma_mps: Annotated[float, Field(gt=0, le=20000)] = 1000.0
    #: No target is faster: a one-detection track's second detection must be reachable.
    max_speed_mps: Annotated[float, Field(gt=0, le=20000)] = 3500.0
    use_range_rate: bool = True
    #: Probability of detection and clutter density assumed by JPDA.
    pd: Probability = 0.8
    #: GOSPA/OSPA cut-off, also the gate of track-to-truth assignment in scoring (m).
    metric_cutoff_m: Annotated[float, Field(gt=0, le=1e6)] = 1000.0

    @model_validator(mode="after")
    def _m_of_n(self) -> TrackerConfig:
        if self.confirm_m > self.confirm_n:
            raise ValueError(
                f"confirm_m ({self.confirm_m}) cannot exceed confirm_n ({self.confirm_n}): "
                "a track is confirmed on M detections in its first N looks"
            )
        return self


class LocatorConfig(Strict):
    """How weapon-locating radar tracks become points of origin, impact and warnings."""

    #: A track needs this many detections and this long a span to be located.
    min_detections: Annotated[int, Field(ge=4, le=10000)] = 8
    min_track_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    #: A fit worse than this (χ² per degree of freedom) is not a ballistic trajectory.
    max_chi2_dof: Annotated[float, Field(gt=1, le=1e6)] = 3.0
    #: A track flying within this angle of level (deg) is an aircraft, not a round.
    min_flight_path_deg: Annotated[float, Field(ge=0, le=45)] = 5.0
    #: A point of origin less certain than this (CEP, m) is not reported.
    max_poo_cep_m: PosFloat = 2000.0
    #: Stop looking for the ground after this much flight (s).
    max_flight_s: Annotated[float, Field(gt=0, le=3600)] = 300.0
    #: The locator re-solves each growing track this often, for warnings (s).
    update_interval_s: Annotated[float, Field(ge=0.05, le=60)] = 0.5
    #: Warn when the impact region holding this probability touches an asset …
    alert_probability: Annotated[float, Field(gt=0.5, lt=1)] = 0.95
    #: … once the impact point's CEP is below this (m).
    alert_max_poi_cep_m: PosFloat = 500.0
    #: The alert sounds this long after the solution that raised it: command and
    #: control plus the siren (s) [assumption, nominal 2-3 s].
    alert_latency_s: Annotated[float, Field(ge=0, le=60)] = 2.5


class Variability(Strict):
    """The world's variability: what the truth draws per run (the weather, the lots of
    ammunition, the refraction of the day, the error of the locator's map), each a 1-σ
    about its nominal value. Estimators know these σ, never the drawn values.

    Defaults are nominal (docs/references.md, "Weapon-locating accuracy"); ``ideal``
    turns every draw off, radars' systematic errors included, for efficiency checks.
    """

    #: A perfect world: calm standard air, nominal rounds, radars without systematic
    #: errors, the locator's ground exact.
    ideal: bool = False
    #: Wind per horizontal component near the ground and at 8 km and above (linear
    #: between), correlated between heights over ``wind_correlation_m``.
    wind_sigma_mps: Annotated[float, Field(ge=0, le=30)] = 4.0
    wind_sigma_aloft_mps: Annotated[float, Field(ge=0, le=60)] = 10.0
    wind_correlation_m: Annotated[float, Field(gt=0, le=50e3)] = 2000.0
    #: Air density and temperature departures from the US 1976 atmosphere.
    density_sigma_frac: Annotated[float, Field(ge=0, le=0.2)] = 0.03
    temperature_sigma_k: Annotated[float, Field(ge=0, le=40)] = 6.0
    #: Drag (C_D·A) per lot (a threat's rounds share one) and round to round.
    drag_lot_sigma_frac: Annotated[float, Field(ge=0, le=0.3)] = 0.03
    drag_round_sigma_frac: Annotated[float, Field(ge=0, le=0.3)] = 0.01
    #: A rocket motor's total impulse per salvo (a threat) and round to round.
    impulse_lot_sigma_frac: Annotated[float, Field(ge=0, le=0.2)] = 0.02
    impulse_round_sigma_frac: Annotated[float, Field(ge=0, le=0.2)] = 0.01
    #: Its burn time (the propellant's temperature: a warm motor burns faster, at the
    #: same impulse) per salvo and round to round.
    burn_time_lot_sigma_frac: Annotated[float, Field(ge=0, le=0.3)] = 0.07
    burn_time_round_sigma_frac: Annotated[float, Field(ge=0, le=0.3)] = 0.02
    #: The day's refractivity gradient about the scenario's (per m); radars correct
    #: their elevations with the standard gradient.
    refractivity_sigma_per_m: Annotated[float, Field(ge=0, le=100e-9)] = 50e-9
    #: The locator's ground against the truth's: a smooth error field (SRTM-class).
    terrain_sigma_m: Annotated[float, Field(ge=0, le=200)] = 10.0
    terrain_correlation_m: Annotated[float, Field(gt=0, le=50e3)] = 1000.0


class Scenario(Strict):
    scenario: ScenarioHeader
    variability: Variability = Variability()
    tracker: TrackerConfig = TrackerConfig()
    locator: LocatorConfig = LocatorConfig()
    assets: list[Asset] = Field(default_factory=list)
    radars: list[Radar] = Field(default_factory=list)
    batteries: list[Battery] = Field(default_factory=list)
    threats: list[Threat] = Field(default_factory=list)
    laydown: LaydownTable = LaydownTable()

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        for table in ("assets", "radars", "batteries", "threats"):
            seen: dict[str, int] = {}
            for i, item in enumerate(getattr(self, table)):
                if item.id in seen:
                    raise ValueError(
                        f"{table}[{i}].id: duplicate id {item.id!r} (first used at {table}[{seen[item.id]}])"
                    )
                seen[item.id] = i
        radar_ids = {r.id: r for r in self.radars}
        sources: dict[tuple[int, int], str] = {}
        for i, radar in enumerate(self.radars):
            src = asterix_source(self, i)
            if src in sources:
                raise ValueError(
                    f"radars[{i}].asterix: SAC {src[0]} / SIC {src[1]} is {sources[src]!r}'s "
                    "already; each radar needs its own"
                )
            sources[src] = radar.id
        launcher_ids: dict[str, str] = {}
        for i, battery in enumerate(self.batteries):
            if battery.radar not in radar_ids:
                close = difflib.get_close_matches(battery.radar, list(radar_ids), n=1, cutoff=0.5)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(
                    f"batteries[{i}].radar: no radar with id {battery.radar!r}{hint}; "
                    f"radars: {', '.join(radar_ids) or 'none defined'}"
                )
            if radar_ids[battery.radar].role != "multifunction":
                raise ValueError(
                    f"batteries[{i}].radar: {battery.radar!r} has role "
                    f"{radar_ids[battery.radar].role!r}; a battery needs a multifunction radar"
                )
            for j, launcher in enumerate(battery.launchers):
                if launcher.id in launcher_ids:
                    raise ValueError(
                        f"batteries[{i}].launchers[{j}].id: duplicate launcher id {launcher.id!r}"
                    )
                launcher_ids[launcher.id] = battery.id
            if battery.candidates is not None:
                apart = [f"radar {battery.radar!r}"] * (
                    radar_ids[battery.radar].candidates is not None
                )
                apart += [
                    f"launcher {ln.id!r}" for ln in battery.launchers if ln.candidates is not None
                ]
                if apart:
                    raise ValueError(
                        f"batteries[{i}].candidates moves the battery whole (its radar and "
                        f"launchers with it); remove `candidates` from its {', '.join(apart)}, "
                        "or from the battery to place them one by one"
                    )
        return self


def asterix_source(scenario: Scenario, index: int) -> tuple[int, int]:
    """(SAC, SIC) of ``scenario.radars[index]``: its own, or SAC 0 and SIC ``index + 1``."""
    own = scenario.radars[index].asterix
    return (own.sac, own.sic) if own is not None else (0, index + 1)
