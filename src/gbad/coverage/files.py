"""A coverage map's files: GeoTIFF on the map's grid and CRS, GeoJSON contours in WGS 84,
a PNG over a hillshade. Each written to a temporary name, then renamed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from gbad.coverage.grid import Grid
from gbad.record import SIMULATED_NOTE, atomic_write, write_text


def write_tif(path: Path, values: NDArray, grid: Grid, nodata: float, about: dict) -> Path:
    """One band on the grid's own transform and CRS, tagged simulated and with ``about``
    (upper-cased keys)."""
    import rasterio

    def write(tmp: str) -> None:
        profile = {
            "driver": "GTiff", "height": values.shape[0], "width": values.shape[1], "count": 1,
            "dtype": values.dtype.name, "crs": grid.crs, "transform": grid.transform,
            "nodata": nodata, "compress": "deflate",
        }  # fmt: skip
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(values, 1)
            dst.update_tags(
                SIMULATED="true", NOTE=SIMULATED_NOTE,
                **{k.upper(): f"{v:g}" if isinstance(v, float) else str(v) for k, v in about.items()},
            )  # fmt: skip

    atomic_write(path, write)
    return path


def write_contours(
    path: Path, values: NDArray, grid: Grid, levels: Sequence[float], about: dict,
    quantity: str = "pd",
) -> Path:  # fmt: skip
    """A map's contours (Pd, or the edge of a 0/1 zone at 0.5) as GeoJSON MultiLineStrings,
    one feature per level, lon/lat (RFC 7946); each says its ``quantity`` and level, and
    ``about``."""
    import contourpy

    gen = contourpy.contour_generator(grid.xs, grid.ys, np.nan_to_num(values, nan=0.0))
    features = []
    for level in levels:
        lines = []
        for seg in gen.lines(level):
            lon, lat = grid.to_lon_lat(seg[:, 0], seg[:, 1])
            lines.append(
                [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]
            )
        features.append({
            "type": "Feature",
            "geometry": {"type": "MultiLineString", "coordinates": lines},
            "properties": {quantity: level, **about, "simulated": True},
        })  # fmt: skip
    doc = {"type": "FeatureCollection", "name": f"{quantity} contours",
           "note": SIMULATED_NOTE, "features": features}  # fmt: skip
    return write_text(path, json.dumps(doc) + "\n")


def write_picture(
    path: Path, values: NDArray, grid: Grid, radar, title: str, label: str = "single-look Pd",
    levels: Sequence[float] = (0.5, 0.9),
) -> Path:  # fmt: skip
    """A map (Pd, or a 0/1 zone) over a hillshade of the ground, km from the radar, with its
    contours at ``levels``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LightSource

    xs, ys, rx, ry = grid.local_metres(radar.lat_deg, radar.lon_deg)
    ext = [(xs[0] - rx) / 1e3, (xs[-1] - rx) / 1e3, (ys[-1] - ry) / 1e3, (ys[0] - ry) / 1e3]
    fig, ax = plt.subplots(figsize=(7.5, 6.5), dpi=110)
    h = np.nan_to_num(grid.heights, nan=float(np.nanmin(grid.heights)))
    if np.ptp(h) > 0:
        shade = LightSource(azdeg=315, altdeg=45).hillshade(
            h, vert_exag=3.0, dx=abs(xs[1] - xs[0]), dy=abs(ys[1] - ys[0])
        )
        ax.imshow(shade, cmap="gray", extent=ext, origin="upper")
    v = np.asarray(values, dtype=float)
    masked = np.ma.masked_where(~(v > 0) | (v > 1), v)
    im = ax.imshow(masked, cmap="viridis", vmin=0, vmax=1, alpha=0.65, extent=ext, origin="upper")
    xk, yk = (xs - rx) / 1e3, (ys - ry) / 1e3
    inside = np.where((v >= 0) & (v <= 1), v, 0.0)
    if np.ptp(inside) > 0:
        colours = ["orange", "red"][: len(levels)]
        cs = ax.contour(xk, yk, inside, levels=list(levels), colors=colours, linewidths=1.0)
        ax.clabel(cs, fmt="%.1f", fontsize=7)
    ax.plot(0, 0, marker="^", color="k", markersize=8, label=radar.id)
    ax.set_xlabel("east of the radar (km)")
    ax.set_ylabel("north of the radar (km)")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    fig.colorbar(im, ax=ax, label=label)
    ax.set_title(f"{title} (simulated, nominal)", fontsize=9)

    def save(tmp: str) -> None:
        fig.savefig(tmp, format="png")

    try:
        atomic_write(path, save)
    finally:
        plt.close(fig)
    return path
