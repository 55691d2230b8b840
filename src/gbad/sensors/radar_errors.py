"""A radar's slowly varying measurement errors: the angle floor, low-angle multipath, refraction.

Thermal noise is new at every look; these are not, so they do not average away over
a track:

- The angle *floor* (glint, quantisation, residual calibration: `floor_fraction` of
  the reference σ) wanders about each object with a correlation time
  ``floor_correlation_s``.
- *Multipath*: near the horizon the ground's mirror image of the target sits in the
  beam and pulls the elevation. Its 1-σ follows Barton's form ρ·θ_bw/√8 times the
  beam's voltage pattern at the image's offset (2·el off boresight, a Gaussian beam)
  over a sidelobe floor (`MULTIPATH_SIDELOBE`); it changes as the geometry does,
  with a correlation time ``multipath_correlation_s``. The radar reports it in its
  elevation σ (it knows where the horizon is), but not its value.
- *Refraction*: the radar corrects elevations with the standard refractivity gradient;
  the day's differs, and the ray's curvature κ = −dN/dh bends a target at slant range
  R up by κ·R/2, so what is left is (κ_day − κ_standard)·R/2.

Each wandering error is a stationary Gaussian-like process with an exponential
autocorrelation, made as a sum of `FOURIER_TERMS` cosines with Cauchy-distributed
frequencies (the Lorentzian spectrum of exp(−|τ|/T)) and random phases, drawn per
radar and object once a run: it can be evaluated at any time, in any order, in any
chunk of looks, and gives the same value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

#: Cosine terms per process.
FOURIER_TERMS = 16
#: Processes per object: floor azimuth, floor elevation, multipath elevation.
N_PROCESSES = 3
#: One-way sidelobe voltage level under the image when it is out of the main beam.
MULTIPATH_SIDELOBE = 0.03
#: Gaussian beam: voltage exp(−GAUSS_BEAM·x²) at x beamwidths off boresight (−3 dB
#: two-way at x = ½).
GAUSS_BEAM = 2.0 * np.log(2.0)


def multipath_sigma_deg(el_deg: ArrayLike, beamwidth_el_deg: float, reflection: float) -> Array:
    """1-σ of the multipath elevation error at true elevations ``el_deg`` (deg)."""
    x = 2.0 * np.maximum(np.asarray(el_deg, dtype=float), 0.0) / beamwidth_el_deg
    pattern = np.maximum(np.exp(-GAUSS_BEAM * x**2), MULTIPATH_SIDELOBE)
    return reflection * beamwidth_el_deg / np.sqrt(8.0) * pattern


def mean_variance_share(duration_s: ArrayLike, corr_s: float) -> Array:
    """Var(mean over a span) / σ² of a process with autocorrelation exp(−|τ|/T):
    how much of it a track of that span cannot average away."""
    x = np.maximum(np.asarray(duration_s, dtype=float), 1e-9) / corr_s
    # For a short span the closed form cancels itself away: its series, 1 − x/3.
    with np.errstate(invalid="ignore", divide="ignore"):
        closed = 2.0 * (x - 1.0 + np.exp(-x)) / x**2
    return np.where(x < 1e-3, 1.0 - x / 3.0, closed)


@dataclass(frozen=True)
class WanderingErrors:
    """Unit-σ wandering processes per object (rows: truth object id − 1)."""

    omega_radps: Array  # (n_objects, N_PROCESSES, FOURIER_TERMS)
    phase_rad: Array  # (n_objects, N_PROCESSES, FOURIER_TERMS)

    @classmethod
    def draw(
        cls, n_objects: int, corr_s: tuple[float, float, float], rng: np.random.Generator
    ) -> WanderingErrors:
        shape = (n_objects, N_PROCESSES, FOURIER_TERMS)
        omega = rng.standard_cauchy(shape) / np.asarray(corr_s, dtype=float)[None, :, None]
        phase = rng.uniform(0.0, 2.0 * np.pi, shape)
        return cls(omega, phase)

    def at(self, truth_id: NDArray[np.int64], t_s: Array) -> Array:
        """(n, N_PROCESSES) values at the looks; zero for looks at nothing (id < 1)."""
        tid = np.asarray(truth_id, dtype=np.int64)
        real = (tid >= 1) & (tid <= len(self.omega_radps))
        out = np.zeros((len(tid), N_PROCESSES))
        if np.any(real):
            i = tid[real] - 1
            arg = self.omega_radps[i] * np.asarray(t_s, dtype=float)[real, None, None]
            out[real] = np.sqrt(2.0 / FOURIER_TERMS) * np.sum(
                np.cos(arg + self.phase_rad[i]), axis=-1
            )
        return out


__all__ = ["WanderingErrors", "mean_variance_share", "multipath_sigma_deg"]
