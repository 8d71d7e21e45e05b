// A hanging pre_deploy hook no longer holds the stack's lock forever: it is stopped at its timeout
// (x-seisei-deploy.timeouts.pre_deploy) with everything it started, and the deploy fails cleanly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeSampleStack } from '../support/stack.js';
import { groupMembers } from '../support/util.js';
import { startTarget, type Target } from './fixture.js';

describe('executor: step timeouts', () => {
  let t: Target;
  before(async () => {
    t = await startTarget();
  });
  after(async () => t?.close());

  test('a pre_deploy hook that sleeps for an hour is stopped at its timeout, with its children; the next deploy works', async () => {
    const stack = 'hang-hook';
    const pidFile = path.join(t.tmp, 'hook.pid');
    const port = await t.addStack(stack, {
      hooks: { pre_deploy: ['sh', '-c', `echo $$ > ${pidFile}; sleep 3600`] },
      timeouts: { pre_deploy: 2 },
    });
    await t.image('sha-hang001');
    const r = await t.deploy('sha-hang001', 'staging', [], stack);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.result!.msg,
      /pre_deploy hook "sh" did not finish within 2 s \(x-seisei-deploy\.timeouts\.pre_deploy\): its processes were stopped; nothing was switched/,
    );
    // The hook's shell led its own process group: neither it nor its sleep is left.
    const group = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(group > 1);
    assert.deepEqual(groupMembers(group), []);
    assert.equal(existsSync(path.join(t.root, 'releases', 'locks', `${stack}.lock`)), false, 'lock released');
    assert.equal(existsSync(path.join(t.root, 'stacks', stack)), false, 'nothing went live');
    const h = (await t.history()).at(-1)!;
    assert.deepEqual([h.stack, h.status, h.image_tag], [stack, 'failed', 'sha-hang001']);
    assert.match(h.error, /timeouts\.pre_deploy/);

    // The operator fixes the hook: the next deploy of the stack is not blocked by anything left over.
    await writeSampleStack(path.join(t.source, stack), {
      port,
      smokeTimeoutS: 8,
      hooks: { pre_deploy: ['true'] },
      timeouts: { pre_deploy: 2 },
    });
    const ok = await t.deploy('sha-hang001', 'staging', ['--lock-timeout', '5'], stack);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });
});
