"""Packet captures of ASTERIX over UDP: written as pcap, read from pcap, pcapng or a raw
concatenation of ASTERIX datablocks (`dpkt` parses the capture and its frames).

Reading never raises on what the file holds: a frame that is not UDP over IP, a
truncated file, a datablock or record that does not parse is one located line in the
result's problems, and reading goes on where it can.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

from gbad.errors import InputError
from gbad.interop.asterix import Decoded, decode

#: Magic numbers of the two capture formats (pcap: either byte order, µs or ns).
PCAP_MAGICS = {0xA1B2C3D4, 0xD4C3B2A1, 0xA1B23C4D, 0x4D3CB2A1}
PCAPNG_MAGIC = 0x0A0D0D0A
#: Where simulated datagrams are said to come from and go to in a written capture.
LOOPBACK = "127.0.0.1"


class CaptureError(InputError):
    what = "ASTERIX recording"


def write_pcap(path: Path, datagrams: Iterable[tuple[float, int, bytes]], src_port: int = 40000) -> None:
    """Datagrams ``(time s, destination UDP port, payload)`` as an Ethernet pcap between
    two loopback addresses (written atomically)."""
    import dpkt

    from gbad.record import atomic_write

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            w = dpkt.pcap.Writer(f, linktype=dpkt.pcap.DLT_EN10MB)
            for t_s, port, payload in datagrams:
                udp = dpkt.udp.UDP(sport=src_port, dport=port, data=payload)
                udp.ulen = len(udp)
                ip = dpkt.ip.IP(src=bytes([127, 0, 0, 1]), dst=bytes([127, 0, 0, 1]),
                                p=dpkt.ip.IP_PROTO_UDP, data=udp, ttl=64)  # fmt: skip
                ip.len = len(ip)
                eth = dpkt.ethernet.Ethernet(src=b"\0" * 6, dst=b"\0" * 6,
                                             type=dpkt.ethernet.ETH_TYPE_IP, data=ip)  # fmt: skip
                w.writepkt(bytes(eth), ts=t_s)

    atomic_write(Path(path), write)


def kind_of(head: bytes) -> str:
    """"pcap", "pcapng" or "asterix" (anything else is taken as raw datablocks)."""
    if len(head) >= 4:
        magic = struct.unpack("<I", head[:4])[0]
        if magic in PCAP_MAGICS or struct.unpack(">I", head[:4])[0] in PCAP_MAGICS:
            return "pcap"
        if magic == PCAPNG_MAGIC:
            return "pcapng"
    return "asterix"


def read_recording(path: str | Path, udp_port: int | None = None) -> Decoded:
    """Every CAT048 plot of a recording (a pcap or pcapng capture of UDP, or raw ASTERIX
    datablocks), with what could not be read. ``udp_port``: only datagrams to it."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise CaptureError(str(path), ["no such file"]) from None
    except IsADirectoryError:
        raise CaptureError(str(path), ["a folder, not a recording"]) from None
    except OSError as exc:
        raise CaptureError(str(path), [f"cannot be read: {exc.strerror}"]) from None
    out = Decoded()
    kind = kind_of(data[:4])
    if kind == "asterix":
        decode(data, str(path), out)
        return out
    for where, payload in _udp_payloads(data, kind, str(path), udp_port, out.problems):
        decode(payload, where, out)
    return out


