"""The report's interactive figures: Plotly figures as plain data, drawn by Plotly's own
JavaScript embedded in the page (read from the installed plotly package: no request
leaves the machine, and no Plotly Python import is paid per run).

Figures: the plan view (`plan_figure`), GOSPA over time with its split (`gospa_figure`),
the engagement timeline per threat (`timeline_figure`) and warning times
(`warning_figure`). Axes and hover texts carry their units.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

KIND_COLOURS = {
    "aircraft": "#1f77b4",
    "cruise_missile": "#d62728",
    "uav": "#2ca02c",
    "ballistic_missile": "#9467bd",
    "shell": "#8c564b",
    "mortar": "#e377c2",
    "rocket": "#ff7f0e",
}
#: One colour per radar's coverage outline, in the scenario's order.
RADAR_COLOURS = ("#1f77b4", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
OUTCOME_COLOURS = {"kill": "#2ca02c", "miss": "#d62728"}

#: Unit suffixes of result keys, and how a table heads them.
_UNITS = (
    ("_per_hour", "per hour"),
    ("_m2", "m²"),
    ("_mp", "m²"),
    ("_mps", "m/s"),
    ("_deg", "°"),
    ("_km", "km"),
    ("_m", "m"),
    ("_s", "s"),
)


def labelled(key: str) -> str:
    """A result key as a table heads it: words, then its unit in brackets
    (``mean_gospa_m`` → "mean gospa (m)")."""
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return f"{key[: -len(suffix)].replace('_', ' ')} ({unit})"
    return key.replace("_", " ")


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """Plotly's minified JavaScript, from the installed package (offline)."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:  # pragma: no cover - a dependency of gbad
        raise RuntimeError("the plotly package is missing: pip install plotly")
    return (Path(spec.origin).parent / "package_data" / "plotly.min.js").read_text("utf-8")


def _plain(x: Any) -> Any:
    if isinstance(x, (float, np.floating)):  # the commonest, first
        v = float(x)
        return None if not math.isfinite(v) else round(v, 4)
    if isinstance(x, np.ndarray):
        if x.ndim == 1 and x.dtype.kind == "f":
            # The float case above, without the type tests per element (traces are long).
            isfinite = math.isfinite
            return [round(v, 4) if isfinite(v) else None for v in x.tolist()]
        return [_plain(v) for v in x.tolist()]
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, np.integer):
        return int(x)
    return x


def figure_div(div_id: str, data: list[dict], layout: dict) -> str:
    """A figure's div and the script that draws it (the page loads `plotly_js` once)."""
    if not re.fullmatch(r"[a-z][a-z0-9-]*", div_id):
        raise ValueError(f"figure id {div_id!r}: lowercase letters, digits and dashes")
    spec = json.dumps({"data": _plain(data), "layout": _plain(layout)}, separators=(",", ":"))
    spec = spec.replace("</", "<\\/")  # never ends the script early
    return (
        f'<div id="{div_id}" class="figure"></div>\n<script>(function(){{var f={spec};'
        f'Plotly.newPlot("{div_id}",f.data,f.layout,{{responsive:true,displaylogo:false}});'
        "})();</script>"
    )


def _polylines(groups: Sequence[tuple[NDArray, NDArray]]) -> tuple[list, list]:
    """Several lines as one trace: each followed by a gap (None)."""
    xs: list = []
    ys: list = []
    for x, y in groups:
        xs.extend([*np.round(x, 3).tolist(), None])
        ys.extend([*np.round(y, 3).tolist(), None])
    return xs, ys


def _lines(groups, name: str, line: dict, trace: str = "scatter", **more: Any) -> dict:
    """One trace drawing several lines (`_polylines`), named on hover."""
    x, y = _polylines(groups)
    return {"type": trace, "mode": "lines", "x": x, "y": y, "name": name, "line": line,
            "hoverinfo": "name", **more}  # fmt: skip


def _circle(e_km: float, n_km: float, r_km: float, n: int = 73) -> tuple[NDArray, NDArray]:
    a = np.linspace(0.0, 2.0 * np.pi, n)
    return e_km + r_km * np.sin(a), n_km + r_km * np.cos(a)


def _ellipse(e_km, n_km, major_m, minor_m, azimuth_deg, n: int = 49):
    a = np.linspace(0.0, 2.0 * np.pi, n)
    az = np.radians(azimuth_deg)
    u, v = major_m / 1e3 * np.cos(a), minor_m / 1e3 * np.sin(a)
    # Major axis along the azimuth (clockwise from north).
    return e_km + u * np.sin(az) + v * np.cos(az), n_km + u * np.cos(az) - v * np.sin(az)


