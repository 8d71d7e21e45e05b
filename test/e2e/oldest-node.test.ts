// The executor supports Node.js 18 and later: Debian 12's nodejs is 18. The bundle is CommonJS so
// that Node 18 runs it whatever its name or place (it reads an ESM .js file as CommonJS and fails).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { OLDEST_SERVER_NODE } from '../support/node.js';
import { run } from '../support/sandbox.js';
import { startTarget, type Target } from './fixture.js';

describe('the executor on Node 18', () => {
  let t: Target;
  before(async () => {
    if (!existsSync(OLDEST_SERVER_NODE))
      throw new Error(`${OLDEST_SERVER_NODE} is missing: run scripts/prepare-machine.sh as root`);
    t = await startTarget({}, { node: OLDEST_SERVER_NODE });
  });
  after(async () => t?.close());

  test('deploy, a second deploy, rollback and the installed operator CLI all run on Node 18', async () => {
    assert.match(execFileSync(OLDEST_SERVER_NODE, ['--version'], { encoding: 'utf8' }), /^v18\./);
    for (const tag of ['sha-old0001', 'sha-old0002']) {
      const r = await t.deploy(tag);
      assert.equal(r.result?.status, 'success', r.stderr);
    }
    const back = await t.cli(['rollback', t.stack, 'staging', '--actor', 'tester']);
    assert.equal(back.result?.status, 'success', back.stderr);
    assert.match(back.result?.release_id ?? '', /^sha-old0001__/);
    // The copy each deploy installs has no extension: Node 18 must still run it.
    const cli = path.join(t.root, 'releases', 'bin', 'seisei-deploy');
    assert.ok(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node'));
    const status = await run(OLDEST_SERVER_NODE, [cli, 'status', t.stack, '--root', t.root, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as {
      consistent: boolean;
      stacks: { live_release: string; containers: { image: string }[] }[];
    };
    assert.equal(report.consistent, true);
    assert.equal(report.stacks[0]!.live_release, back.result?.release_id);
    assert.equal(report.stacks[0]!.containers[0]!.image, back.result?.image_ref);
  });
});
