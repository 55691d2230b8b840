"""A weapon-locating radar's time line: a low search fence, then track dwells on what crosses it.

Time runs in frames of 1/``track_rate_hz`` s. In each frame the radar has
frame/``track_dwell_s`` dwell slots. Every open track asks for one dwell a frame;
the tracks get at most ``1 − search_share_min`` of the slots, the longest-waiting
first (so a salvo slows every track's rate instead of starving some), and the
fence gets the rest: its beams (``fence_rows`` rows one beamwidth apart from the
lowest elevation, across the sector) are visited in turn, ``search_dwell_s`` each,
carrying on from frame to frame. The fence's revisit time therefore stretches
when the radar is busy — what a 40-round salvo does to a real one.

The fence's lowest row stands half a beamwidth above the terrain's mask angle in
each column (``fence_base_deg``: the highest ground seen along the column's azimuth,
with the DEM when the scenario has one), and never below ``coverage.el_min_deg``:
a fence in the hills is lifted clear of them, as crews set it, and a low round there
crosses it later.

A fence detection opens a track, tagged with the radar's own track number
(``dwell_track_id``); its dwells point at the object (the radar's track keeps
the projectile in the beam — a modelling assumption: pointing errors are not
simulated) and detect it with the radar's Swerling statistics at the dwell's
SNR (``track_pulses`` pulses). A fence false alarm opens a track whose dwells
find nothing, so it is dropped at the first miss; aircraft and birds that cross
the fence are tracked like anything else — telling them from projectiles is the
locator's job. A track ends after ``track_time_s`` or ``drop_misses`` missed
dwells in a row.

Looks are evaluated frame by frame (a loop over frames, arrays over objects and
tracks within each), in the order the random draws are made; what stands in the
fence at each frame's start depends on the truth alone and is found for blocks of
frames at once (`_FenceCrossings`). Over flat ground the loop runs compiled
(`gbad.sensors._wlr_kernel`, a tenth of the time): the same draws in the same order,
the same looks detected, measurements equal to the last bits; over a DEM, whose line
of sight is sampled through the terrain's own interpolation, it runs here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from gbad.earth.terrain import FlatGround
from gbad.sensors.detection import FALSE_ALARM_SNR_FLOOR, LookDraw, draw_false_alarm_snr
from gbad.sensors.looks import look_geometry, looks_at, measurement, over_horizon
from gbad.world.truth import Truth

Array = NDArray[np.float64]


#: How far out the terrain mask is sought (m), in this many steps, and the clearance
#: of the fence's lowest row above it (beamwidths).
MASK_RANGE_M = 15_000.0
MASK_STEPS = 300
MASK_CLEARANCE_BEAMS = 0.5


def fence_base_deg(radar, ground: object, radius_m: float) -> Array:
    """Elevation (deg) of the fence's lowest row in each azimuth column of the sector.

    The terrain's mask angle along the column's centre azimuth (effective-earth
    curvature ``radius_m``) plus `MASK_CLEARANCE_BEAMS` beamwidths, or
    ``radar.el_min_deg`` where that is higher (always, over flat ground).
    """
    from gbad.earth.wgs84 import aer2ecef, ecef2geodetic

    _, n_az = radar.raster_shape
    base = np.full(n_az, radar.el_min_deg)
    if not hasattr(ground, "height_m") or hasattr(ground, "alt_m"):
        return base  # flat ground: below the horizontal from any mast
    az = (radar.az_min_deg + (np.arange(n_az) + 0.5) * radar.beamwidth_az_deg) % 360.0
    d = np.linspace(MASK_RANGE_M / MASK_STEPS, min(MASK_RANGE_M, radar.range_max_m), MASK_STEPS)
    aa, dd = np.meshgrid(az, d, indexing="ij")
    x, y, z = aer2ecef(aa, 0.0, dd, radar.lat_deg, radar.lon_deg, radar.alt_m)
    lat, lon, _ = ecef2geodetic(x, y, z)
    h = np.asarray(ground.height_m(lat, lon), dtype=float)  # type: ignore[attr-defined]
    # Height over the antenna's horizontal plane, less the effective earth's drop.
    rise = h - radar.alt_m - dd**2 / (2.0 * radius_m)
    mask = np.nanmax(np.where(np.isfinite(rise), np.degrees(np.arctan2(rise, dd)), -90.0), axis=1)
    return np.maximum(base, mask + MASK_CLEARANCE_BEAMS * radar.beamwidth_el_deg)


@dataclass
class _Track:
    obj: NDArray[np.int64]  # object index, -1 for a false alarm
    start: Array
    last_served: Array
    hits: NDArray[np.int64]
    misses: NDArray[np.int64]
    ident: NDArray[np.int64]

    @classmethod
    def empty(cls) -> _Track:
        z = np.zeros(0)
        zi = np.zeros(0, dtype=np.int64)
        return cls(zi, z, z, zi, zi, zi)

    def keep(self, sel: NDArray[np.bool_]) -> _Track:
        return _Track(*(a[sel] for a in self.__dict__.values()))

    def extend(self, obj: NDArray[np.int64], t: Array, ident: NDArray[np.int64]) -> _Track:
        n = len(obj)
        return _Track(
            np.concatenate([self.obj, obj]),
            np.concatenate([self.start, t]),
            np.concatenate([self.last_served, t]),
            np.concatenate([self.hits, np.ones(n, dtype=np.int64)]),
            np.concatenate([self.misses, np.zeros(n, dtype=np.int64)]),
            np.concatenate([self.ident, ident]),
        )


@dataclass(frozen=True)
class _Timeline:
    """A weapon-locating radar's frames, as its `Dwells` and beam raster lay them out."""

    frame_s: float
    track_cap: int  # the dwell slots tracks may have in a frame
    n_az: int  # the fence's beam columns
    n_beams: int  # its beams, rows by columns
    fence_height: float  # deg
    n_frames: int  # over the truth's time span
    cells_per_beam: float  # range cells, for false alarms

    @classmethod
    def of(cls, radar, truth: Truth) -> _Timeline:
        cfg = radar.dwells
        frame_s = 1.0 / cfg.track_rate_hz
        slots = max(1, round(frame_s / cfg.track_dwell_s))
        _, n_az = radar.raster_shape
        return cls(
            frame_s=frame_s,
            track_cap=max(1, int(np.floor(slots * (1.0 - cfg.search_share_min)))),
            n_az=n_az,
            n_beams=n_az * cfg.fence_rows,
            fence_height=cfg.fence_rows * radar.beamwidth_el_deg,
            n_frames=int(np.ceil(float(truth.t_grid_s[-1]) / frame_s)),
            cells_per_beam=(radar.range_max_m - radar.range_min_m) / radar.cell_range_m,
        )


