"""Result files: Parquet tables and summary JSON, written atomically and marked simulated."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

#: Every file says what it is: a simulation with public, nominal parameters.
SIMULATED_NOTE = "simulated: gbad output with public, nominal parameters; not real sensor data"


def _atomic_write(path: Path, write) -> None:
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
    arrays = {}
    for name, values in columns.items():
        arr = np.asarray(values)
        if arr.dtype == object:
            arrays[name] = pa.array(list(arr), type=pa.string())
        else:
            arrays[name] = pa.array(arr)
    table = pa.table(arrays)
    meta = {"gbad.simulated": "true", "gbad.note": SIMULATED_NOTE}
    meta.update(metadata or {})
    return table.replace_schema_metadata({k.encode(): v.encode() for k, v in meta.items()})


def write_parquet(
    path: str | Path, columns: Mapping[str, Any], metadata: Mapping[str, str] | None = None
) -> Path:
    p = Path(path)
    table = table_from_columns(columns, metadata)
    _atomic_write(p, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
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


def write_json(path: str | Path, data: Mapping[str, Any]) -> Path:
    p = Path(path)
    text = json.dumps(_finite(dict(data)), indent=2, default=_json_default, allow_nan=False)
    _atomic_write(p, lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"))
    return p
