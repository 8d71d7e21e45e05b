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
    const { getDigestManifest, defaultDeps } = await import('../../src/digests.js');
    const m = await getDigestManifest(src(), TAG, { ...defaultDeps(), env: {} });
    assert.equal(m.runId, 500);
    assert.equal(m.manifest.git_sha, SHA);
    assert.ok(
      gh.blobRequests().some((r) => r.path.startsWith(`/blob/${artifact.id}/`) && /[?&]sig=/.test(r.search)),
    );
  });

  it('rejects a download whose bytes do not match the recorded digest', async () => {
    const { getDigestManifest, defaultDeps } = await import('../../src/digests.js');
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
    const { getDigestManifest, defaultDeps } = await import('../../src/digests.js');
    await assert.rejects(
      getDigestManifest(src({ buildRunId: 123 }), TAG, { ...defaultDeps(), env: {} }),
      /artifact "image-digests" was not found in run 123 of org\/app .*actions: read/,
    );
    await assert.rejects(
      getDigestManifest(src({ buildRunId: 500, token: 'wrong' }), TAG, { ...defaultDeps(), env: {} }),
      /not found in run 500 of org\/app \(input build_run_id\) \(HTTP 401\).*actions: read/,
    );
  });
});
