// A local stand-in of the parts of GitHub that the digest-manifest download talks to, speaking
// their real HTTP protocols so the real @actions/artifact and @actions/github code runs against it:
//
// REST (point GITHUB_API_URL here; octokit sends `authorization: token <github_token>`):
//   GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts?name=   list a run's artifacts
//   GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/zip     302 to a signed blob URL
//   GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs       runs, newest first, paged,
//                                                                     ?status=success, ?head_sha= filter
//   GET /repos/{owner}/{repo}                                         id, full_name, default_branch
//   GET /repos/{owner}/{repo}/commits/{ref}     a (short) SHA of the repository's commits -> the
//        commit (JSON, or the bare SHA with `accept: application/vnd.github.sha`); 422 when no
//        commit or more than one matches. The commits are those of runs whose code came from this
//        repository, plus addCommit(); a fork's commits are not the repository's.
//   GET /repos/{owner}/{repo}/git/ref/tags/{tag}                      a lightweight tag (addTag())
//   GET /repos/{owner}/{repo}/attestations/{subject_digest}            {attestations: [{bundle,
//        repository_id, bundle_url}]} as stored with addAttestation or POSTed; 404 when none
//   POST /repos/{owner}/{repo}/attestations  {bundle} -> 201 {id}; stored under each subject digest
// Runs carry event, head_branch and head_repository (default: push on main of this repository), so
// pull requests from forks, pull_request_target runs and feature branches can be listed as decoys.
// The Actions results service (point ACTIONS_RESULTS_URL here, with ACTIONS_RUNTIME_TOKEN =
// runtimeToken(): a JWT whose `scp` claim holds `Actions.Results:<runBackendId>:<jobBackendId>`,
// which @actions/artifact v6 decodes to find the current run), Twirp with JSON bodies:
//   POST /twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts
//   POST /twirp/github.actions.results.api.v1.ArtifactService/GetSignedArtifactURL
//   POST /twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact    upload, step 1:
//        {workflow_run_backend_id, workflow_job_run_backend_id, name, version, mime_type?,
//        expires_at?} -> {ok, signed_upload_url}; 409 already_exists when the run has the name
//   POST /twirp/github.actions.results.api.v1.ArtifactService/FinalizeArtifact  upload, step 3:
//        {..., name, size, hash?: "sha256:<hex>"} -> {ok, artifact_id}; the size must be that of
//        the committed blob. The artifact then exists: ListArtifacts, GetSignedArtifactURL and the
//        REST endpoints serve it, with `hash` as its recorded digest.
// Blob storage (Azure Blob protocol, path-style as for an IP host: /{account}/{container}/{blob}):
//   GET /blob/{artifact_id}/{name}.zip?sig=...   the signed URL both download paths end at
//   PUT /blob/actions-results/{upload}/{name}.zip?sig=...   upload, step 2, at signed_upload_url, as
//        @azure/storage-blob's BlockBlobClient sends it: `?comp=block&blockid=<base64>` (Put
//        Block, staged), then `?comp=blocklist` with an XML <BlockList> of <Latest>/<Committed>/
//        <Uncommitted> ids (Put Block List, commits them in that order); or one Put Blob with
//        `x-ms-blob-type: BlockBlob`. Answers as Azure does (201, ETag, Content-MD5,
//        x-ms-request-id; errors as XML with x-ms-error-code).
//
// Every request is recorded in `requests`, so tests can check which path the client took.
import AdmZip from 'adm-zip';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/';

export interface StandinRequest {
  method: string;
  path: string;
  /** Query string with the leading '?', or ''. */
  search: string;
  authorization?: string;
  /** JSON bodies parsed; other text bodies as text; binary bodies (blob blocks) left out. */
  body?: unknown;
  /** Body length in bytes. */
  size: number;
  headers: IncomingHttpHeaders;
}

