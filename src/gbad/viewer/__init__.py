"""`gbad serve`: a browser viewer of a run, or of a live one, on an offline map."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from gbad.errors import InputError


class ServeError(InputError):
    what = "serve"


def serve_command(args: argparse.Namespace, console: Console) -> int:
    """`gbad serve RUN_DIR [--port P] [--host H]` or `gbad serve --live SCENARIO`, either
    with `--laydown DIR` (or that alone: the laydown's scenario and layer, no run)."""
    from gbad.interop.stream import scenario_of_run
    from gbad.scenario.loader import load_scenario
    from gbad.viewer.server import serve

    if not (0 < args.port < 65536):
        raise ServeError(f"--port {args.port}", ["give a port from 1 to 65535"])
    layer = None
    if args.laydown:
        folder = Path(args.laydown)
        if not (folder / "laydown.geojson").is_file() or not (folder / "scenario.toml").is_file():
            raise ServeError(args.laydown, ["not a laydown's folder (no laydown.geojson and "
                                            "scenario.toml: what `gbad laydown --out DIR` writes)"])  # fmt: skip
        layer = (folder / "laydown.geojson").read_text(encoding="utf-8")
    run_dir = None
    if args.live:
        loaded = load_scenario(args.live)
    elif args.run_dir:
        run_dir = Path(args.run_dir)
        if not (run_dir / "tracks.parquet").is_file():
            raise ServeError(args.run_dir, ["not a run's result folder (no tracks.parquet)"])
        loaded = load_scenario(args.scenario) if args.scenario else scenario_of_run(run_dir)
    elif layer is not None:
        loaded = load_scenario(Path(args.laydown) / "scenario.toml")
    else:
        raise ServeError(
            "gbad serve", ["give a run's result folder, --live SCENARIO or --laydown DIR"]
        )
    serve(loaded, run_dir, args.host, args.port, args.live is not None, args.speed,
          print_fn=console.print, laydown=layer)  # fmt: skip
    return 0
