// Finds the build run that may supply the digests of a `sha-<commit>` image tag: the newest
// successful run of build_workflow at exactly that commit, in this repository, from a trusted
// trigger on the default branch, a build_branches branch or a tag (judgeRun); a fork's pull
// request cannot supply it.
import type { DigestSource } from '../inputs/digest-source.js';
import { DigestError, PERMISSION_HINT, apiProblem, repoOf, statusOf, tokenOf } from './errors.js';
import type { Deps, RepoInfo, RunRepository, RunsBackend, WorkflowRun } from './github.js';

/** Events whose runs only people with write access can cause, on code of this repository. */
export const TRUSTED_EVENTS = ['push', 'workflow_dispatch', 'release', 'schedule'] as const;

/** `sha-abc1234` -> `abc1234`; undefined for tags that do not carry a commit SHA. */
export function shaOfTag(tag: string): string | undefined {
  return /^sha-([0-9a-f]{7,40})$/.exec(tag)?.[1];
}

/** Newest first: by creation time, then id. */
const newestFirst = (a: WorkflowRun, b: WorkflowRun) =>
  (Date.parse(b.created_at ?? '') || 0) - (Date.parse(a.created_at ?? '') || 0) || b.id - a.id;

/** `*` matches within one path segment, `**` across segments, `?` one character (not `/`). */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** What a build run must be to supply the digests of a commit. */
export interface RunRules {
  /** owner/name, id and default branch of this repository (from the API). */
  repo: RepoInfo;
  /** The full 40-hex commit SHA of the image tag. */
  sha: string;
  /** build_branches: more branches (globs) whose runs are trusted besides the default branch. */
  branches: readonly string[];
}

export type RunVerdict =
  | { ok: true }
  | { ok: false; why: string[] }
  /** Everything fits except the branch, which is not trusted by name: trusted if it is a tag at the commit. */
  | { ok: 'if-tag'; tag: string };

const sameRepo = (r: RunRepository | null | undefined, repo: RepoInfo) =>
  !!r &&
  typeof r.full_name === 'string' &&
  r.full_name.toLowerCase() === repo.full_name.toLowerCase() &&
  (repo.id === undefined || r.id === undefined || r.id === repo.id);

/** Judges one run against the rules (without API calls; a tag check may remain). */
export function judgeRun(run: WorkflowRun, rules: RunRules): RunVerdict {
  const why: string[] = [];
  if (run.conclusion !== 'success')
    why.push(`its conclusion is ${run.conclusion ?? 'not known'}, not success`);
  if (run.head_sha.toLowerCase() !== rules.sha)
    why.push(`it built commit ${run.head_sha}, not ${rules.sha} (only the short SHA matches)`);
  if (!sameRepo(run.head_repository, rules.repo))
    why.push(
      `its code came from ${run.head_repository?.full_name ?? 'an unknown repository'}, not ${rules.repo.full_name}`,
    );
  if (run.repository && !sameRepo(run.repository, rules.repo))
    why.push(`it ran in ${run.repository.full_name ?? 'another repository'}, not ${rules.repo.full_name}`);
  if (!(TRUSTED_EVENTS as readonly string[]).includes(run.event ?? ''))
    why.push(`it was triggered by ${run.event ?? 'an unknown event'}, not ${TRUSTED_EVENTS.join(', ')}`);
  if (why.length) return { ok: false, why };
  const branch = run.head_branch ?? '';
  if (branch === rules.repo.default_branch || rules.branches.some((g) => globToRegExp(g).test(branch)))
    return { ok: true };
  if (!branch) return { ok: false, why: ['it names no branch or tag'] };
  return { ok: 'if-tag', tag: branch };
}

/** "run 7 (pull_request from evil/app, branch main)" */
const describeRun = (r: WorkflowRun) =>
  `run ${r.id} (${r.event ?? '?'} from ${r.head_repository?.full_name ?? '?'}, ${r.head_branch ? `ref ${r.head_branch}` : 'no ref'})`;

/**
 * The full commit SHA of a `sha-<hex>` tag: the tag itself when it has 40 hex digits, else the
 * `git_sha` input (checked to start with the tag's hex), else GitHub's answer for the short SHA.
 */
export async function resolveCommit(
  src: DigestSource,
  hex: string,
  imageTag: string,
  runs: RunsBackend,
): Promise<string> {
  if (hex.length === 40) return hex;
  if (src.gitSha) {
    if (!src.gitSha.startsWith(hex))
      throw new DigestError(
        `git_sha ${src.gitSha} is not the commit of image_tag ${imageTag} (it does not start with ${hex})`,
      );
    return src.gitSha;
  }
  const { owner, repo } = repoOf(src, `resolve the commit of ${imageTag}`);
  let sha: string;
  try {
    sha = (await runs.commitSha({ owner, repo, ref: hex })).toLowerCase();
  } catch (err) {
    throw new DigestError(
      `cannot resolve commit ${hex} of image_tag ${imageTag} in ${owner}/${repo} (${apiProblem(err)}); set git_sha to the full commit SHA (or build_run_id)`,
    );
  }
  if (!/^[0-9a-f]{40}$/.test(sha) || !sha.startsWith(hex))
    throw new DigestError(
      `GitHub resolved ${hex} of image_tag ${imageTag} to ${JSON.stringify(sha.slice(0, 60))}, not a commit starting with ${hex}; set git_sha to the full commit SHA`,
    );
  return sha;
}

