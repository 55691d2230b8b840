"""A Monte Carlo's report: one offline HTML file (Plotly's JavaScript inside it, no request
leaving the machine) with each main metric's histogram and ECDF, its statistics, and,
for a sweep, each metric's mean against the swept value with its 95 % band."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from gbad.montecarlo.runner import Plan
from gbad.record import SIMULATED_NOTE, write_text

#: The metrics the report shows first, where a run has them (units in their names).
MAIN_METRICS = (
    "engagement.leakers",
    "engagement.kills",
    "engagement.interceptors_spent",
    "engagement.interceptors_per_kill",
    "engagement.miss_distance_median_m",
    "engagement.first_detection_to_first_launch_s",
    "air_picture.mean_gospa_m",
    "air_picture.time_to_confirmed_track_median_s",
    "air_picture.false_tracks",
    "locating.poo_error_median_m",
    "locating.poo_cep_m",
    "locating.poi_error_median_m",
    "locating.warning_s_median",
    "locating.missed_warnings",
    "locating.classification_accuracy",
)
#: At most this many metrics get plots (the rest are in stats.parquet).
MAX_PLOTTED = 12


def main_metrics(runs: pd.DataFrame) -> list[str]:
    """The metrics worth plotting: the main ones a run has, with any spread or not."""
    present = [m for m in MAIN_METRICS if m in runs and runs[m].notna().any()]
    return present[:MAX_PLOTTED]


def write_report(path: Path, plan: Plan, runs: pd.DataFrame, stats: pd.DataFrame) -> Path:
    import plotly.graph_objects as go
    import plotly.io as pio

    parts: list[str] = []
    first = [True]

    def figure(fig) -> None:
        fig.update_layout(height=320, margin={"l": 60, "r": 20, "t": 40, "b": 50},
                          template="plotly_white")  # fmt: skip
        parts.append(pio.to_html(fig, include_plotlyjs=first[0], full_html=False))
        first[0] = False

    group = [s.key for s in plan.sweeps]
    metrics = main_metrics(runs)
    points = runs.groupby(group, sort=False) if group else [((), runs)]
    for metric in metrics:
        parts.append(f"<h3>{html.escape(metric)}</h3>")
        hist, ecdf = go.Figure(), go.Figure()
        for key, part in points:
            label = _label(group, key)
            x = part[metric].dropna().to_numpy(dtype=float)
            hist.add_trace(go.Histogram(x=x, name=label, opacity=0.7))
            xs = np.sort(x)
            ecdf.add_trace(go.Scatter(x=xs, y=np.arange(1, len(xs) + 1) / max(len(xs), 1),
                                      mode="lines", line_shape="hv", name=label))  # fmt: skip
        hist.update_layout(title=f"{metric}: histogram over runs", barmode="overlay",
                           xaxis_title=metric, yaxis_title="runs")  # fmt: skip
        ecdf.update_layout(title=f"{metric}: empirical CDF", xaxis_title=metric,
                           yaxis_title="share of runs ≤ x", yaxis_range=[0, 1])  # fmt: skip
        figure(hist)
        figure(ecdf)
        if len(group) == 1:
            figure(_sweep_curve(stats, group[0], metric))
        parts.append(_stats_table(stats[stats.metric == metric], group))
    title = f"gbad Monte Carlo: {plan.scenario}"
    sweep = ", ".join(f"{s.key} ∈ {list(s.values)}" for s in plan.sweeps) or "none"
    head = (
        f"<h1>{html.escape(title)}</h1><p><b>{html.escape(SIMULATED_NOTE)}</b></p>"
        f"<p>{plan.runs} runs per sweep point (runs 0–{plan.runs - 1}, seed "
        f"{'the scenario’s' if plan.seed is None else plan.seed}); sweep: {html.escape(sweep)}. "
        "Every metric's statistics are in stats.parquet, every run's values in runs.parquet."
        "</p>"
    )
    if not metrics:
        head += "<p>No main metric varies in these runs.</p>"
    doc = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
        "text-align:right}</style></head><body>" + head + "".join(parts) + "</body></html>"
    )
    return write_text(path, doc)


def _label(group: list[str], key) -> str:
    if not group:
        return "all runs"
    key = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{k}={v}" for k, v in zip(group, key, strict=True))


def _sweep_curve(stats: pd.DataFrame, key: str, metric: str):
    import plotly.graph_objects as go

    s = stats[stats.metric == metric]
    x = [str(v) for v in s[key]]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=s["ci95_high"], mode="lines", line={"width": 0},
                             showlegend=False, hoverinfo="skip"))  # fmt: skip
    fig.add_trace(go.Scatter(x=x, y=s["ci95_low"], mode="lines", line={"width": 0},
                             fill="tonexty", name="95 % CI of the mean"))  # fmt: skip
    fig.add_trace(go.Scatter(x=x, y=s["mean"], mode="lines+markers", name="mean"))
    fig.add_trace(go.Scatter(x=x, y=s["p50"], mode="markers", name="median"))
    fig.update_layout(title=f"{metric} against {key}", xaxis_title=key, yaxis_title=metric)
    return fig


def _stats_table(rows: pd.DataFrame, group: list[str]) -> str:
    cols = [*group, "n", "mean", "std", "p5", "p50", "p95", "ci95_low", "ci95_high"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for _, r in rows.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            text = f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"
