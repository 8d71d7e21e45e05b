// Sending files into the action's private temp dir on the server: one exec per file, the bytes on
// its stdin (no SFTP), the sha256 checked there before the file is used; and removing the dir.
import type { SshSession } from '../ssh/connection.js';
import { TEMP_DIR_RE, sendFileScript } from '../ssh/send-file.js';
import { shellQuote } from '../ssh/shell.js';
import { sha256Hex } from './executor.js';

export class RemoteError extends Error {
  override name = 'RemoteError';
}

/** A file for the private temp dir on the server (written 0600, owned by the SSH user). */
export interface UploadFile {
  name: string;
  data: Buffer;
}

/**
 * Sends one file; without `dir` the script first creates the private temp dir (mktemp -d: 0700,
 * owned by the SSH user). Returns the dir.
 */
export async function sendFile(ssh: SshSession, f: UploadFile, dir: string | undefined): Promise<string> {
  const host = ssh.target.host;
  const sha256 = sha256Hex(f.data);
  const res = await ssh.exec(sendFileScript({ name: f.name, sha256 }, dir), {
    stdin: f.data,
    timeoutMs: 120_000,
  });
  const made = /^dir=(.*)$/m.exec(res.stdout)?.[1];
  if (made !== undefined && !dir) {
    if (!TEMP_DIR_RE.test(made))
      throw new RemoteError(
        `cannot create a temporary directory on ${host}: mktemp -d answered ${JSON.stringify(made.slice(0, 200))}`,
      );
    dir = made;
  }
  if (res.code === 0 && dir && new RegExp(`^sent=${sha256}$`, 'm').test(res.stdout)) return dir;
  const why =
    res.code === null
      ? res.timedOut
        ? 'timed out'
        : ssh.closeReason
      : `exit ${res.code}: ${(res.stderr || res.stdout).trim().slice(-500) || 'no output'}`;
  throw new RemoteError(`cannot send ${f.name} to ${host}${dir ? `:${dir}` : ''}: ${why}`);
}

/**
 * Shell that removes the temp dir once the process `pid` has ended, started in the background
 * (nohup) so that it outlives the SSH connection. /proc/<pid> rather than kill -0: the executor is
 * root's, the SSH user may not signal it.
 */
export function removeAfterScript(dir: string, pid: number): string {
  if (!TEMP_DIR_RE.test(dir)) throw new Error(`internal: bad temp dir ${dir}`);
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`internal: bad pid ${pid}`);
  const wait = `while [ -d /proc/${pid} ]; do sleep 5; done; rm -rf -- "$0"`;
  return `nohup sh -c ${shellQuote(wait)} ${shellQuote(dir)} >/dev/null 2>&1 </dev/null &`;
}

/** Shell that removes the temp dir now (the SSH user made it and everything in it: no sudo). */
export function removeNowScript(dir: string): string {
  if (!TEMP_DIR_RE.test(dir)) throw new Error(`internal: bad temp dir ${dir}`);
  return `rm -rf -- ${shellQuote(dir)}`;
}
