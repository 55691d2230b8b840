"""Reading scenario files: TOML in, a validated :class:`Scenario` or a clear error out."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gbad.errors import InputError
from gbad.scenario.schema import Scenario
from gbad.scenario.work import work_problems

BUILTIN_PACKAGE = "gbad.scenario.builtin"
DEFAULT_SCENARIO = "airbase-defence"


class ScenarioError(InputError):
    """A scenario that cannot be used; each problem names its table, index and key."""

    what = "scenario"


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and where it came from (relative paths resolve against `base_dir`)."""

    model: Scenario
    source: str
    base_dir: Path


def _location(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """`('radars', 0, 'coverage', 'el_min_deg')` -> `radars[0] (id "mfr").coverage.el_min_deg`."""
    out = ""
    node: Any = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f' (id "{node["id"]}")'
        else:
            # Pydantic adds tags for union members and validators; they mean nothing to a user.
            if part.startswith(("function-", "union[", "literal[")) or part in {
                "str",
                "InterceptorSpec",
            }:
                continue
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def _format(err: dict[str, Any], raw: dict[str, Any]) -> str:
    where = _location(tuple(err["loc"]), raw)
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err["type"] == "missing":
        return f"{where}: required key is missing"
    if err["type"] in {"value_error", "assertion_error"}:
        if msg.startswith("unknown key "):
            key = msg.split("'")[1]
            where = f"{where}.{key}" if where != "(top level)" else key
        if where == "(top level)":
            return msg
        return f"{where}: {msg}"
    got = err.get("input")
    shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
    return f"{where}: got {shown}; {msg[0].lower() + msg[1:]}"


def toml_tables(text: str, source: str = "<string>") -> dict[str, Any]:
    """A scenario's TOML text as its tables (not yet validated)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [f"malformed TOML: {exc}"]) from None
    except RecursionError:
        # The parser recurses into nested arrays and tables; no scenario nests deeply.
        raise ScenarioError(
            source, ["malformed TOML: arrays or tables nested too deeply to be a scenario"]
        ) from None


def parse_scenario(text: str, source: str = "<string>") -> Scenario:
    """Validate TOML text; raise :class:`ScenarioError` naming `source` on any problem."""
    raw = toml_tables(text, source)
    try:
        return validate_mapping(raw, source)
    except RecursionError:
        raise ScenarioError(source, ["values nested too deeply to be a scenario"]) from None


def validate_mapping(raw: dict[str, Any], source: str = "<mapping>") -> Scenario:
    try:
        model = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = [_format(e, raw) for e in exc.errors(include_url=False)]
        raise ScenarioError(source, problems) from None
    # every value within its bound, and their product within the machine
    problems = work_problems(model)
    if problems:
        raise ScenarioError(source, problems)
    return model


def scenario_text(path: str | Path) -> tuple[str, str, Path]:
    """(TOML text, source name, folder its relative paths resolve against) of a scenario
    file, or of a built-in scenario by name."""
    p = Path(path)
    if not p.exists() and str(path) in builtin_names():
        res = resources.files(BUILTIN_PACKAGE) / f"{path}.toml"
        return res.read_text(encoding="utf-8"), f"<built-in {path}>", Path(str(res)).parent
    if p.exists() and not p.is_file():
        # A FIFO would block the read for ever, a folder fail it.
        raise ScenarioError(str(path), [f"not a regular file ({_kind_of(p)})"])
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            str(path),
            [f"no such file; built-in scenarios are: {', '.join(builtin_names())}"],
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [f"cannot read the file: {exc}"]) from None
    return text, str(path), p.resolve().parent


def load_scenario(path: str | Path, allow_outside: bool = False) -> LoadedScenario:
    """Load a scenario file by path, or a built-in one by name. Files it names must lie
    in its folder unless ``allow_outside``."""
    text, source, base_dir = scenario_text(path)
    loaded = LoadedScenario(parse_scenario(text, source), source, base_dir)
    if not source.startswith("<built-in"):
        _check_files(loaded, allow_outside)
    return loaded


def load_mapping(
    raw: dict[str, Any], source: str, base_dir: Path, allow_outside: bool = False
) -> LoadedScenario:
    """A scenario from its TOML tables (a file's, changed): validated, its files checked."""
    loaded = LoadedScenario(validate_mapping(raw, source), source, base_dir)
    _check_files(loaded, allow_outside)
    return loaded


#: DEM names that may reach beyond the scenario's folder through GDAL: virtual file
#: systems (/vsicurl/, /vsis3/…), URLs, and VRTs, whose sources may be any of those.
_REMOTE_PREFIXES = ("/vsi", "http:", "https:", "ftp:", "file:")


def _check_dem_name(loaded: LoadedScenario, dem: str, allow_outside: bool) -> None:
    """A DEM is a plain file inside the scenario's folder: no network, no escapes."""
    low = dem.strip().lower()
    if low.startswith(_REMOTE_PREFIXES) or "://" in low:
        raise ScenarioError(
            loaded.source,
            [f"scenario.dem: {dem!r} names a network or virtual source; give a local GeoTIFF"],
        )
    if low.endswith(".vrt"):
        raise ScenarioError(
            loaded.source,
            [f"scenario.dem: {dem!r} is a GDAL VRT, whose sources may reach the network; "
             "give a GeoTIFF (gdal_translate in.vrt out.tif)"],
        )  # fmt: skip
    if allow_outside:
        return
    if within_folder(loaded.base_dir, dem) is None:
        raise ScenarioError(
            loaded.source,
            [
                f"scenario.dem: {dem!r} lies outside the scenario's folder "
                f"{os.path.normpath(loaded.base_dir.absolute())}; copy or "
                "link it there, or allow it (--allow-outside-paths)"
            ],
        )


def within_folder(base_dir: Path, name: str) -> Path | None:
    """``name`` (a file a scenario names) in ``base_dir``, where it lies inside it; None
    where it is absolute or escapes. Lexically, so that a link the user put in the folder
    stays theirs to make."""
    base = os.path.normpath(base_dir.absolute())
    target = os.path.normpath(os.path.join(base, name))
    if Path(name).is_absolute() or os.path.commonpath([base, target]) != base:
        return None
    return Path(target)


def _kind_of(p: Path) -> str:
    if p.is_dir():
        return "a folder"
    if p.is_fifo():
        return "a FIFO"
    return "a device or a socket"


def _check_files(loaded: LoadedScenario, allow_outside: bool = False) -> None:
    dem = loaded.model.scenario.dem
    if dem is not None:
        _check_dem_name(loaded, dem, allow_outside)
    path = loaded.base_dir / dem if dem is not None else None
    if path is not None and path.exists() and not path.is_file():
        raise ScenarioError(
            loaded.source, [f"scenario.dem: {dem!r} is not a regular file ({_kind_of(path)})"]
        )
    if dem is not None and not (loaded.base_dir / dem).is_file():
        raise ScenarioError(
            loaded.source,
            [f"scenario.dem: no file {dem!r} (relative paths are read from {loaded.base_dir})"],
        )
    if dem is not None:
        # what the run will require of the file, from its header (no cell is read)
        from gbad.earth.terrain import TerrainError, check_geotiff

        try:
            check_geotiff(loaded.base_dir / dem)
        except TerrainError as exc:
            raise ScenarioError(loaded.source, [f"scenario.dem: {exc}"]) from exc


def builtin_names() -> list[str]:
    folder = resources.files(BUILTIN_PACKAGE)
    return sorted(
        f.name.removesuffix(".toml") for f in folder.iterdir() if f.name.endswith(".toml")
    )


def load_builtin(name: str = DEFAULT_SCENARIO) -> LoadedScenario:
    if name not in builtin_names():
        raise ScenarioError(
            name, [f"no built-in scenario; choose one of {', '.join(builtin_names())}"]
        )
    text, source, base_dir = scenario_text(name)
    return LoadedScenario(parse_scenario(text, source), source, base_dir)
