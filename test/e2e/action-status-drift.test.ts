// `mode: status` on a server whose stack really drifted (its container stopped with `docker stop`):
// the committed dist/index.js, run as the runner runs it, fails the step with a message naming the
// stack and the drift, writes the summary (with the drift) and sets the outputs. The executor exits
// 1 on drift; that is its verdict, not a transport error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dockerOk } from '../support/sandbox.js';
import { startDeployServer, type DeployServer, type TestImage } from './action-fixture.js';
import { defaultContext, describeRun, runAction } from './action-harness.js';

/** Rows of the first HTML table of a step summary, cells unescaped. */
function firstTable(html: string): string[][] {
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  const table = /<table>([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, row]) =>
    [...row!.matchAll(/<t[dh]>([\s\S]*?)<\/t[dh]>/g)].map(([, cell]) => unescape(cell!)),
  );
}

interface StatusReport {
  consistent: boolean;
  stacks: { stack: string; consistent: boolean; problems: { severity: string; code: string }[] }[];
}

describe('mode status on a drifted stack (dist/index.js against a real server)', () => {
  let srv: DeployServer;
  let drifted: { name: string; port: number };
  let healthy: { name: string; port: number };
  let img: TestImage;
  const released: Record<string, string> = {};

  const run = (inputs: Record<string, string | undefined>) =>
    runAction({ inputs: srv.inputs(inputs), context: defaultContext() });

  before(async () => {
    srv = await startDeployServer();
    [drifted, healthy] = [await srv.addStack(), await srv.addStack()];
    img = await srv.image();
    for (const stack of [drifted, healthy]) {
      const r = await run({
        stack: stack.name,
        environment: 'staging',
        image_tag: img.tag,
        digest_file: img.manifestFile,
      });
      assert.equal(r.code, 0, describeRun(r));
      released[stack.name] = r.outputs.release_id!;
    }
  });
  after(async () => {
    await srv?.close();
  });

  test('a consistent server: status succeeds', async () => {
    const r = await run({ mode: 'status' });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'success');
    assert.deepEqual(r.errors, []);
  });

  test('a stopped container fails the step naming the stack and the drift; summary and outputs are written', async () => {
    const ids = (
      await dockerOk(['ps', '-q', '--filter', `label=com.docker.compose.project=${drifted.name}`])
    ).stdout
      .split('\n')
      .filter(Boolean);
    assert.equal(ids.length, 1, `one running container of ${drifted.name}`);
    const name = (await dockerOk(['inspect', '--format', '{{.Name}}', ids[0]!])).stdout.trim().slice(1);
    await dockerOk(['stop', '--time', '1', ids[0]!]);

    const all = await run({ mode: 'status' });
    assert.equal(all.code, 1, describeRun(all));
    // The failure: one error annotation naming the stack and what drifted, not the other stack.
    assert.equal(all.errors.length, 1, describeRun(all));
    const [error] = all.errors;
    assert.match(error!, new RegExp(`^Drift on ${srv.sshd.host} in stack ${drifted.name} \\(1 problem\\):`));
    assert.match(error!, new RegExp(`- ${drifted.name}: container ${name} is exited \\(exit code \\d+\\)`));
    assert.ok(!error!.includes(healthy.name), error);
    assert.ok(
      all.warnings.some((w) => w.startsWith(`${drifted.name}: container ${name} is exited`)),
      describeRun(all),
    );
    // The outputs: failed, and the full report.
    assert.equal(all.outputs.status, 'failed');
    const report = JSON.parse(all.outputs.manifest ?? '') as StatusReport;
    assert.equal(report.consistent, false);
    const entry = (stack: string) => report.stacks.find((s) => s.stack === stack);
    assert.deepEqual(
      [entry(drifted.name)?.consistent, entry(drifted.name)?.problems.map((p) => p.code)],
      [false, ['container-stopped']],
    );
    assert.equal(entry(healthy.name)?.consistent, true);
    // The summary: the table says which stack is not consistent; the drift is listed under it.
    const rows = firstTable(all.summary);
    const row = (stack: string) => rows.find((r) => r[0] === stack);
    const consistent = rows[0]?.indexOf('Consistent') ?? -1;
    assert.ok(consistent > 0, `the status table has a Consistent column: ${rows[0]?.join(', ')}`);
    assert.deepEqual(
      [row(drifted.name)?.[2], row(drifted.name)?.[consistent], row(healthy.name)?.[consistent]],
      [released[drifted.name], 'no', 'yes'],
    );
    assert.match(
      all.summary,
      new RegExp(`<h3>❌ Drift</h3>\\s*<ul><li><code>${drifted.name}</code>: container ${name} is exited`),
    );

    // One stack: the same failure, and the outputs of its live release.
    const one = await run({ mode: 'status', stack: drifted.name });
    assert.equal(one.code, 1, describeRun(one));
    assert.match(one.errors.join('\n'), new RegExp(`^Drift on .* in stack ${drifted.name} \\(1 problem\\):`));
    assert.equal(one.outputs.status, 'failed');
    assert.equal(one.outputs.release_id, released[drifted.name]);
    assert.equal(one.outputs.image_digest, img.digest);
    assert.match(one.summary, /❌ Drift/);

    // The healthy stack alone is still fine.
    const other = await run({ mode: 'status', stack: healthy.name });
    assert.equal(other.code, 0, describeRun(other));
    assert.equal(other.outputs.status, 'success');
    assert.doesNotMatch(other.summary, /Drift/);
  });
});
