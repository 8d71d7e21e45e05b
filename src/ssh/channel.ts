// The action's one exec channel per host: the server check and, on the same channel, what comes
// next when the installed executor is this build (start the run detached and stream its journal,
// or a fleet host's dry run). The shell it runs and the reading of its stdout, as pure functions.
import { preflightScript } from './preflight.js';
import { asRoot, shellJoin, type RemoteOptions } from './shell.js';

/** A word the action sends to choose a command of the channel (`no`, or any unknown word, ends it). */
export const CHANNEL_WORD_RE = /^[a-z][a-z-]{0,30}$/;
export const DECLINE_WORD = 'no';
const NONCE_RE = /^[0-9a-f]{16,64}$/;

/** The line that ends the server check's facts: `end=<nonce>` (a nonce the action chose). */
export const factsEndLine = (nonce: string) => `end=${nonce}`;

/**
 * The shell of the check channel. It runs the server check (preflightScript) with stdin closed and
 * prints `end=<nonce>`. With `commands`, it then reads one word from stdin and `exec`s that word's
 * command (run as root when sudo is on), which reads the rest of stdin; any other word, or the end
 * of stdin, ends it with 0 and nothing run. The command lines are fixed here: only the choice
 * between them travels on the channel.
 */
export function checkChannelScript(
  r: RemoteOptions,
  nonce: string,
  commands: Readonly<Record<string, readonly string[]>> = {},
): string {
  if (!NONCE_RE.test(nonce)) throw new Error(`internal: bad channel nonce ${nonce}`);
  const lines = [`(`, preflightScript(r), `) </dev/null`, `echo ${factsEndLine(nonce)}`];
  const words = Object.keys(commands);
  if (!words.length) return lines.join('\n');
  for (const w of [...words, DECLINE_WORD])
    if (!CHANNEL_WORD_RE.test(w) || (w === DECLINE_WORD && w in commands))
      throw new Error(`internal: bad channel word ${w}`);
  return [
    ...lines,
    `IFS= read -r w || exit 0`,
    `case $w in`,
    ...words.map((w) => `  ${w}) exec ${asRoot(r)}${shellJoin(commands[w]!)} ;;`),
    `esac`,
    `exit 0`,
  ].join('\n');
}

/** What the action sends on the channel's stdin to run `word`'s command with `input` on its stdin. */
export const channelInput = (word: string, input = ''): string => {
  if (!CHANNEL_WORD_RE.test(word)) throw new Error(`internal: bad channel word ${word}`);
  return `${word}\n${input}`;
};

/**
 * Splits a byte stream into a head of whole lines, up to and including the first line for which
 * `last` is true, and the raw bytes after it (passed on as they come). The head is capped at
 * `maxHeadBytes`: a longer one (only a broken or hostile server sends it) ends the head there,
 * marked `overflow`.
 */
export class HeadSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private scanned = 0;
  head?: string;
  overflow = false;

  constructor(
    private readonly last: (line: string) => boolean,
    private readonly maxHeadBytes = 1024 * 1024,
  ) {}

  get done(): boolean {
    return this.head !== undefined;
  }

  /** Feeds a chunk; returns the bytes after the head it holds (empty while the head is not complete). */
  push(chunk: Buffer): Buffer {
    if (this.done) return chunk;
    this.parts.push(chunk);
    this.size += chunk.length;
    const all = Buffer.concat(this.parts, this.size);
    this.parts = [all];
    for (let nl = all.indexOf(0x0a, this.scanned); nl !== -1; nl = all.indexOf(0x0a, this.scanned)) {
      const line = all.subarray(this.scanned, nl).toString('utf8').replace(/\r$/, '');
      this.scanned = nl + 1;
      if (this.last(line)) return this.finish(all, nl + 1);
    }
    if (this.size > this.maxHeadBytes) {
      this.overflow = true;
      return this.finish(all, this.size);
    }
    return Buffer.alloc(0);
  }

  /** The head so far, when the stream ended before its last line. */
  partial(): string {
    return this.head ?? Buffer.concat(this.parts, this.size).toString('utf8');
  }

  private finish(all: Buffer, at: number): Buffer {
    this.head = all.subarray(0, at).toString('utf8');
    this.parts = [];
    this.size = 0;
    return all.subarray(at);
  }
}
