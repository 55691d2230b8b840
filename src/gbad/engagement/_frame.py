"""The scenario ENU frame as the interceptor code uses it, and array-shape checks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.earth.wgs84 import ecef2geodetic, enu_rotation, geodetic2ecef

Array = NDArray[np.float64]

#: The scenario origin assumed when none is given (deg, deg, m above the ellipsoid).
DEFAULT_ORIGIN: tuple[float, float, float] = (37.10, 127.05, 40.0)


@dataclass(frozen=True)
class Frame:
    r0: Array  # origin in ECEF
    rot: Array  # rows: east, north, up in ECEF
    alt0_m: float

    @classmethod
    def of(cls, origin: Sequence[float]) -> Frame:
        try:
            lat, lon, alt = (float(x) for x in origin)
        except (TypeError, ValueError):
            raise ValueError(f"origin must be (lat_deg, lon_deg, alt_m), got {origin!r}") from None
        if not (-90.0 <= lat <= 90.0 and math.isfinite(lon) and math.isfinite(alt)):
            raise ValueError(
                f"origin must be (lat_deg in [-90, 90], lon_deg, alt_m), got {origin!r}"
            )
        return cls(np.array(geodetic2ecef(lat, lon, alt)), enu_rotation(lat, lon), alt)

    def to_ecef(self, enu: Array) -> Array:
        return self.r0 + enu @ self.rot

    def vec_to_ecef(self, enu: Array) -> Array:
        return enu @ self.rot

    def to_enu(self, ecef: Array) -> Array:
        return (ecef - self.r0) @ self.rot.T

    def vec_to_enu(self, ecef: Array) -> Array:
        return ecef @ self.rot.T

    def height_m(self, enu: Array) -> Array:
        """Height above the scenario ground (the ellipsoid raised to the origin's altitude)."""
        e = self.to_ecef(enu)
        return ecef2geodetic(e[..., 0], e[..., 1], e[..., 2])[2] - self.alt0_m


def broadcast_leading(name: str, a: Array, inner: int, m: int) -> Array:
    """Broadcast an array whose leading axis is 1 or M to M (clear error otherwise)."""
    if a.shape[0] not in (1, m):
        raise ValueError(
            f"{name} has {a.shape[0]} rows but there are {m} interceptors: shapes do not match "
            "(give one row for all, or one per interceptor)"
        )
    del inner
    return np.broadcast_to(a, (m, *a.shape[1:])).copy()


def as_rows(name: str, a: ArrayLike, width: int | None) -> Array:
    arr = np.asarray(a, dtype=float)
    if width is None:
        if arr.ndim > 1:
            raise ValueError(f"{name} must be a scalar or have shape (M,), got {arr.shape}")
        arr = arr.reshape(-1)
    else:
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != width:
            raise ValueError(f"{name} must have shape ({width},) or (M, {width}), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def as_column(name: str, value: ArrayLike | None, default: float, n: int) -> Array:
    """A scalar or (N,) keyword as (N,) floats; None gives the default (which may be NaN)."""
    if value is None:
        return np.full(n, default)
    a = np.asarray(value, dtype=float).reshape(-1)
    if a.size not in (1, n):
        raise ValueError(f"{name} has {a.size} values for {n} rows: give one or {n}")
    if np.any(np.isnan(a)):
        raise ValueError(f"{name} must not be NaN")
    return np.broadcast_to(a, (n,)).copy()
