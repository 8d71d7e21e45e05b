// Section 3: what the action adds around the executor. dist/index.js runs as the runner runs it
// (Node 24, INPUT_* variables: test/e2e/action-harness.ts) against a real sshd on 127.0.0.1 with
// the server's node (test/e2e/action-fixture.ts). Every figure is on one clock, the runner's: the
// spawn, the moment each of the action's own log lines arrives, and the process's exit. The phases
// are the gaps between those moments, so they add up to the total; the executor's share is the
// span the action only follows it (from "Run ... started" to the result it reports). Interleaved
// with each deploy that reuses the installed executor: the same deploy started by hand, as an
// appleboy/ssh-action user does (`ssh host sudo <node> <installed cli> deploy ...`).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEventLine, type DeployEvent } from '../../common/events.js';
import { startDeployServer } from '../e2e/action-fixture.js';
import {
  ACTION_JS,
  describeRun,
  runAction,
  type ActionResult,
  type LineHook,
} from '../e2e/action-harness.js';
import { REMOTE_JS } from '../e2e/fixture.js';
import { REPO_ROOT, run, runnerNode, serverNode, sshArgs } from '../support/sandbox.js';
import type { Bench } from './context.js';
import { fmtMs, fmtStats, heading, log, ratio, stats, timed } from './lib.js';

const OVERHEAD_TARGET_MS = 450;
/** The action deploy against the same deploy started by hand over ssh (issue 14). */
const BY_HAND_LIMIT = 1.25;
const INVALID_INPUT_TARGET_MS = 250;
/** The phases must add up to the total within this share (they do by construction; a check). */
const SUM_TOLERANCE = 0.05;

const kib = (file: string) => `${Math.round(statSync(file).size / 1024).toLocaleString('en')} KiB`;

/** The executor's phase: from the run's start to the result the action reports. */
const FOLLOWED = 'executor runs (followed)';

/**
 * Log lines of the action that end a phase, in order; the last phase ends at the process's exit.
 * A phase whose line does not appear (no upload when the installed executor is this build) is 0.
 */
const PHASES: [string, RegExp][] = [
  ['node start + load', /^::group::Inputs/],
  ['inputs + manifest', /^::group::Connect to /],
  ['ssh connect', /^Connected to /],
  ['server check', /^Server: /],
  ['upload', /^Uploaded /],
  ['start (run --detach --follow)', /^Run \S+ started on /],
  [FOLLOWED, /^(✅ |::error::)/],
];
const LAST_PHASE = 'summary, cleanup, exit';

interface Split {
  /** Spawn to exit, runner clock. */
  total: number;
  /** The span the action only follows the executor (runner clock). */
  followed: number;
  /** The executor's own time on the server clock (its journal: first event to result), for reference. */
  executorServerClock: number;
  /** Where the time goes, in ms; sums to total. */
  phases: Record<string, number>;
}

/** Hooks that note when each phase's line arrives (runner clock). */
function phaseHooks(seen: Record<string, number>): LineHook[] {
  return PHASES.map(([name, match]) => ({ match, run: () => void (seen[name] = Date.now()) }));
}

function split(r: ActionResult, seen: Record<string, number>, root: string, stack: string): Split {
  const key = r.lines.map((l) => /^Run (\S+) started on /.exec(l)?.[1]).find(Boolean);
  if (!key) throw new Error(`no "Run <key> started" line:\n${describeRun(r)}`);
  const events = readFileSync(path.join(root, 'releases', 'runs', stack, `${key}.jsonl`), 'utf8')
    .split('\n')
    .map(parseEventLine)
    .filter((e): e is DeployEvent => Boolean(e));
  const result = events.find((e) => e.type === 'result');
  if (!result || !events[0]) throw new Error(`no result in the journal of ${key}`);
  const phases: Record<string, number> = {};
  let from = r.startedAt;
  for (const [name] of PHASES) {
    const at = seen[name];
    phases[name] = at === undefined ? 0 : at - from;
    if (at !== undefined) from = at;
  }
  const exitAt = r.startedAt + r.durationMs;
  phases[LAST_PHASE] = exitAt - from;
  return {
    total: r.durationMs,
    followed: phases[FOLLOWED]!,
    executorServerClock: Date.parse(result.ts) - Date.parse(events[0].ts),
    phases,
  };
}

