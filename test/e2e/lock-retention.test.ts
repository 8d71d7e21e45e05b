// Issue 2, acceptance 8 and 9: per-stack locking and the retention rule, for real.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { startTarget, type Target } from './fixture.js';

describe('executor: locking and retention', () => {
  let t: Target;
  before(async () => {
    t = await startTarget();
  });
  after(async () => t?.close());

  const releases = (stack = t.stack) =>
    readdirSync(path.join(t.root, 'releases', 'stacks', stack))
      .filter((d) => /__\d{8}T\d{6}Z$/.test(d))
      .sort();

  test('two deploys of one stack at once: one waits for the other; both recorded; state consistent', async () => {
    await t.image('sha-lock001');
    await t.image('sha-lock002');
    const before = (await t.history()).length;
    const [a, b] = await Promise.all([t.deploy('sha-lock001'), t.deploy('sha-lock002')]);
    assert.deepEqual([a.code, b.code], [0, 0], a.stdout + b.stdout);
    const waited = [a, b].filter((r) =>
      r.events.some((e) => e.type === 'log' && /waiting up to .* for the lock held by pid \d+/.test(e.msg)),
    );
    assert.equal(waited.length, 1, 'exactly one run waited, naming the holder');
    const h = (await t.history()).slice(before);
    assert.equal(h.length, 2);
    assert.ok(h.every((r) => r.status === 'success'));
    const last = h[1]!.release_id;
    assert.equal((await t.manifest())!.release_id, last);
    assert.equal(path.basename(readlinkSync(path.join(t.root, 'stacks', t.stack))), last);
    assert.equal(existsSync(path.join(t.root, 'releases', 'locks', `${t.stack}.lock`)), false);
  });

  test('a second deploy times out on a held lock, naming the holder, and the failure is recorded', async () => {
    await t.image('sha-lock003');
    const lock = path.join(t.root, 'releases', 'locks', `${t.stack}.lock`);
    // Hold the lock as a live process (this test runner) would.
    const { processStartTime } = await import('../../remote/domain/process.js');
    writeFileSync(
      lock,
      JSON.stringify({
        pid: process.pid,
        start_time: processStartTime(process.pid),
        hostname: hostname(),
        actor: 'holder-bob',
        run_id: '999',
        release: 'x',
        since: 'now',
      }),
    );
    const r = await t.deploy('sha-lock003', 'staging', ['--lock-timeout', '1']);
    assert.equal(r.code, 1);
    assert.match(r.result!.msg, /stack is locked by another run \(pid \d+ on .*, actor holder-bob, run 999/);
    const h = (await t.history()).at(-1)!;
    assert.deepEqual([h.status, h.image_tag], ['failed', 'sha-lock003']);
    // The holder dies (a pid that is not running): the next deploy takes the lock over.
    writeFileSync(
      lock,
      JSON.stringify({
        pid: 2 ** 22 - 1,
        start_time: '1',
        hostname: hostname(),
        actor: 'ghost',
        run_id: '1',
        release: 'x',
        since: 'then',
      }),
    );
    const ok = await t.deploy('sha-lock003', 'staging', ['--lock-timeout', '1']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.ok(ok.events.some((e) => e.type === 'log' && /took over a stale lock .*actor ghost/.test(e.msg)));
  });

  test('after 13 successful deploys 10 releases remain; failed ones do not count; other stacks untouched', async () => {
    const other = 'e2e-other';
    await t.addStack(other);
    await t.image('sha-other01');
    assert.equal((await t.deploy('sha-other01', 'staging', [], other)).code, 0);
    const otherReleases = releases(other);
    // A failed release (smoke) in the middle: it must go first and not count.
    for (let i = 1; i <= 13; i++) {
      const tag = `sha-keep${String(i).padStart(3, '0')}`;
      await t.image(tag);
      const r = await t.deploy(tag);
      assert.equal(r.code, 0, r.stdout);
      if (i === 6) {
        await t.image('sha-broken1', 'not-found');
        mkdirSync(path.join(t.root, 'releases'), { recursive: true });
        assert.equal((await t.deploy('sha-broken1')).code, 3);
      }
    }
    const left = releases();
    assert.equal(left.length, 10, left.join('\n'));
    assert.ok(
      left.every((id) => id.startsWith('sha-keep')),
      'the failed release went first',
    );
    assert.deepEqual(
      left.map((id) => id.split('__')[0]),
      Array.from({ length: 10 }, (_, i) => `sha-keep${String(i + 4).padStart(3, '0')}`),
    );
    assert.deepEqual(releases(other), otherReleases);
  });

  test('with keep 1 the live release and the newest rollback target both survive', async () => {
    await t.image('sha-keepone');
    const r = await t.deploy('sha-keepone', 'staging', ['--keep', '1']);
    assert.equal(r.code, 0, r.stdout);
    const left = releases();
    assert.equal(left.length, 2);
    assert.deepEqual(
      left.map((id) => id.split('__')[0]),
      ['sha-keep013', 'sha-keepone'],
    );
  });
});
