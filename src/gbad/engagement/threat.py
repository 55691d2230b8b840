"""Threat evaluation at the engagement control station: who threatens what, how soon, how badly.

From each track's latest estimate (scenario ENU, m and m/s) and each defended asset:

- the kind, from kinematics alone (the ECS has no truth): ballistic (a missile)
  when faster than 1,200 m/s, artillery (shell, bomb, rocket) when it climbs or
  falls steeply and fast below that, UAV when slow, cruise missile when fast and
  low, else aircraft;
- the motion ahead: constant velocity, or for a ballistic track constant velocity
  under gravity (a vacuum parabola: short extrapolations, where drag changes the
  answer less than the track's own error);
- per asset, the time and distance of the closest point of approach (CPA) and the
  time until the track comes within reach of the asset (inf if it never does, 0 if
  it is already);
- a threat value: the asset's value for a track that will come within reach of it
  (its circle, widened for an aircraft by the stand-off distance of its weapons; else
  a share that falls off with the CPA distance in units of that reach, and nothing
  once it is opening), weighted by urgency 1/(1 + time to reach / 60 s), summed over
  the assets.

The ranked list orders tracks by that value, most threatening first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gbad.engagement._threat_kernel import closest_approach

Array = NDArray[np.float64]

GRAVITY_MPS2 = 9.80665
KINDS = ("aircraft", "cruise_missile", "uav", "ballistic", "artillery")
#: What a medium-range SAM battery engages: shells, mortar bombs and artillery rockets
#: (ballistic and slower than BALLISTIC_MISSILE_MPS) are the counter-artillery's.
ENGAGEABLE = ("aircraft", "cruise_missile", "uav", "ballistic")
#: A track whose vertical speed drops faster than this (m/s²) is in free flight.
FREE_FALL_MPS2 = -6.0
#: A falling track faster than this is a ballistic missile, slower an artillery round.
BALLISTIC_MISSILE_MPS = 1200.0
#: Urgency time scale (s): a threat 60 s out weighs half as much as one arriving now.
URGENCY_S = 60.0
#: Look ahead at most this far (s).
HORIZON_S = 600.0
#: How far from an asset's circle a kind can strike it (m): an attack aircraft releases
#: guided glide bombs about 15 km out at medium altitude [assumption, nominal]; the
#: other kinds must arrive.
STANDOFF_M = {"aircraft": 15e3}


@dataclass(frozen=True)
class Assets:
    """Defended assets in the scenario ENU frame."""

    ids: tuple[str, ...]
    enu_m: Array  # (A, 3)
    radius_m: Array  # (A,)
    value: Array  # (A,)


#: A track becomes a round once the mean of its vertical accelerations over at least
#: ROUND_MIN_SAMPLES updates is below ROUND_FALL_MPS2 (free flight) or above BOOST_MPS2
#: (a rocket's boost, which the track's velocity follows for seconds), and stops being one
#: only when the mean comes back inside ROUND_EXIT_MPS2 (hysteresis): one noisy estimate
#: flips nothing. Each update counts once, however many decisions it is the latest for,
#: and the first seconds of a track's velocity (its filter settling, `control`) not at
#: all. Aircraft, UAVs and cruise missiles hold their height: their mean vertical
#: acceleration stays within a few m/s².
ROUND_MIN_SAMPLES = 5
#: The tracker's velocity lags a round's fall, so its mean shows about −5 to −8 m/s²
#: rather than −g: the bar is set below what level flight shows (|mean| ≲ 1 m/s²).
ROUND_FALL_MPS2 = -4.0
BOOST_MPS2 = 8.0
ROUND_EXIT_MPS2 = (-2.0, 4.0)
#: A shell, bomb or rocket in flight over any range a battery cares about is faster than
#: this (m/s): a slower track (a UAV with a settling filter) is no round [assumption].
ROUND_MIN_SPEED_MPS = 100.0
#: A track is classified (and may be engaged) once it has shown ROUND_MIN_SAMPLES
#: vertical accelerations over at least SETTLE_DECISIONS decisions; one whose updates
#: are too sparse to show them is classified from its kinematics after SETTLE_SPARSE.
SETTLE_DECISIONS = 5
SETTLE_SPARSE = 30
#: Each vertical acceleration is clipped to this (m/s²) before it joins the mean.
ACC_CLIP_MPS2 = 30.0
#: The mean is over the whole track, up to this many updates, then a moving average.
ROUND_MEMORY_SAMPLES = 30
#: Decisions faster than BALLISTIC_MISSILE_MPS before a track is a ballistic missile for good.
BALLISTIC_MIN_DECISIONS = 2


@dataclass
class KindMemory:
    """Each track's kind from its whole history, with hysteresis (:meth:`update`).

    The instantaneous kind (:func:`classify_kind` without acceleration) is overruled by
    what the track has shown over time: a mean vertical acceleration of free flight makes
    it a round (artillery), speeds of a ballistic missile make it one for good.
    """

    mean_acc_up: dict[int, float] = field(default_factory=dict)
    n: dict[int, int] = field(default_factory=dict)
    #: each track's latest update already folded in
    t_folded: dict[int, float] = field(default_factory=dict)
    seen: dict[int, int] = field(default_factory=dict)
    fast: dict[int, int] = field(default_factory=dict)
    round_: set[int] = field(default_factory=set)

    def settled(self, ids: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Tracks classified for good enough to engage (see SETTLE_DECISIONS): the station
        engages nothing it cannot yet tell from a round."""
        out = []
        for k in ids.tolist():
            seen, n = self.seen.get(k, 0), self.n.get(k, 0)
            out.append(
                (seen >= SETTLE_DECISIONS and n >= ROUND_MIN_SAMPLES) or seen >= SETTLE_SPARSE
            )
        return np.array(out, dtype=bool)

    def update(
        self,
        ids: NDArray[np.int64],
        pos_enu_m: Array,
        vel_enu_mps: Array,
        acc_up_mps2: Array,
        t_update_s: Array | None = None,
    ) -> NDArray[np.object_]:
        """Fold in one decision's estimates; the kind of each track now.

        ``t_update_s``: when each track's estimate was made; an update already folded in
        (the latest for several decisions) is not counted again. Without it every call
        is a new update.
        """
        # A steep, fast estimate makes a round only where the track's climb is trusted
        # (where it gives an acceleration at all): a young track's is a guess.
        kind = classify_kind(pos_enu_m, vel_enu_mps, climb_trusted=np.isfinite(acc_up_mps2))
        speed = np.linalg.norm(vel_enu_mps, axis=-1)
        out = kind.copy()
        for i, k in enumerate(ids.tolist()):
            self.seen[k] = self.seen.get(k, 0) + 1
            # One wild estimate (a track jumping to another plot) moves the mean little.
            a = float(np.clip(acc_up_mps2[i], -ACC_CLIP_MPS2, ACC_CLIP_MPS2))
            new = t_update_s is None or t_update_s[i] > self.t_folded.get(k, -np.inf)
            if np.isfinite(a) and new:
                if t_update_s is not None:
                    self.t_folded[k] = float(t_update_s[i])
                n = min(self.n.get(k, 0) + 1, ROUND_MEMORY_SAMPLES)
                m = self.mean_acc_up.get(k, 0.0)
                self.mean_acc_up[k] = m + (a - m) / n
                self.n[k] = n
            if speed[i] >= BALLISTIC_MISSILE_MPS:
                self.fast[k] = self.fast.get(k, 0) + 1
            mean = self.mean_acc_up.get(k, 0.0)
            if (
                self.n.get(k, 0) >= ROUND_MIN_SAMPLES
                and not (ROUND_FALL_MPS2 <= mean <= BOOST_MPS2)
                and speed[i] >= ROUND_MIN_SPEED_MPS
            ):
                self.round_.add(k)
            elif k in self.round_ and ROUND_EXIT_MPS2[0] < mean < ROUND_EXIT_MPS2[1]:
                self.round_.discard(k)
            if self.fast.get(k, 0) >= BALLISTIC_MIN_DECISIONS:
                out[i] = "ballistic"
            elif k in self.round_ or kind[i] == "artillery":
                out[i] = "artillery"
            elif kind[i] == "ballistic":
                out[i] = "aircraft"  # one fast estimate is not yet a missile
        return out


