// Shared harness of the browser end-to-end tests (chat_e2e.mjs, dashboard_e2e.mjs,
// trace_e2e.mjs, reconnect_e2e.mjs).
//
// One test per process, so the state lives in this module:
//   setup({ script: 'x_e2e.mjs' });          // checks args; arms watchdog, signals
//   await run(async () => {
//     const baseUrl = await startServer();   // waits for "listening on http://..."
//     const browser = await launchBrowser();
//     await check('description', async () => assert(cond, 'why not'));
//   });                                      // prints the summary line, exits
// run() prints `N passed, M failed` and exits 1 on any failure (or none run).
// Whatever happens, the server and Chromium are stopped; the whole run is
// bounded to 60 s unless setup() is given another totalTimeoutMs.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, statSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const TOTAL_TIMEOUT_MS = 60_000;
export const STARTUP_TIMEOUT_MS = 15_000;
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

let passed = 0;
let failed = 0;
let stopping = false; // set once the test tears the server down on purpose
let server = null;
let browser = null;
let watchdog = null;
let binary = null;
let www = null;
const serverLog = [];
export let serverExit = null; // { code, signal } once the server has exited

const started = Date.now();

// E2E_TIMING=1 prefixes each line with the seconds since the test started.
export function log(line) {
  const at = process.env.E2E_TIMING ? `[${((Date.now() - started) / 1000).toFixed(1)}] ` : '';
  process.stdout.write(at + line + '\n');
}

function summary() {
  log(`${passed} passed, ${failed} failed`);
}

// ---- arguments, watchdog, signals ------------------------------------------

// Checks `node <script> BINARY WWWDIR` (and that each of `wwwFiles` is in
// WWWDIR), then arms the watchdog (totalTimeoutMs) and the signal handlers.
export function setup({ script, wwwFiles = [], totalTimeoutMs = TOTAL_TIMEOUT_MS }) {
  const usage = (msg) => {
    process.stderr.write(`error: ${msg}\nusage: node ${script} /path/to/actorchat /path/to/www\n`);
    process.exit(2);
  };
  const [binArg, wwwArg] = process.argv.slice(2);
  if (!binArg || !wwwArg) usage('two arguments are required');
  const BINARY = path.resolve(binArg);
  const WWW = path.resolve(wwwArg);
  if (!existsSync(BINARY)) usage(`server binary not found: ${BINARY}`);
  if (!existsSync(WWW) || !statSync(WWW).isDirectory()) usage(`www directory not found: ${WWW}`);
  for (const f of wwwFiles) {
    if (!existsSync(path.join(WWW, f))) usage(`no ${f} in ${WWW}`);
  }
  if (!existsSync(CHROMIUM)) usage(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`);

  watchdog = setTimeout(async () => {
    log(`not ok - the whole test finished within ${totalTimeoutMs / 1000} s`);
    failed += 1;
    dumpServerLog();
    summary();
    if (server && !serverExit) server.kill('SIGKILL');
    await Promise.race([cleanup(), new Promise((r) => setTimeout(r, 3000))]);
    process.exit(1);
  }, totalTimeoutMs);

  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      log(`# interrupted by ${sig}`);
      await cleanup();
      process.exit(130);
    });
  }
  binary = BINARY;
  www = WWW;
  return { BINARY, WWW };
}

// ---- clean-up, always --------------------------------------------------------

async function terminateServer() {
  if (!server || serverExit) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const t = setTimeout(() => {
    log('# server did not exit within 5 s of SIGTERM; sending SIGKILL');
    server.kill('SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(t);
}

// Stops the server on purpose (no "exited unexpectedly" line).
export async function stopServer() {
  stopping = true;
  await terminateServer();
}

// Ends the server on purpose with `signal` (SIGKILL: no goodbye to any
// client) and waits until it has exited.
export async function killServer(signal = 'SIGKILL') {
  if (!server || serverExit) return;
  stopping = true;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill(signal);
  await exited;
}

// The state of each thread of process `pid` that runs its code (Linux /proc:
// 'R', 'S', 'T', ...). io_uring's kernel workers (iou-*) run none and do not
// stop.
function threadStates(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      return comm.startsWith('iou-') ? [] : [stat.slice(stat.lastIndexOf(')') + 2)[0]];
    });
  } catch {
    return []; // gone, or a thread ended while being read
  }
}