def plan_figure(
    truth: Mapping[str, NDArray],
    tracks: Mapping[str, NDArray],
    sites: Sequence[tuple[str, str, float, float]],
    extras: Mapping[str, Any],
    engagements: Mapping[str, NDArray] | None,
    locates: Mapping[str, NDArray] | None,
) -> tuple[list[dict], dict]:
    """The plan view (east, north in km, equal scales): truth by kind, confirmed tracks,
    radars and their maximum ranges, assets and their radii, launchers, interceptors'
    flown paths by outcome (``extras["interceptor_paths"]``; without one, a straight
    line from the launcher to where it ended), and the located points of origin and
    impact with their 95 % ellipses."""
    data: list[dict] = []
    kinds = np.asarray(truth["kind"]).astype(str)
    oid = np.asarray(truth["object_id"])
    for kind in dict.fromkeys(kinds):
        m = kinds == kind
        groups = [
            (
                np.asarray(truth["east_m"])[m][oid[m] == o] / 1e3,
                np.asarray(truth["north_m"])[m][oid[m] == o] / 1e3,
            )
            for o in np.unique(oid[m])
        ]
        line = {"color": KIND_COLOURS.get(kind, "#777"), "width": 2}
        data.append(_lines(groups, f"truth: {kind}", line, "scattergl", opacity=0.5))
    conf = np.asarray(tracks["status"]).astype(str) == "confirmed"
    if conf.any():
        tid = np.asarray(tracks["track_id"])[conf]
        e = np.asarray(tracks["east_m"])[conf] / 1e3
        n = np.asarray(tracks["north_m"])[conf] / 1e3
        groups = [(e[tid == t], n[tid == t]) for t in np.unique(tid)]
        data.append(_lines(groups, "confirmed tracks", {"color": "#111", "width": 1}, "scattergl"))
    ranges = extras.get("radar_range_m", {})
    radii = extras.get("asset_radius_m", {})
    rings = [
        _circle(e / 1e3, n / 1e3, ranges[i] / 1e3)
        for k, i, e, n in sites
        if k == "radar" and i in ranges
    ]
    if rings:
        line = {"color": "#888", "dash": "dot", "width": 1}
        data.append(_lines(rings, "radar maximum range", line))
    outlines = extras.get("coverage", {})
    for k, (rid, lines) in enumerate(outlines.items()):
        if not lines:
            continue
        data.append(
            _lines(
                [(e / 1e3, n / 1e3) for e, n in lines],
                f"{rid} coverage",
                {"color": RADAR_COLOURS[k % len(RADAR_COLOURS)], "width": 1.5},
                legendgroup="coverage",
                legendgrouptitle={"text": extras.get("coverage_label", "radar coverage")},
            )
        )
    discs = [
        _circle(e / 1e3, n / 1e3, radii[i] / 1e3)
        for k, i, e, n in sites
        if k == "asset" and i in radii
    ]
    if discs:
        line = {"color": "#3a7", "width": 1}
        data.append(_lines(discs, "asset radius", line, fill="toself",
                           fillcolor="rgba(60,170,120,0.15)"))  # fmt: skip
    for kind, symbol, colour in (("radar", "triangle-up", "#000"), ("asset", "square", "#3a7")):
        pts = [(i, e / 1e3, n / 1e3) for k, i, e, n in sites if k == kind]
        if pts:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers+text",
                    "name": f"{kind}s",
                    "x": [p[1] for p in pts],
                    "y": [p[2] for p in pts],
                    "text": [p[0] for p in pts],
                    "textposition": "top center",
                    "marker": {"symbol": symbol, "size": 11, "color": colour},
                    "hovertemplate": "%{text}<br>%{x:.2f} km E, %{y:.2f} km N<extra></extra>",
                }
            )
    launchers = extras.get("launchers", {})
    if launchers:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "launchers",
                "x": [p[0] / 1e3 for p in launchers.values()],
                "y": [p[1] / 1e3 for p in launchers.values()],
                "text": list(launchers),
                "marker": {"symbol": "diamond", "size": 8, "color": "#555"},
                "hovertemplate": "launcher %{text}<extra></extra>",
            }
        )
    if engagements is not None and len(engagements.get("interceptor_id", [])):
        out = np.asarray(engagements["outcome"]).astype(str)
        for outcome in dict.fromkeys(out):
            groups = []
            paths = extras.get("interceptor_paths", {})
            for j in np.flatnonzero(out == outcome):
                path = paths.get(int(engagements["interceptor_id"][j]))
                if path is not None and len(path) >= 2:
                    groups.append((path[:, 0] / 1e3, path[:, 1] / 1e3))
                    continue
                site = launchers.get(str(engagements["launcher_id"][j]))
                if site is None:
                    continue
                groups.append(
                    (
                        np.array([site[0], engagements["end_east_m"][j]]) / 1e3,
                        np.array([site[1], engagements["end_north_m"][j]]) / 1e3,
                    )
                )
            line = {"color": OUTCOME_COLOURS.get(outcome, "#999"), "width": 1.5}
            data.append(_lines(groups, f"interceptor path: {outcome}", line))
    if locates is not None and len(locates.get("t_s", [])):
        final = np.asarray(locates["final"], bool) & np.asarray(locates["located"], bool)
        for point, colour in (("poo", "#b22"), ("poi", "#22b")):
            e = np.asarray(locates[f"{point}_east_m"])[final] / 1e3
            n = np.asarray(locates[f"{point}_north_m"])[final] / 1e3
            if not e.size:
                continue
            ell = [
                _ellipse(
                    e[i],
                    n[i],
                    locates[f"{point}_ellipse95_major_m"][final][i],
                    locates[f"{point}_ellipse95_minor_m"][final][i],
                    locates[f"{point}_ellipse95_azimuth_deg"][final][i],
                )
                for i in range(e.size)
            ]
            name = "point of origin" if point == "poo" else "point of impact"
            data.append(_lines(ell, f"{name}: 95 % ellipse", {"color": colour, "width": 1}))
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": e,
                    "y": n,
                    "name": name,
                    "marker": {"symbol": "x", "size": 7, "color": colour},
                    "hovertemplate": name + "<br>%{x:.3f} km E, %{y:.3f} km N<extra></extra>",
                }
            )
    # Framed on what flew and the sites (a long-range radar's ring would dwarf them).
    e = np.concatenate([np.asarray(truth["east_m"]), [s[2] for s in sites]]) / 1e3
    n = np.concatenate([np.asarray(truth["north_m"]), [s[3] for s in sites]]) / 1e3
    half = 0.55 * max(np.ptp(e) if e.size else 1.0, np.ptp(n) if n.size else 1.0, 1.0)
    ce = 0.5 * (e.min() + e.max()) if e.size else 0.0
    cn = 0.5 * (n.min() + n.max()) if n.size else 0.0
    # A scale bar: a round length near a fifth of the view, in its lower left corner.
    bar = float(10 ** np.floor(np.log10(max(0.4 * half, 1e-3))))
    bar *= 5 if 5 * bar <= 0.4 * half else (2 if 2 * bar <= 0.4 * half else 1)
    x0, y0 = ce - 0.9 * half, cn - 0.9 * half
    data.append(
        {
            "type": "scatter",
            "mode": "lines+text",
            "x": [x0, x0 + bar],
            "y": [y0, y0],
            "text": ["", f"{bar:g} km"],
            "textposition": "top left",
            "line": {"color": "#000", "width": 3},
            "name": "scale",
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    layout = {
        "title": {"text": "Plan view (simulated): east and north of the scenario's origin"},
        "xaxis": {
            "title": {"text": "east (km)"},
            "zeroline": False,
            "range": [ce - half, ce + half],
        },
        "yaxis": {
            "title": {"text": "north (km)"},
            "range": [cn - half, cn + half],
            "scaleanchor": "x",
            "scaleratio": 1,
            "zeroline": False,
        },
        "height": 720,
        "legend": {"orientation": "v"},
        "hovermode": "closest",
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    }
    return data, layout


def gospa_figure(series: Mapping[str, NDArray], cutoff_m: float | None) -> tuple[list[dict], dict]:
    """GOSPA over time (m) above its split: localisation, missed and false (m², stacked)."""
    t = np.asarray(series["t_s"])
    data: list[dict] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": t,
            "y": series[k],
            "stackgroup": "split",
            "name": name,
            "yaxis": "y2",
        }
        for k, name in (
            ("localisation_mp", "localisation (m²)"),
            ("missed_mp", "missed (m²)"),
            ("false_mp", "false (m²)"),
        )
        if k in series
    ]
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": t,
            "y": series["gospa_m"],
            "name": "GOSPA (m)",
            "line": {"color": "#000", "width": 1.5},
        }
    )
    layout = {
        "title": {
            "text": f"Air picture: GOSPA over time (c = {cutoff_m} m, p = 2, α = 2) and its split"
        },
        "xaxis": {"title": {"text": "time (s)"}},
        "yaxis": {"title": {"text": "GOSPA (m)"}, "domain": [0.55, 1.0]},
        "yaxis2": {"title": {"text": "split (m²)"}, "domain": [0.0, 0.45]},
        "height": 520,
        "hovermode": "x unified",
    }
    return data, layout


