// gbad viewer: one run (or a live one) on an offline map. Simulated data only.
"use strict";

const KIND_COLOURS = {
  aircraft: "#1f77b4", cruise_missile: "#d62728", uav: "#2ca02c", ballistic_missile: "#9467bd",
  shell: "#8c564b", mortar: "#e377c2", rocket: "#ff7f0e",
};
const RADAR_COLOURS = ["#1f77b4", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const OUTCOME_COLOURS = { kill: "#2ca02c", miss: "#d62728", aborted: "#888888" };
const DETECTION_WINDOW_S = 5.0;

const state = {
  data: null, t: 0, tMax: 0, playing: false, picked: null, live: false,
  byTrack: new Map(), byTruth: new Map(), radarColour: {},
};

const empty = () => ({ type: "FeatureCollection", features: [] });
const map = new maplibregl.Map({
  container: "map", center: [127, 37], zoom: 7, attributionControl: { compact: true },
  style: { version: 8, sources: {}, layers: [
    { id: "sea", type: "background", paint: { "background-color": "#d7e7f2" } }] },
});

function column(cols, i) {
  const row = {};
  for (const k of Object.keys(cols)) row[k] = cols[k][i];
  return row;
}

function index(data) {
  state.byTrack = new Map();
  state.byTruth = new Map();
  data.tracks.t.forEach((_, i) => {
    const id = data.tracks.id[i];
    if (!state.byTrack.has(id)) state.byTrack.set(id, []);
    state.byTrack.get(id).push(i);
  });
  data.truth.t.forEach((_, i) => {
    const id = data.truth.id[i];
    if (!state.byTruth.has(id)) state.byTruth.set(id, []);
    state.byTruth.get(id).push(i);
  });
}

function lastAtOrBefore(rows, times, t) {
  let best = -1;
  for (const i of rows) { if (times[i] !== null && times[i] <= t) best = i; else if (times[i] > t) break; }
  return best;
}

function draw() {
  const d = state.data;
  if (!d || !map.getSource("truth")) return;
  const t = state.t;
  // Truth: each object's path so far.
  const truth = empty();
  for (const [id, rows] of state.byTruth) {
    const pts = rows.filter((i) => d.truth.t[i] <= t).map((i) => [d.truth.lon[i], d.truth.lat[i]]);
    if (pts.length > 1) truth.features.push({ type: "Feature", properties: { id, kind: d.truth.kind[rows[0]] },
      geometry: { type: "LineString", coordinates: pts } });
  }
  map.getSource("truth").setData(truth);
  // Detections of the last few seconds.
  const det = empty();
  d.detections.t.forEach((tt, i) => {
    if (tt !== null && tt <= t && tt > t - DETECTION_WINDOW_S && d.detections.lat[i] !== null)
      det.features.push({ type: "Feature", properties: { colour: state.radarColour[d.detections.radar[i]] || "#444" },
        geometry: { type: "Point", coordinates: [d.detections.lon[i], d.detections.lat[i]] } });
  });
  map.getSource("detections").setData(det);
  // Tracks: where each is now, and its trail.
  const tracks = empty();
  const trails = empty();
  for (const [id, rows] of state.byTrack) {
    const i = lastAtOrBefore(rows, d.tracks.t, t);
    // A confirmed track shows while updated in the last 30 s, a tentative one 10 s.
    const confirmed = i >= 0 && d.tracks.status[i] === "confirmed";
    if (i < 0 || t - d.tracks.t[i] > (confirmed ? 30 : 10)) continue;
    tracks.features.push({ type: "Feature", properties: { id, status: d.tracks.status[i], label: `T${id}` },
      geometry: { type: "Point", coordinates: [d.tracks.lon[i], d.tracks.lat[i]] } });
    const pts = rows.filter((k) => d.tracks.t[k] <= t).map((k) => [d.tracks.lon[k], d.tracks.lat[k]]);
    if (pts.length > 1) trails.features.push({ type: "Feature", properties: { id, picked: id === state.picked },
      geometry: { type: "LineString", coordinates: pts } });
  }
  map.getSource("tracks").setData(tracks);
  state.drawnTracks = tracks;
  labelTracks(tracks.features);
  map.getSource("trails").setData(trails);
  // Interceptors: launcher to end, the missile moving along it in flight.
  const fly = empty();
  for (const g of d.engagements) {
    if (g.t0 > t) continue;
    const f = Math.min(1, (t - g.t0) / Math.max(g.t1 - g.t0, 1e-6));
    const [a, b] = g.path;
    const head = [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])];
    fly.features.push({ type: "Feature", properties: { outcome: f < 1 ? "flying" : g.outcome },
      geometry: { type: "LineString", coordinates: [a, head] } });
  }
  map.getSource("interceptors").setData(fly);
  // Located points of origin and impact with their 95 % ellipses, once found.
  const loc = empty();
  for (const x of d.locates) {
    if (x.t > t) continue;
    for (const which of ["poo", "poi"]) loc.features.push({ type: "Feature", properties: { which },
      geometry: { type: "Polygon", coordinates: [x[which].ellipse] } });
  }
  map.getSource("locates").setData(loc);
  // Alerts sounded so far.
  const ul = document.getElementById("alerts");
  const items = d.alerts.t.map((tt, i) => [tt, i]).filter(([tt]) => tt <= t).slice(-12).reverse();
  ul.innerHTML = items.map(([tt, i]) =>
    `<li>${tt.toFixed(1)} s: ${d.alerts.asset[i]} — track ${d.alerts.track[i]}, ${d.alerts.warning_s[i]} s warning</li>`).join("");
  document.getElementById("clock").textContent = `t = ${t.toFixed(1)} s`;
  document.getElementById("slider").value = t;
  showHistory();
  document.body.dataset.drawnT = t.toFixed(1);
  document.body.dataset.tracksDrawn = String(tracks.features.length);
}

