"""One run of a scenario: truth, then every radar's detections, then the result files.

Randomness: one `SeedSequence(seed, spawn_key=(run,))` per run, split into
independent child streams (truth first, then one per radar in file order), so a
run's files are bit-identical for the same seed and run number whatever else
runs beside it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from gbad import __version__
from gbad.analysis.air_picture import score_air_picture
from gbad.analysis.engagement import score_engagements
from gbad.analysis.locating import crlb_ceps, majority_truth, score_locates
from gbad.analysis.report import write_report
from gbad.earth.wgs84 import ecef2enu, ecef2geodetic, ecef_vectors2enu, geodetic2enu
from gbad.engagement.control import (
    EngagementResult,
    Station,
    run_engagements,
    scenario_assets,
)
from gbad.locating.locator import LocatorResult, relocate, run_locator
from gbad.record import MANIFEST, staged_folder, write_json, write_parquet
from gbad.runworld import (
    drawn_radars,
    locator_ground,
    make_ground,
    plan_extras,
    radar_models,
    scenario_sites,
    world_draw,
    world_sigma,
)
from gbad.scenario.loader import LoadedScenario
from gbad.scenario.schema import DEFAULT_MUNITION
from gbad.sensors.detection_file import Detections, from_columns
from gbad.sensors.radar import (
    DETECTION_COLUMNS,
    RadarModel,
    simulate_radar,
    simulate_track_dwells,
)
from gbad.tracking.tracker import RadarGeometry, Tracker, TrackerResult, TrackerSession
from gbad.world.build import build_truth
from gbad.world.truth import Truth
from gbad.world.variability import WorldDraw

Progress = Callable[[str, float], None]


class Stages:
    """Wall and CPU seconds per stage of a run, into ``timing`` as ``<stage>_wall_s`` and
    ``<stage>_cpu_s`` (added up where a stage comes back). CPU time is the process's:
    every thread of it, Numba's included."""

    def __init__(self, timing: dict[str, float]) -> None:
        self.timing = timing

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            for unit, now, then in (
                ("wall", time.perf_counter(), wall),
                ("cpu", time.process_time(), cpu),
            ):
                key = f"{name}_{unit}_s"
                self.timing[key] = self.timing.get(key, 0.0) + now - then


@dataclass
class RunResult:
    out_dir: Path
    files: dict[str, Path]
    summary: dict[str, Any]
    truth: Truth
    detections: dict[str, np.ndarray]
    timing: dict[str, float]


def simulate(
    loaded: LoadedScenario, seed: int | None = None, run: int = 0, progress: Progress | None = None
) -> tuple[Truth, dict[str, np.ndarray], dict[str, Any], dict[str, float]]:
    """Truth, detections, summary and wall times, in memory (no files)."""
    model = loaded.model
    hdr = model.scenario
    seed = hdr.seed if seed is None else seed
    streams = np.random.SeedSequence(seed, spawn_key=(run,)).spawn(1 + len(model.radars))
    ground = make_ground(loaded)
    world = world_draw(loaded, seed, run)
    timing: dict[str, float] = {}
    stage = Stages(timing)

    with stage("truth"):
        truth = build_truth(
            model,
            np.random.default_rng(streams[0]),
            ground=ground,
            progress=(lambda what: progress(f"truth: {what}", 0.0)) if progress else None,
            world=world,
        )

    per_radar = []
    occupancy: dict[str, dict[str, np.ndarray]] = {}
    with stage("detections"):
        for i, rm in enumerate(drawn_radars(loaded, seed, run, truth.n_objects, world)):
            radar = model.radars[i]
            occ: dict[str, np.ndarray] = {}
            with stage(f"radar_{radar.id}"):
                per_radar.append(
                    simulate_radar(
                        rm,
                        truth,
                        np.random.default_rng(streams[1 + i]),
                        ground,
                        world.refractivity_gradient_per_m,
                        progress=(lambda f, rid=radar.id: progress(f"radar {rid}", f))
                        if progress
                        else None,
                        occupancy=occ,
                    )
                )
            if occ:
                occupancy[radar.id] = occ
    detections = _merge(per_radar)
    summary = summarise(loaded, truth, detections, seed, run)
    for rid, occ in occupancy.items():
        summary["radars"][rid]["time_line"] = _occupancy_summary(occ)
    return truth, detections, summary, timing


