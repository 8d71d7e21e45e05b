// Getting the digest manifest: sources in order, hash check before parsing, and the build-run
// lookup that only trusts runs of this repository at the tag's full commit from a trusted trigger.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { manifestTextFromArtifact } from '../../src/digests/artifact.js';
import { globToRegExp, judgeRun, shaOfTag, type RunRules } from '../../src/digests/build-run.js';
import { DigestError } from '../../src/digests/errors.js';
import type { ArtifactBackend, Deps, FindBy, WorkflowRun } from '../../src/digests/github.js';
import { getDigestManifest } from '../../src/digests/load.js';
import type { DigestSource } from '../../src/inputs/digest-source.js';

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

/** A run GitHub would list for a push to main of org/app at SHA (override what a decoy changes). */
const run = (over: Partial<WorkflowRun> & { id: number }): WorkflowRun => ({
  head_sha: SHA,
  head_branch: 'main',
  event: 'push',
  conclusion: 'success',
  head_repository: { id: 1, full_name: 'org/app' },
  repository: { id: 1, full_name: 'org/app' },
  created_at: new Date(Date.UTC(2026, 0, 1) + over.id * 60_000).toISOString(),
  ...over,
});
const FORK = { id: 666, full_name: 'evil/app' };
/** The same 7 hex as SHA, another commit. */
const COLLIDING = SHA.slice(0, 7) + 'f'.repeat(33);