def _udp_payloads(data: bytes, kind: str, name: str, port: int | None,
                  problems: list[str]) -> Iterator[tuple[str, bytes]]:  # fmt: skip
    import dpkt

    try:
        reader = (dpkt.pcap.Reader if kind == "pcap" else dpkt.pcapng.Reader)(io.BytesIO(data))
    except Exception as exc:  # a header dpkt refuses: the whole file is unreadable
        problems.append(f"{name}: not a readable {kind} capture ({type(exc).__name__}: {exc})")
        return
    link = reader.datalink()
    n = 0
    frames = iter(reader)
    while True:
        try:
            item = next(frames)
        except StopIteration:
            return
        except Exception as exc:  # a truncated or corrupt block: nothing after it is sure
            problems.append(f"{name}, after packet {n}: the capture breaks off "
                            f"({type(exc).__name__}: {exc}); the rest is not read")  # fmt: skip
            return
        n += 1
        where = f"{name}, packet {n}"
        _, buf = item
        try:
            udp = _udp_of(link, buf)
        except Exception as exc:
            problems.append(f"{where}: not a UDP datagram over IP ({type(exc).__name__}: {exc})")
            continue
        if udp is None:
            continue  # not UDP (ARP, TCP, ...): not ASTERIX over UDP, nothing to report
        if port is not None and udp.dport != port:
            continue
        yield where, bytes(udp.data)


def _udp_of(link: int, buf: bytes):
    """The UDP datagram in one frame of link type ``link`` (None: a frame of something
    else)."""
    import dpkt

    if link == dpkt.pcap.DLT_EN10MB:
        frame = dpkt.ethernet.Ethernet(buf).data
    elif link in (dpkt.pcap.DLT_NULL, dpkt.pcap.DLT_LOOP):
        frame = dpkt.loopback.Loopback(buf).data
    elif link == dpkt.pcap.DLT_LINUX_SLL:
        frame = dpkt.sll.SLL(buf).data
    elif link in (dpkt.pcap.DLT_RAW, 101, 228, 229):
        frame = dpkt.ip.IP(buf) if (buf[:1] or b"\0")[0] >> 4 == 4 else dpkt.ip6.IP6(buf)
    else:
        raise ValueError(f"link type {link} (Ethernet, loopback, Linux cooked or raw IP)")
    if not isinstance(frame, dpkt.ip.IP | dpkt.ip6.IP6):
        return None
    udp = frame.data
    return udp if isinstance(udp, dpkt.udp.UDP) else None


def recorded_detections(path: str | Path, loaded, udp_port: int | None = None
                        ) -> tuple[dict, list[str]]:  # fmt: skip
    """A recording's CAT048 plots as detection columns (`gbad.sensors.detection_file`),
    each placed on the scenario's radar of its SAC/SIC; and the lines of what was not
    read. Time of day becomes the run's time (the clock starts at midnight; a day
    wrap is unrolled). Elevation comes from gbad's SP field, else from I048/110's
    height; a plot with neither is not placed."""
    import numpy as np

    from gbad.interop.asterix import elevation_from_height_deg, plot_arrays
    from gbad.scenario.schema import asterix_source

    decoded = read_recording(path, udp_port)
    problems = list(decoded.problems)
    for cat, n in sorted(decoded.skipped_categories.items()):
        problems.append(f"{path}: {n} datablock(s) of CAT{cat:03d}, which gbad does not read")
    p = plot_arrays(decoded)
    radars = {asterix_source(loaded.model, i): r.id for i, r in enumerate(loaded.model.radars)}
    radar_id = np.array([radars.get((a, b)) for a, b in zip(p["sac"], p["sic"], strict=True)],
                        dtype=object)  # fmt: skip
    for sac, sic in sorted({(int(a), int(b)) for a, b, r in zip(p["sac"], p["sic"], radar_id,
                                                                 strict=True) if r is None}):
        n = int(np.sum((p["sac"] == sac) & (p["sic"] == sic)))
        known = ", ".join(f"{r} (SAC {a} / SIC {b})" for (a, b), r in radars.items())
        problems.append(f"{path}: {n} plot(s) from SAC {sac} / SIC {sic}, which no radar of the "
                        f"scenario has ({known}): not placed")  # fmt: skip
    el = p["el_deg"].copy()
    from_height = ~np.isfinite(el) & np.isfinite(p["height_m"])
    el[from_height] = [elevation_from_height_deg(r, h) for r, h in
                       zip(p["range_m"][from_height], p["height_m"][from_height], strict=True)]  # fmt: skip
    no_el = ~np.isfinite(el)
    if no_el.any():
        problems.append(f"{path}: {int(no_el.sum())} plot(s) with no elevation (no I048/110 "
                        "height, no gbad SP field): not placed")  # fmt: skip
    keep = (radar_id != None) & ~no_el  # noqa: E711 - an object array's None
    t = p["tod_s"][keep]
    # A day's wrap: a time of day that falls back by more than half a day is the next day.
    back = np.diff(t, prepend=t[:1]) < -43200.0
    t = t + 86400.0 * np.cumsum(back)
    exact = np.isfinite(p["t_s"][keep])  # gbad's own SP field: the time to the µs
    t[exact] = p["t_s"][keep][exact]
    cols = {
        "t_s": t,
        "radar_id": radar_id[keep],
        "range_m": p["range_m"][keep],
        "az_deg": p["az_deg"][keep] % 360.0,
        "el_deg": el[keep],
        "range_rate_mps": p["range_rate_mps"][keep],
        "dwell_track_id": p["dwell_track_id"][keep],
    }
    snr = p["snr_db"][keep]
    if np.all(np.isfinite(snr)):
        cols["snr_db"] = snr
    cols.update(_honest_sigmas(loaded, cols, from_height[keep], exact))
    return cols, problems