/**
 * Finds the build run for a `sha-<hex>` tag: the newest successful run of build_workflow at exactly
 * that commit that `judgeRun` trusts (this repository, a trusted event, default branch, a
 * build_branches branch or a tag at the commit). Says which runs were skipped and why otherwise.
 */
export async function findBuildRun(src: DigestSource, imageTag: string, deps: Deps): Promise<WorkflowRun> {
  const hex = shaOfTag(imageTag);
  if (!hex)
    throw new DigestError(
      `cannot find the build of image_tag "${imageTag}": only tags of the form sha-<commit sha> can be looked up; set build_run_id or digest_file`,
    );
  const why = `find the build run of ${imageTag}`;
  const { owner, repo } = repoOf(src, why);
  const runs = await deps.runs(tokenOf(src, why));
  let repoInfo: RepoInfo;
  try {
    repoInfo = await runs.repository({ owner, repo });
  } catch (err) {
    throw new DigestError(
      `cannot read repository ${owner}/${repo} to ${why} (${apiProblem(err)}); ${PERMISSION_HINT}`,
    );
  }
  const rules: RunRules = {
    repo: repoInfo,
    sha: await resolveCommit(src, hex, imageTag, runs),
    branches: src.buildBranches ?? [],
  };
  const perPage = 100;
  const seen = new Map<number, WorkflowRun>();
  const skipped = new Map<number, string>();
  const tagChecked = new Map<number, boolean>();
  for (let page = 1; page <= deps.maxPages; page++) {
    let batch: WorkflowRun[];
    try {
      batch = await runs.listSuccessfulRuns({
        owner,
        repo,
        workflow: src.buildWorkflow,
        headSha: rules.sha,
        page,
        perPage,
      });
    } catch (err) {
      const status = statusOf(err);
      throw new DigestError(
        status === 404 || status === 403 || status === 401
          ? `workflow "${src.buildWorkflow}" (input build_workflow) was not found in ${owner}/${repo} (HTTP ${status}); check the file name and that ${PERMISSION_HINT}`
          : `cannot list runs of workflow "${src.buildWorkflow}" in ${owner}/${repo}: ${(err as Error).message}`,
      );
    }
    for (const r of batch) seen.set(r.id, r);
    for (const run of [...seen.values()].sort(newestFirst)) {
      if (skipped.has(run.id)) continue;
      const verdict = judgeRun(run, rules);
      if (verdict.ok === true) return run;
      if (verdict.ok === false) {
        // Runs of other commits are only worth naming when their short SHA collides with the tag's.
        if (run.head_sha.toLowerCase().startsWith(hex)) skipped.set(run.id, verdict.why.join('; '));
        else skipped.set(run.id, '');
        continue;
      }
      let isTag = tagChecked.get(run.id);
      if (isTag === undefined) {
        try {
          isTag = await runs.tagAt({ owner, repo, tag: verdict.tag, sha: rules.sha });
        } catch (err) {
          throw new DigestError(
            `cannot check whether ${verdict.tag} is a tag of ${owner}/${repo} (${apiProblem(err)})`,
          );
        }
        tagChecked.set(run.id, isTag);
      }
      if (isTag) return run;
      skipped.set(
        run.id,
        `${verdict.tag} is not the default branch ${rules.repo.default_branch}, matches no build_branches pattern${rules.branches.length ? ` (${rules.branches.join(', ')})` : ''} and is not a tag at the commit`,
      );
    }
    if (batch.length < perPage) break;
  }
  const named = [...seen.values()].sort(newestFirst).filter((r) => skipped.get(r.id));
  const list = named
    .slice(0, 20)
    .map((r) => `\n  - ${describeRun(r)}: ${skipped.get(r.id)}`)
    .join('');
  throw new DigestError(
    `no run of workflow "${src.buildWorkflow}" in ${owner}/${repo} can supply the digests of ${imageTag}: none is a successful ${TRUSTED_EVENTS.join('/')} run of commit ${rules.sha} in ${rules.repo.full_name} on ${rules.repo.default_branch}${rules.branches.length ? `, a build_branches branch` : ''} or a tag ` +
      `(searched ${seen.size} successful run${seen.size === 1 ? '' : 's'}${named.length ? `; skipped:${list}${named.length > 20 ? `\n  - and ${named.length - 20} more` : ''}` : ''}` +
      `${named.length ? '\n' : ''}); set build_run_id, widen build_branches, or check image_tag and that ${PERMISSION_HINT}`,
  );
}
