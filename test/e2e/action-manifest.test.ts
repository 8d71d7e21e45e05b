// Issue 5, build side and acceptance 3: dist/index.js in `mode: manifest` builds image-digests.json
// from `digests` lines and uploads it with the real @actions/artifact upload code (CreateArtifact,
// the blob upload through @azure/storage-blob's BlockBlobClient, FinalizeArtifact) to the local
// stand-in of the Actions results service and blob storage (test/support/github-standin.ts),
// which stores it so that its download endpoints serve it afterwards.
//
// The round trip: a build job uploads the manifest and a deploy job of the same run (another job
// token, same run) downloads it and deploys it for real over sshd, so the build side and the
// deploy side agree on the format, the hash and the content. A bad line fails before any upload;
// upload_artifact: false only writes the file.
import AdmZip from 'adm-zip';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseDigestManifest, type DigestManifest } from '../../common/digest-manifest.js';
import {
  sha256Digest,
  startGitHubStandin,
  type GitHubStandin,
  type StandinArtifact,
} from '../support/github-standin.js';
import { startDeployServer, type DeployServer, type TestImage } from './action-fixture.js';
import {
  defaultContext,
  describeRun,
  runAction,
  type ActionResult,
  type GitHubContext,
} from './action-harness.js';

const ARTIFACT = 'image-digests';
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const TAG = 'sha-abc1234';
const GIT_SHA = 'abc1234' + 'e'.repeat(33);
const LINES = `seisei-odoo18=ghcr.io/org/seisei-odoo18@${D1}\n\n# the OCR worker\nseisei-ocr=ghcr.io/org/seisei-ocr@${D2}\n`;

