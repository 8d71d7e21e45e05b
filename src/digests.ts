// Gets the digest manifest (DESIGN.md section 3) for the requested image tag, in this order:
// `digest_file`; the artifact of `build_run_id`; the artifact of the current run; the artifact of
// the newest successful run of `build_workflow` that built the tag's commit in this repository from
// a trusted trigger (push, workflow_dispatch, release, schedule) on the default branch, a
// `build_branches` branch or a tag (see `judgeRun`): a fork's pull request cannot supply it.
// Downloads are raw bytes whose SHA-256 is checked against the digest GitHub recorded at upload
// before anything is unpacked or parsed. @actions/artifact and @actions/github are loaded lazily.
import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ManifestError, parseDigestManifest, type DigestManifest } from '../common/digest-manifest.js';
import type { DigestSource } from './inputs.js';
import { safeText } from './neutralise.js';
import { isZip, listZip, readZipEntry } from './unzip.js';

import type { ProvenanceRecord } from '../common/request.js';

export const MANIFEST_FILE = 'image-digests.json';

export class DigestError extends Error {
  override name = 'DigestError';
}

export interface FindBy {
  token: string;
  workflowRunId: number;
  repositoryOwner: string;
  repositoryName: string;
}

export interface ArtifactInfo {
  id: number;
  name: string;
  size?: number;
  digest?: string;
}

/** The two calls of @actions/artifact this module uses (a fake in unit tests). */
export interface ArtifactBackend {
  getArtifact(name: string, findBy?: FindBy): Promise<ArtifactInfo>;
  download(
    id: number,
    opts: { path: string; findBy?: FindBy; expectedHash?: string },
  ): Promise<{ digestMismatch?: boolean }>;
}

/** The repository a run's code came from (the fork, for a pull request from a fork). */
export interface RunRepository {
  id?: number;
  full_name?: string;
}

export interface WorkflowRun {
  id: number;
  head_sha: string;
  /** Branch, or tag name for a tag push or a release. */
  head_branch?: string | null;
  /** What triggered the run: push, pull_request, workflow_dispatch, ... */
  event?: string;
  head_repository?: RunRepository | null;
  repository?: RunRepository | null;
  created_at?: string;
  run_number?: number;
  conclusion?: string | null;
  html_url?: string;
}

/** GET /repos/{owner}/{repo}: what the lookup trusts about this repository. */
export interface RepoInfo {
  id?: number;
  full_name: string;
  default_branch: string;
}

/** The GitHub REST calls of the build-run lookup (a fake in unit tests). */
export interface RunsBackend {
  /** One page (newest first) of successful runs of a workflow, at `headSha` when the API filters. */
  listSuccessfulRuns(q: {
    owner: string;
    repo: string;
    workflow: string;
    headSha: string;
    page: number;
    perPage: number;
  }): Promise<WorkflowRun[]>;
  repository(q: { owner: string; repo: string }): Promise<RepoInfo>;
  /** The full SHA of a commit named by a (short) SHA: GET /repos/{owner}/{repo}/commits/{ref}. */
  commitSha(q: { owner: string; repo: string; ref: string }): Promise<string>;
  /** Whether refs/tags/<tag> exists in the repository and points (peeled) at commit `sha`. */
  tagAt(q: { owner: string; repo: string; tag: string; sha: string }): Promise<boolean>;
}

/** Events whose runs only people with write access can cause, on code of this repository. */
export const TRUSTED_EVENTS = ['push', 'workflow_dispatch', 'release', 'schedule'] as const;

export interface Deps {
  artifacts: () => Promise<ArtifactBackend>;
  runs: (token: string) => Promise<RunsBackend>;
  env: NodeJS.ProcessEnv;
  /** Pages of 100 runs searched by the SHA lookup. */
  maxPages: number;
}

export interface LoadedManifest {
  manifest: DigestManifest;
  /** The manifest's bytes as built (uploaded to the server unchanged). */
  text: string;
  /** Where it came from, for logs and errors. */
  source: string;
  runId?: number;
  /** What the provenance gate found, once it ran (src/provenance/gate.ts). */
  provenance?: ProvenanceRecord;
}

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

function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

function isNotFound(err: unknown): boolean {
  return (err as Error)?.name === 'ArtifactNotFoundError' || statusOf(err) === 404;
}

const PERMISSION_HINT =
  'github_token needs the "actions: read" permission (permissions: actions: read) to read artifacts and runs';