#: Frames whose fence crossings are found together (one array pass per block).
FENCE_BLOCK = 512


@dataclass
class _FenceCrossings:
    """Which objects stand in the fence at each frame's start, for frames ``frame_from``
    to ``frame_to``: their index, azimuth column and elevation row, frame by frame
    (``ptr``, CSR). The test depends on the truth alone, not on what the radar does, so
    a block of frames is one array pass (the same arithmetic, element by element, as
    frame by frame)."""

    frame_from: int
    frame_to: int
    ptr: NDArray[np.int64]
    obj: NDArray[np.int64]
    col: NDArray[np.int64]
    row: NDArray[np.int64]

    @classmethod
    def empty(cls) -> _FenceCrossings:
        zi = np.zeros(0, dtype=np.int64)
        return cls(0, 0, np.zeros(1, dtype=np.int64), zi, zi, zi)

    @classmethod
    def of(
        cls,
        radar,
        truth: Truth,
        fence_base: Array,
        fence_height_deg: float,
        frame_s: float,
        frame_from: int,
        frame_to: int,
    ) -> _FenceCrossings:
        frames = np.arange(frame_from, frame_to)
        t0 = frames * frame_s
        # Objects alive at some time in each frame, frame-major (as the loop took them).
        live = (truth.t_start_s[None, :] <= t0[:, None] + frame_s) & (
            truth.t_end_s[None, :] >= t0[:, None]
        )
        fi, obj = np.nonzero(live)
        pos, vel, alive = truth.state_at(obj, t0[fi])
        az, el, _, _ = radar.aer(pos, vel)
        n_az = len(fence_base)
        col = np.minimum(
            np.floor(radar.sector_offset_deg(az) / radar.beamwidth_az_deg).astype(np.int64),
            n_az - 1,
        )
        lo = fence_base[np.clip(col, 0, n_az - 1)]
        keep = np.flatnonzero(alive & (col >= 0) & (el >= lo) & (el < lo + fence_height_deg))
        row = np.floor((el[keep] - lo[keep]) / radar.beamwidth_el_deg).astype(np.int64)
        ptr = np.concatenate([[0], np.cumsum(np.bincount(fi[keep], minlength=len(frames)))])
        return cls(frame_from, frame_to, ptr, obj[keep].astype(np.int64), col[keep], row)

    def at(self, frame: int) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """(object, column, row) of what stands in the fence at ``frame``'s start."""
        i = frame - self.frame_from
        sl = slice(self.ptr[i], self.ptr[i + 1])
        return self.obj[sl], self.col[sl], self.row[sl]


