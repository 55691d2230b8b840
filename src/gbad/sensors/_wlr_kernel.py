"""The weapon-locating radar's frame loop, compiled, for flat ground.

`gbad.sensors.weapon_locating` holds the model and its reference loop in Python; this
is the same loop, frame by frame, with the same random draws from the same generator in
the same order (Numba's `numpy.random.Generator` methods draw what NumPy's do, checked
in tests/test_radar.py), and the geometry of each look (the truth's cubic Hermite state,
the radar's azimuth, elevation, range and range rate, its coverage, and the line of
sight over a flat ground's 4/3-earth horizon) written out per look with the arithmetic
of the array code. Transcendental functions come from the C library here and from
NumPy's own loops there, which can round apart in the last bit: detections agree to
about 1e-12 relative (docs/performance.md).

The false alarms' SNR needs an inverse incomplete gamma function, which Numba lacks:
the loop keeps each one's uniform draw, and the caller turns it into the SNR.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from gbad.earth.wgs84 import WGS84_A_M, WGS84_B_M, WGS84_E2, WGS84_EP2, WGS84_F
from gbad.world._ballistic_kernel import _hermite

_DEG = 180.0 / math.pi
_RAD = math.pi / 180.0

# Radar parameters, packed in one float array (`RADAR_*` index it).
R_AZ_MIN, R_AZ_WIDTH, R_EL_MIN, R_EL_MAX, R_RANGE_MIN, R_RANGE_MAX = 0, 1, 2, 3, 4, 5
R_ALT, R_RADIUS, R_GROUND, R_SNR_CONSTANT = 6, 7, 8, 9
N_RADAR = 10


@njit(cache=True, error_model="numpy")
def _hermite_at(t0, p0, v0, t1, p1, v1, t, pos, vel):
    """`gbad.world.truth.hermite` for one state at time ``t``, into ``pos``, ``vel``."""
    _hermite(p0, v0, p1, v1, t1 - t0, (t - t0) / (t1 - t0), pos, vel)


@njit(cache=True, error_model="numpy")
def _state_at(o, t, tg, pos_g, vel_g, fine_n, fine_first, fine_last, fine_t, fine_pos,
              fine_vel, t_start, t_end, pos, vel):  # fmt: skip
    """`Truth.state_at` for object ``o`` at ``t``: into ``pos``, ``vel``; returns alive."""
    n_grid = tg.shape[0]
    dt = tg[1] - tg[0]
    k = math.floor((t - tg[0]) / dt)
    k = min(max(k, 0), n_grid - 2)
    _hermite_at(tg[k], pos_g[o, k], vel_g[o, k], tg[k + 1], pos_g[o, k + 1], vel_g[o, k + 1], t,
                pos, vel)  # fmt: skip
    n = fine_n[o]
    if n >= 2 and t >= fine_first[o] and t <= fine_last[o]:
        below = 0
        for j in range(fine_t.shape[1]):
            if fine_t[o, j] <= t:
                below += 1
        kk = min(max(below - 1, 0), n - 2)
        _hermite_at(fine_t[o, kk], fine_pos[o, kk], fine_vel[o, kk], fine_t[o, kk + 1],
                    fine_pos[o, kk + 1], fine_vel[o, kk + 1], t, pos, vel)  # fmt: skip
    return t >= t_start[o] and t <= t_end[o]


@njit(cache=True, error_model="numpy")
def _flat_visible(x, y, z, rp, foot_o):
    """`gbad.earth.terrain.line_of_sight` over a flat ground for one target (ECEF)."""
    # ecef2geodetic: Bowring's parametric latitude, three passes.
    lon = math.atan2(y, x)
    p = math.hypot(x, y)
    beta = math.atan2(z * WGS84_A_M, p * WGS84_B_M)
    lat = beta
    for _ in range(3):
        lat = math.atan2(
            z + WGS84_EP2 * WGS84_B_M * math.sin(beta) ** 3.0,
            p - WGS84_E2 * WGS84_A_M * math.cos(beta) ** 3.0,
        )
        beta = math.atan2((1.0 - WGS84_F) * math.sin(lat), math.cos(lat))
    sin_lat = math.sin(lat)
    cos_lat = math.cos(lat)
    n = WGS84_A_M / math.sqrt(1.0 - WGS84_E2 * (sin_lat * sin_lat))
    talt = p * cos_lat + z * sin_lat - WGS84_A_M**2 / n
    # The target's foot on the ellipsoid (geodetic2ecef of its degrees at height 0).
    lat_r = (lat * _DEG) * _RAD
    lon_r = (lon * _DEG) * _RAD
    sl = math.sin(lat_r)
    cl = math.cos(lat_r)
    nf = WGS84_A_M / math.sqrt(1.0 - WGS84_E2 * (sl * sl))
    fx = (nf + 0.0) * cl * math.cos(lon_r)
    fy = (nf + 0.0) * cl * math.sin(lon_r)
    fz = (nf * (1.0 - WGS84_E2) + 0.0) * sl
    cx, cy, cz = fx - foot_o[0], fy - foot_o[1], fz - foot_o[2]
    chord = math.sqrt(cx * cx + cy * cy + cz * cz)
    # The path's radius of curvature at its midpoint (Euler), one Bowring step.
    mx, my, mz = foot_o[0] + 0.5 * cx, foot_o[1] + 0.5 * cy, foot_o[2] + 0.5 * cz
    mp = math.hypot(mx, my)
    za = mz * WGS84_A_M
    pb = mp * WGS84_B_M
    hyp = math.hypot(za, pb)
    sin_b = za / hyp
    cos_b = pb / hyp
    mlat = math.atan2(mz + WGS84_EP2 * WGS84_B_M * sin_b**3.0, mp - WGS84_E2 * WGS84_A_M * cos_b**3.0)
    mlat_r = (mlat * _DEG) * _RAD
    mlon_r = (math.atan2(my, mx) * _DEG) * _RAD
    s_l, c_l = math.sin(mlat_r), math.cos(mlat_r)
    s_o, c_o = math.sin(mlon_r), math.cos(mlon_r)
    east = -s_o * cx + c_o * cy
    north = -s_l * c_o * cx - s_l * s_o * cy + c_l * cz
    w2 = 1.0 - WGS84_E2 * s_l * s_l
    n_radius = WGS84_A_M / math.sqrt(w2)
    m_radius = n_radius * (1.0 - WGS84_E2) / w2
    horiz2 = east * east + north * north
    cos2 = north * north / horiz2 if horiz2 > 0.0 else 1.0
    rho = 1.0 / (cos2 / m_radius + (1.0 - cos2) / n_radius)
    psi = 2.0 * math.asin(min(chord / (2.0 * rho), 1.0))
    radius = rp[R_RADIUS]
    theta = rho * psi / radius
    oalt = rp[R_ALT]
    r_o = radius + oalt
    r_t = radius + talt
    dx = r_t * math.sin(theta)
    half = math.sin(0.5 * theta)
    dy = (talt - oalt) - 2.0 * r_t * (half * half)
    norm2 = dx * dx + dy * dy
    s = -r_o * dy / norm2 if norm2 > 0.0 else 0.0
    s = min(max(s, 0.0), 1.0)
    phi = math.atan2(s * dx, r_o + s * dy)
    if theta > 0.0:
        ray = r_o * r_t * math.sin(theta) / (r_t * math.sin(theta - phi) + r_o * math.sin(phi))
        ray -= radius
    else:
        ray = max(oalt, talt)
    return rp[R_GROUND] <= ray and rp[R_GROUND] <= talt


@njit(cache=True, error_model="numpy")
def _look(o, t, rp, ecef, rot, foot_o, truth, out):
    """`looks_at` for one look: ``out`` = (az, el, range, range rate); returns (seen,
    alive)."""
    tg, pos_g, vel_g, fine_n, fine_first, fine_last, fine_t, fine_pos, fine_vel, t0s, t1s = truth
    pos = np.empty(3)
    vel = np.empty(3)
    alive = _state_at(o, t, tg, pos_g, vel_g, fine_n, fine_first, fine_last, fine_t, fine_pos,
                      fine_vel, t0s, t1s, pos, vel)  # fmt: skip
    r0, r1, r2 = pos[0] - ecef[0], pos[1] - ecef[1], pos[2] - ecef[2]
    e = r0 * rot[0, 0] + r1 * rot[0, 1] + r2 * rot[0, 2]
    n = r0 * rot[1, 0] + r1 * rot[1, 1] + r2 * rot[1, 2]
    u = r0 * rot[2, 0] + r1 * rot[2, 1] + r2 * rot[2, 2]
    rng = math.sqrt(e * e + n * n + u * u)
    az = (math.atan2(e, n) * _DEG) % 360.0
    el = math.atan2(u, math.hypot(e, n)) * _DEG
    out[0], out[1], out[2] = az, el, rng
    out[3] = (r0 * vel[0] + r1 * vel[1] + r2 * vel[2]) / max(rng, 1e-9)
    seen = (
        alive
        and (az - rp[R_AZ_MIN]) % 360.0 <= rp[R_AZ_WIDTH]
        and rp[R_EL_MIN] <= el <= rp[R_EL_MAX]
        and rp[R_RANGE_MIN] <= rng <= rp[R_RANGE_MAX]
    )
    if seen:
        seen = _flat_visible(pos[0], pos[1], pos[2], rp, foot_o)
    return seen, alive


@njit(cache=True)
def _grow(a, need):
    """``a`` (1-D) with room for ``need`` items: itself, or a copy twice as long.
    (Element by element: Numba's slice assignment takes seconds more to compile.)"""
    if need <= a.shape[0]:
        return a
    out = np.empty(max(need, 2 * a.shape[0]), dtype=a.dtype)
    for i in range(a.shape[0]):
        out[i] = a[i]
    return out


@njit(cache=True)
def _grow_rows(a, need):
    """`_grow` for an (N, 4) array."""
    if need <= a.shape[0]:
        return a
    out = np.empty((max(need, 2 * a.shape[0]), 4))
    for i in range(a.shape[0]):
        for c in range(4):
            out[i, c] = a[i, c]
    return out


@njit(cache=True)
def _grow_out(out, need):
    """The detected looks' columns (t, object, geometry, SNR, noise, track number, false
    alarm) with room for ``need``."""
    t, obj, geo, snr, noise, ident, fa = out
    return (_grow(t, need), _grow(obj, need), _grow_rows(geo, need), _grow(snr, need),
            _grow_rows(noise, need), _grow(ident, need), _grow(fa, need))  # fmt: skip


@njit(cache=True)
def _grow_tracks(tracks, need):
    """The radar's open tracks' columns (object, start, last served, hits, misses, track
    number) with room for ``need``."""
    obj, start, last, hits, miss, ident = tracks
    return (_grow(obj, need), _grow(start, need), _grow(last, need), _grow(hits, need),
            _grow(miss, need), _grow(ident, need))  # fmt: skip


@njit(cache=True, error_model="numpy")
def _draw(rng, snr, n_pulses, shape_k, threshold):
    """`_draw_looks` into fresh arrays: (detected, integrated SNR, how many detected)."""
    det = np.empty(snr.shape[0], np.bool_)
    energy = np.empty(snr.shape[0])
    _draw_looks(rng, snr, n_pulses, shape_k, threshold, det, energy)
    n_det = 0
    for j in range(snr.shape[0]):
        n_det += det[j]
    return det, energy, n_det


@njit(cache=True, error_model="numpy")
def _draw_looks(rng, snr, n_pulses, shape_k, threshold, detected, energy):
    """`gbad.sensors.detection._draw` on ``snr`` (n,): the energy factors, then the
    Poisson counts, then the statistics, each for every look in turn."""
    n = snr.shape[0]
    y = np.ones(n)
    if shape_k > 0.0:
        for i in range(n):
            y[i] = rng.gamma(shape_k, 1.0 / shape_k)
    hits = np.empty(n)
    for i in range(n):
        energy[i] = n_pulses * snr[i] * y[i]
        hits[i] = rng.poisson(min(energy[i], 1e15))
    for i in range(n):
        detected[i] = rng.gamma(n_pulses + hits[i]) > threshold


@njit(cache=True, error_model="numpy")
def wlr_loop(rng, rp, ecef, rot, foot_o, truth, rcs, fence_ptr, fence_obj, fence_col, fence_row,
             fence_base, cfg, draw):  # fmt: skip
    """The frame loop of `simulate_weapon_locating` over flat ground.

    ``cfg``: frame_s, track_dwell_s, search_dwell_s, track_time_s, fence_height_deg,
    cells_per_beam, pfa, beamwidth_az_deg, beamwidth_el_deg, track_cap, drop_misses,
    n_az, n_beams, n_frames, rr_nan (1.0 when the radar measures no range rate).
    ``draw``: (track pulses, track Swerling shape or 0, track threshold, fence pulses,
    fence shape, fence threshold). Returns the looks detected, in the order drawn (t,
    object or −1, az, el, range, range rate, SNR or a false alarm's uniform draw, its
    noise (4), its radar track number, whether a false alarm), their count, and the
    occupancy per frame (track share, open tracks, fence revisit).
    """
    frame_s, dwell_s, search_s, track_time_s, fence_h = cfg[0], cfg[1], cfg[2], cfg[3], cfg[4]
    cells_per_beam, pfa, bw_az, bw_el = cfg[5], cfg[6], cfg[7], cfg[8]
    track_cap, drop_misses, n_az = int(cfg[9]), int(cfg[10]), int(cfg[11])
    n_beams, n_frames, rr_nan = int(cfg[12]), int(cfg[13]), cfg[14] > 0.0
    tp, tk, tthr, fp, fk, fthr = draw[0], draw[1], draw[2], draw[3], draw[4], draw[5]

    cap = 1024
    o_t = np.empty(cap)
    o_obj = np.empty(cap, np.int64)
    o_geo = np.empty((cap, 4))  # az, el, range, range rate
    o_snr = np.empty(cap)
    o_noise = np.empty((cap, 4))
    o_ident = np.empty(cap, np.int64)
    o_fa = np.empty(cap, np.bool_)
    n_out = 0

    tc = 64
    tr_obj = np.empty(tc, np.int64)
    tr_start = np.empty(tc)
    tr_last = np.empty(tc)
    tr_hits = np.empty(tc, np.int64)
    tr_miss = np.empty(tc, np.int64)
    tr_ident = np.empty(tc, np.int64)
    n_tr = 0

    occ_track = np.zeros(n_frames)
    occ_open = np.zeros(n_frames)
    occ_fence = np.zeros(n_frames)
    next_id = 0
    beam = 0
    geo = np.empty(4)

    for f in range(n_frames):
        t0 = f * frame_s
        n_served = 0
        if n_tr:
            # The longest-waiting tracks first (np.lexsort((start, last_served)): stable).
            order = np.arange(n_tr)
            for i in range(1, n_tr):
                j = i
                while j > 0:
                    a, b = order[j - 1], order[j]
                    later = tr_last[a] > tr_last[b] or (
                        tr_last[a] == tr_last[b] and tr_start[a] > tr_start[b]
                    )
                    if not later:
                        break
                    order[j - 1], order[j] = b, a
                    j -= 1
            n_served = min(n_tr, track_cap)
            t_dw = np.empty(n_served)
            hit = np.zeros(n_served, np.bool_)
            gone = np.zeros(n_served, np.bool_)
            look_geo = np.empty((n_served, 4))
            idx = np.empty(n_served, np.int64)
            snr = np.empty(n_served)
            n_look = 0
            for i in range(n_served):
                t_dw[i] = t0 + (i + 0.5) * dwell_s
                o = tr_obj[order[i]]
                if o < 0:
                    gone[i] = True
                    continue
                seen, alive = _look(o, t_dw[i], rp, ecef, rot, foot_o, truth, geo)
                gone[i] = not alive
                if seen:
                    for c in range(4):
                        look_geo[n_look, c] = geo[c]
                    idx[n_look] = i
                    snr[n_look] = rp[R_SNR_CONSTANT] * rcs[o] / geo[2] ** 4.0
                    n_look += 1
            if n_look:
                det, energy, n_det = _draw(rng, snr[:n_look], tp, tk, tthr)
                o_t, o_obj, o_geo, o_snr, o_noise, o_ident, o_fa = _grow_out(
                    (o_t, o_obj, o_geo, o_snr, o_noise, o_ident, o_fa), n_out + n_det
                )
                first = n_out
                for j in range(n_look):
                    if det[j]:
                        i = idx[j]
                        hit[i] = True
                        o_t[n_out] = t_dw[i]
                        o_obj[n_out] = tr_obj[order[i]]
                        for c in range(4):
                            o_geo[n_out, c] = look_geo[j, c]
                        o_snr[n_out] = energy[j]
                        o_ident[n_out] = tr_ident[order[i]]
                        o_fa[n_out] = False
                        n_out += 1
                for k in range(first, n_out):
                    for c in range(4):
                        o_noise[k, c] = rng.standard_normal()
            keep = np.ones(n_tr, np.bool_)
            for i in range(n_served):
                s = order[i]
                tr_last[s] = t_dw[i]
                tr_hits[s] += hit[i]
                tr_miss[s] = 0 if hit[i] else tr_miss[s] + 1
                limit = 1 if tr_hits[s] < 2 else drop_misses
                keep[s] = not (gone[i] or tr_miss[s] >= limit)
            m = 0
            for s in range(n_tr):
                if keep[s] and not (t0 + frame_s - tr_start[s] >= track_time_s):
                    tr_obj[m], tr_start[m], tr_last[m] = tr_obj[s], tr_start[s], tr_last[s]
                    tr_hits[m], tr_miss[m], tr_ident[m] = tr_hits[s], tr_miss[s], tr_ident[s]
                    m += 1
            n_tr = m
        occ_track[f] = n_served * dwell_s / frame_s
        occ_open[f] = n_tr

        # -- fence: the remaining slots, beam after beam -------------------------------
        free_s = frame_s - n_served * dwell_s
        n_fence = int(free_s / search_s)
        occ_fence[f] = n_beams * search_s * frame_s / max(free_s, 1e-12)
        if n_fence == 0:
            continue
        t_fence0 = t0 + n_served * dwell_s
        lo, hi = fence_ptr[f], fence_ptr[f + 1]
        if hi > lo:
            cand = np.empty(hi - lo, np.int64)
            t_look = np.empty(hi - lo)
            base = np.empty(hi - lo)
            n_c = 0
            for q in range(lo, hi):
                steps = (fence_row[q] * n_az + fence_col[q] - beam) % n_beams
                if steps >= n_fence:
                    continue
                o = fence_obj[q]
                tracked = False
                for s in range(n_tr):
                    if tr_obj[s] == o:
                        tracked = True
                        break
                if tracked:
                    continue
                cand[n_c] = o
                t_look[n_c] = t_fence0 + (steps + 0.5) * search_s
                base[n_c] = fence_base[fence_col[q]]
                n_c += 1
            if n_c:
                look_geo = np.empty((n_c, 4))
                idx = np.empty(n_c, np.int64)
                snr = np.empty(n_c)
                n_look = 0
                for c in range(n_c):
                    seen, _ = _look(cand[c], t_look[c], rp, ecef, rot, foot_o, truth, geo)
                    if seen and geo[1] >= base[c] and geo[1] < base[c] + fence_h:
                        for g in range(4):
                            look_geo[n_look, g] = geo[g]
                        idx[n_look] = c
                        snr[n_look] = rp[R_SNR_CONSTANT] * rcs[cand[c]] / geo[2] ** 4.0
                        n_look += 1
                if n_look:
                    det, energy, n_det = _draw(rng, snr[:n_look], fp, fk, fthr)
                    o_t, o_obj, o_geo, o_snr, o_noise, o_ident, o_fa = _grow_out(
                        (o_t, o_obj, o_geo, o_snr, o_noise, o_ident, o_fa), n_out + n_det
                    )
                    tr_obj, tr_start, tr_last, tr_hits, tr_miss, tr_ident = _grow_tracks(
                        (tr_obj, tr_start, tr_last, tr_hits, tr_miss, tr_ident), n_tr + n_det
                    )
                    first = n_out
                    for j in range(n_look):
                        if det[j]:
                            c = idx[j]
                            o_t[n_out] = t_look[c]
                            o_obj[n_out] = cand[c]
                            for g in range(4):
                                o_geo[n_out, g] = look_geo[j, g]
                            o_snr[n_out] = energy[j]
                            o_ident[n_out] = next_id
                            o_fa[n_out] = False
                            tr_obj[n_tr], tr_start[n_tr], tr_last[n_tr] = cand[c], t_look[c], t_look[c]
                            tr_hits[n_tr], tr_miss[n_tr], tr_ident[n_tr] = 1, 0, next_id
                            n_tr += 1
                            next_id += 1
                            n_out += 1
                    for k in range(first, n_out):
                        for c in range(4):
                            o_noise[k, c] = rng.standard_normal()
        # False alarms in the beams visited this frame: each opens a track that dies.
        n_fa = rng.poisson(pfa * cells_per_beam * n_fence)
        if n_fa:
            o_t, o_obj, o_geo, o_snr, o_noise, o_ident, o_fa = _grow_out(
                (o_t, o_obj, o_geo, o_snr, o_noise, o_ident, o_fa), n_out + n_fa
            )
            tr_obj, tr_start, tr_last, tr_hits, tr_miss, tr_ident = _grow_tracks(
                (tr_obj, tr_start, tr_last, tr_hits, tr_miss, tr_ident), n_tr + n_fa
            )
            steps_fa = np.empty(n_fa, np.int64)
            for k in range(n_fa):
                steps_fa[k] = rng.integers(0, n_fence)
            b_fa = np.empty(n_fa, np.int64)
            for k in range(n_fa):
                b_fa[k] = (beam + steps_fa[k]) % n_beams
                col = b_fa[k] % n_az
                o_geo[n_out + k, 0] = (rp[R_AZ_MIN] + (col + rng.random()) * bw_az) % 360.0
            for k in range(n_fa):
                row, col = b_fa[k] // n_az, b_fa[k] % n_az
                o_geo[n_out + k, 1] = fence_base[col] + (row + rng.random()) * bw_el
            span = rp[R_RANGE_MAX] - rp[R_RANGE_MIN]
            for k in range(n_fa):
                o_geo[n_out + k, 2] = rp[R_RANGE_MIN] + span * rng.random()
            for k in range(n_fa):
                o_snr[n_out + k] = 1.0 - rng.random()  # the caller's false-alarm SNR
            for k in range(n_fa):
                rr = 1000.0 * (2 * rng.random() - 1)
                o_geo[n_out + k, 3] = np.nan if rr_nan else rr
            for k in range(n_fa):
                t_fa = t_fence0 + (steps_fa[k] + 0.5) * search_s
                o_t[n_out + k] = t_fa
                o_obj[n_out + k] = -1
                o_ident[n_out + k] = next_id + k
                o_fa[n_out + k] = True
                for c in range(4):
                    o_noise[n_out + k, c] = rng.standard_normal()
                tr_obj[n_tr], tr_start[n_tr], tr_last[n_tr] = -1, t_fa, t_fa
                tr_hits[n_tr], tr_miss[n_tr], tr_ident[n_tr] = 1, 0, next_id + k
                n_tr += 1
            next_id += n_fa
            n_out += n_fa
        beam = (beam + n_fence) % n_beams
    return (o_t[:n_out], o_obj[:n_out], o_geo[:n_out], o_snr[:n_out], o_noise[:n_out],
            o_ident[:n_out], o_fa[:n_out], occ_track, occ_open, occ_fence)  # fmt: skip
