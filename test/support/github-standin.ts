// A local stand-in of the parts of GitHub that the digest-manifest download talks to, speaking
// their real HTTP protocols so the real @actions/artifact and @actions/github code runs against it:
//
// REST (point GITHUB_API_URL here; octokit sends `authorization: token <github_token>`):
//   GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts?name=   list a run's artifacts
//   GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/zip     302 to a signed blob URL
//   GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs       runs, newest first, paged,
//                                                                     ?status=success filters
// The Actions results service (point ACTIONS_RESULTS_URL here, with ACTIONS_RUNTIME_TOKEN =
// runtimeToken(): a JWT whose `scp` claim holds `Actions.Results:<runBackendId>:<jobBackendId>`,
// which @actions/artifact v6 decodes to find the current run), Twirp with JSON bodies:
//   POST /twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts
//   POST /twirp/github.actions.results.api.v1.ArtifactService/GetSignedArtifactURL
// Blob storage: GET /blob/{artifact_id}/{name}.zip?sig=... (the signed URL both paths end at).
//
// Every request is recorded in `requests`, so tests can check which path the client took.
import AdmZip from 'adm-zip';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/';

export interface StandinRequest {
  method: string;
  path: string;
  /** Query string with the leading '?', or ''. */
  search: string;
  authorization?: string;
  body?: unknown;
}

export interface StandinRun {
  id: number;
  head_sha: string;
  created_at: string;
  /** Workflow file name, e.g. build_ghcr.yml. */
  workflow: string;
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
}

export interface StandinOptions {
  owner?: string;
  repo?: string;
  /** The token REST calls must carry (as `token X` or `Bearer X`). */
  token?: string;
  /** Tokens that authenticate but lack `actions: read`: REST answers 403. */
  tokensWithoutActionsRead?: string[];
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
  addRun(run: Partial<StandinRun> & { id: number; head_sha?: string }): StandinRun;
  /** Adds an artifact to a run (created if missing); digest defaults to the SHA-256 of `bytes`. */
  addArtifact(a: { runId: number; name: string; bytes: Buffer; digest?: string | null }): StandinArtifact;
  /** ACTIONS_RUNTIME_TOKEN for a job of `runId` (created if missing). */
  runtimeToken(runId: number): string;
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

export async function startGitHubStandin(opts: StandinOptions = {}): Promise<GitHubStandin> {
  const owner = opts.owner ?? 'org';
  const repo = opts.repo ?? 'app';
  const token = opts.token ?? `ghs_${randomBytes(18).toString('hex')}`;
  const noActionsRead = new Set(opts.tokensWithoutActionsRead ?? []);
  const requests: StandinRequest[] = [];
  const runs: StandinRun[] = [];
  const artifacts: StandinArtifact[] = [];
  const signatures = new Map<number, string>();
  const runtimeTokens = new Map<string, { backendId: string; jobBackendId: string }>();
  let nextArtifactId = 9000;
  let url = '';

  const addRun: GitHubStandin['addRun'] = (r) => {
    const existing = runs.find((x) => x.id === r.id);
    if (existing) return Object.assign(existing, r);
    const run: StandinRun = {
      head_sha: randomBytes(20).toString('hex'),
      created_at: new Date(Date.UTC(2026, 0, 1) + r.id * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      workflow: 'build_ghcr.yml',
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
    head_branch: 'main',
    head_sha: r.head_sha,
    path: `.github/workflows/${r.workflow}`,
    run_number: r.run_number,
    event: 'push',
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
    new Promise<string>((resolve, reject) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (data += d));
      req.on('end', () => resolve(data));
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
      const perPage = Math.min(Number(u.searchParams.get('per_page') ?? 30) || 30, 100);
      const page = Math.max(Number(u.searchParams.get('page') ?? 1) || 1, 1);
      const list = runs
        .filter(
          (r) => r.workflow === workflow && (!status || status === 'completed' || r.conclusion === status),
        )
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
      return send(res, 200, {
        total_count: list.length,
        workflow_runs: list.slice((page - 1) * perPage, page * perPage).map(runJson),
      });
    }
    return notFound(res);
  }

  function twirp(req: IncomingMessage, res: ServerResponse, u: URL, rec: StandinRequest): void {
    if (req.method !== 'POST')
      return twirpError(res, 404, 'bad_route', `no handler for ${req.method} ${u.pathname}`);
    const bearer = /^Bearer (.+)$/.exec(rec.authorization ?? '')?.[1] ?? '';
    const scope = runtimeTokens.get(bearer);
    if (!scope) return twirpError(res, 401, 'unauthenticated', 'invalid or missing runtime token');
    const body = (rec.body ?? {}) as Record<string, unknown>;
    if (
      body.workflow_run_backend_id !== scope.backendId ||
      body.workflow_job_run_backend_id !== scope.jobBackendId
    )
      return twirpError(res, 403, 'permission_denied', 'the token does not grant access to that run');
    const run = runs.find((r) => r.backendId === scope.backendId)!;
    const method = u.pathname.slice(TWIRP_PREFIX.length);
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
          workflow_job_run_backend_id: run.jobBackendId,
          database_id: String(a.id),
          name: a.name,
          size: String(a.bytes.length),
          created_at: a.createdAt,
          ...(a.digest === null ? {} : { digest: a.digest }),
        })),
      });
    }
    if (method === 'GetSignedArtifactURL') {
      const a = artifacts.find((x) => x.runId === run.id && x.name === body.name);
      if (!a) return twirpError(res, 404, 'not_found', `artifact ${String(body.name)} not found`);
      return send(res, 200, { signed_url: signedUrl(a) });
    }
    return twirpError(res, 404, 'bad_route', `no handler for ${u.pathname}`);
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
    };
    requests.push(rec);
    readBody(req)
      .then((text) => {
        if (text) {
          try {
            rec.body = JSON.parse(text);
          } catch {
            rec.body = text;
          }
        }
        if (u.pathname.startsWith(TWIRP_PREFIX)) return twirp(req, res, u, rec);
        if (u.pathname.startsWith('/blob/')) return blob(res, u);
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
    addRun,
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
    runtimeToken(runId) {
      const run = runs.find((r) => r.id === runId) ?? addRun({ id: runId });
      const now = Math.floor(Date.now() / 1000);
      const jwt = [
        b64url({ typ: 'JWT', alg: 'RS256', x5t: 'seisei-test' }),
        b64url({
          nameid: 'dddddddd-dddd-dddd-dddd-dddddddddddd',
          scp: `Actions.ExampleScope Actions.Results:${run.backendId}:${run.jobBackendId}`,
          ac: '[]',
          iss: 'vstoken.actions.githubusercontent.com',
          aud: 'vso:00000000-0000-0000-0000-000000000000',
          nbf: now - 60,
          exp: now + 3600,
        }),
        randomBytes(32).toString('base64url'),
      ].join('.');
      runtimeTokens.set(jwt, { backendId: run.backendId, jobBackendId: run.jobBackendId });
      return jwt;
    },
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
