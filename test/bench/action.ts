// Section 3: what the action adds around the executor. dist/index.js runs as the runner runs it
// (Node 24, INPUT_* variables: test/e2e/action-harness.ts) against a real sshd on 127.0.0.1 with
// the server's node (test/e2e/action-fixture.ts). The executor's own time is taken from the
// server: its process start (/proc, 10 ms resolution) to the result event of its journal.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseEventLine, type DeployEvent } from '../../src/common/events.js';
import { startDeployServer } from '../e2e/action-fixture.js';
import {
  ACTION_JS,
  describeRun,
  runAction,
  type ActionResult,
  type LineHook,
} from '../e2e/action-harness.js';
import { REMOTE_JS } from '../e2e/fixture.js';
import { REPO_ROOT, run, runnerNode } from '../support/sandbox.js';
import type { Bench } from './context.js';
import { fmtMs, fmtStats, heading, log, stats, timed } from './lib.js';

const OVERHEAD_TARGET_MS = 600;
const INVALID_INPUT_TARGET_MS = 250;

const kib = (file: string) => `${Math.round(statSync(file).size / 1024).toLocaleString('en')} KiB`;

/** Wall-clock time (ms since the epoch) a process started, from /proc: clock ticks since boot. */
function processStartMs(startTicks: string): number {
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  return btime * 1000 + Number(startTicks) * 10; // USER_HZ is 100 on Linux
}

interface Split {
  total: number;
  /** From spawning dist/index.js to the executor process starting on the server. */
  toExecutor: number;
  /** Executor process start to its result event. */
  executor: number;
  /** Where the action's own time goes, in ms (phases end at the log lines of PHASES). */
  phases: Record<string, number>;
}

/** Log lines of the action that end a phase, in order; the last phase ends at the executor's result. */
const PHASES: [string, RegExp][] = [
  ['node start + load', /^::group::Inputs/],
  ['inputs + manifest', /^::group::Connect to /],
  ['ssh connect', /^Connected to /],
  ['server preflight', /^Server: /],
  ['upload', /^Uploaded /],
  ['run --detach', /^Run \S+ started on /],
];

/** Hooks that note when each phase's line appears. */
function phaseHooks(seen: Record<string, number>): LineHook[] {
  return PHASES.map(([name, match]) => ({ match, run: () => void (seen[name] = Date.now()) }));
}

function split(
  r: ActionResult,
  spawnedAt: number,
  seen: Record<string, number>,
  root: string,
  stack: string,
): Split {
  const key = r.lines.map((l) => /^Run (\S+) started on /.exec(l)?.[1]).find(Boolean);
  if (!key) throw new Error(`no "Run <key> started" line:\n${describeRun(r)}`);
  const base = path.join(root, 'releases', 'runs', stack, key);
  const pid = JSON.parse(readFileSync(`${base}.pid`, 'utf8')) as { start_time: string };
  const events = readFileSync(`${base}.jsonl`, 'utf8')
    .split('\n')
    .map(parseEventLine)
    .filter((e): e is DeployEvent => Boolean(e));
  const result = events.find((e) => e.type === 'result');
  if (!result) throw new Error(`no result in the journal of ${key}`);
  const started = processStartMs(pid.start_time);
  const phases: Record<string, number> = {};
  let from = spawnedAt;
  for (const [name] of PHASES) {
    phases[name] = (seen[name] ?? from) - from;
    from = seen[name] ?? from;
  }
  const resultAt = Date.parse(result.ts);
  phases['(executor runs)'] = resultAt - from;
  phases['follow + finish'] = spawnedAt + r.durationMs - resultAt;
  return { total: r.durationMs, toExecutor: started - spawnedAt, executor: resultAt - started, phases };
}

export async function actionSection(b: Bench): Promise<void> {
  heading('3. action: dist/index.js over loopback SSH');
  if (!existsSync(ACTION_JS) || !existsSync(path.join(REPO_ROOT, 'src', 'main.ts'))) {
    log('  SKIP: dist/index.js or src/main.ts is missing');
    b.summary.add('action', 'action overhead', '-', `≤ ${fmtMs(OVERHEAD_TARGET_MS)}`, 'SKIP');
    return;
  }
  log(`  bundle sizes: dist/index.js ${kib(ACTION_JS)}, dist/remote.cjs ${kib(REMOTE_JS)}`);
  b.summary.add('action', 'bundle size index.js / remote.cjs', `${kib(ACTION_JS)} / ${kib(REMOTE_JS)}`);

  // An invalid input fails before anything heavy is loaded; a bare node start is the floor.
  const node = runnerNode();
  const bare: number[] = [];
  const invalid: number[] = [];
  for (let i = 0; i < b.opts.samples; i++) {
    bare.push(await timed(() => run(node, ['-e', '0'])));
    const r = await runAction({ inputs: { mode: 'bogus', stack: 'web' } });
    if (r.code !== 1 || !r.errors.length)
      throw new Error(`invalid input did not fail as expected:\n${describeRun(r)}`);
    invalid.push(r.durationMs);
  }
  const inv = stats(invalid);
  log(`  fail on an invalid input (mode: bogus)  ${fmtStats(inv)}`);
  log(`  bare \`node -e 0\` (Node 24), reference  ${fmtStats(stats(bare))}`);
  b.summary.check('action', 'time to fail on an invalid input', inv.median, INVALID_INPUT_TARGET_MS, fmtMs);

  const srv = await startDeployServer();
  try {
    const app = await srv.addStack({ smokeTimeoutS: 30 });
    const images = [await srv.image(), await srv.image()];
    const splits: Split[] = [];
    for (let i = b.opts.warmup ? -1 : 0; i < b.opts.runs; i++) {
      const img = images[(i + 1) % 2]!;
      const inputs = srv.inputs({
        stack: app.name,
        environment: 'staging',
        image_tag: img.tag,
        digest_file: img.manifestFile,
      });
      const spawnedAt = Date.now(); // wall clock, to compare with /proc (a few ms before the spawn)
      const seen: Record<string, number> = {};
      const r = await runAction({ inputs, hooks: phaseHooks(seen) });
      if (r.code !== 0 || r.outputs.status !== 'success')
        throw new Error(`action deploy failed:\n${describeRun(r)}`);
      if (i >= 0) splits.push(split(r, spawnedAt, seen, srv.root, app.name)); // run -1 warms up
    }
    const total = stats(splits.map((s) => s.total));
    const to = stats(splits.map((s) => s.toExecutor));
    const exec = stats(splits.map((s) => s.executor));
    const over = stats(splits.map((s) => s.total - s.executor));
    log(`  action deploy, total                    ${fmtStats(total)}`);
    log(`  action start -> executor process start  ${fmtStats(to)}`);
    log(`  executor (process start -> result)      ${fmtStats(exec)}`);
    log(`  action total - executor                 ${fmtStats(over)}`);
    const phase = (name: string) => fmtMs(stats(splits.map((s) => s.phases[name] ?? 0)).median);
    log(
      `    action timeline, medians: ${Object.keys(splits[0]!.phases)
        .map((n) => `${n} ${phase(n)}`)
        .join(', ')}`,
    );
    b.summary.check('action', 'action total - executor time', over.median, OVERHEAD_TARGET_MS, fmtMs);
    b.summary.add('action', 'action start -> executor start', fmtMs(to.median));
  } finally {
    await srv.close();
  }
}
