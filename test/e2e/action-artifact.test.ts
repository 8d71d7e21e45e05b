// Issue 4, acceptance 4: dist/index.js in deploy mode WITHOUT digest_file gets the digest manifest
// with the real @actions/artifact and @actions/github code, from a local stand-in of GitHub's REST
// API and of the Actions results service (test/support/github-standin.ts) that speaks their HTTP
// protocols: GITHUB_API_URL and ACTIONS_RESULTS_URL point at it, ACTIONS_RUNTIME_TOKEN is a JWT
// whose `scp` claim names the current run. GITHUB_SERVER_URL is http://github.localhost:PORT:
// @actions/artifact refuses GHES hosts, and *.localhost is what it accepts besides github.com.
//
// The three ways to find the artifact (build_run_id, the current run, the tag lookup) each deploy
// for real over sshd, so the downloaded manifest is what ends up live. The failures (corrupt zip,
// schema-invalid manifest, missing artifact, token without actions: read) must stop before any
// SSH connection: their host/port point at a listener that counts connection attempts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  sha256Digest,
  startGitHubStandin,
  zipOf,
  type GitHubStandin,
  type StandinRequest,
} from '../support/github-standin.js';
import { randomBytes } from 'node:crypto';
import { startDeployServer, startTripwire, type DeployServer, type TestImage } from './action-fixture.js';
import {
  defaultContext,
  describeRun,
  runAction,
  type ActionResult,
  type GitHubContext,
} from './action-harness.js';

const CURRENT_RUN = 4242;
const ARTIFACT = 'image-digests';
const NO_ACTIONS_READ = 'ghs_no_actions_read';

