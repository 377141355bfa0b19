// Unit tests of www/prometheus.mjs (the /metrics parser and the histogram
// percentile maths) under node's test runner: node --test test/browser/*.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseMetrics, num, sumOf, histogram, bucketDelta, quantile, seriesKey, counterRate,
} from '../../www/prometheus.mjs';

const HISTOGRAM = [
  '# HELP x_seconds a histogram',
  '# TYPE x_seconds histogram',
  'x_seconds_bucket{le="5e-05"} 0',
  'x_seconds_bucket{le="0.001"} 0',
  'x_seconds_bucket{le="0.004"} 100',
  'x_seconds_bucket{le="0.002"} 50', // out of order on purpose: sorted by le
  'x_seconds_bucket{le="+Inf"} 100',
  'x_seconds_sum 0.2',
  'x_seconds_count 100',
].join('\n');

test('samples are read by name and labels; comments, blanks and junk lines are skipped', () => {
  const m = parseMetrics([
    '# HELP chat_sessions sessions',
    '',
    'chat_sessions 3',
    'chat_messages_total{kind="broadcast"} 10',
    'chat_messages_total{kind="private"} 2 1700000000000',
    'not a sample line {',
    'broken{kind="x} 4',
    'nan_gauge NaN',
    '  padded_gauge   7  ',
  ].join('\n'));
  assert.equal(num(m, 'chat_sessions'), 3);
  assert.equal(num(m, 'chat_messages_total', { kind: 'broadcast' }), 10);
  assert.equal(num(m, 'chat_messages_total', { kind: 'private' }), 2, 'a timestamp after the value is ignored');
  assert.equal(num(m, 'padded_gauge'), 7);
  assert.equal(num(m, 'broken', { kind: 'x' }), null);
  assert.equal(num(m, 'nan_gauge'), null, 'NaN is parsed but num() only answers finite values');
  assert.equal(num(m, 'absent'), null);
  assert.equal(m.byName.get('chat_messages_total').length, 2);
});

test('escaped label values (quote, backslash, newline) and label order', () => {
  const m = parseMetrics('odd_total{x="y",path="a \\"q\\" b\\\\c\\nd"} 7');
  const labels = { path: 'a "q" b\\c\nd', x: 'y' };
  assert.equal(num(m, 'odd_total', labels), 7);
  assert.equal(seriesKey('odd_total', { x: 'y', path: labels.path }), seriesKey('odd_total', labels));
});

test('sumOf adds what is present and is null when nothing is', () => {
  assert.equal(sumOf(1, null, 2), 3);
  assert.equal(sumOf(null, null), null);
});

test('histogram() sorts buckets by bound and needs a +Inf bucket', () => {
  const h = histogram(parseMetrics(HISTOGRAM), 'x_seconds');
  assert.deepEqual(h.map((b) => b.le), [5e-5, 0.001, 0.002, 0.004, Infinity]);
  assert.deepEqual(h.map((b) => b.c), [0, 0, 50, 100, 100]);
  const noInf = HISTOGRAM.split('\n').filter((l) => !l.includes('+Inf')).join('\n');
  assert.equal(histogram(parseMetrics(noInf), 'x_seconds'), null);
  assert.equal(histogram(parseMetrics(HISTOGRAM), 'y_seconds'), null);
});

test('percentiles interpolate linearly inside the bucket the rank falls into', () => {
  const h = histogram(parseMetrics(HISTOGRAM), 'x_seconds');
  const d = bucketDelta(h, h.map((b) => ({ le: b.le, c: 0 })));
  assert.ok(Math.abs(quantile(0.5, d).v - 0.002) < 1e-12, `p50 ${quantile(0.5, d).v}`);
  // rank 99 is 49/50 of the way through the (0.002, 0.004] bucket
  assert.ok(Math.abs(quantile(0.99, d).v - 0.00396) < 1e-12, `p99 ${quantile(0.99, d).v}`);
  assert.equal(quantile(0.99, d).above, false);
  // the first bucket starts at 0
  assert.ok(Math.abs(quantile(0.5, [{ le: 0.01, c: 10 }, { le: Infinity, c: 10 }]).v - 0.005) < 1e-12);
});

test('a rank in the +Inf bucket answers the largest finite bound, marked "above"', () => {
  assert.deepEqual(quantile(0.99, [{ le: 0.001, c: 1 }, { le: Infinity, c: 10 }]), { v: 0.001, above: true });
});

test('no observations: no percentile', () => {
  assert.equal(quantile(0.5, [{ le: 1, c: 0 }, { le: Infinity, c: 0 }]), null);
});

test('bucketDelta: counts between two snapshots, monotonic, null when layouts differ', () => {
  const then = [{ le: 1, c: 5 }, { le: 2, c: 8 }, { le: Infinity, c: 9 }];
  // counters are read one by one: a later bucket may lag an earlier one
  const now = [{ le: 1, c: 9 }, { le: 2, c: 10 }, { le: Infinity, c: 14 }];
  assert.deepEqual(bucketDelta(now, then).map((b) => b.c), [4, 4, 5]);
  assert.equal(bucketDelta(now, then.slice(1)), null);
  assert.equal(bucketDelta(now, [{ le: 1, c: 0 }, { le: 3, c: 0 }, { le: Infinity, c: 0 }]), null);
  assert.equal(bucketDelta(now, null), null);
});

test('counterRate: per second, null when missing or when the counter went down', () => {
  assert.equal(counterRate(30, 10, 2), 10);
  assert.equal(counterRate(10, 10, 1), 0);
  assert.equal(counterRate(5, 10, 1), null);
  assert.equal(counterRate(null, 10, 1), null);
  assert.equal(counterRate(10, 5, 0), null);
});
