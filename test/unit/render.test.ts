// Events -> log groups, annotations, outputs (GITHUB_OUTPUT file) and the step summary.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import * as core from '@actions/core';
import type { DeployEvent, ResultEvent } from '../../common/events.js';
import { verifyResult } from '../../src/modes/verify.js';
import { neutraliseLine } from '../../src/neutralise.js';
import { outputsOf } from '../../src/report/outputs.js';
import { EventRenderer } from '../../src/report/renderer.js';
import { reportResult } from '../../src/report/summary.js';

// core.summary caches the GITHUB_STEP_SUMMARY path on first use: one directory for the whole file.
const dir = mkdtempSync(join(tmpdir(), 'render-'));
let stdout: string[];
let restore: () => void;
const saved = { ...process.env };

beforeEach(() => {
  writeFileSync(join(dir, 'out'), '');
  writeFileSync(join(dir, 'summary'), '');
  process.env.GITHUB_OUTPUT = join(dir, 'out');
  process.env.GITHUB_STEP_SUMMARY = join(dir, 'summary');
  stdout = [];
  const orig = process.stdout.write.bind(process.stdout);
  // Capture what @actions/core prints (strings); pass the test runner's own (binary) output through.
  process.stdout.write = ((c: string | Uint8Array, ...rest: unknown[]) =>
    typeof c === 'string'
      ? (stdout.push(c), true)
      : (orig as (...a: unknown[]) => boolean)(c, ...rest)) as typeof process.stdout.write;
  restore = () => (process.stdout.write = orig);
  process.exitCode = undefined;
  core.summary.emptyBuffer();
});
afterEach(() => {
  restore();
  process.env = { ...saved };
  process.exitCode = undefined;
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Outputs written to GITHUB_OUTPUT (name<<delimiter / value / delimiter). */
function outputs(): Record<string, string> {
  const text = readFileSync(join(dir, 'out'), 'utf8');
  const out: Record<string, string> = {};
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2\n/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]!] = m[3]!;
  return out;
}

const ev = (e: Partial<DeployEvent> & { type: DeployEvent['type'] }): DeployEvent =>
  ({ v: 1, ts: '2026-01-31T12:00:00Z', ...e }) as DeployEvent;

const manifest = {
  stack: 'odoo18',
  env: 'staging',
  image_tag: 'sha-abc1234',
  image_ref: `ghcr.io/org/odoo@sha256:${'a'.repeat(64)}`,
  image_digest: `sha256:${'a'.repeat(64)}`,
  release_id: 'sha-abc1234__20260131T120000Z',
  release_dir: '/srv/releases/stacks/odoo18/sha-abc1234__20260131T120000Z',
  previous_release_id: 'sha-0000000__20260130T120000Z',
  actor: 'octocat',
  break_glass: false,
  break_glass_reason: '',
};

const ctx = {
  mode: 'deploy',
  stack: 'odoo18',
  environment: 'staging',
  imageTag: 'sha-abc1234',
  actor: 'octocat',
  host: 'srv',
  runKey: '42-1-abc',
};

