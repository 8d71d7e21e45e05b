// `cleanup`: the retention rule of DESIGN.md section 7 step 12, per stack, under the stack's lock.
import type { Command } from '../cli/command.js';
import { integer } from '../argv/args.js';
import { DeployError } from '../errors.js';
import type { Layout } from '../../common/layout.js';
import { liveReleaseId } from '../domain/live-link.js';
import { compareReleaseIds, readReleaseMeta, type ReleaseInfo } from '../domain/releases.js';
import { errorMessage, Reporter } from '../report.js';
import { readStackConfig } from '../domain/stack-config.js';
import { planCleanup, removeReleases, type CleanupPlan } from '../domain/retention.js';
import { acquireLock } from '../domain/lock.js';
import { describeHolder, holderAlive, readHolder } from '../domain/lock-holder.js';
import { readManifest } from '../domain/manifest.js';
import { appendRecord, historyRecord } from '../domain/records.js';
import { actorArg, lockTimeoutArg, rootLayout, parseOp, withActor } from './argv.js';
import { selectStacks } from './stacks.js';
import { paint, print, printJson, table } from './table.js';

export const DEFAULT_KEEP = 10;

export interface PlannedRelease {
  id: string;
  action: 'keep' | 'remove';
  why: string;
}

export interface CleanupResult {
  stack: string;
  keep: number;
  keep_from: string;
  dry_run: boolean;
  releases: PlannedRelease[];
  removed: string[];
  note: string;
  error: string;
}

/** Every release of the plan, newest first, with the reason it stays or goes. */
export function explainPlan(plan: CleanupPlan, keep: number, live: string | undefined): PlannedRelease[] {
  const kept = new Set(plan.keep.map((r) => r.id));
  const why = (r: ReleaseInfo): string => {
    if (r.id === live) return 'live';
    if (plan.protected.includes(r.id)) return 'newest rollback target';
    if (r.bad) return 'marked bad';
    if (!r.succeeded) return 'no successful deploy record (failed or unfinished)';
    return kept.has(r.id)
      ? `among the newest ${keep} successful`
      : `older than the newest ${keep} successful`;
  };
  return [...plan.keep, ...plan.remove]
    .sort((a, b) => compareReleaseIds(b.id, a.id))
    .map((r) => ({ id: r.id, action: kept.has(r.id) ? 'keep' : 'remove', why: why(r) }));
}

/** `keep_releases` of the live release's x-seisei-deploy block, if it sets one. */
function configuredKeep(layout: Layout, stack: string): number | undefined {
  const live = liveReleaseId(layout, stack);
  if (!live) return undefined;
  try {
    const dir = layout.releaseDir(stack, live);
    return readStackConfig(dir, readReleaseMeta(dir).compose_file).keep_releases;
  } catch {
    return undefined; // an unreadable config does not block a cleanup: the default applies
  }
}

function emptyResult(stack: string, keep: number, keepFrom: string, dryRun: boolean): CleanupResult {
  return {
    stack,
    keep,
    keep_from: keepFrom,
    dry_run: dryRun,
    releases: [],
    removed: [],
    note: '',
    error: '',
  };
}

