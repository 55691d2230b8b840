"""Sweeps: a dotted scenario key and the values it takes, each point a scenario of its own.

``--sweep batteries.0.doctrine=shoot-shoot,shoot-look-shoot`` names a key by its tables
and list indexes (as the scenario file nests them) and the values to give it, each
read as a TOML value where it is one (``150e3``, ``true``, ``"text"``) and as plain text
otherwise. Several sweeps span their product. Every point is validated before any run
starts, so that a bad key or value is a clear error and not a failed run an hour in.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gbad.errors import InputError
from gbad.scenario.loader import LoadedScenario, load_mapping, scenario_text, toml_tables


class SweepError(InputError):
    """A ``--sweep`` that names no key of the scenario, or gives no values."""

    what = "sweep"


@dataclass(frozen=True)
class Sweep:
    key: str
    values: tuple[Any, ...]


def _value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_sweep(text: str) -> Sweep:
    """``KEY=V1,V2,...`` as a `Sweep`."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SweepError(repr(text), ["write it as KEY=V1,V2,... (a dotted scenario key)"])
    items = [v.strip() for v in values.split(",")]
    if not values.strip() or any(not v for v in items):
        raise SweepError(text, [f"give {key} one or more values, separated by commas"])
    if len(set(items)) != len(items):
        raise SweepError(text, [f"{key}: each value once"])
    return Sweep(key, tuple(_value(v) for v in items))


def points(sweeps: list[Sweep]) -> list[dict[str, Any]]:
    """Every combination of the sweeps' values, the first sweep slowest ([{}] for none)."""
    keys = [s.key for s in sweeps]
    if len(set(keys)) != len(keys):
        raise SweepError(", ".join(keys), ["each key may be swept once"])
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(
        *(s.values for s in sweeps))]  # fmt: skip


def _set(raw: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Put ``value`` at the dotted ``key`` of the scenario's tables (in place)."""
    node: Any = raw
    parts = key.split(".")
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth]) or "the scenario"
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise SweepError(
                    f"{source}: {key}",
                    [f"{here} is a list of {len(node)}: index it 0 to {len(node) - 1}"],
                )
            if last:
                node[int(part)] = value
                return
            node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                # A key the file leaves at its default may be set; validation judges it.
                node[part] = value
                return
            if part not in node:
                near = difflib.get_close_matches(part, list(node), n=3)
                hint = f"; did you mean {', '.join(near)}?" if near else ""
                raise SweepError(
                    f"{source}: {key}",
                    [f"{here} has no '{part}' (it has {', '.join(sorted(node))}){hint}"],
                )
            node = node[part]
        else:
            raise SweepError(
                f"{source}: {key}", [f"{here} is a value, not a table: it has no '{part}'"]
            )


def scenario_at(
    spec: str | Path, point: dict[str, Any], allow_outside: bool = False
) -> LoadedScenario:
    """The scenario ``spec`` (a file or a built-in name) with ``point``'s values set."""
    text, source, base_dir = scenario_text(spec)
    raw = toml_tables(text, source)
    if not point:
        return load_mapping(raw, source, base_dir, allow_outside)
    raw = copy.deepcopy(raw)
    for key, value in point.items():
        _set(raw, key, value, source)
    label = ", ".join(f"{k}={v!r}" for k, v in point.items())
    return load_mapping(raw, f"{source} (sweep {label})", base_dir, allow_outside)
