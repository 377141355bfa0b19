// What the browser tests do with and read from the chat page (www/index.html):
// its own forms, its #status line, #members and #log. Shared by chat_e2e.mjs
// and reconnect_e2e.mjs.

export const WAIT_MS = 5_000; // default per expectation

// Waits until some element matching `selector` has text containing `text`.
export async function waitForText(page, selector, text, what, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(
      ([sel, t]) => Array.from(document.querySelectorAll(sel)).some((e) => e.textContent.includes(t)),
      [selector, text],
      { timeout, polling: 50 },
    );
  } catch (_) {
    const seen = await page.evaluate(
      (sel) => Array.from(document.querySelectorAll(sel)).map((e) => e.textContent).slice(-5),
      selector,
    ).catch(() => []);
    throw new Error(`${what}: no ${selector} containing ${JSON.stringify(text)} within ${timeout} ms` +
      ` (last seen: ${JSON.stringify(seen)})`);
  }
}

export async function logHas(page, text) {
  return page.evaluate(
    (t) => Array.from(document.querySelectorAll('#log > *')).some((e) => e.textContent.includes(t)),
    text,
  );
}

export async function statusText(page) {
  return (await page.locator('#status').textContent()) || '';
}

export async function members(page) {
  return page.$$eval('#members li', (lis) => lis.map((li) => li.dataset.user));
}

export async function waitForMembers(page, want, dontWant, who, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(
      ([w, dw]) => {
        const names = Array.from(document.querySelectorAll('#members li')).map((li) => li.dataset.user);
        return w.every((n) => names.includes(n)) && dw.every((n) => !names.includes(n));
      },
      [want, dontWant],
      { timeout, polling: 50 },
    );
  } catch (_) {
    throw new Error(`${who}'s #members is ${JSON.stringify(await members(page))}; ` +
      `wanted ${JSON.stringify(want)}` + (dontWant.length ? ` and not ${JSON.stringify(dontWant)}` : ''));
  }
}

export async function waitForStatus(page, text, who, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(
      (t) => document.getElementById('status').textContent.includes(t),
      text,
      { timeout, polling: 50 },
    );
  } catch (_) {
    throw new Error(`${who}'s status is ${JSON.stringify(await statusText(page))}, wanted ${JSON.stringify(text)}`);
  }
}

// ---- page actions (through the page's own forms) ---------------------------

export async function login(page, baseUrl, name) {
  await page.goto(baseUrl + '/', { waitUntil: 'load' });
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Join chat', exact: true }).click();
}

export async function sendWithEnter(page, text) {
  const input = page.getByLabel('Message', { exact: true });
  await input.fill(text);
  await input.press('Enter');
}

export async function joinRoom(page, room) {
  await page.getByLabel('Room', { exact: true }).fill(room);
  await page.getByRole('button', { name: 'Join room', exact: true }).click();
}