@dataclass
class ThreatPicture:
    """Per track (N) and per track and asset (N, A)."""

    kind: NDArray[np.object_]  # (N,)
    t_cpa_s: Array  # (N, A) time from now to the closest point of approach
    cpa_m: Array  # (N, A) horizontal miss distance there
    time_to_asset_s: Array  # (N, A) until the track enters the asset's circle
    value: Array  # (N,) threat value
    rank: NDArray[np.intp]  # (N,) 0 = most threatening

    @property
    def order(self) -> NDArray[np.intp]:
        return np.argsort(self.rank, kind="stable")


def classify_kind(
    pos_enu_m: Array,
    vel_enu_mps: Array,
    acc_up_mps2: Array | None = None,
    climb_trusted: NDArray[np.bool_] | None = None,
) -> NDArray[np.object_]:
    """A kind per track from its speed, climb, height and, when known, vertical acceleration.

    A track whose vertical speed falls at nearly g (``acc_up_mps2`` below −6 m/s², from
    the track's own history) is in free flight: artillery, or a ballistic missile when
    faster than BALLISTIC_MISSILE_MPS — however level it happens to be at its apex.
    ``climb_trusted``: False where a track's climb is too uncertain to call it steep.
    """
    speed = np.linalg.norm(vel_enu_mps, axis=-1)
    climb = vel_enu_mps[..., 2]
    height = pos_enu_m[..., 2]
    kind = np.full(speed.shape, "aircraft", dtype=object)
    kind[speed < 80.0] = "uav"
    kind[(speed >= 150.0) & (speed < 350.0) & (height < 500.0)] = "cruise_missile"
    steep = np.abs(climb) > 0.3 * speed
    if climb_trusted is not None:
        steep &= climb_trusted
    falling = steep & (speed >= 350.0)
    if acc_up_mps2 is not None:
        falling |= np.nan_to_num(acc_up_mps2, nan=0.0) < FREE_FALL_MPS2
    kind[falling] = "artillery"
    kind[speed >= BALLISTIC_MISSILE_MPS] = "ballistic"
    return kind


