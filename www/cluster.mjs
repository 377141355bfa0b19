// The cluster as this node's /metrics shows it, and the per-link rates
// between two polls. The sample names are fixed for the cluster server:
//   chat_cluster_nodes                       nodes this node sees up, itself included
//   chat_node_info{node="NAME"} 1            this node's name
//   chat_cluster_link_up{peer="NAME"}        1 or 0
//   chat_cluster_link_messages_total{peer="NAME",direction="out|in"}
//   chat_cluster_link_bytes_total{peer="NAME",direction="out|in"}
// No DOM, so node's test runner checks it (test/browser/cluster.test.mjs).

import { counterRate } from './prometheus.mjs';

const LINK_COUNTERS = {
  messages: 'chat_cluster_link_messages_total',
  bytes: 'chat_cluster_link_bytes_total',
};
export const DIRECTIONS = ['out', 'in'];

function finite(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

// null on a single node (none of the samples above); else
// { node, nodesUp, peers: [{ peer, up, messages: {out, in}, bytes: {out, in} }] }
// with peers sorted by name. What /metrics lacks is null.
export function readCluster(metrics) {
  const rows = (name) => metrics.byName.get(name) || [];
  const info = rows('chat_node_info');
  const nodes = rows('chat_cluster_nodes');
  const peers = new Map();
  const peer = (name) => {
    if (!peers.has(name)) {
      peers.set(name, { peer: name, up: null, messages: { out: null, in: null }, bytes: { out: null, in: null } });
    }
    return peers.get(name);
  };

  for (const r of rows('chat_cluster_link_up')) {
    const v = finite(r.value);
    if (typeof r.labels.peer === 'string') peer(r.labels.peer).up = v === null ? null : v > 0;
  }
  for (const [kind, name] of Object.entries(LINK_COUNTERS)) {
    for (const r of rows(name)) {
      const { peer: p, direction } = r.labels;
      if (typeof p === 'string' && DIRECTIONS.includes(direction)) peer(p)[kind][direction] = finite(r.value);
    }
  }
  if (info.length === 0 && nodes.length === 0 && peers.size === 0) return null;

  const named = info.find((r) => r.value === 1) || info[0];
  return {
    node: named && typeof named.labels.node === 'string' ? named.labels.node : null,
    nodesUp: nodes.length ? finite(nodes[0].value) : null,
    peers: Array.from(peers.values()).sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0)),
  };
}

// Messages/s and bytes/s each way for every peer of `cur`, against the
// same peer in `prev` (a poll dtSeconds earlier): [{ peer, up, messages:
// {out, in}, bytes: {out, in}, fresh }]. A peer new since `prev` (fresh) or
// whose counters went down (its link was rebuilt) has null rates.
export function linkRates(cur, prev, dtSeconds) {
  if (!cur) return [];
  const before = new Map(prev ? prev.peers.map((p) => [p.peer, p]) : []);
  return cur.peers.map((p) => {
    const then = before.get(p.peer);
    const out = { peer: p.peer, up: p.up, messages: {}, bytes: {}, fresh: !then };
    for (const kind of Object.keys(LINK_COUNTERS)) {
      for (const dir of DIRECTIONS) {
        out[kind][dir] = then ? counterRate(p[kind][dir], then[kind][dir], dtSeconds) : null;
      }
    }
    return out;
  });
}
