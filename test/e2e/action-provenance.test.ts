// Issue 13, acceptance 1, 2, 4, 5: the provenance gate through the committed dist/index.js
// (action-harness.ts), against the real sshd/dockerd/registry of action-fixture.ts. GitHub's REST
// API is the GitHub stand-in (attestations endpoints); the build side signs with the real
// @actions/attest through local Fulcio/TSA/OIDC stand-ins (sigstore-standin.ts); the deploy side
// verifies against a trusted-root file made from the same test CA and TSA.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';
import { makeTestPki, type TestPki } from '../support/sigstore-pki.js';
import { startSigstoreStandin, type SigstoreStandin } from '../support/sigstore-standin.js';
import { startDeployServer, type DeployServer, type TestImage } from './action-fixture.js';
import { defaultContext, describeRun, runAction, type GitHubContext } from './action-harness.js';

const WORKFLOW = 'build_ghcr.yml';

describe('the provenance gate (real Sigstore signing and verification, GitHub stand-ins)', () => {
  let srv: DeployServer;
  let gh: GitHubStandin;
  let pki: TestPki;
  let sig: SigstoreStandin;
  let ctx: GitHubContext;
  let rootFile: string;
  let staging: string;
  let prod: string;

  before(async () => {
    pki = await makeTestPki();
    [srv, gh] = await Promise.all([startDeployServer(), startGitHubStandin()]);
    sig = await startSigstoreStandin(pki, {
      repository: `${gh.owner}/${gh.repo}`,
      workflowFile: WORKFLOW,
      ref: 'refs/heads/main',
    });
    staging = (await srv.addStack()).name;
    prod = (await srv.addStack()).name;
    rootFile = path.join(srv.tmp, 'trusted_root.json');
    writeFileSync(rootFile, JSON.stringify(pki.trustedRoot));
    ctx = {
      ...defaultContext(),
      repository: `${gh.owner}/${gh.repo}`,
      apiUrl: gh.url,
      graphqlUrl: `${gh.url}/graphql`,
      token: gh.token,
    };
  });
  after(async () => {
    await sig?.close();
    await gh?.close();
    await srv?.close();
  });

  const run = (inputs: Record<string, string | undefined>) =>
    runAction({ inputs: srv.inputs({ trusted_root: rootFile, ...inputs }), context: ctx });
  const deploy = (stack: string, img: TestImage, over: Record<string, string | undefined> = {}) =>
    run({ stack, environment: 'staging', image_tag: img.tag, digest_file: img.manifestFile, ...over });
  /** Stores a bundle for the image's digest, signed in the test by `workflow`. */
  const attestAs = async (img: TestImage, workflowFile: string) =>
    gh.addAttestation(
      img.digest,
      await pki.bundle({
        signer: { workflowRepo: `${gh.owner}/${gh.repo}`, workflowFile, workflowRef: 'refs/heads/main' },
        subjects: [img.digest.slice('sha256:'.length)],
      }),
    );

  test('attested by the build workflow with attest: true: deploys under require; manifest and history record the signer', async () => {
    const img = await srv.image();
    const built = await runAction({
      inputs: {
        mode: 'manifest',
        image_tag: img.tag,
        digests: `app=${img.ref}`,
        git_sha: img.manifest.git_sha,
        upload_artifact: 'false',
        attest: 'true',
      },
      context: ctx,
      env: sig.env,
    });
    assert.equal(built.code, 0, describeRun(built));
    assert.deepEqual(sig.refused, [], 'nothing left loopback');
    assert.ok(sig.requests.includes('POST fulcio.githubapp.com/api/v2/signingCert'), sig.requests.join('\n'));
    assert.ok(
      sig.requests.includes('POST timestamp.githubapp.com/api/v1/timestamp'),
      sig.requests.join('\n'),
    );
    assert.equal(
      gh.attestations.get(img.digest)?.length,
      1,
      'the bundle was stored with the attestations API',
    );
    const manifestFile = built.outputs.manifest_file!;
    const written = JSON.parse(readFileSync(manifestFile, 'utf8'));
    assert.match(
      written.images.app.attestation,
      new RegExp(`^https://github\\.com/${ctx.repository}/attestations/\\d+$`),
    );

    const r = await run({
      stack: staging,
      environment: 'staging',
      image_tag: img.tag,
      digest_file: manifestFile,
      provenance: 'require',
    });
    assert.equal(r.code, 0, describeRun(r));
    const expected = {
      state: 'verified',
      mode: 'require',
      signer_workflow: `${ctx.repository}/.github/workflows/${WORKFLOW}`,
      signer_ref: 'refs/heads/main',
    };
    const current = srv.currentManifest(staging)!;
    const prov = current.provenance as Record<string, unknown>;
    assert.deepEqual({ ...prov, bundles: undefined }, { ...expected, bundles: undefined });
    assert.deepEqual(Object.keys(prov.bundles as object), [img.digest]);
    assert.deepEqual((srv.history(staging).at(-1) as Record<string, unknown>).provenance, prov);
  });

  test('signed by another workflow: refused under require before connecting, naming digest and signer', async () => {
    const img = await srv.image();
    await attestAs(img, 'release.yml');
    const before = await srv.snapshot(staging);
    const r = await deploy(staging, img, { provenance: 'require' });
    assert.notEqual(r.code, 0, describeRun(r));
    const err = r.errors.join('\n');
    assert.match(err, new RegExp(`${img.digest}: no attestation verified`));
    assert.match(
      err,
      /signed by another workflow: https:\/\/github\.com\/org\/app\/\.github\/workflows\/release\.yml@refs\/heads\/main/,
    );
    assert.deepEqual(await srv.snapshot(staging), before, 'nothing changed on the server');
    assert.ok(!r.visibleLines.some((l) => l.includes('::group::Connect to')), 'it never connected');
  });

  test('no attestation: refused under require with how to add one; deploys under warn and records warned', async () => {
    const img = await srv.image();
    const refused = await deploy(staging, img, { provenance: 'require' });
    assert.notEqual(refused.code, 0, describeRun(refused));
    assert.match(
      refused.errors.join('\n'),
      new RegExp(`${img.digest}: no provenance attestation found; add one: .*attest: true`),
    );
    const warned = await deploy(staging, img, { provenance: 'warn' });
    assert.equal(warned.code, 0, describeRun(warned));
    assert.ok(
      warned.warnings.some((w) => w.includes(`${img.digest}: no provenance attestation found`)),
      describeRun(warned),
    );
    assert.equal((srv.currentManifest(staging)!.provenance as { state: string }).state, 'warned');
  });

  test('production with a marker made for unattested images is refused under require; break-glass deploys and records it', async () => {
    const img = await srv.image();
    // Verified on staging while the image had no attestation: the marker says so.
    const verified = await run({
      mode: 'verify',
      image_tag: img.tag,
      digest_file: img.manifestFile,
      provenance: 'warn',
    });
    assert.equal(verified.code, 0, describeRun(verified));
    const marker = JSON.parse(readFileSync(path.join(srv.root, 'releases', 'verified', img.tag), 'utf8'));
    assert.equal(marker.provenance.state, 'warned');
    await attestAs(img, WORKFLOW);
    // provenance not given: production defaults to require.
    const refused = await deploy(prod, img, { environment: 'production', provenance: undefined });
    assert.notEqual(refused.code, 0, describeRun(refused));
    assert.match(
      refused.errors.join('\n'),
      /Version not verified with provenance: .* is a marker whose provenance was warned/,
    );
    assert.equal(srv.currentManifest(prod), undefined);

    const reason = 'the marker predates the attestation; checked by hand';
    const forced = await deploy(prod, img, {
      environment: 'production',
      provenance: undefined,
      break_glass: 'true',
      break_glass_reason: reason,
    });
    assert.equal(forced.code, 0, describeRun(forced));
    const m = srv.currentManifest(prod)!;
    assert.deepEqual([m.break_glass, m.break_glass_reason, m.gate], [true, reason, 'break-glass']);
    assert.equal((m.provenance as { state: string }).state, 'verified');
    const h = srv.history(prod).at(-1) as Record<string, unknown>;
    assert.deepEqual([h.break_glass, h.break_glass_reason], [true, reason]);
  });
});
