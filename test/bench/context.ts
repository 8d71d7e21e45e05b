// What the bench sections share: options, one deploy target (registry, root, sources) started on
// first use, and helpers that run the executor and the hand-run scripts.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startTarget, type CliRun, type Target } from '../e2e/fixture.js';
import { REPO_ROOT, registryLogin, run, type RunResult } from '../support/sandbox.js';
import type { Summary } from './lib.js';

export interface Options {
  quick: boolean;
  /** Timed runs per side of each comparison. */
  runs: number;
  /** An untimed run of each side first (off in quick mode, except where a first run differs). */
  warmup: boolean;
  /** Samples for the cheap measurements (scale, invalid input). */
  samples: number;
}

export interface Bench {
  opts: Options;
  summary: Summary;
  /** The shared target (registry with auth, --root/--source, one sample stack). */
  target(): Promise<Target>;
  /** The target if a section started it (for teardown). */
  peekTarget(): Promise<Target | undefined>;
  /** A DOCKER_CONFIG logged in to the target's registry, as an operator's ~/.docker would be. */
  dockerConfig(): Promise<string>;
}

export function createBench(opts: Options, summary: Summary): Bench {
  let target: Promise<Target> | undefined;
  let config: Promise<string> | undefined;
  const bench: Bench = {
    opts,
    summary,
    target: () => (target ??= startTarget({ smokeTimeoutS: 30 })),
    peekTarget: async () => (target ? target.catch(() => undefined) : undefined),
    dockerConfig: () => (config ??= bench.target().then((t) => registryLogin(t.registry))),
  };
  return bench;
}

export const BENCH_DIR = path.join(REPO_ROOT, 'test', 'bench');

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/** Throws with the run's own words unless the executor reported `status`. */
export function expectStatus(r: CliRun, status: string, what: string): CliRun {
  if (r.result?.status !== status)
    throw new Error(
      `${what}: expected ${status}, got ${r.result?.status ?? `exit ${r.code}`}: ${r.result?.msg ?? ''}\n${r.stderr.slice(-2000)}`,
    );
  return r;
}

/** Runs a bash script of test/bench with an operator's environment; throws unless it exits 0. */
export async function runScript(
  bench: Bench,
  script: string,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DOCKER_CONFIG: await bench.dockerConfig(),
    COMPOSE: 'docker-compose',
    ...extraEnv,
  };
  const r = await run('bash', [path.join(BENCH_DIR, script), ...args], { env });
  if (r.code !== 0)
    throw new Error(`${script} ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  return r;
}

/** Milliseconds between two ISO timestamps of the journal / Date.now(). */
export const stepEvent = (r: CliRun, step: string, status = 'ok') =>
  r.events.find((e) => e.type === 'step' && e.step === step && e.status === status);
