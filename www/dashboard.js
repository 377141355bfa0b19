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

  const { parseMetrics, num, sumOf, histogram, bucketDelta, quantile } = window.actorchatPrometheus;
  const { drawChart, cssVar } = window.actorchatLineChart;

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
      drawChart(c.canvas, {
        series, t1: last.t, spanMs: KEEP_MS, gapMs: GAP_MS, yFormat: c.axis || c.fmt, minTop: c.minTop, message,
      });
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
