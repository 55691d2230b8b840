"""`gbad laydown` (second part): batteries and launchers, the constraints, the
`engagement`, `counter-battery` and `leakers` objectives, and their bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _shared import SMALL, gbad
from gbad.laydown import LaydownError, optimise_laydown
from gbad.laydown.constraints import Pair, filter_sites, slope_deg
from gbad.laydown.solve import Infeasible, brute_force, mclp, pareto
from gbad.laydown.zones import candidate_sites, placeable
from gbad.scenario.loader import ScenarioError, load_scenario

ASSET = '[[assets]]\nid = "base"\nposition = { east_m = 0.0, north_m = 0.0 }\n'
SR_ACCURACY = 'accuracy = { range_m = 30.0, az_deg = 0.2, el_deg = 0.3 }'

#: Flat ground; a jet flies due west along the east axis, 3 km up, into the base (1 km
#: circle); a surveillance radar at the base sees all of it; a battery's radar stands at
#: the base and its one launcher may stand in a circle 45 km south-east.
ENGAGE = """
[scenario]
name = "engage"
origin = { lat_deg = 37.1, lon_deg = 127.05, alt_m = 40.0 }
duration_s = 500.0

[[assets]]
id = "base"
position = { east_m = 0.0, north_m = 0.0 }
radius_m = 1000.0

[[radars]]
id = "sr"
role = "surveillance"
position = { east_m = 0.0, north_m = 0.0, up_m = 10.0 }
frequency_hz = 3e9
reference = { range_m = 150e3, rcs_m2 = 1.0, pd = 0.9 }
scan = { kind = "rotating", period_s = 2.0 }
coverage = { range_max_m = 200e3, el_min_deg = -5, el_max_deg = 60 }
accuracy = { range_m = 30.0, az_deg = 0.2, el_deg = 0.3 }
SR_ZONE

[[radars]]
id = "mfr"
role = "multifunction"
position = { east_m = 0.0, north_m = 0.0, up_m = 6.0 }
frequency_hz = 9.5e9
reference = { range_m = 100e3, rcs_m2 = 1.0, pd = 0.9, pfa = 1e-6 }
scan = { kind = "electronic", period_s = 2.0 }
coverage = { el_min_deg = 0, el_max_deg = 70, range_max_m = 120e3 }
accuracy = { range_m = 10.0, az_deg = 0.1, el_deg = 0.15, range_rate_mps = 1.0 }

[[batteries]]
id = "bat"
radar = "mfr"
launchers = [
L1_LINE
]

[[threats]]
id = "jet"
kind = "aircraft"
route = [ { east_m = 100e3, north_m = 0.0, up_m = 3000.0, speed_mps = 250.0 },
          { east_m = 0.0, north_m = 0.0, up_m = 3000.0 } ]
