#!/usr/bin/env node
// Browser end-to-end test of the actorchat metrics dashboard (www/dashboard.html),
// driven through headless Chromium with playwright-core.
//
//   node dashboard_e2e.mjs /path/to/actorchat /path/to/www
//
// Starts the server on a free port, opens the dashboard, makes chat traffic
// from raw WebSockets in a second page and checks what the dashboard shows.
// Prints `ok - ...` / `not ok - ...` per check and `N passed, M failed` at the
// end; exits non-zero on any failure. The whole run is bounded to 60 s.
// Set E2E_SCREENSHOT=/path.png (1000 px wide) and/or
// E2E_SCREENSHOT_PHONE=/path.png (375 px wide) to save screenshots of the
// dashboard with traffic.

import {
  setup, run, startServer, launchBrowser, pageWatcher, stopServer, check, assert, log,
  serverExit,
} from './harness.mjs';

const WAIT_MS = 6_000; // per expectation; the dashboard polls once a second
const USERS = ['u1', 'u2', 'u3'];
const SAYS_PER_USER = 15;
const SAY_EVERY_MS = 200; // 5 frames/s per session: well under the 20/s limit
const CANVASES = ['chart-sessions', 'chart-rooms', 'chart-msgs', 'chart-deliveries',
  'chart-latency', 'chart-cpu', 'chart-rss'];
const BIG_NUMBERS = ['sessions-now', 'rooms-now', 'msgs-now', 'deliveries-now',
  'p50-now', 'p99-now'];

setup({ script: 'dashboard_e2e.mjs', wwwFiles: ['dashboard.html'] });

async function textOf(page, id) {
  return page.evaluate((i) => {
    const el = document.getElementById(i);
    return el ? el.textContent.trim() : null;
  }, id);
}

// Waits until the trimmed text of #id matches the regular expression `re`
// (a RegExp is passed as its source: the page's CSP rules out eval).
async function waitForId(page, id, re, what, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(
      ([i, src]) => {
        const el = document.getElementById(i);
        return !!el && new RegExp(src, 'u').test(el.textContent.trim());
      },
      [id, re.source],
      { timeout, polling: 100 },
    );
  } catch (_) {
    throw new Error(`#${id} is ${JSON.stringify(await textOf(page, id))}, wanted ${what} within ${timeout} ms`);
  }
}

async function getMetrics(baseUrl) {
  const res = await fetch(baseUrl + '/metrics', { cache: 'no-store' });
  assert(res.ok, `/metrics answered HTTP ${res.status}`);
  return res.text();
}

function metricValue(text, series) {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1).trim().split(/\s+/)[0]);
  }
  return null;
}

// Pixels with some opacity, and pixels of a saturated (series) colour, in a canvas.
async function canvasInk(page, id) {
  return page.evaluate((i) => {
    const c = document.getElementById(i);
    if (!c || !c.width || !c.height) return { w: 0, h: 0, ink: 0, colour: 0, points: 0 };
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    let colour = 0;
    for (let p = 0; p < d.length; p += 4) {
      if (d[p + 3] === 0) continue;
      ink += 1;
      const mx = Math.max(d[p], d[p + 1], d[p + 2]);
      const mn = Math.min(d[p], d[p + 1], d[p + 2]);
      if (d[p + 3] > 200 && mx - mn > 80) colour += 1; // the grey grid and text are not
    }
    return { w: c.width, h: c.height, ink, colour, points: Number(c.dataset.points || 0) };
  }, id);
}

// ---- the test --------------------------------------------------------------

