"""Reading detection files (ours, or recorded plots in the same schema), strictly.

A detection file is Parquet with one row per detection:

| column | unit | required | valid |
|---|---|---|---|
| `t_s` | s | yes | finite; each radar's rows in non-decreasing time |
| `radar_id` | — | yes | a radar of the scenario |
| `range_m` | m | yes | finite, > 0 |
| `az_deg` | deg | yes | [0, 360), clockwise from true north |
| `el_deg` | deg | yes | [-90, 90] |
| `range_rate_mps` | m/s | no | finite, or NaN where not measured |
| `snr_db` | dB | no | finite |
| `range_sigma_m`, `az_sigma_deg`, `el_sigma_deg` | m, deg, deg | no | finite, > 0 (1) |
| `range_rate_sigma_mps` | m/s | no | > 0, or NaN where not measured |
| `truth_id` | — | no | integer; read for scoring only, never by the tracker |
| `dwell_track_id` | — | no | integer in [−1, 2⁴⁰): the track a dwell was booked for (2) |

(1) Default: the radar's accuracy from the scenario, scaled by `snr_db` when given.
(2) The track whose dwell made the detection (−1: a search detection). A
weapon-locating radar's dwell detections go to the locator, not to the air
tracker; a multifunction radar's (its booked track dwells) update the air tracks
but start none.

Radars report in time order; rows of different radars may interleave out of
order (the tracker sorts them into one time line).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from gbad.errors import InputError
from gbad.sensors.looks import MAX_RANGE_RATE_MPS, MIN_RANGE_M
from gbad.sensors.radar import SIGMA_MAX, RadarModel

REQUIRED = ("t_s", "radar_id", "range_m", "az_deg", "el_deg")
OPTIONAL = (
    "range_rate_mps",
    "snr_db",
    "range_sigma_m",
    "az_sigma_deg",
    "el_sigma_deg",
    "range_rate_sigma_mps",
    "truth_id",
    "dwell_track_id",
)
INTEGER = ("truth_id", "dwell_track_id")
#: A radar's own track numbers stay below this (the locator keys tracks by radar·2⁴⁰).
MAX_TRACK_NUMBER = 1 << 40
#: Bounds with a physical reason on a detection's numbers: a recording longer than a
#: year is not one file; no radar reaches past the schema's longest range_max_m, nor
#: measures inside a metre (`radar.MIN_RANGE_M`); nothing tracked flies faster than
#: 20 km/s (`radar.MAX_RANGE_RATE_MPS`); the σ as `radar.SIGMA_MAX`.
MAX_TIME_S = 3.2e7
MAX_RANGE_M = 2e6
#: Scan windows the tracker takes from one file (each radar's span over its period):
#: a few weeks of the fastest search.
MAX_SCANS = 5_000_000
#: Columns where NaN is a value ("not measured"), not an error.
NAN_ALLOWED = ("range_rate_mps", "range_rate_sigma_mps")


class DetectionFileError(InputError):
    """A detection file that cannot be tracked; each problem names column, row and rule."""

    what = "detection file"


@dataclass(frozen=True)
class Detections:
    """Validated detections, sorted by time (stable), as plain arrays."""

    t_s: NDArray[np.float64]
    radar_index: NDArray[np.int64]  # index into the radar list the file was checked against
    range_m: NDArray[np.float64]
    az_deg: NDArray[np.float64]
    el_deg: NDArray[np.float64]
    range_rate_mps: NDArray[np.float64]
    range_sigma_m: NDArray[np.float64]
    az_sigma_deg: NDArray[np.float64]
    el_sigma_deg: NDArray[np.float64]
    range_rate_sigma_mps: NDArray[np.float64]
    snr_db: NDArray[np.float64]
    truth_id: NDArray[np.int64]  # -1 where unknown; for scoring only
    #: A weapon-locating radar's own track number for the dwell (-1: search, or none).
    dwell_track_id: NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self.t_s)

    def take(self, rows: NDArray[np.intp]) -> Detections:
        return Detections(
            **{
                f: (v[rows] if v is not None else None)
                for f, v in ((f, getattr(self, f)) for f in self.__dataclass_fields__)
            }
        )

    def locating_dwells(self, radars: list[RadarModel]) -> NDArray[np.bool_]:
        """Which rows are a weapon-locating radar's track dwells (the locator's input)."""
        if self.dwell_track_id is None or not radars:
            return np.zeros(len(self), dtype=bool)
        locating = np.array([r.dwells is not None for r in radars], dtype=bool)
        return (self.dwell_track_id >= 0) & locating[self.radar_index]

    def for_locator(self, radars: list[RadarModel]) -> Detections:
        """The weapon-locating radars' track-dwell detections: what the locator takes."""
        return self.take(np.flatnonzero(self.locating_dwells(radars)))

    def for_air_tracker(
        self, radars: list[RadarModel], channels: list[int] | None = None
    ) -> tuple[Detections, list[RadarModel]]:
        """What the air tracker takes, and the radars it takes them from.

        A weapon-locating radar's track dwells go to the locator, not here. A
        multifunction radar's track dwells stay, moved to that radar's track channel
        (:meth:`RadarModel.track_channel`), appended to the radar list in the order of
        ``channels`` (indices into ``radars``; default: the radars with such dwells).
        """
        dwell = self.dwell_track_id if self.dwell_track_id is not None else np.full(len(self), -1)
        keep = np.flatnonzero(~self.locating_dwells(radars))
        out = self.take(keep) if keep.size < len(self) else self
        moved = dwell[keep] >= 0
        if channels is None:
            channels = [int(i) for i in np.unique(out.radar_index[moved])]
        channel_of = np.full(len(radars), -1, dtype=np.int64)
        channel_of[channels] = len(radars) + np.arange(len(channels))
        index = out.radar_index.copy()
        index[moved] = channel_of[index[moved]]
        if np.any(index < 0):
            lost = out.radar_index[moved][channel_of[out.radar_index[moved]] < 0]
            raise ValueError(f"radar {radars[int(lost[0])].id!r} has track dwells but no channel")
        return (
            replace(out, radar_index=index),
            [*radars, *(radars[i].track_channel() for i in channels)],
        )

    def concat(self, more: Detections) -> Detections:
        """These detections, then ``more`` (not re-sorted)."""

        def both(f: str) -> NDArray | None:
            a, b = getattr(self, f), getattr(more, f)
            if a is None and b is None:
                return None
            a = np.full(len(self), -1, dtype=np.int64) if a is None else a
            b = np.full(len(more), -1, dtype=np.int64) if b is None else b
            return np.concatenate([a, b])

        return Detections(**{f: both(f) for f in self.__dataclass_fields__})

    def to_columns(self, radars: list[RadarModel]) -> dict[str, NDArray]:
        """Detection-file columns (a track channel's rows under its radar's id), in time
        order."""
        ids = np.array([r.channel_of or r.id for r in radars], dtype=object)
        order = np.argsort(self.t_s, kind="stable")
        cols = {
            "t_s": self.t_s,
            "radar_id": ids[self.radar_index] if len(self) else np.zeros(0, dtype=object),
            "range_m": self.range_m,
            "az_deg": self.az_deg,
            "el_deg": self.el_deg,
            "range_rate_mps": self.range_rate_mps,
            "snr_db": self.snr_db,
            "truth_id": self.truth_id,
            "range_sigma_m": self.range_sigma_m,
            "az_sigma_deg": self.az_sigma_deg,
            "el_sigma_deg": self.el_sigma_deg,
            "range_rate_sigma_mps": self.range_rate_sigma_mps,
            "dwell_track_id": self.dwell_track_id
            if self.dwell_track_id is not None
            else np.full(len(self), -1, dtype=np.int64),
        }
        if np.isnan(self.snr_db).any():  # not in the file it came from: the sigmas say it all
            del cols["snr_db"]
        return {k: np.asarray(v)[order] for k, v in cols.items()}


