"""The multifunction radar's time budget: search frame, track dwells, missile uplinks.

Each decision frame the radar's time is booked in priority order:

1. uplinks to interceptors in flight (`uplink_dwell_s` at `uplink_rate_hz` each);
2. tracks under engagement, at `engaged_rate_hz`;
3. the other tracks, most threatening (closest) first, each at a revisit rate that
   adapts to it: `base_rate_hz`, raised to `near_rate_hz` inside `near_m`, and to
   `fast_rate_hz` for fast or steep (manoeuvring, ballistic) tracks;
4. the search frame, which keeps at least `search_share_min` of the time.

When the tracks want more than is left, the least urgent ones get a lower rate
(their share is scaled down), never the search's minimum. The booking is
recorded over time (`radar_occupancy`), and it drives the radar: the tracks
under engagement and the station's candidate targets get track dwells at their
booked rate (`dwell_times`), which the run simulates as detections
(:func:`gbad.sensors.radar.simulate_track_dwells`) and the tracker takes on the
radar's track channel. The search frame keeps the scenario's period: the track
load is booked in the time above the search's minimum share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gbad.engagement.threat import Assets
from gbad.sensors.radar import TRACK_DWELL_WINDOW_S


@dataclass(frozen=True)
class MfrBudget:
    track_dwell_s: float = 0.004
    uplink_dwell_s: float = 0.002
    uplink_rate_hz: float = 1.0
    base_rate_hz: float = 0.5
    near_rate_hz: float = 1.0
    near_m: float = 40e3
    fast_rate_hz: float = 2.0
    fast_mps: float = 600.0
    engaged_rate_hz: float = 4.0
    search_share_min: float = 0.3

    def __post_init__(self) -> None:
        # The tracker takes one dwell per track per window.
        top = max(self.base_rate_hz, self.near_rate_hz, self.fast_rate_hz, self.engaged_rate_hz)
        if top * TRACK_DWELL_WINDOW_S > 1.0 + 1e-9:
            raise ValueError(
                f"MFR revisit rates must be <= {1 / TRACK_DWELL_WINDOW_S:g} Hz (got {top:g} Hz)"
            )


def dwell_times(t0_s: float, interval_s: float, rate_hz: NDArray) -> tuple[NDArray, NDArray]:
    """Track dwells booked in [t0, t0 + interval) at each track's rate: (track index, time).

    Dwells lie on each rate's own grid ((j + ½)/rate), so a track whose rate stays put
    is revisited evenly across decisions, and at most once per tracker window
    (`TRACK_DWELL_WINDOW_S` divides 1 s and every grid point of a rate <= 4 Hz lies
    inside one window).
    """
    rate = np.asarray(rate_hz, dtype=float)
    idx, times = [], []
    for i in np.flatnonzero(rate > 0):
        j0 = int(np.ceil(t0_s * rate[i] - 0.5 - 1e-9))
        j1 = int(np.ceil((t0_s + interval_s) * rate[i] - 0.5 - 1e-9))
        t = (np.arange(j0, j1) + 0.5) / rate[i]
        idx.append(np.full(t.size, i))
        times.append(t)
    if not idx:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    return np.concatenate(idx).astype(np.intp), np.concatenate(times)


def book_frame(
    budget: MfrBudget,
    t_s: float,
    pos_enu_m: NDArray,
    vel_enu_mps: NDArray,
    track_ids: NDArray,
    engaged: set[int],
    assets: Assets,
) -> tuple[dict[str, float], NDArray]:
    """One frame's booking: shares of time (0..1) and how many tracks got their full rate;
    and each track's booked (served) revisit rate in Hz."""
    n = len(track_ids)
    eng = np.array([int(k) in engaged for k in track_ids], dtype=bool)
    if n:
        d = (
            np.min(
                np.linalg.norm(pos_enu_m[:, None, :2] - assets.enu_m[None, :, :2], axis=-1), axis=1
            )
            if len(assets.ids)
            else np.linalg.norm(pos_enu_m[:, :2], axis=1)
        )
        speed = np.linalg.norm(vel_enu_mps, axis=1)
        steep = np.abs(vel_enu_mps[:, 2]) > 0.3 * np.maximum(speed, 1e-9)
        rate = np.full(n, budget.base_rate_hz)
        rate = np.where(d < budget.near_m, budget.near_rate_hz, rate)
        rate = np.where((speed > budget.fast_mps) | steep, budget.fast_rate_hz, rate)
        rate = np.where(eng, budget.engaged_rate_hz, rate)
    else:
        d = rate = np.zeros(0)
    uplink = len(engaged) * budget.uplink_rate_hz * budget.uplink_dwell_s
    want_eng = float(np.sum(rate[eng])) * budget.track_dwell_s
    left = max(1.0 - budget.search_share_min - uplink, 0.0)
    eng_share = min(want_eng, left)
    left -= eng_share
    booked = rate.copy()
    if want_eng > eng_share + 1e-12:
        booked[eng] *= eng_share / want_eng
    rest = np.flatnonzero(~eng)
    order = rest[np.argsort(d[rest], kind="stable")]
    want = rate[order] * budget.track_dwell_s
    cum = np.cumsum(want)
    served = cum <= left + 1e-12
    used = float(cum[served][-1]) if served.any() else 0.0
    track_share = eng_share + used
    # Those beyond the budget share what is left, at a lower rate.
    degraded = int((~served).sum())
    if degraded:
        spare = max(left - used, 0.0)
        track_share += spare
        booked[order[~served]] *= spare / float(want[~served].sum())
    search = 1.0 - uplink - track_share
    frame = {
        "t_s": t_s,
        "search_share": search,
        "track_share": track_share,
        "uplink_share": uplink,
        "tracks": n,
        "tracks_degraded": degraded + int(want_eng > eng_share + 1e-12) * int(eng.sum()),
    }
    return frame, booked
