// The provenance gate of the action (docs/design.md, provenance): before connecting, fetch each
// image digest's attestations from GitHub's API and verify them (./verify.ts); under `require` any
// digest that fails stops the run, under `warn` it is a warning. Imported only when provenance is
// not `off`, so the Sigstore code loads only then.
import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import seeds from '@sigstore/tuf/seeds.json';
import type { ProvenanceRecord } from '../../common/request.js';
import type { DigestManifest } from '../../common/digest-manifest.js';
import type { Settings } from '../inputs/settings.js';
import {
  ProvenanceError,
  parseTrustedRoots,
  refMatcher,
  verifyDigest,
  type Attestation,
  type ProvenancePolicy,
  type Verified,
} from './verify.js';

/** Reads what GitHub knows: the repository's default branch and a digest's attestations. */
export interface GitHubReads {
  defaultBranch(): Promise<string>;
  /** [] when GitHub has none for the digest. */
  attestations(digest: string): Promise<Attestation[]>;
}

export function githubReads(token: string, owner: string, repo: string): GitHubReads {
  let octokit: Awaited<ReturnType<typeof load>> | undefined;
  const load = async () => (await import('@actions/github')).getOctokit(token);
  const client = async () => (octokit ??= await load());
  return {
    defaultBranch: async () => {
      const res = await (await client()).request('GET /repos/{owner}/{repo}', { owner, repo });
      return res.data.default_branch;
    },
    attestations: async (digest) => {
      try {
        const res = await (
          await client()
        ).request('GET /repos/{owner}/{repo}/attestations/{subject_digest}', {
          owner,
          repo,
          subject_digest: digest,
          per_page: 100,
        });
        return (res.data.attestations ?? []) as Attestation[];
      } catch (e) {
        if ((e as { status?: number }).status === 404) return [];
        throw e;
      }
    },
  };
}

/** The Sigstore public-good trusted root that ships in the bundle (from @sigstore/tuf's seed). */
function bundledRoot(): string {
  const seed = (seeds as Record<string, { targets: Record<string, string> }>)[
    'https://tuf-repo-cdn.sigstore.dev'
  ];
  return Buffer.from(seed!.targets['trusted_root.json']!, 'base64').toString('utf8');
}

function readRoots(path: string | undefined) {
  if (!path) return parseTrustedRoots(bundledRoot());
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`trusted_root: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return parseTrustedRoots(text);
  } catch (e) {
    throw new Error(
      `trusted_root: ${path} is not a Sigstore trusted root (JSON, or JSON lines as printed by gh attestation trusted-root): ${(e as Error).message}`,
    );
  }
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

const HOW_TO_ATTEST =
  'add one: in the build workflow give the job `permissions: id-token: write, attestations: write` and run this action with `mode: manifest` and `attest: true` (or actions/attest-build-provenance for each digest)';

/** Verifies every digest of the manifest; returns what the request records. Throws under `require`. */
export async function checkProvenance(
  s: Settings,
  manifest: DigestManifest,
  reads: GitHubReads,
  serverUrl = process.env.GITHUB_SERVER_URL || 'https://github.com',
): Promise<ProvenanceRecord> {
  const mode = s.provenance.mode;
  if (mode === 'off') return { state: 'off', mode };
  const repo = s.digests.repository;
  if (!repo) {
    const why = 'provenance: GITHUB_REPOSITORY is not set, so the build workflow cannot be named';
    if (mode === 'require' && !s.breakGlass)
      throw new Error(`${why}; set provenance: off to deploy without the check`);
    core.warning(`${why}; the images are not checked`);
    return { state: 'warned', mode };
  }
  const roots = readRoots(s.provenance.trustedRoot);
  // Break-glass bypasses the gate as it bypasses the verified marker: failures become warnings.
  const enforce = mode === 'require' && !s.breakGlass;
  const failures: string[] = [];
  const verified: Verified[] = [];
  let defaultBranch: string | undefined;
  try {
    defaultBranch = await reads.defaultBranch();
  } catch (e) {
    failures.push(`cannot read the default branch of ${repo.owner}/${repo.repo} from GitHub: ${errText(e)}`);
  }
  const policy: ProvenancePolicy = {
    serverUrl,
    owner: repo.owner,
    repo: repo.repo,
    workflow: s.digests.buildWorkflow,
    ...refMatcher(defaultBranch ?? '(unknown)', s.provenance.refs),
  };
  const digests = [...new Set(Object.values(manifest.images).map((i) => i.digest))];
  for (const digest of defaultBranch === undefined ? [] : digests) {
    let atts: Attestation[];
    try {
      atts = await reads.attestations(digest);
    } catch (e) {
      failures.push(`${digest}: cannot read its attestations from GitHub: ${errText(e)}`);
      continue;
    }
    try {
      verified.push(verifyDigest(digest, atts, roots, policy));
    } catch (e) {
      if (!(e instanceof ProvenanceError)) throw e;
      failures.push(e.kind === 'missing' ? `${e.message}; ${HOW_TO_ATTEST}` : e.message);
    }
  }
  const expected = `${repo.owner}/${repo.repo}/.github/workflows/${policy.workflow} on ${policy.allowedRefText}`;
  if (failures.length && enforce)
    throw new Error(
      `provenance: require: not every image was built by ${expected}; nothing was changed on the server:\n  ${failures.join('\n  ')}`,
    );
  const why = mode === 'require' ? 'require, bypassed by break_glass' : 'warn';
  for (const f of failures) core.warning(`provenance (${why}): ${f}`);
  for (const v of verified)
    core.info(`provenance: ${v.digest} built by ${v.signer_workflow}@${v.signer_ref} (bundle ${v.bundle})`);
  const first = verified[0];
  return {
    state: failures.length ? 'warned' : 'verified',
    mode,
    signer_workflow: first?.signer_workflow,
    signer_ref: first?.signer_ref,
    bundles: Object.fromEntries(verified.map((v) => [v.digest, v.bundle])),
  };
}
