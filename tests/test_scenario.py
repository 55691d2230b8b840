"""Scenario files: the built-ins load, and every kind of bad input gets a clear message.

The messages are the contract: each names the file, the table and index (with
the entry's id), the key, the bad value where there is one, and what would be
valid.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gbad.scenario.loader import (
    ScenarioError,
    builtin_names,
    load_builtin,
    load_scenario,
    parse_scenario,
)
from gbad.scenario.schema import INTERCEPTOR_NAMES, MUNITION_NAMES

BUILTIN = Path(__file__).parents[1] / "src/gbad/scenario/builtin/airbase-defence.toml"
BASE = BUILTIN.read_text()


def test_builtins_load_and_default_has_the_required_mix():
    assert "airbase-defence" in builtin_names()
    m = load_builtin("airbase-defence").model
    roles = sorted(r.role for r in m.radars)
    assert roles == ["multifunction", "surveillance", "weapon_locating"]
    battery = m.batteries[0]
    assert len(battery.launchers) == 4
    assert all(launcher.missiles == 8 for launcher in battery.launchers)
    kinds = {t.kind for t in m.threats}
    assert kinds == {
        "aircraft",
        "cruise_missile",
        "uav",
        "ballistic_missile",
        "shell",
        "mortar",
        "rocket",
    }
    assert {t.munition_name for t in m.threats if t.munition_name} >= set(MUNITION_NAMES)


def test_munition_names_match_the_profiles():
    from gbad.world.munitions import MUNITIONS

    assert set(MUNITION_NAMES) == set(MUNITIONS)


def _error(text: str, source: str = "bad.toml") -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source)
    return str(info.value)


def _mutate(old: str, new: str) -> str:
    assert old in BASE, f"test setup: {old!r} not in the built-in scenario"
    return BASE.replace(old, new, 1)


# (what is wrong, old text, new text, fragments the message must contain)
BAD_CASES = [
    (
        "unknown key with suggestion",
        "frequency_hz = 9.5e9",
        "frequncy_hz = 9.5e9",
        ['radars[0] (id "mfr").frequncy_hz', "unknown key", "did you mean 'frequency_hz'"],
    ),
    (
        "wrong type",
        "duration_s = 600.0",
        'duration_s = "ten minutes"',
        ["scenario.duration_s", "'ten minutes'", "valid number"],
    ),
    (
        "latitude out of range",
        "lat_deg = 37.10",
        "lat_deg = 97.10",
        ["scenario.origin.lat_deg", "97.1", "less than or equal to 90"],
    ),
    (
        "probability outside (0,1)",
        'pd = 0.9, pfa = 1e-6 }\nswerling = 1\nscan = { kind = "electronic"',
        'pd = 1.2, pfa = 1e-6 }\nswerling = 1\nscan = { kind = "electronic"',
        ['radars[0] (id "mfr").reference.pd', "1.2", "less than 1"],
    ),
    (
        "pfa zero",
        "pd = 0.8, pfa = 1e-6",
        "pd = 0.8, pfa = 0.0",
        ['radars[1] (id "lrsr").reference.pfa', "greater than 0"],
    ),
    (
        "negative period",
        'scan = { kind = "rotating", period_s = 10.0 }',
        'scan = { kind = "rotating", period_s = -1.0 }',
        ['radars[1] (id "lrsr").scan.period_s', "-1.0", "greater than or equal to 0.01"],
    ),
    (
        "el_min above el_max",
        "el_min_deg = 0, el_max_deg = 70",
        "el_min_deg = 50, el_max_deg = 20",
        ['radars[0] (id "mfr").coverage', "el_min_deg (50.0) must be below el_max_deg (20.0)"],
    ),
    (
        "swerling out of range",
        "swerling = 1\npulses = 8",
        "swerling = 5\npulses = 8",
        ['radars[1] (id "lrsr").swerling', "5", "less than or equal to 4"],
    ),
    (
        "unknown scan kind",
        'kind = "sector"',
        'kind = "raster"',
        ['radars[2] (id "wlr").scan.kind', "'raster'", "'rotating', 'sector' or 'electronic'"],
    ),
    (
        "duplicate id",
        'id = "cm-2"',
        'id = "cm-1"',
        ["threats[5].id", "duplicate id 'cm-1'", "threats[4]"],
    ),
    (
        "battery names an unknown radar",
        'radar = "mfr"',
        'radar = "mfx"',
        ["batteries[0].radar", "'mfx'", "did you mean 'mfr'", "radars: mfr, lrsr, wlr"],
    ),
    (
        "battery on a surveillance radar",
        'radar = "mfr"',
        'radar = "lrsr"',
        ["batteries[0].radar", "needs a multifunction radar"],
    ),
    (
        "unknown munition",
        'munition = "155mm-he"',
        'munition = "155-he"',
        ['threats[12] (id "gun-1")', "unknown profile '155-he'", "did you mean '155mm-he'"],
    ),
    (
        "munition of the wrong kind",
        'munition = "155mm-he"',
        'munition = "120mm-mortar"',
        ['threats[12] (id "gun-1")', "mortar profile", "kind is 'shell'"],
    ),
    (
        "unknown interceptor",
        'interceptor = "cheongung-2"',
        'interceptor = "cheongung-3"',
        ["batteries[0]", "interceptor", "'cheongung-3'", "cheongung-1, cheongung-2"],
    ),
    (
        "unknown doctrine",
        'ballistic = "salvo-2" }',
        'ballistic = "salvo-3" }',
        ["batteries[0]", "doctrine", "ballistic", "'shoot-look-shoot' or 'salvo-2'"],
    ),
    (
        "negative inventory",
        'missiles = 8 },\n  { id = "L2"',
        'missiles = -2 },\n  { id = "L2"',
        ["batteries[0]", "launchers[0]", "missiles", "-2", "greater than or equal to 0"],
    ),
    (
        "route with one point",
        "route = [ { east_m = -10e3, north_m = 45e3, up_m = 2000.0, t_s = 0.0, speed_mps = 50.0 },\n"
        "          { east_m = -5e3, north_m = 20e3, up_m = 1500.0 },\n"
        "          { east_m = 0.0, north_m = 0.0, up_m = 500.0 } ]",
        "route = [ { east_m = -10e3, north_m = 45e3, up_m = 2000.0, t_s = 0.0, speed_mps = 50.0 } ]",
        ['threats[8] (id "uav-1")', "at least 2 points (got 1)"],
    ),
    (
        "mixed position frames",
        "launch = { east_m = 6000.0, north_m = 15000.0, up_m = 120.0 }",
        "launch = { east_m = 6000.0, lat_deg = 37.2, up_m = 120.0 }",
        ['threats[12] (id "gun-1").launch', "mixes geodetic keys", "local keys"],
    ),
    (
        "aim and angles both",
        "aim = { east_m = 500.0, north_m = 0.0, up_m = 0.0 }",
        "aim = { east_m = 500.0, north_m = 0.0, up_m = 0.0 }\nquadrant_elevation_deg = 30.0\nazimuth_deg = 10.0",
        ['threats[12] (id "gun-1")', "either `aim` or quadrant_elevation_deg"],
    ),
    (
        "ballistic threat with a route",
        'kind = "shell"\nmunition = "155mm-he"',
        'kind = "shell"\nroute = [ { east_m = 0.0, north_m = 0.0 }, { east_m = 1.0, north_m = 0.0 } ]\n'
        'munition = "155mm-he"',
        ['threats[12] (id "gun-1")', "is ballistic", "not a `route`"],
    ),
    (
        "missing required key",
        "duration_s = 600.0\n",
        "",
        ["scenario.duration_s", "required key is missing"],
    ),
    (
        "no radar sensitivity",
        "reference = { range_m = 30e3, rcs_m2 = 0.01, pd = 0.9, pfa = 1e-6 }\n",
        "",
        ['radars[2] (id "wlr")', "no sensitivity", "reference = { range_m, rcs_m2, pd, pfa }"],
    ),
    (
        "NaN value",
        "radius_m = 1500.0",
        "radius_m = nan",
        ['assets[0] (id "airbase").radius_m', "finite number"],
    ),
    (
        "bad identifier",
        'id = "uav-3"',
        'id = "uav 3!"',
        ["threats[10]", "id", "'uav 3!'", "string should match pattern"],
    ),
    (
        "count without interval",
        "count = 6\ninterval_s = 4.0",
        "count = 6",
        ['threats[12] (id "gun-1")', "interval_s > 0"],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "fragments"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_scenario_messages(old, new, fragments):
    message = _error(_mutate(old, new))
    assert message.startswith("bad.toml: invalid scenario")
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from:\n{message}"


def test_at_least_fifteen_kinds_of_bad_input():
    assert len(BAD_CASES) >= 15


def test_malformed_toml_reports_the_line():
    message = _error(BASE.replace("[scenario]", "[scenario\n", 1))
    assert "malformed TOML" in message
    assert "line 4" in message


def test_several_problems_are_all_reported():
    text = _mutate("lat_deg = 37.10", "lat_deg = 99.0").replace(
        'scan = { kind = "rotating", period_s = 10.0 }',
        'scan = { kind = "rotating", period_s = 0.0 }',
    )
    message = _error(text)
    assert "2 problem(s)" in message
    assert "scenario.origin.lat_deg" in message
    assert "scan.period_s" in message


def test_missing_file_and_missing_dem(tmp_path):
    with pytest.raises(
        ScenarioError, match="no such file; built-in scenarios are: airbase-defence"
    ):
        load_scenario(tmp_path / "absent.toml")
    f = tmp_path / "s.toml"
    f.write_text(_mutate("truth_interval_s = 1.0", 'truth_interval_s = 1.0\ndem = "hills.tif"'))
    with pytest.raises(ScenarioError, match=r"scenario.dem: no file 'hills.tif'"):
        load_scenario(f)


def test_inline_interceptor_table_is_accepted():
    text = _mutate(
        'interceptor = "cheongung-2"', 'interceptor = { base = "cheongung-1", range_max_m = 30e3 }'
    )
    m = parse_scenario(text)
    assert m.batteries[0].interceptor.base == "cheongung-1"
    assert set(INTERCEPTOR_NAMES) == {"cheongung-1", "cheongung-2"}


def test_positions_resolve_by_the_local_convention():
    m = load_builtin().model
    origin = m.scenario.origin
    asset = m.assets[0]
    lat, lon, alt = asset.position.to_geodetic(origin)
    assert (lat, lon) == pytest.approx((origin.lat_deg, origin.lon_deg))
    assert alt == pytest.approx(origin.alt_m)


# --- property-based: the loader only ever says "invalid scenario" --------------------------


def _assert_only_validation_errors(text: str) -> None:
    try:
        parse_scenario(text, "fuzz.toml")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.toml: invalid scenario")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_gives_only_validation_errors(text):
    _assert_only_validation_errors(text)


_RAW = tomllib.loads(BASE)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


_ALL_PATHS = list(_paths(_RAW))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(_ALL_PATHS), _values, st.booleans()), min_size=1, max_size=4)
)
def test_mutated_scenarios_give_only_validation_errors(mutations):
    import copy

    from gbad.scenario.loader import validate_mapping

    raw = copy.deepcopy(_RAW)
    for path, value, delete in mutations:
        node = raw
        try:
            for part in path[:-1]:
                node = node[part]
            if delete:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        validate_mapping(raw, "fuzz.toml")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.toml: invalid scenario")


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (("duration_s = 240.0", "duration_s = true"), "scenario.duration_s: got True"),
        (("seed = 11", 'seed = "11"'), "scenario.seed: got '11'"),
        (("pd = 0.9, pfa = 1e-6", "pd = 1e-7, pfa = 1e-6"), "pd (1e-07) must exceed pfa"),
    ],
)
def test_issue_12_types_are_strict_and_pd_exceeds_pfa(edit, fragment):
    """A string or a boolean is not a number, and a radar's reference target is detected
    more often than a false alarm: each refused by `validate`, naming its key."""
    text = (
        Path(__file__).parents[1] / "src/gbad/scenario/builtin/counter-battery.toml"
    ).read_text()
    assert edit[0] in text
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text.replace(edit[0], edit[1], 1), "bad.toml")
    assert fragment in str(info.value)


def test_issue_12_a_velocity_sigma_past_anything_that_flies_is_refused():
    text = (
        Path(__file__).parents[1] / "src/gbad/scenario/builtin/counter-battery.toml"
    ).read_text()
    with pytest.raises(ScenarioError, match=r"tracker.initial_velocity_sigma_mps"):
        parse_scenario(text + "\n[tracker]\ninitial_velocity_sigma_mps = 1e300\n", "bad.toml")


def test_issue_12_toml_nested_500_deep_is_a_located_message():
    text = (
        '[scenario]\nname = "x"\norigin = { lat_deg = 37.0, lon_deg = 127.0, alt_m = 0.0 }\n'
        "duration_s = 10.0\ndescription = " + "[" * 500 + "]" * 500 + "\n"
    )
    with pytest.raises(ScenarioError, match=r"(?s)deep.toml.*nested too deeply"):
        parse_scenario(text, "deep.toml")


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("truth_interval_s = 1.0", "truth_interval_s = 1e-6"), "scenario.truth_interval_s"),
        (("beamwidth_el_deg = 1.0", "beamwidth_el_deg = 1e-6"), "beamwidth_el_deg"),
        (("period_s = 0.5", "period_s = 1e-6"), "scan.period_s"),
        (("range_max_m = 60e3", "range_max_m = 6e10"), "coverage.range_max_m"),
        (("beamwidth_el_deg = 1.0", "beamwidth_el_deg = 1.0\nrange_resolution_m = 1e-4"),
         "range_resolution_m"),
    ],
)  # fmt: skip
def test_issue_12_valid_looking_numbers_that_would_exhaust_the_machine(edit, key):
    """Each is a bound with a physical reason (docs/scenario.md), refused by `validate`."""
    text = (
        Path(__file__).parents[1] / "src/gbad/scenario/builtin/counter-battery.toml"
    ).read_text()
    assert edit[0] in text
    with pytest.raises(ScenarioError, match=key):
        parse_scenario(text.replace(edit[0], edit[1], 1), "bad.toml")
    with pytest.raises(ScenarioError, match=r"locator.update_interval_s"):
        parse_scenario(text + "\n[locator]\nupdate_interval_s = 1e-9\n", "bad.toml")


def test_issue_12_a_dem_never_reaches_the_network(tmp_path):
    """A DEM naming a /vsicurl/ source, or a VRT (whose sources may), is refused, and no
    connection reaches a listening loopback socket."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    (tmp_path / "remote.vrt").write_text(
        f'<VRTDataset><SimpleSource><SourceFilename>/vsicurl/http://127.0.0.1:{port}/a.tif'
        "</SourceFilename></SimpleSource></VRTDataset>"
    )
    # the same VRT under a GeoTIFF's name: GDAL opens it with the GeoTIFF driver alone
    (tmp_path / "disguised.tif").write_text((tmp_path / "remote.vrt").read_text())
    for dem, fragment in (
        (f"/vsicurl/http://127.0.0.1:{port}/a.tif", "network or virtual source"),
        (f"http://127.0.0.1:{port}/a.tif", "network or virtual source"),
        ("remote.vrt", "is a GDAL VRT"),
        ("disguised.tif", "cannot read terrain file .*disguised.tif"),
    ):
        f = tmp_path / "s.toml"
        f.write_text(_mutate("truth_interval_s = 1.0", f'truth_interval_s = 1.0\ndem = "{dem}"'))
        with pytest.raises(ScenarioError, match=fragment):
            load_scenario(f)
    with pytest.raises(TimeoutError):
        server.accept()  # nobody called
    server.close()


