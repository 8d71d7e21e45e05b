// Plain-text output for the operator commands: aligned columns, safe text, colour only on a terminal.

/** Control characters (e.g. ANSI escapes from a compose error in the history) never reach the terminal. */
export function clean(text: unknown): string {
  // eslint-disable-next-line no-control-regex -- replacing control characters is the point
  return String(text ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** Terminal columns a string takes: East Asian wide characters (e.g. a Chinese note) take two. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1faff) ||
      (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

/** One line, at most `max` columns, with an ellipsis where it was cut. */
export function shorten(text: unknown, max: number): string {
  const line = clean(String(text ?? '').split('\n')[0]).trim();
  if (displayWidth(line) <= max) return line;
  let out = '';
  for (const ch of line) {
    if (displayWidth(out + ch) > max - 1) break;
    out += ch;
  }
  return out + '…';
}

export interface TableOptions {
  header?: string[];
  indent?: string;
  /** Applied after padding, so colour codes never upset the alignment; the header is row -1. */
  style?: (text: string, row: number, col: number) => string;
}

/** Left-aligned columns two spaces apart; the last column is not padded (no trailing blanks). */
export function table(rows: unknown[][], opts: TableOptions = {}): string {
  const all = (opts.header ? [opts.header, ...rows] : rows).map((r) => r.map(clean));
  const widths: number[] = [];
  for (const r of all) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  const offset = opts.header ? -1 : 0;
  return all
    .map((r, ri) =>
      (
        (opts.indent ?? '') +
        r
          .map((cell, ci) => {
            const padded = ci === r.length - 1 ? cell : cell + ' '.repeat(widths[ci]! - displayWidth(cell));
            return opts.style ? opts.style(padded, ri + offset, ci) : padded;
          })
          .join('  ')
      ).trimEnd(),
    )
    .join('\n');
}

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
}

/** ANSI colours when `on` (stdout is a terminal and NO_COLOR is unset), identity otherwise. */
export function paint(on = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR): Paint {
  const sgr = (code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: sgr('31'), green: sgr('32'), yellow: sgr('33'), bold: sgr('1') };
}

/** `--json` output: one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function print(text: string): void {
  if (text) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}
