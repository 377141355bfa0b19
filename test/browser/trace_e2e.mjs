#!/usr/bin/env node
// Browser end-to-end test of the trace viewer (www/trace.html), driven through
// headless Chromium with playwright-core.
//
//   node trace_e2e.mjs /path/to/actorchat /path/to/www
//
// Starts the server with --trace into a temporary directory, scripts a chat
// over raw WebSockets (alice and bob log in, alice says "hi" and whispers to
// bob, bob leaves), stops the server so the trace is complete, loads the file
// into the page and checks the sequence diagrams it draws. Prints `ok - ...` /
// `not ok - ...` per check and `N passed, M failed`; exits non-zero on any
// failure. Set E2E_SCREENSHOT=/path.png to save a screenshot of the diagram.

import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  setup, run, startServer, launchBrowser, pageWatcher, stopServer, check, assert, log,
  serverExit,
} from './harness.mjs';

const WAIT_MS = 5_000;

setup({ script: 'trace_e2e.mjs', wwwFiles: ['trace.html', 'trace.js', 'trace.css'] });

const dir = mkdtempSync(path.join(tmpdir(), 'actorchat-trace-e2e-'));
const traceFile = path.join(dir, 'trace.jsonl');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// The diagram as the page drew it: lifeline names in order, and each hop.
async function drawn(page) {
  return page.evaluate(() => {
    const svg = document.querySelector('#diagram svg');
    if (!svg) return null;
    return {
      role: svg.getAttribute('role'),
      label: svg.getAttribute('aria-label'),
      id: svg.getAttribute('data-id'),
      lifelines: [...svg.querySelectorAll('g.lifeline')].map((g) => ({
        name: g.dataset.name,
        text: g.querySelector('text').textContent,
      })),
      hops: [...svg.querySelectorAll('g.hop')].map((g) => ({
        from: g.dataset.from,
        to: g.dataset.to,
        msg: g.dataset.msg,
        label: g.querySelector('text').textContent,
        arrows: g.querySelectorAll('.arrow').length,
      })),
      rows: [...document.querySelectorAll('#hops tbody tr')].map((tr) =>
        [...tr.cells].map((td) => td.textContent)),
    };
  });
}

