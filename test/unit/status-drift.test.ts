// mode status: the executor's verdict (exit 0 consistent, exit 1 drift, with the JSON report) is
// told apart from the executor failing; drift becomes the step's failure message and a list in the
// step summary, with the server's text escaped.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import * as core from '@actions/core';
import { statusReport } from '../../src/modes/status.js';
import { driftMessage, statusDrift, statusProblems, writeStatusSummary } from '../../src/report/status.js';
import type { ExecResult } from '../../src/ssh/connection.js';

const stopped = {
  severity: 'drift',
  code: 'container-stopped',
  message: 'container web-1 is exited (exit code 137): see `docker logs web-1`; redeploy',
};
const report = (problems: Record<string, unknown>[] = [], extra: Record<string, unknown>[] = []) => ({
  consistent: !problems.some((p) => p.severity === 'drift'),
  stacks: [
    {
      stack: 'shop',
      consistent: !problems.some((p) => p.severity === 'drift'),
      live_release: 'sha-abc1234__20260131T120000Z',
      manifest: { env: 'staging', release_id: 'sha-abc1234__20260131T120000Z' },
      problems,
    },
    ...extra,
  ],
});
const exec = (code: number | null, stdout: string, stderr = ''): ExecResult => ({
  code,
  signal: null,
  stdout,
  stderr,
});

describe('statusReport (the executor result of mode status)', () => {
  it('takes exit 0 with a consistent report, and exit 1 with a drifted one, as verdicts', () => {
    assert.deepEqual(statusReport(exec(0, JSON.stringify(report())), 'srv'), report());
    const drifted = report([stopped]);
    assert.deepEqual(statusReport(exec(1, JSON.stringify(drifted)), 'srv'), drifted);
  });

  it('throws when the executor failed instead: another exit code, no JSON, exit 1 without drift', () => {
    assert.throws(() => statusReport(exec(2, '', 'usage: status [<stack>]'), 'srv'), {
      message: 'status on srv failed (exit 2): usage: status [<stack>]',
    });
    assert.throws(() => statusReport(exec(1, '', 'seisei-deploy: EACCES /srv/releases'), 'srv'), {
      message: 'status on srv failed (exit 1): seisei-deploy: EACCES /srv/releases',
    });
    assert.throws(() => statusReport(exec(0, 'not json'), 'srv'), {
      message: 'status on srv printed no JSON: not json',
    });
    assert.throws(() => statusReport(exec(1, JSON.stringify(report()), 'boom'), 'srv'), {
      message: 'status on srv exited 1 but its report names no drift: boom',
    });
  });
});

describe('drift of a status report', () => {
  const warning = { severity: 'warning', code: 'lock-stale', message: 'the lock is stale' };
  const other = { stack: 'blog', consistent: false, problems: [{ ...stopped, message: 'no containers' }] };

  it('lists every problem per stack; drift is the drift ones only', () => {
    const r = report([stopped, warning], [other]);
    assert.deepEqual(
      statusProblems(r).map((p) => [p.stack, p.severity]),
      [
        ['shop', 'drift'],
        ['shop', 'warning'],
        ['blog', 'drift'],
      ],
    );
    assert.deepEqual(
      statusDrift(r).map((p) => p.stack),
      ['shop', 'blog'],
    );
    assert.deepEqual(statusDrift(report([warning])), []);
    assert.deepEqual(statusDrift({ nonsense: true }), []);
  });

  it('names each drifted stack and its drift in the failure message', () => {
    assert.equal(
      driftMessage('srv', statusDrift(report([stopped]))),
      `Drift on srv in stack shop (1 problem):\n- shop: ${stopped.message}`,
    );
    assert.equal(
      driftMessage('srv', statusDrift(report([stopped], [other]))),
      `Drift on srv in stacks shop, blog (2 problems):\n- shop: ${stopped.message}\n- blog: no containers`,
    );
  });
});

describe('writeStatusSummary', () => {
  // core.summary caches the GITHUB_STEP_SUMMARY path on first use: one file for this describe.
  const dir = mkdtempSync(join(tmpdir(), 'status-drift-'));
  const file = join(dir, 'summary');
  const saved = process.env.GITHUB_STEP_SUMMARY;
  beforeEach(() => {
    writeFileSync(file, '');
    process.env.GITHUB_STEP_SUMMARY = file;
    core.summary.emptyBuffer();
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the drift and the warnings under the table, escaped', async () => {
    const hostile = { ...stopped, message: 'container <img src=x onerror=alert(1)> is exited' };
    await writeStatusSummary(report([hostile, { severity: 'warning', code: 'w', message: 'a & b' }]), 'srv');
    const html = readFileSync(file, 'utf8');
    assert.match(html, /<td>shop<\/td><td>staging<\/td><td>sha-abc1234__20260131T120000Z<\/td>/);
    assert.ok(html.includes('<td>no</td>'), html);
    assert.ok(
      html.includes(
        '<h3>❌ Drift</h3>\n<ul><li><code>shop</code>: container &lt;img src=x onerror=alert(1)&gt; is exited</li></ul>',
      ),
      html,
    );
    assert.ok(html.includes('<h3>⚠️ Warnings</h3>\n<ul><li><code>shop</code>: a &amp; b</li></ul>'), html);
  });

  it('has no drift section when every stack is consistent', async () => {
    await writeStatusSummary(report(), 'srv');
    const html = readFileSync(file, 'utf8');
    assert.ok(html.includes('<td>yes</td>'), html);
    assert.doesNotMatch(html, /Drift|Warnings/);
  });

  it("shows each stack's provenance: its state and signer, or that it was not checked", async () => {
    const provenance = {
      state: 'warned',
      mode: 'warn',
      signer_workflow: 'build.yml',
      signer_ref: 'refs/tags/v1',
    };
    const signed = {
      stack: 'api',
      consistent: true,
      live_release: 'sha-def5678__20260131T120000Z',
      manifest: { env: 'production', release_id: 'sha-def5678__20260131T120000Z', provenance },
      problems: [],
    };
    await writeStatusSummary(report([], [signed]), 'srv');
    const html = readFileSync(file, 'utf8');
    assert.ok(html.includes('<th>Provenance</th>'), html);
    assert.ok(html.includes('<td>warned by build.yml@refs/tags/v1</td>'), html);
    assert.ok(html.includes('<td>not checked</td>'), html);
  });
});
