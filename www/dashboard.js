// actorchat live dashboard. Polls /metrics (Prometheus text format) once a
// second, keeps the last 5 minutes in memory and draws small line charts on
// <canvas>. No framework and no network access other than /metrics; text
// goes into the page with textContent only. What is derived from the polls
// lives in dashboard-data.mjs; this file only shows it.

import { $, setText, setStatus, clockTime } from './page.mjs';
import { parseMetrics } from './prometheus.mjs';
import { drawChart, cssVar } from './line-chart.mjs';
import { fmt, NA, NONE } from './format.mjs';
import { POLL_MS, KEEP_MS, ACTORS, ingest } from './dashboard-data.mjs';
import { renderCluster } from './cluster-panel.mjs';

const FETCH_TIMEOUT_MS = 2500;
const GAP_MS = 3500; // points further apart are not joined

let history = [];

// ---- the page ----------------------------------------------------------------

function element(name, attrs) {
  const e = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// A card with data-figure="KEY" holds the line under its figure; it gets its
// heading, the figure (#KEY-now) and the chart (#chart-KEY) here.
for (const card of document.querySelectorAll('section[data-figure]')) {
  const key = card.dataset.figure;
  const title = card.dataset.title;
  const heading = element('h2', { id: key + '-title' });
  heading.textContent = title;
  const now = card.querySelector('.now');
  const value = element('span', { class: 'value', id: key + '-now' });
  value.textContent = '—';
  now.prepend(value, ' ');
  const body = element('div', { class: 'body' });
  body.append(now, element('canvas', {
    id: 'chart-' + key, role: 'img', 'aria-label': title + ' over the last 5 minutes',
  }));
  card.setAttribute('aria-labelledby', heading.id);
  card.replaceChildren(heading, body);
}

const ui = {
  updated: $('updated'),
  main: document.querySelector('main'),
  sessions: $('sessions-now'),
  connections: $('connections-now'),
  rooms: $('rooms-now'),
  msgs: $('msgs-now'),
  deliveries: $('deliveries-now'),
  perWrite: $('per-write-now'),
  p50: $('p50-now'),
  p99: $('p99-now'),
  latencyNote: $('latency-note'),
  cpu: $('cpu-now'),
  rss: $('rss-now'),
};

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

  renderCluster(last, firstRate);

  const when = new Date(last.wall);
  setText(ui.updated, clockTime(when));
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
    history = ingest(history, metrics, performance.now(), Date.now());
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

poll();
