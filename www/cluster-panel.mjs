// The dashboard's Cluster card: this node's name, how many nodes it sees up,
// and one table row per peer link with its messages/s and bytes/s each way.
// Node and peer names come from /metrics: textContent only.

import { $, setText } from './page.mjs';
import { fmt, NA, NONE } from './format.mjs';
import { DIRECTIONS } from './cluster.mjs';

function linkState(up) {
  return up === null ? NA : up ? 'up' : 'down';
}

// The cells of one peer's row after its name: link state, then messages/s
// and bytes/s out and in; '—' until a second poll gives a rate.
function cells(link, firstPoll) {
  const rate = (v, f) => (firstPoll || link.fresh ? NONE : f(v));
  return [
    linkState(link.up),
    ...DIRECTIONS.map((dir) => rate(link.messages[dir], fmt.rate)),
    ...DIRECTIONS.map((dir) => rate(link.bytes[dir], fmt.byteRate)),
  ];
}

function newRow(peer, n) {
  const tr = document.createElement('tr');
  tr.dataset.peer = peer;
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = peer;
  tr.append(th);
  for (let i = 0; i < n; i++) tr.append(document.createElement('td'));
  return tr;
}

// `sample` is the newest poll (dashboard-data.mjs): its cluster and d.links.
export function renderCluster(sample, firstPoll) {
  const summary = $('cluster-summary');
  const wrap = $('cluster-links-wrap');
  const body = $('cluster-links').tBodies[0];
  const cluster = sample.cluster;
  if (!cluster) {
    setText(summary, 'single node');
    wrap.hidden = true;
    body.replaceChildren();
    return;
  }

  const up = cluster.nodesUp;
  setText(summary, 'node ' + (cluster.node === null ? NA : cluster.node) + ', ' +
    (up === null ? NA : fmt.count(up)) + (up === 1 ? ' node' : ' nodes') + ' up' +
    (sample.d.links.length ? '' : '; no links to other nodes'));
  wrap.hidden = sample.d.links.length === 0;

  // Rows are rebuilt only when the set of peers changes, else updated in place.
  const names = sample.d.links.map((l) => l.peer);
  const rows = Array.from(body.rows);
  if (rows.length !== names.length || rows.some((r, i) => r.dataset.peer !== names[i])) {
    body.replaceChildren(...sample.d.links.map((l) => newRow(l.peer, 5)));
  }
  sample.d.links.forEach((link, i) => {
    const tr = body.rows[i];
    tr.dataset.up = String(link.up);
    cells(link, firstPoll).forEach((text, j) => setText(tr.cells[j + 1], text));
  });
}
