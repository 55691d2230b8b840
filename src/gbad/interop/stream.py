"""`gbad stream`: a run played out as ASTERIX over UDP, and as Cursor-on-Target, in
simulated time.

What is sent, in time order (every datagram one datablock of one category):

- per radar, its plots (CAT048, `gbad.interop.asterix.plot_record`), gathered between
  sector crossings;
- per radar, a CAT034 north marker at the start of each scan (a rotation, a sector
  sweep, an electronic frame) and a sector crossing every eighth of it: the antenna's
  azimuth for a rotating radar, the beam's across a sector, the frame's share of 360°
  for an electronic one;
- the air picture's tracks (CAT062, `track_record`), each update at its time;
- with ``--cot``, each track update and each located point of origin as a CoT event
  (`gbad.interop.cot`).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pyarrow.parquet as pq

from gbad.errors import InputError
from gbad.interop.asterix import (
    datagrams,
    plot_record,
    service_record,
    track_record,
)
from gbad.scenario.loader import LoadedScenario
from gbad.scenario.schema import asterix_source

#: Sector crossings per scan.
SECTORS = 8
#: Where ASTERIX goes unless told.
DEFAULT_ASTERIX = "udp://127.0.0.1:8600"


class StreamError(InputError):
    what = "stream"


@dataclass(frozen=True)
class Message:
    """One thing to send at simulated time ``t_s``: an ASTERIX datagram (``category``
    "048", "034", "062"), or a CoT event ("cot", its fields, formatted when sent)."""

    t_s: float
    category: str
    payload: bytes = b""
    event: dict | None = None


def address(url: str, option: str, schemes: tuple[str, ...] = ("udp",)) -> tuple[str, str, int]:
    """``SCHEME://HOST:PORT`` as (scheme, host, port), or a clear error naming ``option``."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in schemes or not parts.hostname or port is None or port == 0:
        forms = " or ".join(f"{s}://HOST:PORT" for s in schemes)
        raise StreamError(f"{option} {url}", [f"give {forms}, e.g. {schemes[0]}://127.0.0.1:8600"])
    return parts.scheme, parts.hostname, port


def cot_messages(loaded: LoadedScenario, run_dir: Path) -> list[Message]:
    """The run's CoT events (`gbad.interop.cot.run_events`) as messages."""
    from gbad.interop.cot import run_events

    return [Message(t, "cot", event=fields) for t, fields in run_events(loaded, run_dir)]


def run_messages(loaded: LoadedScenario, run_dir: Path) -> list[Message]:
    """Every datagram of a finished run (its `detections.parquet`, `tracks.parquet`), in
    time order."""
    from gbad.runworld import radar_models

    det = pq.read_table(run_dir / "detections.parquet").to_pydict()
    tracks = pq.read_table(run_dir / "tracks.parquet").to_pydict()
    duration = float(loaded.model.scenario.duration_s)
    out: list[Message] = []
    radar_id = np.asarray(det["radar_id"], dtype=object)
    for i, radar in enumerate(radar_models(loaded)):
        source = asterix_source(loaded.model, i)
        rows = np.flatnonzero(radar_id == radar.id)
        out.extend(_radar_messages(radar, source, det, rows, duration))
    out.extend(_track_messages(loaded, tracks))
    out.sort(key=lambda m: m.t_s)
    return out


def _radar_messages(radar, source, det, rows, duration_s) -> Iterator[Message]:
    period = float(radar.period_s)
    step = period / SECTORS
    n_steps = int(np.ceil(duration_s / step))
    t = np.asarray(det["t_s"], dtype=float)[rows]
    sector_of = np.minimum((t / step).astype(np.int64), n_steps)
    cols = {k: np.asarray(det[k], dtype=float)[rows]
            for k in ("range_m", "az_deg", "el_deg", "range_rate_mps", "snr_db")}  # fmt: skip
    track = np.asarray(det.get("dwell_track_id", [-1] * len(det["t_s"])), dtype=np.int64)[rows]
    for k in range(n_steps + 1):
        t0 = k * step
        if t0 <= duration_s:
            if k % SECTORS == 0:
                rec = service_record("north", t0, source, period_s=period)
            else:
                rec = service_record("sector", t0, source, azimuth_deg=_beam_az(radar, k))
            for payload in datagrams([rec], "034"):
                yield Message(t0, "034", payload)
        sel = np.flatnonzero(sector_of == k)
        if sel.size == 0:
            continue
        recs = [
            plot_record(t[j], cols["range_m"][j], cols["az_deg"][j], cols["el_deg"][j],
                        cols["range_rate_mps"][j], cols["snr_db"][j], int(track[j]), source)
            for j in sel
        ]  # fmt: skip
        for payload in datagrams(recs, "048"):
            yield Message(float(t[sel[-1]]), "048", payload)


