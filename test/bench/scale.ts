// Section 5: how the executor scales with a long history, many releases and a big stack.
// A synthetic server root: 100,000 history lines over two years for 8 stacks (10 releases each on
// disk, one of them with a failed release left by a failed pull: the case where a reader cannot
// stop early), and a 9th stack `bulk` with 1,000 releases for cleanup. The operator commands run
// as operators run them (dist/remote.cjs on the server's node, start-up included); the library
// functions behind them are timed in this process too.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { recentRecords, type HistoryRecord } from '../../remote/domain/history.js';
import { layout, newReleaseId, type Layout } from '../../common/layout.js';
import { RELEASE_META, rollbackCandidates, type ReleaseMeta } from '../../remote/domain/releases.js';
import { planCleanup } from '../../remote/domain/retention.js';
import { REMOTE_JS } from '../e2e/fixture.js';
import { makeTempDir, run, serverNode } from '../support/sandbox.js';
import { type Bench, expectStatus, stepEvent } from './context.js';
import { fmtMs, fmtStats, heading, interleaved, log, printComparison, ratio, stats, timed } from './lib.js';

const HISTORY_LINES = 100_000;
const STACKS = Array.from({ length: 8 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
const WATCHED = 'svc-03'; // its newest release failed (no success record anywhere)
const BULK = 'bulk';
const BULK_RELEASES = 1000;
const KEEP = 10;
const READ_TARGET_MS = 200;
const CLEANUP_TARGET_MS = 1500;
const CLEANUP_RATIO = 1.2;
const SOLIDIFY_RATIO = 1.2;
const SOLIDIFY_FILES = 5000;

/** Small deterministic PRNG (mulberry32), so every run builds the same history. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 64 hex digits that depend on `seed` only (sha256 is far cheaper than 64 PRNG draws). */
const hex64 = (seed: string) => createHash('sha256').update(seed).digest('hex');

export interface World {
  l: Layout;
  /** Release ids written to disk, per stack, oldest first. */
  releases: Map<string, string[]>;
  live: Map<string, string>;
}

function record(
  ts: Date,
  stack: string,
  mode: HistoryRecord['mode'],
  status: HistoryRecord['status'],
  id: string,
  tag: string,
  rand: () => number,
): HistoryRecord {
  const digest = `sha256:${hex64(id || tag)}`;
  return {
    ts: ts.toISOString(),
    stack,
    env: stack === 'svc-00' ? 'production' : 'staging',
    mode,
    status,
    release_id: id,
    image_tag: tag,
    image_ref: `ghcr.io/example/${stack}@${digest}`,
    image_digest: digest,
    previous_release_id: '',
    actor: 'deployer',
    run_id: String(Math.floor(rand() * 1e10)),
    break_glass: false,
    break_glass_reason: '',
    duration_ms: Math.floor(20_000 + rand() * 40_000),
    error:
      status === 'success'
        ? ''
        : 'pulling the images (registry down, digest missing or credentials wrong?) failed (exit 1)',
    ...(status === 'success' && mode === 'deploy'
      ? {
          gate: 'not-gated',
          images: { IMAGE_REF: { name: stack, ref: `ghcr.io/example/${stack}@${digest}`, digest } },
        }
      : {}),
  };
}

function writeRelease(l: Layout, stack: string, id: string): void {
  const dir = l.releaseDir(stack, id);
  mkdirSync(path.join(dir, 'config'), { recursive: true });
  const ref = `ghcr.io/example/${stack}@sha256:${'0'.repeat(64)}`;
  writeFileSync(path.join(dir, 'docker-compose.yml'), 'services:\n  app:\n    image: ${IMAGE_REF}\n');
  writeFileSync(path.join(dir, '.env'), `IMAGE_REF=${ref}\n`);
  writeFileSync(path.join(dir, 'config', 'app.conf'), 'greeting = hello\n');
  const meta: ReleaseMeta = {
    stack,
    env: 'staging',
    release_id: id,
    image_tag: id.split('__')[0]!,
    images: { IMAGE_REF: { name: stack, ref, digest: `sha256:${'0'.repeat(64)}` } },
    git_sha: '0'.repeat(40),
    compose_file: 'docker-compose.yml',
    created_at_utc: new Date().toISOString(),
  };
  writeFileSync(path.join(dir, RELEASE_META), JSON.stringify(meta, null, 2) + '\n');
}

/** Builds the synthetic root: history, releases, live symlinks and current manifests. */
export function buildWorld(root: string): World {
  const l = layout(root);
  const rand = prng(7);
  const end = Date.now() - 3600_000;
  const start = end - 730 * 86400_000;
  const successes = new Map<string, string[]>([...STACKS, BULK].map((s) => [s, []]));
  const lines: string[] = [];
  for (let i = 0; i < HISTORY_LINES; i++) {
    const ts = new Date(start + ((end - start) * i) / HISTORY_LINES);
    // The last 10,000 lines hold bulk's 1,000 deploys, one line in ten.
    const stack =
      i >= HISTORY_LINES - 10 * BULK_RELEASES && i % 10 === 0
        ? BULK
        : STACKS[Math.floor(rand() * STACKS.length)]!;
    const tag = `sha-${hex64(String(i)).slice(0, 7)}`;
    const id = newReleaseId(tag, ts);
    const dice = rand();
    const r =
      stack === BULK || dice < 0.9
        ? record(ts, stack, 'deploy', 'success', id, tag, rand)
        : dice < 0.95
          ? record(ts, stack, 'deploy', 'failed', id, tag, rand)
          : dice < 0.97
            ? record(ts, stack, 'deploy', 'rolled_back', id, tag, rand)
            : record(ts, '', 'verify', 'success', '', tag, rand);
    if (r.mode === 'deploy' && r.status === 'success') successes.get(stack)!.push(id);
    lines.push(JSON.stringify(r));
  }
  // svc-03's newest deploy failed at the pull: its release dir stays, with no success record.
  const failedTag = `sha-${hex64('failed').slice(0, 7)}`;
  const failedId = newReleaseId(failedTag, new Date(end + 60_000));
  lines.push(
    JSON.stringify(record(new Date(end + 60_000), WATCHED, 'deploy', 'failed', failedId, failedTag, rand)),
  );
  mkdirSync(l.releasesDir, { recursive: true });
  writeFileSync(l.history, lines.join('\n') + '\n');

  const releases = new Map<string, string[]>();
  const live = new Map<string, string>();
  mkdirSync(l.stacksDir, { recursive: true });
  mkdirSync(l.currentDir, { recursive: true });
  for (const stack of [...STACKS, BULK]) {
    const ids = successes.get(stack)!.slice(stack === BULK ? -BULK_RELEASES : -KEEP);
    if (stack === WATCHED) ids.push(failedId);
    for (const id of ids) writeRelease(l, stack, id);
    const liveId = successes.get(stack)!.at(-1)!;
    symlinkSync(l.releaseDir(stack, liveId), l.liveLink(stack));
    writeFileSync(
      l.currentManifest(stack),
      JSON.stringify({
        stack,
        env: 'staging',
        release_id: liveId,
        release_dir: l.releaseDir(stack, liveId),
        image_tag: liveId.split('__')[0],
        image_ref: '',
        image_digest: '',
        deployed_at_utc: '',
        actor: 'deployer',
        run_id: '',
        break_glass: false,
        break_glass_reason: '',
        mode: 'deploy',
      }) + '\n',
    );
    releases.set(stack, ids);
    live.set(stack, liveId);
  }
  return { l, releases, live };
}

/** Puts back any of bulk's releases a cleanup removed. */
export function restoreBulk(w: World): void {
  const present = new Set(readdirSync(w.l.stackReleases(BULK)));
  for (const id of w.releases.get(BULK)!) if (!present.has(id)) writeRelease(w.l, BULK, id);
}

async function cli(root: string, args: string[], okCodes = [0]): Promise<number> {
  const p0 = performance.now();
  const r = await run(serverNode(), [REMOTE_JS, ...args, '--root', root]);
  const ms = performance.now() - p0;
  if (!okCodes.includes(r.code))
    throw new Error(`seisei-deploy ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-1000)}`);
  return ms;
}

async function repeat(n: number, body: (i: number) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await body(i));
  return out;
}

/** Times a synchronous library call in this process. */
const lib = (body: () => unknown) => () => timed(async () => void body());

export async function scaleSection(b: Bench): Promise<void> {
  heading(
    `5. scale: ${HISTORY_LINES.toLocaleString('en')} history lines, ${BULK_RELEASES.toLocaleString('en')} releases, ${SOLIDIFY_FILES.toLocaleString('en')}-file stack`,
  );
  const tmp = await makeTempDir('bench-scale');
  const root = path.join(tmp, 'srv');
  const built = performance.now();
  const w = buildWorld(root);
  log(`  built the synthetic root in ${fmtMs(performance.now() - built)} (${root})`);
  const n = b.opts.samples;
  const liveWatched = w.live.get(WATCHED)!;
  const show = (what: string, xs: number[]) => {
    const s = stats(xs);
    log(`  ${what.padEnd(44)} ${fmtStats(s)}`);
    return s;
  };

  log(`  library calls (this process, Node ${process.version}):`);
  const libRecent = show(
    'recentRecords(-n 20)',
    await repeat(
      n,
      lib(() => recentRecords(w.l.history, { limit: 20 })),
    ),
  );
  const libRecentStack = show(
    `recentRecords(${WATCHED}, -n 20)`,
    await repeat(
      n,
      lib(() => recentRecords(w.l.history, { stack: WATCHED, limit: 20 })),
    ),
  );
  const libCandidates = show(
    `rollbackCandidates(${WATCHED})`,
    await repeat(
      n,
      lib(() => rollbackCandidates(w.l, WATCHED, liveWatched)),
    ),
  );
  const libCandidatesOk = show(
    'rollbackCandidates(svc-01) (no failed release)',
    await repeat(
      n,
      lib(() => rollbackCandidates(w.l, 'svc-01', w.live.get('svc-01'))),
    ),
  );
  const libPlan = show(
    `planCleanup(${BULK}, ${BULK_RELEASES} releases)`,
    await repeat(
      n,
      lib(() => planCleanup(w.l, BULK, KEEP)),
    ),
  );

  log(`  operator commands (${serverNode()} dist/remote.cjs, start-up included):`);
  const start = show('--help (node start-up, for reference)', await repeat(n, () => cli(root, ['--help'])));
  // status exits 1 on drift: nothing runs in this synthetic root, so every stack "drifts".
  const status = show(`status ${WATCHED}`, await repeat(n, () => cli(root, ['status', WATCHED], [0, 1])));
  show('status (all 9 stacks)', await repeat(n, () => cli(root, ['status'], [0, 1])));
  const history = show('history -n 20', await repeat(n, () => cli(root, ['history', '-n', '20'])));
  const historyStack = show(
    `history ${WATCHED} -n 20`,
    await repeat(n, () => cli(root, ['history', WATCHED, '-n', '20'])),
  );
  const dry = show(
    `cleanup ${BULK} --keep ${KEEP} --dry-run`,
    await repeat(n, () => cli(root, ['cleanup', BULK, '--keep', String(KEEP), '--dry-run'])),
  );
  const cleanup = await cleanupVsRm(b, w);

  const sum = b.summary;
  sum.check('scale', `status <stack> (CLI), 100k lines`, status.median, READ_TARGET_MS, fmtMs);
  sum.check('scale', `history -n 20 (CLI), 100k lines`, history.median, READ_TARGET_MS, fmtMs);
  sum.check('scale', `history <stack> -n 20 (CLI)`, historyStack.median, READ_TARGET_MS, fmtMs);
  sum.check(
    'scale',
    `rollback candidates (library), failed release`,
    libCandidates.median,
    READ_TARGET_MS,
    fmtMs,
  );
  sum.add('scale', 'node start-up of dist/remote.cjs (CLI floor)', fmtMs(start.median));
  sum.add(
    'scale',
    'recentRecords / by stack (library)',
    `${fmtMs(libRecent.median)} / ${fmtMs(libRecentStack.median)}`,
  );
  sum.add('scale', 'rollback candidates (library), all recorded', fmtMs(libCandidatesOk.median));
  sum.check(
    'scale',
    `cleanup, ${BULK_RELEASES - KEEP} of ${BULK_RELEASES} releases (CLI)`,
    cleanup.mine.median,
    CLEANUP_TARGET_MS,
    fmtMs,
  );
  sum.check('scale', `cleanup / rm -rf of the same dirs`, cleanup.ratio, CLEANUP_RATIO, ratio);
  sum.add(
    'scale',
    `cleanup plan (library) / --dry-run (CLI)`,
    `${fmtMs(libPlan.median)} / ${fmtMs(dry.median)}`,
  );

  await solidifyBench(b);
  rmSync(tmp, { recursive: true, force: true });
}

/**
 * `cleanup bulk --keep 10` (the CLI, start-up included) against one `rm -rf` of the same 990
 * release dirs, interleaved. Before each run of either side bulk's 1,000 releases are written again
 * the same way and flushed (`sync`, untimed), so both sides delete the same cold-written tree.
 */
async function cleanupVsRm(b: Bench, w: World) {
  const doomed = planCleanup(w.l, BULK, KEEP).remove.map((r) => r.dir);
  if (doomed.length !== BULK_RELEASES - KEEP)
    throw new Error(`cleanup would remove ${doomed.length} releases, not ${BULK_RELEASES - KEEP}`);
  const fresh = async () => {
    restoreBulk(w);
    await run('sync', []);
  };
  const samples = await interleaved(
    b.opts.runs,
    [
      {
        name: 'cleanup',
        before: fresh,
        run: () => cli(w.l.root, ['cleanup', BULK, '--keep', String(KEEP)]),
      },
      {
        name: 'rm -rf',
        before: fresh,
        run: () =>
          timed(async () => {
            const r = await run('rm', ['-rf', '--', ...doomed]);
            if (r.code !== 0) throw new Error(`rm -rf exited ${r.code}: ${r.stderr.slice(-500)}`);
          }),
      },
    ],
    { warmup: b.opts.warmup },
  );
  return printComparison(
    `cleanup ${BULK} --keep ${KEEP} (removes ${doomed.length}) / rm -rf of the same dirs`,
    samples,
    ['cleanup', 'rm -rf'],
  );
}

/** A deploy of a stack with 5,000 small files: the executor's solidify step against `cp -a` + `sync -f`. */
async function solidifyBench(b: Bench): Promise<void> {
  const t = await b.target();
  const stack = 'bench-files';
  await t.addStack(stack, { smokeTimeoutS: 30 });
  const source = path.join(t.source, stack);
  for (let d = 0; d < SOLIDIFY_FILES / 100; d++) {
    const dir = path.join(source, 'config', 'many', String(d).padStart(2, '0'));
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 100; f++) writeFileSync(path.join(dir, `f${f}.conf`), `key_${d}_${f} = value\n`);
  }
  await t.image('bench-a');
  const copies = path.join(t.tmp, 'cp-a');
  mkdirSync(copies, { recursive: true });
  const preflight: number[] = [];
  let copy = 0;
  // The executor's side is its solidify step (the journal's duration); the other side one shell.
  const samples = await interleaved(
    b.opts.runs,
    [
      {
        name: 'solidify',
        before: () => run('sync', []).then(() => undefined),
        run: async (i) => {
          const r = expectStatus(
            await t.deploy('bench-a', 'staging', [], stack),
            'success',
            'deploying the 5,000-file stack',
          );
          if (!stepEvent(r, 'solidify')) throw new Error('no solidify step in the journal');
          if (i >= 0) preflight.push(r.result?.durations?.preflight ?? 0);
          return r.result?.durations?.solidify ?? Number.NaN;
        },
      },
      {
        name: 'cp -a + sync -f',
        before: () => run('sync', []).then(() => undefined),
        run: () => {
          const dest = path.join(copies, String(copy++));
          return timed(() => run('bash', ['-c', 'cp -a "$1" "$2" && sync -f "$2"', 'cp', source, dest]));
        },
      },
    ],
    { warmup: b.opts.warmup },
  );
  const c = printComparison(`solidify ${SOLIDIFY_FILES} files / cp -a + sync -f of the same tree`, samples, [
    'solidify',
    'cp -a + sync -f',
  ]);
  const p = stats(preflight);
  log(`  preflight step of those deploys          ${fmtStats(p)} (walks the source to size it)`);
  b.summary.add(
    'scale',
    `solidify ${SOLIDIFY_FILES} files / cp -a + sync -f`,
    `${fmtMs(c.mine.median)} / ${fmtMs(c.baseline.median)}`,
  );
  b.summary.check('scale', `solidify / cp -a + sync -f (ratio)`, c.ratio, SOLIDIFY_RATIO, ratio);
}
