// One exec channel of a host session, read in phases (the protocol is in src/ssh/channel.ts): the
// server check's facts up to `end=<nonce>`; after the action's word, the start line of a detached
// run (`run - --detach --follow`) and the journal bytes after it, handed to following, or a dry
// run's output (up to its result line when the same process then takes the run: `--then-run`).
// Every byte is the server's: the caller parses and neutralises it.
import { parseEventLine } from '../../common/events.js';
import type { ExecOptions, ExecResult, SshSession, StdinLater } from '../ssh/connection.js';
import { channelInput, DECLINE_WORD, factsEndLine, HeadSplitter } from '../ssh/channel.js';

/** How a phase ended: its text, or the channel's end (then `closed` is the exec's result). */
export interface PhaseEnd {
  text?: string;
  closed?: ExecResult;
}

export class OpenChannel {
  private readonly done: Promise<ExecResult>;
  private result?: ExecResult;
  private stdin?: StdinLater;
  private worded = false;
  private readonly ctl = new AbortController();
  private facts?: HeadSplitter;
  private check?: HeadSplitter;
  private start?: HeadSplitter;
  private body: Buffer[] = [];
  private sink?: (chunk: Buffer) => void;
  private wake: (() => void)[] = [];
  private timedOut = false;

  /**
   * Runs `command`. With `factsNonce` its stdout begins with the server check's facts and stdin
   * stays open for the word (go()); else `stdin` is sent at once and, with `startLine`, the first
   * line is the start information.
   */
  constructor(
    ssh: SshSession,
    command: string,
    opts: { factsNonce?: string; stdin?: string; startLine?: boolean },
  ) {
    if (opts.factsNonce) {
      const end = factsEndLine(opts.factsNonce);
      this.facts = new HeadSplitter((l) => l === end, 256 * 1024);
    }
    if (opts.startLine) this.start = new HeadSplitter(() => true, 256 * 1024);
    const exec: ExecOptions = {
      signal: this.ctl.signal,
      onStdout: (chunk) => this.take(chunk),
      ...(opts.factsNonce
        ? { stdinLater: (stdin) => void (this.stdin = stdin) }
        : { stdin: opts.stdin ?? '' }),
    };
    this.done = ssh.exec(command, exec).then(
      (r) => this.ended(r),
      (err: unknown) => {
        this.ended({ code: null, signal: null, stdout: '', stderr: String(err) });
        throw err;
      },
    );
    this.done.catch(() => undefined);
  }

  get closed(): boolean {
    return this.result !== undefined;
  }

  /** Waits for the facts (up to `end=<nonce>`), the channel's end, or `timeoutMs`. */
  async waitFacts(timeoutMs: number): Promise<PhaseEnd> {
    const ok = await this.until(() => this.facts?.done ?? true, timeoutMs);
    if (!ok) this.stop(true);
    if (this.facts?.done && !this.facts.overflow) return { text: this.facts.head };
    return { closed: this.flagged(await this.done), text: this.facts?.partial() };
  }

  /**
   * Sends the word and the input of its command: the rest of stdin, or with `keepOpen` one line
   * of it (a dry run whose process then takes the run: `thenRun()` sends that, or `decline()` EOF);
   * `untilResult` ends the head at the dry run's result line.
   */
  go(
    word: string,
    input = '',
    opts: { startLine?: boolean; keepOpen?: boolean; untilResult?: boolean } = {},
  ): void {
    if (opts.untilResult) this.headAfter('check', (l) => parseEventLine(l)?.type === 'result');
    if (opts.startLine) this.headAfter('start', () => true);
    this.worded = true;
    if (opts.keepOpen) this.stdin?.write(channelInput(word, `${input}\n`));
    else this.end(channelInput(word, input));
  }

  /** After a dry run kept the channel (go with keepOpen), sends the run's input: its start line follows. */
  thenRun(input: string): void {
    this.headAfter('start', () => true);
    this.end(`${input}\n`);
  }

