// Gets the digest manifest (DESIGN.md section 3) for the requested image tag, in this order:
// `digest_file`; the artifact of `build_run_id`; the artifact of the current run; the artifact of
// the newest successful run of `build_workflow` whose head SHA starts with the tag's SHA.
// Downloads are raw bytes whose SHA-256 is checked against the digest GitHub recorded at upload
// before anything is unpacked or parsed. @actions/artifact and @actions/github are loaded lazily.
import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ManifestError, parseDigestManifest, type DigestManifest } from './common/digest-manifest.js';
import type { DigestSource } from './inputs.js';
import { isZip, listZip, readZipEntry } from './unzip.js';

import type { ProvenanceRecord } from './common/request.js';

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

export interface WorkflowRun {
  id: number;
  head_sha: string;
  created_at?: string;
  run_number?: number;
  conclusion?: string | null;
  html_url?: string;
}

/** One page (newest first) of successful runs of a workflow. */
export interface RunsBackend {
  listSuccessfulRuns(q: {
    owner: string;
    repo: string;
    workflow: string;
    page: number;
    perPage: number;
  }): Promise<WorkflowRun[]>;
}

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

/** The newest run (by creation time, then id) whose head SHA starts with the prefix. */
export function selectBuildRun(runs: readonly WorkflowRun[], shaPrefix: string): WorkflowRun | undefined {
  const prefix = shaPrefix.toLowerCase();
  return runs
    .filter(
      (r) =>
        r.head_sha.toLowerCase().startsWith(prefix) && (r.conclusion == null || r.conclusion === 'success'),
    )
    .sort(
      (a, b) => (Date.parse(b.created_at ?? '') || 0) - (Date.parse(a.created_at ?? '') || 0) || b.id - a.id,
    )[0];
}

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
    return {
      listSuccessfulRuns: async ({ owner, repo, workflow, page, perPage }) => {
        const res = await octokit.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
          owner,
          repo,
          workflow_id: workflow,
          status: 'success',
          per_page: perPage,
          page,
        });
        return (res.data.workflow_runs ?? []) as WorkflowRun[];
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

/** Finds the build run for a `sha-<hex>` tag: newest successful run of build_workflow at that commit. */
export async function findBuildRun(src: DigestSource, imageTag: string, deps: Deps): Promise<WorkflowRun> {
  const sha = shaOfTag(imageTag);
  if (!sha)
    throw new DigestError(
      `cannot find the build of image_tag "${imageTag}": only tags of the form sha-<commit sha> can be looked up; set build_run_id or digest_file`,
    );
  const why = `find the build run of ${imageTag}`;
  const { owner, repo } = repoOf(src, why);
  const runs = await deps.runs(tokenOf(src, why));
  const perPage = 100;
  const seen: WorkflowRun[] = [];
  for (let page = 1; page <= deps.maxPages; page++) {
    let batch: WorkflowRun[];
    try {
      batch = await runs.listSuccessfulRuns({ owner, repo, workflow: src.buildWorkflow, page, perPage });
    } catch (err) {
      const status = statusOf(err);
      throw new DigestError(
        status === 404 || status === 403 || status === 401
          ? `workflow "${src.buildWorkflow}" (input build_workflow) was not found in ${owner}/${repo} (HTTP ${status}); check the file name and that ${PERMISSION_HINT}`
          : `cannot list runs of workflow "${src.buildWorkflow}" in ${owner}/${repo}: ${(err as Error).message}`,
      );
    }
    seen.push(...batch);
    const hit = selectBuildRun(seen, sha);
    if (hit) return hit;
    if (batch.length < perPage) break;
  }
  throw new DigestError(
    `no successful run of workflow "${src.buildWorkflow}" in ${owner}/${repo} has a head SHA starting with ${sha} (searched the newest ${seen.length} successful runs); set build_run_id, or check image_tag and that ${PERMISSION_HINT}`,
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
  let lookedUp = false;
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
      lookedUp = true;
      const where = `run ${run.id} of ${src.repository!.owner}/${src.repository!.repo} (newest successful ${src.buildWorkflow} run at ${run.head_sha.slice(0, 12)})`;
      core.info(`Build run of ${imageTag}: ${run.html_url ?? run.id}`);
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
  if (sha && !manifest.git_sha.startsWith(sha)) {
    const msg = `the digest manifest from ${source!} was built from commit ${manifest.git_sha}, which does not start with ${sha} (from image_tag ${imageTag})`;
    if (lookedUp) throw new DigestError(msg);
    core.warning(msg);
  }
  return { manifest, text, source: source!, runId };
}