describe('the action downloads the digest manifest artifact (real @actions/artifact, @actions/github)', () => {
  let srv: DeployServer;
  let gh: GitHubStandin;
  let tripwire: Awaited<ReturnType<typeof startTripwire>>;
  let stack: string;
  let img: TestImage;
  let ctx: GitHubContext;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    [srv, gh, tripwire] = await Promise.all([
      startDeployServer(),
      startGitHubStandin({ tokensWithoutActionsRead: [NO_ACTIONS_READ] }),
      startTripwire(),
    ]);
    stack = (await srv.addStack()).name;
    img = await srv.image();
    ctx = {
      ...defaultContext(),
      runId: String(CURRENT_RUN),
      repository: `${gh.owner}/${gh.repo}`,
      apiUrl: gh.url,
      graphqlUrl: `${gh.url}/graphql`,
      serverUrl: `http://github.localhost:${gh.port}`,
      token: gh.token, // what ${{ github.token }} (github_token's default) evaluates to
    };
    env = {
      ACTIONS_RUNTIME_TOKEN: gh.runtimeToken(CURRENT_RUN),
      ACTIONS_RESULTS_URL: `${gh.url}/`,
      ACTIONS_RUNTIME_URL: `${gh.url}/runtime/`,
    };
  });
  after(async () => {
    await tripwire?.close();
    await gh?.close();
    await srv?.close();
  });

  /** The one commit of the test image's tag: two commits sharing the tag's short SHA would make it ambiguous. */
  const suffix = randomBytes(20).toString('hex');
  /** A manifest of the test image, built from the commit of its tag. */
  const manifest = (over: Record<string, unknown> = {}) => {
    const gitSha = (img.tag.slice('sha-'.length) + suffix).slice(0, 40);
    return {
      git_sha: gitSha,
      git_sha7: gitSha.slice(0, 7),
      built_at_utc: '2026-01-31T12:00:00Z',
      images: { app: { tag: img.tag, ref: img.ref, digest: img.digest } },
      ...over,
    };
  };
  const zipped = (m: unknown) => zipOf({ 'image-digests.json': JSON.stringify(m, null, 2) + '\n' });

  const deploy = (inputs: Record<string, string | undefined>): Promise<ActionResult> => {
    gh.requests.length = 0;
    return runAction({
      inputs: srv.inputs({ stack, environment: 'staging', image_tag: img.tag, ...inputs }),
      context: ctx,
      env,
    });
  };
  /** host/port: a listener that only counts connections; these runs must fail before reaching it. */
  const deployOffline = (inputs: Record<string, string | undefined>) =>
    deploy({
      ...inputs,
      host: '127.0.0.1',
      port: String(tripwire.port),
      host_key: srv.sshd.hostKeyFingerprint,
    });

  const rest = (r: StandinRequest) => `${r.method} ${r.path}${r.search}`;
  const twirpMethods = () => gh.twirpRequests().map((r) => r.path.split('/').pop());

  /** The run deployed the manifest with this git_sha: outputs, server manifest, live container. */
  function assertDeployed(r: ActionResult, gitSha: string) {
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'success');
    assert.equal(r.outputs.image_digest, img.digest);
    const live = srv.currentManifest(stack)!;
    assert.equal(live.release_id, r.outputs.release_id);
    assert.equal(live.git_sha, gitSha, 'the downloaded manifest is what was deployed');
    assert.equal((JSON.parse(r.outputs.manifest ?? '{}') as { git_sha?: string }).git_sha, gitSha);
  }

  function assertOffline(r: ActionResult) {
    assert.equal(r.code, 1, describeRun(r));
    assert.equal(r.errors.length, 1, describeRun(r));
    assert.ok(!r.groups.some((g) => g.title.startsWith('Connect to')), 'no connection phase');
    assert.equal(tripwire.connections(), 0, 'no connection attempt to the host');
    assert.deepEqual(r.outputs, { status: 'failed' }, 'only status=failed: nothing ran');
  }

  test('by build_run_id: the REST artifact list, the 302 to the signed blob, hash verified, deployed', async () => {
    const m = manifest();
    const bytes = zipped(m);
    gh.addRun({ id: 1001, head_sha: m.git_sha });
    const a = gh.addArtifact({ runId: 1001, name: ARTIFACT, bytes });
    const r = await deploy({ build_run_id: '1001' });
    assertDeployed(r, m.git_sha);
    assert.deepEqual(gh.restRequests().map(rest), [
      `GET /repos/org/app/actions/runs/1001/artifacts?name=${ARTIFACT}`,
      `GET /repos/org/app/actions/artifacts/${a.id}/zip`,
    ]);
    for (const req of gh.restRequests())
      assert.equal(req.authorization, `token ${gh.token}`, 'github_token default');
    assert.equal(gh.blobRequests().length, 1);
    assert.deepEqual(gh.twirpRequests(), [], 'build_run_id does not look at the current run');
    assert.ok(r.lines.includes(`Artifact hash verified: ${sha256Digest(bytes)}`), describeRun(r));
    assert.ok(
      r.lines.some((l) =>
        l.startsWith(
          `Manifest from artifact "${ARTIFACT}" of run 1001 of org/app (input build_run_id): commit ${m.git_sha}`,
        ),
      ),
    );
  });

  test("by tag lookup: newest trusted run of build_workflow at the tag's full commit; the current run is tried first", async () => {
    const m = manifest();
    const older = { ...m, built_at_utc: '2026-01-01T10:00:00Z' };
    // 100 newer successful runs of other commits: GitHub filters them out (?head_sha=).
    for (let i = 0; i < 100; i++)
      gh.addRun({
        id: 3000 + i,
        created_at: `2026-02-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
      });
    gh.addRun({ id: 2001, head_sha: m.git_sha, created_at: '2026-01-01T10:00:00Z' });
    gh.addRun({ id: 2002, head_sha: m.git_sha, created_at: '2026-01-01T11:00:00Z' });
    gh.addRun({ id: 2003, head_sha: m.git_sha, created_at: '2026-01-01T12:00:00Z', conclusion: 'failure' });
    gh.addRun({ id: 2004, head_sha: m.git_sha, created_at: '2026-01-01T13:00:00Z', workflow: 'other.yml' });
    gh.addArtifact({ runId: 2001, name: ARTIFACT, bytes: zipped(older) });
    const wanted = gh.addArtifact({ runId: 2002, name: ARTIFACT, bytes: zipped(m) });
    gh.addArtifact({ runId: 2003, name: ARTIFACT, bytes: zipped(older) });
    gh.addArtifact({ runId: 2004, name: ARTIFACT, bytes: zipped(older) });

    const r = await deploy({});
    assertDeployed(r, m.git_sha);
    assert.deepEqual(twirpMethods(), ['ListArtifacts'], 'the current run was asked first');
    assert.deepEqual((gh.twirpRequests()[0]!.body as { name_filter?: string }).name_filter, ARTIFACT);
    assert.ok(
      r.lines.includes(
        `No artifact "${ARTIFACT}" in the current run ${CURRENT_RUN}; looking for the build run of ${img.tag}`,
      ),
    );
    const runsList = '/repos/org/app/actions/workflows/build_ghcr.yml/runs';
    const reqs = gh.restRequests();
    assert.deepEqual(
      reqs.map((q) => q.path),
      [
        '/repos/org/app',
        `/repos/org/app/commits/${img.tag.slice('sha-'.length)}`,
        runsList,
        '/repos/org/app/actions/runs/2002/artifacts',
        `/repos/org/app/actions/artifacts/${wanted.id}/zip`,
      ],
    );
    const q = new URLSearchParams(reqs[2]!.search);
    assert.deepEqual(
      [q.get('status'), q.get('head_sha'), q.get('per_page'), q.get('page')],
      ['success', m.git_sha, '100', '1'],
    );
    assert.ok(
      r.lines.includes(
        `Build run of ${img.tag}: https://github.com/org/app/actions/runs/2002 (push on main)`,
      ),
      describeRun(r),
    );
  });

  test('same run: the current run holds the artifact; the results service (Twirp) is used, not REST', async () => {
    const m = manifest();
    const bytes = zipped(m);
    const a = gh.addArtifact({ runId: CURRENT_RUN, name: ARTIFACT, bytes });
    const r = await deploy({});
    assertDeployed(r, m.git_sha);
    assert.deepEqual(gh.restRequests(), [], 'no REST call');
    assert.deepEqual(twirpMethods(), ['ListArtifacts', 'ListArtifacts', 'GetSignedArtifactURL']);
    const [byName, byId, signed] = gh.twirpRequests().map((q) => q.body as Record<string, string>);
    const run = gh.runs.find((x) => x.id === CURRENT_RUN)!;
    assert.deepEqual(byName, {
      workflow_run_backend_id: run.backendId,
      workflow_job_run_backend_id: run.jobBackendId,
      name_filter: ARTIFACT,
    });
    assert.equal(byId?.id_filter, String(a.id));
    assert.equal(signed?.name, ARTIFACT);
    for (const q of gh.twirpRequests()) assert.equal(q.authorization, `Bearer ${env.ACTIONS_RUNTIME_TOKEN}`);
    assert.equal(gh.blobRequests().length, 1);
    assert.ok(r.lines.includes(`Artifact hash verified: ${sha256Digest(bytes)}`));
    assert.ok(
      r.lines.some((l) =>
        l.startsWith(
          `Manifest from artifact "${ARTIFACT}" of the current run ${CURRENT_RUN}: commit ${m.git_sha}`,
        ),
      ),
    );
    // Later cases use build_run_id; keep the current run's artifact out of their way anyway.
    gh.artifacts.splice(gh.artifacts.indexOf(a), 1);
  });

  test('a corrupted zip (hash mismatch) is rejected with both hashes, before connecting', async () => {
    const good = zipped(manifest());
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)] = bad[Math.floor(bad.length / 2)]! ^ 0x01;
    gh.addRun({ id: 1002 });
    const a = gh.addArtifact({ runId: 1002, name: ARTIFACT, bytes: bad, digest: sha256Digest(good) });
    const r = await deployOffline({ build_run_id: '1002' });
    assertOffline(r);
    assert.equal(
      r.errors[0],
      `artifact "${ARTIFACT}" (id ${a.id}) of run 1002 of org/app (input build_run_id) is corrupt or was altered: ` +
        `its SHA-256 is ${sha256Digest(bad)} but GitHub recorded ${sha256Digest(good)} at upload; refusing to use it`,
    );
    assert.equal(gh.blobRequests().length, 1, 'it was downloaded');
  });

  test('a schema-invalid manifest is rejected with the JSON path and the rule, before connecting', async () => {
    const { git_sha7: _dropped, ...m } = manifest({
      images: { app: { tag: img.tag, ref: img.ref, digest: 'sha256:1234' } },
    });
    gh.addRun({ id: 1003 });
    gh.addArtifact({ runId: 1003, name: ARTIFACT, bytes: zipped(m) });
    const r = await deployOffline({ build_run_id: '1003' });
    assertOffline(r);
    const lines = r.errors[0]!.split('\n');
    assert.equal(
      lines[0],
      `the digest manifest from artifact "${ARTIFACT}" of run 1003 of org/app (input build_run_id) is invalid:`,
    );
    assert.ok(lines.includes('  - $: missing required field "git_sha7"'), r.errors[0]);
    assert.ok(
      lines.includes('  - $.images.app.digest: must match ^sha256:[0-9a-f]{64}$ (rule: pattern)'),
      r.errors[0],
    );
  });

  test('a missing artifact names the run searched and the actions: read permission, before connecting', async () => {
    gh.addRun({ id: 1004 });
    const r = await deployOffline({ build_run_id: '1004' });
    assertOffline(r);
    assert.equal(
      r.errors[0],
      `artifact "${ARTIFACT}" was not found in run 1004 of org/app (input build_run_id): check that the build uploaded it ` +
        'under that name (input digest_artifact), that it has not expired, and that github_token needs the "actions: read" ' +
        'permission (permissions: actions: read) to read artifacts and runs',
    );
    assert.deepEqual(gh.restRequests().map(rest), [
      `GET /repos/org/app/actions/runs/1004/artifacts?name=${ARTIFACT}`,
    ]);
  });

  test('a token without actions: read (HTTP 403) says so, before connecting', async () => {
    const r = await deployOffline({ build_run_id: '1001', github_token: NO_ACTIONS_READ });
    assertOffline(r);
    assert.match(
      r.errors[0]!,
      /^artifact "image-digests" was not found in run 1001 of org\/app \(input build_run_id\) \(HTTP 403\): .*github_token needs the "actions: read" permission/,
    );
    assert.ok(r.masks.includes(NO_ACTIONS_READ), 'github_token is masked');
  });
});
