// Following the run journal: byte-offset bookkeeping (only complete lines count, so a resumed
// `follow --offset N` neither repeats nor skips an event) and the reconnect backoff schedule.
import { parseEventLine, type DeployEvent } from './common/events.js';

export interface JournalLine {
  /** The line without its newline. */
  text: string;
  /** The event, when the line is one (other lines are shown as they are). */
  event?: DeployEvent;
  /** Journal offset just after this line. */
  end: number;
}

/** Splits the byte stream of `follow` into lines and counts the bytes of complete lines. */
export class JournalReader {
  private partial: Buffer = Buffer.alloc(0);

  /** @param offset bytes of the journal already consumed (the next `--offset`). */
  constructor(public offset = 0) {}

  /** Feeds one chunk; returns the complete lines it finished. Partial lines wait for the next chunk. */
  push(chunk: Buffer): JournalLine[] {
    const buf = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    const lines: JournalLine[] = [];
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      const text = buf.subarray(start, nl).toString('utf8').replace(/\r$/, '');
      this.offset += nl + 1 - start;
      start = nl + 1;
      lines.push({ text, event: parseEventLine(text), end: this.offset });
    }
    this.partial = Buffer.from(buf.subarray(start));
    return lines;
  }

  /** Bytes received after the last complete line. */
  get pendingBytes(): number {
    return this.partial.length;
  }

  /** Drops an unfinished line (the stream ended mid-line): the next follow re-reads it from `offset`. */
  discardPartial(): number {
    const n = this.partial.length;
    this.partial = Buffer.alloc(0);
    return n;
  }
}

/**
 * Delays (ms) between reconnect attempts: base, 2*base, 4*base, ... capped at capMs, for as long as
 * their sum stays within totalMs. E.g. (120 s, 1 s, 30 s) -> 1, 2, 4, 8, 16, 30, 30 s.
 */
export function backoffSchedule(totalMs: number, baseMs = 1000, capMs = 30_000): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let d = Math.max(1, baseMs); sum + Math.min(d, capMs) <= totalMs; d *= 2) {
    const delay = Math.min(d, capMs);
    out.push(delay);
    sum += delay;
    if (out.length > 1000) break;
  }
  return out;
}

/** Sleeps, ending early (resolving false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
