// Sections 1 and 2: the executor's deploy and rollback against the hand-run shell flow.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { layout } from '../../common/layout.js';
import { liveReleaseId } from '../../remote/domain/live-link.js';
import { rollbackCandidates } from '../../remote/domain/releases.js';
import { forgetLocally, type CliRun, type Target } from '../e2e/fixture.js';
import { type Bench, expectStatus, runScript, uniqueName } from './context.js';
import { fmtMs, heading, interleaved, log, printComparison, ratio, stats, timed } from './lib.js';

const DEPLOY_TARGET = 1.1;
const ROLLBACK_TARGET = 1.15;
const TAGS = ['bench-a', 'bench-b'] as const;

/** The hand-run side: its own stack (project, port) deployed under its own root. */
interface HandRun {
  stack: string;
  source: string;
  root: string;
  url: string;
}

interface Shared {
  t: Target;
  refs: Record<string, string>;
  hand: HandRun;
  /** Executor wall times split into start-up, steps, other and exit (ms), per run. */
  phases: Phase[];
}
let shared: Promise<Shared> | undefined;

function setup(b: Bench): Promise<Shared> {
  return (shared ??= (async () => {
    const t = await b.target();
    const refs: Record<string, string> = {};
    for (const tag of TAGS) refs[tag] = (await t.image(tag)).ref;
    const stack = uniqueName('handrun');
    const port = await t.addStack(stack, { smokeTimeoutS: 30 });
    const hand = {
      stack,
      source: path.join(t.source, stack),
      root: path.join(t.tmp, 'handrun'),
      url: `http://127.0.0.1:${port}/health`,
    };
    return { t, refs, hand, phases: [] };
  })());
}

interface Phase {
  startup: number;
  steps: number;
  other: number;
  exit: number;
  durations: Record<string, number>;
}

/** Runs the executor CLI once, timed; splits its wall time using the journal's timestamps. */
async function timedCli(run: () => Promise<CliRun>, status: string, what: string) {
  const t0 = Date.now();
  const p0 = performance.now();
  const r = await run();
  const ms = performance.now() - p0;
  const t1 = t0 + ms;
  expectStatus(r, status, what);
  const first = Date.parse(r.events[0]!.ts);
  const last = Date.parse(r.events.at(-1)!.ts);
  const durations = r.result?.durations ?? {};
  const steps = Object.values(durations).reduce((a, b) => a + b, 0);
  const phase: Phase = {
    startup: first - t0,
    steps,
    other: last - first - steps,
    exit: t1 - last,
    durations,
  };
  return { ms, r, phase };
}

function printPhases(phases: Phase[]): void {
  if (!phases.length) return;
  const med = (f: (p: Phase) => number) => fmtMs(stats(phases.map(f)).median);
  const names = [...new Set(phases.flatMap((p) => Object.keys(p.durations)))];
  log(
    `    executor time, medians: start-up ${med((p) => p.startup)}, steps ${med((p) => p.steps)}, ` +
      `between steps ${med((p) => p.other)}, exit ${med((p) => p.exit)}`,
  );
  log(
    `    steps: ${names
      .map((n) => `${n} ${med((p) => p.durations[n] ?? 0)}`)
      .filter((s) => !/ 0 ms$/.test(s))
      .join(', ')}`,
  );
}

const handDeploy = (b: Bench, h: HandRun, ref: string) =>
  runScript(b, 'handrun-deploy.sh', [h.source, h.root, h.stack, ref, h.url]);

