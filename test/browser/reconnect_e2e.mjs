#!/usr/bin/env node
// Browser end-to-end test of the chat page surviving its server: restarts,
// a name still held after a restart, a room's member list reset, and a
// server that stops answering. Headless Chromium with playwright-core.
//
//   node reconnect_e2e.mjs /path/to/actorchat /path/to/www
//
// alice logs in through the page's form and joins "dev"; the server is then
// SIGKILLed and started again on the same port, and the page must come back
// and rejoin "dev" on its own. Then, while the page is away, a raw client
// takes the name "alice": the page's reconnect is refused with name_taken
// and must keep retrying (not fall back to the login form) until the name
// is free. Other clients are raw WebSockets from a second page. Prints
// `ok - ...` / `not ok - ...` per check and `N passed, M failed`; exits
// non-zero on any failure. The whole run is bounded to 90 s.

import {
  setup, run, startServer, killServer, signalServer, launchBrowser, pageWatcher, check, assert,
  serverExit,
} from './harness.mjs';
import { PONG_DEADLINE_MS } from '../../www/reconnect.mjs';
import {
  WAIT_MS, waitForText, statusText, waitForMembers, waitForStatus, login, joinRoom,
} from './chat_page.mjs';

// Backoff (www/reconnect.mjs): attempt n waits between 2^(n-1) and 2^n s.
// After a name_taken refusal at the third attempt the fourth comes 4-8 s later.
const BACK_IN_MS = 12_000;
// Chromium reports a refused WebSocket connection as a console error; while
// the server is down that is expected, anything else is not.
const REFUSED = /WebSocket connection to '.*' failed/;

// Mostly waiting out the page's own backoff (about 15 s at worst), plus
// Chromium's start, which takes several seconds on a busy machine.
setup({ script: 'reconnect_e2e.mjs', totalTimeoutMs: 90_000 });

