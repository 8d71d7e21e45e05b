// Who asked for this run when a non-root user runs the executor through sudo, and how files they
// name are read: with their rights, never root's, so a path cannot reveal or consume root's files.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { DeployError } from './errors.js';
import { checkRootOwnedPath, runsAsRoot } from './ownership.js';

export interface Caller {
  uid: number;
  gid: number;
  user: string;
}

const ID_RE = /^[0-9]{1,10}$/;

/**
 * The non-root user who ran this root process through sudo (sudo sets SUDO_UID/SUDO_GID and, with
 * env_reset, the user cannot set them), or undefined when root itself is the caller.
 */
export function sudoCaller(env: NodeJS.ProcessEnv = process.env): Caller | undefined {
  if (!runsAsRoot()) return undefined;
  const uid = env.SUDO_UID ?? '';
  if (!ID_RE.test(uid) || Number(uid) === 0) return undefined;
  const gid = ID_RE.test(env.SUDO_GID ?? '') ? Number(env.SUDO_GID) : Number(uid);
  return { uid: Number(uid), gid, user: env.SUDO_USER || `uid ${uid}` };
}

const MAX_INPUT_BYTES = 2 * 1024 * 1024;

/**
 * Reads `path` as `caller` (cat run with the caller's uid and gid, no supplementary groups): what
 * the caller could not read, the executor does not read for them. The error names the path and
 * cat's reason, never the content.
 */
export function readAsCaller(path: string, field: string, caller: Caller): string {
  const res = spawnSync('/bin/cat', ['--', path], {
    uid: caller.uid,
    gid: caller.gid,
    env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: MAX_INPUT_BYTES,
    timeout: 10_000,
    encoding: 'utf8',
  });
  const why =
    (res.error as NodeJS.ErrnoException | undefined)?.code === 'ENOBUFS'
      ? `is larger than ${MAX_INPUT_BYTES} bytes`
      : res.error
        ? `cannot be read (${res.error.message})`
        : res.status !== 0
          ? `cannot be read by ${caller.user}: ${String(res.stderr).trim().split('\n')[0]?.slice(0, 300) || `exit ${res.status}`}`
          : undefined;
  if (why)
    throw new DeployError(
      `${field}: ${path} ${why}. Under sudo the executor reads files with the rights of the user who ran it (${caller.user}); give a file that user can read, or send it on stdin`,
      2,
    );
  return String(res.stdout);
}

/** Reads an input file named by the caller: `-` is stdin; under sudo, with the caller's rights. */
export function readInputFile(path: string, field: string): string {
  if (path === '-') return readFileSync(0, 'utf8');
  const caller = sudoCaller();
  if (caller) return readAsCaller(path, field, caller);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new DeployError(`${field}: ${path} cannot be read: ${(err as Error).message}`, 2);
  }
}

/**
 * A request the executor staged itself (`<root>/releases/runs/<stack>/<key>.inputs/request.json`,
 * root's all the way down): the detached half of `run - --detach` reads it with root's rights.
 */
export function isStagedRequest(file: string): boolean {
  const path = resolve(file);
  const dir = dirname(path);
  if (
    basename(path) !== 'request.json' ||
    !dir.endsWith('.inputs') ||
    basename(dirname(dirname(dir))) !== 'runs' ||
    basename(dirname(dirname(dirname(dir)))) !== 'releases'
  )
    return false;
  try {
    checkRootOwnedPath(path, 'request file');
    return true;
  } catch {
    return false;
  }
}