#: Frames whose track dwells are looked at together, on the guess that they keep
#: their objects and slots.
DWELL_BLOCK = 32


class _DwellLooks:
    """The served tracks' dwell looks, for a run of frames at once.

    Until a track opens or drops, the same objects hold the same dwell slots frame
    after frame, so their looks' geometry (no random draw) is found for `DWELL_BLOCK`
    frames in one call on that guess; a frame whose objects or slots differ finds its
    own afresh. The line of sight joins the block where it is cheap (flat ground: two
    points a look); over a DEM it costs thousands of samples a look, so it is checked
    frame by frame, for the frames that are flown. The same arithmetic, element by
    element, as one frame at a time, but for the rotation into the radar's frame:
    NumPy's matrix product rounds a lone row apart from a block's, in the last bit
    (docs/performance.md)."""

    def __init__(self, geometry, horizon, flat: bool, frame_s: float, dwell_s: float,
                 n_frames: int) -> None:  # fmt: skip
        self.geometry, self.horizon, self.flat = geometry, horizon, flat
        self.frame_s, self.dwell_s, self.n_frames = frame_s, dwell_s, n_frames
        self.frame_from = self.frame_to = 0
        self.obj = self.slot = np.zeros(0, dtype=np.int64)
        self.looks: tuple[NDArray, ...] = ()

    def at(self, frame: int, obj: NDArray[np.int64], slot: NDArray[np.int64]) -> tuple:
        """`looks_at`'s answer for objects ``obj`` in dwell slots ``slot`` of ``frame``."""
        if not (
            self.frame_from <= frame < self.frame_to
            and np.array_equal(obj, self.obj)
            and np.array_equal(slot, self.slot)
        ):
            frames = np.arange(frame, min(frame + DWELL_BLOCK, self.n_frames))
            t = (frames * self.frame_s)[:, None] + ((slot + 0.5) * self.dwell_s)[None, :]
            shape = t.shape
            in_view, az, el, rng_m, rr, alive, pos = self.geometry(
                np.tile(obj, len(frames)), t.ravel()
            )
            if self.flat:
                in_view = self.horizon(in_view, pos)
            pos = pos.reshape((*shape, 3))
            self.looks = tuple(a.reshape(shape) for a in (in_view, az, el, rng_m, rr, alive))
            self.looks += (pos,)
            self.frame_from, self.frame_to = frames[0], frames[-1] + 1
            self.obj, self.slot = obj, slot
        i = frame - self.frame_from
        in_view, az, el, rng_m, rr, alive, pos = (a[i] for a in self.looks)
        seen = in_view if self.flat else self.horizon(in_view, pos)
        return seen, az, el, rng_m, rr, alive


