// Unit tests of the small shared modules of www/: page.mjs (clock times),
// format.mjs (how numbers read) and trace-data.mjs (reading a trace).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pad2, clockTime } from '../../www/page.mjs';
import { fmt, sig3 } from '../../www/format.mjs';
import { parseTrace, chatMessages, pathOf, participants } from '../../www/trace-data.mjs';

test('clock times are hh:mm:ss with two digits each', () => {
  assert.equal(pad2(7), '07');
  assert.equal(pad2(42), '42');
  assert.equal(clockTime(new Date(2024, 0, 2, 3, 4, 5)), '03:04:05');
});

test('numbers read with about three significant digits and their unit', () => {
  assert.equal(sig3(123.4), '123');
  assert.equal(sig3(12.34), '12.3');
  assert.equal(sig3(1.234), '1.23');
  assert.equal(fmt.seconds(0.00042), '420 µs');
  assert.equal(fmt.seconds(0.0123), '12.3 ms');
  assert.equal(fmt.rate(3.25), '3.3');
  assert.equal(fmt.rate(null), 'n/a');
  assert.equal(fmt.bytes(3 * 1024 * 1024), '3 MiB');
  assert.equal(fmt.byteRate(512), '512 B/s');
  assert.equal(fmt.byteRate(2048), '2 KiB/s');
  assert.equal(fmt.percent(2.5), '2.5 %');
});

test('a trace: lines read, bad ones counted, chat messages found with their path in time order', () => {
  const lines = [
    { ts_ns: 1000, from: 'conn:alice', to: 'session:alice', msg: 'frame', id: 7 },
    { ts_ns: 4000, from: 'room:lobby', to: 'conn:bob', msg: 'message', id: 7 },
    { ts_ns: 3000, from: 'session:alice', to: 'room:lobby', msg: 'publish', id: 7 },
    { ts_ns: 2000, from: 'x', to: 'y', msg: 'unrelated' },
  ].map((l) => JSON.stringify(l));
  const { records, skipped } = parseTrace([...lines, '', 'not json', '{"ts_ns":"late"}'].join('\n'));
  assert.equal(records.length, 4);
  assert.equal(skipped, 2);
  assert.deepEqual(chatMessages(records), [{ id: 7, kind: 'broadcast in lobby', sender: 'alice', hops: 3 }]);
  const path = pathOf(records, 7);
  assert.deepEqual(path.map((r) => r.msg), ['frame', 'publish', 'message']);
  assert.deepEqual(participants(path), ['conn:alice', 'session:alice', 'room:lobby', 'conn:bob']);
});
