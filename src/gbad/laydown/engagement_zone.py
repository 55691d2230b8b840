"""`engagement`: the share of threat paths that cross a battery's engagement zone before
they reach an asset.

A threat's path is its nominal flight (the scenario's truth in calm standard air,
`gbad.world.build.build_truth`), sampled every `PATH_STEP_S` from its start until it
first comes within an asset's circle (to the scenario's end where it never does). Only what a
battery engages counts: aircraft, cruise missiles, drones and ballistic missiles, and
shells, mortar bombs and rockets where some battery has ``engage_rounds``. A sample is
in the engagement zone when the air picture sees it — some surveillance or
multifunction radar of the laydown (`objectives.seen`: in coverage, in sight,
single-look Pd ≥ 0.5 at the threat's RCS), since a battery fights from the fused
picture (docs/engagement.md) — and some launcher can reach it (slant range within its
interceptor's [min, max] range, height above the ground at most its ceiling: the
kinematic envelope, not the time line):

    engagement = (1/P) Σ_p max_{s ∈ p} [max_i seen_i(s) · max_l reach_l(s)]

over every radar and launcher, placed or staying. Where the placed items move radars
alone, launchers alone, or one item both (a battery whole), a site's value is a
covering of the paths and the choice is exact (`solve.mclp`); where one item moves a
radar and another a launcher, the value is the product of two choices, searched by a
genetic algorithm (`solve.pareto`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gbad.laydown.objectives import geometry, mast_height_m, seen, site_radar
from gbad.laydown.zones import Item
from gbad.scenario.loader import LoadedScenario

#: Time step (s) at which a threat's path is sampled.
PATH_STEP_S = 1.0
#: Among laydowns that engage the same share of paths, the one whose zone holds the
#: threats longer is preferred: the time in the zone (every `DEPTH_EVERY`-th sample) is
#: weighed in at most this much of one path, so it breaks ties and nothing more.
DEPTH_SHARE = 1e-3
DEPTH_EVERY = 5

Bool = NDArray[np.bool_]


@dataclass
class Paths:
    """Samples of every engageable threat's path, path after path (``start`` (P+1,)
    bounds each), with their geodetic and ECEF positions, ground height and RCS."""

    start: NDArray[np.int64]
    names: list[str]
    lat: NDArray
    lon: NDArray
    alt: NDArray
    ground_m: NDArray
    rcs_m2: NDArray
    ecef: NDArray  # (S, 3)

    def per_path(self, samples: Bool) -> Bool:
        """(..., P): whether any of each path's samples is set in ``samples`` (..., S)."""
        return np.logical_or.reduceat(samples, self.start[:-1], axis=-1)


def threat_paths(loaded: LoadedScenario) -> Paths:
    """The engageable threats' nominal paths, each up to its first entry into an asset."""
    from gbad.earth.wgs84 import ecef2enu, ecef2geodetic
    from gbad.runworld import make_ground
    from gbad.scenario.schema import BALLISTIC_KINDS
    from gbad.world.build import build_truth

    model = loaded.model
    rounds = any(b.engage_rounds for b in model.batteries)
    skip = set() if rounds else set(BALLISTIC_KINDS) - {"ballistic_missile"}
    ground = make_ground(loaded)
    # The nominal world (calm standard air, nominal rounds); seed 0 for the rounds' aim.
    truth = build_truth(model, np.random.default_rng(0), ground)
    o = model.scenario.origin
    assets = [(*a.position.to_local(o)[:2], a.radius_m) for a in model.assets]
    pieces, rcs, names = [], [], []
    for i, kind in enumerate(truth.kind):
        if kind in skip:
            continue
        # The truth's grid ends with the scenario; a route may run on past it.
        t_end = min(truth.t_end_s[i], truth.t_grid_s[-1])
        t = np.arange(truth.t_start_s[i], t_end + 1e-9, PATH_STEP_S)
        pos, _, alive = truth.state_at(np.full(len(t), i), t)
        pos = pos[alive]
        e, n, _ = ecef2enu(pos[:, 0], pos[:, 1], pos[:, 2], o.lat_deg, o.lon_deg, o.alt_m)
        inside = np.zeros(len(pos), dtype=bool)
        for ae, an, r in assets:
            inside |= np.hypot(e - ae, n - an) <= r
        end = int(np.argmax(inside)) if inside.any() else len(pos)
        if end:
            pieces.append(pos[:end])
            rcs.append(np.full(end, truth.rcs_m2[i]))
            names.append(f"{truth.threat_id[i]} (object {truth.object_id[i]})")
    if not names:
        raise ValueError("the scenario has no threat a battery engages")
    ecef = np.concatenate(pieces)
    lat, lon, alt = ecef2geodetic(ecef[:, 0], ecef[:, 1], ecef[:, 2])
    h = np.nan_to_num(np.asarray(ground.height_m(lat, lon), dtype=float))
    start = np.concatenate([[0], np.cumsum([len(p) for p in pieces])])
    return Paths(start, names, lat, lon, alt, h, np.concatenate(rcs), ecef)


def reach(profile, ecef_launchers: NDArray, paths: Paths) -> Bool:
    """(L, S): which samples each launcher's interceptor reaches (its static envelope)."""
    return profile.reaches(ecef_launchers, paths.ecef, paths.alt - paths.ground_m)


def _launcher_ecef(loaded: LoadedScenario, east, north) -> NDArray:
    """Launchers standing on the ground at local (east, north), ECEF (L, 3)."""
    from gbad.earth.wgs84 import geodetic2ecef

    lat, lon, h, _, _ = geometry(loaded, east, north)
    return np.stack(geodetic2ecef(lat, lon, h), axis=-1)


