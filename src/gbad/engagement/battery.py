"""The scenario's batteries as the station holds them: launchers, profiles, settings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gbad.earth.wgs84 import geodetic2enu
from gbad.engagement.endgame import KillAssessment
from gbad.engagement.profiles import InterceptorProfile, interceptor_profile
from gbad.engagement.threat import Assets

Array = NDArray[np.float64]


@dataclass
class _Launcher:
    battery: str
    id: str
    enu_m: Array
    missiles: int
    reloads: int
    capacity: int
    ready_s: float = 0.0


def scenario_assets(model) -> Assets:
    """The scenario's defended assets in its ENU frame."""

    o = model.scenario.origin
    enu, radius, value, ids = [], [], [], []
    for a in model.assets:
        lat, lon, alt = a.position.to_geodetic(o)
        enu.append(geodetic2enu(lat, lon, alt, o.lat_deg, o.lon_deg, o.alt_m))
        radius.append(a.radius_m)
        value.append(a.value)
        ids.append(a.id)
    return Assets(tuple(ids), np.array(enu, dtype=float).reshape(-1, 3),
                  np.array(radius, dtype=float), np.array(value, dtype=float))  # fmt: skip


def with_peak_speed(profile, speed_mps: float):
    """The profile with both motors' thrust scaled so its nominal peak speed is ``speed_mps``.

    The peak is the fastest point of the profile's own straight flights (every path
    elevation of :func:`.prediction.speed_profile`); the scale is found by bisection.
    """
    from gbad.engagement.prediction import speed_profile

    def peak(k: float) -> float:
        p = replace(
            profile,
            boost_thrust_n=profile.boost_thrust_n * k,
            sustain_thrust_n=profile.sustain_thrust_n * k,
        )
        return float(np.max(speed_profile(p).speed_mps)), p

    lo, hi = 0.05, 4.0
    f_lo, f_hi = peak(lo)[0] - speed_mps, peak(hi)[0] - speed_mps
    if f_lo > 0 or f_hi < 0:
        raise ValueError(
            f"interceptor speed_mps {speed_mps:g} is out of reach of {profile.name!r} "
            f"by thrust scaling ({f_lo + speed_mps:.0f}-{f_hi + speed_mps:.0f} m/s)"
        )
    # Illinois regula falsi: the peak speed is smooth and monotone in the scale.
    side = 0
    for _ in range(30):
        k = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        f_k, p_k = peak(k)
        f_k -= speed_mps
        if abs(f_k) < 0.1:
            return p_k
        if f_k < 0:
            lo, f_lo = k, f_k
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            hi, f_hi = k, f_k
            if side == 1:
                f_lo *= 0.5
            side = 1
    return p_k


@dataclass
class _Batteries:
    """Every battery's launchers and settings, by battery id."""

    launchers: list[_Launcher] = field(default_factory=list)
    profiles: dict[str, Any] = field(default_factory=dict)
    doctrine: dict[str, Any] = field(default_factory=dict)
    reaction: dict[str, float] = field(default_factory=dict)
    interval: dict[str, float] = field(default_factory=dict)
    reload_s: dict[str, float] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    radar: dict[str, str] = field(default_factory=dict)
    engage_rounds: dict[str, bool] = field(default_factory=dict)
    assessment: dict[str, KillAssessment] = field(default_factory=dict)

    def doctrine_for(self, battery: str, kind: str) -> str:
        """The battery's doctrine against a track of the station's kind."""
        d = self.doctrine[battery]
        return d if isinstance(d, str) else getattr(d, kind)


def battery_interceptor(battery) -> InterceptorProfile:
    """A scenario battery's interceptor: its built-in profile with the figures it overrides."""
    spec = battery.interceptor
    if isinstance(spec, str):
        return interceptor_profile(spec)
    prof = interceptor_profile(spec.base)
    over = {}
    if spec.range_max_m is not None:
        over["max_range_m"] = spec.range_max_m
    if spec.altitude_max_m is not None:
        over["max_altitude_m"] = spec.altitude_max_m
    prof = replace(prof, **over)
    if spec.speed_mps is not None:
        prof = with_peak_speed(prof, spec.speed_mps)
    return prof


def _batteries(model, origin) -> _Batteries:

    o = model.scenario.origin
    out = _Batteries()
    for b in model.batteries:
        out.profiles[b.id] = battery_interceptor(b)
        out.doctrine[b.id] = b.doctrine
        out.reaction[b.id] = b.reaction_time_s
        out.interval[b.id] = b.launch_interval_s
        out.reload_s[b.id] = b.reload_s
        out.channels[b.id] = b.fire_control_channels
        out.radar[b.id] = b.radar
        out.engage_rounds[b.id] = b.engage_rounds
        ka = b.kill_assessment
        out.assessment[b.id] = KillAssessment(ka.p_false_kill, ka.p_missed_kill)
        for ln in b.launchers:
            lat, lon, alt = ln.position.to_geodetic(o)
            enu = np.array(geodetic2enu(lat, lon, alt, o.lat_deg, o.lon_deg, o.alt_m))
            out.launchers.append(_Launcher(b.id, ln.id, enu, ln.missiles, b.reloads, ln.missiles))
    return out
