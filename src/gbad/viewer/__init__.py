"""`gbad serve`: a browser viewer of a run, or of a live one, on an offline map."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from gbad.errors import InputError


class ServeError(InputError):
    what = "serve"


def serve_command(args: argparse.Namespace, console: Console) -> int:
    """`gbad serve RUN_DIR [--port P] [--host H]` or `gbad serve --live SCENARIO`."""
    from gbad.interop.stream import scenario_of_run
    from gbad.scenario.loader import load_scenario
    from gbad.viewer.server import serve

    if not (0 < args.port < 65536):
        raise ServeError(f"--port {args.port}", ["give a port from 1 to 65535"])
    if args.live:
        loaded = load_scenario(args.live)
        run_dir = None
    elif args.run_dir:
        run_dir = Path(args.run_dir)
        if not (run_dir / "tracks.parquet").is_file():
            raise ServeError(args.run_dir, ["not a run's result folder (no tracks.parquet)"])
        loaded = load_scenario(args.scenario) if args.scenario else scenario_of_run(run_dir)
    else:
        raise ServeError("gbad serve", ["give a run's result folder, or --live SCENARIO"])
    serve(loaded, run_dir, args.host, args.port, args.live is not None, args.speed,
          print_fn=console.print)  # fmt: skip
    return 0