export async function cleanupStack(
  layout: Layout,
  stack: string,
  opts: { keep?: number; dryRun: boolean; actor: string; lockTimeoutS: number },
  report: Reporter,
): Promise<CleanupResult> {
  const configured = opts.keep === undefined ? configuredKeep(layout, stack) : undefined;
  const keep = opts.keep ?? configured ?? DEFAULT_KEEP;
  const from = opts.keep !== undefined ? '--keep' : configured !== undefined ? 'keep_releases' : 'default';
  const result = emptyResult(stack, keep, from, opts.dryRun);
  const plan = () => {
    const p = planCleanup(layout, stack, keep);
    result.releases = explainPlan(p, keep, liveReleaseId(layout, stack));
    return p;
  };
  if (opts.dryRun) {
    const holder = readHolder(layout.lockFile(stack));
    if (holder && holderAlive(holder))
      result.note = `a run holds the lock (${describeHolder(holder)}): the plan may change when it ends`;
    plan();
    return result;
  }
  const started = Date.now();
  const lock = await acquireLock(
    layout.lockFile(stack),
    { actor: opts.actor, run_id: '', release: 'cleanup' },
    opts.lockTimeoutS,
    report,
  );
  try {
    const p = plan();
    try {
      result.removed = await removeReleases(layout, stack, p.remove);
    } catch (err) {
      result.removed = (err as { removed?: string[] }).removed ?? [];
      result.error = errorMessage(err);
    }
    appendRecord(
      layout,
      historyRecord(
        {
          stack,
          env: readManifest(layout, stack)?.env ?? '',
          mode: 'cleanup',
          status: result.error ? 'failed' : 'success',
          started,
        },
        { actor: opts.actor, run_id: '', break_glass: false, break_glass_reason: '' },
        {}, // release_id stays empty: a cleanup record must never count as a release's success
        result.error,
        { keep, removed: result.removed, kept: p.keep.map((r) => r.id) },
      ),
    );
  } finally {
    lock.release();
  }
  return result;
}

function render(r: CleanupResult): string {
  const c = paint();
  const gone = r.releases.filter((x) => x.action === 'remove').length;
  const keepSays = `keep ${r.keep} (${r.keep_from === 'default' ? 'default' : r.keep_from})`;
  const head = r.error
    ? `${r.stack}: ${c.red('FAILED')}: ${r.error}`
    : !r.releases.length
      ? `${r.stack}: no releases`
      : `${r.stack}: ${keepSays}; ${r.dry_run ? 'would remove' : 'removed'} ${r.dry_run ? gone : r.removed.length} of ${r.releases.length} release(s)`;
  const rows = r.releases.map((x) => [
    x.id,
    r.dry_run && x.action === 'remove' ? 'would remove' : x.action === 'remove' ? 'removed' : 'keep',
    x.why,
  ]);
  return [
    head,
    r.note ? `  note: ${r.note}` : '',
    rows.length
      ? table(rows, {
          header: ['RELEASE', 'ACTION', 'WHY'],
          indent: '  ',
          style: (t, row, col) => (row >= 0 && col === 1 && t.trim() !== 'keep' ? c.yellow(t) : t),
        })
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}

const cleanupOptions = withActor({
  keep: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
});

export const cleanupCommand: Command = {
  usage:
    'seisei-deploy cleanup [<stack>] [--keep N] [--dry-run] [--actor A] [--lock-timeout SECONDS] [--root DIR] [--json]',
  summary: 'remove old releases (failed/bad first; never the live one or the newest rollback target)',
  async main(argv) {
    const { v, arg } = parseOp('cleanup', argv, cleanupOptions, this.usage);
    const keep = integer('--keep', v.keep);
    if (keep === 0) throw new DeployError('--keep must be at least 1', 2);
    const layout = rootLayout(v.root);
    const stacks = selectStacks(layout, arg);
    const opts = {
      keep,
      dryRun: v['dry-run'],
      actor: actorArg(v.actor),
      lockTimeoutS: lockTimeoutArg(v['lock-timeout']),
    };
    // Lock waits and take-overs are diagnostics: stderr, so stdout stays the result (and valid JSON).
    const report = new Reporter(undefined, false, (line) => process.stderr.write(line + '\n'));
    const results: CleanupResult[] = [];
    for (const stack of stacks) {
      try {
        results.push(await cleanupStack(layout, stack, opts, report));
      } catch (err) {
        results.push({
          ...emptyResult(stack, keep ?? DEFAULT_KEEP, '', opts.dryRun),
          error: errorMessage(err),
        });
      }
    }
    if (v.json) printJson({ dry_run: opts.dryRun, stacks: results });
    else print(results.length ? results.map(render).join('\n\n') : `no stacks under ${layout.root}`);
    return results.some((r) => r.error) ? 1 : 0;
  },
};
