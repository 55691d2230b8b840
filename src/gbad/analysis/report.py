"""report.html: one self-contained page (inline SVG, no scripts, no network) per run."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gbad.record import _atomic_write

KIND_COLOURS = {
    "aircraft": "#1f77b4",
    "cruise_missile": "#d62728",
    "uav": "#2ca02c",
    "ballistic_missile": "#9467bd",
    "shell": "#8c564b",
    "mortar": "#e377c2",
    "rocket": "#ff7f0e",
}


def _svg_plan(
    truth: dict[str, NDArray],
    tracks: dict[str, NDArray],
    sites: Sequence[tuple[str, str, float, float]],
    size_px: int = 640,
) -> str:
    """Plan view (east/north, km): truth paths by kind, confirmed tracks in black, sites."""
    e = np.concatenate([truth["east_m"], [s[2] for s in sites]]) / 1e3
    n = np.concatenate([truth["north_m"], [s[3] for s in sites]]) / 1e3
    lo_e, hi_e, lo_n, hi_n = e.min(), e.max(), n.min(), n.max()
    span = max(hi_e - lo_e, hi_n - lo_n, 1.0) * 1.05
    ce, cn = (lo_e + hi_e) / 2, (lo_n + hi_n) / 2
    pad = 40

    def xy(east_km: NDArray, north_km: NDArray) -> tuple[NDArray, NDArray]:
        x = pad + (east_km - ce + span / 2) / span * (size_px - 2 * pad)
        y = size_px - pad - (north_km - cn + span / 2) / span * (size_px - 2 * pad)
        return x, y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
        f'viewBox="0 0 {size_px} {size_px}" role="img" aria-label="plan view">',
        f'<rect width="{size_px}" height="{size_px}" fill="#fbfbf8" stroke="#ccc"/>',
    ]
    kinds = truth["kind"]
    for oid in np.unique(truth["object_id"]):
        m = truth["object_id"] == oid
        x, y = xy(truth["east_m"][m] / 1e3, truth["north_m"][m] / 1e3)
        colour = KIND_COLOURS.get(str(kinds[m][0]), "#777")
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
        parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="3" '
            f'stroke-opacity="0.35"/>'
        )
    conf = tracks["status"] == "confirmed"
    for tid in np.unique(tracks["track_id"][conf]):
        m = conf & (tracks["track_id"] == tid)
        x, y = xy(tracks["east_m"][m] / 1e3, tracks["north_m"][m] / 1e3)
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="#111" stroke-width="0.8"/>')
    for kind, name, east, north in sites:
        x, y = xy(np.array([east / 1e3]), np.array([north / 1e3]))
        shape = (
            f'<rect x="{x[0] - 5:.1f}" y="{y[0] - 5:.1f}" width="10" height="10" fill="#000"/>'
            if kind == "radar"
            else f'<circle cx="{x[0]:.1f}" cy="{y[0]:.1f}" r="6" fill="none" stroke="#000"/>'
        )
        parts.append(shape)
        parts.append(
            f'<text x="{x[0] + 8:.1f}" y="{y[0] - 6:.1f}" font-size="11">{html.escape(name)}</text>'
        )
    parts.append(
        f'<text x="{pad}" y="{size_px - 12}" font-size="11">span {span:.0f} km; '
        "coloured: truth by kind; black: confirmed tracks; squares: radars; circles: assets</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _svg_series(t_s: NDArray, values: NDArray, label: str, w: int = 640, h: int = 220) -> str:
    pad = 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
        f'aria-label="{html.escape(label)}">',
        f'<rect width="{w}" height="{h}" fill="#fbfbf8" stroke="#ccc"/>',
    ]
    ok = np.isfinite(values)
    if ok.sum() >= 2:
        t, v = t_s[ok], values[ok]
        vmax = float(v.max()) or 1.0
        x = pad + (t - t.min()) / max(t.max() - t.min(), 1e-9) * (w - 2 * pad)
        y = h - pad - v / vmax * (h - 2 * pad)
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>')
        parts.append(f'<text x="4" y="{pad - 8}" font-size="11">{vmax:.0f}</text>')
        parts.append(f'<text x="{pad}" y="{h - 10}" font-size="11">t {t.min():.0f} s</text>')
        parts.append(f'<text x="{w - pad - 60}" y="{h - 10}" font-size="11">{t.max():.0f} s</text>')
    parts.append(f'<text x="{pad}" y="16" font-size="12">{html.escape(label)}</text></svg>')
    return "".join(parts)


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>"


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


def write_report(
    path: str | Path,
    summary: dict[str, Any],
    truth: dict[str, NDArray],
    tracks: dict[str, NDArray],
    sites: Sequence[tuple[str, str, float, float]],
    gospa_series: dict[str, NDArray] | None = None,
) -> Path:
    """Write the run's report; `sites` are (kind "radar"|"asset", name, east_m, north_m)."""
    radars = summary.get("radars", {})
    threat_rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(t['kind'])}</td><td>{t['objects']}</td>"
        f"<td>{t['objects_detected']}</td><td>{_fmt(t['launch_t_s'])}</td>"
        f"<td>{_fmt(t['first_detection_t_s'])}</td></tr>"
        for k, t in summary.get("threats", {}).items()
    )
    radar_rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(r['role'])}</td><td>{r['detections']}</td>"
        f"<td>{r['target_detections']}</td><td>{r['false_alarms']}</td>"
        f"<td>{r['objects_detected']}</td></tr>"
        for k, r in radars.items()
    )
    air = summary.get("air_picture", {})
    air_table = _table([(k, v) for k, v in air.items() if not isinstance(v, list | dict)])
    series = ""
    if gospa_series is not None:
        series = _svg_series(
            gospa_series["t_s"],
            gospa_series["gospa_m"],
            f"GOSPA (m) over time, c = {_fmt(air.get('gospa_cutoff_m'))} m, p = 2, α = 2",
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>gbad report — {html.escape(str(summary.get("scenario")))} (simulated)</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; font-size: 0.9em; }}
th {{ background: #f3f3ee; }}
.note {{ background: #fff6d5; padding: 0.5em 1em; border: 1px solid #e6d28a; }}
</style></head><body>
<h1>{html.escape(str(summary.get("scenario")))}</h1>
<p class="note"><strong>Simulated.</strong> gbad {html.escape(str(summary.get("gbad_version")))},
public nominal parameters; not real sensor data. Seed {summary.get("seed")}, run
{summary.get("run")}, {_fmt(summary.get("duration_s"))} s simulated, {summary.get("objects")}
objects.</p>
<h2>Plan view</h2>
{_svg_plan(truth, tracks, sites)}
<h2>Air picture</h2>
{series}
{air_table}
<h2>Radars</h2>
<table><tr><th>radar</th><th>role</th><th>detections</th><th>of targets</th>
<th>false alarms</th><th>objects seen</th></tr>{radar_rows}</table>
<h2>Threats</h2>
<table><tr><th>threat</th><th>kind</th><th>objects</th><th>detected</th><th>launch/start (s)</th>
<th>first detection (s)</th></tr>{threat_rows}</table>
</body></html>
"""
    p = Path(path)
    _atomic_write(p, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    return p