/** Real backends, imported only when a download is needed (keeps input errors fast). */
export const defaultDeps = (): Deps => ({
  env: process.env,
  maxPages: 5,
  artifacts: async () => {
    const { DefaultArtifactClient } = await import('@actions/artifact');
    const client = new DefaultArtifactClient();
    return {
      getArtifact: async (name, findBy) =>
        (await client.getArtifact(name, findBy ? { findBy } : undefined)).artifact,
      download: (id, { path, findBy, expectedHash }) =>
        client.downloadArtifact(id, {
          path,
          expectedHash,
          skipDecompress: true,
          ...(findBy ? { findBy } : {}),
        }),
    };
  },
  runs: async (token) => {
    const { getOctokit } = await import('@actions/github');
    const octokit = getOctokit(token);
    const path = (ref: string) => ref.split('/').map(encodeURIComponent).join('/');
    return {
      listSuccessfulRuns: async ({ owner, repo, workflow, headSha, page, perPage }) => {
        const res = await octokit.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
          owner,
          repo,
          workflow_id: workflow,
          status: 'success',
          head_sha: headSha,
          per_page: perPage,
          page,
        });
        return (res.data.workflow_runs ?? []) as WorkflowRun[];
      },
      repository: async ({ owner, repo }) => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}', { owner, repo });
        return { id: Number(data.id), full_name: data.full_name, default_branch: data.default_branch };
      },
      commitSha: async ({ owner, repo, ref }) => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', {
          owner,
          repo,
          ref,
          headers: { accept: 'application/vnd.github.sha' },
        });
        const d = data as unknown;
        return (typeof d === 'string' ? d : String((d as { sha?: unknown })?.sha ?? '')).trim();
      },
      tagAt: async ({ owner, repo, tag, sha }) => {
        let obj: { type?: string; sha?: string };
        try {
          ({
            data: { object: obj },
          } = await octokit.request(`GET /repos/{owner}/{repo}/git/ref/tags/${path(tag)}`, { owner, repo }));
        } catch (err) {
          if (statusOf(err) === 404) return false;
          throw err;
        }
        // An annotated tag points at a tag object: peel it (a few levels at most).
        for (let i = 0; i < 5 && obj.type === 'tag' && obj.sha; i++)
          ({
            data: { object: obj },
          } = await octokit.request('GET /repos/{owner}/{repo}/git/tags/{tag_sha}', {
            owner,
            repo,
            tag_sha: obj.sha,
          }));
        return obj.type === 'commit' && obj.sha?.toLowerCase() === sha;
      },
    };
  },
});

function normalizeDigest(d: string | undefined): string | undefined {
  if (!d) return undefined;
  return /^[0-9a-f]{64}$/i.test(d) ? `sha256:${d.toLowerCase()}` : d.toLowerCase();
}

/** Turns downloaded artifact bytes into the manifest text (a zip with image-digests.json, or the raw file). */
export function manifestTextFromArtifact(bytes: Buffer, artifactName: string): string {
  if (!isZip(bytes)) return bytes.toString('utf8');
  const entries = listZip(bytes).filter((e) => !e.name.endsWith('/'));
  const named = entries.filter((e) => basename(e.name) === MANIFEST_FILE);
  const entry = named.length === 1 ? named[0] : entries.length === 1 ? entries[0] : undefined;
  if (!entry)
    throw new DigestError(
      `artifact ${artifactName} does not hold exactly one ${MANIFEST_FILE} (it has: ${entries.map((e) => e.name).join(', ') || 'no files'})`,
    );
  return readZipEntry(bytes, entry).toString('utf8');
}

