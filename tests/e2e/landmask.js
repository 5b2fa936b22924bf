// Natural Earth's 1:50m land polygons (npm world-atlas, through
// topojson-client), the judge of maritime-synth's sea routes.  A point is
// on land when an even-odd ray cast eastwards crosses the land rings an odd
// number of times; the edges are indexed by latitude band so that 300,000
// points take about a second.  The first points of each run are checked
// again with turf's booleanPointInPolygon, and any disagreement fails.
//
// Usage: node landmask.js positions FILE...  (NDJSON vessel_positions rows)
//        node landmask.js legs FILE [KM]     (GeoJSON of LineStrings,
//                                              sampled every KM, 5)
//        node landmask.js points              ("lat lon" lines on stdin)
//        node landmask.js coast               (gnuplot "lon lat" rings, cut
//                                              at the antimeridian)
// Prints one JSON summary (positions, legs) or one line per point; exits 1
// when turf disagrees, 2 on bad input.
'use strict';
const fs = require('fs');
const path = require('path');
const mods = path.join(__dirname, '../clients/node_modules');
const topojson = require(path.join(mods, 'topojson-client'));
const pip = require(path.join(mods, '@turf/boolean-point-in-polygon')).default;
const topo = require(path.join(mods, 'world-atlas/land-50m.json'));

const land = topojson.feature(topo, topo.objects.land);
const polys = land.features.flatMap((f) => f.geometry.type === 'Polygon' ?
  [f.geometry.coordinates] : f.geometry.coordinates);
// topojson-client stitches rings across the antimeridian, so a few edges
// jump from +180 to -180.  Such an edge is cut in two at the antimeridian,
// and the ring's boundary along it becomes a vertical edge from the South
// Pole up to the cut (parity of the cuts above a point, the North Pole
// being at sea); Antarctica, around the South Pole, comes out right too.
// Each edge carries whether its polygon wraps, so turf can check the rest.
const BAND = 0.25;
const bands = Array.from({length: Math.ceil(180 / BAND) + 1}, () => []);
const wraps = polys.map((p) => p.some((r) => r.some((c, i) =>
  i > 0 && Math.abs(c[0] - r[i - 1][0]) > 180)));
function addEdge(x1, y1, x2, y2, w) {
  if (y1 === y2) return;
  const lo = Math.floor((Math.min(y1, y2) + 90) / BAND);
  const hi = Math.floor((Math.max(y1, y2) + 90) / BAND);
  for (let b = lo; b <= hi; b++) bands[b].push(x1, y1, x2, y2, w);
}
polys.forEach((poly, pi) => {
  const w = wraps[pi] ? 1 : 0;
  for (const ring of poly)
    for (let i = 1; i < ring.length; i++) {
      const [x1, y1] = ring[i - 1], [x2, y2] = ring[i];
      if (Math.abs(x2 - x1) <= 180) {
        addEdge(x1, y1, x2, y2, w);
        continue;
      }
      const s = x1 > 0 ? 1 : -1;
      const dx = x2 + s * 360 - x1;
      const ym = dx === 0 ? y1 : y1 + (y2 - y1) * (s * 180 - x1) / dx;
      addEdge(x1, y1, s * 180, ym, w);
      addEdge(-s * 180, ym, x2, y2, w);
      addEdge(180, -90, 180, ym, w);
    }
});

// Whether [lon, lat] is on land; with plain, ignoring wrapping polygons.
function onLand(lon, lat, plain) {
  const e = bands[Math.floor((lat + 90) / BAND)];
  let inside = false;
  for (let i = 0; i < e.length; i += 5) {
    const x1 = e[i], y1 = e[i + 1], x2 = e[i + 2], y2 = e[i + 3];
    if (plain && e[i + 4]) continue;
    if ((y1 > lat) !== (y2 > lat) &&
        (x1 === x2 ? x1 : x1 + (lat - y1) * (x2 - x1) / (y2 - y1)) > lon)
      inside = !inside;
  }
  return inside;
}

const polyFeatures = polys.filter((p, i) => !wraps[i]).map((p) => {
  let b = [180, 90, -180, -90];
  for (const [x, y] of p[0])
    b = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)];
  return {type: 'Feature', bbox: b, properties: {},
    geometry: {type: 'Polygon', coordinates: p}};
});
let turfLeft = 2000, disagree = 0;
function check(lon, lat) {
  const r = onLand(lon, lat, false);
  if (turfLeft > 0) {
    turfLeft--;
    const t = polyFeatures.some((f) => lon >= f.bbox[0] && lon <= f.bbox[2] &&
      lat >= f.bbox[1] && lat <= f.bbox[3] && pip([lon, lat], f));
    if (t !== onLand(lon, lat, true)) disagree++;
  }
  return r;
}

