// The smoke poll (remote/steps/smoke.ts) against a local HTTP server and a stand-in for docker:
// it passes only when the URLs and the containers hold at once, and fails for good on a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerState, Docker } from '../../remote/docker.js';
import { Reporter } from '../../remote/report.js';
import { smoke } from '../../remote/steps/smoke.js';

const container = (over: Partial<ContainerState> = {}): ContainerState => ({
  id: 'c1',
  name: 'web_app_1',
  service: 'app',
  image: 'img',
  status: 'running',
  exitCode: 0,
  restarts: 0,
  ...over,
});

/** A server whose /health answers 404 until `ready()` says so. */
async function app(ready: () => boolean) {
  const server = http.createServer((_, res) => {
    res.writeHead(ready() ? 200 : 404).end(ready() ? 'ok' : 'not yet');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

const quiet = () => new Reporter(undefined, false, () => {});
const plan = (url: string) => ({
  project: 'web',
  checks: [{ url, expect_status: 200, contains: 'ok' }],
  timeoutS: 20,
  waitHealthy: true,
  expectImages: ['img'],
});

test('passes once the app answers, with the containers read after it did', async () => {
  let polls = 0;
  const srv = await app(() => polls >= 4);
  const reads: number[] = [];
  const docker = {
    containers: async () => {
      reads.push(polls);
      return [container()];
    },
  } as unknown as Docker;
  const probing = setInterval(() => polls++, 50); // the app "starts" after a few ticks
  try {
    await smoke(docker, plan(srv.url), quiet());
    assert.ok(
      reads.at(-1)! >= 4,
      `the last container read (tick ${reads.at(-1)}) came after the app answered`,
    );
  } finally {
    clearInterval(probing);
    await srv.close();
  }
});

test('waits for a container health check while the URL already answers', async () => {
  const srv = await app(() => true);
  let reads = 0;
  const docker = {
    containers: async () => [container({ health: ++reads < 3 ? 'starting' : 'healthy' })],
  } as unknown as Docker;
  try {
    await smoke(docker, plan(srv.url), quiet());
    assert.equal(reads, 3);
  } finally {
    await srv.close();
  }
});

test('a container that exits fails the smoke for good while the URL still fails', async () => {
  const srv = await app(() => false);
  let reads = 0;
  const docker = {
    containers: async () => [container(++reads < 2 ? {} : { status: 'exited', exitCode: 1 })],
  } as unknown as Docker;
  try {
    await assert.rejects(smoke(docker, plan(srv.url), quiet()), /container web_app_1 exited with code 1/);
  } finally {
    await srv.close();
  }
});
