// Issue 6, the fast form of `npm run faults` inside the test command: one or a few injections of
// each executor-side fault, SSH cuts at three steps of a deploy (pull, up, record) through the
// action, and a slice of the bad input corpus, asserting the invariants (never timings). The whole
// suite, with the figures of docs/reliability.md, is `npm run faults`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCorpus } from '../faults/bad-inputs.js';
import { startSandbox, type Sandbox } from '../faults/harness.js';
import { EXECUTOR_SCENARIOS, type Row } from '../faults/scenarios.js';
import { SSH_SCENARIOS } from '../faults/ssh-cut.js';

describe('faults (fast subset of npm run faults)', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(async () => sb?.close());

  const assertRows = (rows: Row[]) => {
    assert.ok(rows.length > 0);
    for (const r of rows) {
      const what = `${r.group}: ${r.fault}`;
      assert.deepEqual(r.broken, [], `${what}: ${r.notes.join(' / ')}`);
      assert.ok(r.injected > 0, `${what}: nothing was injected (${r.notes.join(' / ')})`);
      assert.equal(r.consistent, r.injected, `${what}: consistent afterwards`);
      assert.equal(r.nextOk, r.injected, `${what}: the next deploy succeeded`);
      assert.equal(r.lost, 0, `${what}: records lost`);
      assert.equal(r.corrupt, 0, `${what}: records corrupt`);
    }
  };

  for (const s of [...EXECUTOR_SCENARIOS, ...SSH_SCENARIOS].filter((x) => x.fast))
    test(s.title, async () => assertRows(await s.run({ sb, fast: true, log: () => undefined })));

  test('bad inputs are refused with their own error and leave nothing behind', async () => {
    const { results, canaryFound, containersChanged } = await runCorpus(sb, { fast: true });
    assert.ok(results.length >= 20, `${results.length} cases`);
    for (const r of results) {
      assert.ok(r.rejected, `${r.group}: ${r.name} was accepted`);
      assert.ok(r.specific, `${r.group}: ${r.name}: unexpected error: ${r.message}`);
      assert.deepEqual(r.sideEffects, [], `${r.group}: ${r.name}`);
    }
    assert.equal(canaryFound, false, 'an injection payload ran');
    assert.equal(containersChanged, false, 'the live containers changed');
  });
});