// Great-circle interpolation between two [lon, lat] points.
const RAD = Math.PI / 180, R_KM = 6371;
function vec([lon, lat]) {
  return [Math.cos(lat * RAD) * Math.cos(lon * RAD),
    Math.cos(lat * RAD) * Math.sin(lon * RAD), Math.sin(lat * RAD)];
}
function samples(a, b, stepKm) {
  const p = vec(a), q = vec(b);
  const d = Math.acos(Math.max(-1, Math.min(1, p[0] * q[0] + p[1] * q[1] + p[2] * q[2])));
  const n = Math.max(1, Math.ceil(d * R_KM / stepKm));
  const out = [];
  for (let i = 0; i <= n; i++) {
    const f = i / n;
    const s = d === 0 ? 0 : Math.sin((1 - f) * d) / Math.sin(d);
    const t = d === 0 ? 1 : Math.sin(f * d) / Math.sin(d);
    const v = [0, 1, 2].map((k) => s * p[k] + t * q[k]);
    out.push([Math.atan2(v[1], v[0]) / RAD,
      Math.atan2(v[2], Math.hypot(v[0], v[1])) / RAD]);
  }
  return {km: d * R_KM, points: out};
}

// The canals cross land at 1:50m; positions in them are not counted.
const CANALS = [[29.85, 31.35, 32.2, 32.65], [8.8, 9.45, -80.0, -79.45]];
const inCanal = (lat, lon) => CANALS.some(([a, b, c, d]) =>
  lat >= a && lat <= b && lon >= c && lon <= d);

function positions(files) {
  let rows = 0, underway = 0, onland = 0, canal = 0;
  const examples = [];
  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      let r;
      try { r = JSON.parse(line); } catch (e) {
        console.error(`landmask: ${file}:${i + 1}: invalid JSON`);
        process.exit(2);
      }
      rows++;
      if (!(r.speed_knots > 3)) return;
      underway++;
      if (inCanal(r.latitude, r.longitude)) { canal++; return; }
      if (check(r.longitude, r.latitude)) {
        onland++;
        if (examples.length < 5)
          examples.push([r.latitude, r.longitude, r.destination]);
      }
    });
  }
  return {rows, underway, inCanal: canal, onLand: onland,
    share: underway ? onland / underway : 0, examples};
}

function legs(file, stepKm) {
  const fc = JSON.parse(fs.readFileSync(file, 'utf8'));
  let n = 0, km = 0, points = 0, maxStep = 0, canals = 0;
  const bad = [];
  for (const f of fc.features) {
    const g = f.geometry;
    if (g.type !== 'LineString' && g.type !== 'MultiLineString') continue;
    if (f.properties.kind === 'canal') { canals++; continue; }
    n++;
    let land = 0;
    for (const c of g.type === 'LineString' ? [g.coordinates] : g.coordinates)
    for (let i = 1; i < c.length; i++) {
      const s = samples(c[i - 1], c[i], stepKm);
      km += s.km;
      maxStep = Math.max(maxStep, s.km / (s.points.length - 1));
      for (const [lon, lat] of s.points) {
        points++;
        if (check(lon, lat)) land++;
      }
    }
    if (land) bad.push({leg: f.properties.name || f.properties, landSamples: land});
  }
  return {legs: n, canals, km: Math.round(km), samples: points,
    maxStepKm: Math.round(maxStep * 100) / 100, onLand: bad};
}

const [mode, ...args] = process.argv.slice(2);
let out;
if (mode === 'positions') {
  out = positions(args);
} else if (mode === 'legs') {
  out = legs(args[0], Number(args[1] || 5));
} else if (mode === 'points') {
  for (const line of fs.readFileSync(0, 'utf8').split('\n')) {
    const [lat, lon] = line.trim().split(/\s+/).map(Number);
    if (line.trim() !== '')
      process.stdout.write(`${lat} ${lon} ${check(lon, lat) ? 'land' : 'sea'}\n`);
  }
} else if (mode === 'coast') {
  const w = [];
  for (const poly of polys)
    for (const ring of poly)
      w.push(ring.map(([x, y], i) => (i > 0 &&
        Math.abs(x - ring[i - 1][0]) > 180 ? '\n' : '') + `${x} ${y}`)
        .join('\n'), '\n\n');
  process.stdout.write(w.join(''));
} else {
  console.error('usage: node landmask.js positions|legs|points|coast [FILE...]');
  process.exit(2);
}
if (out) {
  out.turfChecked = 2000 - turfLeft;
  out.turfDisagree = disagree;
  process.stdout.write(JSON.stringify(out) + '\n');
}
process.exit(disagree ? 1 : 0);