describe('mode manifest uploads image-digests.json (real @actions/artifact upload, results service stand-in)', () => {
  let srv: DeployServer;
  let gh: GitHubStandin;
  let stack: string;
  let img: TestImage;
  let base: GitHubContext;

  before(async () => {
    [srv, gh] = await Promise.all([startDeployServer(), startGitHubStandin()]);
    stack = (await srv.addStack()).name;
    img = await srv.image();
    base = {
      ...defaultContext(),
      repository: `${gh.owner}/${gh.repo}`,
      apiUrl: gh.url,
      graphqlUrl: `${gh.url}/graphql`,
      // @actions/artifact refuses GHES hosts; *.localhost is accepted like github.com.
      serverUrl: `http://github.localhost:${gh.port}`,
      token: gh.token,
    };
  });
  after(async () => {
    await gh?.close();
    await srv?.close();
  });

  /** A step of job `job` in run `runId`: the runner's ACTIONS_* variables point at the stand-in. */
  const step = (runId: number, job: string, inputs: Record<string, string | undefined>) =>
    runAction({
      inputs,
      context: { ...base, runId: String(runId), job, action: job },
      env: {
        ACTIONS_RUNTIME_TOKEN: gh.runtimeToken(runId, job),
        ACTIONS_RESULTS_URL: `${gh.url}/`,
        ACTIONS_RUNTIME_URL: `${gh.url}/runtime/`,
      },
    });
  const manifestStep = (runId: number, inputs: Record<string, string | undefined>) =>
    step(runId, 'build', { mode: 'manifest', ...inputs });

  const twirpMethods = () => gh.twirpRequests().map((r) => r.path.split('/').pop());
  const artifactOf = (runId: number) => gh.artifacts.find((a) => a.runId === runId && a.name === ARTIFACT);
  /** The entries of the uploaded zip, by name. */
  const entries = (a: StandinArtifact) =>
    Object.fromEntries(
      new AdmZip(a.bytes).getEntries().map((e) => [e.entryName, e.getData().toString('utf8')]),
    );

  function assertSucceeded(r: ActionResult): DigestManifest {
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'success', describeRun(r));
    assert.deepEqual(r.errors, [], describeRun(r));
    return JSON.parse(r.outputs.manifest ?? 'null') as DigestManifest;
  }

  test('upload: CreateArtifact, Put Block + Put Block List, FinalizeArtifact with the hash; the zip holds the manifest output, which passes the deploy side validation', async () => {
    const RUN = 4301;
    gh.requests.length = 0;
    const r = await manifestStep(RUN, { image_tag: TAG, digests: LINES, git_sha: GIT_SHA });
    const manifest = assertSucceeded(r);

    // What the upload left in the stand-in: one finalized artifact of this run, nothing pending.
    const a = artifactOf(RUN);
    assert.ok(a, `no artifact ${ARTIFACT} in run ${RUN}: ${describeRun(r)}`);
    assert.deepEqual(gh.pendingUploads(), []);
    assert.equal(r.outputs.artifact_id, String(a.id));

    // The protocol: Twirp create, blob upload at the signed URL, Twirp finalize.
    assert.deepEqual(twirpMethods(), ['CreateArtifact', 'FinalizeArtifact']);
    const run = gh.runs.find((x) => x.id === RUN)!;
    const [create, finalize] = gh.twirpRequests().map((q) => q.body as Record<string, unknown>);
    for (const q of gh.twirpRequests())
      assert.equal(q.authorization, `Bearer ${r.env.ACTIONS_RUNTIME_TOKEN}`);
    assert.equal(create!.workflow_run_backend_id, run.backendId);
    assert.equal(create!.workflow_job_run_backend_id, a.jobBackendId);
    assert.notEqual(a.jobBackendId, run.jobBackendId, 'uploaded by the build job');
    assert.equal(create!.name, ARTIFACT);
    assert.equal(create!.mime_type, 'application/zip');
    assert.equal(create!.expires_at, undefined, 'no retention_days: the repository setting applies');
    const puts = gh.blobRequests().filter((q) => q.method === 'PUT');
    assert.deepEqual(
      puts.map((q) => new URLSearchParams(q.search).get('comp')),
      ['block', 'blocklist'],
      'BlockBlobClient.uploadStream stages the (small) zip as one block, then commits it',
    );
    assert.equal(puts[0]!.size, a.bytes.length);
    assert.match(String(puts[1]!.body), /<BlockList><Latest>[^<]+<\/Latest><\/BlockList>/);
    assert.deepEqual(
      { type: a.upload?.blobType, blocks: a.upload?.blocks, contentType: a.upload?.blobContentType },
      { type: 'blocks', blocks: 1, contentType: 'application/zip' },
    );
    assert.equal(gh.blobRequests().filter((q) => q.method === 'GET').length, 0);
    assert.deepEqual(gh.restRequests(), [], 'no REST call: the upload is the results service only');

    // FinalizeArtifact reported the size and the SHA-256 of exactly the bytes received.
    assert.equal(finalize!.size, String(a.bytes.length));
    assert.equal(finalize!.hash, sha256Digest(a.bytes));
    assert.equal(a.digest, sha256Digest(a.bytes));
    assert.ok(
      r.lines.includes(
        `uploaded artifact ${ARTIFACT} (id ${a.id}, ${a.bytes.length} bytes, ${sha256Digest(a.bytes)})`,
      ),
      describeRun(r),
    );

    // The zip: image-digests.json alone, equal to the `manifest` output and to manifest_file.
    const files = entries(a);
    assert.deepEqual(Object.keys(files), ['image-digests.json']);
    const text = files['image-digests.json']!;
    assert.deepEqual(JSON.parse(text), manifest);
    assert.equal(text, readFileSync(r.outputs.manifest_file!, 'utf8'));

    // The deploy side's validation accepts it as is, for this tag.
    assert.deepEqual(parseDigestManifest(text, TAG), manifest);
    assert.match(manifest.built_at_utc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(
      { ...manifest, built_at_utc: '' },
      {
        git_sha: GIT_SHA,
        git_sha7: GIT_SHA.slice(0, 7),
        built_at_utc: '',
        images: {
          'seisei-odoo18': { tag: TAG, ref: `ghcr.io/org/seisei-odoo18@${D1}`, digest: D1 },
          'seisei-ocr': { tag: TAG, ref: `ghcr.io/org/seisei-ocr@${D2}`, digest: D2 },
        },
      },
    );
    assert.ok(r.summary.includes(`Digest manifest ${TAG}`), r.summary);
  });

  test('round trip: the deploy job of the same run downloads what the build job uploaded and deploys it over sshd', async () => {
    const RUN = 4302;
    const gitSha = img.manifest.git_sha;
    gh.requests.length = 0;
    const built = await manifestStep(RUN, {
      image_tag: img.tag,
      digests: `app=${img.ref}`,
      git_sha: gitSha,
      retention_days: '7',
    });
    const manifest = assertSucceeded(built);
    const a = artifactOf(RUN)!;
    assert.equal(built.outputs.artifact_id, String(a.id));
    const expires = (gh.twirpRequests()[0]!.body as { expires_at?: string }).expires_at;
    const days = (Date.parse(expires ?? '') - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days <= 7, `retention_days 7 -> expires_at ${expires}`);

    gh.requests.length = 0;
    const deployed = await step(
      RUN,
      'deploy',
      srv.inputs({ stack, environment: 'staging', image_tag: img.tag }),
    );
    assert.equal(deployed.code, 0, describeRun(deployed));
    assert.equal(deployed.outputs.status, 'success');
    assert.equal(deployed.outputs.image_digest, img.digest);
    // Found in the current run through the results service, verified against the recorded hash.
    assert.deepEqual(twirpMethods(), ['ListArtifacts', 'ListArtifacts', 'GetSignedArtifactURL']);
    assert.deepEqual(gh.restRequests(), []);
    assert.ok(deployed.lines.includes(`Artifact hash verified: ${a.digest}`), describeRun(deployed));
    assert.ok(
      deployed.lines.some((l) =>
        l.startsWith(`Manifest from artifact "${ARTIFACT}" of the current run ${RUN}: commit ${gitSha}`),
      ),
      describeRun(deployed),
    );
    // What is live is what the build side wrote.
    assert.deepEqual(JSON.parse(deployed.outputs.manifest ?? '{}').git_sha, gitSha);
    const live = srv.currentManifest(stack)!;
    assert.equal(live.release_id, deployed.outputs.release_id);
    assert.equal(live.git_sha, gitSha);
    assert.equal(live.git_sha, manifest.git_sha);
  });

  test('a bad digests line is rejected naming it; nothing is uploaded', async () => {
    const RUN = 4303;
    gh.requests.length = 0;
    const r = await manifestStep(RUN, {
      image_tag: TAG,
      git_sha: GIT_SHA,
      digests: `app=ghcr.io/org/app@${D1}\nbroken\n`,
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.equal(r.errors.length, 1, describeRun(r));
    assert.match(
      r.errors[0]!,
      /^digests: line 2 "broken" is not valid; expected image-name=repo@sha256:<64 hex>/,
    );
    assert.deepEqual(r.outputs, { status: 'failed' });
    assert.deepEqual(gh.requests, [], 'no call to the results service or blob storage');
    assert.equal(artifactOf(RUN), undefined);
    assert.deepEqual(gh.pendingUploads(), []);
  });

  test('upload_artifact false: no upload call; manifest_file holds the manifest output', async () => {
    const RUN = 4304;
    gh.requests.length = 0;
    const r = await manifestStep(RUN, {
      image_tag: TAG,
      digests: LINES,
      git_sha: GIT_SHA,
      upload_artifact: 'false',
    });
    const manifest = assertSucceeded(r);
    assert.deepEqual(gh.requests, [], 'no call to the stand-in at all');
    assert.equal(r.outputs.artifact_id, undefined);
    const file = r.outputs.manifest_file!;
    assert.equal(path.basename(file), 'image-digests.json');
    assert.ok(file.startsWith(r.env.RUNNER_TEMP! + path.sep), `${file} is under RUNNER_TEMP`);
    assert.ok(existsSync(file));
    const text = readFileSync(file, 'utf8');
    assert.deepEqual(JSON.parse(text), manifest);
    assert.deepEqual(parseDigestManifest(text, TAG), manifest);
  });
});
