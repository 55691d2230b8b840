"""A Monte Carlo's tables: one row per run (`runs.parquet`), and per sweep point and metric
its distribution (`stats.parquet`).

A run's row holds every scalar of its `summary.json`, flattened with dots
(``engagement.kills``, ``air_picture.mean_gospa_m``); what says where or how it ran
(file paths, the version, notes) is left out, so the table depends on the runs alone.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gbad.record import write_parquet
from gbad.stats import mean_interval

#: Summary entries that describe the run's circumstances, not its outcome.
_NOT_METRICS = frozenset({"simulated", "note", "gbad_version", "source", "files"})
#: Two-sided confidence level of the interval of each mean.
CONFIDENCE = 0.95
#: The percentiles each metric is summarised by.
PERCENTILES = (5, 50, 95)


def flatten(summary: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The scalars of a summary, keys joined with dots (lists and file paths left out)."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        if not prefix and key in _NOT_METRICS:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif value is None or isinstance(value, (bool, int, float, str)):
            out[name] = value
    return out


def runs_frame(rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> pd.DataFrame:
    """One row per run from (its keys: point, run, seed and sweep values; its summary)."""
    records = [{**keys, **flatten(summary)} for keys, summary in rows]
    frame = pd.DataFrame.from_records(records)
    for col in frame.columns:
        raw = list(frame[col])
        values = [v for v in raw if v is not None and not _nan(v)]
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if values and numbers and len(values) == len(raw) and all(isinstance(v, int) for v in raw):
            frame[col] = np.array(raw, dtype=np.int64)  # counts and keys stay integers
        elif values and numbers:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


def _nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def stats_frame(runs: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """Per sweep point (``group``: its columns) and numeric metric: n, mean, standard
    deviation, the 5th, 50th and 95th percentiles, and the 95 % confidence interval of
    the mean (Student's t; NaN with fewer than two runs)."""
    skip = {"run", "seed", "point", *group}
    metrics = [c for c in runs.columns if c not in skip and runs[c].dtype.kind in "if"]
    out = []
    grouped = runs.groupby(group, sort=False, dropna=False) if group else [((), runs)]
    for key, part in grouped:
        key = key if isinstance(key, tuple) else (key,)
        for metric in metrics:
            x = part[metric].to_numpy(dtype=float, na_value=np.nan)
            x = x[np.isfinite(x)]
            n, mean, std, half = mean_interval(x, CONFIDENCE)
            pct = np.percentile(x, PERCENTILES) if n else [math.nan] * len(PERCENTILES)
            out.append(
                {
                    **dict(zip(group, key, strict=True)),
                    "metric": metric,
                    "n": n,
                    "mean": mean,
                    "std": std,
                    **{f"p{p}": float(v) for p, v in zip(PERCENTILES, pct, strict=True)},
                    "ci95_low": mean - half,
                    "ci95_high": mean + half,
                }
            )
    return pd.DataFrame.from_records(out)


def write_frame(path: Path, frame: pd.DataFrame) -> Path:
    """A frame as a simulated-marked Parquet table (atomically): numbers and flags as
    they are, anything else as text (missing: null)."""
    columns = {}
    for col in frame.columns:
        values = frame[col]
        if values.dtype.kind in "biuf":
            columns[col] = values.to_numpy()
        else:
            columns[col] = np.array([None if _missing(v) else str(v) for v in values], dtype=object)
    return write_parquet(path, columns)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def read_summary(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
