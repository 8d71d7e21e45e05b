// The executor asks the daemon its read-only questions over the local socket (remote/engine-api.ts)
// and through the docker CLI everywhere else. Both paths must give the same answers on a real stack.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Docker } from '../../remote/docker.js';
import { DEFAULT_SOCKET } from '../../remote/engine-api.js';
import { Reporter } from '../../remote/report.js';
import { startTarget, type Target } from './fixture.js';

const quiet = () => new Reporter(undefined, false, () => {});

describe('docker reads: local socket and CLI agree', () => {
  let t: Target;
  let ref = '';
  before(async () => {
    t = await startTarget();
    ref = (await t.image('sha-reads01')).ref;
    const r = await t.deploy('sha-reads01');
    assert.equal(r.result?.status, 'success', r.stderr);
  });
  after(async () => t?.close());

  test('version, images present and container states are the same through the socket and the CLI', async () => {
    const socket = new Docker(quiet(), undefined, DEFAULT_SOCKET);
    const cli = new Docker(quiet(), undefined, false);
    assert.equal(socket.socket, DEFAULT_SOCKET);
    assert.equal(cli.socket, undefined);

    assert.match(await socket.serverVersion(), /^\d+\.\d+/);
    assert.equal(await socket.serverVersion(), await cli.serverVersion());

    const missing = ref.replace(/@sha256:.*/, `@sha256:${'0'.repeat(64)}`);
    for (const refs of [[ref], [missing], [ref, missing]])
      assert.deepEqual(await socket.missingImages(refs), await cli.missingImages(refs), refs.join(' '));
    assert.deepEqual(await socket.missingImages([ref, missing]), [missing]);

    const viaSocket = await socket.containers(t.stack);
    assert.equal(viaSocket.length, 1);
    assert.equal(viaSocket[0]!.image, ref);
    assert.equal(viaSocket[0]!.status, 'running');
    assert.deepEqual(viaSocket, await cli.containers(t.stack));
    assert.deepEqual(await socket.containers('no-such-project'), []);
  });

  test('a socket nobody listens on fails with a reason, like the CLI with a dead DOCKER_HOST', async () => {
    const dead = new Docker(quiet(), undefined, '/nonexistent/docker.sock');
    await assert.rejects(dead.serverVersion(), /\/nonexistent\/docker\.sock: cannot connect \(ENOENT\)/);
    assert.deepEqual(await dead.missingImages([ref]), [ref]);
    await assert.rejects(dead.containers(t.stack), /listing containers failed/);
  });
});