def test_issue_12_a_dem_outside_the_scenario_folder_needs_leave(tmp_path):
    inner = tmp_path / "scn"
    inner.mkdir()
    f = inner / "s.toml"
    for dem in ("../hills.tif", str(tmp_path / "hills.tif")):
        f.write_text(_mutate("truth_interval_s = 1.0", f'truth_interval_s = 1.0\ndem = "{dem}"'))
        with pytest.raises(ScenarioError, match=r"lies outside the scenario's folder"):
            load_scenario(f)
        # Allowed, it is only looked for (and is not there).
        with pytest.raises(ScenarioError, match=r"scenario.dem: no file"):
            load_scenario(f, allow_outside=True)


def test_issue_12_a_dem_declaring_too_many_cells_is_refused_before_any_is_read(tmp_path):
    """A sparse GeoTIFF of a few kilobytes can declare 40000 × 40000 cells: `validate`
    refuses it from its header, and so does the run, before a cell is read."""
    import rasterio
    from affine import Affine

    from gbad.earth.terrain import MAX_DEM_CELLS, Terrain, TerrainError

    big = tmp_path / "big.tif"
    profile = dict(
        driver="GTiff", width=40000, height=40000, count=1, dtype="int16", tiled=True,
        compress="deflate", sparse_ok=True, crs="EPSG:4326",
        transform=Affine(1e-4, 0.0, 126.0, 0.0, -1e-4, 38.0),
    )  # fmt: skip
    with rasterio.open(big, "w", **profile):
        pass
    assert big.stat().st_size < 5_000_000 and 40000**2 > MAX_DEM_CELLS
    f = tmp_path / "s.toml"
    f.write_text(_mutate("truth_interval_s = 1.0", 'truth_interval_s = 1.0\ndem = "big.tif"'))
    with pytest.raises(ScenarioError, match=r"big.tif' declares 40000 × 40000 cells"):
        load_scenario(f)
    with pytest.raises(TerrainError, match=r"the most read is 16,777,216"):
        Terrain.from_geotiff(big)


