#!/usr/bin/env node
// Draws columns of a CSV file written by actorchat-bench (--csv, --timeline)
// as an SVG line chart, with no dependencies, so plots in bench/RESULTS.md
// and docs/EXPERIMENTS.md can be redrawn from their data by anyone.
//
//   node bench/plot.mjs FILE.csv --x COL --y COL[,COL...] [--logx] [--logy]
//        [--title TEXT] [--xlabel TEXT] [--ylabel TEXT] [--out FILE.svg]
//        [--hline VALUE:LABEL] [--ymin N]
//
// One series per --y column; rows are drawn in file order (sort the file
// by x first if needed). --hline draws a dashed reference line (a target).
import { readFileSync, writeFileSync } from 'node:fs';

function parseArgs(argv) {
  const opts = { y: [], logx: false, logy: false, hlines: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--x') opts.x = next();
    else if (a === '--y') opts.y.push(...next().split(','));
    else if (a === '--logx') opts.logx = true;
    else if (a === '--logy') opts.logy = true;
    else if (a === '--title') opts.title = next();
    else if (a === '--xlabel') opts.xlabel = next();
    else if (a === '--ylabel') opts.ylabel = next();
    else if (a === '--out') opts.out = next();
    else if (a === '--ymin') opts.ymin = Number(next());
    else if (a === '--hline') {
      const [v, ...label] = next().split(':');
      opts.hlines.push({ value: Number(v), label: label.join(':') });
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else opts.file = a;
  }
  if (!opts.file || !opts.x || opts.y.length === 0)
    throw new Error('usage: plot.mjs FILE.csv --x COL --y COL[,COL...] [options]');
  return opts;
}

function readCsv(file) {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const header = lines[0].split(',');
  return {
    header,
    rows: lines.slice(1).map((l) => {
      const cells = l.split(',');
      const row = {};
      header.forEach((h, i) => {
        row[h] = cells[i] === undefined || cells[i] === '' ? NaN : Number(cells[i]);
      });
      return row;
    }),
  };
}

// About five round tick values covering [lo, hi].
function linearTicks(lo, hi) {
  const span = hi - lo || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= 6);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(t);
    }
  return ticks;
}

function fmt(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function plot(opts) {
  const { header, rows } = readCsv(opts.file);
  for (const c of [opts.x, ...opts.y])
    if (!header.includes(c)) throw new Error(`no column "${c}" in ${opts.file} (has: ${header.join(', ')})`);
  const W = 720;
  const H = 400;
  const m = { l: 70, r: 20, t: 40, b: 76 };
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

  const xs = rows.map((r) => r[opts.x]).filter((v) => Number.isFinite(v) && (!opts.logx || v > 0));
  const ys = rows.flatMap((r) => opts.y.map((c) => r[c]))
    .concat(opts.hlines.map((h) => h.value))
    .filter((v) => Number.isFinite(v) && (!opts.logy || v > 0));
  if (xs.length === 0 || ys.length === 0) throw new Error('nothing to plot');
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!opts.logy) y0 = Math.min(0, y0);
  if (Number.isFinite(opts.ymin)) y0 = opts.ymin;
  if (!opts.logy) y1 = y1 + (y1 - y0) * 0.05;
  if (x0 === x1) x1 = x0 + 1;
  if (y0 === y1) y1 = y0 + 1;
  const tx = opts.logx ? Math.log10 : (v) => v;
  const ty = opts.logy ? Math.log10 : (v) => v;
  const X = (v) => m.l + ((tx(v) - tx(x0)) / (tx(x1) - tx(x0))) * (W - m.l - m.r);
  const Y = (v) => H - m.b - ((ty(v) - ty(y0)) / (ty(y1) - ty(y0))) * (H - m.t - m.b);

  const out = [];
  const title = opts.title || `${opts.y.join(', ')} by ${opts.x}`;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="t d" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<title id="t">${esc(title)}</title>`);
  out.push(`<desc id="d">${esc(`Line chart of ${opts.y.join(', ')} against ${opts.x}, drawn from ${opts.file.split('/').pop()}.`)}</desc>`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`);
  const xt = opts.logx ? logTicks(x0, x1) : linearTicks(x0, x1);
  const yt = opts.logy ? logTicks(y0, y1) : linearTicks(y0, y1);
  for (const t of yt) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end" fill="#444">${fmt(t)}</text>`);
  }
  for (const t of xt) {
    out.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.t}" y2="${H - m.b}" stroke="#eeeeee"/>`);
    out.push(`<text x="${X(t)}" y="${H - m.b + 16}" text-anchor="middle" fill="#444">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - m.b + 36}" text-anchor="middle">${esc(opts.xlabel || opts.x)}</text>`);
  out.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.ylabel || opts.y.join(', '))}</text>`);
  for (const h of opts.hlines) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(h.value)}" y2="${Y(h.value)}" stroke="#555" stroke-dasharray="6 4"/>`);
    if (h.label) out.push(`<text x="${W - m.r - 4}" y="${Y(h.value) - 5}" text-anchor="end" fill="#555">${esc(h.label)}</text>`);
  }
  let lx = m.l;
  let ly = H - 22;
  opts.y.forEach((c, i) => {
    const color = colors[i % colors.length];
    const pts = rows
      .filter((r) => Number.isFinite(r[opts.x]) && Number.isFinite(r[c]) && (!opts.logx || r[opts.x] > 0) && (!opts.logy || r[c] > 0))
      .map((r) => [X(r[opts.x]), Y(r[c])]);
    if (pts.length > 1)
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => p.map((v) => v.toFixed(1)).join(',')).join(' ')}"/>`);
    if (pts.length <= 60)
      for (const [px, py] of pts) out.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${color}"/>`);
    const width = 28 + c.length * 7 + 18; // legend entries wrap to a 2nd row
    if (lx + width > W - m.r) {
      lx = m.l;
      ly += 16;
    }
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 28}" y="${ly}">${esc(c)}</text>`);
    lx += width;
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

try {
  const opts = parseArgs(process.argv.slice(2));
  const svg = plot(opts);
  if (opts.out) writeFileSync(opts.out, svg);
  else process.stdout.write(svg);
} catch (e) {
  process.stderr.write(`plot.mjs: ${e.message}\n`);
  process.exit(2);
}