def _occupancy_table(occ: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The multifunction radar's booking per decision (an empty table with its schema)."""
    cols = (
        "t_s",
        "search_share",
        "track_share",
        "uplink_share",
        "tracks",
        "tracks_degraded",
        "track_dwells",
    )
    counts = ("tracks", "tracks_degraded", "track_dwells")
    return {c: np.asarray(occ.get(c, []), dtype=np.int64 if c in counts else float) for c in cols}


def _occupancy_summary(occ: dict[str, np.ndarray]) -> dict[str, float]:
    """A weapon-locating radar's busiest moments: track share, open tracks, fence revisit."""
    return {
        "track_share_mean": float(occ["track_share"].mean()),
        "track_share_max": float(occ["track_share"].max()),
        "open_tracks_max": int(occ["open_tracks"].max()),
        "fence_revisit_s_min": float(occ["fence_revisit_s"].min()),
        "fence_revisit_s_max": float(occ["fence_revisit_s"].max()),
    }


def air_detections(loaded: LoadedScenario, det: Detections) -> tuple[Detections, list[RadarModel]]:
    """The detections the air tracker takes and the radars (track channels too) they index."""
    return det.for_air_tracker(radar_models(loaded))


def track(
    loaded: LoadedScenario,
    det: Detections,
    progress: Callable[[float], None] | None = None,
    radars: list[RadarModel] | None = None,
) -> TrackerResult:
    """Run the scenario's tracker over validated detections.

    ``radars``: what ``det.radar_index`` indexes (`air_detections`); the scenario's
    radars when not given.
    """
    model = loaded.model
    tracker = Tracker(
        radars if radars is not None else radar_models(loaded),
        model.scenario.origin,
        model.tracker,
        model.scenario.refractivity_gradient_per_m,
    )
    return tracker.run(det, progress=progress)


#: The engagement's random stream: apart from the per-stage children of the run's seed.
ENGAGEMENT_STREAM = 2**31 - 1


def engage(
    loaded: LoadedScenario,
    result: TrackerResult,
    track_truth: dict[str, int],
    truth: Truth,
    summary: dict[str, Any],
    run: int,
    cues: dict[str, np.ndarray] | None = None,
) -> EngagementResult:
    """The batteries over a finished air picture, open loop (the booked dwells are not
    sensed, killed objects' echoes stay); puts its score in ``summary``. A run closes
    the loop with `fight` instead.

    ``cues``: the locator's solutions, which tell the station which tracks are rounds.
    """
    rng = np.random.default_rng(
        np.random.SeedSequence(summary["seed"], spawn_key=(run, ENGAGEMENT_STREAM))
    )
    engaged = run_engagements(loaded.model, result.rows, track_truth, truth, rng, cues=cues)
    score_battery(loaded, engaged, truth, summary)
    return engaged


def score_battery(
    loaded: LoadedScenario, engaged: EngagementResult, truth: Truth, summary: dict[str, Any]
) -> None:
    """The batteries' figures into ``summary["engagement"]`` (when the scenario has any)."""
    model = loaded.model
    if not model.batteries:
        return
    firsts = [t["first_detection_t_s"] for t in summary["threats"].values()]
    firsts = [f for f in firsts if f is not None]
    summary["engagement"] = score_engagements(
        engaged.engagements,
        engaged.killed_at,
        truth,
        scenario_assets(model),
        model.scenario.origin,
        min(firsts) if firsts else None,
        engaged.occupancy,
        engage_rounds=any(b.engage_rounds for b in model.batteries),
        queued=engaged.queued,
    )


#: The multifunction radars' track dwells' random stream (apart, like the engagement's).
DWELL_STREAM = 2**31 - 2


@dataclass
class ClosedLoop:
    """What the closed loop of picture and battery leaves: the air tracker's result and
    the detections it had (the search less the destroyed objects' later echoes, plus the
    track dwells), the weapon-locating radars' detections, and the battery's result."""

    tracked: TrackerResult
    det_air: Detections
    air_radars: list[RadarModel]
    det_wl: Detections
    engaged: EngagementResult
    #: which of the weapon-locating detections handed in are left in ``det_wl``
    wl_kept: np.ndarray


def fight(
    loaded: LoadedScenario,
    truth: Truth,
    det: Detections,
    seed: int,
    run: int,
    cues: dict[str, np.ndarray] | None = None,
    progress: Progress | None = None,
) -> ClosedLoop:
    """The air picture and the batteries in one closed loop, decision by decision.

    At each decision the tracker has taken every scan window ended by then; the
    station decides on that picture and books its radar's track dwells until the
    next decision, which are sensed at once (:func:`simulate_track_dwells`) and fed
    to the tracker on the radar's track channel. An object is destroyed when an
    interceptor kills it; from then on it reflects nothing, so its later detections
    are dropped as the tracker comes to them (the station learns of the kill only
    through its kill assessment). Without batteries this is the tracker on its own.

    ``cues``: the locator's solutions, which tell the station which tracks are rounds.
    """
    model = loaded.model
    radars = radar_models(loaded)
    by_id = {r.id: i for i, r in enumerate(radars)}
    channels = sorted({by_id[b.radar] for b in model.batteries})
    det_air, air_radars = det.for_air_tracker(radars, channels)
    det_wl = det.for_locator(radars)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(run, ENGAGEMENT_STREAM)))
    station = Station(model, truth, rng, cues=cues)
    killed_at = station.killed_at
    tracker = Tracker(
        air_radars, model.scenario.origin, model.tracker, model.scenario.refractivity_gradient_per_m
    )

    def exists(rows: np.ndarray) -> np.ndarray:
        return _alive(session.det.truth_id[rows], session.det.t_s[rows], killed_at)

    session = TrackerSession(tracker, det_air, keep=exists if model.batteries else None)
    dwell_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(run, DWELL_STREAM)))
    ground = make_ground(loaded)
    world = world_draw(loaded, seed, run)
    sensing = drawn_radars(loaded, seed, run, truth.n_objects, world)
    times = station.decision_times() if model.batteries else np.zeros(0)
    for n, t in enumerate(times):
        session.advance(float(t))
        station.see(session.rows_view())
        booked = station.decide(float(t), lambda ids: _truth_of(session, ids))
        sensed = _sense_dwells(sensing, truth, booked, dwell_rng, ground, world)
        if len(sensed["t_s"]):
            more, _ = from_columns(sensed, radars, "<track dwells>").for_air_tracker(
                radars, channels
            )
            session.add(more)
        if progress and n % 20 == 0:
            progress("tracker and battery", n / len(times))
    session.advance(np.inf, (lambda f: progress("tracker and battery", f)) if progress else None)
    tracked, det_kept = session.finish()
    station.see(session.rows_view())
    engaged = station.finish()
    wl_kept = _alive(det_wl.truth_id, det_wl.t_s, killed_at)
    det_wl = det_wl if wl_kept.all() else det_wl.take(np.flatnonzero(wl_kept))
    return ClosedLoop(tracked, det_kept, air_radars, det_wl, engaged, wl_kept)