""".replace("L1_LINE", '  { id = "L1", position = { east_m = 5e2, north_m = 0.0 }, candidates = { center = '
           '{ east_m = 5e4, north_m = -4e4 }, radius_m = 1.2e4 } },')


def _write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- items and their zones ------------------------------------------------------------


def test_a_battery_placed_whole_and_its_launcher_or_radar_placed_too_are_refused(tmp_path):
    both = ENGAGE.replace('radar = "mfr"\n', 'radar = "mfr"\ncandidates = { center = '
                          '{ east_m = 0.0, north_m = 0.0 }, radius_m = 5000.0 }\n').replace("SR_ZONE", "")  # fmt: skip
    with pytest.raises(ScenarioError, match=r"batteries\[0\]\.candidates moves the battery whole "
                                            r"\(its radar and launchers with it\); remove "
                                            r"`candidates` from its launcher 'L1'"):  # fmt: skip
        load_scenario(_write(tmp_path, both))
    loaded = load_scenario(_write(tmp_path, ENGAGE.replace("SR_ZONE", ""), "t.toml"))
    with pytest.raises(LaydownError, match=r"batteries\[0\] \(id 'bat'\) moves its radar and "
                                           r"launchers with it; place it or batteries\[0\]"
                                           r"\.launchers\[0\] \(id 'L1'\), not both"):  # fmt: skip
        optimise_laydown(loaded, tmp_path / "o", place=["bat", "L1"])


def test_laydown_slopes_must_be_ordered(tmp_path):
    text = ENGAGE.replace("SR_ZONE", "") + "\n[laydown]\nslope_min_deg = 8.0\nslope_max_deg = 5.0\n"
    with pytest.raises(ScenarioError, match=r"slope_min_deg \(8.0\) must be below slope_max_deg \(5.0\)"):
        load_scenario(_write(tmp_path, text))


# --- the engagement objective -----------------------------------------------------------


def test_a_launcher_engages_the_path_where_its_interceptor_reaches_it(tmp_path):
    """The jet's path runs along the east axis 3 km up: a launcher at (50 km, −y) reaches
    it where √(y² + 3 km²) ≤ 40 km (Cheongung II's range), y ≤ 39.89 km; it is engaged
    there and not beyond (to the 250 m the path is sampled at, and the Earth's curve)."""
    from gbad.laydown.engagement_zone import Engagement

    loaded = load_scenario(_write(tmp_path, ENGAGE.replace("SR_ZONE", "")))
    items = placeable(loaded)
    y = np.linspace(30e3, 50e3, 81)
    eng = Engagement(loaded, items, [(np.full(len(y), 50e3), -y)])
    engaged = np.array([eng.value([j]) for j in range(len(y))])
    edge = math.sqrt(40e3**2 - 3e3**2)
    assert np.all(engaged[y < edge - 150.0] == 1.0)
    assert np.all(engaged[y > edge + 150.0] == 0.0)
    covers, _ = eng.covers([len(y)])
    assert np.array_equal(covers[0][:, 0], engaged == 1.0)


def test_gbad_laydown_engagement_moves_the_launcher_into_reach(tmp_path):
    loaded = load_scenario(_write(tmp_path, ENGAGE.replace("SR_ZONE", "")))
    result = optimise_laydown(loaded, tmp_path / "out", objectives=("engagement",))
    assert result.exact and result.values["engagement"] == (1.0, 1.0)  # its own site reaches
    far = ENGAGE.replace("SR_ZONE", "").replace("{ east_m = 5e2, north_m = 0.0 }",
                                                "{ east_m = 50000.0, north_m = -50000.0 }")  # fmt: skip
    loaded = load_scenario(_write(tmp_path, far, "far.toml"))
    result = optimise_laydown(loaded, tmp_path / "out2", objectives=("engagement",))
    assert result.values["engagement"] == (0.0, 1.0)
    east, north = result.sites["L1"]
    assert math.hypot(north, 3e3) <= 40e3  # within reach of the path
    # Among the sites that engage it, the one that holds the jet longest in its reach:
    # the nearest to its path (the zone's northern edge, 28 km from it).
    _, cn, spacing = candidate_sites(loaded, placeable(loaded)[0])
    assert north >= cn.max() - spacing and math.hypot(east - 50e3, north + 40e3) <= 12e3
    layer = json.loads((tmp_path / "out2" / "laydown.geojson").read_text())
    chosen = [f for f in layer["features"] if f["properties"]["role"] == "chosen"]
    assert chosen[0]["properties"]["item"] == "L1" and layer["features"][0]["properties"]["simulated"]


def test_a_radar_and_a_launcher_placed_apart_are_searched_and_reach_the_enumerated_optimum(tmp_path):
    """A short-legged surveillance radar (25 km; the battery's radar blind below 3°) and
    the launcher both move: the engaged share is the product of the two choices, no
    covering, so a genetic search finds it: it reaches the optimum that enumeration finds."""
    from gbad.laydown.engagement_zone import Engagement

    text = (ENGAGE.replace("SR_ZONE", "candidates = { center = { east_m = 60000.0, north_m = 0.0 }, "
                           "radius_m = 40000.0 }")
            .replace("range_max_m = 200e3, el_min_deg = -5", "range_max_m = 25e3, el_min_deg = -5")
            .replace("el_min_deg = 0, el_max_deg = 70", "el_min_deg = 3, el_max_deg = 70"))  # fmt: skip
    loaded = load_scenario(_write(tmp_path, text))
    items = placeable(loaded)
    assert [it.id for it in items] == ["sr", "L1"]
    sites = [candidate_sites(loaded, it, spacing)[:2] for it, spacing in zip(items, (25e3, 7e3), strict=True)]
    eng = Engagement(loaded, items, sites)
    assert eng.covers([len(e) for e, _ in sites]) is None  # the product of two choices
    n_sites = [len(e) for e, _ in sites]
    _, best = brute_force(eng.value, n_sites=n_sites)
    _, f, _ = pareto([eng.value], n_sites, seed=1, pop_size=10, generations=20)
    assert f[0, 0] == pytest.approx(best) and best > 0


def test_polish_moves_back_what_gains_nothing_from_moving_and_keeps_the_constraints():
    """A genetic search's answer, item by item, goes back to the nearest site that keeps
    every objective as good: an item the objectives do not weigh goes home, one they do
    stays, and a pair constraint is kept."""
    from gbad.laydown.solve import polish

    moves = [np.arange(10.0), np.arange(10.0)]  # site 0 of each: where it stands now

    def value(x):
        return float(x[0] == 5)  # only the first item's site counts

    assert polish([5, 7], [value], moves) == [5, 0]
    allowed = np.ones((10, 10), dtype=bool)
    allowed[5, :3] = False  # the second item may not stand at sites 0–2 beside the first at 5
    assert polish([5, 7], [value], moves, [Pair(0, 1, allowed, "r")]) == [5, 3]


# --- constraints ------------------------------------------------------------------------


@st.composite
def constrained_problems(draw):
    n_cells = draw(st.integers(1, 12))
    covers = [np.array(draw(st.lists(st.booleans(), min_size=n * n_cells, max_size=n * n_cells)),
                       dtype=bool).reshape(n, n_cells)
              for n in (draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 4)))]  # fmt: skip
    weights = np.array(draw(st.lists(st.floats(0.1, 3.0), min_size=n_cells, max_size=n_cells)))
    rules = []
    for a, b in ((0, 1), (1, 2)):
        bits = draw(st.lists(st.booleans(), min_size=len(covers[a]) * len(covers[b]),
                             max_size=len(covers[a]) * len(covers[b])))  # fmt: skip
        rules.append(Pair(a, b, np.array(bits, dtype=bool).reshape(len(covers[a]), len(covers[b])), "r"))
    return covers, weights, rules


