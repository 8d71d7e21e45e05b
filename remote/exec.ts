// The one runner for external commands: argv arrays (never a shell), output streamed line by line,
// bounded memory (a tail of the output, lines capped), and a timeout that kills the whole process group.
import { spawn } from 'node:child_process';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Kills the command's process group (SIGTERM, then SIGKILL after `graceMs`) when it runs longer. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL of a timed-out command; default 5 s. */
  graceMs?: number;
  /**
   * Bytes of each stream kept for the result (the last ones). Default: 64 KiB when the output is
   * streamed through `onLine` (the result is then only for error messages), 16 MiB when it is not
   * (the caller parses it).
   */
  keepBytes?: number;
  /** Longest line passed to `onLine`, in bytes; longer ones are cut with a marker. Default 16 KiB. */
  maxLineBytes?: number;
}
export interface RunResult {
  code: number;
  /** The last `keepBytes` of the output. */
  stdout: string;
  stderr: string;
  /** Set when the command ran out of time and its process group was killed. */
  timedOut?: boolean;
  /** Output bytes not kept in `stdout`/`stderr` (the head of longer output). */
  dropped: { stdout: number; stderr: number };
  /** The most output bytes this runner held at once (tails and partial lines): bounded by the options. */
  peakHeldBytes: number;
}

export const STREAMED_KEEP_BYTES = 64 * 1024;
export const CAPTURED_KEEP_BYTES = 16 * 1024 * 1024;
export const MAX_LINE_BYTES = 16 * 1024;
const DEFAULT_GRACE_MS = 5000;

export const truncatedMarker = (n: number) => `… [truncated ${n} bytes]`;

/** The last `limit` bytes of a stream, held as chunks (nothing is copied until the end). */
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      const first = this.chunks.shift()!;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }

  get held(): number {
    return this.size;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const cut = Math.max(0, all.length - this.limit);
    this.dropped += cut;
    return all.subarray(cut).toString('utf8');
  }
}

/**
 * Splits a byte stream into lines ending at `\n`, `\r\n` or a lone `\r`, looking at each byte once.
 * A line longer than `maxBytes` keeps its first `maxBytes` bytes and a marker saying how many went.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private cut = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly emit: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== 0x0a && b !== 0x0d) continue;
      this.add(chunk.subarray(start, i));
      this.flush();
      start = i + 1;
    }
    if (start < chunk.length) this.add(chunk.subarray(start));
  }

  /** The stream ended: emits what is left. */
  end(): void {
    this.flush();
  }

  get held(): number {
    return this.kept;
  }

  private add(piece: Buffer): void {
    const room = this.maxBytes - this.kept;
    if (piece.length > room) {
      this.cut += piece.length - Math.max(0, room);
      piece = piece.subarray(0, Math.max(0, room));
    }
    if (!piece.length) return;
    this.parts.push(Buffer.from(piece)); // a copy: the chunk it came from can be freed
    this.kept += piece.length;
  }

  private flush(): void {
    const line =
      Buffer.concat(this.parts, this.kept).toString('utf8') + (this.cut ? truncatedMarker(this.cut) : '');
    this.parts = [];
    this.kept = 0;
    this.cut = 0;
    if (line.trim()) this.emit(line);
  }
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('run: empty command');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // Its own process group, so a timeout ends what it started too (`sh -c 'sleep 3600'`).
      detached: true,
    });
    const keep = opts.keepBytes ?? (opts.onLine ? STREAMED_KEEP_BYTES : CAPTURED_KEEP_BYTES);
    const tails = { stdout: new Tail(keep), stderr: new Tail(keep) };
    const onLine = opts.onLine;
    const splitters = onLine
      ? {
          stdout: new LineSplitter(opts.maxLineBytes ?? MAX_LINE_BYTES, (l) => onLine(l, 'stdout')),
          stderr: new LineSplitter(opts.maxLineBytes ?? MAX_LINE_BYTES, (l) => onLine(l, 'stderr')),
        }
      : undefined;
    let peak = 0;
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      tails[stream].push(chunk);
      splitters?.[stream].push(chunk);
      const held =
        tails.stdout.held +
        tails.stderr.held +
        (splitters ? splitters.stdout.held + splitters.stderr.held : 0);
      if (held > peak) peak = held;
    };
    child.stdout!.on('data', collect('stdout'));
    child.stderr!.on('data', collect('stderr'));
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {}); // a command that exits without reading: its exit code says it
      child.stdin!.end(opts.input);
    }
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup(child.pid, 'SIGTERM');
          killTimer = setTimeout(() => {
            killGroup(child.pid, 'SIGKILL');
            // A process that left the group (setsid) may still hold the pipes: stop waiting for them.
            killTimer = setTimeout(() => {
              child.stdout!.destroy();
              child.stderr!.destroy();
            }, 1000);
          }, opts.graceMs ?? DEFAULT_GRACE_MS);
        }, opts.timeoutMs)
      : undefined;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      // Whatever the command left running in its group ends with it (a timed-out one: at once).
      if (timedOut) killGroup(child.pid, 'SIGKILL');
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (code, signal) => {
      done();
      splitters?.stdout.end();
      splitters?.stderr.end();
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: tails.stdout.text(),
        stderr: tails.stderr.text(),
        ...(timedOut ? { timedOut } : {}),
        dropped: { stdout: tails.stdout.dropped, stderr: tails.stderr.dropped },
        peakHeldBytes: peak,
      });
    });
  });
}

/** Signals a process group; one that is already gone is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* ESRCH: nothing left */
  }
}