def timeline_figure(
    truth: Mapping[str, NDArray],
    tracks: Mapping[str, NDArray],
    engagements: Mapping[str, NDArray] | None,
    detections: Mapping[str, NDArray] | None = None,
) -> tuple[list[dict], dict]:
    """Per threat object: its flight, its first detection (any radar), its first confirmed
    track, each interceptor's launch and end (kill or miss), and the end of a flight no
    interceptor killed."""
    oid = np.asarray(truth["object_id"])
    t = np.asarray(truth["t_s"])
    kinds = np.asarray(truth["kind"]).astype(str)
    objects = np.unique(oid)
    label = {o: f"{kinds[oid == o][0]} #{int(o)}" for o in objects}
    start = {o: float(t[oid == o].min()) for o in objects}
    end = {o: float(t[oid == o].max()) for o in objects}
    data: list[dict] = []
    for kind in dict.fromkeys(kinds):
        objs = [o for o in objects if kinds[oid == o][0] == kind]
        x, y = _polylines([(np.array([start[o], end[o]]), np.array([0.0, 0.0])) for o in objs])
        ys = []
        for o in objs:
            ys.extend([label[o], label[o], None])
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": ys,
                "name": f"flight: {kind}",
                "line": {"color": KIND_COLOURS.get(kind, "#777"), "width": 6},
                "opacity": 0.45,
                "hoverinfo": "x+y",
            }
        )
    if detections is not None and len(detections.get("t_s", [])):
        tid = np.asarray(detections["truth_id"])
        td = np.asarray(detections["t_s"])
        seen = {o: float(td[tid == o].min()) for o in np.unique(tid[tid >= 0]) if o in label}
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "first detection",
                "x": list(seen.values()),
                "y": [label[o] for o in seen],
                "marker": {"symbol": "line-ns-open", "size": 12, "color": "#1f77b4"},
            }
        )
    conf = (np.asarray(tracks["status"]).astype(str) == "confirmed") & (
        np.asarray(tracks["truth_id"]) >= 0
    )
    if conf.any():
        tt, tid = np.asarray(tracks["t_s"])[conf], np.asarray(tracks["truth_id"])[conf]
        first = {o: float(tt[tid == o].min()) for o in np.unique(tid) if o in label}
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "first confirmed track",
                "x": list(first.values()),
                "y": [label[o] for o in first],
                "marker": {"symbol": "circle-open", "size": 9, "color": "#000"},
            }
        )
    if engagements is not None and len(engagements.get("interceptor_id", [])):
        truth_id = np.asarray(engagements["truth_id"])
        known = np.array([o in label for o in truth_id])
        y = [label[o] for o in truth_id[known]]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "interceptor launch",
                "x": np.asarray(engagements["launch_t_s"])[known],
                "y": y,
                "marker": {"symbol": "triangle-right", "size": 9, "color": "#555"},
            }
        )
        out = np.asarray(engagements["outcome"]).astype(str)[known]
        ends = np.asarray(engagements["end_t_s"])[known]
        for outcome in dict.fromkeys(out):
            m = out == outcome
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"interceptor {outcome}",
                    "x": ends[m],
                    "y": [yy for yy, k in zip(y, m, strict=True) if k],
                    "marker": {
                        "symbol": "x" if outcome == "kill" else "circle",
                        "size": 9,
                        "color": OUTCOME_COLOURS.get(outcome, "#999"),
                    },
                }
            )
    killed = set()
    if engagements is not None and len(engagements.get("interceptor_id", [])):
        out_all = np.asarray(engagements["outcome"]).astype(str)
        killed = {o for o, r in zip(engagements["truth_id"], out_all, strict=True) if r == "kill"}
    alive = [o for o in objects if o not in killed]
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "flight ended, not killed",
            "x": [end[o] for o in alive],
            "y": [label[o] for o in alive],
            "marker": {"symbol": "star", "size": 8, "color": "#b8860b"},
        }
    )
    layout = {
        "title": {"text": "Engagement timeline per threat object"},
        "xaxis": {"title": {"text": "time (s)"}},
        "yaxis": {"type": "category", "automargin": True},
        "height": max(320, 22 * len(objects) + 120),
        "hovermode": "closest",
    }
    return data, layout


def warning_figure(alerts: Mapping[str, NDArray]) -> tuple[list[dict], dict]:
    """Each alert's warning (predicted impact less the alert), per asset."""
    assets = np.asarray(alerts["asset_id"]).astype(str)
    data = [
        {
            "type": "box",
            "y": np.asarray(alerts["warning_s"])[assets == a],
            "name": a,
            "boxpoints": "all",
            "jitter": 0.4,
            "pointpos": 0,
        }
        for a in dict.fromkeys(assets)
    ]
    layout = {
        "title": {"text": "Warning time of each alert, per asset"},
        "yaxis": {"title": {"text": "warning (s)"}},
        "xaxis": {"title": {"text": "asset"}},
        "height": 380,
    }
    return data, layout