await run(async () => {
  const baseUrl = await startServer();
  const browser = await launchBrowser();

  const watcher = pageWatcher(browser, { waitMs: WAIT_MS, viewport: { width: 1000, height: 900 } });
  const { newPage, pageErrors, consoleErrors, dialogs } = watcher;

  const dash = await newPage('dashboard');

  await check('/dashboard.html loads with lang="en", a device-width viewport and an h1', async () => {
    const res = await dash.goto(baseUrl + '/dashboard.html', { waitUntil: 'load' });
    assert(res && res.status() === 200, `HTTP ${res && res.status()}`);
    const lang = await dash.getAttribute('html', 'lang');
    const vp = await dash.getAttribute('meta[name="viewport"]', 'content');
    assert(lang === 'en', `lang is ${lang}`);
    assert(vp && vp.includes('width=device-width'), `viewport is ${vp}`);
    const h1 = await dash.locator('h1').count();
    const h2 = await dash.locator('h2').count();
    assert(h1 === 1 && h2 >= 6, `${h1} h1 and ${h2} h2 headings`);
  });

  await check('#status has role=status and says "live" once /metrics answers', async () => {
    const role = await dash.getAttribute('#status', 'role');
    assert(role === 'status', `#status role is ${role}`);
    await waitForId(dash, 'status', /^live$/, '"live"');
  });

  await check('every big number and chart is on the page; every canvas has role=img and an aria-label', async () => {
    for (const id of BIG_NUMBERS) assert((await textOf(dash, id)) !== null, `no #${id}`);
    for (const id of CANVASES) {
      const a = await dash.evaluate((i) => {
        const c = document.getElementById(i);
        return c && { tag: c.tagName, role: c.getAttribute('role'), label: c.getAttribute('aria-label') };
      }, id);
      assert(a && a.tag === 'CANVAS', `#${id} is not a canvas`);
      assert(a.role === 'img', `#${id} has role ${a.role}`);
      assert(a.label && a.label.length > 5, `#${id} has aria-label ${JSON.stringify(a.label)}`);
    }
  });

  // The maths itself is unit-tested under node (prometheus.test.mjs,
  // dashboard-data.test.mjs); here: Chromium loads the same module files.
  await check('the page runs as ES modules: no window globals, prometheus.mjs imports in the page', async () => {
    const r = await dash.evaluate(async () => {
      const m = await import('/prometheus.mjs');
      return {
        globals: Object.keys(window).filter((k) => k.startsWith('actorchat')),
        exports: ['parseMetrics', 'histogram', 'bucketDelta', 'quantile'].filter((f) => typeof m[f] === 'function'),
        scripts: Array.from(document.scripts).map((s) => s.type),
      };
    });
    assert(r.globals.length === 0, `window globals left: ${r.globals}`);
    assert(r.exports.length === 4, `prometheus.mjs exports only ${r.exports}`);
    assert(r.scripts.length > 0 && r.scripts.every((t) => t === 'module'), `script types ${r.scripts}`);
  });

  await check('the cluster card says "single node" when /metrics has no cluster samples', async () => {
    await waitForId(dash, 'cluster-summary', /^single node$/, '"single node"');
    assert(await dash.isHidden('#cluster-links-wrap'), 'the peer table is shown on a single node');
  });

  await check('#sessions-now shows 0 before any traffic', async () => {
    await waitForId(dash, 'sessions-now', /^0$/, '"0"');
  });

  // Traffic from a second page: raw WebSockets, no chat UI involved.
  // (The chat page, not logged in: a same-origin page that needs no favicon.)
  const traffic = await newPage('traffic');
  await traffic.goto(baseUrl + '/', { waitUntil: 'load' });

  await check(`${USERS.length} users log in over raw WebSockets and #sessions-now shows ${USERS.length}`, async () => {
    await traffic.evaluate((users) => Promise.all(users.map((u) => new Promise((resolve, reject) => {
      window.__socks = window.__socks || {};
      window.__frames = window.__frames || {};
      const origin = location.origin.replace(/^http/, 'ws');
      const ws = new WebSocket(origin + '/ws/' + u);
      window.__socks[u] = ws;
      window.__frames[u] = [];
      const t = setTimeout(() => reject(new Error(`${u}: no welcome within 5 s`)), 5000);
      ws.onmessage = (e) => {
        let f = null;
        try { f = JSON.parse(e.data); } catch (_) { /* counted below */ }
        window.__frames[u].push(f ? f.type : 'unparsable');
        if (f && f.type === 'welcome') {
          clearTimeout(t);
          resolve();
        }
      };
      ws.onclose = (e) => reject(new Error(`${u}: WebSocket closed with ${e.code}`));
    }))), USERS);
    await waitForId(dash, 'sessions-now', new RegExp(`^${USERS.length}$`), `"${USERS.length}"`);
    const label = await dash.getAttribute('#chart-sessions', 'aria-label');
    assert(label.includes(`now ${USERS.length}`), `sessions chart aria-label is ${JSON.stringify(label)}`);
  });

  // Each user says "hi" SAYS_PER_USER times, SAY_EVERY_MS apart, all at once.
  const sending = traffic.evaluate(([users, n, every]) => Promise.all(users.map((u) => new Promise((resolve) => {
    let sent = 0;
    const timer = setInterval(() => {
      window.__socks[u].send(JSON.stringify({ type: 'say', msg: 'hi' }));
      sent += 1;
      if (sent >= n) {
        clearInterval(timer);
        resolve(sent);
      }
    }, every);
  }))), [USERS, SAYS_PER_USER, SAY_EVERY_MS]);

  await check('#deliveries-now and #msgs-now go above 0 while users talk', async () => {
    const positive = /^(?!0(\.0+)?$)\d+(\.\d+)?$/;
    await waitForId(dash, 'deliveries-now', positive, 'a number > 0');
    // chat_deliveries_total / chat_socket_writes_total, drawn with the rate.
    await waitForId(dash, 'per-write-now', /^(?!0\.00$)\d+\.\d\d$/, 'deliveries per write > 0');
    await waitForId(dash, 'msgs-now', positive, 'a number > 0');
    const label = await dash.getAttribute('#chart-deliveries', 'aria-label');
    assert(/now \d/.test(label), `deliveries chart aria-label is ${JSON.stringify(label)}`);
  });

  await check('every user received the messages and no error frame (no rate limiting)', async () => {
    await sending;
    await traffic.waitForTimeout(300);
    const frames = await traffic.evaluate(() => window.__frames);
    const want = SAYS_PER_USER * USERS.length;
    for (const u of USERS) {
      const msgs = frames[u].filter((t) => t === 'message').length;
      const errors = frames[u].filter((t) => t === 'error').length;
      assert(errors === 0, `${u} got ${errors} error frame(s)`);
      assert(msgs >= want - SAYS_PER_USER, `${u} got ${msgs} message frames, wanted at least ${want - SAYS_PER_USER}`);
    }
  });

  const metricsText = await getMetrics(baseUrl);
  const hasHistogram = /^chat_delivery_seconds_bucket\{/m.test(metricsText);
  const hasActors = /^chat_actor_messages_total\{/m.test(metricsText);
  log(`# /metrics: chat_sessions ${metricValue(metricsText, 'chat_sessions')}, ` +
    `broadcasts ${metricValue(metricsText, 'chat_messages_total{kind="broadcast"}')}, ` +
    `deliveries ${metricValue(metricsText, 'chat_deliveries_total')}, ` +
    `chat_delivery_seconds_count ${metricValue(metricsText, 'chat_delivery_seconds_count')}`);
  log(`# chat_delivery_seconds histogram ${hasHistogram ? 'present: expecting numbers' : 'absent: expecting "n/a"'}` +
    ` in #p50-now/#p99-now; per-actor metrics ${hasActors ? 'present' : 'absent'}`);

  await check(hasHistogram
    ? '#p50-now and #p99-now show latencies (chat_delivery_seconds present)'
    : '#p50-now and #p99-now show "n/a" (chat_delivery_seconds absent)', async () => {
    const pred = hasHistogram ? /^(> )?\d+(\.\d+)? (µs|ms|s)$/ : /^n\/a$/;
    await waitForId(dash, 'p99-now', pred, hasHistogram ? 'a latency' : '"n/a"');
    await waitForId(dash, 'p50-now', pred, hasHistogram ? 'a latency' : '"n/a"');
    // Read in one evaluation: a poll of /metrics between separate reads
    // redraws both, and the label would hold newer figures than the numbers.
    const { p50, p99, label } = await dash.evaluate(() => ({
      p50: document.getElementById('p50-now').textContent.trim(),
      p99: document.getElementById('p99-now').textContent.trim(),
      label: document.getElementById('chart-latency').getAttribute('aria-label'),
    }));
    log(`# dashboard shows p50 ${p50}, p99 ${p99}`);
    assert(label.includes(hasHistogram ? p99 : 'n/a'), `latency chart aria-label is ${JSON.stringify(label)}`);
  });

  await check(hasActors
    ? 'the actor table shows messages/s and mailbox max for registry, room and session'
    : 'the actor table shows "n/a" (per-actor metrics absent)', async () => {
    for (const a of ['registry', 'room', 'session']) {
      for (const col of ['rate', 'mailbox']) {
        const id = `actor-${a}-${col}`;
        await waitForId(dash, id, hasActors ? /^\d+(\.\d+)?$/ : /^n\/a$/,
          hasActors ? 'a number' : '"n/a"');
      }
    }
  });

  await check('#rooms-now shows 1 (the lobby) and CPU and RSS show values', async () => {
    await waitForId(dash, 'rooms-now', /^1$/, '"1"');
    await waitForId(dash, 'cpu-now', /^\d+(\.\d)? %$/, 'a percentage');
    await waitForId(dash, 'rss-now', /^\d+(\.\d+)? (KiB|MiB|GiB)$/, 'a size');
  });

  await check('the charts are drawn: canvases have ink, and the data charts have coloured lines', async () => {
    for (const id of CANVASES) {
      const ink = await canvasInk(dash, id);
      assert(ink.w > 0 && ink.h > 0, `#${id} is ${ink.w}x${ink.h}`);
      assert(ink.ink > 200, `#${id} has only ${ink.ink} non-transparent pixels`);
      const hasLine = id !== 'chart-latency' || hasHistogram;
      if (hasLine) {
        assert(ink.points >= 2, `#${id} plotted ${ink.points} points`);
        // The x axis is always 5 minutes, so a few seconds of history is a
        // line of about 6 px: 9 to 15 saturated pixels were seen for a flat
        // one. The grey grid and labels give none, so a handful proves the line.
        assert(ink.colour >= 4, `#${id} has only ${ink.colour} pixels in a series colour`);
      }
    }
  });

  await check('#status still says "live"', async () => {
    const s = await textOf(dash, 'status');
    assert(s === 'live', `#status is ${JSON.stringify(s)}`);
  });

  await check('with the histogram, per-actor and socket-write series cut out of /metrics, the page shows "n/a" for them', async () => {
    // Whatever the server exports, the "absent" path of the page gets exercised.
    const bare = await newPage('dashboard without histogram');
    await bare.route('**/metrics', async (route) => {
      try {
        const res = await route.fetch();
        const body = (await res.text()).replace(/^(# (HELP|TYPE) )?chat_(delivery_seconds|actor_|socket_writes)\S*.*\n/gm, '');
        await route.fulfill({ response: res, body });
      } catch {
        // The page polled once more while its context was closing.
      }
    });
    await bare.goto(baseUrl + '/dashboard.html', { waitUntil: 'load' });
    await waitForId(bare, 'status', /^live$/, '"live"');
    await waitForId(bare, 'sessions-now', new RegExp(`^${USERS.length}$`), `"${USERS.length}"`);
    for (const id of ['p50-now', 'p99-now', 'per-write-now', 'actor-registry-rate', 'actor-room-mailbox',
      'actor-session-rate']) {
      await waitForId(bare, id, /^n\/a$/, '"n/a"');
    }
    const label = await bare.getAttribute('#chart-latency', 'aria-label');
    assert(label.includes('n/a'), `latency chart aria-label is ${JSON.stringify(label)}`);
    const ink = await canvasInk(bare, 'chart-latency');
    assert(ink.ink > 200, `#chart-latency has only ${ink.ink} non-transparent pixels`);
    await bare.unrouteAll({ behavior: 'ignoreErrors' });
    await bare.context().close();
  });

  await check('with cluster samples added to /metrics, the cluster card shows the node, nodes up and each peer link', async () => {
    // Until the server exports them: its real /metrics plus hand-written
    // cluster lines, whose counters grow by a fixed step per poll.
    const page = await newPage('dashboard with cluster');
    let polls = 0;
    const evil = '<img src=x onerror=alert(1)>';
    await page.route('**/metrics', async (route) => {
      try {
        const res = await route.fetch();
        polls += 1;
        const n = polls;
        const body = (await res.text()) + [
          'chat_cluster_nodes 2',
          'chat_node_info{node="node-a"} 1',
          'chat_cluster_link_up{peer="node-b"} 1',
          `chat_cluster_link_messages_total{peer="node-b",direction="out"} ${100 * n}`,
          `chat_cluster_link_messages_total{peer="node-b",direction="in"} ${10 * n}`,
          `chat_cluster_link_bytes_total{peer="node-b",direction="out"} ${50000 * n}`,
          `chat_cluster_link_bytes_total{peer="node-b",direction="in"} ${500 * n}`,
          `chat_cluster_link_up{peer="${evil}"} 0`,
          `chat_cluster_link_messages_total{peer="${evil}",direction="out"} 5`,
          '',
        ].join('\n');
        await route.fulfill({ response: res, body });
      } catch {
        // The page polled once more while its context was closing.
      }
    });
    await page.goto(baseUrl + '/dashboard.html', { waitUntil: 'load' });
    await waitForId(page, 'cluster-summary', /^node node-a, 2 nodes up$/, '"node node-a, 2 nodes up"');
    const readRows = () => page.$$eval('#cluster-links tbody tr', (trs) => trs.map((tr) => ({
      peer: tr.dataset.peer, cells: Array.from(tr.cells).map((c) => c.textContent),
    })));
    await page.waitForFunction(() => {
      const row = document.querySelector('#cluster-links tr[data-peer="node-b"]');
      return row && /^\d/.test(row.cells[2].textContent);
    }, null, { timeout: WAIT_MS, polling: 100 }).catch(async () => {
      throw new Error(`no messages/s for node-b within ${WAIT_MS} ms: rows ${JSON.stringify(await readRows())}`);
    });
    const rows = await readRows();
    assert(rows.length === 2, `${rows.length} peer rows: ${JSON.stringify(rows)}`);
    const b = rows.find((r) => r.peer === 'node-b');
    // Out: 100 messages and 50000 bytes per poll, about a second apart.
    assert(b && b.cells[0] === 'node-b' && b.cells[1] === 'up', `node-b row ${JSON.stringify(b)}`);
    const perSecond = Number(b.cells[2]);
    assert(perSecond > 50 && perSecond < 200, `node-b messages/s out is ${b.cells[2]}`);
    assert(/^\d+(\.\d+)? KiB\/s$/.test(b.cells[4]), `node-b bytes/s out is ${b.cells[4]}`);
    assert(/^\d+ B\/s$/.test(b.cells[5]), `node-b bytes/s in is ${b.cells[5]}`);
    const down = rows.find((r) => r.peer === evil);
    assert(down && down.cells[0] === evil && down.cells[1] === 'down', `hostile peer row ${JSON.stringify(down)}`);
    const imgs = await page.locator('#cluster-links img').count();
    assert(imgs === 0, `a peer name was parsed as markup (${imgs} img)`);
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.context().close();
  });

  if (process.env.E2E_SCREENSHOT) {
    await dash.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true });
    log(`# screenshot (1000 px) saved to ${process.env.E2E_SCREENSHOT}`);
  }

  await check('at 375 px width there is no horizontal scroll and the charts are redrawn to fit', async () => {
    await dash.setViewportSize({ width: 375, height: 740 });
    await dash.waitForTimeout(1300); // a resize redraw and a poll
    const m = await dash.evaluate(() => ({
      sw: document.documentElement.scrollWidth,
      cw: document.documentElement.clientWidth,
      iw: window.innerWidth,
    }));
    assert(m.iw === 375, `window is ${m.iw} px wide`);
    assert(m.sw <= m.cw, `scrollWidth ${m.sw} > clientWidth ${m.cw}`);
    for (const id of CANVASES) {
      const c = await dash.evaluate((i) => {
        const el = document.getElementById(i);
        const r = el.getBoundingClientRect();
        return { right: r.right, css: r.width, px: el.width, dpr: window.devicePixelRatio };
      }, id);
      assert(c.right <= 375, `#${id} ends at ${c.right} px`);
      assert(Math.abs(c.px - Math.round(c.css * c.dpr)) <= 1, `#${id} backing store ${c.px} px for ${c.css} css px`);
      const ink = await canvasInk(dash, id);
      assert(ink.ink > 200, `#${id} has only ${ink.ink} non-transparent pixels at 375 px`);
    }
  });

  if (process.env.E2E_SCREENSHOT_PHONE) {
    await dash.screenshot({ path: process.env.E2E_SCREENSHOT_PHONE, fullPage: true });
    log(`# screenshot (375 px) saved to ${process.env.E2E_SCREENSHOT_PHONE}`);
  }

  await check('no uncaught script error and no console error on any page', async () => {
    assert(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
    assert(dialogs.length === 0, `dialogs: ${dialogs.join('; ')}`);
    assert(consoleErrors.length === 0, `console errors: ${consoleErrors.join('; ')}`);
  });

  await check('the server is still running', async () => {
    assert(!serverExit, `server exited (code ${serverExit && serverExit.code}, signal ${serverExit && serverExit.signal})`);
  });

  await check('after the server stops, #status says "cannot reach /metrics" and the page keeps going', async () => {
    watcher.watchConsole = false; // failed fetches log "Failed to load resource" on purpose now
    await stopServer();
    log(`# server stopped (code ${serverExit && serverExit.code}, signal ${serverExit && serverExit.signal})`);
    await waitForId(dash, 'status', /^cannot reach \/metrics/, '"cannot reach /metrics…"');
    const state = await dash.getAttribute('#status', 'data-state');
    assert(state === 'error', `#status data-state is ${state}`);
    assert(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
    assert(dialogs.length === 0, `dialogs: ${dialogs.join('; ')}`);
  });
});
