// Unit tests of www/dashboard-data.mjs: rates against the previous poll, the
// latency percentiles over the last minute, and what a server restart does
// to the history.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMetrics } from '../../www/prometheus.mjs';
import { ingest, KEEP_MS, POLL_MS } from '../../www/dashboard-data.mjs';

// A scrape with `msgs` broadcasts, `deliveries` deliveries and a latency
// histogram whose buckets (≤1 ms, ≤2 ms, ≤4 ms) hold the given counts.
function scrape({ msgs = 0, deliveries = 0, writes = 0, cpu = 0, buckets = null }) {
  const lines = [
    'chat_sessions 2',
    'chat_rooms 1',
    `chat_messages_total{kind="broadcast"} ${msgs}`,
    'chat_messages_total{kind="private"} 0',
    `chat_deliveries_total ${deliveries}`,
    `chat_socket_writes_total ${writes}`,
    `process_cpu_seconds_total ${cpu}`,
    'chat_actor_messages_total{actor="room"} 10',
  ];
  if (buckets) {
    let sum = 0;
    [0.001, 0.002, 0.004].forEach((le, i) => {
      sum += buckets[i];
      lines.push(`chat_delivery_seconds_bucket{le="${le}"} ${sum}`);
    });
    lines.push(`chat_delivery_seconds_bucket{le="+Inf"} ${sum}`);
  }
  return parseMetrics(lines.join('\n'));
}

function feed(polls) {
  let history = [];
  polls.forEach(([t, m]) => { history = ingest(history, m, t, 0); });
  return history;
}

test('rates: messages, deliveries, deliveries per write and CPU between two polls', () => {
  const h = feed([
    [0, scrape({ msgs: 10, deliveries: 100, writes: 10, cpu: 1 })],
    [2000, scrape({ msgs: 30, deliveries: 500, writes: 110, cpu: 1.5 })],
  ]);
  const d = h[1].d;
  assert.equal(d.msgs, 10);
  assert.equal(d.deliveries, 200);
  assert.equal(d.perWrite, 4);
  assert.equal(d.cpu, 25);
  assert.equal(d.actors.room, 0);
  assert.equal(d.actors.session, null, 'a series /metrics lacks has no rate');
  assert.equal(h[0].d.msgs, null, 'the first poll has no rate');
});

test('latency: percentiles of the observations since the oldest poll within a minute', () => {
  const polls = [[0, scrape({ buckets: [0, 0, 0] })]];
  for (let t = 1000; t <= 70_000; t += 1000) {
    // 10 deliveries ≤ 1 ms every second, and 10 more in (2, 4] ms from t = 10 s on
    polls.push([t, scrape({ buckets: [10 * t / 1000, 0, t >= 10_000 ? 10 * (t - 9000) / 1000 : 0] })]);
  }
  const h = feed(polls);
  const lat = h[h.length - 1].d.latency;
  assert.equal(lat.state, 'ok');
  // The window starts at t = 10 s (70 s - 60 s): 600 fast and 600 slow since then.
  assert.equal(lat.span, 60);
  assert.equal(lat.count, 1200);
  assert.ok(Math.abs(lat.p50.v - 0.001) < 1e-12, `p50 ${lat.p50.v}`);
  assert.ok(Math.abs(lat.p99.v - (0.002 + 0.002 * (1188 - 600) / 600)) < 1e-12, `p99 ${lat.p99.v}`);
});

test('latency states: absent without the histogram, waiting on the first poll, idle with no deliveries', () => {
  assert.equal(feed([[0, scrape({})]])[0].d.latency.state, 'absent');
  const quiet = feed([[0, scrape({ buckets: [5, 0, 0] })], [1000, scrape({ buckets: [5, 0, 0] })]]);
  assert.equal(quiet[1].d.latency.state, 'idle');
  assert.equal(quiet[0].d.latency.state, 'waiting', 'the first poll has no earlier one to count from');
});

test('a counter going down (server restarted) starts the history afresh', () => {
  const h = feed([
    [0, scrape({ msgs: 50, deliveries: 100 })],
    [1000, scrape({ msgs: 60, deliveries: 120 })],
    [2000, scrape({ msgs: 1, deliveries: 2 })],
  ]);
  assert.equal(h.length, 1);
  assert.equal(h[0].d.msgs, null);
});

test('polls older than five minutes fall off', () => {
  const polls = [];
  for (let t = 0; t <= KEEP_MS + 10 * POLL_MS; t += POLL_MS) polls.push([t, scrape({})]);
  const h = feed(polls);
  assert.ok(h[0].t >= h[h.length - 1].t - KEEP_MS - POLL_MS, `oldest kept at ${h[0].t}`);
  assert.ok(h.length <= KEEP_MS / POLL_MS + 2, `${h.length} polls kept`);
});
