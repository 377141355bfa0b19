// actorchat live dashboard. Polls /metrics (Prometheus text format) once a
// second, keeps the last 5 minutes in memory and draws small line charts on
// <canvas>. No framework and no network access other than /metrics; text
// goes into the page with textContent only.
'use strict';

(function () {
  const POLL_MS = 1000;
  const FETCH_TIMEOUT_MS = 2500;
  const KEEP_MS = 5 * 60 * 1000;       // history shown and kept
  const LATENCY_WINDOW_MS = 60 * 1000; // percentiles are over this window
  const GAP_MS = 3500;                 // points further apart are not joined
  const ACTORS = ['registry', 'room', 'session'];
  const NA = 'n/a';
  const NONE = '—';

  const $ = (id) => document.getElementById(id);

  // ---- Prometheus text format ----------------------------------------------

  function parseValue(s) {
    if (s === '+Inf' || s === 'Inf') return Infinity;
    if (s === '-Inf') return -Infinity;
    if (s === 'NaN') return NaN;
    if (s === undefined || s === '') return undefined;
    const v = Number(s);
    return Number.isNaN(v) ? undefined : v;
  }

  function seriesKey(name, labels) {
    const names = Object.keys(labels || {}).sort();
    if (names.length === 0) return name;
    return name + '{' + names.map((n) => n + '=' + JSON.stringify(labels[n])).join(',') + '}';
  }

  // Returns { values: Map(seriesKey -> number), byName: Map(name -> [{labels, value}]) }.
  // Comments, blank lines and lines it cannot read are skipped.
  function parseMetrics(text) {
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

  function num(metrics, name, labels) {
    const v = metrics.values.get(seriesKey(name, labels));
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }

  function sumOf(...xs) {
    const present = xs.filter((x) => x !== null);
    return present.length ? present.reduce((a, b) => a + b, 0) : null;
  }

  // Cumulative histogram buckets sorted by upper bound, +Inf last; null if absent.
  function histogram(metrics, name) {
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
  function bucketDelta(now, then) {
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
  function quantile(q, buckets) {
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

  // ---- history ---------------------------------------------------------------

  // Each sample: { t (performance.now ms), wall (Date ms), gauges, counters,
  // mailbox, buckets, d (values derived against earlier samples) }.
  let history = [];

  function readSample(metrics, t, wall) {
    const actors = {};
    const mailbox = {};
    for (const a of ACTORS) {
      actors[a] = num(metrics, 'chat_actor_messages_total', { actor: a });
      mailbox[a] = num(metrics, 'chat_actor_mailbox_max', { actor: a });
    }
    return {
      t,
      wall,
      gauges: {
        sessions: num(metrics, 'chat_sessions'),
        rooms: num(metrics, 'chat_rooms'),
        connections: num(metrics, 'chat_connections'),
        rss: num(metrics, 'process_resident_memory_bytes'),
      },
      counters: {
        msgs: sumOf(num(metrics, 'chat_messages_total', { kind: 'broadcast' }),
          num(metrics, 'chat_messages_total', { kind: 'private' })),
        deliveries: num(metrics, 'chat_deliveries_total'),
        writes: num(metrics, 'chat_socket_writes_total'),
        cpu: num(metrics, 'process_cpu_seconds_total'),
        actors,
      },
      mailbox,
      buckets: histogram(metrics, 'chat_delivery_seconds'),
      d: null,
    };
  }

  function rate(now, then, dtSeconds) {
    if (now === null || then === null || !(dtSeconds > 0)) return null;
    return Math.max(0, now - then) / dtSeconds;
  }

  // Did a counter go down? Then the server restarted and old samples mean nothing.
  function counterReset(cur, prev) {
    const pairs = [
      [cur.counters.msgs, prev.counters.msgs],
      [cur.counters.deliveries, prev.counters.deliveries],
      [cur.counters.cpu, prev.counters.cpu],
      [cur.buckets && cur.buckets[cur.buckets.length - 1].c,
        prev.buckets && prev.buckets[prev.buckets.length - 1].c],
    ];
    return pairs.some(([a, b]) => typeof a === 'number' && typeof b === 'number' && a < b);
  }

  function derive(cur) {
    const prev = history.length ? history[history.length - 1] : null;
    const d = { msgs: null, deliveries: null, perWrite: null, cpu: null, actors: {}, latency: null };
    for (const a of ACTORS) d.actors[a] = null;

    if (prev) {
      const dt = (cur.t - prev.t) / 1000;
      d.msgs = rate(cur.counters.msgs, prev.counters.msgs, dt);
      d.deliveries = rate(cur.counters.deliveries, prev.counters.deliveries, dt);
      // Deliveries per write system call: above 1 when frames leave together.
      const writes = rate(cur.counters.writes, prev.counters.writes, dt);
      if (writes > 0 && d.deliveries !== null) d.perWrite = d.deliveries / writes;
      const cpu = rate(cur.counters.cpu, prev.counters.cpu, dt);
      d.cpu = cpu === null ? null : cpu * 100;
      for (const a of ACTORS) d.actors[a] = rate(cur.counters.actors[a], prev.counters.actors[a], dt);
    }

    // Latency: bucket deltas between now and the oldest sample within ~60 s.
    if (!cur.buckets) {
      d.latency = { state: 'absent' };
    } else {
      const from = cur.t - LATENCY_WINDOW_MS - POLL_MS / 2;
      const base = history.find((s) => s.t >= from && s.buckets);
      const delta = base ? bucketDelta(cur.buckets, base.buckets) : null;
      if (!delta) {
        d.latency = { state: 'waiting' };
      } else {
        const p50 = quantile(0.5, delta);
        const p99 = quantile(0.99, delta);
        d.latency = p50 && p99
          ? { state: 'ok', p50, p99, count: delta[delta.length - 1].c, span: (cur.t - base.t) / 1000 }
          : { state: 'idle', span: (cur.t - base.t) / 1000 };
      }
    }
    return d;
  }

  function ingest(metrics, t, wall) {
    const cur = readSample(metrics, t, wall);
    if (history.length && counterReset(cur, history[history.length - 1])) history = [];
    cur.d = derive(cur);
    history.push(cur);
    while (history.length && history[0].t < t - KEEP_MS - POLL_MS) history.shift();
  }

  // ---- formatting --------------------------------------------------------------

  function sig3(x) {
    const a = Math.abs(x);
    if (a >= 100) return String(Math.round(x));
    if (a >= 10) return x.toFixed(1).replace(/\.0$/, '');
    if (a === 0) return '0';
    return x.toFixed(2).replace(/\.?0+$/, '');
  }

  const fmt = {
    count: (v) => (v === null ? NA : String(Math.round(v))),
    rate: (v) => {
      if (v === null) return NA;
      if (v === 0) return '0';
      if (v < 10) return v.toFixed(1);
      return String(Math.round(v));
    },
    seconds: (v) => {
      if (v === null) return NA;
      if (v === 0) return '0';
      if (v < 1e-3) return sig3(v * 1e6) + ' µs';
      if (v < 1) return sig3(v * 1e3) + ' ms';
      return sig3(v) + ' s';
    },
    percent: (v) => {
      if (v === null) return NA;
      return (v > 0 && v < 10 && !Number.isInteger(v) ? v.toFixed(1) : String(Math.round(v))) + ' %';
    },
    mib: (v) => (v === null ? NA : sig3(v) + ' MiB'),
    axis: (v) => sig3(v),
    bytes: (v) => {
      if (v === null) return NA;
      const mib = v / (1024 * 1024);
      if (mib >= 1024) return sig3(mib / 1024) + ' GiB';
      if (mib >= 1) return sig3(mib) + ' MiB';
      return sig3(v / 1024) + ' KiB';
    },
  };

  function pad2(n) {
    return String(n).padStart(2, '0');
  }

  // ---- chart helper ------------------------------------------------------------

  function cssVar(name, fallback) {
    const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  // A "nice" upper bound: 1, 2, 4, 6, 8 or 10 times a power of ten, so the
  // half-way grid line is a round number too.
  function niceCeil(x) {
    if (!(x > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(x)));
    for (const f of [1, 2, 4, 6, 8, 10]) {
      if (x <= f * p * (1 + 1e-9)) return f * p;
    }
    return 10 * p;
  }

  // Draws series = [{ points: [[t, v|null], ...], color, fill }] over the
  // time range [t1 - KEEP_MS, t1], y from 0 to a nice maximum, with y values
  // and a time axis as text. `message` is written across the plot if given.
  function drawChart(canvas, { series, t1, yFormat, minTop, message }) {
    const cssW = canvas.clientWidth;
    const cssH = canvas.clientHeight;
    if (!cssW || !cssH) return 0;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(cssW * dpr);
    const h = Math.round(cssH * dpr);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);

    const muted = cssVar('--muted', '#57606a');
    const grid = cssVar('--grid', '#d8dee4');
    ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

    let max = 0;
    let plotted = 0;
    for (const s of series) {
      for (const [, v] of s.points) if (v !== null && Number.isFinite(v)) max = Math.max(max, v);
    }
    const top = Math.max(niceCeil(max), minTop || 0);
    const ticks = [top, top / 2, 0];
    const labels = ticks.map(yFormat);
    const padL = Math.ceil(Math.max(...labels.map((l) => ctx.measureText(l).width))) + 8;
    const padR = 8;
    const padT = 7;
    const padB = 17;
    const x0 = padL;
    const x1 = cssW - padR;
    const y0 = padT;
    const y1 = cssH - padB;
    if (x1 - x0 < 20 || y1 - y0 < 20) return 0;
    const t0 = t1 - KEEP_MS;
    const X = (t) => x0 + ((t - t0) / KEEP_MS) * (x1 - x0);
    const Y = (v) => y1 - (v / top) * (y1 - y0);

    // grid and y labels
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    ticks.forEach((v, i) => {
      const y = Math.round(Y(v)) + 0.5;
      ctx.strokeStyle = grid;
      ctx.beginPath();
      ctx.moveTo(x0, y);
      ctx.lineTo(x1, y);
      ctx.stroke();
      ctx.fillStyle = muted;
      ctx.fillText(labels[i], x0 - 4, y);
    });

    // time axis: one label a minute, fewer when narrow
    ctx.textBaseline = 'top';
    const everyMin = x1 - x0 < 240 ? 2.5 : 1;
    for (let m = 5; m >= 0; m -= everyMin) {
      const x = X(t1 - m * 60000);
      ctx.textAlign = m === 5 ? 'left' : m === 0 ? 'right' : 'center';
      ctx.fillStyle = muted;
      ctx.fillText(m === 0 ? 'now' : '−' + m + 'm', x, y1 + 4);
    }

    // lines; points more than GAP_MS apart are not joined
    ctx.save();
    ctx.beginPath();
    ctx.rect(x0, y0 - 4, x1 - x0 + 4, y1 - y0 + 8); // room for the newest dot
    ctx.clip();
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    for (const s of series) {
      const runs = [];
      let run = [];
      let lastT = -Infinity;
      for (const [t, v] of s.points) {
        if (v === null || !Number.isFinite(v) || t < t0 - GAP_MS) {
          if (run.length) runs.push(run);
          run = [];
          continue;
        }
        if (t - lastT > GAP_MS && run.length) {
          runs.push(run);
          run = [];
        }
        run.push([X(t), Y(v)]);
        lastT = t;
        plotted += 1;
      }
      if (run.length) runs.push(run);
      for (const r of runs) {
        if (s.fill && r.length > 1) {
          ctx.globalAlpha = 0.14;
          ctx.fillStyle = s.color;
          ctx.beginPath();
          ctx.moveTo(r[0][0], y1);
          for (const [x, y] of r) ctx.lineTo(x, y);
          ctx.lineTo(r[r.length - 1][0], y1);
          ctx.closePath();
          ctx.fill();
          ctx.globalAlpha = 1;
        }
        ctx.strokeStyle = s.color;
        ctx.fillStyle = s.color;
        ctx.lineWidth = 2;
        if (r.length === 1) {
          ctx.beginPath();
          ctx.arc(r[0][0], r[0][1], 4, 0, 2 * Math.PI); // a lone sample stays visible
          ctx.fill();
          continue;
        }
        ctx.beginPath();
        ctx.moveTo(r[0][0], r[0][1]);
        for (let i = 1; i < r.length; i++) ctx.lineTo(r[i][0], r[i][1]);
        ctx.stroke();
      }
    }
    ctx.restore();

    if (message) {
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillStyle = muted;
      ctx.font = '13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      ctx.fillText(message, (x0 + x1) / 2, (y0 + y1) / 2);
    }
    canvas.dataset.points = String(plotted);
    return plotted;
  }

  // ---- the page ----------------------------------------------------------------

  const ui = {
    status: $('status'),
    updated: $('updated'),
    main: document.querySelector('main'),
    sessions: $('sessions-now'),
    connections: $('connections-now'),
    rooms: $('rooms-now'),
    msgs: $('msgs-rate-now'),
    deliveries: $('deliveries-rate-now'),
    perWrite: $('per-write-now'),
    p50: $('p50-now'),
    p99: $('p99-now'),
    latencyNote: $('latency-note'),
    cpu: $('cpu-now'),
    rss: $('rss-now'),
  };

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function setStatus(text, state) {
    setText(ui.status, text);
    ui.status.dataset.state = state;
  }

  // Each chart: canvas id, what it plots, how values read, its label.
  const charts = [
    { id: 'chart-sessions', title: 'Sessions', fmt: fmt.count, minTop: 2,
      pick: [(s) => s.gauges.sessions] },
    { id: 'chart-rooms', title: 'Rooms', fmt: fmt.count, minTop: 2,
      pick: [(s) => s.gauges.rooms] },
    { id: 'chart-msgs', title: 'Messages per second', fmt: fmt.rate, axis: fmt.axis, minTop: 1,
      pick: [(s) => s.d.msgs] },
    { id: 'chart-deliveries', title: 'Deliveries per second', fmt: fmt.rate, axis: fmt.axis, minTop: 1,
      pick: [(s) => s.d.deliveries] },
    { id: 'chart-latency', title: 'Delivery latency over the previous minute', fmt: fmt.seconds,
      pick: [
        (s) => (s.d.latency.state === 'ok' ? s.d.latency.p50.v : null),
        (s) => (s.d.latency.state === 'ok' ? s.d.latency.p99.v : null),
      ] },
    { id: 'chart-cpu', title: 'Server CPU', fmt: fmt.percent, minTop: 10,
      pick: [(s) => s.d.cpu] },
    { id: 'chart-rss', title: 'Server resident memory', fmt: fmt.mib, minTop: 1,
      pick: [(s) => (s.gauges.rss === null ? null : s.gauges.rss / (1024 * 1024))] },
  ];
  for (const c of charts) c.canvas = $(c.id);

  function latencyText(q) {
    return (q.above ? '> ' : '') + fmt.seconds(q.v);
  }

  function renderNumbers(last) {
    const g = last.gauges;
    const d = last.d;
    setText(ui.sessions, fmt.count(g.sessions));
    setText(ui.connections, fmt.count(g.connections));
    setText(ui.rooms, fmt.count(g.rooms));
    // The first sample has nothing to take a rate against yet.
    const firstRate = history.length < 2;
    setText(ui.msgs, firstRate && last.counters.msgs !== null ? NONE : fmt.rate(d.msgs));
    setText(ui.deliveries, firstRate && last.counters.deliveries !== null ? NONE : fmt.rate(d.deliveries));
    // No writes in the last interval (or the first sample): nothing to divide.
    setText(ui.perWrite, last.counters.writes === null ? NA
      : d.perWrite === null ? NONE : d.perWrite.toFixed(2));
    setText(ui.cpu, firstRate && last.counters.cpu !== null ? NONE : fmt.percent(d.cpu));
    setText(ui.rss, fmt.bytes(g.rss));

    const lat = d.latency;
    if (lat.state === 'ok') {
      setText(ui.p50, latencyText(lat.p50));
      setText(ui.p99, latencyText(lat.p99));
      setText(ui.latencyNote, lat.count + (lat.count === 1 ? ' message' : ' messages') + ' in the last ' +
        (lat.span >= 59 ? 'minute' : Math.round(lat.span) + ' s'));
    } else if (lat.state === 'absent') {
      setText(ui.p50, NA);
      setText(ui.p99, NA);
      setText(ui.latencyNote, 'chat_delivery_seconds is not in /metrics');
    } else {
      setText(ui.p50, NONE);
      setText(ui.p99, NONE);
      setText(ui.latencyNote, lat.state === 'idle' ? 'no deliveries in the last minute' : 'waiting for data');
    }

    for (const a of ACTORS) {
      setText($('actor-' + a + '-rate'), firstRate && last.counters.actors[a] !== null
        ? NONE : fmt.rate(d.actors[a]));
      setText($('actor-' + a + '-mailbox'), fmt.count(last.mailbox[a]));
    }

    const when = new Date(last.wall);
    setText(ui.updated, pad2(when.getHours()) + ':' + pad2(when.getMinutes()) + ':' + pad2(when.getSeconds()));
    ui.updated.dateTime = when.toISOString();
  }

  function renderCharts() {
    if (history.length === 0) return;
    const last = history[history.length - 1];
    const colors = [cssVar('--series-1', '#0b5cad'), cssVar('--series-2', '#c2410c')];
    for (const c of charts) {
      const series = c.pick.map((pick, i) => ({
        points: history.map((s) => [s.t, pick(s)]),
        color: colors[i % colors.length],
        fill: c.pick.length === 1,
      }));
      let message = null;
      let label;
      if (c.id === 'chart-latency') {
        const lat = last.d.latency;
        if (lat.state === 'absent') message = 'n/a: no chat_delivery_seconds in /metrics';
        else if (lat.state !== 'ok' && !series.some((s) => s.points.some(([, v]) => v !== null))) {
          message = lat.state === 'idle' ? 'no deliveries' : 'waiting for data';
        }
        label = lat.state === 'ok'
          ? 'now p50 ' + latencyText(lat.p50) + ', p99 ' + latencyText(lat.p99)
          : 'now ' + (lat.state === 'absent' ? NA : lat.state === 'idle' ? 'no deliveries' : 'waiting for data');
      } else {
        const v = c.pick[0](last);
        if (!history.some((s) => c.pick[0](s) !== null)) message = history.length < 2 ? 'waiting for data' : NA;
        label = 'now ' + (v === null ? (history.length < 2 ? 'waiting for data' : NA) : c.fmt(v));
      }
      drawChart(c.canvas, { series, t1: last.t, yFormat: c.axis || c.fmt, minTop: c.minTop, message });
      c.canvas.setAttribute('aria-label', c.title + ' over the last 5 minutes: ' + label);
    }
  }

  function render() {
    if (history.length === 0) return;
    renderNumbers(history[history.length - 1]);
    renderCharts();
  }

  let redrawPending = false;
  function scheduleRedraw() {
    if (redrawPending) return;
    redrawPending = true;
    requestAnimationFrame(() => {
      redrawPending = false;
      renderCharts();
    });
  }

  async function poll() {
    const started = performance.now();
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), FETCH_TIMEOUT_MS);
    try {
      const res = await fetch('/metrics', { cache: 'no-store', signal: ctrl.signal });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const metrics = parseMetrics(await res.text());
      if (metrics.values.size === 0) throw new Error('no samples');
      ingest(metrics, performance.now(), Date.now());
      setStatus('live', 'connected');
      delete ui.main.dataset.stale;
      render();
    } catch (e) {
      const why = e && e.name === 'AbortError' ? 'timed out' : (e && e.message) || String(e);
      setStatus('cannot reach /metrics (' + why + '), retrying', 'error');
      ui.main.dataset.stale = 'true';
    } finally {
      clearTimeout(timer);
      setTimeout(poll, Math.max(0, POLL_MS - (performance.now() - started)));
    }
  }

  if (typeof ResizeObserver === 'function') {
    const ro = new ResizeObserver(scheduleRedraw);
    for (const c of charts) ro.observe(c.canvas);
  } else {
    window.addEventListener('resize', scheduleRedraw);
  }
  if (window.matchMedia) {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    if (mq.addEventListener) mq.addEventListener('change', scheduleRedraw);
  }

  // For tests and the console: the parser and the percentile maths.
  window.actorchatDashboard = { parseMetrics, histogram, bucketDelta, quantile, history: () => history };

  poll();
})();
