// Small building blocks shared by the sandbox helpers: temp dirs, ports, polling, daemons.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const tempDirs: string[] = [];

/**
 * A fresh directory under the system temp dir, e.g. /tmp/seisei-registry-XXXXXX, removed when
 * the process exits (set SEISEI_KEEP_TMP=1 to keep them for debugging).
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `seisei-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (callers retry if they lose a race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      server.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Calls `check` every `intervalMs` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** GET without redirects or keep-alive; throws only when there is no answer at all. */
export async function httpGet(url: string, timeoutMs = 5_000): Promise<HttpResponse> {
  const res = await fetch(url, {
    redirect: 'manual',
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.text() };
}

/** Polls `url` until it answers with `status` (any answer at all when status is omitted). */
export function waitForHttp(url: string, status?: number, timeoutMs = 30_000): Promise<HttpResponse> {
  return waitFor(
    `${url} to answer${status ? ` ${status}` : ''}`,
    async () => {
      const res = await httpGet(url);
      return status === undefined || res.status === status ? res : undefined;
    },
    { timeoutMs },
  );
}

// Daemons we spawn are unref'd so a test process can exit, and killed when it does.
const daemons = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of daemons) child.kill('SIGKILL');
  if (process.env.SEISEI_KEEP_TMP === '1') return;
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export interface DaemonOptions {
  /** Outlives this process (its own session, not killed at exit): the demo's sandbox. */
  persistent?: boolean;
}

/** Starts a long-running child with stdout+stderr appended to `logFile`. */
export function spawnDaemon(
  cmd: string,
  args: readonly string[],
  logFile: string,
  opts: DaemonOptions = {},
): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: opts.persistent ?? false });
  closeSync(fd);
  if (opts.persistent) {
    child.unref();
    return child;
  }
  daemons.add(child);
  child.on('exit', () => daemons.delete(child));
  child.on('error', () => daemons.delete(child));
  child.unref();
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopDaemon(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Starts a daemon and waits until `ready()` says so; fails early, with its log, if it exits. */
export async function startDaemon(
  name: string,
  cmd: string,
  args: readonly string[],
  logFile: string,
  ready: () => Promise<boolean>,
  timeoutMs = 20_000,
  opts: DaemonOptions = {},
): Promise<ChildProcess> {
  const child = spawnDaemon(cmd, args, logFile, opts);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(child)) throw new Error(`${name} exited during startup:\n${await tail(logFile)}`);
    if (await ready().catch(() => false)) return child;
    if (Date.now() > deadline) {
      await stopDaemon(child);
      throw new Error(`${name} not ready after ${timeoutMs} ms:\n${await tail(logFile)}`);
    }
    await sleep(100);
  }
}

/** Last lines of a log file, for error messages. */
export async function tail(file: string, lines = 20): Promise<string> {
  if (!existsSync(file)) return '(no log)';
  const text = await readFile(file, 'utf8');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** True when something accepts TCP connections on host:port. */
export function canConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Live (non-zombie) processes whose process group is `pgid` (read from /proc). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}