// Hop labels read "<msg> +<µs> µs"; offsets start at 0 and never decrease.
function checkOffsets(hops) {
  let last = -1;
  hops.forEach((h, i) => {
    const m = /^(\S+) \+(\d+\.\d) µs$/.exec(h.label);
    assert(m, `hop ${i + 1} label ${JSON.stringify(h.label)}`);
    assert(m[1] === h.msg, `hop ${i + 1} label ${JSON.stringify(h.label)} for msg ${h.msg}`);
    const us = Number(m[2]);
    assert(i > 0 || us === 0, `the first hop is at +${us} µs`);
    assert(us >= last, `hop ${i + 1} at +${us} µs comes before the previous (+${last} µs)`);
    last = us;
  });
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

await run(async () => {
  const baseUrl = await startServer(['--trace', traceFile]);
  const browser = await launchBrowser();

  const { newPage, pageErrors, consoleErrors, dialogs } =
    pageWatcher(browser, { waitMs: WAIT_MS, viewport: { width: 1000, height: 900 } });

  // The viewer needs no server once loaded: open it now, read the file later.
  const viewer = await newPage('trace viewer');
  await check('/trace.html loads with lang="en", a device-width viewport, an h1 and a label for every control', async () => {
    const res = await viewer.goto(baseUrl + '/trace.html', { waitUntil: 'load' });
    assert(res && res.status() === 200, `HTTP ${res && res.status()}`);
    assert((await viewer.getAttribute('html', 'lang')) === 'en', 'lang is not en');
    const vp = await viewer.getAttribute('meta[name="viewport"]', 'content');
    assert(vp && vp.includes('width=device-width'), `viewport is ${vp}`);
    assert((await viewer.locator('h1').count()) === 1, 'not one h1');
    for (const id of ['trace-file', 'trace-text', 'message-id']) {
      const n = await viewer.locator(`label[for="${id}"]`).count();
      assert(n === 1, `#${id} has ${n} labels`);
    }
    assert(await viewer.isDisabled('#message-id'), '#message-id is enabled before a trace is loaded');
  });

  // The scripted chat, over raw WebSockets from a page of the server's origin
  // (the chat page, not logged in).
  const traffic = await newPage('traffic');
  await traffic.goto(baseUrl + '/', { waitUntil: 'load' });
  const ids = await traffic.evaluate(async () => {
    const origin = location.origin.replace(/^http/, 'ws');
    const open = (user) => new Promise((resolve, reject) => {
      const ws = new WebSocket(`${origin}/ws/${user}`);
      ws.frames = [];
      ws.waiters = [];
      ws.onmessage = (e) => {
        ws.frames.push(JSON.parse(e.data));
        ws.waiters.splice(0).forEach((w) => w());
      };
      ws.onerror = () => reject(new Error(`${user}: WebSocket error`));
      // Resolves with the first frame not yet taken that satisfies `pred`.
      ws.next = async (pred) => {
        const deadline = Date.now() + 4000;
        for (;;) {
          const i = ws.frames.findIndex(pred);
          if (i >= 0) return ws.frames.splice(i, 1)[0];
          if (Date.now() > deadline) throw new Error(`${user}: expected frame did not come`);
          await new Promise((r) => { ws.waiters.push(r); setTimeout(r, 100); });
        }
      };
      ws.onopen = () => resolve(ws);
    });
    const alice = await open('alice');
    await alice.next((f) => f.type === 'welcome');
    const bob = await open('bob');
    await bob.next((f) => f.type === 'welcome');
    alice.send(JSON.stringify({ type: 'say', msg: 'hi' }));
    const broadcast = (await alice.next((f) => f.type === 'message')).id;
    await bob.next((f) => f.type === 'message' && f.id === broadcast);
    alice.send(JSON.stringify({ type: 'whisper', to: 'bob', msg: 'psst' }));
    const whisper = (await bob.next((f) => f.type === 'message' && f.to_user === 'bob')).id;
    await alice.next((f) => f.type === 'message' && f.id === whisper);
    bob.close();
    await alice.next((f) => f.type === 'presence' && f.event === 'leave' && f.user === 'bob');
    alice.close();
    return { broadcast, whisper };
  });
  log(`# broadcast id ${ids.broadcast}, private id ${ids.whisper}`);

  await check('the server stops cleanly and leaves a trace file with one JSON object per line', async () => {
    await stopServer();
    assert(serverExit && serverExit.code === 0, `server exit ${JSON.stringify(serverExit)}`);
    assert(existsSync(traceFile), 'no trace file');
    const lines = readFileSync(traceFile, 'utf8').split('\n').filter((l) => l !== '');
    assert(lines.length > 20, `only ${lines.length} lines`);
    for (const l of lines) JSON.parse(l);
  });

  await check('loading the file lists both chat messages with their kind', async () => {
    await viewer.setInputFiles('#trace-file', traceFile);
    await viewer.waitForFunction(() => !document.getElementById('message-id').disabled);
    const options = await viewer.$$eval('#message-id option', (os) => os.map((o) => ({ v: o.value, t: o.textContent })));
    const b = options.find((o) => o.v === String(ids.broadcast));
    const p = options.find((o) => o.v === String(ids.whisper));
    assert(b && /broadcast in lobby, from alice, 5 hops/.test(b.t), `broadcast option ${JSON.stringify(b)}`);
    assert(p && /private, from alice, 4 hops/.test(p.t), `private option ${JSON.stringify(p)}`);
    const status = await viewer.textContent('#status');
    assert(/trace\.jsonl: \d+ lines, 2 chat message/.test(status), `#status is ${JSON.stringify(status)}`);
  });

  await check('the broadcast is drawn: 4 lifelines, 5 arrows from the frame to the publish reply, offsets in order', async () => {
    await viewer.selectOption('#message-id', String(ids.broadcast));
    await viewer.waitForFunction((id) => {
      const svg = document.querySelector('#diagram svg');
      return svg && svg.getAttribute('data-id') === String(id);
    }, ids.broadcast);
    const d = await drawn(viewer);
    const names = d.lifelines.map((l) => l.name);
    assert(same(names, ['conn:alice', 'session:alice', 'room:lobby', 'conn:bob']), `lifelines ${names}`);
    assert(d.lifelines.every((l) => l.text === l.name), 'a lifeline is not labelled with its name');
    const hops = d.hops.map((h) => `${h.from}>${h.to}:${h.msg}`);
    assert(hops.length === 5, `${hops.length} arrows: ${hops}`);
    assert(hops[0] === 'conn:alice>session:alice:frame', `first arrow ${hops[0]}`);
    assert(hops[1] === 'session:alice>room:lobby:publish', `second arrow ${hops[1]}`);
    assert(same(hops.slice(2, 4).sort(), ['room:lobby>conn:alice:message', 'room:lobby>conn:bob:message']),
      `deliveries ${hops.slice(2, 4)}`);
    assert(hops[4] === 'room:lobby>session:alice:publish_reply', `last arrow ${hops[4]}`);
    assert(d.hops.every((h) => h.arrows === 1), 'an arrow is missing its line');
    checkOffsets(d.hops);
    assert(d.role === 'img', `svg role ${d.role}`);
    assert(d.label.includes(`chat message ${ids.broadcast}: 5 hops`), `aria-label ${JSON.stringify(d.label)}`);
    assert(d.rows.length === 5 && d.rows[1][2] === 'session:alice' && d.rows[1][4] === 'publish',
      `table rows ${JSON.stringify(d.rows)}`);
  });

  if (process.env.E2E_SCREENSHOT) {
    await viewer.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true });
    log(`# screenshot saved to ${process.env.E2E_SCREENSHOT}`);
  }

  await check('the private message is drawn through the registry\'s lookup reply to both connections', async () => {
    await viewer.selectOption('#message-id', String(ids.whisper));
    const d = await drawn(viewer);
    const names = d.lifelines.map((l) => l.name);
    assert(same(names, ['conn:alice', 'session:alice', 'registry', 'conn:bob']), `lifelines ${names}`);
    const hops = d.hops.map((h) => `${h.from}>${h.to}:${h.msg}`);
    assert(same(hops, ['conn:alice>session:alice:frame', 'registry>session:alice:lookup_reply',
      'session:alice>conn:bob:private', 'session:alice>conn:alice:private']), `arrows ${hops}`);
    checkOffsets(d.hops);
  });

  await check('pasted lines with hostile names render as text, bad lines are counted', async () => {
    const evil = '<img src=x onerror="window.__xss=1">';
    const lines = [
      { ts_ns: 1000, from: `conn:${evil}`, to: `session:${evil}`, msg: 'frame', id: 7 },
      { ts_ns: 3500, from: `session:${evil}`, to: 'room:lobby', msg: 'publish', id: 7 },
      { ts_ns: 2000, from: 'x', to: 'y', msg: 'unrelated' },
    ].map((l) => JSON.stringify(l));
    lines.push('not json', '{"ts_ns":"late","from":"a","to":"b","msg":"m"}');
    await viewer.fill('#trace-text', lines.join('\n'));
    await viewer.click('#paste-form button[type="submit"]');
    await viewer.waitForFunction(() => /pasted lines/.test(document.getElementById('status').textContent));
    const status = await viewer.textContent('#status');
    assert(/3 lines, 1 chat message\(s\), 2 unreadable line\(s\) skipped/.test(status), `#status is ${JSON.stringify(status)}`);
    const d = await drawn(viewer);
    assert(d && d.hops.length === 2, `drawn ${JSON.stringify(d)}`);
    assert(d.hops[1].label === 'publish +2.5 µs', `second label ${d.hops[1].label}`);
    const option = await viewer.textContent('#message-id option');
    assert(option.includes(evil), `option text ${JSON.stringify(option)}`);
    const injected = await viewer.evaluate(() => ({
      imgs: document.querySelectorAll('img').length,
      xss: window.__xss,
    }));
    assert(injected.imgs === 0 && injected.xss === undefined, `markup was injected: ${JSON.stringify(injected)}`);
  });

  await check('a trace without chat messages draws nothing and says so', async () => {
    await viewer.fill('#trace-text', JSON.stringify({ ts_ns: 5, from: 'server', to: 'registry', msg: 'shutdown' }));
    await viewer.click('#paste-form button[type="submit"]');
    await viewer.waitForFunction(() => /pasted lines: 1 lines, 0 chat/.test(document.getElementById('status').textContent));
    assert(await viewer.isDisabled('#message-id'), '#message-id is enabled');
    const option = await viewer.textContent('#message-id option');
    assert(option === 'no chat message in this trace', `option ${JSON.stringify(option)}`);
    const left = await viewer.evaluate(() => ({
      svgs: document.querySelectorAll('#diagram svg').length,
      rows: document.querySelectorAll('#hops tbody tr').length,
    }));
    assert(left.svgs === 0 && left.rows === 0, `still drawn: ${JSON.stringify(left)}`);
  });

  await check('at 375 px width the page does not scroll sideways (the diagram scrolls in its card)', async () => {
    await viewer.setInputFiles('#trace-file', traceFile);
    // "reading trace.jsonl…" comes first; wait for the loaded status and the drawing.
    await viewer.waitForFunction(() => /^trace\.jsonl: \d+ lines/.test(document.getElementById('status').textContent)
      && document.querySelector('#diagram svg') !== null);
    await viewer.setViewportSize({ width: 375, height: 740 });
    const m = await viewer.evaluate(() => ({
      sw: document.documentElement.scrollWidth,
      cw: document.documentElement.clientWidth,
      svg: document.querySelector('#diagram svg').getBoundingClientRect().width,
      wrap: document.getElementById('diagram').getBoundingClientRect().right,
    }));
    assert(m.sw <= m.cw, `scrollWidth ${m.sw} > clientWidth ${m.cw}`);
    assert(m.wrap <= 375, `the diagram card ends at ${m.wrap} px`);
    assert(m.svg > 375, `the diagram is only ${m.svg} px wide`);
  });

  await check('no uncaught script error and no console error on any page', async () => {
    assert(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
    assert(dialogs.length === 0, `dialogs: ${dialogs.join('; ')}`);
    assert(consoleErrors.length === 0, `console errors: ${consoleErrors.join('; ')}`);
  });
});
