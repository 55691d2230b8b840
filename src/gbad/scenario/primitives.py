"""The scenario file's building blocks: the strict table, positions, number types, and
the built-in names and nominal defaults that several tables share.

`gbad.scenario.schema` builds the scenario's tables from these (and re-exports them).
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gbad.earth.wgs84 import geodetic2local, local2geodetic

# Kept here rather than imported from the munitions module so the schema loads
# without Numba; tests check the two lists agree.
MUNITION_NAMES = ("155mm-he", "120mm-mortar", "122mm-rocket", "srbm")
INTERCEPTOR_NAMES = ("cheongung-1", "cheongung-2")

ROUTE_KINDS = ("aircraft", "cruise_missile", "uav")
BALLISTIC_KINDS = ("ballistic_missile", "shell", "mortar", "rocket")
THREAT_KINDS = ROUTE_KINDS + BALLISTIC_KINDS

#: Which munition profile each ballistic kind uses when the threat names none,
#: and which profile kind a named munition must have.
DEFAULT_MUNITION = {
    "ballistic_missile": "srbm",
    "shell": "155mm-he",
    "mortar": "120mm-mortar",
    "rocket": "122mm-rocket",
}

#: Nominal radar cross sections (m²) when a threat gives none.
DEFAULT_RCS_M2 = {
    "aircraft": 5.0,
    "cruise_missile": 0.1,
    "uav": 0.05,
    "ballistic_missile": 0.5,
    "shell": 0.01,
    "mortar": 0.01,
    "rocket": 0.05,
}

#: Bank-angle limit (deg) for coordinated turns when a route gives none.
DEFAULT_BANK_DEG = {"aircraft": 60.0, "cruise_missile": 30.0, "uav": 30.0}

PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(gt=0, lt=1)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Altitude = Annotated[float, Field(ge=-500, le=1.0e6)]
Identifier = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
]

GEODETIC_KEYS = ("lat_deg", "lon_deg", "alt_m")
LOCAL_KEYS = ("east_m", "north_m", "up_m")


class Strict(BaseModel):
    """A table that rejects unknown keys, suggesting the nearest valid one."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        str_strip_whitespace=True,
        strict=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = list(cls.model_fields)
            for key in data:
                if key not in valid:
                    close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.6)
                    hint = f"did you mean {close[0]!r}? " if close else ""
                    raise ValueError(f"unknown key {key!r}; {hint}valid keys: {', '.join(valid)}")
        return data


class Geodetic(Strict):
    lat_deg: Latitude
    lon_deg: Longitude
    alt_m: Altitude = 0.0


def _check_position_keys(data: Any, extra_keys: tuple[str, ...] = ()) -> Any:
    """A position is either geodetic or local, never a mix; say which keys each takes."""
    if not isinstance(data, dict):
        raise ValueError(
            "a position is a table: { lat_deg, lon_deg, alt_m } or { east_m, north_m, up_m }"
        )
    keys = set(data) - set(extra_keys)
    geo = keys & set(GEODETIC_KEYS)
    loc = keys & set(LOCAL_KEYS)
    if geo and loc:
        raise ValueError(
            f"a position mixes geodetic keys {sorted(geo)} with local keys {sorted(loc)}; "
            "use { lat_deg, lon_deg, alt_m } or { east_m, north_m, up_m }"
        )
    if not geo and not loc and not (keys - set(GEODETIC_KEYS) - set(LOCAL_KEYS)):
        raise ValueError(
            "a position needs { lat_deg, lon_deg, alt_m } or { east_m, north_m, up_m }"
        )
    if geo and not {"lat_deg", "lon_deg"} <= geo:
        raise ValueError("a geodetic position needs both lat_deg and lon_deg (alt_m defaults to 0)")
    if loc and not {"east_m", "north_m"} <= loc:
        raise ValueError("a local position needs both east_m and north_m (up_m defaults to 0)")
    return data


class Position(Strict):
    """A point given as geodetic or as scenario-local coordinates (docs/design.md)."""

    lat_deg: Latitude | None = None
    lon_deg: Longitude | None = None
    alt_m: Altitude | None = None
    east_m: Annotated[float, Field(ge=-2.0e6, le=2.0e6)] | None = None
    north_m: Annotated[float, Field(ge=-2.0e6, le=2.0e6)] | None = None
    up_m: Annotated[float, Field(ge=-1000, le=1.0e6)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_frame(cls, data: Any) -> Any:
        return _check_position_keys(data)

    @property
    def is_geodetic(self) -> bool:
        return self.lat_deg is not None

    def to_geodetic(self, origin: Geodetic) -> tuple[float, float, float]:
        """(lat_deg, lon_deg, alt_m) of this point, by docs/design.md's local convention."""
        if self.is_geodetic:
            return (float(self.lat_deg), float(self.lon_deg), float(self.alt_m or 0.0))
        lat, lon, alt = local2geodetic(
            self.east_m,
            self.north_m,
            self.up_m or 0.0,
            origin.lat_deg,
            origin.lon_deg,
            origin.alt_m,
        )
        return (float(lat), float(lon), float(alt))

    def to_local(self, origin: Geodetic) -> tuple[float, float, float]:
        """(east_m, north_m, up_m) in the scenario's local convention."""
        if not self.is_geodetic:
            return (float(self.east_m), float(self.north_m), float(self.up_m or 0.0))
        e, n, u = geodetic2local(
            self.lat_deg,
            self.lon_deg,
            self.alt_m or 0.0,
            origin.lat_deg,
            origin.lon_deg,
            origin.alt_m,
        )
        return (float(e), float(n), float(u))


class RoutePoint(Position):
    t_s: NonNegFloat | None = None
    speed_mps: Annotated[float, Field(gt=0, le=5000)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_frame(cls, data: Any) -> Any:
        return _check_position_keys(data, ("t_s", "speed_mps"))


class CandidateCircle(Strict):
    """Where an item may stand (`gbad laydown`): within ``radius_m`` of ``center``."""

    center: Position
    radius_m: Annotated[float, Field(gt=0, le=200e3)]
