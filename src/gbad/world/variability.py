"""The world's variability, drawn once per run: the air of the day, the lots, the map's error.

The truth flies in what is drawn here; estimators are handed only the σ of the
scenario's ``[variability]`` table (`WorldSigma`), never the draw. Every draw comes
from the run's own stream, so a run is reproducible from its seed and number.

- Wind: per horizontal component, Gaussian with zero mean and σ(h) growing linearly
  from ``wind_sigma_mps`` at the ground to ``wind_sigma_aloft_mps`` at 8 km (held
  above), correlated between layers as exp(−|Δh|/``wind_correlation_m``): a profile
  that turns and strengthens with height, as a met message's zones do. Vertical wind
  is zero.
- Air: density times (1 + ``density_sigma_frac``·N), temperature departure
  ``temperature_sigma_k``·N giving a speed-of-sound factor √(1 + δT/288.15); both
  uniform with height (a simplification: a real departure changes with height).
- Lots: each threat is one lot (a battery's ammunition, a launcher's salvo): its drag,
  and an artillery rocket's impulse and burn-time factors, are 1 + lot·N, and each
  round adds its own round·N.
- Refraction: the day's refractivity gradient is the scenario's plus
  ``refractivity_sigma_per_m``·N.
- The locator's map: the truth's ground plus a smooth Gaussian field of σ
  ``terrain_sigma_m`` and correlation length ``terrain_correlation_m`` (random
  Fourier features, so it can be evaluated anywhere without a grid).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.earth.wgs84 import enu_rotation, geodetic2enu
from gbad.scenario.schema import ROUTE_KINDS, Scenario, Variability
from gbad.world.ballistic import Air

Array = NDArray[np.float64]

#: Heights above the ground (the scenario origin) of the wind layers (m).
WIND_LAYERS_AGL_M = np.array(
    [0.0, 100.0, 300.0, 600.0, 1000.0, 1500.0, 2000.0, 3000.0, 4000.0, 5000.0, 6000.0,
     8000.0, 10000.0, 12000.0, 16000.0, 20000.0]
)  # fmt: skip
#: The wind's σ reaches its value aloft at this height (m above the ground).
WIND_ALOFT_M = 8000.0
#: Standard sea-level temperature (K): the reference of the speed-of-sound factor.
T0_K = 288.15
#: Terms of the terrain error field's random Fourier sum.
TERRAIN_TERMS = 128


def wind_sigma_mps(cfg: Variability, h_agl_m: ArrayLike) -> Array:
    """The wind's 1-σ per horizontal component at heights above the ground."""
    frac = np.clip(np.asarray(h_agl_m, dtype=float) / WIND_ALOFT_M, 0.0, 1.0)
    return cfg.wind_sigma_mps + (cfg.wind_sigma_aloft_mps - cfg.wind_sigma_mps) * frac


@dataclass(frozen=True)
class WorldSigma:
    """What estimators know of the world's variability: the nominal σ, by source."""

    variability: Variability
    origin_alt_m: float

    @property
    def ideal(self) -> bool:
        return self.variability.ideal

    def wind_mps(self, h_m: ArrayLike) -> Array:
        """The wind's σ per horizontal component at heights above the ellipsoid."""
        if self.ideal:
            return np.zeros(np.shape(h_m))
        return wind_sigma_mps(self.variability, np.asarray(h_m) - self.origin_alt_m)

    @property
    def density_frac(self) -> float:
        return 0.0 if self.ideal else self.variability.density_sigma_frac

    @property
    def sound_frac(self) -> float:
        return 0.0 if self.ideal else 0.5 * self.variability.temperature_sigma_k / T0_K

    @property
    def impulse_frac(self) -> float:
        v = self.variability
        return 0.0 if self.ideal else float(np.hypot(v.impulse_lot_sigma_frac,
                                                     v.impulse_round_sigma_frac))  # fmt: skip

    @property
    def burn_time_frac(self) -> float:
        v = self.variability
        return 0.0 if self.ideal else float(np.hypot(v.burn_time_lot_sigma_frac,
                                                     v.burn_time_round_sigma_frac))  # fmt: skip

    @property
    def refractivity_per_m(self) -> float:
        return 0.0 if self.ideal else self.variability.refractivity_sigma_per_m

    @property
    def terrain_m(self) -> float:
        return 0.0 if self.ideal else self.variability.terrain_sigma_m


