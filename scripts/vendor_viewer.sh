#!/bin/sh
# Refresh the viewer's vendored JavaScript and map data (committed under
# src/gbad/viewer/static/vendor, so that `pip install` alone serves the viewer; nothing is
# fetched at run time). Needs npm and the npm registry; run from the repository root.
set -eu
dest=src/gbad/viewer/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent maplibre-gl@5.24.0 world-atlas@2.0.2 topojson-client@3.1.0 >/dev/null)
for p in maplibre-gl-5.24.0 world-atlas-2.0.2 topojson-client-3.1.0; do
  mkdir "$tmp/$p" && tar xzf "$tmp/$p.tgz" -C "$tmp/$p"
done
cp "$tmp/maplibre-gl-5.24.0/package/dist/maplibre-gl.js" "$tmp/maplibre-gl-5.24.0/package/dist/maplibre-gl.css" "$dest/"
cp "$tmp/maplibre-gl-5.24.0/package/LICENSE.txt" "$dest/LICENSE-maplibre-gl.txt"
cp "$tmp/topojson-client-3.1.0/package/dist/topojson-client.min.js" "$dest/"
cp "$tmp/topojson-client-3.1.0/package/LICENSE" "$dest/LICENSE-topojson-client.txt"
cp "$tmp/world-atlas-2.0.2/package/countries-50m.json" "$dest/"
cp "$tmp/world-atlas-2.0.2/package/LICENSE" "$dest/LICENSE-world-atlas.txt"
(cd "$dest" && sha256sum maplibre-gl.js maplibre-gl.css topojson-client.min.js countries-50m.json)
