// The inputs that say where the digest manifest comes from: a file, the artifact of a build run
// (given, the current one, or found by the image tag's commit), and the token to read it with.
import * as z from 'zod';
import { anyString, integer, issue, matching, show, type Problems, type Values } from './fields.js';
import type { GithubContext } from './run.js';

/** build_branches: globs (`*`, `**`, `?`) of branch names, one per line or comma-separated. */
const branchGlobs = z.string().transform((v, ctx) => {
  const globs = v
    .split(/[\r\n,]+/)
    .map((g) => g.trim())
    .filter(Boolean);
  for (const g of globs)
    if (!/^[A-Za-z0-9._/*?+@=-]{1,255}$/.test(g) || g.startsWith('/') || g.endsWith('/'))
      issue(
        ctx,
        `build_branches: ${show(g)} is not valid; expected branch names or globs (* within a path segment, ** across, ?), one per line, e.g. release/*`,
      );
  return globs;
});

export const DIGEST_SOURCE_FIELDS = {
  digest_file: anyString,
  digest_artifact: matching(
    'digest_artifact',
    /^[^/\\:*?"<>|\r\n]{1,200}$/,
    'an artifact name (e.g. image-digests)',
  ),
  build_run_id: integer('build_run_id', 1, Number.MAX_SAFE_INTEGER),
  build_workflow: matching(
    'build_workflow',
    /^[A-Za-z0-9_.-]{1,200}$/,
    'a workflow file name or id (e.g. build_ghcr.yml)',
  ),
  build_branches: branchGlobs,
  github_token: anyString,
  git_sha: matching('git_sha', /^[0-9a-f]{40}$/, 'a full 40-hex commit SHA (default: GITHUB_SHA)'),
};

export interface DigestSource {
  /** Local manifest file; skips any download. */
  file?: string;
  artifact: string;
  buildRunId?: number;
  buildWorkflow: string;
  /** build_branches: branch globs whose build runs are trusted besides the default branch (and tags). */
  buildBranches?: string[];
  /** git_sha in deploy/verify: the full commit of image_tag (else resolved through the API). */
  gitSha?: string;
  token: string;
  /** owner/name from GITHUB_REPOSITORY. */
  repository?: { owner: string; repo: string };
  currentRunId?: number;
}

/** The digest source; a git_sha given for a `sha-<hex>` image tag must be that commit. */
export function digestSource(
  v: Values<typeof DIGEST_SOURCE_FIELDS>,
  imageTag: string | undefined,
  ctx: GithubContext,
  p: Problems,
): DigestSource {
  const tagHex = /^sha-([0-9a-f]{7,40})$/.exec(imageTag ?? '')?.[1];
  if (v.git_sha && tagHex && !v.git_sha.startsWith(tagHex))
    p.add(
      `git_sha: ${v.git_sha} is not the commit of image_tag ${imageTag} (it does not start with ${tagHex}); give the full SHA of that commit, or leave git_sha empty`,
    );
  return {
    file: v.digest_file,
    artifact: v.digest_artifact ?? 'image-digests',
    buildRunId: v.build_run_id,
    buildWorkflow: v.build_workflow ?? 'build_ghcr.yml',
    buildBranches: v.build_branches,
    ...(v.git_sha ? { gitSha: v.git_sha } : {}),
    token: v.github_token ?? '',
    repository: ctx.repository,
    currentRunId: ctx.currentRunId,
  };
}
