// How the chat page keeps its connection: how long to wait before the next
// attempt, which refused logins are worth retrying, and when a silent
// connection counts as dead. No DOM and no WebSocket here, so node's test
// runner checks it with fake timers (test/browser/reconnect.test.mjs).

export const BACKOFF_MAX_MS = 30_000;
export const PING_EVERY_MS = 25_000;
export const PONG_DEADLINE_MS = 10_000;

// The error codes that refuse a login; the server closes with 1008 after them.
export const REFUSALS = new Set(['bad_username', 'name_taken']);

// Exponential backoff with jitter: attempt 0 waits 0.5–1 s, attempt 1 1–2 s,
// attempt 2 2–4 s, … up to 15–30 s. The random half spreads the clients of a
// restarted server over time instead of sending them all back at once; the
// fixed half keeps a lone client from hammering a server that is down.
export function backoffMs(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

// What a refused login means: 'form' (the user picks another name) or
// 'retry'. A bad name never gets better. A name taken at the first login is
// someone else's. A name taken when we come back after a lost connection is
// most likely our own old session, half-open on the server until its
// heartbeat times it out and frees the name: retrying gets us back in.
export function afterRefusal(code, reconnecting) {
  return code === 'name_taken' && reconnecting ? 'retry' : 'form';
}

// Pings every pingEveryMs; if no frame at all arrives within deadlineMs of a
// ping, calls onDead once. A dead TCP path (a server that vanished without
// a FIN, a laptop that slept) gives no close event for minutes otherwise.
// Call heard() for every frame received. `timers` is for tests.
export function livenessWatch({
  sendPing, onDead, pingEveryMs = PING_EVERY_MS, deadlineMs = PONG_DEADLINE_MS, timers = globalThis,
}) {
  let interval = null;
  let deadline = null;

  const heard = () => {
    if (deadline !== null) timers.clearTimeout(deadline);
    deadline = null;
  };
  const stop = () => {
    if (interval !== null) timers.clearInterval(interval);
    interval = null;
    heard();
  };
  const start = () => {
    stop();
    interval = timers.setInterval(() => {
      sendPing();
      // An unanswered ping keeps its deadline: later pings do not extend it.
      if (deadline === null) {
        deadline = timers.setTimeout(() => {
          deadline = null;
          stop();
          onDead();
        }, deadlineMs);
      }
    }, pingEveryMs);
  };
  return { start, stop, heard };
}
