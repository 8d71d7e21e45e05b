// Proves the failover client (lb-client.ts) against HTTP servers on 127.0.0.1: steady rate,
// round robin, failover when one node stops mid-run, failed windows only when no node answers,
// bounded in count and time, and addresses outside loopback and the lab refused.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { checkNodes, runLbClient } from './lb-client.js';

interface Node {
  address: string;
  server: http.Server;
  stop(): Promise<void>;
}

const started: Node[] = [];

/** An HTTP server on 127.0.0.1 answering `name` (or `status`); stop() closes it and its connections. */
async function startNode(name: string, status = 200): Promise<Node> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`${name}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const node: Node = {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  started.push(node);
  return node;
}

after(() => Promise.all(started.map((n) => n.stop())));

describe('the failover client', () => {
  test('sends each request to the next node and counts every answer', async () => {
    const nodes = await Promise.all(['a', 'b', 'c'].map((n) => startNode(n)));
    const r = await runLbClient({
      nodes: nodes.map((n) => n.address),
      ratePerSecond: 50,
      maxRequests: 30,
      maxDurationMs: 10_000,
    });
    assert.deepEqual([r.sent, r.ok, r.failed, r.failovers], [30, 30, 0, 0]);
    assert.deepEqual(r.bodies, { a: 10, b: 10, c: 10 });
    for (const n of nodes) assert.deepEqual(r.perNode[n.address], { ok: 10, errors: 0 });
    assert.deepEqual(r.failedWindows, []);
  });

  test('a node stopped mid-run costs failovers to the others, not failed requests', async () => {
    const nodes = await Promise.all(['a', 'b', 'c'].map((n) => startNode(n)));
    const stopping = new Promise<void>((resolve) => setTimeout(resolve, 300)).then(() => nodes[1]!.stop());
    const r = await runLbClient({
      nodes: nodes.map((n) => n.address),
      ratePerSecond: 40,
      maxRequests: 40,
      maxDurationMs: 10_000,
    });
    await stopping;
    assert.equal(r.sent, 40);
    assert.equal(r.failed, 0, JSON.stringify(r.failedWindows));
    assert.equal(r.ok, 40);
    const b = r.perNode[nodes[1]!.address]!;
    assert.ok(b.ok > 0 && b.errors > 0, JSON.stringify(b));
    assert.equal(r.failovers, b.errors, 'each refused request was answered by the next node');
    assert.equal(r.bodies.b, b.ok);
  });

  test('requests fail only while no node answers, and the failed window says when', async () => {
    const only = await startNode('only');
    const stopAt = 250;
    setTimeout(() => void only.stop(), stopAt);
    const r = await runLbClient({
      nodes: [only.address],
      ratePerSecond: 40,
      maxRequests: 20,
      maxDurationMs: 10_000,
      attemptTimeoutMs: 500,
    });
    assert.equal(r.sent, 20);
    assert.ok(r.ok > 0 && r.failed > 0, `ok ${r.ok}, failed ${r.failed}`);
    assert.equal(r.ok + r.failed, r.sent);
    assert.equal(r.failedWindows.length, 1, 'one outage, to the end of the run');
    const w = r.failedWindows[0]!;
    assert.equal(w.requests, r.failed);
    assert.ok(w.start >= r.startedAt && w.end >= w.start && w.end <= r.endedAt, JSON.stringify(w));
  });

  test('an answer the client does not accept counts as an error on that node', async () => {
    const bad = await startNode('bad', 500);
    const good = await startNode('good');
    const r = await runLbClient({
      nodes: [bad.address, good.address],
      ratePerSecond: 50,
      maxRequests: 10,
      maxDurationMs: 10_000,
    });
    assert.deepEqual([r.ok, r.failed, r.failovers], [10, 0, 5]);
    assert.deepEqual(r.perNode[bad.address], { ok: 0, errors: 5 });
    assert.deepEqual(r.bodies, { good: 10 });
  });

  test('stops by itself at maxDurationMs, and at once when aborted', async () => {
    const n = await startNode('n');
    const timed = await runLbClient({
      nodes: [n.address],
      ratePerSecond: 20,
      maxRequests: 1000,
      maxDurationMs: 500,
    });
    assert.equal(timed.sent, 10, 'at 20/s, 500 ms hold 10 requests');
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    const aborted = await runLbClient({
      nodes: [n.address],
      ratePerSecond: 20,
      maxRequests: 1000,
      maxDurationMs: 60_000,
      signal: stop.signal,
    });
    assert.ok(aborted.sent >= 1 && aborted.sent <= 6, `sent ${aborted.sent}`);
  });

  test('only loopback and lab addresses are accepted', () => {
    checkNodes(['127.0.0.1:80', '10.201.0.11:18080']);
    assert.throws(() => checkNodes([]), /nodes: give at least one/);
    assert.throws(() => checkNodes(['8.8.8.8:80']), /neither loopback nor in the lab network/);
    assert.throws(() => checkNodes(['10.201.1.5:80']), /neither loopback nor in the lab network/);
    assert.throws(() => checkNodes(['example.com:80']), /is not IPv4:port/);
    assert.throws(() => checkNodes(['127.0.0.1:0']), /is not IPv4:port/);
  });
});
