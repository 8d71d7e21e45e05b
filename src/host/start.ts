// Starting a run on the server and reading its start: launching `run - --detach` (on the check's
// channel, on one of its own, or apart for an older executor), the start line `{run_key, journal,
// pid}`, what a start without one means (refused, lost, failed), the error for a run whose outcome
// the action no longer knows, and how an operator checks such a run.
import { layout } from '../../common/layout.js';
import type { DeployRequest, RollbackRequest } from '../../common/request.js';
import type { StatusOfError } from '../report/outputs.js';
import type { ExecResult, SshSession } from '../ssh/connection.js';
import type { SshTarget } from '../ssh/target.js';
import { OpenChannel } from './channel.js';
import type { TakenChannel } from './check-channel.js';
import { RemoteError } from './upload.js';

/** The run may still be going on the server; we no longer know how it ends. */
export class OutcomeUnknownError extends RemoteError implements StatusOfError {
  override name = 'OutcomeUnknownError';
  readonly outputStatus = 'unknown';
}

export interface StartInfo {
  run_key: string;
  journal: string;
  pid?: number;
}

/** What `remote.cjs run -` reads on stdin. */
export interface RunInputs {
  request: DeployRequest | RollbackRequest;
  digest_manifest?: string;
  registry_password?: string;
}

/** How long starting a run may take (the executor validates before it detaches). */
export const START_TIMEOUT_MS = 120_000;

/** What launching a run needs of its session. */
export interface Launcher {
  /** The check's channel, when the run may start on it. */
  taken: TakenChannel | undefined;
  /** An installed executor of another build: `run --detach` apart, as it may not know `--follow`. */
  apart: boolean;
  live: () => SshSession;
  cli: (args: readonly string[]) => string;
}

/** A launched run: its start line (and the channel streaming its journal), or how the start ended. */
export type Launched = { line: string; channel?: OpenChannel } | { failed: ExecResult };

/**
 * Sends `stdin` (request, manifest, password: the executor stages them privately) to `run -
 * --detach`, and waits for the start line.
 */
export async function launchRun(l: Launcher, runKey: string, stdin: string): Promise<Launched> {
  const { taken } = l;
  if (l.apart) {
    // `run - --detach` on a channel of its own, then `follow` on another.
    const res = await l.live().exec(l.cli(['run', '-', '--detach', '--run-key', runKey]), {
      timeoutMs: START_TIMEOUT_MS,
      stdin,
    });
    return res.code !== 0 ? { failed: res } : { line: res.stdout };
  }
  let channel: OpenChannel;
  if (taken?.afterCheck) {
    channel = taken.channel;
    channel.thenRun(stdin); // the dry run's process starts it: no exec, no node start of its own
  } else if (taken) {
    channel = taken.channel;
    channel.go(taken.word, stdin, { startLine: true });
  } else {
    // Uploaded (or a session's second run): its own channel, started and streamed the same way.
    const command = l.cli(['run', '-', '--detach', '--follow', '--run-key', runKey]);
    channel = new OpenChannel(l.live(), command, { stdin, startLine: true });
  }
  const head = await channel.waitStart(START_TIMEOUT_MS);
  return head.text === undefined ? { failed: head.closed! } : { line: head.text, channel };
}

/** The start of a run the session knows of, for howToCheck. */
export interface RunWhere {
  root: string;
  target: SshTarget;
  runKey?: string;
  journal?: string;
  stack?: string;
}

/** How an operator finds out what happened, for messages when we stop following. */
export function howToCheck(w: RunWhere): string {
  const { cli } = layout(w.root);
  const t = w.target;
  return (
    `Run key: ${w.runKey ?? '(unknown)'}. Journal: ${w.journal ?? '(unknown)'}. ` +
    `Check on the server: ssh -p ${t.port} ${t.username}@${t.host} sudo ${cli} status ${w.stack ?? '<stack>'}` +
    (w.journal ? `, and read the journal: sudo cat ${w.journal}` : '')
  );
}

const noRunInformation = (stdout: string) =>
  new RemoteError(
    `The executor started but printed no run information (stdout: ${JSON.stringify(stdout.slice(-500))})`,
  );

/** The last line of `run --detach`: `{run_key, journal, pid}` of this run. */
export function parseStartInfo(stdout: string, runKey: string): StartInfo {
  const line = stdout.trim().split('\n').pop() ?? '';
  let info: StartInfo;
  try {
    info = JSON.parse(line) as StartInfo;
  } catch {
    throw noRunInformation(stdout);
  }
  if (info.run_key !== runKey || typeof info.journal !== 'string')
    throw new RemoteError(`The executor answered with an unexpected run (${line.slice(0, 300)})`);
  return info;
}

/** Whether a start that ended without a start line may have started the run (never clean up under it). */
export const mayHaveStarted = (res: ExecResult) => res.code === null || res.code === 0;

/**
 * The error of a start that ended without a start line: refused (exit 2), lost (no exit: it may have
 * started; `check` says how to look), failed, or exit 0 without the line.
 */
export function startError(
  res: ExecResult,
  where: { host: string; label: string; closeReason: string | undefined; check: () => string },
): RemoteError {
  if (res.code === 2)
    return new RemoteError(`The executor refused the request: ${res.stderr.trim() || res.stdout.trim()}`);
  if (res.code === null)
    return new OutcomeUnknownError(
      `Lost the connection while starting the run on ${where.label} (${res.timedOut ? 'timed out' : (where.closeReason ?? 'connection lost')}); it may have started. ` +
        where.check(),
    );
  if (res.code !== 0)
    return new RemoteError(
      `Starting the executor on ${where.host} failed (exit ${res.code}): ${(res.stderr || res.stdout).trim().slice(-2000)}`,
    );
  return noRunInformation('');
}
