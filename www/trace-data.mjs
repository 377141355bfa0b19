// Reading a trace written by `--trace FILE` (docs/PROTOCOL.md): one JSON
// object per line with ts_ns, from, to, msg and, on the lines of a chat
// message, its id. No DOM, so node's test runner checks it
// (test/browser/trace-data.test.mjs).

// A trace record, or null for a line that is not one. ts_ns beyond 2^53
// (a steady clock after ~104 days) loses a few ns: fine for µs offsets.
function record(value, index) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const { ts_ns: ts, from, to, msg, id } = value;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return null;
  if (typeof from !== 'string' || typeof to !== 'string' || typeof msg !== 'string') return null;
  if (id !== undefined && !(Number.isInteger(id) && id > 0)) return null;
  return { ts, from, to, msg, id: id || 0, index };
}

// Returns { records, skipped }: blank lines are ignored, unreadable ones
// counted.
export function parseTrace(text) {
  const records = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let r = null;
    try {
      r = record(JSON.parse(line), records.length);
    } catch (_) {
      r = null;
    }
    if (r) records.push(r);
    else skipped += 1;
  }
  return { records, skipped };
}

// Time order; lines with equal times keep the file's order.
function byTime(a, b) {
  return a.ts - b.ts || a.index - b.index;
}

// The chat messages of a trace: [{ id, kind, sender, hops }] by id, where
// kind is "broadcast in <room>", "private" or "message".
export function chatMessages(records) {
  const byId = new Map();
  for (const r of records) {
    if (!r.id) continue;
    if (!byId.has(r.id)) byId.set(r.id, []);
    byId.get(r.id).push(r);
  }
  const out = [];
  for (const [id, lines] of byId) {
    lines.sort(byTime);
    const publish = lines.find((l) => l.msg === 'publish');
    const kind = publish ? `broadcast in ${publish.to.replace(/^room:/, '')}`
      : lines.some((l) => l.msg === 'private') ? 'private' : 'message';
    const frame = lines.find((l) => l.msg === 'frame');
    const sender = frame ? frame.to.replace(/^session:/, '') : lines[0].from;
    out.push({ id, kind, sender, hops: lines.length });
  }
  return out.sort((a, b) => a.id - b.id);
}

// The lines of chat message `id`, in time order.
export function pathOf(records, id) {
  return records.filter((r) => r.id === id).sort(byTime);
}

// Participants in order of first appearance (a sender before its receiver).
export function participants(path) {
  const seen = [];
  for (const r of path) {
    for (const name of [r.from, r.to]) {
      if (!seen.includes(name)) seen.push(name);
    }
  }
  return seen;
}

export function micros(ns) {
  return `+${(ns / 1000).toFixed(1)} µs`;
}
