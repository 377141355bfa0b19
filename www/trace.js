// actorchat message trace viewer. Reads a trace written by `--trace FILE`
// (one JSON object per line: ts_ns, from, to, msg and, on the lines of a
// chat message, its id), lists the chat messages found and draws the path
// of one as an SVG sequence diagram. No network access; names come from
// users, so text goes into the page with textContent only.

import { $, setStatus } from './page.mjs';
import { parseTrace, chatMessages, pathOf, participants, micros } from './trace-data.mjs';

const SVG = 'http://www.w3.org/2000/svg';
const COL = 150;       // px between lifelines
const HEAD = 44;       // px above the first arrow (participant names)
const ROW = 38;        // px per arrow
const PAD = 16;        // px around the drawing
const MAX_NAME = 20;   // characters of a participant name drawn in full

// ---- drawing -----------------------------------------------------------------

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function shorten(name) {
  return name.length > MAX_NAME ? name.slice(0, MAX_NAME - 1) + '…' : name;
}

// The SVG sequence diagram of `path` (time order).
function diagram(id, path) {
  const names = participants(path);
  const x = (name) => PAD + COL / 2 + names.indexOf(name) * COL;
  const width = PAD * 2 + names.length * COL;
  const height = HEAD + path.length * ROW + PAD;
  const t0 = path.length ? path[0].ts : 0;
  const summary = `Sequence diagram of chat message ${id}: ${path.length} hops between ` +
    `${names.length} participants (${names.join(', ')})`;

  const svg = el('svg', {
    xmlns: SVG, width, height, viewBox: `0 0 ${width} ${height}`,
    role: 'img', 'aria-label': summary, 'data-id': id,
  });
  svg.append(el('title', {}, summary));
  const defs = el('defs');
  const marker = el('marker', {
    id: 'arrowhead', viewBox: '0 0 10 10', refX: 9, refY: 5,
    markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse',
  });
  marker.append(el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'head' }));
  defs.append(marker);
  svg.append(defs);

  for (const name of names) {
    const g = el('g', { class: 'lifeline', 'data-name': name });
    g.append(el('title', {}, name)); // the full name, if shortened below
    g.append(el('text', { x: x(name), y: PAD + 12, 'text-anchor': 'middle', class: 'participant' },
      shorten(name)));
    g.append(el('line', { x1: x(name), y1: PAD + 20, x2: x(name), y2: height - PAD / 2 }));
    svg.append(g);
  }

  path.forEach((r, i) => {
    const y = HEAD + i * ROW + ROW / 2;
    const x1 = x(r.from);
    const x2 = x(r.to);
    const text = `${r.msg} ${micros(r.ts - t0)}`;
    const g = el('g', {
      class: 'hop', 'data-from': r.from, 'data-to': r.to, 'data-msg': r.msg,
    });
    if (x1 === x2) {
      // A participant handling its own message: a small loop.
      g.append(el('path', {
        d: `M${x1},${y - 8} h24 v16 h-24`, 'marker-end': 'url(#arrowhead)', class: 'arrow',
      }));
      g.append(el('text', { x: x1 + 30, y: y + 4, class: 'label' }, text));
    } else {
      g.append(el('line', {
        x1, y1: y, x2: x2 + (x2 > x1 ? -2 : 2), y2: y, 'marker-end': 'url(#arrowhead)', class: 'arrow',
      }));
      g.append(el('text', { x: (x1 + x2) / 2, y: y - 6, 'text-anchor': 'middle', class: 'label' }, text));
    }
    svg.append(g);
  });
  return svg;
}

// ---- the page ----------------------------------------------------------------

let records = [];

// Draws chat message `id`; clears the drawing for 0 (no chat message).
function show(id) {
  const wrap = $('diagram');
  const body = $('hops').tBodies[0];
  wrap.replaceChildren();
  body.replaceChildren();
  const path = id ? pathOf(records, id) : [];
  if (path.length === 0) return;
  wrap.append(diagram(id, path));
  const t0 = path[0].ts;
  path.forEach((r, i) => {
    const tr = document.createElement('tr');
    for (const v of [String(i + 1), micros(r.ts - t0), r.from, r.to, r.msg]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    body.append(tr);
  });
}

function load(text, source) {
  const parsed = parseTrace(text);
  records = parsed.records;
  const messages = chatMessages(records);
  const select = $('message-id');
  select.replaceChildren();
  for (const m of messages) {
    const o = document.createElement('option');
    o.value = String(m.id);
    o.textContent = `#${m.id} — ${m.kind}, from ${m.sender}, ${m.hops} hops`;
    select.append(o);
  }
  select.disabled = messages.length === 0;
  if (messages.length === 0) {
    const o = document.createElement('option');
    o.value = '';
    o.textContent = 'no chat message in this trace';
    select.append(o);
  }
  const skipped = parsed.skipped ? `, ${parsed.skipped} unreadable line(s) skipped` : '';
  setStatus(`${source}: ${records.length} lines, ${messages.length} chat message(s)${skipped}`,
    parsed.skipped ? 'error' : 'loaded');
  show(messages.length ? messages[0].id : 0);
}

function init() {
  $('trace-file').addEventListener('change', (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    // Cleared, so picking the same file again (a new recording) reloads it.
    e.target.value = '';
    setStatus(`reading ${file.name}…`, 'reading');
    file.text().then((text) => load(text, file.name),
      (err) => setStatus(`cannot read ${file.name}: ${err.message}`, 'error'));
  });
  $('paste-form').addEventListener('submit', (e) => {
    e.preventDefault();
    load($('trace-text').value, 'pasted lines');
  });
  $('message-id').addEventListener('change', (e) => {
    if (e.target.value) show(Number(e.target.value));
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
