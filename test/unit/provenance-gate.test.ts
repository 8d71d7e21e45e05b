// The action's provenance gate over real bundles: require refuses, warn warns, off reads nothing;
// the default mode follows the environment; a missing attestation says how to add one.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkProvenance, type GitHubReads } from '../../src/provenance/gate.js';
import { parseSettings } from '../../src/inputs/settings.js';
import type { DigestManifest } from '../../common/digest-manifest.js';
import { makeTestPki, type Signer, type TestPki } from '../support/sigstore-pki.js';

const D1 = '1'.repeat(64);
const D2 = '2'.repeat(64);
const GOOD: Signer = {
  workflowRepo: 'acme/app',
  workflowFile: 'build_ghcr.yml',
  workflowRef: 'refs/heads/main',
};
const manifest = {
  images: {
    web: { ref: `ghcr.io/acme/web@sha256:${D1}`, digest: `sha256:${D1}` },
    worker: { ref: `ghcr.io/acme/worker@sha256:${D2}`, digest: `sha256:${D2}` },
  },
} as unknown as DigestManifest;

let pki: TestPki;
let rootFile: string;
before(async () => {
  pki = await makeTestPki();
  rootFile = join(mkdtempSync(join(tmpdir(), 'prov-')), 'trusted_root.json');
  writeFileSync(rootFile, JSON.stringify(pki.trustedRoot));
});

const settings = (inputs: Record<string, string>) =>
  parseSettings(
    {
      mode: 'deploy',
      stack: 'app',
      image_tag: 'sha-1',
      host: 'h',
      username: 'u',
      private_key: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----',
      host_key: 'SHA256:' + 'A'.repeat(43),
      trusted_root: rootFile,
      ...inputs,
    },
    { GITHUB_REPOSITORY: 'acme/app' },
  );

function reads(byDigest: Record<string, unknown[]>): GitHubReads & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    defaultBranch: async () => (calls.push('repo'), 'main'),
    attestations: async (d) => (calls.push(d), (byDigest[d] ?? []).map((bundle) => ({ bundle }))),
  };
}

test('the default is require for production and warn for other environments', () => {
  assert.equal(settings({ environment: 'production' }).provenance.mode, 'require');
  assert.equal(settings({ environment: 'staging' }).provenance.mode, 'warn');
  assert.equal(settings({ environment: 'production', provenance: 'off' }).provenance.mode, 'off');
  assert.throws(
    () => settings({ environment: 'staging', provenance: 'maybe' }),
    /provenance: "maybe" is not valid/,
  );
});

test('every digest attested by the build workflow: verified, with signer and bundles recorded', async () => {
  const r = reads({
    [`sha256:${D1}`]: [await pki.bundle({ signer: GOOD, subjects: [D1] })],
    [`sha256:${D2}`]: [await pki.bundle({ signer: GOOD, subjects: [D2] })],
  });
  const rec = await checkProvenance(settings({ environment: 'production' }), manifest, r);
  assert.equal(rec.state, 'verified');
  assert.equal(rec.signer_workflow, 'acme/app/.github/workflows/build_ghcr.yml');
  assert.equal(rec.signer_ref, 'refs/heads/main');
  assert.deepEqual(Object.keys(rec.bundles ?? {}).sort(), [`sha256:${D1}`, `sha256:${D2}`]);
});

test('under require, a digest signed by another workflow stops the run naming digest and signer', async () => {
  const r = reads({
    [`sha256:${D1}`]: [await pki.bundle({ signer: GOOD, subjects: [D1] })],
    [`sha256:${D2}`]: [await pki.bundle({ signer: { ...GOOD, workflowFile: 'evil.yml' }, subjects: [D2] })],
  });
  await assert.rejects(checkProvenance(settings({ environment: 'production' }), manifest, r), (e: Error) => {
    assert.match(e.message, new RegExp(`sha256:${D2}: no attestation verified`));
    assert.match(e.message, /workflows\/evil\.yml@refs\/heads\/main/);
    assert.doesNotMatch(e.message, new RegExp(`sha256:${D1}`));
    return true;
  });
});

test('under warn, the same run goes on and records warned', async () => {
  const r = reads({
    [`sha256:${D1}`]: [await pki.bundle({ signer: GOOD, subjects: [D1] })],
    [`sha256:${D2}`]: [await pki.bundle({ signer: { ...GOOD, workflowRepo: 'fork/app' }, subjects: [D2] })],
  });
  const rec = await checkProvenance(settings({ environment: 'staging' }), manifest, r);
  assert.equal(rec.state, 'warned');
  assert.deepEqual(Object.keys(rec.bundles ?? {}), [`sha256:${D1}`]);
});

test('no attestation: require refuses with how to add one; warn records warned', async () => {
  await assert.rejects(
    checkProvenance(settings({ environment: 'production' }), manifest, reads({})),
    /no provenance attestation found; add one: .*attest: true/,
  );
  const rec = await checkProvenance(settings({ environment: 'staging' }), manifest, reads({}));
  assert.equal(rec.state, 'warned');
});

test('off reads nothing from GitHub', async () => {
  const r = reads({});
  const rec = await checkProvenance(settings({ environment: 'production', provenance: 'off' }), manifest, r);
  assert.deepEqual(rec, { state: 'off', mode: 'off' });
  assert.deepEqual(r.calls, []);
});

test('an unreadable trusted_root file is an error naming the input', async () => {
  await assert.rejects(
    checkProvenance(
      settings({ environment: 'production', trusted_root: '/nonexistent/root.json' }),
      manifest,
      reads({}),
    ),
    /trusted_root: cannot read \/nonexistent\/root\.json/,
  );
});

test('the bundled public-good root rejects a bundle from the test CA', async () => {
  const r = reads({
    [`sha256:${D1}`]: [await pki.bundle({ signer: GOOD, subjects: [D1] })],
    [`sha256:${D2}`]: [await pki.bundle({ signer: GOOD, subjects: [D2] })],
  });
  await assert.rejects(
    checkProvenance(settings({ environment: 'production', trusted_root: '' }), manifest, r),
    /does not verify against the trusted root/,
  );
});

test('break_glass turns a require failure into a warning and records warned', async () => {
  const s = settings({
    environment: 'production',
    break_glass: 'true',
    break_glass_reason: 'registry outage',
  });
  const rec = await checkProvenance(s, manifest, reads({}));
  assert.equal(rec.state, 'warned');
  assert.equal(rec.mode, 'require');
});

test('GitHub unreachable: require fails naming the digest, warn goes on', async () => {
  const down: GitHubReads = {
    defaultBranch: async () => 'main',
    attestations: async () => {
      throw new Error('connect ECONNREFUSED');
    },
  };
  await assert.rejects(
    checkProvenance(settings({ environment: 'production' }), manifest, down),
    new RegExp(`sha256:${D1}: cannot read its attestations from GitHub: connect ECONNREFUSED`),
  );
  assert.equal((await checkProvenance(settings({ environment: 'staging' }), manifest, down)).state, 'warned');
});
