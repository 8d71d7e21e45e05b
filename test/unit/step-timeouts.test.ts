// Step time limits: x-seisei-deploy.timeouts (defaults, validation) and the shared deadline the pull
// and up steps put on every command they run (real child processes; no Docker needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Docker } from '../../remote/docker.js';
import { Reporter } from '../../remote/report.js';
import { DEFAULT_TIMEOUTS, readStackConfig } from '../../remote/domain/stack-config.js';

const docker = () => new Docker(new Reporter(undefined, true, () => {}), undefined, false);

function configWith(block: string): () => ReturnType<typeof readStackConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'seisei-timeouts-'));
  writeFileSync(join(dir, 'compose.yml'), `services: {}\nx-seisei-deploy:\n${block}\n`);
  return () => readStackConfig(dir, 'compose.yml');
}

test('timeouts default to pre_deploy 1800 s, pull 900 s and up 600 s; each can be set alone', () => {
  assert.deepEqual(configWith('  smoke: []')().timeouts, { pre_deploy: 1800, pull: 900, up: 600 });
  assert.deepEqual(DEFAULT_TIMEOUTS, { pre_deploy: 1800, pull: 900, up: 600 });
  assert.deepEqual(configWith('  timeouts: { up: 30 }')().timeouts, { pre_deploy: 1800, pull: 900, up: 30 });
});

test('a bad timeout is refused naming the field and the fix', () => {
  assert.throws(
    configWith('  timeouts: { pull: 0 }'),
    /x-seisei-deploy\.timeouts\.pull must be more than 0 seconds/,
  );
  assert.throws(
    configWith('  timeouts: { up: "10m" }'),
    /timeouts\.up must be a number of seconds, e.g\. 600/,
  );
  assert.throws(configWith('  timeouts: { up: 100000 }'), /timeouts\.up must be at most 86400 seconds/);
  assert.throws(configWith('  timeouts: { smoke: 5 }'), /x-seisei-deploy\.timeouts.*"smoke"/);
});

test('a command still running at the step deadline is stopped and the step fails naming the setting', async () => {
  const d = docker();
  await assert.rejects(
    d.within('up', 0.5, () => d.must(['sh', '-c', 'sleep 3600'], 'docker compose up')),
    /docker compose up did not finish within 0\.5 s \(x-seisei-deploy\.timeouts\.up\): it was stopped/,
  );
});

test('the commands of one step share its deadline: a later one gets only the time that is left', async () => {
  const d = docker();
  const done: string[] = [];
  await assert.rejects(
    d.within('pull', 2, async () => {
      await d.must(['sh', '-c', 'sleep 1'], 'docker pull a');
      done.push('a');
      await d.must(['sh', '-c', 'sleep 1.5'], 'docker pull b'); // would fit alone, not after a
      done.push('b');
    }),
    /docker pull b did not finish within 2 s \(x-seisei-deploy\.timeouts\.pull\)/,
  );
  assert.deepEqual(done, ['a']);
});

test('outside a step no deadline applies, and a failing command still fails as before', async () => {
  const d = docker();
  assert.equal((await d.must(['sh', '-c', 'sleep 0.2; echo ok'], 'x')).stdout, 'ok\n');
  await assert.rejects(
    d.must(['sh', '-c', 'echo bad >&2; exit 3'], 'docker compose up'),
    /docker compose up failed \(exit 3\): bad/,
  );
});
