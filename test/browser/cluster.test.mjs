// Unit tests of www/cluster.mjs: the cluster samples of /metrics read from a
// hand-written scrape, and per-link rates from two polls.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMetrics } from '../../www/prometheus.mjs';
import { readCluster, linkRates } from '../../www/cluster.mjs';
import { ingest } from '../../www/dashboard-data.mjs';

// Node "a" of three: linked to "b" (up) and "c" (down).
function scrape({ bOut, bIn, bOutBytes, bInBytes, cOut = 7, nodes = 2 }) {
  return parseMetrics(`
# HELP chat_sessions sessions
chat_sessions 4
# TYPE chat_cluster_nodes gauge
chat_cluster_nodes ${nodes}
chat_node_info{node="a"} 1
chat_cluster_link_up{peer="c"} 0
chat_cluster_link_up{peer="b"} 1
chat_cluster_link_messages_total{peer="b",direction="out"} ${bOut}
chat_cluster_link_messages_total{peer="b",direction="in"} ${bIn}
chat_cluster_link_bytes_total{peer="b",direction="out"} ${bOutBytes}
chat_cluster_link_bytes_total{peer="b",direction="in"} ${bInBytes}
chat_cluster_link_messages_total{peer="c",direction="out"} ${cOut}
chat_cluster_link_messages_total{peer="c",direction="in"} 3
chat_cluster_link_bytes_total{peer="c",direction="out"} 700
chat_cluster_link_bytes_total{peer="c",direction="in"} 300
chat_cluster_link_messages_total{peer="b",direction="sideways"} 99
`);
}

const FIRST = { bOut: 100, bIn: 40, bOutBytes: 10000, bInBytes: 4000 };
const SECOND = { bOut: 150, bIn: 60, bOutBytes: 16000, bInBytes: 4400 };

test('a single node has none of the cluster samples: readCluster is null', () => {
  const m = parseMetrics('chat_sessions 3\nchat_rooms 1\nchat_messages_total{kind="broadcast"} 5\n');
  assert.equal(readCluster(m), null);
  assert.deepEqual(linkRates(null, null, 1), []);
});

test('node name, nodes up and the peers, sorted, with their link state and counters', () => {
  const c = readCluster(scrape(FIRST));
  assert.equal(c.node, 'a');
  assert.equal(c.nodesUp, 2);
  assert.deepEqual(c.peers.map((p) => [p.peer, p.up]), [['b', true], ['c', false]]);
  assert.deepEqual(c.peers[0].messages, { out: 100, in: 40 });
  assert.deepEqual(c.peers[0].bytes, { out: 10000, in: 4000 });
  assert.deepEqual(c.peers[1].bytes, { out: 700, in: 300 });
});

test('a cluster node alone (nodes 1, no links) is still a cluster, with no peers', () => {
  const c = readCluster(parseMetrics('chat_cluster_nodes 1\nchat_node_info{node="solo"} 1\n'));
  assert.deepEqual(c, { node: 'solo', nodesUp: 1, peers: [] });
});

test('missing pieces are null, not zero', () => {
  const c = readCluster(parseMetrics('chat_cluster_link_up{peer="b"} 1\n'));
  assert.equal(c.node, null);
  assert.equal(c.nodesUp, null);
  assert.deepEqual(c.peers[0].messages, { out: null, in: null });
});

test('rates from two polls two seconds apart: messages/s and bytes/s each way', () => {
  const [b, c] = linkRates(readCluster(scrape(SECOND)), readCluster(scrape(FIRST)), 2);
  assert.deepEqual(b, {
    peer: 'b', up: true, fresh: false, messages: { out: 25, in: 10 }, bytes: { out: 3000, in: 200 },
  });
  assert.deepEqual(c.messages, { out: 0, in: 0 }, 'an idle (down) link has zero rates');
  assert.equal(c.up, false);
});

test('a counter that went down (link rebuilt) gives no rate; a new peer is "fresh"', () => {
  const prev = readCluster(scrape(FIRST));
  const cur = readCluster(scrape({ ...SECOND, cOut: 2 }));
  const [, c] = linkRates(cur, prev, 1);
  assert.equal(c.messages.out, null);
  assert.equal(c.messages.in, 0);
  const withoutC = { ...prev, peers: prev.peers.filter((p) => p.peer !== 'c') };
  const [, fresh] = linkRates(cur, withoutC, 1);
  assert.equal(fresh.fresh, true);
  assert.equal(fresh.bytes.out, null);
});

test('the dashboard history derives the link rates against the previous poll', () => {
  let history = [];
  history = ingest(history, scrape(FIRST), 1000, Date.now());
  assert.equal(history[0].d.links[0].fresh, true, 'the first poll has nothing to take a rate against');
  history = ingest(history, scrape(SECOND), 1500, Date.now());
  const last = history[history.length - 1];
  assert.equal(last.cluster.node, 'a');
  assert.deepEqual(last.d.links[0].messages, { out: 100, in: 40 }); // 50 and 20 in 0.5 s
  assert.deepEqual(last.d.links[0].bytes, { out: 12000, in: 800 });
});
