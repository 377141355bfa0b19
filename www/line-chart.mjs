// Small time-series line charts on <canvas> for the dashboard: a y axis
// from 0 to a round maximum, a minutes axis, lines that break across gaps in
// the data. No data logic.

export function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

// A "nice" upper bound: 1, 2, 4, 6, 8 or 10 times a power of ten, so the
// half-way grid line is a round number too.
function niceCeil(x) {
  if (!(x > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const f of [1, 2, 4, 6, 8, 10]) {
    if (x <= f * p * (1 + 1e-9)) return f * p;
  }
  return 10 * p;
}

// Draws series = [{ points: [[t, v|null], ...], color, fill }] over the
// time range [t1 - spanMs, t1], y from 0 to a nice maximum, with y values
// and a time axis as text. `message` is written across the plot if given.
export function drawChart(canvas, { series, t1, spanMs, gapMs, yFormat, minTop, message }) {
  const cssW = canvas.clientWidth;
  const cssH = canvas.clientHeight;
  if (!cssW || !cssH) return 0;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(cssW * dpr);
  const h = Math.round(cssH * dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);

  const muted = cssVar('--muted', '#57606a');
  const grid = cssVar('--grid', '#d8dee4');
  ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  let max = 0;
  let plotted = 0;
  for (const s of series) {
    for (const [, v] of s.points) if (v !== null && Number.isFinite(v)) max = Math.max(max, v);
  }
  const top = Math.max(niceCeil(max), minTop || 0);
  const ticks = [top, top / 2, 0];
  const labels = ticks.map(yFormat);
  const padL = Math.ceil(Math.max(...labels.map((l) => ctx.measureText(l).width))) + 8;
  const padR = 8;
  const padT = 7;
  const padB = 17;
  const x0 = padL;
  const x1 = cssW - padR;
  const y0 = padT;
  const y1 = cssH - padB;
  if (x1 - x0 < 20 || y1 - y0 < 20) return 0;
  const t0 = t1 - spanMs;
  const X = (t) => x0 + ((t - t0) / spanMs) * (x1 - x0);
  const Y = (v) => y1 - (v / top) * (y1 - y0);

  // grid and y labels
  ctx.lineWidth = 1;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  ticks.forEach((v, i) => {
    const y = Math.round(Y(v)) + 0.5;
    ctx.strokeStyle = grid;
    ctx.beginPath();
    ctx.moveTo(x0, y);
    ctx.lineTo(x1, y);
    ctx.stroke();
    ctx.fillStyle = muted;
    ctx.fillText(labels[i], x0 - 4, y);
  });

  // time axis: one label a minute, fewer when narrow
  ctx.textBaseline = 'top';
  const everyMin = x1 - x0 < 240 ? 2.5 : 1;
  for (let m = 5; m >= 0; m -= everyMin) {
    const x = X(t1 - m * 60000);
    ctx.textAlign = m === 5 ? 'left' : m === 0 ? 'right' : 'center';
    ctx.fillStyle = muted;
    ctx.fillText(m === 0 ? 'now' : '−' + m + 'm', x, y1 + 4);
  }

  // lines; points more than gapMs apart are not joined
  ctx.save();
  ctx.beginPath();
  ctx.rect(x0, y0 - 4, x1 - x0 + 4, y1 - y0 + 8); // room for the newest dot
  ctx.clip();
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  for (const s of series) {
    const runs = [];
    let run = [];
    let lastT = -Infinity;
    for (const [t, v] of s.points) {
      if (v === null || !Number.isFinite(v) || t < t0 - gapMs) {
        if (run.length) runs.push(run);
        run = [];
        continue;
      }
      if (t - lastT > gapMs && run.length) {
        runs.push(run);
        run = [];
      }
      run.push([X(t), Y(v)]);
      lastT = t;
      plotted += 1;
    }
    if (run.length) runs.push(run);
    for (const r of runs) {
      if (s.fill && r.length > 1) {
        ctx.globalAlpha = 0.14;
        ctx.fillStyle = s.color;
        ctx.beginPath();
        ctx.moveTo(r[0][0], y1);
        for (const [x, y] of r) ctx.lineTo(x, y);
        ctx.lineTo(r[r.length - 1][0], y1);
        ctx.closePath();
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 2;
      if (r.length === 1) {
        ctx.beginPath();
        ctx.arc(r[0][0], r[0][1], 4, 0, 2 * Math.PI); // a lone sample stays visible
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(r[0][0], r[0][1]);
      for (let i = 1; i < r.length; i++) ctx.lineTo(r[i][0], r[i][1]);
      ctx.stroke();
    }
  }
  ctx.restore();

  if (message) {
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = muted;
    ctx.font = '13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    ctx.fillText(message, (x0 + x1) / 2, (y0 + y1) / 2);
  }
  canvas.dataset.points = String(plotted);
  return plotted;
}
