// Read-only questions to the Docker daemon over its local unix socket: one HTTP request of a few
// milliseconds instead of a docker CLI process of 20-30 ms. A deploy asks four or more of them
// (preflight, image check, container states while smoking). Used only when the CLI would talk to
// that same socket: DOCKER_HOST unset or unix://, and no docker context selected; otherwise every
// question goes through the docker CLI as before (remote/docker.ts), which knows contexts, TLS and
// ssh:// hosts. Compose, pulls and logins always use the CLI.
import http from 'node:http';
import { enginePing } from './commands/engine.js';
import { readDockerCliConfig } from './docker-cli-config.js';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** The socket the docker CLI would use with this environment, or undefined when it is not a local one. */
export function localEngineSocket(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.DOCKER_HOST;
  if (host) return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return undefined;
  // A context selected with `docker context use`.
  const ctx = readDockerCliConfig(env).currentContext;
  return typeof ctx === 'string' && ctx && ctx !== 'default' ? undefined : DEFAULT_SOCKET;
}

export interface EngineAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class EngineError extends Error {}

/** GET `path` from the daemon at `socket`; rejects with EngineError when it does not answer in time. */
export function engineGet(socket: string, path: string, timeoutMs = 30_000): Promise<EngineAnswer> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new EngineError(`${socket}: ${why}`));
    // agent: false: one connection per question, closed after it, so nothing keeps the process alive.
    const req = http.get({ socketPath: socket, path, agent: false, headers: { host: 'docker' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', (err) => fail(err.message));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? `cannot connect (${err.code}): is dockerd running?`
          : err.message,
      );
    });
  });
}

/** The daemon's version, from the Server header of /_ping ("Docker/20.10.24+dfsg1 (linux)"). */
export async function engineVersion(socket: string, timeoutMs?: number): Promise<string> {
  const r = await engineOk(socket, enginePing(), timeoutMs);
  const server = /^Docker\/(\S+)/.exec(String(r.headers.server ?? ''))?.[1];
  return server ?? `API ${String(r.headers['api-version'] ?? '?')}`;
}

/** The JSON body of a 200 answer. */
export async function engineJson<T>(socket: string, path: string, timeoutMs?: number): Promise<T> {
  return JSON.parse((await engineOk(socket, path, timeoutMs)).body) as T;
}

/** A 200 answer; anything else is an EngineError with the daemon's message. */
async function engineOk(socket: string, path: string, timeoutMs?: number): Promise<EngineAnswer> {
  const r = await engineGet(socket, path, timeoutMs);
  if (r.status !== 200) throw new EngineError(`GET ${path}: HTTP ${r.status} ${daemonMessage(r.body)}`);
  return r;
}

function daemonMessage(body: string): string {
  try {
    return String((JSON.parse(body) as { message?: unknown }).message ?? '').trim();
  } catch {
    return body.trim().slice(0, 200);
  }
}
