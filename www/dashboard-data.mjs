// The dashboard's history of /metrics polls and what it derives from it:
// rates against the previous poll, delivery latency percentiles over the
// last minute, the cluster links. No DOM, so node's test runner checks it
// (test/browser/dashboard-data.test.mjs).

import { num, sumOf, histogram, bucketDelta, quantile, counterRate } from './prometheus.mjs';
import { readCluster, linkRates } from './cluster.mjs';

export const POLL_MS = 1000;
export const KEEP_MS = 5 * 60 * 1000;       // history shown and kept
export const LATENCY_WINDOW_MS = 60 * 1000; // percentiles are over this window
export const ACTORS = ['registry', 'room', 'session'];

// One poll: { t (performance.now ms), wall (Date ms), gauges, counters,
// mailbox, buckets, cluster, d (values derived against earlier polls) }.
export function readSample(metrics, t, wall) {
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
    cluster: readCluster(metrics),
    d: null,
  };
}

// Did a counter go down? Then the server restarted and old samples mean nothing.
export function counterReset(cur, prev) {
  const pairs = [
    [cur.counters.msgs, prev.counters.msgs],
    [cur.counters.deliveries, prev.counters.deliveries],
    [cur.counters.cpu, prev.counters.cpu],
    [cur.buckets && cur.buckets[cur.buckets.length - 1].c,
      prev.buckets && prev.buckets[prev.buckets.length - 1].c],
  ];
  return pairs.some(([a, b]) => typeof a === 'number' && typeof b === 'number' && a < b);
}

// Latency: bucket deltas between `cur` and the oldest sample of `history`
// within about a minute.
function latency(cur, history) {
  if (!cur.buckets) return { state: 'absent' };
  const from = cur.t - LATENCY_WINDOW_MS - POLL_MS / 2;
  const base = history.find((s) => s.t >= from && s.buckets);
  const delta = base ? bucketDelta(cur.buckets, base.buckets) : null;
  if (!delta) return { state: 'waiting' };
  const span = (cur.t - base.t) / 1000;
  const p50 = quantile(0.5, delta);
  const p99 = quantile(0.99, delta);
  return p50 && p99
    ? { state: 'ok', p50, p99, count: delta[delta.length - 1].c, span }
    : { state: 'idle', span };
}

// What `cur` adds to `history` (earlier polls, oldest first).
export function derive(cur, history) {
  const prev = history.length ? history[history.length - 1] : null;
  const d = { msgs: null, deliveries: null, perWrite: null, cpu: null, actors: {}, latency: null, links: [] };
  for (const a of ACTORS) d.actors[a] = null;

  if (prev) {
    const dt = (cur.t - prev.t) / 1000;
    d.msgs = counterRate(cur.counters.msgs, prev.counters.msgs, dt);
    d.deliveries = counterRate(cur.counters.deliveries, prev.counters.deliveries, dt);
    // Deliveries per write system call: above 1 when frames leave together.
    const writes = counterRate(cur.counters.writes, prev.counters.writes, dt);
    if (writes > 0 && d.deliveries !== null) d.perWrite = d.deliveries / writes;
    const cpu = counterRate(cur.counters.cpu, prev.counters.cpu, dt);
    d.cpu = cpu === null ? null : cpu * 100;
    for (const a of ACTORS) d.actors[a] = counterRate(cur.counters.actors[a], prev.counters.actors[a], dt);
    d.links = linkRates(cur.cluster, prev.cluster, dt);
  } else {
    d.links = linkRates(cur.cluster, null, 0);
  }
  d.latency = latency(cur, history);
  return d;
}

// The history after one more poll: a restarted server starts it afresh, and
// polls older than KEEP_MS fall off.
export function ingest(history, metrics, t, wall) {
  const cur = readSample(metrics, t, wall);
  const kept = history.length && counterReset(cur, history[history.length - 1]) ? [] : history.slice();
  cur.d = derive(cur, kept);
  kept.push(cur);
  while (kept.length && kept[0].t < t - KEEP_MS - POLL_MS) kept.shift();
  return kept;
}
