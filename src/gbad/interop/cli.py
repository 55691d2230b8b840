"""The command line's side of the interfaces: `gbad stream`, and `gbad track` reading a
recording as well as a detection file."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console

#: Problems printed one by one before the rest are counted.
SHOWN_PROBLEMS = 20


def read_detections(path: Path, radars, loaded, udp_port: int | None, console: Console):
    """A detection file (Parquet) or an ASTERIX recording, as `Detections`; a recording's
    unreadable records printed as warnings, each where it is."""
    from gbad.interop.capture import CaptureError, recorded_detections
    from gbad.sensors.detection_file import from_columns
    from gbad.sensors.detection_file import read_detections as read_parquet

    if not path.is_file():
        return read_parquet(path, radars)  # it names what the path is (a FIFO is not opened)
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        head = b"PAR1"  # let the Parquet reader say what is wrong with the file
    if head == b"PAR1":
        return read_parquet(path, radars)
    cols, problems = recorded_detections(path, loaded, udp_port)
    for line in problems[:SHOWN_PROBLEMS]:
        console.print(f"[yellow]warning[/yellow]: {line}", highlight=False, soft_wrap=True)
    if len(problems) > SHOWN_PROBLEMS:
        console.print(f"[yellow]warning[/yellow]: {len(problems) - SHOWN_PROBLEMS} more problems")
    if len(cols["t_s"]) == 0:
        raise CaptureError(str(path), ["no CAT048 plot of the scenario's radars in it"])
    order = sorted(range(len(cols["t_s"])), key=lambda i: cols["t_s"][i])
    cols = {k: v[order] for k, v in cols.items()}
    return from_columns(cols, radars, str(path))


def stream_command(args: argparse.Namespace, console: Console) -> int:
    """`gbad stream`: a run's folder played as it is, or a scenario run first."""
    from gbad.interop.capture import write_pcap
    from gbad.interop.stream import (
        DEFAULT_ASTERIX,
        StreamError,
        address,
        cot_messages,
        cot_sender,
        play,
        run_messages,
        scenario_of_run,
        udp_sender,
    )
    from gbad.scenario.loader import load_scenario

    _, host, port = address(args.asterix or DEFAULT_ASTERIX, "--asterix")
    cot = address(args.cot, "--cot", ("udp", "tcp")) if args.cot else None
    if not (args.speed >= 0.0):
        raise StreamError(f"--speed {args.speed}", ["give 0 (as fast as possible) or more"])
    if args.duration_s is not None and not (args.duration_s > 0.0):
        raise StreamError(f"--duration-s {args.duration_s}", ["give a positive duration"])
    source = Path(args.source)
    with tempfile.TemporaryDirectory(prefix="gbad-stream-") as tmp:
        if source.is_dir():
            loaded = load_scenario(args.scenario) if args.scenario else scenario_of_run(source)
            run_dir = source
        else:
            from gbad.sim import run_scenario

            loaded = load_scenario(args.scenario or args.source)
            if not args.quiet:
                console.print(f"running {loaded.model.scenario.name} first …")
            run_dir = Path(tmp) / "run"
            run_scenario(loaded, run_dir, report=False)
        messages = run_messages(loaded, run_dir)
        if cot:
            messages = sorted(messages + cot_messages(loaded, run_dir), key=lambda m: m.t_s)
    send, sock = udp_sender(host, port)
    send_cot, cot_sock = cot_sender(*cot) if cot else (None, None)
    sent: list = []

    def deliver(m) -> None:
        if m.category == "cot":
            send_cot(m)  # type: ignore[misc]
        else:
            send(m)
        sent.append(m)

    if not args.quiet:
        speed = "as fast as possible" if args.speed == 0 else f"at {args.speed:g}× real time"
        console.print(
            f"streaming {len(messages)} messages (simulated) to udp://{host}:{port}"
            + (f" and {cot[0]}://{cot[1]}:{cot[2]}" if cot else "") + f" {speed}"
        )
    tic = time.monotonic()
    try:
        n = play(messages, deliver, args.speed, args.duration_s)
    finally:
        sock.close()
        if cot_sock is not None:
            cot_sock.close()
        if args.pcap:
            write_pcap(Path(args.pcap), [(m.t_s, port, m.payload) for m in sent
                                         if m.category != "cot"])  # fmt: skip
    if not args.quiet:
        by_cat = {c: sum(m.category == c for m in sent) for c in ("048", "034", "062", "cot")}
        console.print(
            f"sent {n} messages in {time.monotonic() - tic:.1f} s: "
            f"CAT048 {by_cat['048']}, CAT034 {by_cat['034']}, CAT062 {by_cat['062']}"
            + (f", CoT events {by_cat['cot']}" if cot else "")
            + (f"; capture in {args.pcap}" if args.pcap else "")
        )
    return 0