async function downloadFromRun(
  src: DigestSource,
  deps: Deps,
  where: string,
  findBy: FindBy | undefined,
): Promise<{ text: string; info: ArtifactInfo }> {
  const backend = await deps.artifacts();
  let info: ArtifactInfo;
  try {
    info = await backend.getArtifact(src.artifact, findBy);
  } catch (err) {
    const status = statusOf(err);
    if (isNotFound(err) || status === 401 || status === 403)
      throw new DigestError(
        `artifact "${src.artifact}" was not found in ${where}${status ? ` (HTTP ${status})` : ''}: check that the build uploaded it under that name (input digest_artifact), that it has not expired, and that ${PERMISSION_HINT}`,
      );
    throw new DigestError(`cannot look up artifact "${src.artifact}" in ${where}: ${(err as Error).message}`);
  }
  const expected = normalizeDigest(info.digest);
  const dir = await mkdtemp(join(deps.env.RUNNER_TEMP || tmpdir(), 'seisei-digests-'));
  try {
    let mismatch: boolean | undefined;
    try {
      ({ digestMismatch: mismatch } = await backend.download(info.id, {
        path: dir,
        findBy,
        expectedHash: expected,
      }));
    } catch (err) {
      throw new DigestError(
        `cannot download artifact "${src.artifact}" (id ${info.id}) of ${where}: ${(err as Error).message}`,
      );
    }
    const files = await readdir(dir);
    if (files.length !== 1)
      throw new DigestError(
        `downloading artifact "${src.artifact}" (id ${info.id}) of ${where} produced ${files.length} files, expected one`,
      );
    const bytes = await readFile(join(dir, files[0]!));
    const actual = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
    if (expected) {
      if (mismatch || actual !== expected)
        throw new DigestError(
          `artifact "${src.artifact}" (id ${info.id}) of ${where} is corrupt or was altered: its SHA-256 is ${actual} but GitHub recorded ${expected} at upload; refusing to use it`,
        );
      core.info(`Artifact hash verified: ${actual}`);
    } else {
      core.warning(
        `artifact "${src.artifact}" (id ${info.id}) of ${where} has no recorded digest (uploaded by an old upload-artifact?); its hash cannot be verified (downloaded ${actual})`,
      );
    }
    try {
      return { text: manifestTextFromArtifact(bytes, src.artifact), info };
    } catch (err) {
      throw new DigestError(
        `artifact "${src.artifact}" (id ${info.id}) of ${where}: ${(err as Error).message}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function repoOf(src: DigestSource, why: string): { owner: string; repo: string } {
  if (!src.repository) throw new DigestError(`GITHUB_REPOSITORY is not set; it is needed to ${why}`);
  return src.repository;
}

function tokenOf(src: DigestSource, why: string): string {
  if (!src.token)
    throw new DigestError(
      `github_token: required to ${why} (default: \${{ github.token }}); ${PERMISSION_HINT}`,
    );
  return src.token;
}

function findByFor(src: DigestSource, runId: number, why: string): FindBy {
  const { owner, repo } = repoOf(src, why);
  return { token: tokenOf(src, why), workflowRunId: runId, repositoryOwner: owner, repositoryName: repo };
}

const apiProblem = (err: unknown) =>
  statusOf(err) ? `HTTP ${statusOf(err)}: ${(err as Error).message}` : (err as Error).message;

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

/** Gets, verifies and validates the digest manifest for `imageTag`. */
export async function getDigestManifest(
  src: DigestSource,
  imageTag: string,
  deps: Deps = defaultDeps(),
): Promise<LoadedManifest> {
  let text: string;
  let source: string;
  let runId: number | undefined;
  /** The commit the lookup proved (the manifest must say the same). */
  let lookedUpSha: string | undefined;
  if (src.file) {
    source = `digest_file ${src.file}`;
    try {
      text = await readFile(src.file, 'utf8');
    } catch (err) {
      throw new DigestError(
        `digest_file: cannot read ${src.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  } else if (src.buildRunId) {
    runId = src.buildRunId;
    const where = `run ${runId} of ${src.repository ? `${src.repository.owner}/${src.repository.repo}` : '?'} (input build_run_id)`;
    source = `artifact "${src.artifact}" of ${where}`;
    ({ text } = await downloadFromRun(
      src,
      deps,
      where,
      findByFor(src, runId, 'download the artifact of build_run_id'),
    ));
  } else {
    let got: { text: string } | undefined;
    const env = deps.env;
    if (env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL) {
      const where = `the current run${src.currentRunId ? ` ${src.currentRunId}` : ''}`;
      try {
        got = await downloadFromRun(src, deps, where, undefined);
        source = `artifact "${src.artifact}" of ${where}`;
        runId = src.currentRunId;
      } catch (err) {
        if (!(err instanceof DigestError) || !/was not found/.test(err.message)) throw err;
        core.info(`No artifact "${src.artifact}" in ${where}; looking for the build run of ${imageTag}`);
      }
    }
    if (got) text = got.text;
    else {
      const run = await findBuildRun(src, imageTag, deps);
      runId = run.id;
      const where = `run ${run.id} of ${src.repository!.owner}/${src.repository!.repo} (newest successful ${src.buildWorkflow} run at ${run.head_sha.slice(0, 12)})`;
      core.info(
        safeText(`Build run of ${imageTag}: ${run.html_url ?? run.id} (${run.event} on ${run.head_branch})`),
      );
      lookedUpSha = run.head_sha.toLowerCase();
      source = `artifact "${src.artifact}" of ${where}`;
      ({ text } = await downloadFromRun(src, deps, where, findByFor(src, run.id, 'download the artifact')));
    }
  }
  let manifest: DigestManifest;
  try {
    manifest = parseDigestManifest(text, imageTag);
  } catch (err) {
    if (err instanceof ManifestError)
      throw new DigestError(
        `the digest manifest from ${source!} is invalid:\n  - ${err.problems.join('\n  - ')}`,
      );
    throw err;
  }
  const sha = shaOfTag(imageTag);
  if (lookedUpSha && manifest.git_sha !== lookedUpSha)
    throw new DigestError(
      `the digest manifest from ${source!} says commit ${manifest.git_sha}, but the run built ${lookedUpSha} (the commit of image_tag ${imageTag}); refusing to use it`,
    );
  if (sha && !manifest.git_sha.startsWith(sha))
    core.warning(
      `the digest manifest from ${source!} was built from commit ${manifest.git_sha}, which does not start with ${sha} (from image_tag ${imageTag})`,
    );
  return { manifest, text, source: source!, runId };
}
