"""What the end game knows of each target class, and the radar's kill assessment.

Two kinds of figure, kept apart on purpose:

- the truth's (physics): a target's glint, drawn by the seeker model; the kill, drawn
  from the miss distance, the target class and the missile's reliability;
- the station's (knowledge): nominal RCS and ballistic coefficient per class it has
  labelled the track with, which it uses to predict and to plan, never the drawn values.

Every figure is nominal (an assumption stated here and in docs/engagement.md), not a
published one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: 1-σ glint (m) by truth kind: about a quarter of the extent the seeker sees, the rule of
#: thumb for the wander of the apparent reflection centre (Zarchan, glint chapter) [nominal].
#: A fighter head-on shows its ~10 m span; an SRBM or a cruise missile nose-on ~1-2 m.
GLINT_M: dict[str, float] = {
    "aircraft": 2.5,
    "cruise_missile": 0.5,
    "uav": 0.6,
    "ballistic_missile": 0.5,
    "shell": 0.05,
    "mortar": 0.05,
    "rocket": 0.1,
}

#: The station's kinds (:data:`gbad.engagement.threat.KINDS`) as target classes for P_k.
CLASS_OF_KIND: dict[str, str] = {
    "aircraft": "aircraft",
    "cruise_missile": "cruise_missile",
    "uav": "uav",
    "ballistic": "ballistic_missile",
    "artillery": "rocket",
}

#: RCS (m²) the station assumes per kind when it predicts the seeker's lock-on [nominal].
NOMINAL_RCS_M2: dict[str, float] = {
    "aircraft": 5.0,
    "cruise_missile": 0.1,
    "uav": 0.05,
    "ballistic": 0.5,
    "artillery": 0.01,
}

#: Ballistic coefficient m/(C_D·A) (kg/m²) the station assumes for a ballistic missile
#: until its track shows the drag: a Scud-class body after burnout, 2.2 t over
#: 0.24 × 0.61 m² [nominal]; and the band an estimate from the track is held to.
NOMINAL_BETA_KG_M2 = 15_000.0
BETA_BAND = (0.5, 2.0)
#: Drag deceleration (m/s²) below which the track's own estimate of β is not trusted.
MIN_DRAG_MPS2 = 2.0


def station_density_kgpm3(height_m: np.ndarray) -> np.ndarray:
    """The station's air: an exponential atmosphere, 1.225 kg/m³ at the ground and a scale
    height of 7.2 km (its own model for prediction, not the truth's US 1976)."""
    return 1.225 * np.exp(-np.maximum(height_m, 0.0) / 7200.0)


@dataclass(frozen=True)
class KillAssessment:
    """The radar's verdict on an intercept, which can be wrong [nominal rates].

    ``p_false_kill``: it declares a kill that did not happen (debris, a broken-up but
    live warhead); ``p_missed_kill``: it declares a miss although the target was killed.
    """

    p_false_kill: float = 0.05
    p_missed_kill: float = 0.10

    def declare(self, killed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The verdicts (True = kill declared) for the true outcomes, one draw each."""
        u = rng.random(np.shape(killed))
        return np.where(killed, u >= self.p_missed_kill, u < self.p_false_kill)


def estimate_beta(
    speed_mps: np.ndarray,
    climb_mps: np.ndarray,
    decel_along_mps2: np.ndarray,
    height_m: np.ndarray,
) -> np.ndarray:
    """The ballistic coefficient a ballistic track shows, or the nominal one.

    Along the path dv/dt = −D/m − g·sinγ, so D/m = −dv/dt − g·v_up/v and
    β = ρ(h)·v²/(2·D/m) in the station's exponential atmosphere. Where the drag is
    below ``MIN_DRAG_MPS2`` (high up) the estimate is noise and the nominal is kept;
    otherwise it is held to ``BETA_BAND`` × nominal.
    """
    g = 9.80665
    v = np.maximum(speed_mps, 1.0)
    drag = -decel_along_mps2 - g * climb_mps / v
    rho = station_density_kgpm3(height_m)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = rho * v * v / (2.0 * drag)
    lo, hi = BETA_BAND
    beta = np.clip(beta, lo * NOMINAL_BETA_KG_M2, hi * NOMINAL_BETA_KG_M2)
    ok = np.isfinite(drag) & (drag >= MIN_DRAG_MPS2)
    return np.where(ok, beta, NOMINAL_BETA_KG_M2)


__all__ = [
    "CLASS_OF_KIND",
    "GLINT_M",
    "NOMINAL_BETA_KG_M2",
    "NOMINAL_RCS_M2",
    "KillAssessment",
    "estimate_beta",
]
