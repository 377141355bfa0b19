#!/usr/bin/env node
// Browser end-to-end test of the actorchat page, driven through headless
// Chromium with playwright-core.
//
//   node chat_e2e.mjs /path/to/actorchat /path/to/www
//
// Starts the server on a free port, logs people in through the page's own
// forms and checks what each of them sees. Prints `ok - ...` / `not ok - ...`
// per check and `N passed, M failed` at the end; exits non-zero on any failure.
// The whole run is bounded to 60 s. Set E2E_SCREENSHOT=/path.png to save a
// 375 px wide screenshot of a logged-in page.

import {
  setup, run, startServer, launchBrowser, pageWatcher, check, assert, log, serverExit,
} from './harness.mjs';
import {
  WAIT_MS, waitForText, logHas, statusText, waitForMembers, waitForStatus, login, sendWithEnter, joinRoom,
} from './chat_page.mjs';

const QUIET_MS = 700; // how long to watch for something that must not arrive

setup({ script: 'chat_e2e.mjs' });

// ---- the test --------------------------------------------------------------

await run(async () => {
  const baseUrl = await startServer();
  const browser = await launchBrowser();

  const watcher = pageWatcher(browser, { waitMs: WAIT_MS, viewport: { width: 1024, height: 768 } });
  const { newPage, dialogs, pageErrors } = watcher;

  const alice = await newPage('alice');
  const bob = await newPage('bob', { width: 375, height: 740 }); // a phone
  const carol = await newPage('carol');

  await check('the page declares lang="en" and a width=device-width viewport', async () => {
    await alice.goto(baseUrl + '/', { waitUntil: 'load' });
    const lang = await alice.getAttribute('html', 'lang');
    const vp = await alice.getAttribute('meta[name="viewport"]', 'content');
    assert(lang === 'en', `lang is ${lang}`);
    assert(vp && vp.includes('width=device-width'), `viewport is ${vp}`);
  });

  await check('alice logs in through the form and the status line says connected', async () => {
    await login(alice, baseUrl, 'alice');
    await waitForStatus(alice, 'connected as alice in lobby', 'alice');
    const role = await alice.getAttribute('#status', 'role');
    assert(role === 'status', `#status role is ${role}`);
  });

  await check('bob logs in through the form and the status line says connected', async () => {
    await login(bob, baseUrl, 'bob');
    await waitForStatus(bob, 'connected as bob in lobby', 'bob');
  });

  await check('alice and bob see each other in #members', async () => {
    await waitForMembers(alice, ['alice', 'bob'], [], 'alice');
    await waitForMembers(bob, ['alice', 'bob'], [], 'bob');
    const cur = await alice.locator('#current-room').textContent();
    assert(cur.trim() === 'lobby', `alice's #current-room is ${JSON.stringify(cur)}`);
  });

  await check('a room message sent with Enter reaches bob and clears the input', async () => {
    await sendWithEnter(alice, 'hello from alice');
    await waitForText(bob, '#log .msg', 'hello from alice', 'bob');
    const cls = await bob.$$eval('#log .msg', (els) =>
      els.filter((e) => e.textContent.includes('hello from alice')).map((e) => e.className));
    assert(!cls[0].includes('private'), `room message has class "${cls[0]}"`);
    const from = await bob.$$eval('#log .msg', (els) =>
      els.filter((e) => e.textContent.includes('hello from alice')).map((e) => e.textContent));
    assert(from[0].includes('alice'), `message does not show its sender: ${from[0]}`);
    const id = await bob.$$eval('#log .msg', (els) =>
      els.filter((e) => e.textContent.includes('hello from alice')).map((e) => e.dataset.id));
    assert(id[0] && /^\d+$/.test(id[0]), `message has data-id ${JSON.stringify(id[0])}`);
    const left = await alice.getByLabel('Message', { exact: true }).inputValue();
    assert(left === '', `alice's message input still holds ${JSON.stringify(left)}`);
  });

  await check('carol logs in to the lobby and alice sees her join', async () => {
    await login(carol, baseUrl, 'carol');
    await waitForStatus(carol, 'connected as carol in lobby', 'carol');
    await waitForMembers(alice, ['carol'], [], 'alice');
    await waitForText(alice, '#log .presence', 'carol joined lobby', 'alice');
  });

  await check('clicking bob in the member list makes him the private-message target', async () => {
    await alice.locator('#members li[data-user="bob"] button').click();
    const to = await alice.locator('#to').inputValue();
    assert(to === 'bob', `#to is ${JSON.stringify(to)}`);
    const opts = await alice.$$eval('#to option', (os) => os.map((o) => [o.value, o.textContent]));
    assert(opts[0][0] === '' && opts[0][1] === 'everyone in room', `first option is ${JSON.stringify(opts[0])}`);
    assert(!opts.some(([v]) => v === 'alice'), `alice can pick herself: ${JSON.stringify(opts)}`);
  });

  await check('a private message reaches bob with class "private" and echoes to alice', async () => {
    await sendWithEnter(alice, 'secret for bob');
    await waitForText(bob, '#log .msg.private', 'secret for bob', 'bob');
    await waitForText(alice, '#log .msg.private', 'secret for bob', 'alice');
    const text = await bob.$$eval('#log .msg.private', (els) =>
      els.filter((e) => e.textContent.includes('secret for bob')).map((e) => e.textContent));
    assert(text[0].includes('→ bob'), `private line does not show the recipient: ${text[0]}`);
  });

  await check('carol in the lobby does not see the private message', async () => {
    // Messages from one sender arrive in order: once carol sees alice's next
    // room message, the private one can no longer be on its way to her.
    await alice.locator('#to').selectOption('');
    await sendWithEnter(alice, 'marker after the secret');
    await waitForText(carol, '#log .msg', 'marker after the secret', 'carol');
    assert(!(await logHas(carol, 'secret for bob')), 'carol saw the private message');
  });

  const dave = await newPage('dave');
  await check('a seed-format frame {"to_user":"","msg":...} from a raw WebSocket reaches alice', async () => {
    await dave.goto(baseUrl + '/', { waitUntil: 'load' });
    await dave.evaluate(() => new Promise((resolve, reject) => {
      const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/dave');
      window.__seed = ws;
      const t = setTimeout(() => reject(new Error('raw WebSocket did not open within 5 s')), 5000);
      ws.onopen = () => {
        clearTimeout(t);
        ws.send(JSON.stringify({ to_user: '', msg: 'from the seed page' }));
        resolve();
      };
      ws.onclose = (e) => reject(new Error(`raw WebSocket closed with ${e.code}`));
    }));
    await waitForText(alice, '#log .msg', 'from the seed page', 'alice');
    const line = await alice.$$eval('#log .msg', (els) =>
      els.filter((e) => e.textContent.includes('from the seed page')).map((e) => e.textContent));
    assert(line[0].includes('dave'), `seed message does not show dave as sender: ${line[0]}`);
    await waitForMembers(alice, ['dave'], [], 'alice');
  });

  const eve = await newPage('eve');
  await check('a name already taken is refused: error shown, login form usable again, no reconnect', async () => {
    await login(eve, baseUrl, 'alice');
    await eve.waitForFunction(
      () => !document.getElementById('name').disabled &&
        !document.getElementById('login').hidden &&
        document.getElementById('status').textContent.trim() !== 'connecting…',
      null, { timeout: WAIT_MS, polling: 50 },
    ).catch(async () => {
      throw new Error(`login form not re-enabled; status ${JSON.stringify(await statusText(eve))}`);
    });
    const s1 = await statusText(eve);
    assert(!/connected as|reconnecting/.test(s1), `status is ${JSON.stringify(s1)}`);
    assert(s1.trim() !== '' && s1.trim() !== 'not connected', 'no error detail shown in the status line');
    await eve.waitForTimeout(1500);
    const s2 = await statusText(eve);
    assert(!/reconnecting|connecting…|connected as/.test(s2), `status went on to ${JSON.stringify(s2)}`);
    await waitForStatus(alice, 'connected as alice in lobby', 'alice');
  });

  await check('a user name with a space is refused and the login form stays usable', async () => {
    await eve.getByLabel('Your name').fill('bad name');
    await eve.getByRole('button', { name: 'Join chat', exact: true }).click();
    await eve.waitForFunction(
      () => !document.getElementById('name').disabled &&
        document.getElementById('status').textContent.trim() !== 'connecting…',
      null, { timeout: WAIT_MS, polling: 50 },
    );
    const s = await statusText(eve);
    assert(!/connected as|reconnecting/.test(s), `status is ${JSON.stringify(s)}`);
  });

  await check('a non-ASCII name (zoë) logs in through the form', async () => {
    await eve.getByLabel('Your name').fill('zoë');
    await eve.getByRole('button', { name: 'Join chat', exact: true }).click();
    await waitForStatus(eve, 'connected as zoë in lobby', 'zoë');
    await waitForMembers(alice, ['zoë'], [], 'alice');
  });

  // What the page relies on when a name is refused: an error frame, then close 1008.
  async function rawRefusal(page, pathName) {
    return page.evaluate((p) => new Promise((resolve) => {
      const frames = [];
      const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + p);
      const t = setTimeout(() => resolve({ frames, code: 'no close within 4 s' }), 4000);
      ws.onmessage = (e) => frames.push(String(e.data));
      ws.onclose = (e) => {
        clearTimeout(t);
        resolve({ frames, code: e.code });
      };
    }), pathName);
  }

  for (const [pathName, code] of [['/ws/alice', 'name_taken'], ['/ws/bad%20name', 'bad_username']]) {
    await check(`the server refuses ${pathName} with an error frame "${code}" and close code 1008`, async () => {
      const r = await rawRefusal(dave, pathName);
      const codes = r.frames.map((f) => {
        try { return JSON.parse(f).code; } catch (_) { return `unparsable ${f}`; }
      });
      assert(codes.includes(code) && r.code === 1008,
        `got frames ${JSON.stringify(r.frames)} and close code ${r.code}`);
    });
  }

  await check('alice and bob join room "dev" through the room form', async () => {
    await joinRoom(alice, 'dev');
    await waitForStatus(alice, 'connected as alice in dev', 'alice');
    await joinRoom(bob, 'dev');
    await waitForStatus(bob, 'connected as bob in dev', 'bob');
    for (const [p, who] of [[alice, 'alice'], [bob, 'bob']]) {
      const cur = await p.locator('#current-room').textContent();
      assert(cur.trim() === 'dev', `${who}'s #current-room is ${JSON.stringify(cur)}`);
    }
    await waitForMembers(alice, ['alice', 'bob'], ['carol', 'dave', 'zoë'], 'alice');
    await waitForMembers(bob, ['alice', 'bob'], ['carol', 'dave', 'zoë'], 'bob');
    await waitForMembers(carol, ['carol', 'dave', 'zoë'], ['alice', 'bob'], 'carol');
  });

  await check('a message in dev reaches bob and not carol in the lobby', async () => {
    await sendWithEnter(alice, 'hello dev room');
    await waitForText(bob, '#log .msg', 'hello dev room', 'bob');
    await carol.waitForTimeout(QUIET_MS);
    assert(!(await logHas(carol, 'hello dev room')), 'carol saw the dev message');
  });

  const XSS = '<img src=x onerror=alert(1)>';
  await check('markup in a message is shown as literal text, never parsed', async () => {
    await sendWithEnter(alice, XSS);
    await waitForText(bob, '#log .msg', XSS, 'bob');
    await waitForText(alice, '#log .msg', XSS, 'alice');
    for (const [p, who] of [[alice, 'alice'], [bob, 'bob']]) {
      const imgs = await p.locator('#log img').count();
      assert(imgs === 0, `${who}'s #log contains ${imgs} img element(s)`);
    }
    await bob.waitForTimeout(300);
    assert(dialogs.length === 0, `dialog opened: ${dialogs.join('; ')}`);
  });

  await check('the page has no horizontal scroll at 375 px width', async () => {
    const m = await bob.evaluate(() => ({
      sw: document.documentElement.scrollWidth,
      cw: document.documentElement.clientWidth,
      iw: window.innerWidth,
    }));
    assert(m.iw === 375, `bob's window is ${m.iw} px wide`);
    assert(m.sw <= m.cw, `scrollWidth ${m.sw} > clientWidth ${m.cw}`);
  });

  if (process.env.E2E_SCREENSHOT) {
    await bob.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true });
    log(`# screenshot of bob's page (375 px) saved to ${process.env.E2E_SCREENSHOT}`);
  }

  await check('no dialog was opened and no uncaught script error happened on any page', async () => {
    assert(dialogs.length === 0, `dialogs: ${dialogs.join('; ')}`);
    assert(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
  });

  await check('the server is still running', async () => {
    assert(!serverExit, `server exited (code ${serverExit && serverExit.code}, signal ${serverExit && serverExit.signal})`);
  });
});