class Engagement:
    """The `engagement` objective for a set of placed items and their candidate sites."""

    def __init__(self, loaded: LoadedScenario, items: list[Item], sites: list,
                 paths: Paths | None = None, tick=None) -> None:  # fmt: skip
        from gbad.engagement.battery import battery_interceptor
        from gbad.laydown.zones import all_items

        model = loaded.model
        self.paths = p = paths if paths is not None else threat_paths(loaded)
        everything = all_items(loaded)  # where what stays stands
        _, _, _, ground, radius = geometry(loaded, [0.0], [0.0])
        n_s = len(p.lat)
        # The air picture's radars (a weapon-locating radar feeds the locator, not it).
        air = [i for i, r in enumerate(model.radars) if r.role != "weapon_locating"]
        moved_radars = {it.radar: k for k, it in enumerate(items) if it.radar in air}
        moved_launchers = {ln: k for k, it in enumerate(items) for ln in it.launchers}
        self.seen_fixed = np.zeros(n_s, dtype=bool)
        self.reach_fixed = np.zeros(n_s, dtype=bool)
        self.seen_rows: dict[int, Bool] = {}  # placed item → (sites, S)
        self.reach_rows: dict[int, Bool] = {}
        for r in air:
            k = moved_radars.get(r)
            e, n = (sites[k] if k is not None
                    else tuple(np.atleast_1d(v) for v in _own(everything, "radar", r)))  # fmt: skip
            _, _, sground, _, _ = geometry(loaded, e, n)
            mast = mast_height_m(loaded, r)
            rows = []
            for j in range(len(e)):
                if tick and k is not None:
                    tick(j, len(e))
                radar = site_radar(loaded, r, e[j], n[j], sground[j], mast)
                rows.append(seen(radar, p.lat, p.lon, p.alt, ground, radius, p.rcs_m2))
            rows = np.array(rows)
            if k is None:
                self.seen_fixed |= rows[0]
            else:
                self.seen_rows[k] = self.seen_rows[k] | rows if k in self.seen_rows else rows
        for b, bat in enumerate(model.batteries):
            prof = battery_interceptor(bat)
            for ln in range(len(bat.launchers)):
                k = moved_launchers.get((b, ln))
                if k is None:
                    e, n = _own(everything, "launcher", (b, ln))
                    self.reach_fixed |= reach(prof, _launcher_ecef(loaded, [e], [n]), p)[0]
                    continue
                it = items[k]
                de, dn = it.footprint[it.launchers.index((b, ln)) + (it.kind == "battery")]
                e, n = sites[k]
                rows = reach(prof, _launcher_ecef(loaded, e + de, n + dn), p)
                self.reach_rows[k] = self.reach_rows[k] | rows if k in self.reach_rows else rows
        if not self.seen_rows and not self.reach_rows:
            raise ValueError("no placed item carries an air-picture radar or a launcher")

    def value(self, choice) -> float:
        """The share of paths engaged with each placed item at site ``choice[k]``."""
        return float(self.paths.per_path(self._engaged(choice)).mean())

    def _engaged(self, choice) -> Bool:
        s = self.seen_fixed.copy()
        r = self.reach_fixed.copy()
        for k, rows in self.seen_rows.items():
            s |= rows[choice[k]]
        for k, rows in self.reach_rows.items():
            r |= rows[choice[k]]
        return s & r

    def search_value(self, choice) -> float:
        """`value` with the tie-break of the time in the zone (`DEPTH_SHARE`): what a
        search maximises."""
        engaged = self._engaged(choice)
        n_p = len(self.paths.names)
        depth = engaged[::DEPTH_EVERY].mean()
        return float(self.paths.per_path(engaged).mean() + DEPTH_SHARE / n_p * depth)

    def covers(self, n_sites: list[int]) -> tuple[list[Bool], NDArray] | None:
        """The objective as a covering (each item's (sites, elements) cover and the
        elements' weights: the paths, then every `DEPTH_EVERY`-th sample for the tie-break
        of the time in the zone), where it is one; None where one placed item moves
        radars and another launchers (the product of two choices)."""
        seen_k, reach_k = set(self.seen_rows), set(self.reach_rows)
        if seen_k and reach_k and not (seen_k == reach_k and len(seen_k) == 1):
            return None
        n_p = len(self.paths.names)
        n_d = len(self.paths.lat[::DEPTH_EVERY])
        out = [np.zeros((n, n_p + n_d), dtype=bool) for n in n_sites]

        def elements(engaged: Bool) -> Bool:
            return np.concatenate(
                [self.paths.per_path(engaged), engaged[..., ::DEPTH_EVERY]], axis=-1
            )

        const = elements(self.seen_fixed & self.reach_fixed)
        for k in seen_k | reach_k:
            s = self.seen_fixed[None, :] | self.seen_rows.get(k, False)
            r = self.reach_fixed[None, :] | self.reach_rows.get(k, False)
            out[k] = elements(s & r)
        weights = np.concatenate([np.full(n_p, 1.0 / n_p), np.full(n_d, DEPTH_SHARE / (n_p * n_d))])
        return [c | const[None, :] for c in out], weights


def _own(items: list[Item], kind: str, key) -> tuple[float, float]:
    """Where the radar (index) or launcher ((battery, launcher)) ``key`` stands now."""
    for it in items:
        if it.kind == kind and (it.radar == key if kind == "radar" else it.launchers[0] == key):
            return it.own
    raise KeyError(key)