def _honest_sigmas(loaded, cols: dict, el_from_height, exact_time) -> dict:
    """Each plot's σ: the radar's at the plot's SNR (its scenario accuracy where the
    recording gives none), with the encoding's rounding added as the variance of a
    uniform error of one step, Δ²/12: range 1/256 NM and azimuth 2⁻¹⁶ turn always; time
    of day 1/128 s, through the range rate, where gbad's SP field gave no exact time;
    elevation from a 25 ft height where it gave none. Without it a fit of fast, finely
    measured rounds would take the rounding for a trajectory that is no ballistic one.
    (A third party's plots, timed to 1/128 s, also move across the beam in that time;
    that part is not added.)"""
    import numpy as np

    from gbad.interop.asterix import FT_M, NM_M
    from gbad.runworld import radar_models
    from gbad.sensors.radar_errors import multipath_sigma_deg

    n = len(cols["t_s"])
    sig = {k: np.full(n, np.nan) for k in ("range_sigma_m", "az_sigma_deg", "el_sigma_deg",
                                           "range_rate_sigma_mps")}  # fmt: skip
    snr = cols.get("snr_db", np.full(n, np.nan))
    for radar in radar_models(loaded):
        mine = cols["radar_id"] == radar.id
        if not mine.any():
            continue
        lin = np.where(np.isfinite(snr[mine]), 10.0 ** (snr[mine] / 10.0), radar.accuracy_snr)
        for key, value in zip(sig, radar.sigmas(lin), strict=True):
            sig[key][mine] = value
        if radar.role == "weapon_locating":
            # Its low looks' multipath, as the radar's own plots claim it (nominal).
            s_mp = multipath_sigma_deg(cols["el_deg"][mine], radar.beamwidth_el_deg,
                                       radar.multipath_reflection)  # fmt: skip
            sig["el_sigma_deg"][mine] = np.hypot(sig["el_sigma_deg"][mine], s_mp)
    rr = np.where(exact_time, 0.0, np.nan_to_num(cols["range_rate_mps"]))
    sig["range_sigma_m"] = np.sqrt(sig["range_sigma_m"] ** 2 + ((NM_M / 256) ** 2
                                   + (rr / 128.0) ** 2) / 12.0)  # fmt: skip
    sig["az_sigma_deg"] = np.sqrt(sig["az_sigma_deg"] ** 2 + (360.0 / 2**16) ** 2 / 12.0)
    el_step = np.degrees(25 * FT_M / cols["range_m"])
    sig["el_sigma_deg"] = np.sqrt(sig["el_sigma_deg"] ** 2
                                  + np.where(el_from_height, el_step**2 / 12.0, 0.0))  # fmt: skip
    return sig