// Sends SIGSTOP or SIGCONT to the running server (a server that hangs with
// its sockets open) and waits until all its threads are stopped, or none is:
// a busy machine can let a thread run on for milliseconds after kill().
export async function signalServer(signal) {
  if (!server || serverExit) return;
  server.kill(signal);
  const stopped = signal === 'SIGSTOP';
  const end = Date.now() + 5000;
  for (;;) {
    const states = threadStates(server.pid);
    if (states.length && states.every((st) => (st === 'T') === stopped)) return;
    if (Date.now() > end) throw new Error(`server threads still ${states.join('')} 5 s after ${signal}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function cleanup() {
  if (browser) {
    const b = browser;
    browser = null;
    await Promise.race([b.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  }
  await terminateServer();
}

function dumpServerLog() {
  if (serverLog.length === 0) return;
  log('# last server output:');
  for (const l of serverLog.slice(-40)) log('#   ' + l);
}

// ---- server and browser ----------------------------------------------------

// Starts the server on a free port (or on `port`, to restart it where its
// clients expect it), with `extraArgs` after the harness's own flags;
// resolves to its base URL ("http://host:port").
export function startServer(extraArgs = [], { port = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const args = ['--port', String(port), '--www', www, '--log-level', 'info', ...extraArgs];
    stopping = false;
    serverExit = null;
    log(`# starting ${binary} ${args.join(' ')}`);
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    let done = false;
    let listening = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      reject(new Error(`server printed no "listening on http://..." line within ${STARTUP_TIMEOUT_MS / 1000} s`));
    }, STARTUP_TIMEOUT_MS);
    const onLine = (line) => {
      serverLog.push(line);
      if (serverLog.length > 500) serverLog.shift();
      if (process.env.E2E_VERBOSE) log('# server: ' + line);
      const m = line.match(/listening on (https?:\/\/[^\s"']+)/);
      if (m && !done) {
        done = true;
        listening = true;
        clearTimeout(timer);
        const baseUrl = m[1].replace(/[.,;/]+$/, '');
        log(`# server at ${baseUrl}`);
        resolve(baseUrl);
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.on('error', (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`cannot start server: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      serverExit = { code, signal };
      if (listening && !stopping) log(`# server exited unexpectedly (code ${code}, signal ${signal})`);
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`server exited before listening (code ${code}, signal ${signal})`));
    });
  });
}

export async function launchBrowser() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

// Opens pages, each in a fresh context, and keeps what would otherwise go
// unnoticed: uncaught script errors, console errors (while watchConsole is
// true) and dialogs (dismissed). The tests assert these lists stay empty.
export function pageWatcher(browserInstance, { waitMs, viewport }) {
  const w = { pageErrors: [], consoleErrors: [], dialogs: [], watchConsole: true };
  w.newPage = async (who, pageViewport) => {
    const ctx = await browserInstance.newContext({ viewport: pageViewport || viewport });
    const page = await ctx.newPage();
    page.setDefaultTimeout(waitMs);
    page.on('pageerror', (e) => w.pageErrors.push(`${who}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && w.watchConsole) w.consoleErrors.push(`${who}: ${m.text()}`);
    });
    page.on('dialog', (d) => {
      w.dialogs.push(`${who}: ${d.type()} ${JSON.stringify(d.message())}`);
      d.dismiss().catch(() => {});
    });
    return page;
  };
  return w;
}

// ---- checks ------------------------------------------------------------------

export async function check(description, fn) {
  try {
    await fn();
    passed += 1;
    log(`ok - ${description}`);
    return true;
  } catch (e) {
    failed += 1;
    const msg = String((e && e.message) || e).split('\n')[0];
    log(`not ok - ${description}: ${msg}`);
    return false;
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Runs the test body, cleans up, prints the summary and exits (0 only if
// at least one check ran and none failed).
export async function run(main) {
  try {
    await main();
  } catch (e) {
    failed += 1;
    log(`not ok - test run aborted: ${(e && e.message) || e}`);
  } finally {
    stopping = true;
    await cleanup();
    clearTimeout(watchdog);
  }
  if (serverExit && serverExit.signal && serverExit.signal !== 'SIGTERM') {
    log(`# server ended by signal ${serverExit.signal}`);
  }
  if (failed > 0) dumpServerLog();
  if (passed + failed === 0) failed = 1;
  summary();
  process.exit(failed > 0 ? 1 : 0);
}
