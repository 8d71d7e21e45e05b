// `cleanup`: the retention rule on fake release directories, under the stack lock; no Docker.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { DeployError } from '../../remote/errors.js';
import { recentRecords } from '../../remote/domain/history.js';
import { cleanupStack, explainPlan } from '../../remote/ops/cleanup.js';
import { compareReleaseIds, releaseIds } from '../../remote/domain/releases.js';
import { Reporter } from '../../remote/report.js';
import { planCleanup } from '../../remote/domain/retention.js';
import { acquireLock } from '../../remote/domain/lock.js';
import { switchLive } from '../../remote/domain/live-link.js';
import { cli as run, deployed, makeRelease, rid, tempRoot } from './ops-fixture.js';

let fx: ReturnType<typeof tempRoot>;
beforeEach(() => (fx = tempRoot()));
afterEach(() => fx.dispose());

const logs: string[] = [];
const report = () => new Reporter(undefined, false, (l) => logs.push(l));
const opts = { dryRun: false, actor: 'ops', lockTimeoutS: 0 };

/**
 * web: 1 2 4 5 7 succeeded, 3 failed, 6 succeeded but marked bad, 8 never recorded (unfinished);
 * live is 5 (rolled back). api: its own releases with the same ids, never touched.
 */
function scenario() {
  for (let n = 1; n <= 7; n++)
    deployed(fx.l, 'web', rid(n), n, { status: n === 3 ? 'failed' : 'success', bad: n === 6 });
  makeRelease(fx.l, 'web', rid(8), 8);
  switchLive(fx.l, 'web', fx.l.releaseDir('web', rid(5)));
  for (let n = 1; n <= 3; n++) deployed(fx.l, 'api', rid(n), n, { live: n === 3 });
}

