// The inputs of mode manifest (the build side): the digest lines, the commit, and the upload.
import { anyString, boolean, integer, type Problems, type Values } from './fields.js';

export const MANIFEST_FIELDS = {
  digests: anyString,
  upload_artifact: boolean('upload_artifact'),
  retention_days: integer('retention_days', 1, 90, ' (days)'),
  attest: boolean('attest'),
};

/** manifest mode: the build side's `image-name=repo@sha256:...` lines and where they go. */
export interface ManifestInputs {
  digests: string;
  gitSha: string;
  upload: boolean;
  retentionDays?: number;
  /** Sign a SLSA build provenance attestation per image digest (src/provenance/attest.ts). */
  attest: boolean;
}

/** The manifest-mode settings; the commit is git_sha, else GITHUB_SHA. */
export function manifestInputs(
  v: Values<typeof MANIFEST_FIELDS>,
  gitSha: string,
  gitShaFailed: boolean,
  p: Problems,
): ManifestInputs {
  if (!/^[0-9a-f]{40}$/.test(gitSha) && !gitShaFailed)
    p.add('git_sha: required in manifest mode when GITHUB_SHA is not set (a full 40-hex commit SHA)');
  return {
    digests: v.digests ?? '',
    gitSha,
    upload: v.upload_artifact ?? true,
    retentionDays: v.retention_days,
    attest: v.attest ?? false,
  };
}
