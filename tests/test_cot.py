"""Cursor-on-Target out of `gbad stream`: TAK protobuf a client parses (takproto), and XML
through a TAK server on loopback (taky) to a second client."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from _shared import free_port, gbad, run_small
from gbad.scenario.loader import load_scenario

TAKY = Path(sys.executable).parent / "taky"




@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cot")
    _, run = run_small(root)
    tracks = pd.read_parquet(run / "tracks.parquet")
    locates = pd.read_parquet(run / "locates.parquet")
    n_events = len(tracks) + int((locates.final & locates.located).sum())
    return root, run, tracks, n_events


def test_udp_events_are_tak_protobuf_that_takproto_parses(small_run):
    """Every track update and located point of origin is one datagram of TAK protobuf
    (mesh), which takproto parses: type by class and affiliation, how machine-generated,
    opex a simulation, stale after time, the track's place to 1e-7°."""
    import takproto

    root, run, tracks, n_events = small_run
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
    rx.bind(("127.0.0.1", 0))
    port = rx.getsockname()[1]
    result = gbad("stream", str(run), "--speed", "0", "--cot", f"udp://127.0.0.1:{port}",
                  "--asterix", f"udp://127.0.0.1:{free_port(socket.SOCK_DGRAM)}")  # fmt: skip
    assert result.returncode == 0, result.stderr
    rx.settimeout(1.0)
    events = []
    try:
        while True:
            events.append(takproto.parse_proto(bytearray(rx.recv(65536))).cotEvent)
    except TimeoutError:
        pass
    finally:
        rx.close()
    assert len(events) == n_events
    assert {e.how for e in events} == {"m-g"}
    assert {e.opex for e in events} == {"s-gbad"}
    assert all(e.staleTime > e.sendTime for e in events)
    air = [e for e in events if ".track." in e.uid]
    assert {e.type for e in air} == {"a-u-A"}  # no battery here evaluates them as threats
    assert all("SIMULATED" in e.detail.xmlDetail for e in events)
    first = tracks.iloc[0]
    from gbad.earth.wgs84 import enu2geodetic

    o = load_scenario(root / "small.toml").model.scenario.origin
    lat, lon, _ = enu2geodetic(first.east_m, first.north_m, first.up_m, o.lat_deg, o.lon_deg,
                               o.alt_m)  # fmt: skip
    mine = next(e for e in air if e.uid.endswith(f".track.{first.track_id}"))
    assert abs(mine.lat - lat) < 1e-7 and abs(mine.lon - lon) < 1e-7
    assert any(e.type == "a-h-G-U-C-F" for e in events)  # a located firing point


@pytest.mark.skipif(not TAKY.exists(), reason="taky (a TAK server on PyPI) is not installed")
def test_xml_events_pass_through_a_tak_server_to_a_second_client(small_run, tmp_path):
    """taky, a TAK server, on loopback: a second client connected to it receives every
    event gbad sent it, and each parses with takproto."""
    import takproto

    _, run, _, n_events = small_run
    port = free_port()
    conf = tmp_path / "taky.conf"
    (tmp_path / "root").mkdir()
    conf.write_text(f"[taky]\nhostname = localhost\nnode_id = GBADTEST\nbind_ip = 127.0.0.1\n"
                    f"root_dir = {tmp_path / 'root'}\n\n[cot_server]\nport = {port}\n\n"
                    "[ssl]\nenabled = false\n")  # fmt: skip
    server = subprocess.Popen([str(TAKY), "-c", str(conf)], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        client = None
        for _ in range(50):
            try:
                client = socket.create_connection(("127.0.0.1", port), timeout=1.0)
                break
            except OSError:
                time.sleep(0.2)
        assert client is not None, "taky did not start"
        client.sendall(
            b'<?xml version="1.0"?><event version="2.0" uid="test-client-b" type="a-f-G-U-C" '
            b'how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" '
            b'stale="2099-01-01T00:00:00Z"><point lat="37.1" lon="127.05" hae="0" ce="10" '
            b'le="10"/><detail><contact callsign="B"/></detail></event>'
        )
        got = bytearray()
        done = threading.Event()

        def receive() -> None:
            client.settimeout(0.5)
            while not done.is_set():
                try:
                    data = client.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                got.extend(data)

        thread = threading.Thread(target=receive)
        thread.start()
        result = gbad("stream", str(run), "--speed", "0", "--cot", f"tcp://127.0.0.1:{port}",
                      "--asterix", f"udp://127.0.0.1:{free_port(socket.SOCK_DGRAM)}")  # fmt: skip
        deadline = time.time() + 20
        while got.count(b"</event>") < n_events and time.time() < deadline:
            time.sleep(0.2)
        done.set()
        thread.join()
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert result.returncode == 0, result.stderr
    chunks = [c + b"</event>" for c in bytes(got).split(b"</event>") if c.strip()]
    events = [takproto.parse_proto(takproto.xml2proto(c.decode())).cotEvent for c in chunks]
    ours = [e for e in events if e.uid.startswith("gbad.")]
    assert len(ours) == n_events
    assert {e.how for e in ours} == {"m-g"}
    assert all("SIMULATED" in e.detail.xmlDetail for e in ours)


def test_cot_with_a_bad_address_is_a_clear_error():
    result = gbad("stream", "sense-and-warn", "--cot", "http://127.0.0.1:8087")
    assert result.returncode == 2
    assert "--cot http://127.0.0.1:8087" in result.stderr
    assert "udp://HOST:PORT or tcp://HOST:PORT" in result.stderr


def test_an_air_tracks_type_follows_the_batterys_threat_evaluation(small_run, tmp_path):
    """A track the threat list names takes its class's hostile type (its latest kind);
    one it does not name stays unknown air."""
    import shutil

    from gbad.interop.cot import run_events

    root, run, tracks, _ = small_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    ids = sorted(tracks.track_id.unique())
    listed = pd.DataFrame({"t_s": [1.0, 2.0], "track_id": [ids[0], ids[0]], "rank": [0, 0],
                           "value": [1.0, 1.0], "kind": ["aircraft", "cruise_missile"],
                           "time_to_asset_s": [100.0, 90.0]})  # fmt: skip
    listed.to_parquet(copy / "threat_list.parquet")
    events = run_events(load_scenario(root / "small.toml"), copy)
    types = {f["uid"].rsplit(".", 1)[1]: f["type"] for _, f in events if ".track." in f["uid"]}
    assert types[str(ids[0])] == "a-h-A-W-M"
    assert all(t == "a-u-A" for k, t in types.items() if k != str(ids[0]))