@settings(max_examples=60, deadline=None)
@given(constrained_problems())
def test_the_programme_with_pair_constraints_finds_what_enumeration_finds(problem):
    covers, weights, rules = problem
    try:
        _, best = brute_force(covers, weights, rules)
    except Infeasible:
        with pytest.raises(Infeasible):
            mclp(covers, weights, rules=rules)
        return
    choice, value = mclp(covers, weights, rules=rules)
    assert value == pytest.approx(best, abs=1e-9)
    assert all(r.allowed[choice[r.a], choice[r.b]] for r in rules)


def _two_launchers(extra: str, radius_m: float = 10000.0, east_m: float = 0.0) -> str:
    """Three launchers free in one circle (``radius_m`` about ``east_m``, 0), ``extra`` the
    ``[laydown]`` table."""
    zone = f"candidates = {{ center = {{ east_m = {east_m}, north_m = 0.0 }}, radius_m = {radius_m} }}"
    return (ENGAGE.replace("SR_ZONE", "").replace(
        '  { id = "L1", position = { east_m = 5e2, north_m = 0.0 }, candidates = { center = '
        '{ east_m = 5e4, north_m = -4e4 }, radius_m = 1.2e4 } },\n]',
        f'  {{ id = "L1", position = {{ east_m = 500.0, north_m = 0.0 }}, {zone} }},\n'
        f'  {{ id = "L2", position = {{ east_m = -500.0, north_m = 0.0 }}, {zone} }},\n'
        f'  {{ id = "L3", position = {{ east_m = 0.0, north_m = 500.0 }}, {zone} }},\n]')
        + f"\n[laydown]\n{extra}\n")  # fmt: skip