// Track numbers as HTML labels: the map has no glyph server (nothing leaves the machine).
const labels = new Map();
function labelTracks(features) {
  const seen = new Set();
  for (const f of features) {
    if (f.properties.status !== "confirmed") continue;  // tentative ones: dots, unlabelled
    const id = f.properties.id;
    seen.add(id);
    if (!labels.has(id)) {
      const el = document.createElement("div");
      el.className = "track-label";
      el.textContent = f.properties.label;
      el.addEventListener("click", () => { state.picked = id; draw(); });
      labels.set(id, new maplibregl.Marker({ element: el, offset: [0, -12] }).setLngLat(f.geometry.coordinates).addTo(map));
    }
    labels.get(id).setLngLat(f.geometry.coordinates);
  }
  for (const [id, marker] of labels) if (!seen.has(id)) { marker.remove(); labels.delete(id); }
}

function showHistory() {
  const d = state.data;
  const table = document.getElementById("history");
  if (state.picked === null || !state.byTrack.has(state.picked)) { table.innerHTML = ""; return; }
  document.getElementById("pick").textContent = `Track T${state.picked}`;
  const rows = state.byTrack.get(state.picked).filter((i) => d.tracks.t[i] <= state.t).slice(-15);
  table.innerHTML = "<tr><th>t s</th><th>status</th><th>alt m</th><th>speed m/s</th></tr>" + rows.map((i) =>
    `<tr><td>${d.tracks.t[i].toFixed(1)}</td><td>${d.tracks.status[i]}</td><td>${Math.round(d.tracks.alt[i])}</td>` +
    `<td>${Math.round(d.tracks.speed[i])}</td></tr>`).join("");
}

function setTime(t) {
  state.t = Math.max(0, Math.min(t, state.tMax));
  draw();
}

