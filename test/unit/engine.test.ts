import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  engineContainer,
  engineImage,
  engineProjectContainers,
  enginePing,
} from '../../remote/commands/engine.js';
import { DEFAULT_SOCKET, localEngineSocket } from '../../remote/engine-api.js';

test('engine requests: the read-only questions the CLI would ask, as API paths', () => {
  assert.equal(enginePing(), '/_ping');
  assert.equal(
    engineImage(`127.0.0.1:5000/org/app@sha256:${'a'.repeat(64)}`),
    `/images/127.0.0.1:5000/org/app@sha256:${'a'.repeat(64)}/json`,
  );
  const list = engineProjectContainers('odoo18-prod');
  assert.match(list, /^\/containers\/json\?all=1&filters=/);
  assert.deepEqual(JSON.parse(decodeURIComponent(list.split('filters=')[1]!)), {
    label: ['com.docker.compose.project=odoo18-prod'],
  });
  assert.equal(engineContainer('abc123'), '/containers/abc123/json');
});

test('the socket is used only where the docker CLI would use that same local socket', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'engine-home-'));
  try {
    assert.equal(localEngineSocket({ HOME: home }), DEFAULT_SOCKET);
    assert.equal(localEngineSocket({}), DEFAULT_SOCKET);
    assert.equal(
      localEngineSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }),
      '/run/user/1000/docker.sock',
    );
    for (const host of ['tcp://10.0.0.5:2376', 'ssh://deploy@db1', 'npipe:////./pipe/docker_engine'])
      assert.equal(localEngineSocket({ DOCKER_HOST: host }), undefined, host);
    assert.equal(localEngineSocket({ HOME: home, DOCKER_CONTEXT: 'remote' }), undefined);
    assert.equal(localEngineSocket({ HOME: home, DOCKER_CONTEXT: 'default' }), DEFAULT_SOCKET);

    const write = (json: unknown) => {
      writeFileSync(path.join(home, 'config.json'), JSON.stringify(json));
    };
    // A context selected with `docker context use` lives in config.json: the CLI follows it, so do we.
    write({ currentContext: 'remote' });
    assert.equal(localEngineSocket({ DOCKER_CONFIG: home }), undefined);
    write({ currentContext: 'default', auths: {} });
    assert.equal(localEngineSocket({ DOCKER_CONFIG: home }), DEFAULT_SOCKET);
    write({ auths: {} });
    assert.equal(localEngineSocket({ DOCKER_CONFIG: home }), DEFAULT_SOCKET);
    // DOCKER_HOST wins over a context, as in the CLI.
    write({ currentContext: 'remote' });
    assert.equal(localEngineSocket({ DOCKER_CONFIG: home, DOCKER_HOST: 'unix:///x.sock' }), '/x.sock');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