def _rows(bad: NDArray[np.bool_]) -> str:
    idx = np.flatnonzero(bad)
    shown = ", ".join(str(i) for i in idx[:5])
    more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
    return f"row {shown}{more}" if len(idx) == 1 else f"rows {shown}{more}"


def from_columns(columns: dict, radars: list[RadarModel], source: str) -> Detections:
    """Validate detection columns (arrays by name) against the scenario's radars."""
    problems: list[str] = []
    names = list(columns)
    for col in REQUIRED:
        if col not in columns:
            close = difflib.get_close_matches(col, names, n=1, cutoff=0.6)
            hint = f" (found {close[0]!r}: misnamed?)" if close else ""
            problems.append(f"missing required column {col!r}{hint}")
    for col in names:
        if col not in REQUIRED and col not in OPTIONAL:
            close = difflib.get_close_matches(col, REQUIRED + OPTIONAL, n=1, cutoff=0.6)
            if close and close[0] not in columns:
                problems.append(f"column {col!r} is not in the schema; did you mean {close[0]!r}?")
    if problems:
        raise DetectionFileError(source, [*problems, f"required columns: {', '.join(REQUIRED)}"])

    n = len(columns["t_s"])
    numeric: dict[str, NDArray[np.float64]] = {}
    for col in (*REQUIRED, *OPTIONAL):
        if col == "radar_id" or col not in columns:
            continue
        values = np.asarray(columns[col])
        if values.dtype.kind not in "iuf" or values.dtype == bool:
            problems.append(
                f"column {col!r} has type {values.dtype}; it must be numeric ("
                + ("integer" if col in INTEGER else "float64")
                + ")"
            )
            continue
        if col in INTEGER and values.dtype.kind == "f":
            what = "for a false alarm" if col == "truth_id" else "for a search detection"
            problems.append(f"column {col!r} must be integer (-1 {what})")
            continue
        values = values.astype(float)
        bad = ~np.isfinite(values)
        if col in NAN_ALLOWED:
            bad = np.isinf(values)
        if bad.any():
            problems.append(
                f"column {col!r}: {_rows(bad)} not finite (got {float(values[bad][0])!r})"
            )
        numeric[col] = values
    if problems:
        raise DetectionFileError(source, problems)

    rules = {
        "t_s": (np.abs(numeric["t_s"]) > MAX_TIME_S, f"must be within ±{MAX_TIME_S:.0e} s"),
        "range_m": (
            (numeric["range_m"] < MIN_RANGE_M) | (numeric["range_m"] > MAX_RANGE_M),
            f"must be in [{MIN_RANGE_M:g}, {MAX_RANGE_M:.0e}] metres (a radar's blind range "
            "to the longest range_max_m)",
        ),
        "az_deg": (
            (numeric["az_deg"] < 0) | (numeric["az_deg"] >= 360),
            "must be in [0, 360) degrees clockwise from north",
        ),
        "el_deg": (np.abs(numeric["el_deg"]) > 90, "must be in [-90, 90] degrees"),
    }
    if "dwell_track_id" in numeric:
        # Tracks are keyed radar·2⁴⁰ + number: a larger number would land on another radar.
        d = numeric["dwell_track_id"]
        rules["dwell_track_id"] = ((d < -1) | (d >= MAX_TRACK_NUMBER), "must be in [-1, 2^40)")
    if "snr_db" in numeric:
        rules["snr_db"] = (np.abs(numeric["snr_db"]) > 200, "must be in [-200, 200] dB")
    if "range_rate_mps" in numeric:
        rr = numeric["range_rate_mps"]
        rules["range_rate_mps"] = (
            np.abs(rr) > MAX_RANGE_RATE_MPS,
            f"must be within ±{MAX_RANGE_RATE_MPS:.0f} m/s",
        )
    for col, most in SIGMA_MAX.items():
        if col in numeric:
            rules[col] = (
                (numeric[col] <= 0) | (numeric[col] > most),
                f"must be in (0, {most:g}]",
            )
    for col, (bad, rule) in rules.items():
        if bad.any():
            problems.append(
                f"column {col!r}: {_rows(bad)} {rule} (got {float(numeric[col][bad][0])!r})"
            )

    radar_ids = np.asarray(columns["radar_id"]).astype(str)
    known = {r.id: i for i, r in enumerate(radars)}
    unknown = sorted(str(r) for r in set(radar_ids) - set(known))
    if unknown:
        bad = ~np.isin(radar_ids, list(known))
        problems.append(
            f"column 'radar_id': {_rows(bad)} name radar(s) {unknown} that the scenario does not "
            f"have; its radars: {', '.join(known) or 'none'}"
        )
    if problems:
        raise DetectionFileError(source, problems)

    radar_index = np.array([known[r] for r in radar_ids], dtype=np.int64) if n else np.zeros(0, int)
    t = numeric["t_s"]
    span = float(np.ptp(t)) if n else 0.0
    scans = sum(span / radars[i].period_s for i in np.unique(radar_index))
    if scans > MAX_SCANS:
        raise DetectionFileError(
            source,
            [
                f"column 't_s': the rows span {span:.4g} s, {scans:.3g} scans of the file's "
                f"radars; the tracker takes at most {MAX_SCANS:,} scans from one file: "
                "split the recording (or are the times in seconds?)"
            ],
        )
    for rid, i in known.items():
        mine = np.flatnonzero(radar_index == i)
        back = np.flatnonzero(np.diff(t[mine]) < 0)
        if back.size:
            row = mine[back[0] + 1]
            problems.append(
                f"column 't_s': radar {rid!r} goes back in time at row {row} "
                f"({float(t[mine[back[0]]])!r} then {float(t[row])!r}); each radar's rows must "
                "be in time order"
            )
    if problems:
        raise DetectionFileError(source, problems)

    return _complete(numeric, radar_index, radars)


