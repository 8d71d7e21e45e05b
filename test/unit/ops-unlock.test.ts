// `unlock`: shows the holder, refuses without --yes, removes the lock with it and records that.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { recentRecords } from '../../remote/domain/history.js';
import { processStartTime } from '../../remote/domain/process.js';
import { cli, tempRoot } from './ops-fixture.js';

let fx: ReturnType<typeof tempRoot>;
beforeEach(() => (fx = tempRoot()));
afterEach(() => fx.dispose());

function hold(stack: string, holder: Record<string, unknown>): string {
  const path = fx.l.lockFile(stack);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    JSON.stringify({
      actor: 'bob',
      run_id: '777',
      release: 'sha-1__20260101T000000Z',
      since: 'then',
      ...holder,
    }),
  );
  return path;
}

describe('unlock', () => {
  it('shows the holder and refuses without --yes, leaving the lock in place', () => {
    const path = hold('app', { pid: 4242, start_time: '9', hostname: 'builder-7' });
    const r = cli(fx.root, ['unlock', 'app']);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /held by pid 4242 on builder-7, actor bob, run 777/);
    assert.match(r.stdout, /recorded on another host \(builder-7\)/);
    assert.match(r.stderr, /run again with --yes/);
    assert.equal(existsSync(path), true);
    assert.deepEqual(recentRecords(fx.l.history, { limit: 5 }), []);
  });

  it('removes the lock with --yes and records an unlock row with the holder and the actor', () => {
    const path = hold('app', { pid: 4242, start_time: '9', hostname: 'builder-7' });
    const r = cli(fx.root, ['unlock', 'app', '--yes', '--actor', 'ops-carol', '--reason', 'builder-7 died']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /removed the lock of app, held by pid 4242 on builder-7/);
    assert.equal(existsSync(path), false);
    const [rec] = recentRecords(fx.l.history, { limit: 5 });
    assert.deepEqual(
      [rec?.mode, rec?.status, rec?.stack, rec?.actor, rec?.note, rec?.release_id],
      ['unlock', 'success', 'app', 'ops-carol', 'builder-7 died', 'sha-1__20260101T000000Z'],
    );
    assert.deepEqual((rec?.lock_holder as { pid: number; hostname: string }).hostname, 'builder-7');
  });

  it('warns that a holder on this server is still running', () => {
    hold('app', { pid: process.pid, start_time: processStartTime(process.pid), hostname: hostname() });
    const r = cli(fx.root, ['unlock', 'app']);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /RUNNING on this server/);
  });

  it('says so when the stack is not locked, and records nothing', () => {
    const r = cli(fx.root, ['unlock', 'app', '--yes']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /app is not locked/);
    assert.deepEqual(recentRecords(fx.l.history, { limit: 5 }), []);
  });

  it('refuses a stack name that is not one', () => {
    const r = cli(fx.root, ['unlock', '../etc', '--yes']);
    assert.equal(r.status, 2);
  });
});
