"""report.html: one self-contained page per run, read offline in any browser.

Interactive figures (plan view, GOSPA and its split, the engagement timeline, warning
times) are drawn by Plotly's JavaScript, which the page carries inline
(`report_plots`); the locating figure is inline SVG. Nothing is fetched: no script or
style comes from anywhere but the page itself."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gbad.analysis.report_plots import (
    figure_div,
    gospa_figure,
    labelled,
    plan_figure,
    plotly_js,
    timeline_figure,
    warning_figure,
)
from gbad.record import write_text


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


CLASS_COLOURS = {"mortar": "#e377c2", "artillery": "#8c564b", "rocket": "#ff7f0e"}


def _svg_locates(
    locates: dict[str, NDArray], sites: Sequence[tuple[str, str, float, float]], size_px=640
) -> str:
    """Plan view of final locates: origin (triangle) to impact (cross) by class, sites."""
    keep = locates["final"] & locates["located"]
    pe, pn = locates["poo_east_m"][keep] / 1e3, locates["poo_north_m"][keep] / 1e3
    ie, inn = locates["poi_east_m"][keep] / 1e3, locates["poi_north_m"][keep] / 1e3
    e = np.concatenate([pe, ie, [s[2] / 1e3 for s in sites]])
    n = np.concatenate([pn, inn, [s[3] / 1e3 for s in sites]])
    if e.size == 0:
        return "<p>No locates.</p>"
    span = max(np.ptp(e), np.ptp(n), 1.0) * 1.1
    ce, cn = (e.min() + e.max()) / 2, (n.min() + n.max()) / 2
    pad = 40

    def xy(east_km, north_km):
        x = pad + (np.asarray(east_km) - ce + span / 2) / span * (size_px - 2 * pad)
        y = size_px - pad - (np.asarray(north_km) - cn + span / 2) / span * (size_px - 2 * pad)
        return x, y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
        f'viewBox="0 0 {size_px} {size_px}" role="img" aria-label="points of origin and impact">',
        f'<rect width="{size_px}" height="{size_px}" fill="#fbfbf8" stroke="#ccc"/>',
    ]
    cls = locates["weapon_class"][keep]
    for a_e, a_n, b_e, b_n, c in zip(pe, pn, ie, inn, cls, strict=True):
        colour = CLASS_COLOURS.get(str(c), "#777")
        (x0, y0), (x1, y1) = xy(a_e, a_n), xy(b_e, b_n)
        parts.append(
            f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{colour}" '
            'stroke-opacity="0.3"/>'
            f'<path d="M{x0:.1f},{y0 - 5:.1f} l4.5,8 h-9 z" fill="{colour}"/>'
            f'<path d="M{x1 - 4:.1f},{y1 - 4:.1f} l8,8 m0,-8 l-8,8" stroke="{colour}"/>'
        )
    for kind, name, se, sn in sites:
        x, y = xy(se / 1e3, sn / 1e3)
        mark = "#000" if kind == "radar" else "#1a7f37"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{mark}"/>'
            f'<text x="{x + 6:.1f}" y="{y - 6:.1f}" font-size="11">{html.escape(name)}</text>'
        )
    legend = " ".join(f'<tspan fill="{c}">■ {k}</tspan>' for k, c in CLASS_COLOURS.items())
    parts.append(
        f'<text x="{pad}" y="20" font-size="12">▲ point of origin, ✕ point of impact: '
        f"{legend}</text></svg>"
    )
    return "".join(parts)


def _locating_section(
    summary: dict[str, Any],
    locates: dict[str, NDArray] | None,
    sites: Sequence[tuple[str, str, float, float]],
) -> str:
    loc = summary.get("locating")
    if loc is None or locates is None:
        return ""
    confusion = loc.get("confusion", {})
    predicted = sorted({p for row in confusion.values() for p in row})
    head = "".join(f"<th>{html.escape(p)}</th>" for p in predicted)
    body = "".join(
        f"<tr><th>{html.escape(t)}</th>"
        + "".join(f"<td>{row.get(p, 0)}</td>" for p in predicted)
        + "</tr>"
        for t, row in confusion.items()
    )
    figures = _table([(k, v) for k, v in loc.items() if not isinstance(v, list | dict)])
    per = loc.get("by_class", {})
    cols = list(next(iter(per.values()))) if per else []  # every kind has the same keys
    by_class = (
        "<h3>Per kind of round</h3><table><tr><th></th>"
        + "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        + "</tr>"
        + "".join(
            f"<tr><th>{html.escape(k)}</th>"
            + "".join(f"<td>{html.escape(_fmt(row.get(c)))}</td>" for c in cols)
            + "</tr>"
            for k, row in per.items()
        )
        + "</table>"
        if per
        else ""
    )
    return f"""<h2>Weapon locating</h2>
{_svg_locates(locates, sites)}
{by_class}
{figures}
<h3>Classification (rows: truth, columns: locator)</h3>
<table><tr><th></th>{head}</tr>{body}</table>"""


def _engagement_section(summary: dict[str, Any], engagements: dict[str, NDArray] | None) -> str:
    eng = summary.get("engagement")
    if eng is None or engagements is None:
        return ""
    figures = _table([(k, v) for k, v in eng.items() if not isinstance(v, list | dict)])
    nested = _table(
        [(f"{k}: {kk}", vv) for k, v in eng.items() if isinstance(v, dict) for kk, vv in v.items()]
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(_fmt(engagements[c][i]))}</td>"
            for c in (
                "interceptor_id",
                "launcher_id",
                "track_id",
                "launch_t_s",
                "end_t_s",
                "outcome",
                "miss_distance_m",
            )
        )
        + "</tr>"
        for i in range(len(engagements["launch_t_s"]))
    )
    return f"""<h2>Battery</h2>
{figures}
{nested}
<table><tr><th>interceptor</th><th>launcher</th><th>track</th><th>launch (s)</th>
<th>end (s)</th><th>outcome</th><th>miss (m)</th></tr>{rows}</table>"""


def write_report(
    path: str | Path,
    summary: dict[str, Any],
    truth: dict[str, NDArray],
    tracks: dict[str, NDArray],
    sites: Sequence[tuple[str, str, float, float]],
    gospa_series: dict[str, NDArray] | None = None,
    locates: dict[str, NDArray] | None = None,
    engagements: dict[str, NDArray] | None = None,
    extras: dict[str, Any] | None = None,
    alerts: dict[str, NDArray] | None = None,
    detections: dict[str, NDArray] | None = None,
) -> Path:
    """Write the run's report; `sites` are (kind "radar"|"asset", name, east_m, north_m);
    ``extras``: the plan view's radar ranges, asset radii and launchers (`plan_figure`)."""
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
    air_table = _table([(labelled(k), v) for k, v in air.items() if not isinstance(v, list | dict)])
    series = ""
    if gospa_series is not None and len(gospa_series["t_s"]):
        series = figure_div("gospa", *gospa_figure(gospa_series, air.get("gospa_cutoff_m")))
    plan = figure_div(
        "plan", *plan_figure(truth, tracks, sites, extras or {}, engagements, locates)
    )
    timeline = ""
    if len(truth["t_s"]):
        timeline = "<h2>Engagement timeline</h2>\n" + figure_div(
            "timeline", *timeline_figure(truth, tracks, engagements, detections)
        )
    warnings_html = ""
    if alerts is not None and len(alerts.get("t_s", [])):
        warnings_html = "<h2>Warning times</h2>\n" + figure_div("warnings", *warning_figure(alerts))
    air_section = (
        f"<h2>Air picture</h2>\n{series}\n{air_table}"
        if air.get("tracks_total", 0)
        else "<h2>Air picture</h2><p>No search-radar tracks in this run.</p>"
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
.figure {{ width: 100%; }}
</style>
<script>{plotly_js()}</script>
</head><body>
<h1>{html.escape(str(summary.get("scenario")))}</h1>
<p class="note"><strong>Simulated.</strong> gbad {html.escape(str(summary.get("gbad_version")))},
public nominal parameters; not real sensor data. Seed {summary.get("seed")}, run
{summary.get("run")}, {_fmt(summary.get("duration_s"))} s simulated, {summary.get("objects")}
objects.</p>
<h2>Plan view</h2>
<p>Zoom with a drag or the wheel; hover for names; click a legend entry to hide it. East
and north of the scenario's origin in km, to the same scale.</p>
{plan}
{air_section}
{timeline}
{_engagement_section(summary, engagements)}
{warnings_html}
{_locating_section(summary, locates, sites)}
<h2>Radars</h2>
<table><tr><th>radar</th><th>role</th><th>detections</th><th>of targets</th>
<th>false alarms</th><th>objects seen</th></tr>{radar_rows}</table>
<h2>Threats</h2>
<table><tr><th>threat</th><th>kind</th><th>objects</th><th>detected</th><th>launch or start (s)</th>
<th>first detection (s)</th></tr>{threat_rows}</table>
</body></html>
"""
    p = Path(path)
    write_text(p, page)
    return p
