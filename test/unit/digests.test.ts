// Getting the digest manifest: sources in order, hash check before parsing, SHA-prefix run lookup.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import {
  DigestError,
  getDigestManifest,
  manifestTextFromArtifact,
  selectBuildRun,
  shaOfTag,
  type ArtifactBackend,
  type Deps,
  type FindBy,
  type WorkflowRun,
} from '../../src/digests.js';
import type { DigestSource } from '../../src/inputs.js';

const SHA = 'abc1234def5678901234567890abcdef12345678';
const TAG = 'sha-abc1234';
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const manifest = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    git_sha: SHA,
    git_sha7: SHA.slice(0, 7),
    built_at_utc: '2026-01-31T12:00:00Z',
    images: {
      'seisei-odoo18': { tag: TAG, ref: `ghcr.io/org/seisei-odoo18@${digest('a')}`, digest: digest('a') },
    },
    ...over,
  });
const zipOf = (files: Record<string, string>) => {
  const z = new AdmZip();
  for (const [name, text] of Object.entries(files)) z.addFile(name, Buffer.from(text));
  return z.toBuffer();
};
const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

interface Stored {
  id: number;
  bytes: Buffer;
  digest?: string;
}

function fakeDeps(opts: {
  artifacts?: Record<string, Stored>; // key: run id, or 'current'
  runs?: WorkflowRun[];
  env?: NodeJS.ProcessEnv;
}) {
  const calls: { get: (FindBy | undefined)[]; pages: number[] } = { get: [], pages: [] };
  const backend: ArtifactBackend = {
    async getArtifact(name, findBy) {
      calls.get.push(findBy);
      const a = opts.artifacts?.[findBy ? String(findBy.workflowRunId) : 'current'];
      if (!a || name !== 'image-digests')
        throw Object.assign(new Error(`Artifact not found for name: ${name}`), {
          name: 'ArtifactNotFoundError',
        });
      return { id: a.id, name, digest: a.digest };
    },
    async download(id, { path, expectedHash }) {
      const a = Object.values(opts.artifacts ?? {}).find((x) => x.id === id)!;
      writeFileSync(join(path, 'image-digests.zip'), a.bytes);
      return { digestMismatch: expectedHash !== undefined && expectedHash !== sha256(a.bytes) };
    },
  };
  const deps: Deps = {
    env: opts.env ?? {},
    maxPages: 3,
    artifacts: async () => backend,
    runs: async () => ({
      async listSuccessfulRuns({ page, perPage }) {
        calls.pages.push(page);
        return (opts.runs ?? []).slice((page - 1) * perPage, page * perPage);
      },
    }),
  };
  return { deps, calls };
}

const src = (over: Partial<DigestSource> = {}): DigestSource => ({
  artifact: 'image-digests',
  buildWorkflow: 'build_ghcr.yml',
  token: 'ghs_token',
  repository: { owner: 'org', repo: 'app' },
  currentRunId: 99,
  ...over,
});

const tmp = mkdtempSync(join(tmpdir(), 'digests-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('shaOfTag and selectBuildRun', () => {
  it('extracts the commit SHA of sha- tags only', () => {
    assert.equal(shaOfTag('sha-abc1234'), 'abc1234');
    assert.equal(shaOfTag(`sha-${SHA}`), SHA);
    assert.equal(shaOfTag('v1.2.3'), undefined);
    assert.equal(shaOfTag('sha-abc'), undefined);
  });

  it('picks the newest successful run whose head SHA starts with the prefix', () => {
    const runs: WorkflowRun[] = [
      { id: 1, head_sha: SHA, created_at: '2026-01-01T00:00:00Z' },
      { id: 5, head_sha: 'abc1235' + SHA.slice(7), created_at: '2026-03-01T00:00:00Z' },
      { id: 3, head_sha: SHA, created_at: '2026-02-01T00:00:00Z' },
      { id: 4, head_sha: SHA, created_at: '2026-02-01T00:00:00Z', conclusion: 'failure' },
      { id: 2, head_sha: SHA.toUpperCase(), created_at: '2026-02-01T00:00:00Z' },
    ];
    assert.equal(selectBuildRun(runs, 'abc1234')!.id, 3);
    assert.equal(selectBuildRun(runs, 'fff0000'), undefined);
  });
});

