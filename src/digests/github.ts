// The GitHub calls the digest lookup makes (artifacts, workflow runs, repository, commits, tags),
// as small interfaces with fakes in unit tests, and their real implementations, which load
// @actions/artifact and @actions/github only when a download is needed.
import { statusOf } from './errors.js';

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

/** What getDigestManifest calls out to. */
export interface Deps {
  artifacts: () => Promise<ArtifactBackend>;
  runs: (token: string) => Promise<RunsBackend>;
  env: NodeJS.ProcessEnv;
  /** Pages of 100 runs searched by the SHA lookup. */
  maxPages: number;
}

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
