// Following a detached run's journal to its result event: one `follow --offset N` at a time,
// resumed from the consumed byte offset after a dropped connection (every complete line goes to
// onLine exactly once), within a reconnect budget and the timeout_minutes deadline.
import * as core from '@actions/core';
import type { ResultEvent } from '../../common/events.js';
import type { ExecOptions, ExecResult } from '../ssh/connection.js';
import { JournalReader, backoffSchedule, sleep, type JournalLine } from './journal.js';

/** What following needs from the session; the errors it throws come from here too. */
export interface FollowLink {
  /** Runs `follow` from `offset`, reconnecting first when the connection is down. */
  follow(offset: number, opts: ExecOptions): Promise<ExecResult>;
  /** Why the connection ended. */
  closeReason(): string;
  /** `user@host:port`, for messages. */
  label: string;
  host: string;
  /** The outcome is unknown (lost, timed out): the error to throw, with `why`. */
  unknown(why: string): Error;
  /** The job was cancelled while following. */
  cancelled(): Error;
}

export interface FollowLimits {
  signal: AbortSignal;
  timeoutMinutes: number;
  reconnectTimeoutS: number;
  /** First reconnect delay; doubles up to 30 s within reconnectTimeoutS. */
  backoffBaseMs: number;
}

/** Follows until the result event; throws link.unknown/link.cancelled otherwise. */
export async function followJournal(
  link: FollowLink,
  limits: FollowLimits,
  onLine: (l: JournalLine) => void,
): Promise<ResultEvent> {
  const { signal, timeoutMinutes, reconnectTimeoutS } = limits;
  const reader = new JournalReader(0);
  const deadline = Date.now() + timeoutMinutes * 60_000;
  const schedule = backoffSchedule(reconnectTimeoutS * 1000, limits.backoffBaseMs);
  let attempt = 0;
  let lastProblem = '';
  for (;;) {
    if (signal.aborted) throw link.cancelled();
    if (Date.now() >= deadline)
      throw link.unknown(
        `Stopped following after timeout_minutes (${timeoutMinutes}); the run goes on on the server and its outcome is unknown here.`,
      );
    const before = reader.offset;
    let result: ResultEvent | undefined;
    let res: ExecResult | undefined;
    try {
      res = await link.follow(reader.offset, {
        signal,
        timeoutMs: deadline - Date.now(),
        onStdout: (chunk) => {
          if (result) return;
          for (const l of reader.push(chunk)) {
            if (result) break;
            onLine(l);
            if (l.event?.type === 'result') result = l.event;
          }
        },
      });
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    reader.discardPartial();
    if (result) return result;
    if (signal.aborted) throw link.cancelled();
    if (res?.timedOut) continue; // the deadline check above reports it
    if (res)
      lastProblem =
        res.code === null
          ? link.closeReason()
          : `follow exited ${res.code}: ${res.stderr.trim().slice(-500) || 'no output'}`;
    if (reader.offset > before) attempt = 0; // progress: a fresh reconnect budget
    const delay = schedule[attempt++];
    if (delay === undefined)
      throw link.unknown(
        `Lost contact with the run on ${link.label} and could not resume within reconnect_timeout (${reconnectTimeoutS} s); last problem: ${lastProblem}. ` +
          `The outcome is unknown: the run continues on the server.`,
      );
    core.warning(
      `Following the run on ${link.host} was interrupted (${lastProblem}); retrying in ${(delay / 1000).toFixed(1)} s from byte ${reader.offset}`,
    );
    if (!(await sleep(delay, signal))) throw link.cancelled();
  }
}