def test_placed_launchers_keep_their_spacing_and_stay_near_their_radar(tmp_path):
    loaded = load_scenario(_write(tmp_path, _two_launchers(
        "min_spacing_m = 4000.0\nmax_from_battery_radar_m = 6000.0")))  # fmt: skip
    result = optimise_laydown(loaded, tmp_path / "out", objectives=("engagement",))
    pts = np.array([result.sites[k] for k in ("L1", "L2", "L3")])
    gaps = [np.hypot(*(pts[a] - pts[b])) for a, b in ((0, 1), (0, 2), (1, 2))]
    assert min(gaps) >= 4000.0
    assert np.all(np.hypot(pts[:, 0], pts[:, 1]) <= 6000.0)  # the battery's radar at the base
    assert np.all(np.hypot(pts[:, 0], pts[:, 1]) >= 4000.0)  # and its spacing from them


def test_constraints_no_site_or_no_laydown_meets_are_clear_errors(tmp_path):
    # Within 900 m of the battery's radar, every site comes nearer than the 1,000 m the
    # radar (which stays) must be kept at: none is left.
    loaded = load_scenario(_write(tmp_path, _two_launchers(
        "min_spacing_m = 1000.0\nmax_from_battery_radar_m = 900.0", radius_m=3000.0), "a.toml"))  # fmt: skip
    with pytest.raises(LaydownError, match=r"batteries\[0\]\.launchers\[0\] \(id 'L1'\)\.candidates: "
                                           r"no candidate site meets laydown\.max_from_battery_radar_m "
                                           r"= 900 m"):  # fmt: skip
        optimise_laydown(loaded, tmp_path / "o", objectives=("engagement",))
    # 20 km from the radars: pairs can stand 1,800 m apart in a 1 km circle, but three
    # cannot (1,732 m at most); none can stand 2,500 m apart.
    loaded = load_scenario(_write(tmp_path, _two_launchers("min_spacing_m = 1800.0", 1000.0, 20e3),
                                  "b.toml"))  # fmt: skip
    with pytest.raises(LaydownError, match=r"no laydown of .*\(id 'L1'\), .*\(id 'L2'\), .*\(id 'L3'\) "
                                           r"meets laydown\.min_spacing_m = 1800 m at once"):  # fmt: skip
        optimise_laydown(loaded, tmp_path / "o", objectives=("engagement",))
    loaded = load_scenario(_write(tmp_path, _two_launchers("min_spacing_m = 2500.0", 1000.0, 20e3),
                                  "c.toml"))  # fmt: skip
    with pytest.raises(LaydownError, match=r"\(id 'L1'\) and .*\(id 'L2'\): no pair of their "
                                           r"candidate sites meets laydown\.min_spacing_m = 2500 m"):  # fmt: skip
        optimise_laydown(loaded, tmp_path / "o", objectives=("engagement",))


def _plane_dem(folder, grade: float):
    """A GeoTIFF whose ground rises ``grade`` (m per m) northwards east of 127.05°E and is
    level west of it: its slope is atan(grade) there, 0 here."""
    import rasterio
    from affine import Affine

    step = 1.0 / 1200.0  # 3 arc-seconds
    rows, cols = 1200, 1200
    lat = 37.6 - (np.arange(rows) + 0.5) * step
    lon = 126.55 + (np.arange(cols) + 0.5) * step
    north_m = (lat - 37.1) * 110_960.0  # metres per degree of latitude at 37.1°N
    h = np.where(lon[None, :] > 127.05, 100.0 + grade * north_m[:, None], 100.0)
    with rasterio.open(folder / "plane.tif", "w", driver="GTiff", height=rows, width=cols, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=Affine(step, 0.0, 126.55, 0.0, -step, 37.6)) as f:  # fmt: skip
        f.write(h.astype(np.float32), 1)