function addLayers(meta) {
  const add = (id, src, spec) => { if (!map.getSource(src)) map.addSource(src, { type: "geojson", data: empty() });
    map.addLayer({ id, source: src, ...spec }); };
  // Coverage outlines and sites.
  const cov = empty();
  const sites = empty();
  meta.radars.forEach((r, k) => {
    state.radarColour[r.id] = RADAR_COLOURS[k % RADAR_COLOURS.length];
    for (const line of r.coverage) cov.features.push({ type: "Feature", properties: { colour: RADAR_COLOURS[k % RADAR_COLOURS.length] },
      geometry: { type: "LineString", coordinates: line } });
    sites.features.push({ type: "Feature", properties: { label: r.id, kind: "radar" }, geometry: { type: "Point", coordinates: [r.lon, r.lat] } });
  });
  meta.assets.forEach((a) => sites.features.push({ type: "Feature", properties: { label: a.id, kind: "asset" },
    geometry: { type: "Point", coordinates: [a.lon, a.lat] } }));
  map.addSource("coverage", { type: "geojson", data: cov });
  map.addLayer({ id: "coverage", type: "line", source: "coverage", paint: { "line-color": ["get", "colour"], "line-width": 1.5, "line-dasharray": [3, 2] } });
  add("truth", "truth", { type: "line", paint: { "line-color": ["match", ["get", "kind"], ...Object.entries(KIND_COLOURS).flat(), "#777"], "line-width": 1.5, "line-opacity": 0.5 } });
  add("detections", "detections", { type: "circle", paint: { "circle-radius": 2.5, "circle-color": ["get", "colour"], "circle-opacity": 0.7 } });
  add("trails", "trails", { type: "line", paint: { "line-color": ["case", ["get", "picked"], "#ff00aa", "#111"], "line-width": ["case", ["get", "picked"], 3, 1] } });
  add("interceptors", "interceptors", { type: "line", paint: { "line-color": ["match", ["get", "outcome"], "kill", OUTCOME_COLOURS.kill, "miss", OUTCOME_COLOURS.miss, "flying", "#000", OUTCOME_COLOURS.aborted], "line-width": 2 } });
  add("locates", "locates", { type: "fill", paint: { "fill-color": ["match", ["get", "which"], "poo", "#d62728", "#1f3fbf"], "fill-opacity": 0.35 } });
  add("tracks", "tracks", { type: "circle", paint: { "circle-radius": ["match", ["get", "status"], "confirmed", 5, 3], "circle-color": ["match", ["get", "status"], "confirmed", "#111", "#aaa"], "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
  map.addSource("sites", { type: "geojson", data: sites });
  map.addLayer({ id: "sites", type: "circle", source: "sites", paint: { "circle-radius": 6, "circle-color": ["match", ["get", "kind"], "radar", "#000", "#3a7"] } });
  map.on("click", "tracks", (e) => { state.picked = e.features[0].properties.id; draw(); });
}

const LAYDOWN_COLOURS = ["#7b3294", "#e66101", "#1b7837", "#2166ac", "#b2182b", "#8c510a"];

function addLaydown(layer) {
  // Each placed item in its colour: its zone, candidates, the move from its own site to the chosen one.
  const items = [...new Set(layer.features.map((f) => f.properties.item))];
  const colour = ["match", ["get", "item"], ...items.flatMap((id, k) => [id, LAYDOWN_COLOURS[k % LAYDOWN_COLOURS.length]]), "#555"];
  const byRole = (role) => layer.features.filter((f) => f.properties.role === role);
  const moves = byRole("chosen").map((c) => {
    const own = byRole("own").find((o) => o.properties.item === c.properties.item);
    return { type: "Feature", properties: c.properties, geometry: { type: "LineString", coordinates: [own.geometry.coordinates, c.geometry.coordinates] } };
  });
  map.addSource("laydown", { type: "geojson", data: layer });
  map.addSource("laydown-moves", { type: "geojson", data: { type: "FeatureCollection", features: moves } });
  map.addLayer({ id: "laydown-zones", type: "line", source: "laydown", filter: ["==", ["get", "role"], "zone"], paint: { "line-color": colour, "line-width": 1.5, "line-dasharray": [2, 2] } });
  map.addLayer({ id: "laydown-candidates", type: "circle", source: "laydown", filter: ["==", ["get", "role"], "candidates"], paint: { "circle-radius": 1.8, "circle-color": colour, "circle-opacity": 0.5 } });
  map.addLayer({ id: "laydown-moves", type: "line", source: "laydown-moves", paint: { "line-color": colour, "line-width": 2 } });
  map.addLayer({ id: "laydown-own", type: "circle", source: "laydown", filter: ["==", ["get", "role"], "own"], paint: { "circle-radius": 5, "circle-color": "#fff", "circle-stroke-color": colour, "circle-stroke-width": 2 } });
  map.addLayer({ id: "laydown-chosen", type: "circle", source: "laydown", filter: ["==", ["get", "role"], "chosen"], paint: { "circle-radius": 7, "circle-color": colour, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
  state.laydown = { items, chosen: byRole("chosen").length };
  document.getElementById("pick").textContent = `Laydown: ${items.join(", ")} — open circle: the scenario's own site, filled: the chosen one.`;
}

async function start() {
  const config = await (await fetch("/api/config")).json();
  state.live = config.live;
  const topo = await (await fetch("/static/vendor/countries-50m.json")).json();
  map.addSource("land", { type: "geojson", data: topojson.feature(topo, topo.objects.land) });
  map.addLayer({ id: "land", type: "fill", source: "land", paint: { "fill-color": "#f3f0e6" } });
  map.addSource("borders", { type: "geojson", data: topojson.mesh(topo, topo.objects.countries, (a, b) => a !== b) });
  map.addLayer({ id: "borders", type: "line", source: "borders", paint: { "line-color": "#8a8a8a", "line-width": 1 } });
  const meta = await (await fetch("/api/meta")).json();
  document.getElementById("title").textContent = `gbad ${meta.scenario}`;
  map.jumpTo({ center: [meta.origin.lon, meta.origin.lat], zoom: 7.5 });
  addLayers(meta);
  if (config.laydown) addLaydown(await (await fetch("/api/laydown")).json());
  if (state.live) return follow(meta);
  if (!config.run) {
    document.getElementById("status").textContent = "the laydown alone (no run)";
    map.once("idle", () => { document.body.dataset.ready = "1"; });
    return;
  }
  document.getElementById("status").textContent = "loading the run…";
  state.data = await (await fetch("/api/run")).json();
  index(state.data);
  state.tMax = meta.duration_s;
  document.getElementById("slider").max = state.tMax;
  document.getElementById("status").textContent = "";
  setTime(Math.min(120, state.tMax));
  map.once("idle", () => { document.body.dataset.ready = "1"; });
}

function follow(meta) {
  state.data = { truth: null, tracks: null, detections: null, alerts: null, engagements: [], locates: [] };
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "status") { document.getElementById("status").textContent = m.text; return; }
    for (const key of ["truth", "tracks", "detections", "alerts"]) {
      const part = m[key];
      if (!part) continue;
      if (!state.data[key]) state.data[key] = Object.fromEntries(Object.keys(part).map((k) => [k, []]));
      for (const [k, v] of Object.entries(part)) state.data[key][k] = state.data[key][k].concat(v);
    }
    for (const key of ["engagements", "locates"]) state.data[key] = state.data[key].concat(m[key] || []);
    if (!state.data.truth) return;
    index(state.data);
    state.tMax = m.t;
    document.getElementById("slider").max = meta.duration_s;
    document.getElementById("status").textContent = m.type === "end" ? "live: the run is over" : "live";
    document.body.dataset.liveT = String(m.t);
    setTime(m.t);
    document.body.dataset.ready = "1";
  };
}

document.getElementById("slider").addEventListener("input", (e) => { state.playing = false; setTime(parseFloat(e.target.value)); });
document.getElementById("play").addEventListener("click", () => {
  state.playing = !state.playing;
  document.getElementById("play").textContent = state.playing ? "Pause" : "Play";
  let last = performance.now();
  const tick = (now) => {
    if (!state.playing) return;
    const speed = parseFloat(document.getElementById("speed").value);
    setTime(state.t + ((now - last) / 1000) * speed);
    last = now;
    if (state.t < state.tMax) requestAnimationFrame(tick); else state.playing = false;
  };
  requestAnimationFrame(tick);
});
window.gbadViewer = { map, setTime, state, pick: (id) => { state.picked = id; draw(); } };
map.on("load", start);