@dataclass(frozen=True)
class TerrainError:
    """A smooth Gaussian height-error field over the scenario's local east and north."""

    origin: tuple[float, float, float]
    wave_per_m: Array  # (N, 2)
    phase_rad: Array  # (N,)
    amplitude_m: float  # σ·√(2/N)

    @classmethod
    def draw(
        cls, origin: tuple[float, float, float], sigma_m: float, corr_m: float,
        rng: np.random.Generator,
    ) -> TerrainError:  # fmt: skip
        # Wave vectors from the spectrum of exp(−d²/2L²): N(0, I/L²).
        wave = rng.standard_normal((TERRAIN_TERMS, 2)) / corr_m
        phase = rng.uniform(0.0, 2.0 * np.pi, TERRAIN_TERMS)
        return cls(origin, wave, phase, sigma_m * np.sqrt(2.0 / TERRAIN_TERMS))

    def at(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> Array:
        lat, lon = np.broadcast_arrays(np.asarray(lat_deg, float), np.asarray(lon_deg, float))
        e, n, _ = geodetic2enu(lat, lon, np.zeros(lat.shape), *self.origin)
        arg = e[..., None] * self.wave_per_m[:, 0] + n[..., None] * self.wave_per_m[:, 1]
        return self.amplitude_m * np.sum(np.cos(arg + self.phase_rad), axis=-1)


@dataclass(frozen=True)
class MappedGround:
    """The ground as the locator's map has it: the truth's ground plus a height error."""

    truth_ground: object
    error: TerrainError

    def height_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> Array:
        base = np.asarray(self.truth_ground.height_m(lat_deg, lon_deg), dtype=float)  # type: ignore[attr-defined]
        return base + self.error.at(lat_deg, lon_deg)

    @property
    def flat_base_m(self) -> float | None:
        """The truth's ground's one height when it is flat (else None): the locator then
        finds crossings level floor by level floor instead of sampling a DEM."""
        alt = getattr(self.truth_ground, "alt_m", None)
        return None if alt is None else float(alt)

    @property
    def min_height_m(self) -> float:
        base = getattr(self.truth_ground, "min_height_m", None)
        if base is None:
            base = getattr(self.truth_ground, "alt_m", -500.0)
        # The field's sum is bounded by N·amplitude; 6σ is far past anything drawn.
        return float(base) - 6.0 * self.error.amplitude_m * np.sqrt(TERRAIN_TERMS / 2.0)


@dataclass(frozen=True)
class WorldDraw:
    """One run's draw of the world: the air, each threat's rounds' factors, the refraction
    of the day and the locator's map error (None: exact)."""

    air: Air
    drag_factor: dict[str, Array]
    impulse_factor: dict[str, Array]
    burn_factor: dict[str, Array]
    refractivity_gradient_per_m: float
    terrain_error: TerrainError | None

    @classmethod
    def nominal(cls, scenario: Scenario) -> WorldDraw:
        ones = {t.id: np.ones(t.count) for t in scenario.threats if t.kind not in ROUTE_KINDS}
        return cls(
            Air.calm(), ones, dict(ones), dict(ones),
            scenario.scenario.refractivity_gradient_per_m, None,
        )  # fmt: skip


def draw_world(scenario: Scenario, rng: np.random.Generator) -> WorldDraw:
    """The run's world, from the scenario's ``[variability]`` σ (nominal when ``ideal``)."""
    cfg = scenario.variability
    if cfg.ideal:
        return WorldDraw.nominal(scenario)
    o = scenario.scenario.origin
    # Wind: two independent components, each a correlated Gaussian over the layers.
    h = WIND_LAYERS_AGL_M
    corr = np.exp(-np.abs(h[:, None] - h[None, :]) / cfg.wind_correlation_m)
    chol = np.linalg.cholesky(corr + 1e-12 * np.eye(len(h)))
    en = (chol @ rng.standard_normal((len(h), 2))) * wind_sigma_mps(cfg, h)[:, None]
    rot = enu_rotation(o.lat_deg, o.lon_deg)  # rows: east, north, up in ECEF
    wind_ecef = en @ rot[:2]
    rho_k = max(1.0 + cfg.density_sigma_frac * rng.standard_normal(), 0.5)
    d_t = cfg.temperature_sigma_k * rng.standard_normal()
    snd_k = float(np.sqrt(max(1.0 + d_t / T0_K, 0.5)))
    air = Air(o.alt_m + h, wind_ecef, rho_k, snd_k)
    drag: dict[str, Array] = {}
    impulse: dict[str, Array] = {}
    burn: dict[str, Array] = {}
    for t in scenario.threats:
        if t.kind in ROUTE_KINDS:
            continue
        lot = rng.standard_normal(3)
        rnd = rng.standard_normal((3, t.count))

        def factor(i: int, lot_sigma: float, round_sigma: float, lot=lot, rnd=rnd) -> Array:
            return np.maximum(1.0 + lot_sigma * lot[i] + round_sigma * rnd[i], 0.5)

        drag[t.id] = factor(0, cfg.drag_lot_sigma_frac, cfg.drag_round_sigma_frac)
        impulse[t.id] = factor(1, cfg.impulse_lot_sigma_frac, cfg.impulse_round_sigma_frac)
        burn[t.id] = factor(2, cfg.burn_time_lot_sigma_frac, cfg.burn_time_round_sigma_frac)
        if t.kind != "rocket":
            # A guided missile's motor is cut off when its range is made: its spread is
            # its own dispersion (`MunitionProfile`), not an artillery rocket's.
            impulse[t.id] = burn[t.id] = np.ones(t.count)
    gradient = scenario.scenario.refractivity_gradient_per_m
    gradient += cfg.refractivity_sigma_per_m * rng.standard_normal()
    gradient = float(np.clip(gradient, -150e-9, 100e-9))  # short of ducting
    terrain = None
    if cfg.terrain_sigma_m > 0.0:
        terrain = TerrainError.draw(
            (o.lat_deg, o.lon_deg, o.alt_m), cfg.terrain_sigma_m, cfg.terrain_correlation_m, rng
        )
    return WorldDraw(air, drag, impulse, burn, gradient, terrain)


__all__ = [
    "MappedGround",
    "TerrainError",
    "WorldDraw",
    "WorldSigma",
    "draw_world",
    "wind_sigma_mps",
]
