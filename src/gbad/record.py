"""Result files: Parquet tables and summary JSON, written atomically and marked simulated."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

#: Every file says what it is: a simulation with public, nominal parameters.
SIMULATED_NOTE = "simulated: gbad output with public, nominal parameters; not real sensor data"


def atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        # mkstemp makes the file private; results are ordinary files for everyone to read.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def table_from_columns(
    columns: Mapping[str, Any], metadata: Mapping[str, str] | None = None
) -> pa.Table:
    table = pa.table({name: _arrow_array(np.asarray(values)) for name, values in columns.items()})
    meta = {"gbad.simulated": "true", "gbad.note": SIMULATED_NOTE}
    meta.update(metadata or {})
    return table.replace_schema_metadata({k.encode(): v.encode() for k, v in meta.items()})


def _arrow_array(arr: np.ndarray) -> pa.Array:
    """One column as Arrow, built from its buffers where it can be.

    ``pa.array`` imports pandas on first use (a quarter of a second a run) to ask whether
    it was handed a pandas object; these columns never are. NaN stays a value, as
    ``pa.array`` keeps it for a NumPy array.
    """
    if arr.ndim == 1 and arr.dtype.kind in "fiu":
        data = np.ascontiguousarray(arr)
        kind = pa.from_numpy_dtype(data.dtype)
        return pa.Array.from_buffers(kind, len(data), [None, pa.py_buffer(data)])
    if arr.ndim == 1 and arr.dtype.kind == "b":
        bits = np.packbits(arr, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(arr), [None, pa.py_buffer(bits)])
    if arr.ndim == 1 and arr.dtype.kind in "OU" and all(isinstance(v, str) for v in arr):
        encoded = [v.encode() for v in arr.tolist()]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
        return pa.Array.from_buffers(pa.string(), len(encoded), buffers)
    if arr.dtype == object:
        return pa.array(list(arr), type=pa.string())
    return pa.array(arr)


def write_parquet(
    path: str | Path, columns: Mapping[str, Any], metadata: Mapping[str, str] | None = None
) -> Path:
    p = Path(path)
    table = table_from_columns(columns, metadata)
    atomic_write(p, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
    return p


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _finite(obj: Any) -> Any:
    """JSON has no NaN: missing figures become null."""
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def write_text(path: str | Path, text: str) -> Path:
    """A text file (a report), written atomically."""
    p = Path(path)
    atomic_write(p, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return p


def write_json(path: str | Path, data: Mapping[str, Any]) -> Path:
    p = Path(path)
    text = json.dumps(_finite(dict(data)), indent=2, default=_json_default, allow_nan=False)
    atomic_write(p, lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"))
    return p


#: The manifest a whole run leaves in its folder, last: its presence means complete.
MANIFEST = "run.json"
#: The files a run or a tracking pass writes: a folder holding only these (or a
#: manifest) is a previous run's, which a new one may replace.
RESULT_NAMES = frozenset(
    {"truth.parquet", "objects.parquet", "detections.parquet", "tracks.parquet",
     "locates.parquet", "engagements.parquet", "threat_list.parquet",
     "radar_occupancy.parquet", "alerts.parquet", "report.html", "summary.json", MANIFEST}
)  # fmt: skip


def replaceable(out: str | Path) -> bool:
    """Whether a run may be put in ``out``'s place: it is absent, empty, or a previous
    run's folder (never a folder of other things, which a swap would throw away)."""
    out = Path(out)
    if not out.exists():
        return True
    if not out.is_dir():
        return False
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    return MANIFEST in names or names <= RESULT_NAMES


@contextmanager
def staged_folder(out: str | Path, about: Mapping[str, Any]) -> Iterator[Path]:
    """Write a run's files into a staging folder beside ``out``; when the block ends
    without error, add a manifest (`MANIFEST`: every file's size and SHA-256, and
    ``about``), then put the folder in ``out``'s place. A run that fails or is stopped
    leaves ``out`` as it was (the previous complete run, or nothing); a killed one leaves
    only a hidden ``.NAME.staging-*`` folder with no manifest."""
    out = Path(out)
    if not replaceable(out):
        raise FileExistsError(f"{out} holds files that are not a gbad run's")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        yield stage
        files = {}
        for p in sorted(stage.iterdir()):
            if p.is_file():
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
                files[p.name] = {"bytes": p.stat().st_size, "sha256": digest}
        write_json(stage / MANIFEST, {**about, "files": files})
        os.chmod(stage, 0o755)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{stage.name.rsplit('-', 1)[-1]}"
            os.replace(out, old)
        os.replace(stage, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
