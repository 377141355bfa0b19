// Unit tests of www/reconnect.mjs: backoff with jitter, which refused logins
// the chat page retries, and the pong deadline, on a fake clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffMs, afterRefusal, livenessWatch, BACKOFF_MAX_MS, PING_EVERY_MS, PONG_DEADLINE_MS,
} from '../../www/reconnect.mjs';

// A clock the test moves by hand: setTimeout / setInterval run in due order.
function fakeTimers() {
  let now = 0;
  let next = 1;
  const due = new Map(); // id -> { at, fn, every }
  const add = (fn, ms, every) => {
    const id = next++;
    due.set(id, { at: now + ms, fn, every });
    return id;
  };
  return {
    setTimeout: (fn, ms) => add(fn, ms, 0),
    setInterval: (fn, ms) => add(fn, ms, ms),
    clearTimeout: (id) => due.delete(id),
    clearInterval: (id) => due.delete(id),
    pending: () => due.size,
    now: () => now,
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let first = null;
        for (const [id, t] of due) if (t.at <= end && (!first || t.at < first[1].at)) first = [id, t];
        if (!first) break;
        const [id, t] = first;
        now = t.at;
        if (t.every) t.at += t.every;
        else due.delete(id);
        t.fn();
      }
      now = end;
    },
  };
}

test('backoff doubles per attempt, between half and all of its ceiling, capped at 30 s', () => {
  const ceilings = [1000, 2000, 4000, 8000, 16000, 30000, 30000];
  ceilings.forEach((ceiling, attempt) => {
    assert.equal(backoffMs(attempt, () => 0), ceiling / 2, `attempt ${attempt} low end`);
    assert.equal(backoffMs(attempt, () => 0.999999), ceiling, `attempt ${attempt} high end`);
  });
  assert.equal(backoffMs(5000, () => 1), BACKOFF_MAX_MS, 'a huge attempt count stays capped');
});

test('backoff has jitter: clients of a restarted server do not all come back at once', () => {
  const delays = new Set();
  for (let i = 0; i < 50; i++) delays.add(backoffMs(3));
  assert.ok(delays.size > 10, `only ${delays.size} distinct delays in 50 draws`);
  for (const d of delays) assert.ok(d >= 4000 && d <= 8000, `delay ${d} outside 4–8 s`);
});

test('refusals: bad_username always back to the form; name_taken retried only on a reconnect', () => {
  assert.equal(afterRefusal('bad_username', false), 'form');
  assert.equal(afterRefusal('bad_username', true), 'form');
  assert.equal(afterRefusal('name_taken', false), 'form');
  assert.equal(afterRefusal('name_taken', true), 'retry');
});

// A started watch on a fresh fake clock, counting pings and deaths.
function startedWatch() {
  const clock = fakeTimers();
  const seen = { pings: 0, dead: 0 };
  const w = livenessWatch({
    sendPing: () => { seen.pings += 1; },
    onDead: () => { seen.dead += 1; },
    timers: clock,
  });
  w.start();
  return { clock, w, seen };
}

test('a ping every 25 s; an answered ping keeps the connection alive', () => {
  const { clock, w, seen } = startedWatch();
  for (let i = 0; i < 4; i++) {
    clock.advance(PING_EVERY_MS);
    clock.advance(50);
    w.heard(); // the pong
  }
  clock.advance(PING_EVERY_MS - 1000);
  assert.equal(seen.pings, 4);
  assert.equal(seen.dead, 0);
});

test('no frame within 10 s of a ping: dead once, and the watch stops', () => {
  const { clock, w, seen } = startedWatch();
  clock.advance(PING_EVERY_MS + PONG_DEADLINE_MS - 1);
  assert.equal(seen.dead, 0, 'dead before the deadline');
  clock.advance(1);
  assert.equal(seen.dead, 1);
  assert.equal(clock.pending(), 0, 'timers left running after the connection was declared dead');
  clock.advance(10 * PING_EVERY_MS);
  assert.equal(seen.pings, 1);
  assert.equal(seen.dead, 1);
});

test('any frame, not only a pong, clears the deadline', () => {
  const { clock, w, seen } = startedWatch();
  clock.advance(PING_EVERY_MS + PONG_DEADLINE_MS - 100);
  w.heard(); // say, a chat message
  clock.advance(PING_EVERY_MS - PONG_DEADLINE_MS);
  assert.equal(seen.dead, 0);
});

test('stop() (the socket closed) cancels the ping and the deadline', () => {
  const { clock, w, seen } = startedWatch();
  clock.advance(PING_EVERY_MS + 10);
  w.stop();
  assert.equal(clock.pending(), 0);
  clock.advance(PONG_DEADLINE_MS * 10);
  assert.equal(seen.dead, 0);
  w.start(); // a new connection starts a new watch
  clock.advance(PING_EVERY_MS + PONG_DEADLINE_MS);
  assert.equal(seen.dead, 1);
});