describe('EventRenderer', () => {
  it('renders one group per step with its log lines', () => {
    const r = new EventRenderer();
    r.handle(ev({ type: 'step', step: 'lock', status: 'start', msg: '' }));
    r.handle(ev({ type: 'step', step: 'lock', status: 'ok', msg: 'locked', duration_ms: 12 }));
    r.handle(ev({ type: 'step', step: 'pull', status: 'start', msg: 'pulling 1 image' }));
    r.handle(ev({ type: 'log', step: 'pull', level: 'info', msg: 'Pulling odoo ... done' }));
    r.handle(ev({ type: 'log', step: 'pull', level: 'info', msg: '::add-mask::oops' }));
    r.handle(ev({ type: 'log', step: 'pull', level: 'warn', msg: 'slow registry' }));
    r.handle(ev({ type: 'step', step: 'pull', status: 'ok', msg: '', duration_ms: 2500 }));
    r.handle(undefined, 'not json');
    r.close();
    const out = stdout.join('');
    assert.equal(out.match(/::group::/g)?.length, 2);
    assert.equal(out.match(/::endgroup::/g)?.length, 2);
    assert.match(out, /::group::▶ lock\n✓ lock: locked \(0\.0 s\)\n::endgroup::/);
    assert.match(
      out,
      /::group::▶ pull\npulling 1 image\nPulling odoo \.\.\. done\n\| ::add-mask::oops\n::warning::slow registry\n✓ pull \(2\.5 s\)\n::endgroup::\nnot json\n/,
    );
    assert.deepEqual(
      r.steps.map((s) => [s.step, s.status, s.durationMs]),
      [
        ['lock', 'ok', 12],
        ['pull', 'ok', 2500],
      ],
    );
  });

  it('annotates a failed step with its exact message, once', async () => {
    const gate = 'Version not verified: /srv/releases/verified/sha-x does not exist';
    const r = new EventRenderer();
    r.handle(ev({ type: 'step', step: 'gate', status: 'start', msg: '' }));
    r.handle(ev({ type: 'step', step: 'gate', status: 'failed', msg: gate, duration_ms: 3 }));
    const result = ev({
      type: 'result',
      status: 'failed',
      msg: gate,
      mode: 'deploy',
      stack: 'odoo18',
      env: 'production',
    }) as ResultEvent;
    r.handle(result);
    await reportResult(result, { ...ctx, environment: 'production' }, r);
    const out = stdout.join('');
    assert.ok(out.includes(`::error::${gate}\n`), out);
    assert.equal(out.split(`::error::${gate}`).length - 1, 1, 'annotated once');
    assert.equal(process.exitCode, 1);
    assert.equal(outputs().status, 'failed');
  });

  it('escapes annotation text so it cannot inject commands', () => {
    const r = new EventRenderer();
    r.handle(ev({ type: 'log', step: 'up', level: 'error', msg: 'bad\n::set-output name=x::y' }));
    assert.ok(stdout.join('').includes('::error::bad%0A::set-output name=x::y\n'));
    assert.equal(neutraliseLine('  ##[error]x'), '  ## [error]x');
    assert.equal(neutraliseLine('plain :: text'), 'plain :: text');
  });
});

