// The real @actions/artifact and @actions/github code (defaultDeps) against the local stand-in of
// GitHub's REST API (test/support/github-standin.ts): artifact lookup by run, the 302 download
// redirect, the runs listing. test/e2e/action-artifact.test.ts runs the same through dist/index.js.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  startGitHubStandin,
  zipOf,
  type GitHubStandin,
  type StandinArtifact,
} from '../support/github-standin.js';

const SHA = 'abc1234def5678901234567890abcdef12345678';
const TAG = 'sha-abc1234';
const digestA = `sha256:${'a'.repeat(64)}`;
const manifest = JSON.stringify({
  git_sha: SHA,
  git_sha7: SHA.slice(0, 7),
  built_at_utc: '2026-01-31T12:00:00Z',
  images: { odoo: { tag: TAG, ref: `ghcr.io/org/odoo@${digestA}`, digest: digestA } },
});
const zip = zipOf({ 'image-digests.json': manifest });

let gh: GitHubStandin;
let artifact: StandinArtifact;

before(async () => {
  gh = await startGitHubStandin({ owner: 'org', repo: 'app', token: 'ghs_test' });
  gh.addRun({ id: 500, head_sha: SHA, created_at: '2026-01-31T11:00:00Z' });
  gh.addRun({ id: 501, head_sha: 'f'.repeat(40), created_at: '2026-01-31T12:00:00Z' });
  gh.addRun({ id: 123 });
  artifact = gh.addArtifact({ runId: 500, name: 'image-digests', bytes: zip });
  process.env.GITHUB_API_URL = gh.url; // read when @actions/github is first imported
  delete process.env.ACTIONS_RUNTIME_TOKEN;
});
after(() => gh.close());

const src = (over = {}) => ({
  artifact: 'image-digests',
  buildWorkflow: 'build_ghcr.yml',
  token: 'ghs_test',
  repository: { owner: 'org', repo: 'app' },
  ...over,
});

describe('real artifact and GitHub clients against a local REST stand-in', () => {
  it('finds the build run by SHA and downloads and verifies its artifact', async () => {
    const [{ getDigestManifest }, { defaultDeps }] = await Promise.all([
      import('../../src/digests/load.js'),
      import('../../src/digests/github.js'),
    ]);
    const m = await getDigestManifest(src(), TAG, { ...defaultDeps(), env: {} });
    assert.equal(m.runId, 500);
    assert.equal(m.manifest.git_sha, SHA);
    assert.ok(
      gh.blobRequests().some((r) => r.path.startsWith(`/blob/${artifact.id}/`) && /[?&]sig=/.test(r.search)),
    );
  });

  it('rejects a download whose bytes do not match the recorded digest', async () => {
    const [{ getDigestManifest }, { defaultDeps }] = await Promise.all([
      import('../../src/digests/load.js'),
      import('../../src/digests/github.js'),
    ]);
    const tampered = Buffer.from(zip);
    tampered[tampered.length - 30] = tampered[tampered.length - 30]! ^ 0xff;
    artifact.bytes = tampered;
    try {
      await assert.rejects(
        getDigestManifest(src({ buildRunId: 500 }), TAG, { ...defaultDeps(), env: {} }),
        /is corrupt or was altered: its SHA-256 is sha256:[0-9a-f]{64} but GitHub recorded sha256:/,
      );
    } finally {
      artifact.bytes = zip;
    }
  });

  it('says which run was searched when the artifact is missing', async () => {
    const [{ getDigestManifest }, { defaultDeps }] = await Promise.all([
      import('../../src/digests/load.js'),
      import('../../src/digests/github.js'),
    ]);
    await assert.rejects(
      getDigestManifest(src({ buildRunId: 123 }), TAG, { ...defaultDeps(), env: {} }),
      /artifact "image-digests" was not found in run 123 of org\/app .*actions: read/,
    );
    await assert.rejects(
      getDigestManifest(src({ buildRunId: 500, token: 'wrong' }), TAG, { ...defaultDeps(), env: {} }),
      /not found in run 500 of org\/app \(input build_run_id\) \(HTTP 401\).*actions: read/,
    );
  });

  it('with the real client: a newer fork pull request and decoys are skipped; a tag at the commit is trusted', async () => {
    const [{ getDigestManifest }, { defaultDeps }] = await Promise.all([
      import('../../src/digests/load.js'),
      import('../../src/digests/github.js'),
    ]);
    const sha = 'bbb2222' + 'd'.repeat(33);
    const colliding = 'bbb2222' + 'e'.repeat(33);
    const m = JSON.stringify({
      ...JSON.parse(manifest),
      git_sha: sha,
      git_sha7: sha.slice(0, 7),
      images: { odoo: { tag: 'sha-bbb2222', ref: `ghcr.io/org/odoo@${digestA}`, digest: digestA } },
    });
    const at = (min: number) => `2026-03-01T00:${String(min).padStart(2, '0')}:00Z`;
    gh.addRun({ id: 700, head_sha: sha, created_at: at(1), head_branch: 'v2.0.0' });
    gh.addRun({ id: 701, head_sha: sha, created_at: at(2), event: 'pull_request_target' });
    gh.addRun({ id: 702, head_sha: sha, created_at: at(3), head_branch: 'feature/x' });
    gh.addRun({
      id: 703,
      head_sha: colliding,
      created_at: at(4),
      event: 'pull_request',
      head_repository: { id: 666, full_name: 'evil/app' },
    });
    gh.addRun({
      id: 704,
      head_sha: sha,
      created_at: at(5),
      event: 'pull_request',
      head_repository: { id: 666, full_name: 'evil/app' },
    });
    for (const id of [700, 701, 702, 703, 704])
      gh.addArtifact({ runId: id, name: 'image-digests', bytes: zipOf({ 'image-digests.json': m }) });
    const deps = { ...defaultDeps(), env: {} };
    await assert.rejects(getDigestManifest(src(), 'sha-bbb2222', deps), (e: Error) => {
      assert.match(
        e.message,
        /run 704 \(pull_request from evil\/app, ref main\): its code came from evil\/app/,
      );
      assert.match(
        e.message,
        /run 702 \(push from org\/app, ref feature\/x\): feature\/x is not the default branch main/,
      );
      assert.match(
        e.message,
        /run 701 \(pull_request_target from org\/app, ref main\): it was triggered by pull_request_target/,
      );
      assert.match(
        e.message,
        /run 700 \(push from org\/app, ref v2\.0\.0\): v2\.0\.0 is not the default branch main, .*not a tag at the commit/,
      );
      assert.ok(!e.message.includes('run 703'), 'GitHub lists only runs of the full commit (?head_sha=)');
      return true;
    });
    gh.addTag('v2.0.0', sha);
    gh.requests.length = 0;
    const got = await getDigestManifest(src(), 'sha-bbb2222', deps);
    assert.equal(got.runId, 700);
    const paths = gh.restRequests().map((r) => `${r.path}${r.search}`);
    assert.deepEqual(paths.slice(0, 3), [
      '/repos/org/app',
      '/repos/org/app/commits/bbb2222',
      `/repos/org/app/actions/workflows/build_ghcr.yml/runs?status=success&head_sha=${sha}&per_page=100&page=1`,
    ]);
    assert.ok(paths.includes('/repos/org/app/git/ref/tags/v2.0.0'));
  });
});