def test_the_slope_limits_keep_the_sites_on_ground_within_them(tmp_path):
    """On a plane rising 10 % northwards (5.71°) east of the origin and level west of it,
    the slope at sites away from the fold is atan(0.1) within 0.05°, or 0; a 3° limit
    keeps the level half only, a 5–7° band the sloping half only."""
    _plane_dem(tmp_path, 0.1)
    text = SMALL.replace('seed = 3', 'seed = 3\ndem = "plane.tif"').replace(
        SR_ACCURACY, SR_ACCURACY + "\ncandidates = { center = { east_m = 0.0, north_m = 0.0 }, "
        "radius_m = 10000.0 }\nmast_m = 10.0", 1)  # fmt: skip
    loaded = load_scenario(_write(tmp_path, text))
    item = placeable(loaded, ["sr"])[0]
    e, n, _ = candidate_sites(loaded, item)
    slope = slope_deg(loaded, e, n)
    away = np.abs(e) > 200.0
    assert np.allclose(slope[away & (e > 0)], math.degrees(math.atan(0.1)), atol=0.05)
    assert np.allclose(slope[away & (e < 0)], 0.0, atol=0.01)
    for band, side in (("slope_max_deg = 3.0", e < 0), ("slope_min_deg = 5.0\nslope_max_deg = 7.0", e > 0)):
        loaded = load_scenario(_write(tmp_path, text + f"\n[laydown]\n{band}\n", "b.toml"))
        keep = filter_sites(loaded, item, [item], e, n)
        assert np.array_equal(keep[away], side[away])
    loaded = load_scenario(_write(tmp_path, text + "\n[laydown]\nslope_min_deg = 10.0\n", "c.toml"))
    with pytest.raises(LaydownError, match=r"radars\[0\] \(id 'sr'\)\.candidates: no candidate site "
                                           r"meets laydown\.slope_min_deg/slope_max_deg = \[10\.0, 90\.0\] "
                                           r"deg \(the zone's \d+ sites have slopes of 0\.0 to "
                                           r"5\.7 deg\)"):  # fmt: skip
        optimise_laydown(loaded, tmp_path / "o")


def _road(folder, lat: float, kind: str = "LineString") -> None:
    coords = [[126.9, lat], [127.2, lat]]
    geom = {"type": kind, "coordinates": coords if kind == "LineString" else coords[0]}
    feature = {"type": "Feature", "geometry": geom, "properties": {}}
    (folder / "roads.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))


def test_road_access_keeps_the_sites_within_the_buffer_of_a_road(tmp_path):
    from shapely.geometry import LineString, Point

    _road(tmp_path, 37.12)  # about 2.2 km north of the origin
    text = SMALL.replace(SR_ACCURACY, SR_ACCURACY + "\ncandidates = { center = { east_m = 0.0, "
                         "north_m = 0.0 }, radius_m = 10000.0 }", 1)  # fmt: skip
    loaded = load_scenario(_write(tmp_path, text + '\n[laydown]\nroad = { file = "roads.geojson", '
                                                   'buffer_m = 600.0 }\n'))  # fmt: skip
    result = optimise_laydown(loaded, tmp_path / "out")
    from gbad.laydown.zones import _enu

    e, n = _enu(loaded, [37.12, 37.12], [126.9, 127.2])
    road = LineString(np.column_stack([e, n]))
    item = placeable(loaded)[0]
    ce, cn, _ = candidate_sites(loaded, item)
    keep = filter_sites(loaded, item, [item], ce, cn)
    dist = np.array([road.distance(Point(x, y)) for x, y in zip(ce, cn, strict=True)])
    assert np.array_equal(keep, dist <= 600.0) and keep.sum() > 5
    assert road.distance(Point(*result.sites["sr"])) <= 600.0
    _road(tmp_path, 37.12, kind="Point")
    with pytest.raises(LaydownError, match=r"roads\.geojson: invalid laydown [\s\S]*laydown\.road\.file: "
                                           r"not GeoJSON lines: feature 0 is a 'Point'; give LineStrings"):  # fmt: skip
        optimise_laydown(loaded, tmp_path / "o")
    _road(tmp_path, 37.5)  # 44 km north: out of every site's reach
    with pytest.raises(LaydownError, match=r"no candidate site meets laydown\.road \(within 600 m of "
                                           r"roads\.geojson\)"):  # fmt: skip
        optimise_laydown(loaded, tmp_path / "o")


# --- counter-battery --------------------------------------------------------------------


def test_counter_battery_sees_the_rounds_its_sector_faces_and_not_those_behind_it(tmp_path):
    """The small scenario's gun fires from 12 km north at the base; its weapon-locating
    radar at the base faces north (315–45°): from its own site it sees the rounds fired
    from the gun's firing area (1.5 km about the gun) rise into its fence, as the run's
    own weapon-locating radar does; standing 25 km north it has them behind it."""
    from gbad.laydown.counter_battery import Rounds

    text = SMALL.replace("range_rate_mps = 0.5 }", "range_rate_mps = 0.5 }\ncandidates = { center = "
                         "{ east_m = 0.0, north_m = 10000.0 }, radius_m = 20000.0 }", 1)  # fmt: skip
    loaded = load_scenario(_write(tmp_path, text))
    rounds = Rounds(loaded)
    assert [a[0] for a in rounds.areas] == ["gun"] and len(rounds.area) >= 10
    cover = rounds.cover(loaded, 1, np.array([1000.0, 1000.0]), np.array([0.0, 25000.0]))
    assert cover[0].mean() > 0.9 and not cover[1].any()
    result = optimise_laydown(loaded, tmp_path / "out", objectives=("counter-battery",))
    own, best = result.values["counter-battery"]
    assert own == pytest.approx(cover[0].mean()) and best >= own


def test_firing_areas_from_a_geojson_file_and_its_bad_input(tmp_path):
    from gbad.laydown.counter_battery import firing_areas

    def area(coords, munition="120mm-mortar"):
        return {"type": "Feature", "properties": {"name": "woods", "munition": munition},
                "geometry": {"type": "Polygon", "coordinates": [coords]}}  # fmt: skip

    square = [[127.04, 37.19], [127.06, 37.19], [127.06, 37.21], [127.04, 37.21], [127.04, 37.19]]
    bow = [[127.04, 37.19], [127.06, 37.21], [127.06, 37.19], [127.04, 37.21], [127.04, 37.19]]
    text = SMALL + '\n[laydown]\nfiring_areas = "areas.geojson"\n'
    path = _write(tmp_path, text)
    (tmp_path / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [area(square)]}))
    areas = firing_areas(load_scenario(path))
    assert areas[0][0] == "woods" and areas[0][2] == ("120mm-mortar",)
    assert areas[0][1].area == pytest.approx(1780.0 * 2220.0, rel=0.02)
    for doc, message in (
        ({"type": "FeatureCollection", "features": [area(bow)]}, r"feature 0 is not a valid polygon"),
        ({"type": "FeatureCollection", "features": [area(square, "slingshot")]}, r"munition 'slingshot'"),
        ({"type": "FeatureCollection", "features": []}, r"no polygon in the file"),
    ):
        (tmp_path / "areas.geojson").write_text(json.dumps(doc))
        with pytest.raises(LaydownError, match=r"laydown\.firing_areas: .*" + message):
            firing_areas(load_scenario(path))


