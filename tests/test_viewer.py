"""`gbad serve` in a real browser: Debian's Chromium, driven by Playwright. The page loads
with no request leaving 127.0.0.1, draws the run's tracks, moves them with the slider,
shows a clicked track's history, and in live mode follows the run over a WebSocket."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time

import pytest

from _shared import free_port, gbad, run_small

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium (Debian's chromium): `make test` installs it with apt-get where it can",
)
#: WebGL in a headless browser without a GPU: SwiftShader, the software renderer.
BROWSER_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return run_small(tmp_path_factory.mktemp("viewer"))


def _server(*args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gbad", "serve", *args, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                message = proc.stderr.read()
                proc.stderr.close()
                raise AssertionError(message) from None
            time.sleep(0.1)
    _stop(proc)
    raise AssertionError("gbad serve did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=20)
    proc.stderr.close()


def _browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)


def _watched_page(browser, viewport: dict, asked: list[str], errors: list[str]):
    """A page that notes every URL it asks for and every page or console error."""
    page = browser.new_page(viewport=viewport)
    page.on("request", lambda r: asked.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page


def test_the_viewer_draws_the_run_offline_and_the_slider_moves_it(small, tmp_path):
    """(The screenshot it takes is docs/viewer.png's, copied there by hand.)"""
    from playwright.sync_api import sync_playwright

    scenario, run = small
    proc, url = _server(str(run), "--scenario", str(scenario))
    try:
        with sync_playwright() as p:
            browser = _browser(p)
            asked: list[str] = []
            errors: list[str] = []
            page = _watched_page(browser, {"width": 1280, "height": 800}, asked, errors)
            page.goto(url)
            page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
            assert page.inner_text("#banner").startswith("Simulated.")
            # The jet's track is drawn, and the slider moves it.
            drawn_at = """t => { const v = window.gbadViewer; v.setTime(t);
                const ids = [...v.state.byTrack.keys()];
                const jet = ids.reduce((a, b) => v.state.byTrack.get(a).length >=
                                                 v.state.byTrack.get(b).length ? a : b);
                const f = v.state.drawnTracks.features.find(x => x.properties.id === jet);
                return f ? f.geometry.coordinates : null; }"""
            early, late = page.evaluate(drawn_at, 60), page.evaluate(drawn_at, 110)
            assert early is not None and late is not None
            assert abs(early[0] - late[0]) + abs(early[1] - late[1]) > 0.05  # ~10 km flown
            assert int(page.evaluate("document.body.dataset.tracksDrawn")) >= 1
            assert page.input_value("#slider") == "110"
            # A click on a track's label shows its history.
            page.locator(".track-label").first.click()
            page.wait_for_function("document.querySelectorAll('#history tr').length > 2")
            assert "Track T" in page.inner_text("#pick")
            page.wait_for_timeout(500)
            page.screenshot(path=str(tmp_path / "viewer.png"))
            assert (tmp_path / "viewer.png").stat().st_size > 20_000
            browser.close()
    finally:
        _stop(proc)
    hosts = {u.split("/")[2] for u in asked if "://" in u}
    assert hosts == {url.split("/")[2]}, hosts  # nothing asked of any other host
    assert errors == []


def test_live_mode_follows_the_run_over_a_websocket(small):
    from playwright.sync_api import sync_playwright

    scenario, _ = small
    proc, url = _server("--live", str(scenario), "--speed", "20")
    try:
        with sync_playwright() as p:
            browser = _browser(p)
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("Number(document.body.dataset.liveT || 0) >= 5", timeout=120_000)
            first = float(page.evaluate("document.body.dataset.liveT"))
            page.wait_for_function(f"Number(document.body.dataset.liveT) >= {first + 10}",
                                   timeout=60_000)  # fmt: skip
            assert "live" in page.inner_text("#status")
            browser.close()
    finally:
        _stop(proc)


def test_serve_without_a_run_is_a_clear_error(tmp_path):
    result = gbad("serve", str(tmp_path))
    assert result.returncode == 2
    assert f"{tmp_path}" in result.stderr and "not a run's result folder" in result.stderr


def test_a_laydown_is_drawn_as_its_own_layer_without_a_run(tmp_path):
    """`gbad serve --laydown DIR` alone: the laydown's scenario and its layer (zones,
    candidates, the own and the chosen site of each placed item), no run and no request
    off the viewer's port; a folder that is no laydown's is a clear error."""
    from playwright.sync_api import sync_playwright

    from test_laydown_items import ENGAGE

    scenario = tmp_path / "s.toml"
    scenario.write_text(ENGAGE.replace("SR_ZONE", "").replace("{ east_m = 5e2, north_m = 0.0 }",
                                                              "{ east_m = 50000.0, north_m = -50000.0 }"))  # fmt: skip
    made = gbad("laydown", str(scenario), "--out", str(tmp_path / "lay"), "--objective", "engagement")
    assert made.returncode == 0, made.stderr
    proc, url = _server("--laydown", str(tmp_path / "lay"))
    try:
        with sync_playwright() as p:
            browser = _browser(p)
            asked: list[str] = []
            errors: list[str] = []
            page = _watched_page(browser, {"width": 1000, "height": 700}, asked, errors)
            page.goto(url)
            page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
            assert page.evaluate("window.gbadViewer.state.laydown") == {"items": ["L1"], "chosen": 1}
            shown = page.evaluate("""() => ['laydown-zones', 'laydown-candidates', 'laydown-own',
                'laydown-chosen', 'laydown-moves'].map(id => window.gbadViewer.map.getLayer(id) ? id : null)""")
            assert None not in shown
            assert "no run" in page.inner_text("#status") and "Laydown: L1" in page.inner_text("#pick")
            page.screenshot(path=str(tmp_path / "laydown.png"))
            browser.close()
    finally:
        _stop(proc)
    assert {u.split("/")[2] for u in asked if "://" in u} == {url.split("/")[2]}
    assert errors == []
    bad = gbad("serve", "--laydown", str(tmp_path))
    assert bad.returncode == 2 and "not a laydown's folder" in bad.stderr
