// Registry credentials go only to the `registry` input's host, and the images deployed with them
// must come from that host: a digest manifest cannot choose where the password is sent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DigestManifest } from '../../common/digest-manifest.js';
import { checkImageHosts, registryOf } from '../../src/modes/request.js';

const digest = `sha256:${'a'.repeat(64)}`;
const manifest = (refs: Record<string, string>): DigestManifest =>
  ({
    git_sha: 'a'.repeat(40),
    git_sha7: 'aaaaaaa',
    built_at_utc: '2026-01-31T12:00:00Z',
    images: Object.fromEntries(
      Object.entries(refs).map(([name, repo]) => [
        name,
        { tag: 'sha-aaaaaaa', ref: `${repo}@${digest}`, digest },
      ]),
    ),
  }) as DigestManifest;

describe('registry credentials and image hosts', () => {
  it('names the registry of an image reference (docker.io without a host)', () => {
    assert.equal(registryOf(`ghcr.io/org/app@${digest}`), 'ghcr.io');
    assert.equal(registryOf(`127.0.0.1:5000/app@${digest}`), '127.0.0.1:5000');
    assert.equal(registryOf(`library/postgres@${digest}`), 'docker.io');
  });

  it('accepts images hosted on the registry the credentials are for (Docker Hub by any of its names)', () => {
    checkImageHosts(manifest({ app: 'ghcr.io/org/app' }), undefined, 'ghcr.io');
    checkImageHosts(manifest({ app: 'GHCR.io/org/app' }), undefined, 'ghcr.io');
    checkImageHosts(manifest({ app: 'org/app' }), undefined, 'index.docker.io');
  });

  it('refuses a manifest whose deployed image is hosted elsewhere, naming it', () => {
    assert.throws(
      () => checkImageHosts(manifest({ app: 'evil.example.com/org/app' }), undefined, 'ghcr.io'),
      new RegExp(
        `^RequestError: registry: the credentials are for ghcr\\.io, but IMAGE_REF=evil\\.example\\.com/org/app@${digest} is hosted elsewhere; refusing to deploy`,
      ),
    );
    // Only the deployed images count: an unmapped image of the manifest is not pulled.
    const two = manifest({ app: 'ghcr.io/org/app', other: 'quay.io/org/other' });
    checkImageHosts(two, { IMAGE_REF: 'app' }, 'ghcr.io');
    assert.throws(
      () => checkImageHosts(two, { IMAGE_REF: 'app', OTHER_REF: 'other' }, 'ghcr.io'),
      /but OTHER_REF=quay\.io\/org\/other@sha256:a+ is hosted elsewhere/,
    );
  });
});
