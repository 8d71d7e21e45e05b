// The provenance check with real cryptography: bundles signed in the test by a throwaway CA and
// timestamp authority, verified against a trusted root that names them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProvenanceError,
  parseTrustedRoots,
  refMatcher,
  verifyDigest,
  type ProvenancePolicy,
} from '../../src/provenance/verify.js';
import { makeTestPki, type Signer, type TestPki } from '../support/sigstore-pki.js';

const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);
const GOOD: Signer = {
  workflowRepo: 'acme/app',
  workflowFile: 'build_ghcr.yml',
  workflowRef: 'refs/heads/main',
};
const policy: ProvenancePolicy = {
  serverUrl: 'https://github.com',
  owner: 'acme',
  repo: 'app',
  workflow: 'build_ghcr.yml',
  ...refMatcher('main'),
};

let pki: TestPki;
let roots: ReturnType<typeof parseTrustedRoots>;
before(async () => {
  pki = await makeTestPki();
  roots = parseTrustedRoots(JSON.stringify(pki.trustedRoot));
});

const rejection = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ProvenanceError, String(e));
    return e.message;
  }
  assert.fail('expected a ProvenanceError');
};

test('a bundle signed by the build workflow on the default branch verifies and names the signer', async () => {
  const bundle = await pki.bundle({ signer: GOOD, subjects: [D1] });
  const v = verifyDigest(`sha256:${D1}`, [{ bundle, bundle_url: 'https://example.test/b1' }], roots, policy);
  assert.deepEqual(v, {
    digest: `sha256:${D1}`,
    signer_workflow: 'acme/app/.github/workflows/build_ghcr.yml',
    signer_ref: 'refs/heads/main',
    bundle: 'https://example.test/b1',
  });
});

test('a bundle from another workflow of the repository is refused, naming the workflow', async () => {
  const bundle = await pki.bundle({ signer: { ...GOOD, workflowFile: 'other.yml' }, subjects: [D1] });
  const msg = rejection(() => verifyDigest(`sha256:${D1}`, [{ bundle }], roots, policy));
  assert.match(msg, new RegExp(`sha256:${D1}`));
  assert.match(
    msg,
    /signed by another workflow: https:\/\/github\.com\/acme\/app\/\.github\/workflows\/other\.yml@refs\/heads\/main/,
  );
});

test('a bundle from another repository is refused, naming the repository', async () => {
  const bundle = await pki.bundle({ signer: { ...GOOD, workflowRepo: 'evil/app' }, subjects: [D1] });
  const msg = rejection(() => verifyDigest(`sha256:${D1}`, [{ bundle }], roots, policy));
  assert.match(msg, /built in another repository: https:\/\/github\.com\/evil\/app/);
});

test("a bundle from a fork's pull request run is refused, naming the ref", async () => {
  const bundle = await pki.bundle({ signer: { ...GOOD, workflowRef: 'refs/pull/7/merge' }, subjects: [D1] });
  const msg = rejection(() => verifyDigest(`sha256:${D1}`, [{ bundle }], roots, policy));
  assert.match(msg, /signed on ref refs\/pull\/7\/merge/);
});

test('a ref matching the allowed pattern verifies; the default branch still does', async () => {
  const tags = { ...policy, ...refMatcher('main', 'refs/tags/v*') };
  const tagged = await pki.bundle({ signer: { ...GOOD, workflowRef: 'refs/tags/v1.2' }, subjects: [D1] });
  assert.equal(verifyDigest(D1, [{ bundle: tagged }], roots, tags).signer_ref, 'refs/tags/v1.2');
  const branch = await pki.bundle({ signer: { ...GOOD, workflowRef: 'refs/heads/feature' }, subjects: [D1] });
  assert.match(
    rejection(() => verifyDigest(D1, [{ bundle: branch }], roots, tags)),
    /refs\/heads\/feature/,
  );
});