def _complete(
    numeric: dict[str, NDArray[np.float64]],
    radar_index: NDArray[np.int64],
    radars: list[RadarModel],
) -> Detections:
    """Fill optional columns from the radars' nominal accuracy, then sort by time."""
    n = len(radar_index)

    snr_db = numeric.get("snr_db")
    # Without an SNR, each radar's accuracy at its reference SNR.
    snr = (
        10 ** (snr_db / 10)
        if snr_db is not None
        else np.array([r.accuracy_snr for r in radars], dtype=float)[radar_index]
    )
    filled = {
        name: np.zeros(n)
        for name in ("range_sigma_m", "az_sigma_deg", "el_sigma_deg", "range_rate_sigma_mps")
    }
    for i, radar in enumerate(radars):
        mine = radar_index == i
        for name, sig in zip(filled, radar.sigmas(snr[mine]), strict=True):
            filled[name][mine] = sig
    cols = {k: numeric.get(k, v) for k, v in filled.items()}
    rr = numeric.get("range_rate_mps", np.full(n, np.nan))
    # A range rate without a usable sigma is not a measurement, nor a sigma without one.
    rr = np.where(np.isfinite(cols["range_rate_sigma_mps"]), rr, np.nan)
    cols["range_rate_sigma_mps"] = np.where(np.isfinite(rr), cols["range_rate_sigma_mps"], np.nan)
    order = np.argsort(numeric["t_s"], kind="stable")
    truth = numeric.get("truth_id")
    dwell = numeric.get("dwell_track_id")
    return Detections(
        t_s=numeric["t_s"][order],
        radar_index=radar_index[order],
        range_m=numeric["range_m"][order],
        az_deg=numeric["az_deg"][order],
        el_deg=numeric["el_deg"][order],
        range_rate_mps=rr[order],
        range_sigma_m=cols["range_sigma_m"][order],
        az_sigma_deg=cols["az_sigma_deg"][order],
        el_sigma_deg=cols["el_sigma_deg"][order],
        range_rate_sigma_mps=cols["range_rate_sigma_mps"][order],
        snr_db=(snr_db if snr_db is not None else np.full(n, np.nan))[order],
        truth_id=(truth.astype(np.int64) if truth is not None else np.full(n, -1))[order],
        dwell_track_id=(dwell.astype(np.int64) if dwell is not None else np.full(n, -1))[order],
    )


def read_detections(path: str | Path, radars: list[RadarModel]) -> Detections:
    """Read and validate a Parquet detection file; raise DetectionFileError on any problem."""
    p = Path(path)
    if p.exists() and not p.is_file():
        what = "a folder" if p.is_dir() else "a FIFO" if p.is_fifo() else "a device or a socket"
        raise DetectionFileError(str(path), [f"not a regular file ({what})"])
    try:
        table = pq.read_table(p)
    except FileNotFoundError:
        raise DetectionFileError(str(path), ["no such file"]) from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise DetectionFileError(str(path), [f"not a readable Parquet file: {exc}"]) from None
    columns = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            columns[name] = np.asarray(col.to_pylist(), dtype=object)
        else:
            try:
                columns[name] = col.to_numpy()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                columns[name] = np.asarray(col.to_pylist(), dtype=object)
    if "radar_id" in columns and any(v is None for v in columns["radar_id"]):
        bad = np.array([v is None for v in columns["radar_id"]])
        raise DetectionFileError(str(path), [f"column 'radar_id': {_rows(bad)} are empty"])
    return from_columns(columns, radars, str(path))