describe('cleanup plan', () => {
  it('keeps the newest N successful, the live release and the newest rollback target; failed and bad go', () => {
    scenario();
    const plan = planCleanup(fx.l, 'web', 2);
    assert.deepEqual(
      explainPlan(plan, 2, rid(5)).map((r) => [r.id, r.action, r.why]),
      [
        [rid(8), 'remove', 'no successful deploy record (failed or unfinished)'],
        [rid(7), 'keep', 'among the newest 2 successful'],
        [rid(6), 'remove', 'marked bad'],
        [rid(5), 'keep', 'live'],
        [rid(4), 'keep', 'newest rollback target'],
        [rid(3), 'remove', 'no successful deploy record (failed or unfinished)'],
        [rid(2), 'remove', 'older than the newest 2 successful'],
        [rid(1), 'remove', 'older than the newest 2 successful'],
      ],
    );
  });

  it('failed and bad releases go even when keep is large; good ones stay', () => {
    scenario();
    const plan = planCleanup(fx.l, 'web', 100);
    assert.deepEqual(plan.remove.map((r) => r.id).sort(), [rid(3), rid(6), rid(8)].sort());
  });

  it('never removes the live release or the newest rollback target, whatever keep says', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('ok', 'failed', 'bad', 'unrecorded'), { minLength: 1, maxLength: 9 }),
        fc.nat(),
        fc.integer({ min: 1, max: 4 }),
        (kinds, liveAt, keep) => {
          fx.dispose();
          fx = tempRoot();
          kinds.forEach((k, i) => {
            if (k === 'unrecorded') makeRelease(fx.l, 's', rid(i), i);
            else
              deployed(fx.l, 's', rid(i), i, {
                status: k === 'failed' ? 'failed' : 'success',
                bad: k === 'bad',
              });
          });
          const live = rid(liveAt % kinds.length);
          switchLive(fx.l, 's', fx.l.releaseDir('s', live));
          const good = kinds.flatMap((k, i) => (k === 'ok' ? [rid(i)] : [])).reverse(); // newest first
          const target = good.find((id) => compareReleaseIds(id, live) < 0);
          const plan = planCleanup(fx.l, 's', keep);
          const kept = new Set(plan.keep.map((r) => r.id));
          assert.ok(kept.has(live), 'live kept');
          if (target) assert.ok(kept.has(target), 'newest rollback target kept');
          for (const id of kept)
            assert.ok(
              id === live || id === target || good.slice(0, keep).includes(id),
              `${id} kept for no reason`,
            );
          for (const id of good.slice(0, keep)) assert.ok(kept.has(id), `${id} is among the newest ${keep}`);
          assert.equal(plan.keep.length + plan.remove.length, kinds.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('cleanupStack', () => {
  it('removes what the plan says, under the lock, records it, and leaves other stacks alone', async () => {
    scenario();
    const apiBefore = readdirSync(fx.l.stackReleases('api')).sort();
    const r = await cleanupStack(fx.l, 'web', { ...opts, keep: 2 }, report());
    assert.equal(r.error, '');
    assert.deepEqual(r.removed.sort(), [rid(1), rid(2), rid(3), rid(6), rid(8)].sort());
    assert.deepEqual(releaseIds(fx.l, 'web'), [rid(4), rid(5), rid(7)]);
    assert.deepEqual(
      readdirSync(fx.l.stackReleases('web')).filter((n) => n.startsWith('.')),
      [],
      'no trash, temp or stale bad marker left',
    );
    assert.deepEqual(readdirSync(fx.l.stackReleases('api')).sort(), apiBefore);
    assert.ok(!existsSync(fx.l.lockFile('web')), 'lock released');
    const [rec] = recentRecords(fx.l.history, { limit: 1 });
    assert.equal(rec?.mode, 'cleanup');
    assert.equal(rec?.stack, 'web');
    assert.equal(rec?.status, 'success');
    assert.equal(rec?.actor, 'ops');
    assert.equal(rec?.release_id, '', 'a cleanup record never marks a release as succeeded');
    assert.deepEqual((rec?.removed as string[]).sort(), r.removed.sort());
  });

  it('deleting removed releases never follows a link in them: what the link points at stays', async () => {
    // Four releases go: more than the few deleted in-process, so rm children delete them.
    for (let n = 1; n <= 6; n++) deployed(fx.l, 'web', rid(n), n, { live: n === 6 });
    const outside = path.join(fx.root, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'keep.txt'), "not the tool's\n");
    const doomed = fx.l.releaseDir('web', rid(1));
    symlinkSync(outside, path.join(doomed, 'data'));
    symlinkSync(path.join(outside, 'keep.txt'), path.join(doomed, 'file-link'));
    const r = await cleanupStack(fx.l, 'web', { ...opts, keep: 1 }, report());
    assert.equal(r.error, '');
    assert.deepEqual(r.removed.sort(), [rid(1), rid(2), rid(3), rid(4)].sort());
    assert.ok(!existsSync(doomed));
    assert.deepEqual(readdirSync(outside), ['keep.txt']);
    assert.deepEqual(
      readdirSync(fx.l.stackReleases('web')).filter((n) => n.startsWith('.')),
      [],
      'no trash left',
    );
  });

  it('removes the releases all the same where no rm command can be started', async () => {
    scenario();
    const saved = process.env.PATH;
    process.env.PATH = path.join(fx.root, 'no-such-dir');
    try {
      const r = await cleanupStack(fx.l, 'web', { ...opts, keep: 2 }, report());
      assert.equal(r.error, '');
      assert.equal(r.removed.length, 5);
    } finally {
      process.env.PATH = saved;
    }
    assert.deepEqual(releaseIds(fx.l, 'web'), [rid(4), rid(5), rid(7)]);
    assert.deepEqual(
      readdirSync(fx.l.stackReleases('web')).filter((n) => n.startsWith('.')),
      [],
    );
  });

  it('--dry-run changes nothing and records nothing', async () => {
    scenario();
    const before = readdirSync(fx.l.stackReleases('web')).sort();
    const lines = recentRecords(fx.l.history, { limit: 1000 }).length;
    const r = await cleanupStack(fx.l, 'web', { ...opts, keep: 2, dryRun: true }, report());
    assert.deepEqual(r.removed, []);
    assert.equal(r.releases.filter((x) => x.action === 'remove').length, 5);
    assert.deepEqual(readdirSync(fx.l.stackReleases('web')).sort(), before);
    assert.equal(recentRecords(fx.l.history, { limit: 1000 }).length, lines);
  });

  it('takes keep from the live release keep_releases when --keep is not given', async () => {
    for (let n = 1; n <= 5; n++) deployed(fx.l, 'web', rid(n), n, { live: n === 5 });
    const r = await cleanupStack(fx.l, 'web', { ...opts, dryRun: true }, report());
    assert.equal(r.keep, 3);
    assert.equal(r.keep_from, 'keep_releases');
    assert.deepEqual(
      r.releases.filter((x) => x.action === 'remove').map((x) => x.id),
      [rid(2), rid(1)],
    );
  });

  it('waits for a live holder and fails naming it; takes over a dead one', async () => {
    scenario();
    const held = await acquireLock(
      fx.l.lockFile('web'),
      { actor: 'deployer', run_id: '7', release: 'x' },
      0,
      report(),
    );
    await assert.rejects(
      cleanupStack(fx.l, 'web', { ...opts, keep: 2 }, report()),
      (err: unknown) =>
        err instanceof DeployError && /locked by another run .*actor deployer/.test(err.message),
    );
    assert.equal(releaseIds(fx.l, 'web').length, 8, 'nothing removed without the lock');
    held.release();

    writeFileSync(
      fx.l.lockFile('web'),
      JSON.stringify({
        pid: 2 ** 22 + 1,
        start_time: '1',
        hostname: hostname(),
        actor: 'x',
        run_id: '',
        release: '',
        since: '',
      }),
    );
    logs.length = 0;
    const r = await cleanupStack(fx.l, 'web', { ...opts, keep: 2 }, report());
    assert.equal(r.removed.length, 5);
    assert.ok(logs.some((l) => /took over a stale lock/.test(l)));
  });
});

describe('cleanup from the command line', () => {
  const cli = (...args: string[]) => run(fx.root, ['cleanup', ...args]);

  it('--keep 0 is bad input; --dry-run --json lists every stack', () => {
    assert.equal(cli('--keep', '0').status, 2);
    assert.equal(cli('nope').status, 2, 'an unknown stack is bad input: no lock taken, nothing recorded');
    scenario();
    const r = cli('--dry-run', '--json', '--keep', '2');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      dry_run: boolean;
      stacks: { stack: string; releases: unknown[] }[];
    };
    assert.equal(out.dry_run, true);
    assert.deepEqual(
      out.stacks.map((s) => [s.stack, s.releases.length]),
      [
        ['api', 3],
        ['web', 8],
      ],
    );
  });
});