def evaluate(
    pos_enu_m: Array,
    vel_enu_mps: Array,
    assets: Assets,
    acc_up_mps2: Array | None = None,
    kind: NDArray[np.object_] | None = None,
) -> ThreatPicture:
    """Threat picture of N tracks against the assets, all at one instant.

    ``kind``: each track's kind when the caller knows it better (:class:`KindMemory`);
    otherwise it is classified from this instant alone.
    """
    n = len(pos_enu_m)
    if kind is None:
        kind = classify_kind(pos_enu_m, vel_enu_mps, acc_up_mps2)
    ballistic = (kind == "ballistic") | (kind == "artillery")
    t = np.linspace(0.0, HORIZON_S, 1201)  # 0.5 s steps: fine for CPA of ≤ 600 s paths
    acc = np.zeros((n, 3))
    acc[ballistic, 2] = -GRAVITY_MPS2
    # An asset is struck from its circle, or from the kind's stand-off distance beyond it.
    reach = (
        assets.radius_m[None, :] + np.array([STANDOFF_M.get(str(k), 0.0) for k in kind])[:, None]
    )  # (N, A)
    # Each track flown on the grid (a ballistic one ends on the ground: beyond that it
    # threatens nothing new), its closest approach to each asset and its first sample
    # within reach.
    n_a = len(assets.enu_m)
    k = np.zeros((n, n_a), dtype=np.int64)
    cpa = np.zeros((n, n_a))
    first = np.zeros((n, n_a), dtype=np.int64)
    closest_approach(
        np.ascontiguousarray(pos_enu_m, dtype=float),
        np.ascontiguousarray(vel_enu_mps, dtype=float),
        acc,
        np.ascontiguousarray(ballistic),
        t,
        np.ascontiguousarray(assets.enu_m[:, :2], dtype=float),
        np.ascontiguousarray(reach, dtype=float),
        k,
        cpa,
        first,
    )
    t_cpa = t[k]
    enters = first >= 0
    time_to = np.where(enters, t[np.maximum(first, 0)], np.inf)
    # A track opening from an asset it is not within reach of has passed it: no threat.
    near = np.where(t_cpa > 0.0, np.exp(-np.maximum(cpa / reach - 1.0, 0.0)), 0.0)
    share = np.where(enters, 1.0, near)
    urgency = 1.0 / (1.0 + np.where(enters, time_to, t_cpa) / URGENCY_S)
    value = np.sum(assets.value[None, :] * share * urgency, axis=1)
    order = np.argsort(-value, kind="stable")
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n)
    return ThreatPicture(kind, t_cpa, cpa, time_to, value, rank)
