// Issue 3, acceptance 1-4: manual rollback over real releases, smoke-tested, registry optional.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CGI_HEALTH_PATH, httpGet } from '../support/sandbox.js';
import { containerImages, startTarget, type Target } from './fixture.js';

describe('rollback', () => {
  let t: Target;
  const ports: Record<string, number> = {};
  before(async () => {
    t = await startTarget({ healthPath: CGI_HEALTH_PATH, smokeTimeoutS: 3 });
    for (const v of ['a', 'b', 'c', 'd']) await t.image(`sha-${v}`);
  });
  after(async () => t?.close());

  /** A fresh stack with releases deployed in order; returns their ids by letter. */
  const stackWith = async (name: string, letters: string[]) => {
    ports[name] = await t.addStack(name);
    const ids: Record<string, string> = {};
    for (const v of letters) {
      const r = await t.deploy(`sha-${v}`, 'staging', [], name);
      assert.equal(r.code, 0, r.stdout);
      ids[v] = r.result!.release_id!;
    }
    return ids;
  };
  const releaseDir = (stack: string, id: string) => path.join(t.root, 'releases', 'stacks', stack, id);
  const liveId = (stack: string) => path.basename(readlinkSync(path.join(t.root, 'stacks', stack)));
  const rollback = (stack: string, steps = 1) =>
    t.cli(['rollback', stack, 'staging', '--steps', String(steps), '--actor', 'ops']);
  const assertLive = async (stack: string, id: string, letter: string) => {
    assert.equal(liveId(stack), id);
    assert.equal((await t.manifest(stack))!.release_id, id);
    assert.equal((await containerImages(stack)).length, 1);
    assert.equal(
      (await httpGet(`http://127.0.0.1:${ports[stack]}${CGI_HEALTH_PATH}`)).body.trim(),
      `ok sha-${letter}`,
    );
  };
  /** Makes a release fail its smoke check from now on (its frozen config expects HTTP 418). */
  const breakSmoke = (stack: string, id: string) => {
    const file = path.join(releaseDir(stack, id), 'docker-compose.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('expect_status: 200', 'expect_status: 418'));
  };

  test('deploy A, B, C; rollback goes to B, then A; --steps 2 from C goes to A', async () => {
    const s = await stackWith('e2e-roll1', ['a', 'b', 'c']);
    const r = await rollback('e2e-roll1');
    assert.equal(r.code, 0, r.stdout);
    await assertLive('e2e-roll1', s.b!, 'b');
    const m = (await t.manifest('e2e-roll1'))!;
    assert.deepEqual([m.mode, m.actor, m.previous_release_id], ['rollback', 'ops', s.c]);
    const h = (await t.history()).at(-1)!;
    assert.deepEqual(
      [h.mode, h.status, h.release_id, h.previous_release_id],
      ['rollback', 'success', s.b, s.c],
    );
    assert.equal((await rollback('e2e-roll1')).code, 0);
    await assertLive('e2e-roll1', s.a!, 'a');

    const s2 = await stackWith('e2e-roll2', ['a', 'b', 'c']);
    assert.equal((await rollback('e2e-roll2', 2)).code, 0);
    await assertLive('e2e-roll2', s2.a!, 'a');
  });

  test('a target whose smoke fails is marked bad and skipped; three failures exit non-zero and the records stay true', async () => {
    const s = await stackWith('e2e-roll3', ['a', 'b', 'c']);
    breakSmoke('e2e-roll3', s.b!);
    const r = await rollback('e2e-roll3');
    assert.equal(r.code, 0, r.stdout);
    await assertLive('e2e-roll3', s.a!, 'a');
    assert.ok(
      existsSync(path.join(t.root, 'releases', 'stacks', 'e2e-roll3', `.bad-${s.b}`)),
      'B is marked bad',
    );
    const h = (await t.history()).slice(-2).map((x) => [x.mode, x.status, x.release_id]);
    assert.deepEqual(h, [
      ['rollback', 'failed', s.b],
      ['rollback', 'success', s.a],
    ]);

    const s4 = await stackWith('e2e-roll4', ['a', 'b', 'c', 'd']);
    for (const v of ['a', 'b', 'c']) breakSmoke('e2e-roll4', s4[v]!);
    const all = await rollback('e2e-roll4');
    assert.equal(all.code, 1, all.stdout);
    assert.match(all.result!.msg, /rollback failed after 3 attempt\(s\).*is live again/);
    await assertLive('e2e-roll4', s4.d!, 'd'); // what was live is live again, and the manifest says so
    const tail = (await t.history()).slice(-4).map((x) => [x.status, x.release_id]);
    assert.deepEqual(tail, [
      ['failed', s4.c],
      ['failed', s4.b],
      ['failed', s4.a],
      ['failed', s4.d],
    ]);
  });

  test('with the registry stopped, rollback to a release whose images are on the server succeeds', async () => {
    const s = await stackWith('e2e-roll5', ['a', 'b']);
    await t.registry.stop();
    try {
      const r = await rollback('e2e-roll5');
      assert.equal(r.code, 0, r.stdout);
      await assertLive('e2e-roll5', s.a!, 'a');
      assert.ok(r.events.some((e) => e.type === 'log' && /nothing to pull/.test(e.msg)));
    } finally {
      await t.registry.start();
    }
  });

  test('a bad release and a release removed by cleanup are never chosen', async () => {
    // e2e-roll3: A live, B bad, C newer. Deploy D; rolling back goes to C, then skips bad B to A.
    const d = await t.deploy('sha-d', 'staging', [], 'e2e-roll3');
    assert.equal(d.code, 0);
    assert.equal((await rollback('e2e-roll3')).code, 0);
    assert.match(liveId('e2e-roll3'), /^sha-c__/);
    assert.equal((await rollback('e2e-roll3')).code, 0);
    assert.match(liveId('e2e-roll3'), /^sha-a__/);

    // e2e-roll2: A live, B and C newer. Deploy D keeping 1: C (newest rollback target) stays, B and A go.
    assert.equal((await t.deploy('sha-d', 'staging', ['--keep', '1'], 'e2e-roll2')).code, 0);
    assert.equal((await rollback('e2e-roll2')).code, 0);
    assert.match(liveId('e2e-roll2'), /^sha-c__/);
    const none = await rollback('e2e-roll2');
    assert.equal(none.code, 1);
    assert.match(none.result!.msg, /no rollback target 1 step\(s\) back/);
    assert.match(liveId('e2e-roll2'), /^sha-c__/);
  });
});
