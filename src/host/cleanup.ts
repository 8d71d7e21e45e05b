// Removing the action's temp dir on the server at the end of a session. While a started run may
// still need it (no result seen: cancelled, lost, timed out), removal is left to a small background
// job on the server that waits for the executor's pid to end. The dir holds no secret then: the
// executor deletes the password file as soon as it reads it.
import * as core from '@actions/core';
import { safeText } from '../neutralise.js';
import type { SshSession } from '../ssh/connection.js';
import { removeAfterScript, removeNowScript } from './upload.js';

export interface TempDirEnd {
  dir: string;
  host: string;
  /** A run was started and its result not seen: it may still read the dir. */
  runMayNeedIt: boolean;
  /** The detached executor's pid, when known. */
  pid: number | undefined;
  /** A live session, reconnecting once if it dropped; undefined when there is none. */
  connected: () => Promise<SshSession | undefined>;
}

/** Removes the temp dir now, or once the run's pid ends; true when it is gone now. */
export async function removeTempDir(end: TempDirEnd): Promise<boolean> {
  const { dir, host, pid } = end;
  let session = await end.connected();
  if (!session) {
    core.warning(`Could not remove ${dir} on ${host} (no connection); it holds no secrets`);
    return false;
  }
  const exec = (s: SshSession, cmd: string, timeoutMs: number) =>
    s.exec(cmd, { timeoutMs }).catch((e: Error) => ({ code: -1, stderr: e.message }));
  if (end.runMayNeedIt) {
    if (!pid) {
      core.info(`Left ${dir} on ${host}: the run may still be reading it (it holds no secrets)`);
      return false;
    }
    const res = await exec(session, removeAfterScript(dir, pid), 15_000);
    core.info(
      safeText(
        res.code === 0
          ? `${dir} on ${host} will be removed when the run (pid ${pid}) ends`
          : `Left ${dir} on ${host} (it holds no secrets): ${res.stderr}`,
      ),
    );
    return false;
  }
  let res = await exec(session, removeNowScript(dir), 30_000);
  // The connection dropped during the rm itself: reconnect once and try again.
  if (res.code !== 0 && (session = await end.connected()))
    res = await exec(session, removeNowScript(dir), 30_000);
  if (res.code === 0) return true;
  core.warning(`Could not remove ${dir} on ${host}: ${res.stderr || 'unknown error'}`);
  return false;
}
