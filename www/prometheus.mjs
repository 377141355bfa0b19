// Reads the Prometheus text format of /metrics for the dashboard: samples
// by name and labels, histograms, and percentiles from histogram buckets.
// No DOM, so node's test runner imports it as it is
// (test/browser/prometheus.test.mjs).

function parseValue(s) {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (s === undefined || s === '') return undefined;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}

export function seriesKey(name, labels) {
  const names = Object.keys(labels || {}).sort();
  if (names.length === 0) return name;
  return name + '{' + names.map((n) => n + '=' + JSON.stringify(labels[n])).join(',') + '}';
}

// Returns { values: Map(seriesKey -> number), byName: Map(name -> [{labels, value}]) }.
// Comments, blank lines and lines it cannot read are skipped.
export function parseMetrics(text) {
  const values = new Map();
  const byName = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line[0] === '#') continue;
    const m = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line);
    if (!m) continue;
    const name = m[0];
    let i = name.length;
    const labels = {};
    let ok = true;
    if (line[i] === '{') {
      i += 1;
      for (;;) {
        while (line[i] === ' ' || line[i] === ',') i += 1;
        if (line[i] === '}') {
          i += 1;
          break;
        }
        const eq = line.indexOf('=', i);
        if (eq < 0 || line[eq + 1] !== '"') {
          ok = false;
          break;
        }
        const label = line.slice(i, eq).trim();
        let j = eq + 2;
        let val = '';
        while (j < line.length && line[j] !== '"') {
          if (line[j] === '\\' && j + 1 < line.length) {
            val += line[j + 1] === 'n' ? '\n' : line[j + 1];
            j += 2;
          } else {
            val += line[j];
            j += 1;
          }
        }
        if (j >= line.length) {
          ok = false;
          break;
        }
        labels[label] = val;
        i = j + 1;
      }
    }
    if (!ok) continue;
    const value = parseValue(line.slice(i).trim().split(/\s+/)[0]);
    if (value === undefined) continue;
    values.set(seriesKey(name, labels), value);
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name).push({ labels, value });
  }
  return { values, byName };
}

export function num(metrics, name, labels) {
  const v = metrics.values.get(seriesKey(name, labels));
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function sumOf(...xs) {
  const present = xs.filter((x) => x !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) : null;
}

// Cumulative histogram buckets sorted by upper bound, +Inf last; null if absent.
export function histogram(metrics, name) {
  const rows = metrics.byName.get(name + '_bucket');
  if (!rows || rows.length === 0) return null;
  const buckets = [];
  for (const r of rows) {
    const le = parseValue(r.labels.le);
    if (le === undefined || Number.isNaN(le)) continue;
    buckets.push({ le, c: r.value });
  }
  buckets.sort((a, b) => a.le - b.le);
  if (buckets.length === 0 || buckets[buckets.length - 1].le !== Infinity) return null;
  return buckets;
}

// Bucket counts observed between two cumulative snapshots; null if the
// bucket layouts differ.
export function bucketDelta(now, then) {
  if (!now || !then || now.length !== then.length) return null;
  const out = [];
  let floor = 0;
  for (let i = 0; i < now.length; i++) {
    if (now[i].le !== then[i].le) return null;
    // Counters are read one by one, not as a snapshot: keep it monotonic.
    floor = Math.max(floor, now[i].c - then[i].c);
    out.push({ le: now[i].le, c: floor });
  }
  return out;
}

// Like PromQL histogram_quantile(): linear interpolation inside the bucket
// the rank falls into; the first bucket starts at 0. A rank in the +Inf
// bucket gives the largest finite bound with `above` set.
export function quantile(q, buckets) {
  const total = buckets[buckets.length - 1].c;
  if (!(total > 0)) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.c >= rank && b.c > below) {
      if (b.le === Infinity) return { v: lower, above: true };
      return { v: lower + (b.le - lower) * (rank - below) / (b.c - below), above: false };
    }
    lower = b.le;
    below = b.c;
  }
  return null;
}

// Per-second rate of a counter between two readings dtSeconds apart; null
// when either is missing or the counter went down (its process restarted, so
// the difference means nothing).
export function counterRate(now, then, dtSeconds) {
  if (now === null || then === null || !(dtSeconds > 0) || now < then) return null;
  return (now - then) / dtSeconds;
}
