// The deploy history (DESIGN.md section 5): JSON Lines, appended durably, read from the end.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { appendLineDurable } from '../fsutil.js';

export type HistoryMode =
  'deploy' | 'rollback' | 'auto-rollback' | 'verify' | 'unverify' | 'cleanup' | 'unlock';
export type HistoryStatus = 'success' | 'failed' | 'rolled_back';

export interface HistoryRecord {
  ts: string;
  stack: string;
  env: string;
  mode: HistoryMode;
  status: HistoryStatus;
  release_id: string;
  image_tag: string;
  image_ref: string;
  image_digest: string;
  previous_release_id: string;
  actor: string;
  run_id: string;
  break_glass: boolean;
  break_glass_reason: string;
  duration_ms: number;
  error: string;
  [extra: string]: unknown;
}

/** Not world-readable: records carry actors, reasons and error texts. Root and its group read it. */
export const HISTORY_MODE = 0o640;

export function appendHistory(path: string, record: HistoryRecord): void {
  appendLineDurable(path, JSON.stringify(record), HISTORY_MODE);
}

function parseRecord(line: string): HistoryRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const r = JSON.parse(line) as HistoryRecord;
    return r && typeof r === 'object' && typeof r.stack === 'string' ? r : undefined;
  } catch {
    return undefined; // torn or foreign line: skipped, never fatal
  }
}

/**
 * Lines of a file from the last to the first, reading fixed-size chunks backwards. Each byte is
 * looked at once: a line longer than a chunk is gathered as its chunks, joined once when complete.
 */
export function* linesFromEnd(path: string, chunkSize = 64 * 1024): Generator<string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    let pos = fstatSync(fd).size;
    let rest: Buffer[] = []; // the (later) part of the line being gathered, first chunk first
    const take = (head: Buffer): string => {
      const line = rest.length ? Buffer.concat([head, ...rest]) : head;
      rest = [];
      return line.toString('utf8');
    };
    while (pos > 0) {
      const len = Math.min(chunkSize, pos);
      pos -= len;
      const chunk = Buffer.alloc(len);
      readSync(fd, chunk, 0, len, pos);
      let end = len;
      for (
        let nl = chunk.lastIndexOf(0x0a, end - 1);
        nl !== -1;
        nl = end ? chunk.lastIndexOf(0x0a, end - 1) : -1
      ) {
        const line = take(chunk.subarray(nl + 1, end));
        if (line) yield line;
        end = nl;
      }
      if (end) rest.unshift(chunk.subarray(0, end));
    }
    const first = take(Buffer.alloc(0));
    if (first) yield first;
  } finally {
    closeSync(fd);
  }
}

/**
 * Matching records, newest first, read lazily from the end (stop iterating to stop reading).
 * `needle`, when given, is text every wanted line contains (see stackNeedle): other lines are
 * skipped unparsed, which makes a long scan several times cheaper.
 */
export function* recordsFromEnd(
  path: string,
  filter: (r: HistoryRecord) => boolean = () => true,
  needle?: string,
): Generator<HistoryRecord> {
  for (const line of linesFromEnd(path)) {
    if (needle !== undefined && !line.includes(needle)) continue;
    const r = parseRecord(line);
    if (r && filter(r)) yield r;
  }
}

/**
 * Text every record of `stack` contains: its name as a JSON string. Records are written by
 * JSON.stringify, and stack names hold no character that JSON would escape.
 */
export const stackNeedle = (stack: string): string => JSON.stringify(stack);

export function recentRecords(path: string, opts: { stack?: string; limit: number }): HistoryRecord[] {
  const out: HistoryRecord[] = [];
  if (opts.limit <= 0) return out;
  const needle = opts.stack ? stackNeedle(opts.stack) : undefined;
  for (const r of recordsFromEnd(path, (r) => !opts.stack || r.stack === opts.stack, needle)) {
    out.push(r);
    if (out.length >= opts.limit) break;
  }
  return out;
}