  /** Ends the channel's stdin: before a word it says `no` (nothing runs), after a dry run it is EOF. */
  decline(): void {
    this.end(this.worded ? undefined : `${DECLINE_WORD}\n`);
  }

  private end(data?: string): void {
    this.stdin?.end(data);
    this.stdin = undefined;
  }

  /** Starts a head phase; bytes that arrived before it pass through it first. */
  private headAfter(which: 'check' | 'start', last: (line: string) => boolean): void {
    this[which] = new HeadSplitter(last, which === 'check' ? 4 * 1024 * 1024 : 256 * 1024);
    const early = this.body;
    this.body = [];
    for (const b of early) this.take(b);
  }

  /** Waits for the dry run's output up to its result line, the channel's end, or `timeoutMs`. */
  async waitCheck(timeoutMs: number): Promise<PhaseEnd> {
    const ok = await this.until(() => this.check?.done ?? true, timeoutMs);
    if (!ok) this.stop(true);
    if (this.check?.done && !this.check.overflow) return { text: this.check.head };
    return { closed: this.flagged(await this.done), text: this.check?.partial() };
  }

  /** Waits for the start line, the channel's end, or `timeoutMs` (then closes it). */
  async waitStart(timeoutMs: number): Promise<PhaseEnd> {
    const ok = await this.until(() => this.start?.done ?? true, timeoutMs);
    if (!ok) this.stop(true);
    if (this.start?.done && !this.start.overflow) return { text: this.start.head };
    return { closed: this.flagged(await this.done) };
  }

  /**
   * Hands the bytes after the heads to `opts.onStdout` (those received so far first) until the
   * channel closes: as one `follow` exec would (timeoutMs and signal included).
   */
  async stream(opts: ExecOptions): Promise<ExecResult> {
    this.sink = opts.onStdout;
    const early = this.body;
    this.body = [];
    for (const b of early) this.sink?.(b);
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      this.stop(false);
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => this.stop(true), Math.max(0, opts.timeoutMs));
    try {
      const r = await this.done;
      const { aborted: _, timedOut: __, ...rest } = r;
      return {
        ...rest,
        stdout: '',
        ...(this.timedOut ? { timedOut: true } : {}),
        ...(aborted ? { aborted: true } : {}),
      };
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The whole output after the heads, once the channel closes (a dry run's stdout). */
  async output(opts: { timeoutMs: number; signal: AbortSignal }): Promise<ExecResult> {
    const chunks: Buffer[] = [];
    const r = await this.stream({ ...opts, onStdout: (c) => chunks.push(c) });
    return { ...r, stdout: Buffer.concat(chunks).toString('utf8') };
  }

  /** Closes the channel (the remote command gets EOF/SIGPIPE; a detached run is unaffected). */
  close(): void {
    this.decline();
    this.stop(false);
  }

  /** The exec's result, timedOut when a wait here ran out (the exec only saw an abort). */
  private flagged(r: ExecResult): ExecResult {
    if (!this.timedOut) return r;
    const { aborted: _, ...rest } = r;
    return { ...rest, timedOut: true };
  }

  private stop(timedOut: boolean): void {
    if (this.closed) return;
    if (timedOut) this.timedOut = true;
    this.ctl.abort();
  }

  private take(chunk: Buffer): void {
    let rest = chunk;
    for (const head of [this.facts, this.check, this.start]) {
      if (!head || head.done) continue;
      rest = head.push(rest);
      if (head.done) this.notify();
      if (!rest.length) return;
    }
    if (this.sink) this.sink(rest);
    else this.body.push(rest);
  }

  private ended(r: ExecResult): ExecResult {
    this.result = r;
    this.notify();
    return r;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  /** Resolves true when `cond` holds or the channel closed, false after timeoutMs. */
  private until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (cond() || this.closed) {
          clearTimeout(timer);
          resolve(true);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const loop = () => {
        if (!check()) this.wake.push(loop);
      };
      loop();
    });
  }
}