// Polls `pred` (in node) until it holds.
async function until(pred, timeout, what) {
  const end = Date.now() + timeout;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`${what} within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Every WebSocket the page opens, with the frames it received and whether
// it has ended (refused, or closed).
function recordSockets(page) {
  const sockets = [];
  page.on('websocket', (ws) => {
    const s = { frames: [], log: [], ended: false };
    ws.on('framereceived', (f) => {
      s.frames.push(String(f.payload));
      s.log.push({ t: Date.now(), got: String(f.payload) });
    });
    ws.on('framesent', (f) => s.log.push({ t: Date.now(), sent: String(f.payload) }));
    ws.on('socketerror', () => { s.ended = true; });
    ws.on('close', () => { s.ended = true; });
    sockets.push(s);
  });
  return sockets;
}

// Raw clients in `page` (of the server's origin): opens /ws/NAME, waits for
// the welcome and, with `room`, for its own join of that room. Rejects with
// the error code if the login is refused.
async function rawLogin(page, name, room = '') {
  return page.evaluate(([n, r]) => new Promise((resolve, reject) => {
    window.__raw = window.__raw || {};
    const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws/' + encodeURIComponent(n));
    window.__raw[n] = ws;
    const t = setTimeout(() => reject(new Error(`${n}: not logged in within 4 s`)), 4000);
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === 'error') reject(new Error(`${n}: refused with ${f.code}`));
      if (f.type === 'welcome' && r) ws.send(JSON.stringify({ type: 'join', room: r }));
      const inRoom = f.type === 'presence' && f.event === 'join' && f.user === n && f.room === r;
      if ((f.type === 'welcome' && !r) || inRoom) {
        clearTimeout(t);
        resolve();
      }
    };
    ws.onclose = (e) => reject(new Error(`${n}: closed with ${e.code}`));
  }), [name, room]);
}

async function rawSay(page, name, msg) {
  await page.evaluate(([n, m]) => window.__raw[n].send(JSON.stringify({ type: 'say', msg: m })), [name, msg]);
}

async function rawClose(page, name) {
  await page.evaluate((n) => new Promise((resolve) => {
    const ws = window.__raw[n];
    ws.onclose = () => resolve();
    ws.close();
  }), name);
}

async function chatVisible(page) {
  return page.evaluate(() => ({
    login: !document.getElementById('login').hidden,
    chat: !document.getElementById('chat').hidden,
    sendDisabled: document.querySelector('#msg-form fieldset').disabled,
  }));
}

// ---- the test --------------------------------------------------------------

await run(async () => {
  const baseUrl = await startServer();
  const port = Number(new URL(baseUrl).port);
  const browser = await launchBrowser();

  const watcher = pageWatcher(browser, { waitMs: WAIT_MS, viewport: { width: 1024, height: 768 } });
  const { newPage, pageErrors, consoleErrors, dialogs } = watcher;

  const alice = await newPage('alice');
  const sockets = recordSockets(alice);
  const traffic = await newPage('traffic');
  await traffic.goto(baseUrl + '/', { waitUntil: 'load' });

  await check('alice logs in through the page and joins dev; bob (raw) is there too', async () => {
    await login(alice, baseUrl, 'alice');
    await waitForStatus(alice, 'connected as alice in lobby', 'alice');
    await joinRoom(alice, 'dev');
    await waitForStatus(alice, 'connected as alice in dev', 'alice');
    await rawLogin(traffic, 'bob', 'dev');
    await waitForMembers(alice, ['alice', 'bob'], [], 'alice');
  });

  await check('after SIGKILL of the server the page says it is reconnecting and keeps the chat, sending off', async () => {
    await killServer('SIGKILL');
    await waitForStatus(alice, 'reconnecting in', 'alice');
    const v = await chatVisible(alice);
    assert(!v.login && v.chat && v.sendDisabled, `page state ${JSON.stringify(v)}`);
  });

  await check('the server restarts on the same port; the page reconnects by itself and rejoins dev', async () => {
    await startServer([], { port });
    await waitForStatus(alice, 'connected as alice in dev', 'alice', BACK_IN_MS);
    const cur = await alice.locator('#current-room').textContent();
    assert(cur.trim() === 'dev', `alice's #current-room is ${JSON.stringify(cur)}`);
    const v = await chatVisible(alice);
    assert(!v.login && v.chat && !v.sendDisabled, `page state ${JSON.stringify(v)}`);
  });

  await check('a client in dev after the restart shows in the member list and its message reaches the page', async () => {
    await rawLogin(traffic, 'bob', 'dev');
    await waitForMembers(alice, ['alice', 'bob'], [], 'alice');
    await rawSay(traffic, 'bob', 'hello after the restart');
    await waitForText(alice, '#log .msg', 'hello after the restart', 'alice');
  });

  await check('killed again, with "alice" taken while the page is away: name_taken, and the page keeps retrying', async () => {
    const before = sockets.length;
    await killServer('SIGKILL');
    // Two refused attempts: the page's next one is 2-4 s away, time enough
    // to restart the server and let another client take the name first.
    await until(() => sockets.slice(before).filter((s) => s.ended).length >= 2, 8000,
      'the page made no two reconnect attempts while the server was down');
    await startServer([], { port });
    const tried = sockets.length;
    await rawLogin(traffic, 'alice').catch((e) => {
      throw new Error(`the other client could not take the name (${e.message}); the page came back first?`);
    });
    await until(() => sockets.slice(tried).some((s) => s.frames.some((f) => f.includes('"name_taken"'))), 8000,
      'the page\'s reconnect got no name_taken');
    await waitForStatus(alice, 'reconnecting in', 'alice');
    const s = await statusText(alice);
    assert(/still in use/.test(s), `status does not say why: ${JSON.stringify(s)}`);
    await alice.waitForTimeout(300);
    const v = await chatVisible(alice);
    assert(!v.login && v.chat, `the page went back to the login form: ${JSON.stringify(v)}`);
    await waitForText(alice, '#log .error', 'name_taken', 'alice');
  });

  await check('when the other client leaves, the page gets back in as alice and rejoins dev', async () => {
    await rawClose(traffic, 'alice');
    await waitForStatus(alice, 'connected as alice in dev', 'alice', BACK_IN_MS);
    await rawLogin(traffic, 'bob', 'dev');
    await waitForMembers(alice, ['alice', 'bob'], [], 'alice');
    await rawSay(traffic, 'bob', 'hello after name_taken');
    await waitForText(alice, '#log .msg', 'hello after name_taken', 'alice');
  });

  // A room restart cannot be caused from outside, so the frame the server
  // would send then is put in the page's connection, between it and the real server.
  // Server frames are passed on by hand, so the test knows what the page has
  // been sent before it adds its own.
  const carol = await newPage('carol');
  let carolSocket = null;
  const carolFrames = [];
  await carol.routeWebSocket(/\/ws\//, (ws) => {
    carolSocket = ws;
    const server = ws.connectToServer();
    server.onMessage((m) => {
      carolFrames.push(JSON.parse(String(m)));
      ws.send(m);
    });
  });
  await check('presence "reset" replaces the member list of the room and says so in the log', async () => {
    await login(carol, baseUrl, 'carol');
    await waitForStatus(carol, 'connected as carol in lobby', 'carol');
    await joinRoom(carol, 'dev');
    // The page asks for the members of a room it joins: that answer first.
    await until(() => carolFrames.some((f) => f.type === 'users' && f.room === 'dev'), WAIT_MS,
      'carol was sent no member list of dev');
    await rawLogin(traffic, 'yan', 'dev');
    await waitForMembers(carol, ['carol', 'yan'], [], 'carol');
    carolSocket.send(JSON.stringify({ type: 'presence', event: 'reset', room: 'other', users: ['x'] }));
    carolSocket.send(JSON.stringify({ type: 'presence', event: 'reset', room: 'dev', users: ['bob', 'zed'] }));
    await waitForMembers(carol, ['bob', 'carol', 'zed'], ['yan', 'x'], 'carol');
    await waitForText(carol, '#log .system', 'room dev was restarted', 'carol');
    const opts = await carol.$$eval('#to option', (os) => os.map((o) => o.value));
    assert(opts.includes('zed') && !opts.includes('yan'), `the "To" list is ${JSON.stringify(opts)}`);
    // Ordinary presence goes on from the new list.
    await rawLogin(traffic, 'wes', 'dev');
    await waitForMembers(carol, ['carol', 'wes', 'zed'], ['yan'], 'carol');
  });

  // The page's clock is Playwright's, paused from the start (logging in needs
  // no timer): the watch starts at a known time and only runFor moves it.
  const dave = await newPage('dave');
  const daveSockets = recordSockets(dave);
  const t0 = Date.now();
  await dave.clock.install({ time: t0 });
  await dave.clock.pauseAt(t0 + 1000);
  await check('a server that stops answering: no pong within 10 s of a ping, the page drops the connection', async () => {
    await login(dave, baseUrl, 'dave');
    await waitForStatus(dave, 'connected as dave in lobby', 'dave');
    const socket = daveSockets[daveSockets.length - 1];
    const stoppedAt = Date.now();
    const after = () => JSON.stringify(socket.log.map((e) => ({ ...e, t: e.t - stoppedAt })));
    await signalServer('SIGSTOP');
    try {
      await dave.clock.runFor(25_000); // the ping
      await dave.clock.runFor(PONG_DEADLINE_MS - 1);
      const s = await statusText(dave);
      assert(s.includes('connected as dave'), `gave up before the deadline: ${JSON.stringify(s)}; frames (ms from the stop) ${after()}`);
      await dave.clock.runFor(1);
      await waitForStatus(dave, 'reconnecting in', 'dave').catch((e) => {
        throw new Error(`${e.message}; frames (ms from the stop) ${after()}`);
      });
      await waitForText(dave, '#log .system', 'no answer from the server', 'dave');
    } finally {
      await signalServer('SIGCONT');
    }
  });

  await check('once the server answers again the page is back in', async () => {
    await dave.clock.resume();
    await waitForStatus(dave, 'connected as dave in lobby', 'dave', BACK_IN_MS);
  });

  await check('no dialog, no script error, no console error other than refused connections while the server was down', async () => {
    assert(dialogs.length === 0, `dialogs: ${dialogs.join('; ')}`);
    assert(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
    const other = consoleErrors.filter((e) => !REFUSED.test(e));
    assert(other.length === 0, `console errors: ${other.join('; ')}`);
  });

  await check('the server is still running', async () => {
    assert(!serverExit, `server exited (code ${serverExit && serverExit.code}, signal ${serverExit && serverExit.signal})`);
  });
});