describe('getDigestManifest', () => {
  it('reads digest_file and reports schema errors with JSON path and rule', async () => {
    const good = join(tmp, 'good.json');
    writeFileSync(good, manifest());
    const m = await getDigestManifest(src({ file: good }), TAG, fakeDeps({}).deps);
    assert.equal(m.manifest.git_sha, SHA);
    assert.equal(m.text, manifest());

    const bad = join(tmp, 'bad.json');
    writeFileSync(
      bad,
      manifest({ images: { 'seisei-odoo18': { tag: TAG, ref: 'ghcr.io/x:latest', digest: digest('a') } } }),
    );
    await assert.rejects(getDigestManifest(src({ file: bad }), TAG, fakeDeps({}).deps), (e: Error) => {
      assert.ok(e instanceof DigestError);
      assert.match(e.message, /digest_file .*bad\.json is invalid/);
      assert.match(e.message, /\$\.images\.seisei-odoo18\.ref: must match .* \(rule: pattern\)/);
      return true;
    });
    await assert.rejects(
      getDigestManifest(src({ file: good }), 'sha-0000000', fakeDeps({}).deps),
      /tag: "sha-abc1234" does not equal the requested image_tag "sha-0000000"/,
    );
    await assert.rejects(
      getDigestManifest(src({ file: join(tmp, 'nope.json') }), TAG, fakeDeps({}).deps),
      /digest_file: cannot read .*nope\.json: ENOENT/,
    );
  });

  it('downloads from build_run_id with findBy, verifying the hash', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest() });
    const { deps, calls } = fakeDeps({ artifacts: { '77': { id: 7, bytes, digest: sha256(bytes) } } });
    const m = await getDigestManifest(src({ buildRunId: 77 }), TAG, deps);
    assert.equal(m.manifest.images['seisei-odoo18']!.digest, digest('a'));
    assert.equal(m.runId, 77);
    assert.deepEqual(calls.get[0], {
      token: 'ghs_token',
      workflowRunId: 77,
      repositoryOwner: 'org',
      repositoryName: 'app',
    });
  });

  it('rejects an artifact whose bytes do not match the recorded digest', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest() });
    const corrupted = Buffer.from(bytes);
    corrupted[40] = corrupted[40]! ^ 0xff;
    const { deps } = fakeDeps({ artifacts: { '77': { id: 7, bytes: corrupted, digest: sha256(bytes) } } });
    await assert.rejects(getDigestManifest(src({ buildRunId: 77 }), TAG, deps), (e: Error) => {
      assert.match(
        e.message,
        /artifact "image-digests" \(id 7\) of run 77 of org\/app .* is corrupt or was altered/,
      );
      assert.ok(
        e.message.includes(sha256(bytes)) && e.message.includes(sha256(corrupted)),
        'both hashes shown',
      );
      return true;
    });
  });

  it('rejects a corrupt zip even when its recorded digest matches', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest() });
    const i = bytes.indexOf(Buffer.from('image-digests.json')) + 'image-digests.json'.length + 2;
    const corrupted = Buffer.from(bytes);
    corrupted[i] = corrupted[i]! ^ 0xff; // inside the compressed data
    const { deps } = fakeDeps({
      artifacts: { '77': { id: 7, bytes: corrupted, digest: sha256(corrupted) } },
    });
    await assert.rejects(
      getDigestManifest(src({ buildRunId: 77 }), TAG, deps),
      /corrupt zip archive|cannot be decompressed/,
    );
  });

  it('rejects a schema-invalid manifest from an artifact', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest({ git_sha: 'xyz' }) });
    const { deps } = fakeDeps({ artifacts: { '77': { id: 7, bytes, digest: sha256(bytes) } } });
    await assert.rejects(
      getDigestManifest(src({ buildRunId: 77 }), TAG, deps),
      /artifact "image-digests" of run 77 .* is invalid:\n {2}- \$\.git_sha: must match/,
    );
  });

  it('says which run was searched and that the token needs actions: read', async () => {
    const { deps } = fakeDeps({ artifacts: {} });
    await assert.rejects(getDigestManifest(src({ buildRunId: 77 }), TAG, deps), (e: Error) => {
      assert.match(
        e.message,
        /artifact "image-digests" was not found in run 77 of org\/app \(input build_run_id\)/,
      );
      assert.match(e.message, /actions: read/);
      return true;
    });
  });

  it('uses the current run when it has the artifact (no findBy)', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest() });
    const env = { ACTIONS_RUNTIME_TOKEN: 'x', ACTIONS_RESULTS_URL: 'http://results' };
    const { deps, calls } = fakeDeps({
      artifacts: { current: { id: 9, bytes, digest: sha256(bytes) } },
      env,
    });
    const m = await getDigestManifest(src(), TAG, deps);
    assert.equal(m.runId, 99);
    assert.deepEqual(calls.get, [undefined]);
    assert.deepEqual(calls.pages, []);
  });

  it('else finds the build run by the SHA in the tag, across pages', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest() });
    const runs: WorkflowRun[] = [];
    for (let i = 0; i < 150; i++)
      runs.push({
        id: 1000 - i,
        head_sha: `f${i.toString().padStart(6, '0')}${SHA.slice(7)}`,
        created_at: new Date(2026, 0, 200 - i).toISOString(),
      });
    runs.push({
      id: 500,
      head_sha: SHA,
      created_at: '2025-01-01T00:00:00Z',
      html_url: 'https://github.com/org/app/actions/runs/500',
    });
    const env = { ACTIONS_RUNTIME_TOKEN: 'x', ACTIONS_RESULTS_URL: 'http://results' };
    const { deps, calls } = fakeDeps({
      artifacts: { '500': { id: 5, bytes, digest: sha256(bytes) } },
      runs,
      env,
    });
    const m = await getDigestManifest(src(), TAG, deps);
    assert.equal(m.runId, 500);
    assert.deepEqual(calls.pages, [1, 2]);
    assert.equal(calls.get[0], undefined, 'tried the current run first');
    assert.equal(calls.get[1]!.workflowRunId, 500);
    assert.match(m.source, /newest successful build_ghcr\.yml run at abc1234def56/);
  });

  it('says when no run matches, and when the tag carries no SHA', async () => {
    const { deps } = fakeDeps({ runs: [{ id: 1, head_sha: 'f'.repeat(40) }] });
    await assert.rejects(
      getDigestManifest(src(), TAG, deps),
      /no successful run of workflow "build_ghcr\.yml" in org\/app has a head SHA starting with abc1234 \(searched the newest 1 successful runs\).*actions: read/,
    );
    await assert.rejects(
      getDigestManifest(src(), 'v1.0.0', deps),
      /only tags of the form sha-<commit sha> can be looked up; set build_run_id or digest_file/,
    );
  });
});

describe('manifestTextFromArtifact', () => {
  it('reads a zipped image-digests.json, or a raw file', () => {
    assert.equal(manifestTextFromArtifact(zipOf({ 'image-digests.json': 'A' }), 'x'), 'A');
    assert.equal(
      manifestTextFromArtifact(zipOf({ 'out/image-digests.json': 'B', 'other.txt': 'C' }), 'x'),
      'B',
    );
    assert.equal(manifestTextFromArtifact(zipOf({ 'digests.json': 'D' }), 'x'), 'D');
    assert.equal(manifestTextFromArtifact(Buffer.from('{"raw":1}'), 'x'), '{"raw":1}');
    assert.throws(
      () => manifestTextFromArtifact(zipOf({ 'a.json': '1', 'b.json': '2' }), 'x'),
      /does not hold exactly one image-digests\.json \(it has: a\.json, b\.json\)/,
    );
  });
});
