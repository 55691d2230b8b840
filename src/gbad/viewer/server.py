"""`gbad serve`: the browser viewer's server (aiohttp), on 127.0.0.1 unless told.

It serves its own static files (the page, MapLibre GL, topojson-client and Natural
Earth's coastlines and borders from world-atlas, all vendored under ``static/``) and one
run's data as JSON; nothing else, and the page asks for nothing beyond it.

Live mode (``--live SCENARIO``): the scenario is run in the background (the simulation
computes a run whole), and a WebSocket (``/ws``) then releases its data in simulated
time at ``speed`` times real time, one slice a simulated second, which the page follows.

A laydown (``--laydown DIR``, what `gbad laydown` wrote) adds its layer (``/api/laydown``:
zones, candidates, the own and the chosen sites); alone, the page shows the laydown's
scenario and that layer without a run.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path

from aiohttp import WSMsgType, web

from gbad.scenario.loader import LoadedScenario
from gbad.viewer.data import dumps, meta, run_payload

STATIC = Path(__file__).parent / "static"
#: Simulated seconds per live slice.
LIVE_STEP_S = 1.0


def make_app(loaded: LoadedScenario, run_dir: Path | None, live: bool = False,
             speed: float = 1.0, laydown: str | None = None) -> web.Application:  # fmt: skip
    """The viewer's application: a run's folder to show, or (``live``) a scenario to run
    and follow, or neither (the scenario's sites alone); ``laydown``: a laydown's layer
    (GeoJSON text) to draw over it."""
    app = web.Application()
    state: dict = {"payload": None, "error": None, "done": threading.Event()}
    meta_lock = threading.Lock()

    def meta_doc() -> dict:
        """`meta`, computed once (its coverage outlines are what costs)."""
        with meta_lock:
            if "meta" not in state:
                state["meta"] = meta(loaded)
            return state["meta"]

    def compute() -> None:
        try:
            if run_dir is None and not live:
                return  # nothing to run: the sites (and a laydown) alone
            if run_dir is not None:
                state["payload"] = run_payload(loaded, run_dir, meta_doc())
            else:
                from gbad.sim import run_scenario

                with tempfile.TemporaryDirectory(prefix="gbad-live-") as tmp:
                    run_scenario(loaded, Path(tmp) / "run", report=False)
                    state["payload"] = run_payload(loaded, Path(tmp) / "run", meta_doc())
        except Exception as exc:  # shown on the page, not a dead server
            state["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            state["done"].set()

    threading.Thread(target=compute, daemon=True).start()

    async def index(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def config(_request: web.Request) -> web.Response:
        return web.json_response({"live": live, "speed": speed, "laydown": laydown is not None,
                                  "run": live or run_dir is not None})  # fmt: skip

    async def laydown_layer(_request: web.Request) -> web.Response:
        if laydown is None:
            return web.Response(status=404, text="no laydown given (gbad serve --laydown DIR)")
        return web.Response(text=laydown, content_type="application/geo+json")

    async def run(_request: web.Request) -> web.Response:
        await asyncio.get_running_loop().run_in_executor(None, state["done"].wait)
        if state["error"]:
            return web.json_response({"error": state["error"]}, status=500)
        return web.Response(text=dumps(state["payload"]), content_type="application/json")

    async def meta_only(_request: web.Request) -> web.Response:
        doc = await asyncio.get_running_loop().run_in_executor(None, meta_doc)
        return web.Response(text=dumps(doc), content_type="application/json")

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse(heartbeat=20.0)
        await sock.prepare(request)
        await sock.send_str(dumps({"type": "status", "text": "running the scenario"}))
        await asyncio.get_running_loop().run_in_executor(None, state["done"].wait)
        if state["error"]:
            await sock.send_str(dumps({"type": "status", "text": state["error"]}))
            return sock
        payload = state["payload"]
        duration = payload["meta"]["duration_s"]
        reader = asyncio.create_task(_drain(sock))
        t = 0.0
        while t < duration and not sock.closed:
            t = min(t + LIVE_STEP_S, duration)
            await sock.send_str(
                dumps({"type": "slice", "t": t, **_slice(payload, t - LIVE_STEP_S, t)})
            )
            await asyncio.sleep(LIVE_STEP_S / speed if speed > 0 else 0.0)
        if not sock.closed:
            await sock.send_str(dumps({"type": "end", "t": duration}))
        reader.cancel()
        return sock

    async def no_icon(_request: web.Request) -> web.Response:
        return web.Response(status=204)

    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", no_icon)
    app.router.add_get("/api/config", config)
    app.router.add_get("/api/run", run)
    app.router.add_get("/api/meta", meta_only)
    app.router.add_get("/api/laydown", laydown_layer)
    app.router.add_get("/ws", ws)
    app.router.add_static("/static", STATIC, follow_symlinks=False)
    return app


async def _drain(sock: web.WebSocketResponse) -> None:
    async for msg in sock:
        if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            break


def _slice(payload: dict, t0: float, t1: float) -> dict:
    """The rows of the columnar tables with ``t0 < t <= t1``; the lists whole at the end."""
    out: dict = {}
    for key in ("truth", "tracks", "detections", "alerts"):
        cols = payload[key]
        keep = [i for i, t in enumerate(cols["t"]) if t is not None and t0 < t <= t1]
        out[key] = {k: [v[i] for i in keep] for k, v in cols.items()}
    out["engagements"] = [e for e in payload["engagements"] if t0 < e["t0"] <= t1]
    out["locates"] = [x for x in payload["locates"] if t0 < x["t"] <= t1]
    return out


def serve(loaded: LoadedScenario, run_dir: Path | None, host: str, port: int, live: bool,
          speed: float, print_fn=print, laydown: str | None = None) -> None:  # fmt: skip
    """Run the viewer until interrupted."""
    app = make_app(loaded, run_dir, live, speed, laydown)
    print_fn(f"gbad viewer (simulated data) on http://{host}:{port}/ — Ctrl-C to stop")
    web.run_app(app, host=host, port=port, print=None, handle_signals=True)