export async function deploySection(b: Bench): Promise<void> {
  heading('1. deploy: dist/remote.cjs deploy vs test/bench/handrun-deploy.sh');
  const s = await setup(b);
  const { t, refs, hand } = s;
  const tag = (i: number) => TAGS[(i + 1) % 2]!; // warm-up (-1) and runs alternate the two images

  // Images on the server already: the executor checks and skips the pull; the script pulls anyway
  // (compose asks the registry and finds nothing new), as a hand-run deploy always does.
  const cached = await interleaved(b.opts.runs, [
    {
      name: 'executor',
      run: async (i) => {
        const { ms, phase } = await timedCli(() => t.deploy(tag(i)), 'success', 'deploy');
        if (i >= 0) s.phases.push(phase);
        return ms;
      },
    },
    { name: 'hand-run', run: (i) => timed(() => handDeploy(b, hand, refs[tag(i)]!)) },
  ]);
  const c = printComparison('image already on the server (both sides)', cached, ['executor', 'hand-run']);
  printPhases(s.phases);
  b.summary.check('deploy', 'ratio, image cached', c.ratio, DEPLOY_TARGET, ratio);
  b.summary.add('deploy', 'executor deploy, image cached', fmtMs(c.mine.median));
  b.summary.add('deploy', 'hand-run deploy, image cached', fmtMs(c.baseline.median));

  if (b.opts.quick) {
    log('  (quick: the comparison with a pull from the registry is left out)');
    return;
  }
  // A new image for every run: each side pulls it (the executor logs in to its private config first).
  const coldRefs: Record<string, string> = {};
  const fresh = async (side: string, i: number) => {
    const coldTag = `cold-${side}-${i + 1}-${process.pid}`;
    const img = await t.image(coldTag);
    await forgetLocally(img.ref, coldTag, t.registry);
    coldRefs[side] = coldTag;
    return img;
  };
  const coldPhases: Phase[] = [];
  let handRef = '';
  const cold = await interleaved(
    b.opts.runs,
    [
      {
        name: 'executor',
        before: async (i) => void (await fresh('exec', i)),
        run: async (i) => {
          const { ms, phase } = await timedCli(() => t.deploy(coldRefs.exec!), 'success', 'cold deploy');
          if (i >= 0) coldPhases.push(phase);
          return ms;
        },
      },
      {
        name: 'hand-run',
        before: async (i) => void (handRef = (await fresh('hand', i)).ref),
        run: () => timed(() => handDeploy(b, hand, handRef)),
      },
    ],
    { warmup: b.opts.warmup },
  );
  const k = printComparison('new image, pulled from the registry (both sides)', cold, [
    'executor',
    'hand-run',
  ]);
  printPhases(coldPhases);
  b.summary.check('deploy', 'ratio, image pulled', k.ratio, DEPLOY_TARGET, ratio);
}

export async function rollbackSection(b: Bench): Promise<void> {
  heading('2. rollback: dist/remote.cjs rollback vs compose up --force-recreate + health wait');
  const s = await setup(b);
  const { t, hand } = s;
  const l = layout(t.root);
  // Every rollback walks one release further back: make sure there are enough to walk (two
  // comparisons, registry up and registry stopped, each with its warm-up).
  const need = 2 * (b.opts.runs + (b.opts.warmup ? 1 : 0));
  // Keep enough releases on disk for every run (the default keep of 10 would cap them).
  const keep = ['--keep', String(need + 2)];
  for (let i = 0; candidates() < need; i++) {
    if (i > 2 * need)
      throw new Error(`preparing releases: ${candidates()} rollback targets after ${i} deploys`);
    expectStatus(await t.deploy(TAGS[i % 2]!, 'staging', keep), 'success', 'preparing releases');
  }
  function candidates() {
    return rollbackCandidates(l, t.stack, liveReleaseId(l, t.stack)).length;
  }
  // The hand-run side recreates its stack from its two newest release dirs in turn.
  const handReleases = () => {
    try {
      return readdirSync(path.join(hand.root, 'releases', hand.stack))
        .sort()
        .slice(-2);
    } catch {
      return [];
    }
  };
  for (let i = 0; handReleases().length < 2; i++) await handDeploy(b, hand, s.refs[TAGS[i % 2]!]!);
  const dirs = handReleases().map((d) => path.join(hand.root, 'releases', hand.stack, d));

  const rollback = () => t.cli(['rollback', t.stack, 'staging', '--actor', 'bench']);
  const compare = async (what: string, phases: Phase[]) => {
    const samples = await interleaved(
      b.opts.runs,
      [
        {
          name: 'executor',
          run: async (i) => {
            const { ms, phase } = await timedCli(rollback, 'success', `rollback, ${what}`);
            if (i >= 0) phases.push(phase);
            return ms;
          },
        },
        {
          name: 'hand-run',
          run: (i) =>
            timed(() => runScript(b, 'handrun-rollback.sh', [dirs[(i + 1) % 2]!, hand.stack, hand.url])),
        },
      ],
      { warmup: b.opts.warmup },
    );
    const c = printComparison(what, samples, ['executor', 'hand-run']);
    printPhases(phases);
    return c;
  };
  const up = await compare('images on the server, target healthy, registry up', []);
  b.summary.check('rollback', 'ratio, registry up', up.ratio, ROLLBACK_TARGET, ratio);
  b.summary.add('rollback', 'executor rollback, registry up', fmtMs(up.mine.median));

  // The images are on the server: neither side needs the registry, and neither may wait for it.
  await t.registry.stop();
  let down;
  try {
    down = await compare('the same, registry stopped', []);
  } finally {
    await t.registry.start();
  }
  b.summary.check('rollback', 'ratio, registry stopped', down.ratio, ROLLBACK_TARGET, ratio);
  b.summary.add('rollback', 'executor rollback, registry stopped', fmtMs(down.mine.median));
}
