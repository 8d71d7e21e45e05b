// Local stand-ins of the services @actions/attest talks to when it signs for a private repository
// (GitHub's Sigstore instance), so the real attest code runs with no traffic off loopback:
//   - the job's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL, plain HTTP on 127.0.0.1): a JWT
//     signed here with GitHub Actions' claims for one workflow run;
//   - an HTTPS proxy (https_proxy) that accepts CONNECT only to the three hosts below and answers
//     them itself, with a TLS certificate from a CA made here (NODE_EXTRA_CA_CERTS):
//       token.actions.githubusercontent.com  OIDC discovery and JWKS (attest verifies the token)
//       fulcio.githubapp.com                 POST /api/v2/signingCert (@sigstore/mock, our CA)
//       timestamp.githubapp.com              POST /api/v1/timestamp (@sigstore/mock, our TSA)
// Any other CONNECT is refused with 403 and recorded.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fulcioHandler, tsaHandler } from '@sigstore/mock';
import type { TestPki } from './sigstore-pki.js';

export const OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
const HOSTS = ['token.actions.githubusercontent.com', 'fulcio.githubapp.com', 'timestamp.githubapp.com'];

/** The workflow run whose token the endpoint hands out. */
export interface RunIdentity {
  repository: string;
  workflowFile: string;
  ref: string;
}

export interface SigstoreStandin {
  /** Environment for the action's process. */
  env: NodeJS.ProcessEnv;
  /** host + path of every request the HTTPS side answered; refused CONNECT targets. */
  requests: string[];
  refused: string[];
  close(): Promise<void>;
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A CA and a server certificate for HOSTS, made with the openssl CLI. */
function tlsMaterial(dir: string): { ca: string; key: string; cert: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=standin-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  run(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=sigstore-standin']);
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${HOSTS.map((h) => `DNS:${h}`).join(',')}\n`);
  run([
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  ]);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: join(dir, 'ca.pem'), key: read('leaf.key'), cert: read('leaf.pem') };
}

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const listen = (s: Server) =>
  new Promise<number>((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)),
  );

export async function startSigstoreStandin(pki: TestPki, run: RunIdentity): Promise<SigstoreStandin> {
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-standin-'));
  const tls = tlsMaterial(dir);
  const requests: string[] = [];
  const refused: string[] = [];

  // The OIDC token: ES256, verified by attest against the JWKS served below.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as JsonWebKey), kid, alg: 'ES256', use: 'sig' };
  const workflowRef = `${run.repository}/.github/workflows/${run.workflowFile}@${run.ref}`;
  const token = (audience: string) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: OIDC_ISSUER,
      aud: audience,
      sub: `repo:${run.repository}:ref:${run.ref}`,
      iat: now,
      nbf: now - 5,
      exp: now + 300,
      ref: run.ref,
      sha: 'f'.repeat(40),
      repository: run.repository,
      repository_owner: run.repository.split('/')[0],
      repository_id: '1',
      repository_owner_id: '2',
      event_name: 'push',
      workflow: 'build',
      workflow_ref: workflowRef,
      job_workflow_ref: workflowRef,
      runner_environment: 'github-hosted',
      run_id: '4242',
      run_attempt: '1',
      // Fulcio puts https://github.com/<job_workflow_ref> in the SAN; the mock takes it from here.
      san: `https://github.com/${workflowRef}`,
    };
    const signing = `${b64url({ alg: 'ES256', typ: 'JWT', kid })}.${b64url(claims)}`;
    const sig = sign('sha256', Buffer.from(signing), {
      key: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })),
      dsaEncoding: 'ieee-p1363',
    });
    return `${signing}.${sig.toString('base64url')}`;
  };
  const requestToken = randomBytes(16).toString('hex');
  const oidc = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers.authorization !== `Bearer ${requestToken}`) return void res.writeHead(401).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ value: token(u.searchParams.get('audience') ?? 'nobody') }));
  });

  const fulcio = fulcioHandler(pki.ca, { subjectClaim: 'san' });
  const tsa = tsaHandler(pki.tsa);
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    requests.push(`${req.method} ${host}${path}`);
    const text = await body(req);
    const json = (status: number, v: unknown) =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (host === HOSTS[0] && path === '/.well-known/openid-configuration')
      return json(200, { issuer: OIDC_ISSUER, jwks_uri: `${OIDC_ISSUER}/.well-known/jwks` });
    if (host === HOSTS[0] && path === '/.well-known/jwks') return json(200, { keys: [jwk] });
    const handler =
      host === HOSTS[1] && path === fulcio.path
        ? fulcio
        : host === HOSTS[2] && path === tsa.path
          ? tsa
          : undefined;
    if (!handler || req.method !== 'POST') return json(404, { message: 'not found' });
    if (handler === tsa) pki.tsaTick();
    const r = await handler.fn(text);
    res.writeHead(r.statusCode, { 'content-type': r.contentType ?? 'text/plain' });
    res.end(
      typeof r.response === 'string'
        ? r.response
        : Buffer.from(r.response.buffer, r.response.byteOffset, r.response.byteLength),
    );
  };
  const https = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    answer(req, res).catch((e: Error) => void res.writeHead(500).end(e.message));
  });
  const proxy = createServer((_req, res) => void res.writeHead(405).end());
  proxy.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const host = (req.url ?? '').replace(/:\d+$/, '');
    if (!HOSTS.includes(host)) {
      refused.push(req.url ?? '');
      return void socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    https.emit('connection', socket);
  });

  const [oidcPort, proxyPort] = await Promise.all([listen(oidc), listen(proxy)]);
  return {
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${oidcPort}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
      https_proxy: `http://127.0.0.1:${proxyPort}`,
      HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`,
      no_proxy: '127.0.0.1,localhost',
      NO_PROXY: '127.0.0.1,localhost',
      NODE_EXTRA_CA_CERTS: tls.ca,
    },
    requests,
    refused,
    close: async () => {
      https.close();
      await Promise.all([oidc, proxy].map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