describe('results', () => {
  it('sets every output of section 11 and writes the summary table', async () => {
    const r = new EventRenderer();
    r.handle(ev({ type: 'step', step: 'pull', status: 'start', msg: '' }));
    r.handle(ev({ type: 'step', step: 'pull', status: 'ok', msg: '', duration_ms: 1500 }));
    const result = ev({
      type: 'result',
      status: 'success',
      msg: 'deployed sha-abc1234__20260131T120000Z',
      mode: 'deploy',
      stack: 'odoo18',
      env: 'staging',
      release_id: manifest.release_id,
      release_dir: manifest.release_dir,
      image_ref: manifest.image_ref,
      image_digest: manifest.image_digest,
      previous_release_id: manifest.previous_release_id,
      manifest,
      durations: { pull: 1500, up: 4200 },
    }) as ResultEvent;
    r.handle(result);
    await reportResult(result, ctx, r);
    const o = outputs();
    assert.equal(o.status, 'success');
    assert.equal(o.release_id, manifest.release_id);
    assert.equal(o.release_dir, manifest.release_dir);
    assert.equal(o.image_ref, manifest.image_ref);
    assert.equal(o.image_digest, manifest.image_digest);
    assert.equal(o.previous_release_id, manifest.previous_release_id);
    assert.deepEqual(JSON.parse(o.manifest!), manifest);
    assert.equal(process.exitCode, undefined);
    const summary = readFileSync(join(dir, 'summary'), 'utf8');
    for (const want of [
      'odoo18',
      'staging',
      'sha-abc1234',
      manifest.image_digest,
      manifest.release_id,
      'octocat',
      '<td>Break glass</td><td>no</td>',
      '✅ success',
      '<td>pull</td><td>ok</td><td>1.5 s</td>',
      '<td>up</td><td>ok</td><td>4.2 s</td>',
    ])
      assert.ok(summary.includes(want), `summary lacks ${want}:\n${summary}`);
    assert.ok(!summary.includes('Provenance'), 'no provenance row for a manifest without it');
  });

  it('shows the provenance of the deployed images and who signed them', async () => {
    const r = new EventRenderer();
    const provenance = {
      state: 'verified',
      mode: 'require',
      signer_workflow: '.github/workflows/build.yml',
      signer_ref: 'refs/heads/main',
    };
    const result = ev({
      type: 'result',
      status: 'success',
      msg: 'deployed',
      mode: 'deploy',
      manifest: { ...manifest, provenance },
    }) as ResultEvent;
    await reportResult(result, ctx, r);
    const summary = readFileSync(join(dir, 'summary'), 'utf8');
    const row = '<td>Provenance</td><td>verified by .github/workflows/build.yml@refs/heads/main</td>';
    assert.ok(summary.includes(row), summary);
  });

  it('shows break glass with its reason, and fails on rolled_back', async () => {
    const r = new EventRenderer();
    const m = { ...manifest, env: 'production', break_glass: true, break_glass_reason: 'outage <fix>' };
    const result = ev({
      type: 'result',
      status: 'rolled_back',
      msg: 'smoke failed; rolled back to sha-0000000__20260130T120000Z',
      mode: 'deploy',
      manifest: m,
    }) as ResultEvent;
    await reportResult(
      result,
      { ...ctx, environment: 'production', breakGlass: true, breakGlassReason: 'outage <fix>' },
      r,
    );
    const summary = readFileSync(join(dir, 'summary'), 'utf8');
    assert.ok(summary.includes('<td>Break glass</td><td>yes</td>'));
    assert.ok(summary.includes('outage &lt;fix&gt;'), 'HTML is escaped');
    assert.equal(process.exitCode, 1);
    assert.ok(
      stdout.join('').includes('::error::smoke failed; rolled back to sha-0000000__20260130T120000Z'),
    );
    assert.equal(outputs().status, 'rolled_back');
  });

  it('fills outputs from the manifest when the result lacks them', () => {
    const o = outputsOf(
      ev({ type: 'result', status: 'success', msg: '', mode: 'rollback', manifest }) as ResultEvent,
    );
    assert.equal(o.release_id, manifest.release_id);
    assert.equal(o.image_digest, manifest.image_digest);
  });

  it('turns verify output into a result', () => {
    const ok = verifyResult(
      {
        code: 0,
        signal: null,
        stdout:
          JSON.stringify({ path: '/srv/releases/verified/sha-x', marker: { image_tag: 'sha-x' } }) + '\n',
        stderr: '',
      },
      new EventRenderer(),
      'sha-x',
      'srv',
    );
    assert.equal(ok.status, 'success');
    assert.deepEqual(ok.manifest, { image_tag: 'sha-x' });
    const bad = verifyResult(
      { code: 2, signal: null, stdout: '', stderr: 'seisei-deploy: --digest-file x: bad\n' },
      new EventRenderer(),
      'sha-x',
      'srv',
    );
    assert.equal(bad.status, 'failed');
    assert.match(bad.msg, /verify of sha-x on srv failed: --digest-file x: bad/);
    const events = [
      ev({ type: 'step', step: 'verify', status: 'start', msg: '' }),
      ev({ type: 'result', status: 'success', msg: 'verified', mode: 'verify' }),
    ];
    const viaEvents = verifyResult(
      { code: 0, signal: null, stdout: events.map((e) => JSON.stringify(e)).join('\n') + '\n', stderr: '' },
      new EventRenderer(),
      'sha-x',
      'srv',
    );
    assert.equal(viaEvents.msg, 'verified');
  });
});