export interface StandinRun {
  id: number;
  head_sha: string;
  created_at: string;
  /** Workflow file name, e.g. build_ghcr.yml. */
  workflow: string;
  /** What triggered it; default push. */
  event: string;
  /** Branch (or tag) of the run; default main. */
  head_branch: string;
  /** Where its code came from; default this repository. A fork: another full_name and id. */
  head_repository: { id: number; full_name: string };
  conclusion: 'success' | 'failure' | 'cancelled';
  run_number: number;
  /** The results service's id of this run and of its job (the runtime token names them). */
  backendId: string;
  jobBackendId: string;
}

export interface StandinArtifact {
  id: number;
  runId: number;
  name: string;
  /** The bytes served by blob storage. */
  bytes: Buffer;
  /** What GitHub recorded at upload (`sha256:<hex>`); null: no digest (old uploader). */
  digest: string | null;
  createdAt: string;
  /** The job that uploaded it (results service id); absent: the run's default job. */
  jobBackendId?: string;
  /** For artifacts uploaded through CreateArtifact/FinalizeArtifact: what the client sent. */
  upload?: StandinUploadRecord;
}

/** What an upload through the results service carried, step by step. */
export interface StandinUploadRecord {
  /** CreateArtifact: mime_type, expires_at, version. */
  mimeType?: string;
  expiresAt?: string;
  version?: number;
  /** Blob storage: how the blob was written, and its x-ms-blob-content-type. */
  blobType: 'blocks' | 'single';
  blocks: number;
  blobContentType?: string;
  /** FinalizeArtifact: size and hash as sent (size is an int64, i.e. a JSON string). */
  size: string;
  hash: string | null;
}

export interface StandinOptions {
  owner?: string;
  repo?: string;
  /** The token REST calls must carry (as `token X` or `Bearer X`). */
  token?: string;
  /** Tokens that authenticate but lack `actions: read`: REST answers 403. */
  tokensWithoutActionsRead?: string[];
  /** The repository's id (default 1) and default branch (default main). */
  repoId?: number;
  defaultBranch?: string;
}

export interface GitHubStandin {
  /** http://127.0.0.1:PORT, for GITHUB_API_URL and ACTIONS_RESULTS_URL. */
  url: string;
  port: number;
  owner: string;
  repo: string;
  token: string;
  requests: StandinRequest[];
  runs: StandinRun[];
  artifacts: StandinArtifact[];
  repoId: number;
  addRun(run: Partial<StandinRun> & { id: number; head_sha?: string }): StandinRun;
  /** A commit of the repository (runs of this repository add theirs). */
  addCommit(sha: string): void;
  /** A lightweight tag refs/tags/<name> at `sha`. */
  addTag(name: string, sha: string): void;
  /** Adds an artifact to a run (created if missing); digest defaults to the SHA-256 of `bytes`. */
  addArtifact(a: { runId: number; name: string; bytes: Buffer; digest?: string | null }): StandinArtifact;
  /**
   * ACTIONS_RUNTIME_TOKEN for a job of `runId` (the run is created if missing): the run's default
   * job, or another job `job` of the same run (e.g. 'build' and 'deploy' jobs share the run's
   * artifacts; each token only acts as its own job).
   */
  runtimeToken(runId: number, job?: string): string;
  /** Artifacts created (CreateArtifact) but not finalized yet. */
  pendingUploads(): { runId: number; name: string; committed: boolean }[];
  /** Attestation bundles by subject digest (`sha256:<hex>`), as the attestations API serves them. */
  attestations: Map<string, unknown[]>;
  addAttestation(digest: string, bundle: unknown): void;
  /** Requests of the REST API (not Twirp, not blobs). */
  restRequests(): StandinRequest[];
  twirpRequests(): StandinRequest[];
  blobRequests(): StandinRequest[];
  close(): Promise<void>;
}

