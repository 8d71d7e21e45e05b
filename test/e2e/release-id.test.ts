// A deploy killed with kill -9 during its pre_deploy hook leaves its release directory and its lock;
// the same tag deployed again at once gets a release id of its own, and its records name it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { serverNode, waitFor } from '../support/sandbox.js';
import { REMOTE_JS, startTarget, type Target } from './fixture.js';

const TAG = 'sha-kill999';
const stamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

describe('executor: a killed deploy and the same tag again', () => {
  let t: Target;
  let flag = '';
  before(async () => {
    t = await startTarget();
    flag = path.join(t.tmp, 'hook-ran');
    // The hook sleeps once (the run to kill), and passes at once afterwards.
    await t.addStack(`${t.stack}-k`, {
      hooks: { pre_deploy: ['sh', '-c', `if [ ! -e ${flag} ]; then echo $$ > ${flag}; exec sleep 120; fi`] },
    });
  });
  after(async () => {
    if (existsSync(flag)) {
      try {
        process.kill(Number(readFileSync(flag, 'utf8')), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await t?.close();
  });

  test('the second deploy takes over the lock, skips the taken name and records its own release id', async () => {
    const stack = `${t.stack}-k`;
    const releases = path.join(t.root, 'releases', 'stacks', stack);
    const img = await t.image(TAG);
    const first = spawn(
      serverNode(),
      [
        REMOTE_JS,
        'deploy',
        stack,
        'staging',
        TAG,
        '--digest-file',
        img.manifest,
        '--actor',
        'tester',
        ...(await t.registryArgs()),
        '--root',
        t.root,
        '--source',
        t.source,
        '--json',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => first.once('exit', resolve));
    await waitFor(
      'the pre_deploy hook to start',
      async () => existsSync(flag) && readFileSync(flag, 'utf8').trim() !== '',
      {
        timeoutMs: 60_000,
      },
    );
    first.kill('SIGKILL');
    await exited;
    const [killedId] = (await readdir(releases)).filter((n) => !n.startsWith('.'));
    assert.ok(killedId?.startsWith(`${TAG}__`), `the killed run left its release ${killedId}`);
    assert.ok(existsSync(path.join(t.root, 'releases', 'locks', `${stack}.lock`)), 'and its lock');

    // Make the collision certain: every name the next run could pick in the coming minute is taken
    // by a release directory (as a killed run in that second would leave).
    const now = Date.now();
    const taken = [killedId!];
    for (let s = 0; s <= 60; s++) {
      const id = `${TAG}__${stamp(now + s * 1000)}`;
      if (!taken.includes(id)) taken.push(id);
      await mkdir(path.join(releases, id), { recursive: true });
    }

    const r = await t.deploy(TAG, 'staging', [], stack);
    assert.equal(r.result?.status, 'success', r.stderr + r.stdout.slice(-3000));
    const id = r.result!.release_id!;
    assert.match(id, new RegExp(`^${TAG}__\\d{8}T\\d{6}Z-2$`));
    assert.ok(taken.includes(id.slice(0, -2)), 'the run met a taken name and used the next free one');
    assert.ok(!taken.includes(id));
    assert.ok(
      r.events.some((e) => e.type === 'log' && /took over a stale lock/.test(e.msg)),
      'the dead run lock was taken over',
    );
    assert.equal(path.basename(readlinkSync(path.join(t.root, 'stacks', stack))), id);
    assert.equal((await t.manifest(stack))!.release_id, id);
    const mine = (await t.history()).filter((h) => h.stack === stack);
    assert.deepEqual(
      mine.map((h) => [h.mode, h.status, h.release_id]),
      [['deploy', 'success', id]],
    );
  });
});