test('a certificate from another OIDC issuer is refused', async () => {
  const bundle = await pki.bundle({
    signer: { ...GOOD, issuer: 'https://accounts.example.com' },
    subjects: [D1],
  });
  assert.match(
    rejection(() => verifyDigest(D1, [{ bundle }], roots, policy)),
    /issuer https:\/\/accounts\.example\.com/,
  );
});

test('a bundle for another digest is refused, naming both digests', async () => {
  const bundle = await pki.bundle({ signer: GOOD, subjects: [D2] });
  const msg = rejection(() => verifyDigest(`sha256:${D1}`, [{ bundle }], roots, policy));
  assert.match(msg, new RegExp(`^sha256:${D1}: no attestation verified`));
  assert.match(msg, new RegExp(`another digest: sha256:${D2}`));
});

test('a tampered bundle (statement changed after signing) is refused', async () => {
  const bundle = (await pki.bundle({ signer: GOOD, subjects: [D2] })) as {
    dsseEnvelope: { payload: string };
  };
  const st = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
  st.subject[0].digest.sha256 = D1;
  bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
  assert.match(
    rejection(() => verifyDigest(D1, [{ bundle }], roots, policy)),
    /signature verification failed/,
  );
});

test('a certificate that expired before its timestamp is refused', async () => {
  const bundle = await pki.bundle({ signer: GOOD, subjects: [D1], certAt: new Date(Date.now() - 3_600_000) });
  assert.match(
    rejection(() => verifyDigest(D1, [{ bundle }], roots, policy)),
    /does not verify against the trusted root: Failed to verify certificate chain/,
  );
});

test('a certificate from a CA the trusted root does not name is refused', async () => {
  const bundle = await pki.bundle({ signer: GOOD, subjects: [D1], rogue: true });
  assert.match(
    rejection(() => verifyDigest(D1, [{ bundle }], roots, policy)),
    /does not verify against the trusted root: Failed to verify certificate chain/,
  );
});

test('another predicate type is refused', async () => {
  const bundle = await pki.bundle({
    signer: GOOD,
    subjects: [D1],
    predicateType: 'https://example.test/sbom',
  });
  assert.match(
    rejection(() => verifyDigest(D1, [{ bundle }], roots, policy)),
    /not SLSA provenance v1/,
  );
});

test('no attestation is its own failure; one good bundle among bad ones verifies', async () => {
  const none = (() => {
    try {
      verifyDigest(D1, [], roots, policy);
    } catch (e) {
      return e as ProvenanceError;
    }
  })();
  assert.equal(none?.kind, 'missing');
  const bad = await pki.bundle({ signer: { ...GOOD, workflowFile: 'x.yml' }, subjects: [D1] });
  const good = await pki.bundle({ signer: GOOD, subjects: [D1] });
  assert.equal(
    verifyDigest(D1, [{ bundle: bad }, { bundle: good }], roots, policy).signer_ref,
    'refs/heads/main',
  );
});

test('trusted roots read from one JSON document or from JSON lines', () => {
  const one = JSON.stringify(pki.trustedRoot);
  assert.equal(parseTrustedRoots(one).length, 1);
  assert.equal(parseTrustedRoots(`${one}\n${one}\n`).length, 2);
});

test('a bundle_url that is not a plain URL is neither printed nor recorded; the bundle hash stands in', async () => {
  const bundle = await pki.bundle({ signer: GOOD, subjects: [D1] });
  const hostile = 'https://x.test/a\n::add-mask::secret';
  const v = verifyDigest(D1, [{ bundle, bundle_url: hostile }], roots, policy);
  assert.match(v.bundle, /^sha256:[0-9a-f]{64}$/);
  const bad = await pki.bundle({ signer: { ...GOOD, workflowFile: 'x.yml' }, subjects: [D1] });
  assert.doesNotMatch(
    rejection(() => verifyDigest(D1, [{ bundle: bad, bundle_url: hostile }], roots, policy)),
    /::/,
  );
});
