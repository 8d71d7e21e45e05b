import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composePluginDirs, detectCompose } from '../../remote/engine/compose-detect.js';
import { privateDockerConfig } from '../../remote/registry-credentials.js';

const SYSTEM_DIRS = composePluginDirs({ DOCKER_CONFIG: '/nonexistent' }).slice(1);
const systemHasPlugin = SYSTEM_DIRS.some((d) => existsSync(path.join(d, 'docker-compose')));

function executable(file: string, body = 'exit 0'): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

test('compose plugin dirs are the docker CLI`s, in its order, with config.json`s extra dirs', () => {
  const cfg = mkdtempSync(path.join(tmpdir(), 'compose-cfg-'));
  try {
    assert.deepEqual(SYSTEM_DIRS, [
      '/usr/local/lib/docker/cli-plugins',
      '/usr/local/libexec/docker/cli-plugins',
      '/usr/lib/docker/cli-plugins',
      '/usr/libexec/docker/cli-plugins',
    ]);
    assert.equal(composePluginDirs({ HOME: '/home/ops' })[0], '/home/ops/.docker/cli-plugins');
    writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ cliPluginsExtraDirs: ['/opt/plugins'] }));
    assert.deepEqual(composePluginDirs({ DOCKER_CONFIG: cfg }).slice(0, 2), [
      path.join(cfg, 'cli-plugins'),
      '/opt/plugins',
    ]);
  } finally {
    rmSync(cfg, { recursive: true, force: true });
  }
});

test('v2 when the plugin is installed and answers, else v1 on PATH, else a clear error', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'compose-detect-'));
  try {
    const bin = path.join(root, 'bin');
    const cfg = path.join(root, 'docker-config');
    mkdirSync(cfg);
    const env = { PATH: bin, DOCKER_CONFIG: cfg };
    await assert.rejects(detectCompose(env), /the docker CLI is not on PATH/);
    // A stand-in docker CLI: `docker compose version` answers as the file `answer` says.
    const answer = path.join(root, 'answer');
    writeFileSync(answer, '0\n');
    executable(
      path.join(bin, 'docker'),
      `[ "$1 $2" = "compose version" ] && read code < ${answer} && exit $code; exit 1`,
    );
    if (!systemHasPlugin) await assert.rejects(detectCompose(env), /Docker Compose not found: install/);
    executable(path.join(bin, 'docker-compose'));
    assert.equal(await detectCompose(env), systemHasPlugin ? 'v2' : 'v1');
    executable(path.join(cfg, 'cli-plugins', 'docker-compose'));
    assert.equal(await detectCompose(env), 'v2');
    // A plugin that does not work: v1 it is, as with `docker compose version` failing.
    writeFileSync(answer, '1\n');
    assert.equal(await detectCompose(env), 'v1');
    writeFileSync(answer, '0\n');
    // Not executable: the CLI would not run it either.
    chmodSync(path.join(cfg, 'cli-plugins', 'docker-compose'), 0o644);
    assert.equal(await detectCompose(env), systemHasPlugin ? 'v2' : 'v1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the private docker config of a run still finds the plugins of the usual config dir', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'docker-base-'));
  const saved = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = base;
  try {
    executable(path.join(base, 'cli-plugins', 'docker-compose'));
    const priv = privateDockerConfig(path.join(base, 'runs'));
    const link = path.join(priv.dir, 'cli-plugins');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.deepEqual(composePluginDirs({ DOCKER_CONFIG: priv.dir })[0], link);
    assert.ok(existsSync(path.join(link, 'docker-compose')), 'the plugin is found through the link');
    priv.dispose();
    assert.equal(existsSync(priv.dir), false);
    assert.ok(existsSync(path.join(base, 'cli-plugins', 'docker-compose')), 'the plugin itself is kept');
  } finally {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
    rmSync(base, { recursive: true, force: true });
  }
});