def _alive(truth_id: np.ndarray, t_s: np.ndarray, killed_at: dict[int, float]) -> np.ndarray:
    """Which detections are of objects not yet destroyed (false alarms always are)."""
    if not killed_at:
        return np.ones(len(t_s), dtype=bool)
    ids = np.fromiter(killed_at, dtype=np.int64)
    at = np.fromiter(killed_at.values(), dtype=float)
    order = np.argsort(ids)
    ids, at = ids[order], at[order]
    j = np.clip(np.searchsorted(ids, truth_id), 0, len(ids) - 1)
    hit = ids[j] == truth_id
    return ~hit | (t_s <= at[j])


def _truth_of(session: TrackerSession, track_ids: np.ndarray) -> np.ndarray:
    """The object each track follows (physics): the commonest truth among its updates'
    detections so far; -1 for a false track."""
    v = session.rows_view()
    mine = np.isin(v["track_id"], track_ids) & (v["_det"] >= 0)
    return _commonest(v["track_id"][mine], session.det.truth_id[v["_det"][mine]], track_ids)


def _commonest(k: np.ndarray, obj: np.ndarray, track_ids: np.ndarray) -> np.ndarray:
    """Per track id (≥ 0) in ``track_ids``, its commonest object among the (k, obj) rows,
    the highest object on a tie; -1 for a track with no rows."""
    if not k.size:
        return np.full(len(track_ids), -1, dtype=np.int64)
    # (track, object) pairs as one integer key, in the pairs' own order (a structured
    # sort, which `np.unique(axis=0)` does, costs several times more).
    obj = obj.astype(np.int64)
    low = int(obj.min())
    base = int(obj.max()) - low + 1
    key, counts = np.unique(k.astype(np.int64) * base + (obj - low), return_counts=True)
    pairs = np.column_stack([key // base, key % base + low])
    # Sorted by track then object: the last of the top count per track wins ties.
    order = np.lexsort((counts, pairs[:, 0]))
    pairs = pairs[order]
    last = np.r_[pairs[1:, 0] != pairs[:-1, 0], True]
    best = dict(zip(pairs[last, 0].tolist(), pairs[last, 1].tolist(), strict=True))
    return np.array([best.get(k, -1) for k in np.asarray(track_ids).tolist()], dtype=np.int64)


def _sense_dwells(
    radars: list[RadarModel],
    truth: Truth,
    dwells: dict[str, np.ndarray],
    rng: np.random.Generator,
    ground: object,
    world: WorldDraw,
) -> dict[str, np.ndarray]:
    """Detections of booked track dwells (`EngagementResult.dwells`); a dwell at a false
    track finds nothing."""
    out = []
    for rm in radars:
        mine = (dwells["radar_id"] == rm.id) & (dwells["truth_id"] > 0)
        if np.any(mine):
            out.append(
                simulate_track_dwells(
                    rm,
                    truth,
                    dwells["truth_id"][mine].astype(np.intp) - 1,
                    dwells["t_s"][mine],
                    dwells["track_id"][mine],
                    rng,
                    ground,
                    world.refractivity_gradient_per_m,
                )
            )
    return _merge(out)


def locate(
    loaded: LoadedScenario,
    det: Detections,
    world: WorldDraw | None = None,
    progress: Callable[[float], None] | None = None,
) -> LocatorResult:
    """Run the locator over validated detections (weapon-locating radars' tracks).

    ``world``: the run's draw, whose map error the locator's ground carries (None: the
    locator has the truth's ground). It knows the variability's σ either way.
    """
    model = loaded.model
    return run_locator(
        det,
        radar_models(loaded),
        model.scenario.origin,
        model.locator,
        make_ground(loaded) if world is None else locator_ground(loaded, world),
        model.assets,
        world_sigma=world_sigma(loaded),
        progress=progress,
    )


def locating_tables(
    result: LocatorResult, truth_id: np.ndarray | None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """`locates` and `alerts` tables, with `truth_id` filled when the detections carry it."""
    locates = dict(result.locates)
    alerts = dict(result.alerts)
    tid = (
        majority_truth(result.detection_rows, truth_id)
        if truth_id is not None
        else np.full(len(locates["t_s"]), -1, dtype=np.int64)
    )
    locates["truth_id"] = tid
    of_track = {
        (r, t): i for r, t, i in zip(locates["radar_id"], locates["track_id"], tid, strict=True)
    }
    alerts["truth_id"] = np.array(
        [
            of_track.get((r, t), -1)
            for r, t in zip(alerts["radar_id"], alerts["track_id"], strict=True)
        ],
        dtype=np.int64,
    )
    return locates, alerts


def score_locating(
    loaded: LoadedScenario,
    locates: dict[str, np.ndarray],
    alerts: dict[str, np.ndarray],
    truth: Truth,
) -> dict[str, Any]:
    sites = scenario_sites(loaded)
    o = loaded.model.scenario.origin
    radar_enu = {}
    for r in loaded.model.radars:
        lat, lon, alt = r.position.to_geodetic(o)
        radar_enu[r.id] = np.array(geodetic2enu(lat, lon, alt, o.lat_deg, o.lon_deg, o.alt_m))
    radius = {a.id: a.radius_m for a in loaded.model.assets}
    assets = [(i, e, n, radius[i]) for kind, i, e, n in sites if kind == "asset"]
    return score_locates(
        locates, alerts, objects_table(truth), assets, radar_enu, loaded.model.scenario.duration_s
    )


def detection_positions(
    loaded: LoadedScenario, det: Detections, radars: list[RadarModel] | None = None
) -> np.ndarray:
    """Each detection's position in the scenario ENU frame (for scoring)."""
    origin = loaded.model.scenario.origin
    pos = np.zeros((len(det), 3))
    for i, radar in enumerate(radars if radars is not None else radar_models(loaded)):
        mine = det.radar_index == i
        geo = RadarGeometry.of(radar, origin)
        pos[mine] = geo.to_tracking_frame(det.range_m[mine], det.az_deg[mine], det.el_deg[mine])
    return pos


def score_tracks(
    loaded: LoadedScenario,
    truth_rows: dict,
    result: TrackerResult,
    det: Detections,
    truth: Truth | None = None,
    radars: list[RadarModel] | None = None,
) -> dict[str, Any]:
    """Air-picture metrics; with the simulation's `truth`, exact truth at detection times."""
    truth_at = None
    if truth is not None:
        o = loaded.model.scenario.origin

        def truth_at(ids: np.ndarray, t: np.ndarray) -> np.ndarray:
            pos, _, _ = truth.state_at(ids - 1, t)
            return np.column_stack(
                ecef2enu(pos[:, 0], pos[:, 1], pos[:, 2], o.lat_deg, o.lon_deg, o.alt_m)
            )

    return score_air_picture(
        truth_rows,
        result.rows,
        result.detection_index,
        det.t_s,
        det.truth_id,
        detection_positions(loaded, det, radars),
        c_m=loaded.model.tracker.metric_cutoff_m,
        duration_s=loaded.model.scenario.duration_s,
        truth_at=truth_at,
    )


def tracks_table(result: TrackerResult, truth_ids: dict[str, int] | None = None) -> dict:
    rows = dict(result.rows)
    if truth_ids is not None:
        rows["truth_id"] = np.array(
            [truth_ids.get(str(t), -1) for t in rows["track_id"]], dtype=np.int64
        )
    return rows


def _merge(per_radar: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not per_radar:  # a scenario without radars: the empty table, with its types
        ints = {"truth_id": np.int64, "dwell_track_id": np.int64, "radar_id": object}
        return {k: np.zeros(0, dtype=ints.get(k, np.float64)) for k in DETECTION_COLUMNS}
    merged = {k: np.concatenate([d[k] for d in per_radar]) for k in DETECTION_COLUMNS}
    order = np.argsort(merged["t_s"], kind="stable")
    return {k: v[order] for k, v in merged.items()}


def run_scenario(
    loaded: LoadedScenario,
    out_dir: str | Path,
    seed: int | None = None,
    run: int = 0,
    progress: Progress | None = None,
    report: bool = True,
) -> RunResult:
    """Simulate and write truth, objects, detections and summary into `out_dir`, and
    the report (``report``: a Monte Carlo's runs go without, 5 MB each)."""
    truth_all, detections_all, summary, timing = simulate(loaded, seed, run, progress)
    radars = radar_models(loaded)
    det_all = from_columns(detections_all, radars, "<simulated detections>")
    # The weapon-locating radar's own loop is open: its locates cue the station (each
    # solution only from the time it was made) and are recomputed for the files only
    # where a kill took an air target's echoes from it.
    stage = Stages(timing)
    with stage("locator"):
        if progress:
            progress("locator", 0.0)
        det_wl_open = det_all.for_locator(radars)
        world = world_draw(loaded, summary["seed"], run)
        located = locate(
            loaded, det_wl_open, world, (lambda f: progress("locator", f)) if progress else None
        )
    with stage("tracker_and_battery"):
        loop = fight(loaded, truth_all, det_all, summary["seed"], run, located.locates, progress)
    result, engaged = loop.tracked, loop.engaged
    det_air, det_wl = loop.det_air, loop.det_wl
    killed = engaged.killed_at
    if len(det_wl) != len(det_wl_open):
        # A kill took an air target's echoes from the weapon-locating radar: its tracks
        # are located again, the others stand.
        model = loaded.model
        with stage("relocate"):
            located = relocate(
                located,
                det_wl_open,
                loop.wl_kept,
                radars,
                model.scenario.origin,
                model.locator,
                locator_ground(loaded, world),
                model.assets,
                world_sigma=world_sigma(loaded),
            )
    with stage("scoring"):
        truth = (
            replace(
                truth_all,
                t_end_s=np.minimum(
                    truth_all.t_end_s,
                    [killed.get(int(i), np.inf) for i in truth_all.object_id],
                ),
            )
            if killed
            else truth_all
        )
        detections = _merge([det_air.to_columns(loop.air_radars), det_wl.to_columns(radars)])
        truth_rows = truth_table(truth, loaded)
        air = score_tracks(loaded, truth_rows, result, det_air, truth, loop.air_radars)
        score_battery(loaded, engaged, truth_all, summary)
        # Counts of what was really seen (without the killed objects' later detections);
        # each radar's time line stays as simulated.
        lines = {rid: r.get("time_line") for rid, r in summary["radars"].items()}
        summary.update(summarise(loaded, truth, detections, summary["seed"], run))
        for rid, line in lines.items():
            if line is not None:
                summary["radars"][rid]["time_line"] = line
        summary["air_picture"] = {
            k: v for k, v in air.items() if k not in ("track_truth_ids", "gospa_series")
        }
        summary["tracker"] = tracker_summary(loaded, result)
        locates, alerts = locating_tables(located, det_wl.truth_id)
        if located.n_tracks:
            o = loaded.model.scenario.origin
            munitions = {
                t.id: t.munition or DEFAULT_MUNITION.get(t.kind) for t in loaded.model.threats
            }
            munition_of = {
                int(oid): munitions.get(tid)
                for oid, tid in zip(truth.object_id, truth.threat_id, strict=True)
            }
            bounds = crlb_ceps(
                locates,
                located.detection_rows,
                det_wl,
                radars,
                truth,
                munition_of,
                (o.lat_deg, o.lon_deg, o.alt_m),
                make_ground(loaded),
                world_sigma(loaded),
            )
            locates.update(bounds)
            summary["locating"] = score_locating(loaded, locates, alerts, truth)
    with stage("files"):
        final = Path(out_dir)
        origin = loaded.model.scenario.origin
        meta = {
            "gbad.scenario": loaded.model.scenario.name,
            "gbad.seed": str(summary["seed"]),
            "gbad.run": str(run),
            "gbad.version": __version__,
            "gbad.origin": f"{origin.lat_deg},{origin.lon_deg},{origin.alt_m}",
            "gbad.frame": "ENU about the scenario origin (tangent plane, metres)",
        }
        # Every file is written into a staging folder that takes the place of `out_dir`
        # only when the run is whole (`record.staged_folder`).
        tracks_rows = tracks_table(result, air["track_truth_ids"])
        with staged_folder(final, {"command": "run", **meta}) as out:
            files = {
                "truth": write_parquet(out / "truth.parquet", truth_rows, meta),
                "objects": write_parquet(out / "objects.parquet", objects_table(truth), meta),
                "detections": write_parquet(out / "detections.parquet", detections, meta),
                "tracks": write_parquet(out / "tracks.parquet", tracks_rows, meta),
                "locates": write_parquet(out / "locates.parquet", locates, meta),
                "engagements": write_parquet(
                    out / "engagements.parquet", engaged.engagements, meta
                ),
                "threat_list": write_parquet(out / "threat_list.parquet", engaged.threats, meta),
                "radar_occupancy": write_parquet(
                    out / "radar_occupancy.parquet", _occupancy_table(engaged.occupancy), meta
                ),
                "alerts": write_parquet(out / "alerts.parquet", alerts, meta),
            }
            if report:
                files["report"] = write_report(
                    out / "report.html",
                    summary,
                    truth_rows,
                    tracks_rows,
                    scenario_sites(loaded),
                    air["gospa_series"],
                    locates,
                    engaged.engagements,
                    {**plan_extras(loaded), "interceptor_paths": engaged.paths},
                    alerts,
                    detections,
                )
            files = {k: final / Path(v).name for k, v in files.items()}
            summary["files"] = {k: str(v) for k, v in files.items()}
            write_json(out / "summary.json", summary)
    files["summary"] = final / "summary.json"
    files["manifest"] = final / MANIFEST
    return RunResult(final, files, summary, truth, detections, timing)


def tracker_summary(loaded: LoadedScenario, result: TrackerResult) -> dict[str, Any]:
    cfg = loaded.model.tracker
    return {
        "filter": cfg.filter,
        "association": cfg.association,
        "tracks_started": result.n_tracks,
        "tracks_confirmed": result.n_confirmed,
        "updates": result.n_updates,
        "windows": result.n_windows,
    }


def truth_table(truth: Truth, loaded: LoadedScenario) -> dict[str, np.ndarray]:
    """Truth at the scenario's recording interval, alive objects only, ENU and geodetic."""
    hdr = loaded.model.scenario
    o = hdr.origin
    t_rec = np.arange(0.0, hdr.duration_s + 1e-9, hdr.truth_interval_s)
    obj, k = np.meshgrid(np.arange(truth.n_objects), np.arange(len(t_rec)), indexing="ij")
    obj, t = obj.ravel(), t_rec[k.ravel()]
    pos, vel, alive = truth.state_at(obj, t)
    obj, t, pos, vel = obj[alive], t[alive], pos[alive], vel[alive]
    order = np.lexsort((obj, t))
    obj, t, pos, vel = obj[order], t[order], pos[order], vel[order]
    e, n, u = ecef2enu(pos[:, 0], pos[:, 1], pos[:, 2], o.lat_deg, o.lon_deg, o.alt_m)
    ve, vn, vu = ecef_vectors2enu(vel[:, 0], vel[:, 1], vel[:, 2], o.lat_deg, o.lon_deg)
    lat, lon, alt = ecef2geodetic(pos[:, 0], pos[:, 1], pos[:, 2])
    kinds = np.array(truth.kind, dtype=object)
    return {
        "t_s": t,
        "object_id": truth.object_id[obj],
        "kind": kinds[obj],
        "east_m": e,
        "north_m": n,
        "up_m": u,
        "v_east_mps": ve,
        "v_north_mps": vn,
        "v_up_mps": vu,
        "lat_deg": lat,
        "lon_deg": lon,
        "alt_m": alt,
    }


def objects_table(truth: Truth) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {
        "object_id": truth.object_id,
        "threat_id": np.array(truth.threat_id, dtype=object),
        "kind": np.array(truth.kind, dtype=object),
        "rcs_m2": truth.rcs_m2,
    }
    for name in ("launch", "impact"):
        for axis in ("east_m", "north_m", "up_m"):
            cols[f"{name}_{axis}"] = truth.info[f"{name}_{axis}"]
        cols[f"{name}_t_s"] = truth.info[f"{name}_t_s"]
    cols["apogee_alt_m"] = truth.info["apogee_m"]
    return cols


def summarise(
    loaded: LoadedScenario,
    truth: Truth,
    det: dict[str, np.ndarray],
    seed: int,
    run: int,
) -> dict[str, Any]:
    """Every figure the run computed; deterministic for a seed (wall times live elsewhere)."""
    model = loaded.model
    hdr = model.scenario
    kinds = np.array(truth.kind, dtype=object)
    tid = det["truth_id"]
    radars: dict[str, Any] = {}
    for radar in model.radars:
        mine = det["radar_id"] == radar.id
        true = mine & (tid >= 0)
        seen_ids = np.unique(tid[true])
        per_kind = Counter(kinds[seen_ids - 1]) if seen_ids.size else Counter()
        radars[radar.id] = {
            "role": radar.role,
            "detections": int(mine.sum()),
            "target_detections": int(true.sum()),
            "false_alarms": int((mine & (tid < 0)).sum()),
            "objects_detected": int(seen_ids.size),
            "objects_detected_by_kind": dict(sorted(per_kind.items())),
        }
    threats: dict[str, Any] = {}
    for threat in model.threats:
        ids = truth.object_id[np.array(truth.threat_id, dtype=object) == threat.id]
        hit = np.isin(tid, ids)
        first = {
            radar.id: _first_time(det["t_s"][hit & (det["radar_id"] == radar.id)])
            for radar in model.radars
        }
        threats[threat.id] = {
            "kind": threat.kind,
            "objects": int(ids.size),
            "objects_detected": int(np.unique(tid[hit]).size),
            "first_detection_t_s": _first_time(det["t_s"][hit]),
            "first_detection_t_s_by_radar": first,
            "launch_t_s": float(np.nanmin(truth.info["launch_t_s"][ids - 1])),
        }
    by_kind = Counter(truth.kind)
    return {
        "simulated": True,
        "note": "Simulated with public, nominal parameters; not real sensor data.",
        "gbad_version": __version__,
        "scenario": hdr.name,
        "source": loaded.source,
        "seed": seed,
        "run": run,
        "duration_s": hdr.duration_s,
        "objects": truth.n_objects,
        "objects_by_kind": dict(sorted(by_kind.items())),
        "detections": len(tid),
        "target_detections": int((tid >= 0).sum()),
        "false_alarms": int((tid < 0).sum()),
        "radars": radars,
        "threats": threats,
    }


def _first_time(t: np.ndarray) -> float | None:
    return float(t.min()) if t.size else None