def test_issue_12_work_past_the_machine_is_refused_by_validate_naming_its_keys():
    """Each value within its bound, their product past the machine: 400 mortar bombs with
    truth every 0.01 s (a run measured at 1.5 GB and over ten minutes, unfinished), or a
    radar scanning every 0.01 s for a day. `validate` estimates the work first."""
    from gbad.scenario.work import MAX_LOOKS, MAX_TRUTH_SAMPLES, estimate

    text = (
        Path(__file__).parents[1] / "src/gbad/scenario/builtin/counter-battery.toml"
    ).read_text()
    base = parse_scenario(text, "cb.toml")
    w = estimate(base)
    assert w.truth_samples < MAX_TRUTH_SAMPLES / 50 and w.looks < MAX_LOOKS / 20
    fine = text.replace("truth_interval_s = 1.0", "truth_interval_s = 0.01", 1).replace(
        "duration_s = 240.0", "duration_s = 1200.0", 1
    )
    with pytest.raises(ScenarioError) as info:
        parse_scenario(fine, "fine.toml")
    message = str(info.value)
    assert "scenario.truth_interval_s: this run would hold about" in message
    assert "the limit is 2,000,000: raise truth_interval_s" in message
    fast = text.replace("period_s = 0.5", "period_s = 0.01", 1).replace(
        "duration_s = 240.0", "duration_s = 86400.0", 1
    )
    assert fast != text
    with pytest.raises(ScenarioError, match=r"radars\[\].scan.period_s: this run would make"):
        parse_scenario(fast, "fast.toml")
    # a pfa of 0.5 took 19 GB in 30 s of a small scene before it was stopped
    noisy = text.replace("pfa = 1e-6", "pfa = 0.5", 1)
    assert noisy != text
    with pytest.raises(ScenarioError, match=r"reference.pfa: the radars would raise about"):
        parse_scenario(noisy, "noisy.toml")