# --- leakers and the command line -------------------------------------------------------


def test_leakers_compares_the_two_laydowns_by_paired_runs(tmp_path):
    """The battery's launcher stands out of the jet's reach in the scenario's own laydown,
    and may stand 10–16 km off its path (well inside the reach, not on its edge): the jet
    leaks in every run of the first and in none of the second (it is engaged and
    killed), by paired runs."""
    far = (ENGAGE.replace("SR_ZONE", "").replace("{ east_m = 5e2, north_m = 0.0 }",
                                                 "{ east_m = 50000.0, north_m = -50000.0 }")
           .replace("{ east_m = 5e4, north_m = -4e4 }, radius_m = 1.2e4", "{ east_m = 5e4, north_m = -1.3e4 }, "
                    "radius_m = 3e3"))  # fmt: skip
    loaded = load_scenario(_write(tmp_path, far))
    result = optimise_laydown(loaded, tmp_path / "out", objectives=("engagement", "leakers"), runs=2)
    table = pd.read_parquet(tmp_path / "out" / "laydowns.parquet").iloc[:2]  # own, optimised
    assert list(table.leakers_runs) == [2, 2]
    assert list(table.leakers) == [1.0, 0.0], table.T
    assert result.leakers["difference"]["mean"] == -1.0
    out = gbad("laydown", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"), "--objective", "leakers")
    assert out.returncode == 2 and "leakers is measured by a Monte Carlo of the laydowns the other " \
        "objectives choose" in out.stderr
    out = gbad("laydown", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"), "--budget-s", "0")
    assert out.returncode == 2 and "--budget-s 0.0" in out.stderr and "positive time" in out.stderr
