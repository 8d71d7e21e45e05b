// The build side of the provenance gate (mode manifest, attest: true): one signed SLSA build
// provenance attestation per image digest with @actions/attest (Sigstore via the job's OIDC token,
// stored with GitHub's attestations API). Returns where each attestation is, by image name.
import * as core from '@actions/core';
import type { DigestManifest } from '../../common/digest-manifest.js';

export async function attestImages(manifest: DigestManifest, token: string): Promise<Record<string, string>> {
  if (!token)
    throw new Error(
      'attest: github_token is empty; the attestations API needs a token with attestations: write',
    );
  const { attestProvenance } = await import('@actions/attest');
  const server = process.env.GITHUB_SERVER_URL || 'https://github.com';
  const repo = process.env.GITHUB_REPOSITORY ?? '';
  const refs: Record<string, string> = {};
  for (const [name, img] of Object.entries(manifest.images)) {
    const subject = {
      name: img.ref.slice(0, img.ref.lastIndexOf('@')),
      digest: { sha256: img.digest.slice(7) },
    };
    let att;
    try {
      att = await attestProvenance({ subjects: [subject], token });
    } catch (e) {
      throw new Error(
        `attest: could not attest ${name} (${img.digest}): ${e instanceof Error ? e.message : String(e)}; the job needs permissions id-token: write and attestations: write`,
      );
    }
    refs[name] = att.attestationID
      ? `${server}/${repo}/attestations/${att.attestationID}`
      : `${img.digest} (attestation not stored)`;
    core.info(`attested ${name} ${img.digest}: ${refs[name]}`);
  }
  return refs;
}