def _beam_az(radar, k: int) -> float:
    """Where the scan points at its k-th sector crossing."""
    frac = (k % SECTORS) / SECTORS
    if radar.scan_kind == "sector":
        return radar.az_min_deg + frac * radar.az_width_deg
    return 360.0 * frac


def _track_messages(loaded: LoadedScenario, tracks: dict) -> Iterator[Message]:
    from gbad.earth.wgs84 import enu2geodetic

    if not tracks.get("t_s"):
        return
    o = loaded.model.scenario.origin
    src = loaded.model.scenario.asterix
    t = np.asarray(tracks["t_s"], dtype=float)
    e, n, u = (np.asarray(tracks[k], dtype=float) for k in ("east_m", "north_m", "up_m"))
    lat, lon, alt = enu2geodetic(e, n, u, o.lat_deg, o.lon_deg, o.alt_m)
    ve, vn = (np.asarray(tracks[k], dtype=float) for k in ("v_east_mps", "v_north_mps"))
    status = np.asarray(tracks["status"], dtype=object)
    tid = np.asarray(tracks["track_id"], dtype=np.int64)
    for when in np.unique(t):
        sel = np.flatnonzero(t == when)
        recs = [
            track_record(when, tid[j], status[j] == "confirmed", e[j], n[j], lat[j], lon[j],
                         alt[j], ve[j], vn[j], (src.sac, src.sic))
            for j in sel
        ]  # fmt: skip
        for payload in datagrams(recs, "062"):
            yield Message(float(when), "062", payload)


def scenario_of_run(run_dir: Path) -> LoadedScenario:
    """The scenario a run directory was made from (its summary's source)."""
    from gbad.scenario.loader import load_builtin, load_scenario

    try:
        summary = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError) as exc:
        raise StreamError(str(run_dir), [f"not a run folder (summary.json: {exc})"]) from None
    source = str(summary.get("source", ""))
    if source.startswith("<built-in ") and source.endswith(">"):
        return load_builtin(source[len("<built-in ") : -1])
    if source and Path(source).is_file():
        return load_scenario(source)
    raise StreamError(str(run_dir), [f"its scenario {source!r} is not at hand: give --scenario"])


def play(messages: list[Message], send: Callable[[Message], None], speed: float,
         duration_s: float | None = None, clock=time.monotonic, sleep=time.sleep) -> int:  # fmt: skip
    """Send each message at its simulated time over ``speed`` (0: as fast as possible),
    up to ``duration_s`` simulated seconds; returns how many were sent."""
    start = clock()
    sent = 0
    for m in messages:
        if duration_s is not None and m.t_s > duration_s:
            break
        if speed > 0.0:
            wait = start + m.t_s / speed - clock()
            if wait > 0.0:
                sleep(wait)
        send(m)
        sent += 1
    return sent


def udp_sender(host: str, port: int) -> tuple[Callable[[Message], None], socket.socket]:
    """ASTERIX datagrams to ``host:port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)

    def send(m: Message) -> None:
        sock.sendto(m.payload, (host, port))

    return send, sock


class _Graceful:
    """A TCP connection closed the polite way: our side shut, what the server still sends
    read until it closes too (or 2 s), so that no reset makes it drop what it has not
    yet read of ours."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(2.0)
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        finally:
            self.sock.close()


def cot_sender(scheme: str, host: str, port: int) -> tuple[Callable[[Message], None], object]:
    """CoT events: over TCP as XML, one after another (a TAK server's plain input); over
    UDP as TAK protobuf in the mesh format, one event a datagram."""
    import datetime as dt

    from gbad.interop.cot import event_proto, event_xml

    if scheme == "tcp":
        try:
            sock = socket.create_connection((host, port), timeout=10.0)
        except OSError as exc:
            raise StreamError(f"--cot tcp://{host}:{port}", [f"cannot connect: {exc}"]) from None

        def send(m: Message) -> None:
            sock.sendall(event_xml(m.event or {}, dt.datetime.now(dt.UTC)))

        return send, _Graceful(sock)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)

    def send_udp(m: Message) -> None:
        sock.sendto(event_proto(m.event or {}, dt.datetime.now(dt.UTC)), (host, port))

    return send_udp, sock
