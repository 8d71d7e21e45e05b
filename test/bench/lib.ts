// Measuring and printing for the benchmark: interleaved runs, min/median/max, the summary table.
// Nothing here asserts a timing: the bench prints figures and a PASS/MISS verdict against targets.
import { performance } from 'node:perf_hooks';

export interface Stats {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function stats(xs: readonly number[]): Stats {
  if (!xs.length) throw new Error('stats of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, min: s[0]!, median, max: s[s.length - 1]! };
}

/** Milliseconds taken by `body`. */
export async function timed(body: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await body();
  return performance.now() - start;
}

export const fmtMs = (ms: number): string =>
  ms >= 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${Math.round(ms)} ms`;

export const fmtStats = (s: Stats): string =>
  `min ${fmtMs(s.min).padStart(7)}  median ${fmtMs(s.median).padStart(7)}  max ${fmtMs(s.max).padStart(7)}  (n=${s.n})`;

export interface Side {
  name: string;
  /** Untimed preparation before each run (e.g. removing an image so the run must pull it). */
  before?: (i: number) => Promise<void>;
  /** One run; returns its duration in ms (use `timed`), so a side can leave out its own setup. */
  run: (i: number) => Promise<number>;
}

/**
 * Runs every side `runs` times, interleaved (A B, then B A, ...) so that drifting machine load
 * hits both alike, after one untimed warm-up run of each side. Returns the samples per side.
 */
export async function interleaved(
  runs: number,
  sides: readonly Side[],
  opts: { warmup?: boolean } = {},
): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
  if (opts.warmup ?? true)
    for (const s of sides) {
      await s.before?.(-1);
      await s.run(-1);
    }
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? [...sides].reverse() : sides;
    for (const s of order) {
      await s.before?.(i);
      samples[s.name]!.push(await s.run(i));
    }
  }
  return samples;
}

export type Verdict = 'PASS' | 'MISS' | 'info' | 'SKIP';

export interface Row {
  section: string;
  metric: string;
  value: string;
  target: string;
  verdict: Verdict;
}

/** Collects the rows of the final table as sections report them. */
export class Summary {
  readonly rows: Row[] = [];

  add(section: string, metric: string, value: string, target = '', verdict: Verdict = 'info'): void {
    this.rows.push({ section, metric, value, target, verdict });
  }

  /** A figure checked against an upper bound. */
  check(section: string, metric: string, value: number, limit: number, show: (x: number) => string): void {
    this.add(section, metric, show(value), `≤ ${show(limit)}`, value <= limit ? 'PASS' : 'MISS');
  }

  render(): string {
    const header: Row = {
      section: 'section',
      metric: 'metric',
      value: 'median',
      target: 'target',
      verdict: 'PASS',
    };
    const cells = (r: Row) => [r.section, r.metric, r.value, r.target, r === header ? 'verdict' : r.verdict];
    const all = [header, ...this.rows].map(cells);
    const widths = all[0]!.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
    const line = (row: string[]) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd();
    return [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
  }
}

export const ratio = (x: number) => x.toFixed(2);

/** Prints a comparison: each side's figures and the median ratio of the first side to the second. */
export function printComparison(
  title: string,
  samples: Record<string, number[]>,
  [mine, baseline]: [string, string],
): { ratio: number; mine: Stats; baseline: Stats } {
  const a = stats(samples[mine]!);
  const b = stats(samples[baseline]!);
  log(`  ${title}`);
  const width = Math.max(mine.length, baseline.length);
  log(`    ${mine.padEnd(width)}  ${fmtStats(a)}`);
  log(`    ${baseline.padEnd(width)}  ${fmtStats(b)}`);
  const r = a.median / b.median;
  log(`    median ratio ${mine}/${baseline}: ${ratio(r)}`);
  return { ratio: r, mine: a, baseline: b };
}

export function log(line = ''): void {
  process.stdout.write(line + '\n');
}

export function heading(text: string): void {
  log();
  log(`== ${text}`);
}
