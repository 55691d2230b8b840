"""The Python front door: everything a user scripts against, in one place.

>>> from gbad.api import load_builtin, simulate
>>> truth, detections, summary, timing = simulate(load_builtin("airbase-defence"))  # doctest: +SKIP

Names here are stable; modules behind them may move.
"""

from gbad.analysis.air_picture import score_air_picture
from gbad.analysis.engagement import score_engagements
from gbad.analysis.locating import score_locates
from gbad.analysis.metrics import associate_tracks_to_truth, gospa, gospa_over_time, ospa
from gbad.coverage import coverage_maps, engagement_zone, los_and_pd
from gbad.earth import (
    FlatGround,
    Terrain,
    aer2enu,
    ecef2aer,
    ecef2enu,
    ecef2geodetic,
    effective_earth_radius_m,
    enu2aer,
    enu2ecef,
    geodetic2ecef,
    geodetic2enu,
    geodetic2local,
    line_of_sight,
    local2geodetic,
    radar_horizon_range_m,
)
from gbad.engagement.control import EngagementResult, Station, run_engagements
from gbad.engagement.interceptor import fly_interceptors
from gbad.engagement.prediction import predict_intercept
from gbad.engagement.profiles import INTERCEPTORS, InterceptorProfile
from gbad.engagement.threat import evaluate as evaluate_threats
from gbad.engagement.wta import assign
from gbad.locating.cep import cep_m
from gbad.locating.locate import locate as locate_tracks
from gbad.locating.locator import LocatorResult, run_locator
from gbad.montecarlo import make_plan, parse_sweep, run_monte_carlo
from gbad.record import write_json, write_parquet
from gbad.runworld import drawn_radars, locator_ground, world_draw, world_sigma
from gbad.scenario.loader import (
    LoadedScenario,
    ScenarioError,
    builtin_names,
    load_builtin,
    load_scenario,
    parse_scenario,
)
from gbad.scenario.schema import Scenario
from gbad.sensors.detection import (
    detection_threshold,
    draw_looks,
    pd_from_snr,
    snr_per_pulse_required,
)
from gbad.sensors.detection_file import DetectionFileError, Detections, read_detections
from gbad.sensors.radar import RadarModel, simulate_radar
from gbad.sim import (
    ClosedLoop,
    RunResult,
    engage,
    fight,
    locate,
    run_scenario,
    score_tracks,
    simulate,
    track,
)
from gbad.tracking.tracker import Tracker, TrackerResult, TrackerSession
from gbad.world.aiming import solve_aim
from gbad.world.ballistic import Air, Flight, fly
from gbad.world.build import build_truth
from gbad.world.munitions import MUNITIONS, MunitionProfile
from gbad.world.truth import Truth
from gbad.world.variability import MappedGround, WorldDraw, WorldSigma, draw_world

__all__ = [
    "INTERCEPTORS",
    "MUNITIONS",
    "Air",
    "ClosedLoop",
    "DetectionFileError",
    "Detections",
    "EngagementResult",
    "FlatGround",
    "Flight",
    "InterceptorProfile",
    "LoadedScenario",
    "LocatorResult",
    "MappedGround",
    "MunitionProfile",
    "RadarModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Station",
    "Terrain",
    "Tracker",
    "TrackerResult",
    "TrackerSession",
    "Truth",
    "WorldDraw",
    "WorldSigma",
    "aer2enu",
    "assign",
    "associate_tracks_to_truth",
    "build_truth",
    "builtin_names",
    "cep_m",
    "coverage_maps",
    "detection_threshold",
    "draw_looks",
    "draw_world",
    "drawn_radars",
    "ecef2aer",
    "ecef2enu",
    "ecef2geodetic",
    "effective_earth_radius_m",
    "engage",
    "engagement_zone",
    "enu2aer",
    "enu2ecef",
    "evaluate_threats",
    "fight",
    "fly",
    "fly_interceptors",
    "geodetic2ecef",
    "geodetic2enu",
    "geodetic2local",
    "gospa",
    "gospa_over_time",
    "line_of_sight",
    "load_builtin",
    "load_scenario",
    "local2geodetic",
    "locate",
    "locate_tracks",
    "locator_ground",
    "los_and_pd",
    "make_plan",
    "ospa",
    "parse_scenario",
    "parse_sweep",
    "pd_from_snr",
    "predict_intercept",
    "radar_horizon_range_m",
    "read_detections",
    "run_engagements",
    "run_locator",
    "run_monte_carlo",
    "run_scenario",
    "score_air_picture",
    "score_engagements",
    "score_locates",
    "score_tracks",
    "simulate",
    "simulate_radar",
    "snr_per_pulse_required",
    "solve_aim",
    "track",
    "world_draw",
    "world_sigma",
    "write_json",
    "write_parquet",
]
