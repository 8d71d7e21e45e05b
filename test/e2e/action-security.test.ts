// Issue 12 items 2 and 7 through the committed dist/index.js, against real sshd/dockerd/registry and
// the local stand-in of GitHub's REST API (test/support/github-standin.ts):
// - the build-run lookup cannot be steered by a fork's pull request listed newest at the same short
//   SHA, nor by pull_request_target, feature-branch or prefix-colliding runs; verify gets the same
//   rules; registry credentials go only to the `registry` input's host;
// - text from the server with lone CRs (a smoke URL carrying `\r::error::...\r::add-mask::...`) never
//   becomes a workflow command in the job log, read the way the runner reads it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGitHubStandin, zipOf, type GitHubStandin, type StandinRun } from '../support/github-standin.js';
import { runnerCommands, runnerLines } from '../support/runner-commands.js';
import { startDeployServer, startTripwire, type DeployServer, type TestImage } from './action-fixture.js';
import {
  defaultContext,
  describeRun,
  runAction,
  type ActionResult,
  type GitHubContext,
} from './action-harness.js';

const CURRENT_RUN = 5353;
const ARTIFACT = 'image-digests';
const FORK = { id: 666, full_name: 'evil/app' };

describe('the action against hostile GitHub runs and hostile server text', () => {
  let srv: DeployServer;
  let gh: GitHubStandin;
  let tripwire: Awaited<ReturnType<typeof startTripwire>>;
  let stack: string;
  let img: TestImage;
  let ctx: GitHubContext;
  let env: NodeJS.ProcessEnv;
  let nextRun = 8000;

  before(async () => {
    [srv, gh, tripwire] = await Promise.all([startDeployServer(), startGitHubStandin(), startTripwire()]);
    stack = (await srv.addStack()).name;
    img = await srv.image();
    ctx = {
      ...defaultContext(),
      runId: String(CURRENT_RUN),
      repository: `${gh.owner}/${gh.repo}`,
      apiUrl: gh.url,
      graphqlUrl: `${gh.url}/graphql`,
      serverUrl: `http://github.localhost:${gh.port}`,
      token: gh.token,
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

  const hex = () => img.tag.slice('sha-'.length);
  /** A fresh commit of the test image's tag (unique per test, so runs of other tests do not match). */
  const commit = () => (hex() + randomBytes(20).toString('hex')).slice(0, 40);
  /** Same 7 hex, another commit: what a fork brute-forces in minutes. */
  const colliding = () => (hex() + randomBytes(20).toString('hex')).slice(0, 40);
  const manifestOf = (gitSha: string, ref = img.ref) =>
    zipOf({
      'image-digests.json':
        JSON.stringify({
          git_sha: gitSha,
          git_sha7: gitSha.slice(0, 7),
          built_at_utc: '2026-01-31T12:00:00Z',
          images: { app: { tag: img.tag, ref, digest: img.digest } },
        }) + '\n',
    });
  /** What an attacker's build uploads: the same tag, pointing the pull at a host of theirs. */
  const evilManifest = (gitSha: string) => manifestOf(gitSha, `127.0.0.1:9/evil/app@${img.digest}`);
  let minute = 0;
  /** A run with its artifact, created after every run before it (the newest so far). */
  const run = (over: Partial<StandinRun>, bytes: Buffer) => {
    const id = nextRun++;
    minute++;
    gh.addRun({
      id,
      created_at: `2026-06-01T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00Z`,
      ...over,
    });
    gh.addArtifact({ runId: id, name: ARTIFACT, bytes });
    return id;
  };

  const act = (inputs: Record<string, string | undefined>): Promise<ActionResult> => {
    gh.requests.length = 0;
    return runAction({
      inputs: srv.inputs({ stack, environment: 'staging', image_tag: img.tag, ...inputs }),
      context: ctx,
      env,
    });
  };
  const offline = (inputs: Record<string, string | undefined>) =>
    act({ ...inputs, host: '127.0.0.1', port: String(tripwire.port), host_key: srv.sshd.hostKeyFingerprint });
  function assertOffline(r: ActionResult) {
    assert.equal(r.code, 1, describeRun(r));
    assert.equal(r.errors.length, 1, describeRun(r));
    assert.equal(tripwire.connections(), 0, 'no connection attempt to the host');
    assert.deepEqual(r.outputs, { status: 'failed' }, 'nothing ran');
  }

  test('a fork pull request listed newest at the same short SHA, and other decoys, cannot choose the deployed digests', async () => {
    const sha = commit();
    const legit = run({ head_sha: sha }, manifestOf(sha));
    const fork = colliding();
    run({ head_sha: sha, head_branch: 'feature/x' }, evilManifest(sha));
    run({ head_sha: sha, event: 'pull_request_target' }, evilManifest(sha));
    run({ head_sha: sha, event: 'pull_request', head_repository: FORK }, evilManifest(sha));
    run({ head_sha: fork, event: 'pull_request', head_repository: FORK }, evilManifest(fork));
    const r = await act({});
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'success');
    assert.equal(srv.currentManifest(stack)!.git_sha, sha, 'the trusted run supplied the digests');
    assert.equal(r.outputs.image_ref, img.ref);
    assert.ok(
      r.lines.includes(
        `Build run of ${img.tag}: https://github.com/org/app/actions/runs/${legit} (push on main)`,
      ),
      describeRun(r),
    );
    assert.ok(
      gh.restRequests().some((q) => q.path === `/repos/org/app/commits/${hex()}`),
      'the short SHA was resolved through the API',
    );
  });

  test('with only decoys, the deploy and verify fail before connecting, naming each skipped run and why', async () => {
    const sha = commit();
    gh.addCommit(sha);
    const fork = colliding();
    const feature = run({ head_sha: sha, head_branch: 'feature/x' }, evilManifest(sha));
    const target = run({ head_sha: sha, event: 'pull_request_target' }, evilManifest(sha));
    const pr = run({ head_sha: sha, event: 'pull_request', head_repository: FORK }, evilManifest(sha));
    run({ head_sha: fork, event: 'pull_request', head_repository: FORK }, evilManifest(fork));
    for (const mode of ['deploy', 'verify']) {
      const r = await offline({ mode, git_sha: sha });
      assertOffline(r);
      const lines = r.errors[0]!.split('\n');
      assert.equal(
        lines[0],
        `no run of workflow "build_ghcr.yml" in org/app can supply the digests of ${img.tag}: none is a successful push/workflow_dispatch/release/schedule run of commit ${sha} in org/app on main or a tag (searched 3 successful runs; skipped:`,
        mode,
      );
      assert.deepEqual(
        lines.slice(1, 4),
        [
          `  - run ${pr} (pull_request from evil/app, ref main): its code came from evil/app, not org/app; it was triggered by pull_request, not push, workflow_dispatch, release, schedule`,
          `  - run ${target} (pull_request_target from org/app, ref main): it was triggered by pull_request_target, not push, workflow_dispatch, release, schedule`,
          `  - run ${feature} (push from org/app, ref feature/x): feature/x is not the default branch main, matches no build_branches pattern and is not a tag at the commit`,
        ],
        mode,
      );
      assert.equal(gh.blobRequests().length, 0, `${mode}: no decoy artifact was downloaded`);
    }
  });

  test('a prefix-colliding commit of this repository makes the short SHA ambiguous: refused; git_sha settles it', async () => {
    const sha = commit();
    const legit = run({ head_sha: sha }, manifestOf(sha));
    const other = colliding();
    run({ head_sha: other }, evilManifest(other)); // a newer push to main whose SHA shares the 7 hex
    const refused = await offline({});
    assertOffline(refused);
    assert.match(
      refused.errors[0]!,
      new RegExp(
        `^cannot resolve commit ${hex()} of image_tag ${img.tag} in org/app \\(HTTP 422: .*ambiguous.*\\); set git_sha to the full commit SHA`,
      ),
    );
    const r = await act({ git_sha: sha });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(srv.currentManifest(stack)!.git_sha, sha);
    assert.ok(
      r.lines.some((l) =>
        l.startsWith(`Build run of ${img.tag}: https://github.com/org/app/actions/runs/${legit} `),
      ),
    );
  });

  test('registry credentials need the registry input, and every deployed image must be hosted on it', async () => {
    const creds = {
      registry_username: srv.registry.user,
      registry_password: srv.registry.password,
      digest_file: img.manifestFile,
    };
    const missing = await offline(creds);
    assertOffline(missing);
    assert.match(missing.errors[0]!, /^registry: required when registry_username\/registry_password are set/);
    const elsewhere = await offline({ ...creds, registry: 'ghcr.io' });
    assertOffline(elsewhere);
    assert.equal(
      elsewhere.errors[0],
      `registry: the credentials are for ghcr.io, but IMAGE_REF=${img.ref} is hosted elsewhere; refusing to deploy. Set registry to the host of the deployed images, or deploy without registry credentials`,
    );
  });

  test('a smoke URL carrying lone CRs cannot forge workflow commands in the job log', async () => {
    const forged = (await srv.addStack()).name;
    const compose = path.join(srv.source, forged, 'docker-compose.yml');
    const text = await readFile(compose, 'utf8');
    const url = 'http://127.0.0.1:${APP_PORT}/health?x\r::error::forged\r::add-mask::x';
    // A JSON string is a YAML double-quoted scalar: "\r" stays a CR in the URL.
    await writeFile(compose, text.replace(/^( {4}- url: ).*$/m, `$1${JSON.stringify(url)}`));
    const r = await runAction({
      inputs: srv.inputs({
        stack: forged,
        environment: 'staging',
        image_tag: img.tag,
        digest_file: img.manifestFile,
      }),
      context: ctx,
    });
    assert.equal(r.code, 0, describeRun(r));
    const commands = runnerCommands(r.stdout);
    assert.deepEqual(
      commands.filter(
        // The action masks its secrets itself (random base64 lines of the key): only `x` is forged.
        (c) => c.data.startsWith('forged') || (c.name === 'add-mask' && /^x\b/.test(c.data)),
      ),
      [],
      'no forged command',
    );
    assert.ok(
      runnerLines(r.stdout).some((l) => l === '| ::error::forged'),
      'the smoke URL was printed, its forged command made visible and inert',
    );
    assert.deepEqual(
      commands.map((c) => c.line),
      r.commands.map((c) => r.lines[c.index]),
      'the runner, splitting at CR too, sees exactly the commands the action issued',
    );
  });
});