export const sha256Digest = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** A zip archive as upload-artifact builds it (one entry per file). */
export function zipOf(files: Record<string, string | Buffer>): Buffer {
  const zip = new AdmZip();
  for (const [name, content] of Object.entries(files))
    zip.addFile(name, typeof content === 'string' ? Buffer.from(content) : content);
  return zip.toBuffer();
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

/** An artifact between CreateArtifact and FinalizeArtifact, and its blob. */
interface PendingUpload {
  key: string;
  sig: string;
  runId: number;
  jobBackendId: string;
  name: string;
  mimeType?: string;
  expiresAt?: string;
  version?: number;
  /** Staged (uncommitted) blocks by id. */
  staged: Map<string, Buffer>;
  /** The committed blob, once Put Block List or Put Blob succeeded. */
  blob?: { bytes: Buffer; type: 'blocks' | 'single'; blocks: number; contentType?: string };
}

export async function startGitHubStandin(opts: StandinOptions = {}): Promise<GitHubStandin> {
  const owner = opts.owner ?? 'org';
  const repo = opts.repo ?? 'app';
  const token = opts.token ?? `ghs_${randomBytes(18).toString('hex')}`;
  const noActionsRead = new Set(opts.tokensWithoutActionsRead ?? []);
  const repoId = opts.repoId ?? 1;
  const defaultBranch = opts.defaultBranch ?? 'main';
  const extraCommits = new Set<string>();
  const tags = new Map<string, string>();
  const repoCommits = () => [
    ...new Set([
      ...extraCommits,
      ...runs.filter((r) => r.head_repository.id === repoId).map((r) => r.head_sha),
    ]),
  ];
  const requests: StandinRequest[] = [];
  const runs: StandinRun[] = [];
  const artifacts: StandinArtifact[] = [];
  const signatures = new Map<number, string>();
  const runtimeTokens = new Map<string, { backendId: string; jobBackendId: string }>();
  /** Backend ids of the named (non-default) jobs, by `${runId}/${job}`. */
  const jobIds = new Map<string, string>();
  const uploads = new Map<string, PendingUpload>();
  const jobsOf = (run: StandinRun) => [
    run.jobBackendId,
    ...[...jobIds].filter(([k]) => k.startsWith(`${run.id}/`)).map(([, v]) => v),
  ];
  let nextArtifactId = 9000;
  const attestations = new Map<string, unknown[]>();
  const addAttestation = (digest: string, bundle: unknown) =>
    attestations.set(digest, [...(attestations.get(digest) ?? []), bundle]);
  let url = '';

  const addRun: GitHubStandin['addRun'] = (r) => {
    const existing = runs.find((x) => x.id === r.id);
    if (existing) return Object.assign(existing, r);
    const run: StandinRun = {
      head_sha: randomBytes(20).toString('hex'),
      created_at: new Date(Date.UTC(2026, 0, 1) + r.id * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      workflow: 'build_ghcr.yml',
      event: 'push',
      head_branch: defaultBranch,
      head_repository: { id: repoId, full_name: `${owner}/${repo}` },
      conclusion: 'success',
      run_number: r.id,
      backendId: randomUUID(),
      jobBackendId: randomUUID(),
      ...r,
    };
    runs.push(run);
    return run;
  };

  const runJson = (r: StandinRun) => ({
    id: r.id,
    name: 'build',
    node_id: `WFR_${r.id}`,
    head_branch: r.head_branch,
    head_sha: r.head_sha,
    path: `.github/workflows/${r.workflow}`,
    run_number: r.run_number,
    event: r.event,
    head_repository: {
      id: r.head_repository.id,
      name: r.head_repository.full_name.split('/')[1],
      full_name: r.head_repository.full_name,
      owner: { login: r.head_repository.full_name.split('/')[0] },
      fork: r.head_repository.id !== repoId,
    },
    repository: { id: repoId, name: repo, full_name: `${owner}/${repo}`, fork: false },
    status: 'completed',
    conclusion: r.conclusion,
    workflow_id: 1,
    url: `${url}/repos/${owner}/${repo}/actions/runs/${r.id}`,
    html_url: `https://github.com/${owner}/${repo}/actions/runs/${r.id}`,
    created_at: r.created_at,
    updated_at: r.created_at,
    run_attempt: 1,
  });

  const artifactJson = (a: StandinArtifact) => {
    const run = runs.find((r) => r.id === a.runId)!;
    return {
      id: a.id,
      node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
      name: a.name,
      size_in_bytes: a.bytes.length,
      url: `${url}/repos/${owner}/${repo}/actions/artifacts/${a.id}`,
      archive_download_url: `${url}/repos/${owner}/${repo}/actions/artifacts/${a.id}/zip`,
      expired: false,
      ...(a.digest === null ? {} : { digest: a.digest }),
      created_at: a.createdAt,
      updated_at: a.createdAt,
      expires_at: '2099-01-01T00:00:00Z',
      workflow_run: { id: run.id, repository_id: 1, head_branch: 'main', head_sha: run.head_sha },
    };
  };

  const signedUrl = (a: StandinArtifact) => {
    let sig = signatures.get(a.id);
    if (!sig) signatures.set(a.id, (sig = randomBytes(12).toString('base64url')));
    return `${url}/blob/${a.id}/${encodeURIComponent(a.name)}.zip?sv=2025-01-05&se=2099-01-01T00%3A00%3A00Z&sig=${sig}`;
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse) =>
    send(res, 404, {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404',
    });
  const twirpError = (res: ServerResponse, status: number, code: string, msg: string) =>
    send(res, status, { code, msg });

  const readBody = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  function rest(req: IncomingMessage, res: ServerResponse, u: URL, rec: StandinRequest): void {
    const auth = /^(?:token|bearer) (.+)$/i.exec(rec.authorization ?? '')?.[1];
    if (auth !== token && !(auth && noActionsRead.has(auth)))
      return send(res, 401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    if (auth && noActionsRead.has(auth))
      return send(res, 403, {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest/actions/artifacts',
        status: '403',
      });
    if (attestationsApi(req, res, u, rec)) return;
    const repoBase = `/repos/${owner}/${repo}`;
    if (req.method === 'GET' && u.pathname === repoBase)
      return send(res, 200, {
        id: repoId,
        name: repo,
        full_name: `${owner}/${repo}`,
        owner: { login: owner },
        private: true,
        fork: false,
        default_branch: defaultBranch,
      });
    let c: RegExpExecArray | null;
    if (req.method === 'GET' && (c = /^\/commits\/([^/]+)$/.exec(u.pathname.slice(repoBase.length)))) {
      const ref = decodeURIComponent(c[1]!).toLowerCase();
      const hits = /^[0-9a-f]{4,40}$/.test(ref) ? repoCommits().filter((s) => s.startsWith(ref)) : [];
      if (hits.length !== 1)
        return send(res, 422, {
          message: hits.length ? `The SHA ${ref} is ambiguous` : `No commit found for SHA: ${ref}`,
          documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit',
          status: '422',
        });
      if (/application\/vnd\.github(?:\.v3)?\.sha/.test(String(req.headers.accept ?? ''))) {
        res.writeHead(200, { 'content-type': 'application/vnd.github.sha; charset=utf-8' });
        return void res.end(hits[0]);
      }
      return send(res, 200, { sha: hits[0], commit: { message: 'a commit' } });
    }
    if (req.method === 'GET' && (c = /^\/git\/ref\/tags\/(.+)$/.exec(u.pathname.slice(repoBase.length)))) {
      const name = c[1]!.split('/').map(decodeURIComponent).join('/');
      const sha = tags.get(name);
      if (!sha) return notFound(res);
      return send(res, 200, { ref: `refs/tags/${name}`, object: { type: 'commit', sha } });
    }
    const base = `/repos/${owner}/${repo}/actions/`;
    if (req.method !== 'GET' || !u.pathname.startsWith(base)) return notFound(res);
    const rel = u.pathname.slice(base.length);
    let m: RegExpExecArray | null;
    if ((m = /^runs\/(\d+)\/artifacts$/.exec(rel))) {
      const run = runs.find((r) => r.id === Number(m![1]));
      if (!run) return notFound(res);
      const name = u.searchParams.get('name');
      const list = artifacts.filter((a) => a.runId === run.id && (name === null || a.name === name));
      return send(res, 200, { total_count: list.length, artifacts: list.map(artifactJson) });
    }
    if ((m = /^artifacts\/(\d+)\/zip$/.exec(rel))) {
      const a = artifacts.find((x) => x.id === Number(m![1]));
      if (!a) return notFound(res);
      res.writeHead(302, { location: signedUrl(a), 'content-length': '0' });
      return void res.end();
    }
    if ((m = /^workflows\/([^/]+)\/runs$/.exec(rel))) {
      const workflow = decodeURIComponent(m[1]!);
      if (!runs.some((r) => r.workflow === workflow)) return notFound(res);
      const status = u.searchParams.get('status');
      const headSha = u.searchParams.get('head_sha');
      const perPage = Math.min(Number(u.searchParams.get('per_page') ?? 30) || 30, 100);
      const page = Math.max(Number(u.searchParams.get('page') ?? 1) || 1, 1);
      const list = runs
        .filter(
          (r) =>
            r.workflow === workflow &&
            (!status || status === 'completed' || r.conclusion === status) &&
            (!headSha || r.head_sha === headSha),
        )
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
      return send(res, 200, {
        total_count: list.length,
        workflow_runs: list.slice((page - 1) * perPage, page * perPage).map(runJson),
      });
    }
    return notFound(res);
  }

  /** The attestations endpoints; false when the request is for another path. */
  function attestationsApi(req: IncomingMessage, res: ServerResponse, u: URL, rec: StandinRequest): boolean {
    const repoPath = `/repos/${owner}/${repo}`;
    if (req.method === 'POST' && u.pathname === `${repoPath}/attestations`) {
      const bundle = (rec.body as { bundle?: { dsseEnvelope?: { payload?: string } } })?.bundle;
      const payload = bundle?.dsseEnvelope?.payload;
      if (!payload) return (send(res, 422, { message: 'Validation Failed', status: '422' }), true);
      const st = JSON.parse(Buffer.from(payload, 'base64').toString()) as {
        subject?: { digest?: { sha256?: string } }[];
      };
      for (const sub of st.subject ?? []) addAttestation(`sha256:${sub.digest?.sha256}`, bundle);
      send(res, 201, { id: [...attestations.values()].flat().length });
      return true;
    }
    const m = new RegExp(`^${repoPath}/attestations/([^/]+)$`).exec(u.pathname);
    if (req.method !== 'GET' || !m) return false;
    const list = attestations.get(decodeURIComponent(m[1]!)) ?? [];
    if (!list.length) return (notFound(res), true);
    send(res, 200, {
      attestations: list.map((bundle, i) => ({
        bundle,
        repository_id: repoId,
        bundle_url: `${url}/bundles/${m[1]}/${i + 1}`,
      })),
    });
    return true;
  }

  function twirp(req: IncomingMessage, res: ServerResponse, u: URL, rec: StandinRequest): void {
    if (req.method !== 'POST')
      return twirpError(res, 404, 'bad_route', `no handler for ${req.method} ${u.pathname}`);
    const bearer = /^Bearer (.+)$/.exec(rec.authorization ?? '')?.[1] ?? '';
    const scope = runtimeTokens.get(bearer);
    if (!scope) return twirpError(res, 401, 'unauthenticated', 'invalid or missing runtime token');
    const body = (rec.body ?? {}) as Record<string, unknown>;
    const run = runs.find((r) => r.backendId === scope.backendId)!;
    const method = u.pathname.slice(TWIRP_PREFIX.length);
    // A job's token reads the artifacts of every job of its run (an artifact is named by run, the
    // job that uploaded it, and name: GetSignedArtifactURL names the uploader's job); it creates
    // and finalizes artifacts only as its own job.
    const writes = method === 'CreateArtifact' || method === 'FinalizeArtifact';
    const jobId = body.workflow_job_run_backend_id;
    if (
      body.workflow_run_backend_id !== scope.backendId ||
      (writes ? jobId !== scope.jobBackendId : !jobsOf(run).includes(String(jobId)))
    )
      return twirpError(res, 403, 'permission_denied', 'the token does not grant access to that run');
    if (method === 'ListArtifacts') {
      const name = body.name_filter as string | undefined;
      const id = body.id_filter as string | undefined;
      const list = artifacts.filter(
        (a) =>
          a.runId === run.id &&
          (name === undefined || a.name === name) &&
          (id === undefined || String(a.id) === id),
      );
      return send(res, 200, {
        artifacts: list.map((a) => ({
          workflow_run_backend_id: run.backendId,
          workflow_job_run_backend_id: a.jobBackendId ?? run.jobBackendId,
          database_id: String(a.id),
          name: a.name,
          size: String(a.bytes.length),
          created_at: a.createdAt,
          ...(a.digest === null ? {} : { digest: a.digest }),
        })),
      });
    }
    if (method === 'GetSignedArtifactURL') {
      const a = artifacts.find(
        (x) => x.runId === run.id && x.name === body.name && (x.jobBackendId ?? run.jobBackendId) === jobId,
      );
      if (!a) return twirpError(res, 404, 'not_found', `artifact ${String(body.name)} not found`);
      return send(res, 200, { signed_url: signedUrl(a) });
    }
    if (method === 'CreateArtifact') {
      const name = typeof body.name === 'string' ? body.name : '';
      if (!name) return twirpError(res, 400, 'invalid_argument', 'name is required');
      if (typeof body.version !== 'number' || body.version < 4)
        return twirpError(
          res,
          400,
          'invalid_argument',
          `unsupported artifact version ${String(body.version)}`,
        );
      const pending = [...uploads.values()].some((p) => p.runId === run.id && p.name === name);
      if (pending || artifacts.some((a) => a.runId === run.id && a.name === name))
        return twirpError(
          res,
          409,
          'already_exists',
          `an artifact with this name already exists on the workflow run: ${name}`,
        );
      const upload: PendingUpload = {
        key: randomUUID(),
        sig: randomBytes(12).toString('base64url'),
        runId: run.id,
        jobBackendId: scope.jobBackendId,
        name,
        ...(typeof body.mime_type === 'string' ? { mimeType: body.mime_type } : {}),
        ...(typeof body.expires_at === 'string' ? { expiresAt: body.expires_at } : {}),
        version: body.version,
        staged: new Map(),
      };
      uploads.set(upload.key, upload);
      return send(res, 200, {
        ok: true,
        signed_upload_url: `${url}/blob/actions-results/${upload.key}/${encodeURIComponent(name)}.zip?sv=2025-01-05&sr=b&sp=cw&se=2099-01-01T00%3A00%3A00Z&sig=${upload.sig}`,
      });
    }
    if (method === 'FinalizeArtifact') {
      const upload = [...uploads.values()].find((p) => p.runId === run.id && p.name === body.name);
      if (!upload) return twirpError(res, 404, 'not_found', `artifact ${String(body.name)} was not created`);
      if (!upload.blob)
        return twirpError(res, 412, 'failed_precondition', `artifact ${upload.name}: nothing was uploaded`);
      const size = typeof body.size === 'string' || typeof body.size === 'number' ? String(body.size) : '0';
      if (size !== String(upload.blob.bytes.length))
        return twirpError(
          res,
          400,
          'invalid_argument',
          `size ${size} does not match the uploaded blob (${upload.blob.bytes.length} bytes)`,
        );
      const hash = body.hash === undefined ? null : body.hash;
      if (hash !== null && (typeof hash !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(hash)))
        return twirpError(res, 400, 'invalid_argument', `hash ${JSON.stringify(hash)} is not sha256:<hex>`);
      uploads.delete(upload.key);
      const a: StandinArtifact = {
        id: nextArtifactId++,
        runId: run.id,
        name: upload.name,
        bytes: upload.blob.bytes,
        digest: hash,
        createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        jobBackendId: upload.jobBackendId,
        upload: {
          ...(upload.mimeType !== undefined ? { mimeType: upload.mimeType } : {}),
          ...(upload.expiresAt !== undefined ? { expiresAt: upload.expiresAt } : {}),
          ...(upload.version !== undefined ? { version: upload.version } : {}),
          blobType: upload.blob.type,
          blocks: upload.blob.blocks,
          ...(upload.blob.contentType !== undefined ? { blobContentType: upload.blob.contentType } : {}),
          size,
          hash,
        },
      };
      artifacts.push(a);
      return send(res, 200, { ok: true, artifact_id: String(a.id) });
    }
    return twirpError(res, 404, 'bad_route', `no handler for ${u.pathname}`);
  }

  /** An Azure Storage error: XML body and x-ms-error-code. */
  const azureError = (res: ServerResponse, status: number, code: string, message: string) => {
    const requestId = randomUUID();
    res.writeHead(status, {
      'content-type': 'application/xml',
      'x-ms-error-code': code,
      'x-ms-request-id': requestId,
      'x-ms-version': '2025-01-05',
    });
    res.end(
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`,
    );
  };
  const azureCreated = (res: ServerResponse, req: IncomingMessage, headers: Record<string, string>) => {
    res.writeHead(201, {
      'content-length': '0',
      'x-ms-request-id': randomUUID(),
      'x-ms-version': String(req.headers['x-ms-version'] ?? '2025-01-05'),
      'x-ms-request-server-encrypted': 'true',
      date: new Date().toUTCString(),
      ...headers,
    });
    res.end();
  };

  /** Put Block, Put Block List and Put Blob on a signed upload URL. */
  function blobUpload(req: IncomingMessage, res: ServerResponse, u: URL, bytes: Buffer): void {
    const m = /^\/blob\/actions-results\/([^/]+)\//.exec(u.pathname);
    const upload = m ? uploads.get(m[1]!) : undefined;
    if (!upload || u.searchParams.get('sig') !== upload.sig)
      return azureError(
        res,
        403,
        'AuthenticationFailed',
        'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
      );
    const sentMd5 = req.headers['content-md5'];
    if (typeof sentMd5 === 'string' && sentMd5 !== md5(bytes))
      return azureError(
        res,
        400,
        'Md5Mismatch',
        'The MD5 value specified in the request did not match with the MD5 value calculated by the server.',
      );
    const comp = u.searchParams.get('comp');
    const contentType = req.headers['x-ms-blob-content-type'];
    const etag = () => `"0x8DD${randomBytes(6).toString('hex').toUpperCase()}"`;
    if (comp === 'block') {
      const id = u.searchParams.get('blockid') ?? '';
      const raw = Buffer.from(id, 'base64');
      if (!id || raw.length === 0 || raw.length > 64 || raw.toString('base64') !== id)
        return azureError(
          res,
          400,
          'InvalidQueryParameterValue',
          `Value for one of the query parameters specified in the request URI is invalid: blockid ${id}`,
        );
      const other = upload.staged.keys().next();
      if (!other.done && other.value.length !== id.length)
        return azureError(
          res,
          400,
          'InvalidBlobOrBlock',
          'The specified blob or block content is invalid (block ids of one blob must have the same length).',
        );
      upload.staged.set(id, bytes);
      return azureCreated(res, req, { 'content-md5': md5(bytes) });
    }
    if (comp === 'blocklist') {
      const text = bytes.toString('utf8');
      if (!/<BlockList>[\s\S]*<\/BlockList>/.test(text))
        return azureError(res, 400, 'InvalidXmlDocument', 'XML specified is not syntactically valid.');
      const parts: Buffer[] = [];
      for (const [, kind, id] of text.matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)) {
        // Nothing was committed before in this stand-in: Latest and Uncommitted are staged blocks.
        const block = kind === 'Committed' ? undefined : upload.staged.get(id!.trim());
        if (!block)
          return azureError(
            res,
            400,
            'InvalidBlockList',
            `The specified block list is invalid (block ${id} is not staged).`,
          );
        parts.push(block);
      }
      upload.blob = {
        bytes: Buffer.concat(parts),
        type: 'blocks',
        blocks: parts.length,
        ...(typeof contentType === 'string' ? { contentType } : {}),
      };
      upload.staged.clear(); // uncommitted blocks are discarded on commit
      return azureCreated(res, req, {
        etag: etag(),
        'last-modified': new Date().toUTCString(),
        'content-md5': md5(bytes),
      });
    }
    if (comp !== null)
      return azureError(res, 400, 'InvalidQueryParameterValue', `comp=${comp} is not supported here`);
    if (req.headers['x-ms-blob-type'] !== 'BlockBlob')
      return azureError(
        res,
        400,
        'MissingRequiredHeader',
        "An HTTP header that's mandatory for this request is not specified: x-ms-blob-type",
      );
    upload.blob = {
      bytes,
      type: 'single',
      blocks: 0,
      ...(typeof contentType === 'string' ? { contentType } : {}),
    };
    upload.staged.clear();
    return azureCreated(res, req, {
      etag: etag(),
      'last-modified': new Date().toUTCString(),
      'content-md5': md5(bytes),
    });
  }

  function blob(res: ServerResponse, u: URL): void {
    const m = /^\/blob\/(\d+)\//.exec(u.pathname);
    const a = m ? artifacts.find((x) => x.id === Number(m[1])) : undefined;
    if (!a || u.searchParams.get('sig') !== signatures.get(a.id)) {
      res.writeHead(403, { 'content-type': 'application/xml' });
      return void res.end('<Error><Code>AuthenticationFailed</Code></Error>');
    }
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-length': String(a.bytes.length),
      'content-disposition': `attachment; filename=${a.name}.zip; filename*=UTF-8''${encodeURIComponent(a.name)}.zip`,
    });
    res.end(a.bytes);
  }

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: StandinRequest = {
      method: req.method ?? 'GET',
      path: u.pathname,
      search: u.search,
      authorization: req.headers.authorization,
      size: 0,
      headers: req.headers,
    };
    requests.push(rec);
    readBody(req)
      .then((bytes) => {
        rec.size = bytes.length;
        const binary = u.pathname.startsWith('/blob/') && u.searchParams.get('comp') !== 'blocklist';
        if (bytes.length && !binary) {
          const text = bytes.toString('utf8');
          try {
            rec.body = JSON.parse(text);
          } catch {
            rec.body = text;
          }
        }
        if (u.pathname.startsWith(TWIRP_PREFIX)) return twirp(req, res, u, rec);
        if (u.pathname.startsWith('/blob/'))
          return req.method === 'PUT' ? blobUpload(req, res, u, bytes) : blob(res, u);
        return rest(req, res, u, rec);
      })
      .catch((err: Error) => send(res, 500, { message: err.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    owner,
    repo,
    token,
    requests,
    runs,
    artifacts,
    attestations,
    addAttestation,
    repoId,
    addRun,
    addCommit: (sha) => void extraCommits.add(sha),
    addTag: (name, sha) => void tags.set(name, sha),
    addArtifact({ runId, name, bytes, digest }) {
      if (!runs.some((r) => r.id === runId)) addRun({ id: runId });
      const a: StandinArtifact = {
        id: nextArtifactId++,
        runId,
        name,
        bytes,
        digest: digest === undefined ? sha256Digest(bytes) : digest,
        createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      artifacts.push(a);
      return a;
    },
    runtimeToken(runId, job) {
      const run = runs.find((r) => r.id === runId) ?? addRun({ id: runId });
      let jobBackendId = run.jobBackendId;
      if (job !== undefined) {
        const key = `${run.id}/${job}`;
        if (!jobIds.has(key)) jobIds.set(key, randomUUID());
        jobBackendId = jobIds.get(key)!;
      }
      const now = Math.floor(Date.now() / 1000);
      const jwt = [
        b64url({ typ: 'JWT', alg: 'RS256', x5t: 'seisei-test' }),
        b64url({
          nameid: 'dddddddd-dddd-dddd-dddd-dddddddddddd',
          scp: `Actions.ExampleScope Actions.Results:${run.backendId}:${jobBackendId}`,
          ac: '[]',
          iss: 'vstoken.actions.githubusercontent.com',
          aud: 'vso:00000000-0000-0000-0000-000000000000',
          nbf: now - 60,
          exp: now + 3600,
        }),
        randomBytes(32).toString('base64url'),
      ].join('.');
      runtimeTokens.set(jwt, { backendId: run.backendId, jobBackendId });
      return jwt;
    },
    pendingUploads: () =>
      [...uploads.values()].map((p) => ({ runId: p.runId, name: p.name, committed: !!p.blob })),
    restRequests: () =>
      requests.filter((r) => !r.path.startsWith(TWIRP_PREFIX) && !r.path.startsWith('/blob/')),
    twirpRequests: () => requests.filter((r) => r.path.startsWith(TWIRP_PREFIX)),
    blobRequests: () => requests.filter((r) => r.path.startsWith('/blob/')),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