def simulate_weapon_locating(
    radar,
    truth: Truth,
    rng: np.random.Generator,
    ground: object,
    radius_m: float,
    progress=None,
    compiled: bool | None = None,
) -> tuple[dict[str, NDArray], dict[str, Array]]:
    """Detections of a weapon-locating radar (columns of DETECTION_COLUMNS + dwell_track_id).

    Also returns the radar's occupancy over time: per frame, the share of time in
    track dwells, the number of open tracks and the fence revisit time.

    ``compiled``: run the frame loop compiled (`gbad.sensors._wlr_kernel`; flat ground
    only) or in Python (the reference); by default compiled where the ground is flat.
    """
    flat = isinstance(ground, FlatGround)
    if compiled and not flat:
        raise ValueError("the compiled frame loop needs a flat ground; give compiled=False")
    cfg = radar.dwells
    line = _Timeline.of(radar, truth)
    frame_s, track_cap, n_az, n_beams = line.frame_s, line.track_cap, line.n_az, line.n_beams
    fence_height, n_frames, cells_per_beam = line.fence_height, line.n_frames, line.cells_per_beam
    fence_base = fence_base_deg(radar, ground, radius_m)
    track_pulses = cfg.track_pulses or radar.n_pulses
    t_end = float(truth.t_grid_s[-1])

    out: list[tuple[NDArray, ...]] = []  # looks detected: their columns and noise
    occ_t = np.arange(n_frames) * frame_s
    occ_track = np.zeros(n_frames)
    occ_open = np.zeros(n_frames, dtype=np.int64)
    occ_fence_s = np.zeros(n_frames)
    tracks = _Track.empty()
    next_id = 0
    beam = 0  # the fence's next beam
    crossings = _FenceCrossings.empty()

    def look(obj, t):
        return looks_at(radar, truth, obj, t, ground, radius_m)

    draw_track = LookDraw(radar.pfa, track_pulses, radar.swerling)
    draw_fence = LookDraw(radar.pfa, radar.n_pulses, radar.swerling)
    if compiled or (compiled is None and flat):
        out = _compiled_frames(radar, truth, rng, ground, radius_m, fence_base, line,
                               (draw_track, draw_fence), (occ_track, occ_open, occ_fence_s))  # fmt: skip
        if progress:
            progress(1.0)
    frames = range(0) if out else range(n_frames)  # the compiled loop has done them all
    dwell_looks = _DwellLooks(
        lambda obj, t: look_geometry(radar, truth, obj, t),
        lambda in_view, pos: over_horizon(radar, in_view, pos, ground, radius_m),
        isinstance(ground, FlatGround),
        frame_s,
        cfg.track_dwell_s,
        n_frames,
    )

    def emit(t, obj, az, el, rng_m, rr, snr, ident):
        # (Not np.where over object_id[max(obj, 0)]: with no objects there is no row 0.)
        tid = np.full(len(obj), -1, dtype=np.int64)
        tid[obj >= 0] = truth.object_id[obj[obj >= 0]]
        # The noise is drawn now, in the stream's order; the measurement is made of all
        # the looks at once after the loop.
        noise = rng.standard_normal((len(t), 4))
        out.append((t, tid, az, el, rng_m, rr, snr, noise, ident))

    for f in frames:
        t0 = f * frame_s
        # -- track dwells: the longest-waiting tracks first ---------------------------
        n_served = 0
        if len(tracks.obj):
            order = np.lexsort((tracks.start, tracks.last_served))
            served = order[:track_cap]
            n_served = len(served)
            t_dw = t0 + (np.arange(n_served) + 0.5) * cfg.track_dwell_s
            obj = tracks.obj[served]
            real = obj >= 0
            hit = np.zeros(n_served, dtype=bool)
            gone = ~real.copy()
            if np.any(real):
                r = np.flatnonzero(real)
                ok, az, el, rng_m, rr, alive = dwell_looks.at(f, obj[r], r)
                gone[r] = ~alive
                v = np.flatnonzero(ok)
                if v.size:
                    snr_mean = radar.snr_constant * truth.rcs_m2[obj[r[v]]] / rng_m[v] ** 4
                    det, snr = draw_track(snr_mean, rng)
                    d = v[det]
                    hit[r[d]] = True
                    emit(
                        t_dw[r[d]],
                        obj[r[d]],
                        az[d],
                        el[d],
                        rng_m[d],
                        rr[d],
                        snr[det],
                        tracks.ident[served[r[d]]],
                    )
            tracks.last_served[served] = t_dw
            tracks.hits[served] += hit
            tracks.misses[served] = np.where(hit, 0, tracks.misses[served] + 1)
            limit = np.where(tracks.hits[served] < 2, 1, cfg.drop_misses)
            drop = np.zeros(len(tracks.obj), dtype=bool)
            drop[served] = gone | (tracks.misses[served] >= limit)
            drop |= t0 + frame_s - tracks.start >= cfg.track_time_s
            tracks = tracks.keep(~drop)
        occ_track[f] = n_served * cfg.track_dwell_s / frame_s
        occ_open[f] = len(tracks.obj)

        # -- fence: the remaining slots, beam after beam -------------------------------
        free_s = frame_s - n_served * cfg.track_dwell_s
        n_fence = int(free_s / cfg.search_dwell_s)
        occ_fence_s[f] = n_beams * cfg.search_dwell_s * frame_s / max(free_s, 1e-12)
        if n_fence == 0:
            continue
        t_fence0 = t0 + n_served * cfg.track_dwell_s
        if f >= crossings.frame_to:
            crossings = _FenceCrossings.of(
                radar, truth, fence_base, fence_height, frame_s, f, min(f + FENCE_BLOCK, n_frames)
            )
        cand, col, row = crossings.at(f)
        if cand.size:
            b = row * n_az + col
            steps = (b - beam) % n_beams
            visited = steps < n_fence
            cand, steps = cand[visited], steps[visited]
            # Objects already under track are the radar's own: the fence
            # detection goes to that track, so it opens nothing new.
            # (A few objects against a few tracks: a comparison table, not np.isin.)
            cand_new = ~(cand[:, None] == tracks.obj[None, :]).any(axis=1)
            cand, steps = cand[cand_new], steps[cand_new]
            if cand.size:
                t_look = t_fence0 + (steps + 0.5) * cfg.search_dwell_s
                ok, az2, el2, r2, rr2, _ = look(cand, t_look)
                lo2 = fence_base[col[visited][cand_new]]
                ok &= (el2 >= lo2) & (el2 < lo2 + fence_height)
                v = np.flatnonzero(ok)
                if v.size:
                    snr_mean = radar.snr_constant * truth.rcs_m2[cand[v]] / r2[v] ** 4
                    det, snr = draw_fence(snr_mean, rng)
                    d = v[det]
                    ids = next_id + np.arange(d.size)
                    next_id += d.size
                    emit(t_look[d], cand[d], az2[d], el2[d], r2[d], rr2[d], snr[det], ids)
                    tracks = tracks.extend(cand[d], t_look[d], ids)
        # False alarms in the beams visited this frame: each opens a track that dies.
        n_fa = rng.poisson(radar.pfa * cells_per_beam * n_fence)
        if n_fa:
            steps = rng.integers(0, n_fence, n_fa)
            b = (beam + steps) % n_beams
            row, col = b // n_az, b % n_az
            az = (radar.az_min_deg + (col + rng.random(n_fa)) * radar.beamwidth_az_deg) % 360.0
            el = fence_base[col] + (row + rng.random(n_fa)) * radar.beamwidth_el_deg
            rng_m = radar.range_min_m + (radar.range_max_m - radar.range_min_m) * rng.random(n_fa)
            snr = draw_false_alarm_snr(n_fa, radar.pfa, radar.n_pulses, rng)
            t_fa = t_fence0 + (steps + 0.5) * cfg.search_dwell_s
            ids = next_id + np.arange(n_fa)
            next_id += n_fa
            rr = 1000.0 * (2 * rng.random(n_fa) - 1)
            if np.isnan(radar.sigma_range_rate_mps):
                rr = np.full(n_fa, np.nan)
            emit(t_fa, np.full(n_fa, -1), az, el, rng_m, rr, snr, ids)
            # Their noise was added to the true (random) place; what matters is that
            # the dwells that follow find nothing.
            tracks = tracks.extend(np.full(n_fa, -1), t_fa, ids)
        beam = (beam + n_fence) % n_beams
        if progress and f % 200 == 0:
            progress(200 / n_frames)

    cols = (
        "t_s",
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
    if out and len(out[0][0]):
        t, tid, az, el, rng_m, rr, snr, noise, ident = (
            np.concatenate([o[i] for o in out]) for i in range(9)
        )
        det = measurement(radar, t, tid, az, el, rng_m, rr, snr, noise)
        det["dwell_track_id"] = ident
    else:
        det = {k: np.zeros(0) for k in cols}
        det["truth_id"] = det["dwell_track_id"] = np.zeros(0, dtype=np.int64)
    keep = det["t_s"] <= t_end
    det = {k: v[keep] for k, v in det.items()}
    order = np.argsort(det["t_s"], kind="stable")
    det = {k: v[order] for k, v in det.items()}
    occupancy = {
        "t_s": occ_t,
        "track_share": occ_track,
        "open_tracks": occ_open.astype(float),
        "fence_revisit_s": occ_fence_s,
    }
    return det, occupancy


def _compiled_frames(radar, truth: Truth, rng, ground, radius_m: float, fence_base: Array,
                     line: _Timeline, draws: tuple, occupancy: tuple) -> list[tuple[NDArray, ...]]:  # fmt: skip
    """The frame loop, compiled (flat ground): the looks detected, as the Python loop's
    ``out`` (one tuple of columns); fills ``occupancy`` (track share, open tracks,
    fence revisit) in place."""
    from gbad.earth.wgs84 import geodetic2ecef
    from gbad.sensors import _wlr_kernel as k

    cfg = radar.dwells
    frame_s, n_frames, fence_height = line.frame_s, line.n_frames, line.fence_height
    # What stands in the fence, frame by frame, found in the Python loop's blocks.
    blocks = [
        _FenceCrossings.of(
            radar, truth, fence_base, fence_height, frame_s, f, min(f + FENCE_BLOCK, n_frames)
        )
        for f in range(0, n_frames, FENCE_BLOCK)
    ]
    counts = np.concatenate([np.diff(b.ptr) for b in blocks]) if blocks else np.zeros(0, int)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    fence = [np.concatenate([getattr(b, a) for b in blocks]).astype(np.int64) if blocks
             else np.zeros(0, np.int64) for a in ("obj", "col", "row")]  # fmt: skip

    rp = np.zeros(k.N_RADAR)
    rp[[k.R_AZ_MIN, k.R_AZ_WIDTH, k.R_EL_MIN, k.R_EL_MAX, k.R_RANGE_MIN, k.R_RANGE_MAX]] = (
        radar.az_min_deg, radar.az_width_deg, radar.el_min_deg, radar.el_max_deg,
        radar.range_min_m, radar.range_max_m,
    )  # fmt: skip
    rp[[k.R_ALT, k.R_RADIUS, k.R_GROUND, k.R_SNR_CONSTANT]] = (
        radar.alt_m, radius_m, float(ground.alt_m), radar.snr_constant
    )
    foot_o = np.array(geodetic2ecef(radar.lat_deg, radar.lon_deg, 0.0), dtype=float)
    if truth.fine_t_s is not None:
        fine_n, fine_first, fine_last = truth._fine_spans
        fine = (truth.fine_t_s, truth.fine_pos_ecef_m, truth.fine_vel_ecef_mps)
    else:
        fine_n = np.zeros(truth.n_objects, dtype=np.intp)
        fine_first = fine_last = np.zeros(truth.n_objects)
        fine = (np.zeros((truth.n_objects, 1)), np.zeros((truth.n_objects, 1, 3)),
                np.zeros((truth.n_objects, 1, 3)))  # fmt: skip
    c = np.ascontiguousarray
    world = (
        c(truth.t_grid_s, dtype=float), c(truth.pos_ecef_m, dtype=float),
        c(truth.vel_ecef_mps, dtype=float), c(fine_n, dtype=np.int64), c(fine_first, dtype=float),
        c(fine_last, dtype=float), *(c(a, dtype=float) for a in fine),
        c(truth.t_start_s, dtype=float), c(truth.t_end_s, dtype=float),
    )  # fmt: skip
    settings = np.array([
        frame_s, cfg.track_dwell_s, cfg.search_dwell_s, cfg.track_time_s, fence_height,
        line.cells_per_beam, radar.pfa, radar.beamwidth_az_deg, radar.beamwidth_el_deg,
        line.track_cap, cfg.drop_misses, line.n_az, line.n_beams, n_frames,
        float(np.isnan(radar.sigma_range_rate_mps)),
    ], dtype=float)  # fmt: skip
    track, fence_draw = draws
    draw = np.array([
        track.n_pulses, track.shape_k or 0.0, track.threshold,
        fence_draw.n_pulses, fence_draw.shape_k or 0.0, fence_draw.threshold,
    ])  # fmt: skip
    t, obj, geo, snr, noise, ident, fa, occ_track, occ_open, occ_fence = k.wlr_loop(
        rng, rp, c(radar.ecef_m, dtype=float), c(radar.enu_rot, dtype=float), foot_o, world,
        c(truth.rcs_m2, dtype=float), ptr, *fence, c(fence_base, dtype=float), settings, draw,
    )  # fmt: skip
    for dest, src in zip(occupancy, (occ_track, occ_open, occ_fence), strict=True):
        dest[:] = src
    # The false alarms' SNR from their uniform draws, as `draw_false_alarm_snr` makes it.
    snr = snr.copy()
    if fa.any():
        n = float(radar.n_pulses)
        statistic = special.gammainccinv(n, radar.pfa * snr[fa])
        snr[fa] = np.maximum(statistic - n, FALSE_ALARM_SNR_FLOOR)
    tid = np.full(len(obj), -1, dtype=np.int64)
    tid[obj >= 0] = truth.object_id[obj[obj >= 0]]
    return [(t, tid, geo[:, 0], geo[:, 1], geo[:, 2], geo[:, 3], snr, noise, ident)]