/** Prints the phases and checks that they add up to the total. */
function reportPhases(label: string, phases: Record<string, number>, total: number): void {
  const sum = Object.values(phases).reduce((a, b) => a + b, 0);
  log(
    `    ${label}: ${Object.entries(phases)
      .map(([n, ms]) => `${n} ${fmtMs(ms)}`)
      .join(', ')}`,
  );
  const off = Math.abs(sum - total) / total;
  log(
    `    phases add up to ${fmtMs(sum)} of ${fmtMs(total)} total (${(off * 100).toFixed(1)} % off${off > SUM_TOLERANCE ? ': MORE THAN 5 %' : ''})`,
  );
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
    const byHand: number[] = [];
    let uploading: Split | undefined;
    // The by-hand side reads its digest file as the SSH user (sudo stages it with the caller's rights).
    const handDir = mkdtempSync(path.join(tmpdir(), 'bench-by-hand-'));
    chmodSync(handDir, 0o755);
    const handRun = async (img: { tag: string; manifestFile: string }, n: number) => {
      const digests = path.join(handDir, `digests-${n}.json`);
      writeFileSync(digests, readFileSync(img.manifestFile), { mode: 0o644 });
      const cli = path.join(srv.root, 'releases', 'bin', 'seisei-deploy');
      const args = [
        ...sshArgs(srv.sshd),
        ...['sudo', '-n', serverNode(), cli, 'deploy', app.name, 'staging', img.tag],
        ...['--digest-file', digests, '--root', srv.root, '--source', srv.source],
        ...['--actor', 'octocat', '--run-id', String(9000 + n)],
      ];
      let res: Awaited<ReturnType<typeof run>> | undefined;
      const ms = await timed(async () => (res = await run('ssh', args)));
      if (res?.code !== 0)
        throw new Error(`deploy by hand failed (${res?.code}): ${res?.stderr.slice(-2000)}`);
      return ms;
    };
    let turn = 0;
    const nextImage = () => images[turn++ % 2]!;
    // Run 0 (after the warm-up) uploads; runs 1..runs reuse the installed executor, each beside a
    // deploy by hand, in alternating order.
    for (let i = b.opts.warmup ? -1 : 0; i <= b.opts.runs; i++) {
      if (i > 0 && i % 2 === 0) byHand.push(await handRun(nextImage(), i));
      const img = nextImage();
      // The first run (the warm-up, if any) installs the executor; the first timed run forgets it
      // again, so that one upload is timed warm.
      if (i === 0 && b.opts.warmup)
        rmSync(path.join(srv.root, 'releases', 'bin', 'seisei-deploy'), { force: true });
      const inputs = srv.inputs({
        stack: app.name,
        environment: 'staging',
        image_tag: img.tag,
        digest_file: img.manifestFile,
      });
      const seen: Record<string, number> = {};
      const r = await runAction({ inputs, hooks: phaseHooks(seen) });
      if (r.code !== 0 || r.outputs.status !== 'success')
        throw new Error(`action deploy failed:\n${describeRun(r)}`);
      const one = split(r, seen, srv.root, app.name);
      if (i > 0 && i % 2 === 1) byHand.push(await handRun(nextImage(), i));
      if (i < 0) continue; // run -1 warms up
      if (seen.upload !== undefined) uploading = one;
      else splits.push(one);
    }
    rmSync(handDir, { recursive: true, force: true });
    if (!splits.length) throw new Error('no run used the installed executor');
    const total = stats(splits.map((s) => s.total));
    const followed = stats(splits.map((s) => s.followed));
    const over = stats(splits.map((s) => s.total - s.followed));
    const server = stats(splits.map((s) => s.executorServerClock));
    log(`  action deploy, total (spawn -> exit)    ${fmtStats(total)}`);
    log(`  executor runs, as the action follows it ${fmtStats(followed)}`);
    log(`  action's own time (total - that)        ${fmtStats(over)}`);
    log(`  executor in its journal (server clock)  ${fmtStats(server)}  (reference, not subtracted)`);
    const median = (name: string) => stats(splits.map((s) => s.phases[name] ?? 0)).median;
    const names = Object.keys(splits[0]!.phases);
    reportPhases('timeline, medians', Object.fromEntries(names.map((n) => [n, median(n)])), total.median);
    for (const s of splits) {
      const sum = Object.values(s.phases).reduce((a, x) => a + x, 0);
      if (Math.abs(sum - s.total) / s.total > SUM_TOLERANCE)
        throw new Error(`phases add up to ${sum} ms, the total is ${s.total} ms`);
    }
    if (uploading) {
      log(
        `  a run that uploads the executor (${kib(REMOTE_JS)} on the exec channel): total ${fmtMs(uploading.total)}`,
      );
      reportPhases('its timeline', uploading.phases, uploading.total);
    }
    b.summary.check('action', "action's own time (total - executor)", over.median, OVERHEAD_TARGET_MS, fmtMs);
    const hand = stats(byHand);
    log(`  the same deploy by hand (ssh host sudo node <installed cli> deploy ...)  ${fmtStats(hand)}`);
    log(`  action deploy / by hand: ${ratio(total.median / hand.median)}`);
    b.summary.add(
      'action',
      'action deploy / by hand (ssh sudo … deploy)',
      `${fmtMs(total.median)} / ${fmtMs(hand.median)}`,
    );
    b.summary.check(
      'action',
      'action deploy / the same deploy by hand',
      total.median / hand.median,
      BY_HAND_LIMIT,
      ratio,
    );
    b.summary.add('action', 'executor, followed by the action', fmtMs(followed.median));
    if (uploading) b.summary.add('action', 'upload of the executor', fmtMs(uploading.phases.upload ?? 0));
  } finally {
    await srv.close();
  }
}
