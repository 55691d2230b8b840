"""ASTERIX: radar plots as CAT048 with CAT034 service messages, the air picture as CAT062
system tracks, and CAT048 recordings read back into the detection schema.

Editions: CAT048 1.31, CAT034 1.29, CAT062 1.19 (Wireshark 4.0's defaults), built and
parsed with `libasterix` (asterix-libs, generated from EUROCONTROL's specifications).
Every record says it is simulated where its category can: I048/020 SIM, I062/080 SIM.

A plot (one detection, I048):

| item | what | resolution |
|---|---|---|
| 010 | SAC, SIC of the radar (scenario key `radars.N.asterix`) | — |
| 140 | time of day: the run's ``t_s``, the simulation starting at midnight | 1/128 s |
| 020 | TYP 1 (single primary detection), SIM 1 | — |
| 040 | RHO, THETA: range and azimuth | 1/256 NM (7.2 m), 360/2¹⁶° |
| 110 | 3-D height above the antenna's level on the 4/3 earth, where within ±62 km | 25 ft |
| 120 | CAL: range rate (+ opening), where measured and within ±511 m/s | 1 m/s |
| 130 | PAM: the plot's SNR, in its dBm field, clipped to ±127 | 1 dB |
| 161 | the radar's own track number (a weapon-locating radar's dwell), modulo 4096 | — |
| SP | gbad's: time, elevation, range rate, SNR and track number (`SP_FORMAT`) | 1 µs, 1e-6°, 1 mm/s, 0.01 dB |

A reader of gbad's own recordings takes time, elevation, range rate, SNR and track
number from the SP field; of anyone else's, elevation from I048/110 and the rest from
the standard items. Range and azimuth always come from I048/040.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gbad.earth.refraction import effective_earth_radius_m

#: Nautical mile and foot, in metres.
NM_M = 1852.0
FT_M = 0.3048
DAY_S = 86400.0
#: gbad's Special Purpose field in I048: magic, version, the run's time (µs), elevation
#: (1e-6 deg), range rate (mm/s; INT32_MIN where not measured), SNR (0.01 dB), the
#: radar's track number (−1 none).
SP_FORMAT = ">4sBqiihq"
SP_MAGIC = b"GBAD"
SP_VERSION = 1
_NO_RR = -(2**31)
#: The largest |3-D height| I048/110 holds (m): 14 bits signed of 25 ft.
MAX_HEIGHT_M = (2**13 - 1) * 25 * FT_M
#: The largest |Doppler speed| I048/120 CAL holds (m/s): 10 bits signed.
MAX_CAL_MPS = 2**9 - 1
#: CAT062 service identification (I062/015).
SERVICE_ID = 1
#: A UDP payload stays under this (bytes): one Ethernet frame, no fragments.
MAX_DATAGRAM = 1400


def _specs():
    import asterix.generated as gen

    return gen.Cat_034_1_29, gen.Cat_048_1_31, gen.Cat_062_1_19


def time_of_day_s(t_s: float) -> float:
    """A run's time as ASTERIX's time of day: the simulated clock starts at midnight."""
    return float(t_s) % DAY_S


def height_above_antenna_m(range_m: float, el_deg: float) -> float:
    """A target's height over the antenna's level on the 4/3 earth (I048/110's 3-D height)."""
    r_e = float(effective_earth_radius_m())
    return math.sqrt(range_m**2 + r_e**2 + 2.0 * range_m * r_e * math.sin(math.radians(el_deg))) - r_e


def elevation_from_height_deg(range_m: float, height_m: float) -> float:
    """`height_above_antenna_m` inverted: the elevation that puts a target at that height."""
    r_e = float(effective_earth_radius_m())
    s = ((r_e + height_m) ** 2 - range_m**2 - r_e**2) / (2.0 * range_m * r_e)
    return math.degrees(math.asin(max(-1.0, min(1.0, s))))


# --------------------------------------------------------------------------- encoding


def plot_record(t_s: float, range_m: float, az_deg: float, el_deg: float, range_rate_mps: float,
                snr_db: float, track_number: int, source: tuple[int, int]):  # fmt: skip
    """One detection as a CAT048 record (`libasterix`)."""
    _, cat048, _ = _specs()
    sac, sic = source
    items: dict = {
        "010": (("SAC", sac), ("SIC", sic)),
        "140": (time_of_day_s(t_s), "s"),
        "020": ((("TYP", 1), ("SIM", 1), ("RDP", 0), ("SPI", 0), ("RAB", 0), None),),
        "040": (("RHO", (range_m / NM_M, "NM")), ("THETA", (az_deg % 360.0, "°"))),
        "130": {"PAM": (float(np.clip(round(snr_db), -127, 127)), "dBm")},
    }
    h = height_above_antenna_m(range_m, el_deg)
    if abs(h) <= MAX_HEIGHT_M:
        items["110"] = (0, ("3DH", (h / FT_M, "ft")))
    rr_known = math.isfinite(range_rate_mps)
    if rr_known and abs(range_rate_mps) <= MAX_CAL_MPS:
        items["120"] = {"CAL": (("D", 0), 0, ("CAL", (float(round(range_rate_mps)), "m/s")))}
    if track_number >= 0:
        items["161"] = (0, ("TRN", int(track_number) % 4096))
    rr_mm = round(float(range_rate_mps) * 1000.0) if rr_known else _NO_RR
    items["SP"] = struct.pack(
        SP_FORMAT, SP_MAGIC, SP_VERSION, round(float(t_s) * 1e6), round(float(el_deg) * 1e6),
        max(min(rr_mm, 2**31 - 1), -(2**31) + 1) if rr_known else _NO_RR,
        int(np.clip(round(snr_db * 100.0), -32768, 32767)), int(track_number),
    )  # fmt: skip
    return cat048.cv_record.create(items)


def service_record(kind: str, t_s: float, source: tuple[int, int], azimuth_deg: float = 0.0,
                   period_s: float | None = None):  # fmt: skip
    """A CAT034 north marker (``kind`` "north") or sector crossing ("sector")."""
    cat034, _, _ = _specs()
    sac, sic = source
    items: dict = {
        "000": 1 if kind == "north" else 2,
        "010": (("SAC", sac), ("SIC", sic)),
        "030": (time_of_day_s(t_s), "s"),
    }
    if kind == "sector":
        items["020"] = (azimuth_deg % 360.0, "°")
    elif period_s is not None:
        items["041"] = (float(period_s), "s")
    return cat034.cv_record.create(items)


def track_record(t_s: float, track_number: int, confirmed: bool, east_m: float, north_m: float,
                 lat_deg: float, lon_deg: float, alt_m: float, v_east_mps: float,
                 v_north_mps: float, source: tuple[int, int]):  # fmt: skip
    """One system track update as a CAT062 record: position in the system's Cartesian
    frame (east, north of the scenario's origin) and in WGS 84, velocity, geometric
    altitude, status with the simulated bit."""
    _, _, cat062 = _specs()
    sac, sic = source
    return cat062.cv_record.create({
        "010": (("SAC", sac), ("SIC", sic)),
        "015": SERVICE_ID,
        "070": (time_of_day_s(t_s), "s"),
        "105": (("LAT", (lat_deg, "°")), ("LON", (lon_deg, "°"))),
        "100": (("X", (east_m, "m")), ("Y", (north_m, "m"))),
        "185": (("VX", (v_east_mps, "m/s")), ("VY", (v_north_mps, "m/s"))),
        "040": int(track_number) % 65536,
        "080": ((("MON", 0), ("SPI", 0), ("MRH", 0), ("SRC", 0), ("CNF", 0 if confirmed else 1),
                 None),
                (("SIM", 1), ("TSE", 0), ("TSB", 0), ("FPC", 0), ("AFF", 0), ("STP", 0),
                 ("KOS", 0), None)),
        "130": (alt_m / FT_M, "ft"),
    })  # fmt: skip


def datagrams(records: Iterable, category: str, limit: int = MAX_DATAGRAM) -> Iterator[bytes]:
    """Records of one category packed into datablocks of at most ``limit`` bytes each
    (one datablock a datagram)."""
    cat034, cat048, cat062 = _specs()
    spec = {"034": cat034, "048": cat048, "062": cat062}[category]
    batch: list = []
    size = 3
    for rec in records:
        n = len(rec.unparse().to_bytes())
        if batch and size + n > limit:
            yield spec.create(batch).unparse().to_bytes()
            batch, size = [], 3
        batch.append(rec)
        size += n
    if batch:
        yield spec.create(batch).unparse().to_bytes()


# --------------------------------------------------------------------------- decoding


@dataclass
class Decoded:
    """Plots read from ASTERIX: detection columns, each plot's (SAC, SIC), and what could
    not be read, one line per bad or unknown record (where it is, what is wrong)."""

    columns: dict[str, list] = field(default_factory=lambda: {k: [] for k in PLOT_COLUMNS})
    problems: list[str] = field(default_factory=list)
    skipped_categories: dict[int, int] = field(default_factory=dict)
    service_messages: int = 0
    system_tracks: int = 0


PLOT_COLUMNS = ("sac", "sic", "tod_s", "t_s", "range_m", "az_deg", "el_deg", "height_m",
                "range_rate_mps", "snr_db", "dwell_track_id")  # fmt: skip


def decode(data: bytes, where: str, out: Decoded) -> None:
    """Read one datagram (or a stretch of a raw recording) into ``out``: CAT048 plots as
    columns, CAT034 and CAT062 counted, other categories counted by category; a
    malformed datablock or record is one line in ``out.problems`` (``where`` says which
    packet), never an exception."""
    from asterix.base import Bits, RawDatablock

    cat034, cat048, cat062 = _specs()
    offset = 0
    while offset < len(data):
        head = data[offset : offset + 3]
        if len(head) < 3:
            out.problems.append(f"{where}, byte {offset}: {len(head)} stray bytes, not a datablock")
            return
        cat, length = head[0], int.from_bytes(head[1:3], "big")
        if length < 3 or offset + length > len(data):
            out.problems.append(
                f"{where}, byte {offset}: datablock of category {cat} declares {length} bytes, "
                f"{len(data) - offset} remain"
            )
            return
        block = data[offset : offset + length]
        here = f"{where}, byte {offset} (CAT{cat:03d})"
        offset += length
        spec = {34: cat034, 48: cat048, 62: cat062}.get(cat)
        if spec is None:
            out.skipped_categories[cat] = out.skipped_categories.get(cat, 0) + 1
            continue
        try:
            # The parser returns its ValueErrors, and asserts on some hostile bytes.
            raw = RawDatablock.parse(Bits.from_bytes(block))
            if isinstance(raw, ValueError):
                raise raw
            records = spec.cv_uap.parse(raw[0].get_raw_records())
            if isinstance(records, ValueError):
                raise records
        except Exception as exc:
            why = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            out.problems.append(f"{here}: records do not parse ({why})")
            continue
        if cat == 34:
            out.service_messages += len(records)
        elif cat == 62:
            out.system_tracks += len(records)
        else:
            for k, rec in enumerate(records):
                problem = _plot(rec, out.columns)
                if problem:
                    out.problems.append(f"{here}, record {k + 1}: {problem}")


def _plot(rec, cols: Mapping[str, list]) -> str | None:
    """One CAT048 record's plot appended to ``cols``; or why it is no plot."""
    try:
        i010, i140, i040 = rec.get_item("010"), rec.get_item("140"), rec.get_item("040")
        missing = [n for n, i in (("010", i010), ("140", i140), ("040", i040)) if i is None]
        if missing:
            return f"no I048/{', I048/'.join(missing)}: not a plot gbad can place"
        sac = i010.variation.get_item("SAC").variation.content.as_uint()
        sic = i010.variation.get_item("SIC").variation.content.as_uint()
        tod = i140.variation.content.as_quantity("s")
        rng = i040.variation.get_item("RHO").variation.content.as_quantity("NM") * NM_M
        az = i040.variation.get_item("THETA").variation.content.as_quantity("°")
        height = el = rr = snr = t_run = math.nan
        track = -1
        i110 = rec.get_item("110")
        if i110 is not None:
            height = i110.variation.get_item("3DH").variation.content.as_quantity("ft") * FT_M
        i120 = rec.get_item("120")
        cal = i120.variation.get_item("CAL") if i120 is not None else None
        if cal is not None:
            rr = cal.variation.get_item("CAL").variation.content.as_quantity("m/s")
        i130 = rec.get_item("130")
        pam = i130.variation.get_item("PAM") if i130 is not None else None
        if pam is not None:
            snr = pam.variation.content.as_quantity("dBm")
        i161 = rec.get_item("161")
        if i161 is not None:
            track = i161.variation.get_item("TRN").variation.content.as_uint()
        sp = rec.get_item("SP")
        if sp is not None:
            own = _gbad_sp(sp.variation.get_bytes())
            if own is not None:
                t_run, el, rr, snr, track = own
    except Exception as exc:  # a record that parsed but holds nonsense
        return f"unreadable plot ({type(exc).__name__}: {exc})"
    if rng <= 0.0:
        return "a plot at range 0"
    values = (sac, sic, tod, t_run, rng, az, el, height, rr, snr, track)
    for key, value in zip(PLOT_COLUMNS, values, strict=True):
        cols[key].append(value)
    return None


def _gbad_sp(payload: bytes) -> tuple[float, float, float, float, int] | None:
    """gbad's SP field: (the run's time s, elevation deg, range rate m/s or NaN, SNR dB,
    track number)."""
    if len(payload) != struct.calcsize(SP_FORMAT) or not payload.startswith(SP_MAGIC):
        return None
    _, version, t_us, el, rr, snr, track = struct.unpack(SP_FORMAT, payload)
    if version != SP_VERSION:
        return None
    rr_mps = math.nan if rr == _NO_RR else rr / 1000.0
    return t_us * 1e-6, el * 1e-6, rr_mps, snr / 100.0, track


def plot_arrays(decoded: Decoded) -> dict[str, NDArray]:
    """The decoded plots' columns as arrays."""
    ints = ("sac", "sic", "dwell_track_id")
    return {k: np.asarray(v, dtype=np.int64 if k in ints else float)
            for k, v in decoded.columns.items()}  # fmt: skip
