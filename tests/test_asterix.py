"""ASTERIX out and in: what `gbad stream` sends, decoded by Wireshark's own dissector
(tshark) and by an independent decoder (pyasteryx); recordings read back by `gbad
track`; hostile recordings."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _shared import SMALL, gbad, run_small
from gbad.interop import asterix as ax
from gbad.interop.capture import read_recording, recorded_detections, write_pcap
from gbad.scenario.loader import load_scenario

TSHARK = shutil.which("tshark")
NM_M = 1852.0




@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    """The small scenario run, then played by `gbad stream` as fast as possible to a UDP
    socket on loopback: what the socket received (written as a pcap, in the order
    received), and the run."""
    root = tmp_path_factory.mktemp("asterix")
    scenario, run = run_small(root)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(0.5)
    port = rx.getsockname()[1]
    got: list[tuple[float, int, bytes]] = []
    done = threading.Event()

    def receive() -> None:
        while not done.is_set():
            try:
                data = rx.recv(65536)
            except TimeoutError:
                continue
            got.append((time.time(), port, data))

    thread = threading.Thread(target=receive)
    thread.start()
    try:
        result = gbad("stream", str(run), "--speed", "0", "--asterix", f"udp://127.0.0.1:{port}",
                      "--pcap", str(root / "sent.pcap"))  # fmt: skip
        time.sleep(1.0)
    finally:
        done.set()
        thread.join()
        rx.close()
    assert result.returncode == 0, result.stderr
    capture = root / "received.pcap"
    write_pcap(capture, got)
    return scenario, run, capture, port, got, result


def _tshark(capture: Path, port: int, fields: list[str]) -> dict[str, np.ndarray]:
    """tshark's own ASTERIX dissector on the capture: every occurrence of each field, in
    packet order."""
    cmd = [TSHARK, "-r", str(capture), "-d", f"udp.port=={port},asterix", "-T", "fields",
           "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"]  # fmt: skip
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout
    cols: dict[str, list] = {f: [] for f in fields}
    for line in out.splitlines():
        for f, cell in zip(fields, line.split("|"), strict=True):
            cols[f].extend(v for v in cell.split(",") if v != "")
    return {f: np.asarray(v) for f, v in cols.items()}


def test_every_datagram_sent_arrives_and_says_it_is_simulated(streamed):
    _, run, _, _, got, result = streamed
    n_det = len(pd.read_parquet(run / "detections.parquet"))
    plots = ax.Decoded()
    for k, (_, _, data) in enumerate(got):
        ax.decode(data, f"datagram {k}", plots)
    assert plots.problems == []
    assert len(plots.columns["range_m"]) == n_det  # every detection, once
    assert plots.service_messages > 0 and plots.system_tracks > 0
    assert f"sent {len(got)} messages" in result.stdout.replace("\n", " ")


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (`make test` installs it)")
def test_wiresharks_dissector_decodes_every_item_to_what_was_meant(streamed):
    """tshark 4 decodes the received capture: range, azimuth and time of day of every
    plot, and the track number, WGS-84 position and velocity of every system track,
    agree with the run's tables within each item's resolution; SIM is set."""
    _, run, capture, port, _, _ = streamed
    det = pd.read_parquet(run / "detections.parquet")
    trk = pd.read_parquet(run / "tracks.parquet")
    f = _tshark(capture, port, [
        "asterix.048_140_VALUE", "asterix.048_040_RHO", "asterix.048_040_THETA",
        "asterix.048_020_SIM", "asterix.048_010_SIC",
        "asterix.062_070_VALUE", "asterix.062_040_VALUE", "asterix.062_105_LAT",
        "asterix.062_105_LON", "asterix.062_185_VX", "asterix.062_185_VY", "asterix.062_080_SIM",
        "asterix.034_000_VALUE",
    ])  # fmt: skip
    tod = f["asterix.048_140_VALUE"].astype(float)
    rho_m = f["asterix.048_040_RHO"].astype(float) * NM_M
    theta = f["asterix.048_040_THETA"].astype(float)
    assert len(tod) == len(det)
    assert set(f["asterix.048_020_SIM"]) == {"1"}
    assert set(f["asterix.062_080_SIM"]) == {"1"}
    assert {"1", "2"} <= set(f["asterix.034_000_VALUE"])  # north markers, sector crossings
    rows = _match(det, tod, rho_m)
    assert np.all(np.abs(tod - det.t_s.to_numpy()[rows]) <= 1 / 128)
    assert np.all(np.abs(rho_m - det.range_m.to_numpy()[rows]) <= NM_M / 256)
    d_az = (theta - det.az_deg.to_numpy()[rows] + 180.0) % 360.0 - 180.0
    assert np.all(np.abs(d_az) <= 360.0 / 2**16)
    # System tracks: every update, in time order.
    from gbad.earth.wgs84 import enu2geodetic

    o = load_scenario(streamed[0]).model.scenario.origin
    lat, lon, _ = enu2geodetic(trk.east_m, trk.north_m, trk.up_m, o.lat_deg, o.lon_deg, o.alt_m)
    t62 = f["asterix.062_070_VALUE"].astype(float)
    order = np.argsort(t62, kind="stable")
    assert len(t62) == len(trk)
    assert np.all(np.abs(t62[order] - trk.t_s.to_numpy()) <= 1 / 128)
    number = np.array([int(v, 16) if v.startswith("0x") else int(v)
                       for v in f["asterix.062_040_VALUE"]])  # fmt: skip
    np.testing.assert_array_equal(number[order], trk.track_id.to_numpy() % 65536)
    lsb = 180.0 / 2**25
    assert np.all(np.abs(f["asterix.062_105_LAT"].astype(float)[order] - lat) <= lsb)
    assert np.all(np.abs(f["asterix.062_105_LON"].astype(float)[order] - lon) <= lsb)
    assert np.all(np.abs(f["asterix.062_185_VX"].astype(float)[order] - trk.v_east_mps) <= 0.25)
    assert np.all(np.abs(f["asterix.062_185_VY"].astype(float)[order] - trk.v_north_mps) <= 0.25)


def _match(det: pd.DataFrame, tod: np.ndarray, rho_m: np.ndarray) -> np.ndarray:
    """The row of the run's detections each decoded plot is: the nearest in range among
    those within one 1/128 s time-of-day step; each row taken once."""
    t, r = det.t_s.to_numpy(), det.range_m.to_numpy()
    order = np.argsort(t, kind="stable")
    rows = np.empty(len(tod), dtype=np.int64)
    for k, (when, rng) in enumerate(zip(tod, rho_m, strict=True)):
        lo, hi = np.searchsorted(t[order], [when - 1 / 128, when + 1 / 128])
        near = order[lo:hi]
        assert near.size, (when, rng)
        rows[k] = near[np.argmin(np.abs(r[near] - rng))]
    assert len(set(rows.tolist())) == len(rows) == len(det)
    return rows


def test_an_independent_decoder_reads_the_same_plots_and_tracks(streamed):
    """pyasteryx (its own specification tables and code) decodes CAT048 and CAT062 of the
    received datagrams to the same numbers, with no error."""
    from pyasteryx import Decoder

    _, run, _, _, got, _ = streamed
    det = pd.read_parquet(run / "detections.parquet")
    trk = pd.read_parquet(run / "tracks.parquet")
    decoder = Decoder()
    rho, tod, sim, trk_no, trk_t = [], [], [], [], []
    for _, _, data in got:
        if data[0] == 34:
            continue  # pyasteryx has no CAT034 (tshark reads those above)
        for m in decoder.decode(data):
            if m.category == 48:
                rho.append(m.items["I048/040"]["RHO"] * NM_M)
                tod.append(m.items["I048/140"]["ToD"])
                sim.append(m.items["I048/020"]["SIM"])
            elif m.category == 62:
                trk_no.append(m.items["I062/040"]["TrkN"])
                trk_t.append(m.items["I062/070"]["ToT"])
                sim.append(m.items["I062/080"]["SIM"])
    assert decoder.errors == 0
    assert set(sim) == {1}
    rho, tod = np.array(rho), np.array(tod)
    rows = _match(det, tod, rho)
    assert np.all(np.abs(rho - det.range_m.to_numpy()[rows]) <= NM_M / 256)
    assert np.all(np.abs(tod - det.t_s.to_numpy()[rows]) <= 1 / 128)
    order = np.argsort(np.array(trk_t), kind="stable")
    np.testing.assert_array_equal(np.array(trk_no)[order], trk.track_id.to_numpy() % 65536)


def test_a_capture_tracked_matches_the_runs_own_detections(streamed, tmp_path):
    """`gbad track` on the received capture and on the run's detections.parquet: the same
    confirmed air tracks, within what the encoding's resolution moves them; the same
    weapon tracks located, their points of origin within metres."""
    scenario, run, capture, _, _, _ = streamed
    outs = {}
    for name, src in (("pq", run / "detections.parquet"), ("pcap", capture)):
        result = gbad("track", str(src), "--scenario", str(scenario), "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        outs[name] = (pd.read_parquet(tmp_path / name / "tracks.parquet"),
                      pd.read_parquet(tmp_path / name / "locates.parquet"))  # fmt: skip
    (ta, la), (tb, lb) = outs["pq"], outs["pcap"]
    conf_a, conf_b = ta[ta.status == "confirmed"], tb[tb.status == "confirmed"]
    assert conf_a.track_id.nunique() == conf_b.track_id.nunique() >= 1
    both = pd.merge_asof(conf_a.sort_values("t_s"), conf_b.sort_values("t_s"), on="t_s",
                         by="track_id", tolerance=1 / 128, direction="nearest",
                         suffixes=("_a", "_b")).dropna(subset=["east_m_b"])  # fmt: skip
    # Within 1/128 s the times are the same updates; the positions move by the
    # quantisation (7.2 m in range, 0.0055° in azimuth: 5 m at 50 km) through the filter.
    assert len(both) >= 0.8 * len(conf_a)
    gap = np.hypot(both.east_m_a - both.east_m_b, both.north_m_a - both.north_m_b)
    assert np.median(gap) < 10.0
    fa = la[la.final & la.located].set_index("track_id")
    fb = lb[lb.final & lb.located].set_index("track_id")
    assert set(fa.index) == set(fb.index) and len(fa) >= 1
    poo = np.hypot(fa.poo_east_m - fb.poo_east_m[fa.index], fa.poo_north_m - fb.poo_north_m[fa.index])
    assert poo.max() < 5.0


def test_a_recording_from_unknown_sources_and_without_elevation_is_reported(tmp_path):
    """Plots of a SAC/SIC that no radar of the scenario has, and plots with no
    elevation (no I048/110, no gbad SP field), are named, counted and left out."""
    loaded = load_scenario(_small(tmp_path))
    rec_known = ax.plot_record(10.0, 20e3, 10.0, 2.0, float("nan"), 20.0, -1, (0, 1))
    rec_unknown = ax.plot_record(10.0, 20e3, 10.0, 2.0, float("nan"), 20.0, -1, (7, 9))
    from asterix.generated import Cat_048_1_31 as C48

    bare = C48.cv_record.create({"010": (("SAC", 0), ("SIC", 1)), "140": (11.0, "s"),
                                 "040": (("RHO", (10.0, "NM")), ("THETA", (5.0, "°")))})  # fmt: skip
    raw = tmp_path / "plots.ast"
    raw.write_bytes(b"".join(ax.datagrams([rec_known, rec_unknown, bare], "048")))
    cols, problems = recorded_detections(raw, loaded)
    assert len(cols["t_s"]) == 1 and cols["radar_id"][0] == "sr"
    assert any("1 plot(s) from SAC 7 / SIC 9, which no radar of the scenario has" in p
               for p in problems)  # fmt: skip
    assert any("1 plot(s) with no elevation" in p for p in problems)


def test_track_on_a_file_that_is_no_recording_is_a_clear_error(tmp_path):
    scenario = _small(tmp_path)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x30\x00")
    result = gbad("track", str(junk), "--scenario", str(scenario), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{junk}" in result.stderr and "no CAT048 plot of the scenario's radars" in result.stderr
    assert "2 stray bytes, not a datablock" in result.stdout.replace("\n", " ")


def test_stream_with_a_bad_address_is_a_clear_error(tmp_path):
    result = gbad("stream", "sense-and-warn", "--asterix", "tcp://127.0.0.1:9")
    assert result.returncode == 2
    assert "--asterix tcp://127.0.0.1:9" in result.stderr and "udp://HOST:PORT" in result.stderr


def test_two_radars_on_one_asterix_source_are_refused(tmp_path):
    text = SMALL.replace('id = "wl"', 'id = "wl"\nasterix = { sac = 0, sic = 1 }')
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    result = gbad("validate", str(bad))
    assert result.returncode == 2
    assert "radars[1].asterix: SAC 0 / SIC 1 is 'sr''s already" in result.stderr


def _small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


# --------------------------------------------------------------------------- fuzzing


def _mutations(seed_data: list[bytes], n: int, rng: np.random.Generator):
    """``n`` hostile variants of the datagrams: bytes flipped, cut short, lengths
    corrupted, chunks repeated or dropped."""
    for _ in range(n):
        data = bytearray(seed_data[rng.integers(len(seed_data))])
        kind = rng.integers(5)
        if kind == 0:
            for i in rng.integers(0, len(data), rng.integers(1, 8)):
                data[i] = rng.integers(256)
        elif kind == 1:
            data = data[: rng.integers(0, len(data))]
        elif kind == 2 and len(data) >= 3:
            data[1:3] = int(rng.integers(0, 70000) % 65536).to_bytes(2, "big")
        elif kind == 3:
            a = rng.integers(0, len(data))
            data = data[:a] + data[a : a + rng.integers(1, 40)] * 3 + data[a:]
        else:
            a = rng.integers(0, len(data))
            data = data[:a] + data[a + rng.integers(1, 40) :]
        yield bytes(data)


def test_fuzzing_ten_thousand_hostile_datagrams_and_captures(streamed, tmp_path):
    """8,000 mutated datagrams and 2,000 mutated pcap files: no exception, no hang (each
    read within a second), and no problem reported twice for one input."""
    _, _, capture, _, got, _ = streamed
    rng = np.random.default_rng(13)
    datagrams = [d for _, _, d in got]
    worst = 0.0
    for k, data in enumerate(_mutations(datagrams, 8000, rng)):
        out = ax.Decoded()
        tic = time.perf_counter()
        ax.decode(data, f"case {k}", out)
        worst = max(worst, time.perf_counter() - tic)
        assert len(out.problems) == len(set(out.problems))
    pcap = capture.read_bytes()
    path = tmp_path / "m.pcap"
    for k, data in enumerate(_mutations([pcap[: 24 + 2000]], 2000, rng)):
        path.write_bytes(data)
        tic = time.perf_counter()
        out = read_recording(path)
        worst = max(worst, time.perf_counter() - tic)
        assert len(out.problems) == len(set(out.problems)), k
    assert worst < 1.0


def test_a_pcapng_capture_reads_as_its_pcap_does(streamed, tmp_path):
    """The same datagrams in a pcapng capture (as Wireshark writes by default) and in the
    pcap: the same plots."""
    import dpkt

    capture = streamed[2]
    ng = tmp_path / "received.pcapng"
    with open(capture, "rb") as f, open(ng, "wb") as out:
        writer = dpkt.pcapng.Writer(out, snaplen=65535, linktype=dpkt.pcap.DLT_EN10MB)
        for ts, frame in dpkt.pcap.Reader(f):
            writer.writepkt(frame, ts=ts)
    a, b = read_recording(capture), read_recording(ng)
    assert b.problems == [] and len(b.columns["range_m"]) > 1000
    for key in a.columns:
        np.testing.assert_array_equal(np.asarray(a.columns[key]), np.asarray(b.columns[key]))
