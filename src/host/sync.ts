// Synchronous executor runs of a session (verify, status, a fleet host's dry run): the dry run on
// the server check's channel, kept open for its run when the plan says so (`--then-run`), and the
// error of a synchronous run that was cancelled, timed out or lost.
import type { ExecResult } from '../ssh/connection.js';
import type { TakenChannel } from './check-channel.js';
import { RemoteError } from './upload.js';

/** Where a synchronous run ran, for its errors. */
export interface SyncWhere {
  host: string;
  label: string;
  timeoutMinutes: number;
  closeReason: () => string | undefined;
}

/** A synchronous mode's result, or the error of a cancelled, timed out or lost one. */
export function syncResult(args: readonly string[], res: ExecResult, w: SyncWhere): ExecResult {
  if (res.aborted) throw new RemoteError(`The job was cancelled while ${args[0]} was running on ${w.host}`);
  if (res.timedOut)
    throw new RemoteError(
      `${args[0]} on ${w.host} did not finish within timeout_minutes (${w.timeoutMinutes})`,
    );
  if (res.code === null)
    throw new RemoteError(
      `Lost the connection to ${w.label} while ${args[0]} was running: ${w.closeReason()}`,
    );
  return res;
}

/**
 * A dry run on the check's channel. Without `--then-run`, its whole output. With it, the process
 * stays for the run: its output ends at its result line, and `hold` keeps the channel waiting for
 * start() (or EOF from cleanup); a channel that ended instead gives its exec result.
 */
export async function dryRunOnChannel(
  taken: TakenChannel,
  stdin: string,
  limits: { timeoutMs: number; signal: AbortSignal },
  hold: () => void,
): Promise<ExecResult> {
  const { channel } = taken;
  if (!taken.thenRun) {
    channel.go(taken.word, stdin);
    return channel.output(limits);
  }
  channel.go(taken.word, stdin, { keepOpen: true, untilResult: true });
  const onAbort = () => channel.close();
  limits.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const head = await channel.waitCheck(limits.timeoutMs);
    if (head.closed) return { ...head.closed, stdout: head.text ?? '' };
    hold();
    return { code: 0, signal: null, stdout: head.text ?? '', stderr: '' };
  } finally {
    limits.signal.removeEventListener('abort', onAbort);
  }
}
