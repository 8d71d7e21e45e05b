// Following the run journal: byte-offset bookkeeping (only complete lines count, so a resumed
// `follow --offset N` neither repeats nor skips an event) and the reconnect backoff schedule.
import { parseEventLine, type DeployEvent } from '../../common/events.js';

export interface JournalLine {
  /** The line without its newline. */
  text: string;
  /** The event, when the line is one (other lines are shown as they are). */
  event?: DeployEvent;
  /** Journal offset just after this line. */
  end: number;
}

/** Longest journal line kept, in bytes: a longer one (only a broken or hostile server sends it) is cut. */
export const MAX_JOURNAL_LINE_BYTES = 4 * 1024 * 1024;

export const cutMarker = (n: number) => `… [truncated ${n} bytes]`;

/**
 * Splits the byte stream of `follow` into lines and counts the bytes of complete lines. Each byte is
 * looked at once, however long the line; a line longer than `maxLineBytes` keeps its head and a
 * marker (its bytes still count towards the offset).
 */
export class JournalReader {
  private parts: Buffer[] = [];
  private kept = 0;
  private pending = 0;

  /** @param offset bytes of the journal already consumed (the next `--offset`). */
  constructor(
    public offset = 0,
    private readonly maxLineBytes = MAX_JOURNAL_LINE_BYTES,
  ) {}

  /** Feeds one chunk; returns the complete lines it finished. Partial lines wait for the next chunk. */
  push(chunk: Buffer): JournalLine[] {
    const lines: JournalLine[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.add(chunk.subarray(start, nl));
      const cut = this.pending - this.kept;
      const text = Buffer.concat(this.parts, this.kept).toString('utf8').replace(/\r$/, '');
      this.offset += this.pending + 1;
      this.parts = [];
      this.kept = this.pending = 0;
      start = nl + 1;
      lines.push(
        cut
          ? { text: text + cutMarker(cut), end: this.offset }
          : { text, event: parseEventLine(text), end: this.offset },
      );
    }
    this.add(chunk.subarray(start));
    return lines;
  }

  /** Bytes received after the last complete line. */
  get pendingBytes(): number {
    return this.pending;
  }

  /** Drops an unfinished line (the stream ended mid-line): the next follow re-reads it from `offset`. */
  discardPartial(): number {
    const n = this.pending;
    this.parts = [];
    this.kept = this.pending = 0;
    return n;
  }

  private add(piece: Buffer): void {
    this.pending += piece.length;
    const room = this.maxLineBytes - this.kept;
    if (room <= 0 || !piece.length) return;
    const part = piece.length > room ? piece.subarray(0, room) : piece;
    this.parts.push(Buffer.from(part)); // a copy: the chunk it came from can be freed
    this.kept += part.length;
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