function fakeDeps(opts: {
  artifacts?: Record<string, Stored>; // key: run id, or 'current'
  runs?: WorkflowRun[];
  env?: NodeJS.ProcessEnv;
  /** The repository's commits (short SHA resolution); default: SHA. */
  commits?: string[];
  tags?: Record<string, string>;
}) {
  const calls: { get: (FindBy | undefined)[]; pages: number[]; headShas: string[]; resolved: string[] } = {
    get: [],
    pages: [],
    headShas: [],
    resolved: [],
  };
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
    // Like an old API that ignores ?head_sha=: every run, newest first; the lookup must filter.
    runs: async () => ({
      async listSuccessfulRuns({ page, perPage, headSha }) {
        calls.pages.push(page);
        calls.headShas.push(headSha);
        return (opts.runs ?? []).slice((page - 1) * perPage, page * perPage);
      },
      async repository() {
        return { id: 1, full_name: 'org/app', default_branch: 'main' };
      },
      async commitSha({ ref }) {
        calls.resolved.push(ref);
        const hits = (opts.commits ?? [SHA]).filter((c) => c.startsWith(ref));
        if (hits.length !== 1)
          throw Object.assign(new Error(hits.length ? 'ambiguous' : 'No commit found'), { status: 422 });
        return hits[0]!;
      },
      async tagAt({ tag, sha }) {
        return opts.tags?.[tag] === sha;
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

describe('shaOfTag, globs and judgeRun', () => {
  it('extracts the commit SHA of sha- tags only', () => {
    assert.equal(shaOfTag('sha-abc1234'), 'abc1234');
    assert.equal(shaOfTag(`sha-${SHA}`), SHA);
    assert.equal(shaOfTag('v1.2.3'), undefined);
    assert.equal(shaOfTag('sha-abc'), undefined);
  });

  it('matches build_branches globs: * within a segment, ** across, ? one character', () => {
    assert.ok(globToRegExp('release/*').test('release/1.2'));
    assert.ok(!globToRegExp('release/*').test('release/1/2'));
    assert.ok(globToRegExp('release/**').test('release/1/2'));
    assert.ok(globToRegExp('v?.x').test('v1.x'));
    assert.ok(!globToRegExp('v?.x').test('v1-x'), 'the dot is literal');
    assert.ok(!globToRegExp('main').test('main2'));
  });

  const rules: RunRules = {
    repo: { id: 1, full_name: 'org/app', default_branch: 'main' },
    sha: SHA,
    branches: ['release/*'],
  };

  it('trusts a successful push, dispatch, release or schedule run of this repository at the commit on main', () => {
    for (const event of ['push', 'workflow_dispatch', 'release', 'schedule'])
      assert.deepEqual(judgeRun(run({ id: 1, event }), rules), { ok: true }, event);
    assert.deepEqual(judgeRun(run({ id: 1, head_branch: 'release/2' }), rules), { ok: true });
    assert.deepEqual(judgeRun(run({ id: 1, head_branch: 'v1.0.0' }), rules), { ok: 'if-tag', tag: 'v1.0.0' });
  });

  it('says every reason a decoy is not trusted', () => {
    const fork = judgeRun(
      run({ id: 2, event: 'pull_request', head_repository: FORK, head_sha: COLLIDING }),
      rules,
    );
    assert.equal(fork.ok, false);
    assert.deepEqual((fork as { why: string[] }).why, [
      `it built commit ${COLLIDING}, not ${SHA} (only the short SHA matches)`,
      'its code came from evil/app, not org/app',
      'it was triggered by pull_request, not push, workflow_dispatch, release, schedule',
    ]);
    const why = (r: WorkflowRun) => (judgeRun(r, rules) as { why?: string[] }).why?.join('; ');
    assert.equal(
      why(run({ id: 3, event: 'pull_request_target' })),
      'it was triggered by pull_request_target, not push, workflow_dispatch, release, schedule',
    );
    assert.equal(why(run({ id: 4, conclusion: 'failure' })), 'its conclusion is failure, not success');
    assert.match(
      why(run({ id: 5, head_repository: { id: 9, full_name: 'org/app' } }))!,
      /code came from org\/app, not org\/app/,
      'same name, other id (a re-created repository)',
    );
    assert.match(why(run({ id: 6, head_repository: null }))!, /code came from an unknown repository/);
    assert.match(why(run({ id: 7, event: undefined }))!, /triggered by an unknown event/);
    assert.equal(why(run({ id: 8, head_sha: SHA.toUpperCase() })), undefined, 'SHA case does not matter');
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
      runs.push(
        run({
          id: 1000 - i,
          head_sha: `f${i.toString().padStart(6, '0')}${SHA.slice(7)}`,
          created_at: new Date(2026, 0, 200 - i).toISOString(),
        }),
      );
    runs.push(
      run({
        id: 500,
        created_at: '2025-01-01T00:00:00Z',
        html_url: 'https://github.com/org/app/actions/runs/500',
      }),
    );
    const env = { ACTIONS_RUNTIME_TOKEN: 'x', ACTIONS_RESULTS_URL: 'http://results' };
    const { deps, calls } = fakeDeps({
      artifacts: { '500': { id: 5, bytes, digest: sha256(bytes) } },
      runs,
      env,
    });
    const m = await getDigestManifest(src(), TAG, deps);
    assert.equal(m.runId, 500);
    assert.deepEqual(calls.pages, [1, 2]);
    assert.deepEqual(calls.headShas, [SHA, SHA], 'asks GitHub for runs of the full commit');
    assert.deepEqual(calls.resolved, ['abc1234'], 'the short SHA resolved through the API');
    assert.equal(calls.get[0], undefined, 'tried the current run first');
    assert.equal(calls.get[1]!.workflowRunId, 500);
    assert.match(m.source, /newest successful build_ghcr\.yml run at abc1234def56/);
  });

  it('skips a newer fork pull request at the same short SHA and other decoys, and takes the trusted run', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest() });
    const forkBytes = zipOf({ 'image-digests.json': manifest({ git_sha: COLLIDING }) });
    const runs = [
      run({ id: 90, event: 'pull_request', head_repository: FORK, head_sha: COLLIDING }),
      run({ id: 89, event: 'pull_request', head_repository: FORK }),
      run({ id: 88, event: 'pull_request_target' }),
      run({ id: 87, head_branch: 'feature/x' }),
      run({ id: 86, head_sha: COLLIDING }),
      run({ id: 10 }),
    ].sort((a, b) => b.id - a.id);
    const { deps } = fakeDeps({
      artifacts: {
        '90': { id: 90, bytes: forkBytes, digest: sha256(forkBytes) },
        '89': { id: 89, bytes: forkBytes, digest: sha256(forkBytes) },
        '10': { id: 10, bytes, digest: sha256(bytes) },
      },
      runs,
    });
    const m = await getDigestManifest(src(), TAG, deps);
    assert.equal(m.runId, 10);
    assert.equal(m.manifest.git_sha, SHA);
  });

  it('with only decoys, fails naming each skipped run and why', async () => {
    const runs = [
      run({ id: 90, event: 'pull_request', head_repository: FORK, head_sha: COLLIDING }),
      run({ id: 88, event: 'pull_request_target' }),
      run({ id: 87, head_branch: 'feature/x' }),
      run({ id: 86, head_sha: COLLIDING }),
      run({ id: 85, head_sha: 'f'.repeat(40) }),
    ];
    const { deps } = fakeDeps({ runs });
    await assert.rejects(getDigestManifest(src(), TAG, deps), (e: Error) => {
      const lines = e.message.split('\n');
      assert.equal(
        lines[0],
        `no run of workflow "build_ghcr.yml" in org/app can supply the digests of ${TAG}: none is a successful push/workflow_dispatch/release/schedule run of commit ${SHA} in org/app on main or a tag (searched 5 successful runs; skipped:`,
      );
      assert.deepEqual(lines.slice(1, 5), [
        `  - run 90 (pull_request from evil/app, ref main): it built commit ${COLLIDING}, not ${SHA} (only the short SHA matches); its code came from evil/app, not org/app; it was triggered by pull_request, not push, workflow_dispatch, release, schedule`,
        '  - run 88 (pull_request_target from org/app, ref main): it was triggered by pull_request_target, not push, workflow_dispatch, release, schedule',
        '  - run 87 (push from org/app, ref feature/x): feature/x is not the default branch main, matches no build_branches pattern and is not a tag at the commit',
        `  - run 86 (push from org/app, ref main): it built commit ${COLLIDING}, not ${SHA} (only the short SHA matches)`,
      ]);
      assert.ok(!e.message.includes('run 85'), 'runs of unrelated commits are only counted');
      assert.match(
        lines.at(-1)!,
        /^\); set build_run_id, widen build_branches, or check image_tag and that .*actions: read/,
      );
      return true;
    });
  });

  it('trusts a feature branch only through build_branches, and a tag only when it points at the commit', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest() });
    const artifacts = { '87': { id: 87, bytes, digest: sha256(bytes) } };
    const feature = [run({ id: 87, head_branch: 'feature/x' })];
    assert.equal(
      (
        await getDigestManifest(
          src({ buildBranches: ['feature/*'] }),
          TAG,
          fakeDeps({ artifacts, runs: feature }).deps,
        )
      ).runId,
      87,
    );
    const tagged = [run({ id: 87, head_branch: 'v1.0.0' })];
    assert.equal(
      (
        await getDigestManifest(
          src(),
          TAG,
          fakeDeps({ artifacts, runs: tagged, tags: { 'v1.0.0': SHA } }).deps,
        )
      ).runId,
      87,
    );
    await assert.rejects(
      getDigestManifest(
        src(),
        TAG,
        fakeDeps({ artifacts, runs: tagged, tags: { 'v1.0.0': COLLIDING } }).deps,
      ),
      /run 87 \(push from org\/app, ref v1\.0\.0\): v1\.0\.0 is not the default branch main, .* not a tag at the commit/,
    );
  });

  it('fails closed when the short SHA is ambiguous in the repository; git_sha or a full-SHA tag settles it', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest() });
    const runs = [run({ id: 86, head_sha: COLLIDING }), run({ id: 10 })];
    const artifacts = { '10': { id: 10, bytes, digest: sha256(bytes) } };
    const { deps, calls } = fakeDeps({ artifacts, runs, commits: [SHA, COLLIDING] });
    await assert.rejects(
      getDigestManifest(src(), TAG, deps),
      /cannot resolve commit abc1234 of image_tag sha-abc1234 in org\/app \(HTTP 422: ambiguous\); set git_sha to the full commit SHA/,
    );
    assert.deepEqual(calls.pages, [], 'no run was considered');
    assert.equal((await getDigestManifest(src({ gitSha: SHA }), TAG, deps)).runId, 10);
    const full = `sha-${SHA}`;
    const fullManifest = zipOf({
      'image-digests.json': manifest({
        images: {
          'seisei-odoo18': {
            tag: full,
            ref: `ghcr.io/org/seisei-odoo18@${digest('a')}`,
            digest: digest('a'),
          },
        },
      }),
    });
    const d2 = fakeDeps({
      artifacts: { '10': { id: 10, bytes: fullManifest, digest: sha256(fullManifest) } },
      runs,
      commits: [SHA, COLLIDING],
    });
    assert.equal((await getDigestManifest(src(), full, d2.deps)).runId, 10);
    assert.deepEqual(d2.calls.resolved, [], 'a 40-hex tag needs no resolution');
  });

  it('refuses a looked-up manifest that names another commit than the run built', async () => {
    const bytes = zipOf({ 'image-digests.json': manifest({ git_sha: COLLIDING }) });
    const { deps } = fakeDeps({
      artifacts: { '10': { id: 10, bytes, digest: sha256(bytes) } },
      runs: [run({ id: 10 })],
    });
    await assert.rejects(
      getDigestManifest(src(), TAG, deps),
      /says commit abc1234f+, but the run built abc1234def5678901234567890abcdef12345678 .*refusing to use it/,
    );
  });

  it('says when the tag carries no SHA', async () => {
    const { deps } = fakeDeps({ runs: [] });
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
