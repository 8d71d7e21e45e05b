// The shell the action sends to remove its temp dir on the server: now, or once the run's process
// has ended. Run with sh against real directories.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import { removeAfterScript, removeNowScript } from '../../src/host/upload.js';

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'seisei-deploy.'));
  writeFileSync(join(dir, 'remote.cjs'), 'x');
  return dir;
};

/** A pid that no process has now (a child that has exited). */
const endedPid = () => spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();

describe('temp dir removal scripts', () => {
  it('removes the temp dir now', () => {
    const dir = tempDir();
    const r = spawnSync('sh', ['-c', removeNowScript(dir)]);
    assert.equal(r.status, 0);
    assert.equal(existsSync(dir), false);
  });

  it('removes the temp dir in the background once the process is gone', async () => {
    const dir = tempDir();
    const r = spawnSync('sh', ['-c', removeAfterScript(dir, Number(endedPid()))]);
    assert.equal(r.status, 0);
    for (let i = 0; i < 100 && existsSync(dir); i++) await wait(50);
    assert.equal(existsSync(dir), false);
  });

  it('refuses any path that is not the action temp dir, and a bad pid', () => {
    for (const bad of ['/', '/tmp', '/srv/releases', '/tmp/seisei-deploy.x y', "/tmp/seisei-deploy.a'b"]) {
      assert.throws(() => removeNowScript(bad), /bad temp dir/);
      assert.throws(() => removeAfterScript(bad, 1), /bad temp dir/);
    }
    assert.throws(() => removeAfterScript('/tmp/seisei-deploy.abcdef', 0), /bad pid/);
  });
});
