// Retention (DESIGN.md section 7, cleanup): keep the newest N successful releases of one stack, and
// prune what runs leave behind (old journals, half-built or half-deleted release directories).
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { deleteTrees } from '../fsutil.js';
import { join } from 'node:path';
import type { Layout } from '../../common/layout.js';
import { compareReleaseIds, listReleases, type ReleaseInfo } from './releases.js';
import { liveReleaseId } from './live-link.js';
import { errorMessage } from '../report.js';
import type { RunContext } from '../run-context.js';

/** The cleanup step of a deploy: the retention rule applied to this stack only. */
export async function cleanupAfterDeploy(run: RunContext, keep: number): Promise<void> {
  const { layout, stack, report } = run;
  const leftovers = removeLeftovers(layout, stack);
  if (leftovers.length) report.log(`removed what killed runs left behind: ${leftovers.join(', ')}`);
  const plan = planCleanup(layout, stack, keep);
  await removeReleases(layout, stack, plan.remove);
  report.log(
    `kept ${plan.keep.length} release(s), removed ${plan.remove.length}${plan.remove.length ? ': ' + plan.remove.map((r) => r.id).join(', ') : ''}`,
  );
  const runs = pruneRuns(layout, stack);
  if (runs) report.log(`removed ${runs} run journal file(s) older than ${RUN_JOURNAL_DAYS} days`);
}

/** A failed cleanup after a deploy that is live and recorded: old releases stay until the next one. */
export const cleanupLater = (run: RunContext) => (err: unknown) =>
  run.report.log(`retention skipped: ${errorMessage(err)}`, 'warn', 'cleanup');

/** Run journals (and their staged inputs) are kept this long; the history keeps every record forever. */
export const RUN_JOURNAL_DAYS = 30;

/** Removes this stack's run journals, pid files and staged inputs older than RUN_JOURNAL_DAYS. */
export function pruneRuns(layout: Layout, stack: string, now = Date.now()): number {
  const dir = layout.runsDir(stack);
  if (!existsSync(dir)) return 0;
  const cutoff = now - RUN_JOURNAL_DAYS * 24 * 3600 * 1000;
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).mtimeMs >= cutoff) continue;
    rmSync(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * Half-built (`.tmp-*`) and half-deleted (`.trash-*`) release directories of this stack. Only a run
 * holding the stack's lock creates them and it removes them before it ends, so under the lock any
 * that exist were left by a run that was killed. They never look like releases; this reclaims the space.
 */
function removeLeftovers(layout: Layout, stack: string): string[] {
  const dir = layout.stackReleases(stack);
  const names = readdirSync(dir).filter((n) => /^\.(tmp|trash)-/.test(n) && !n.endsWith(`-${process.pid}`));
  for (const n of names) rmSync(join(dir, n), { recursive: true, force: true });
  return names;
}

export interface CleanupPlan {
  keep: ReleaseInfo[];
  remove: ReleaseInfo[];
  protected: string[];
}

/**
 * Failed and bad releases go first and never count toward `keep`. The live release and the newest
 * rollback target are never removed, whatever `keep` says.
 */
export function planCleanup(layout: Layout, stack: string, keepN: number): CleanupPlan {
  const all = listReleases(layout, stack);
  const live = liveReleaseId(layout, stack);
  const target = all.find((r) => r.succeeded && !r.bad && (!live || compareReleaseIds(r.id, live) < 0));
  const guarded = new Set([live, target?.id].filter((x): x is string => Boolean(x)));
  const good = all.filter((r) => r.succeeded && !r.bad);
  const keptGood = new Set(good.slice(0, keepN).map((r) => r.id));
  const keep: ReleaseInfo[] = [];
  const remove: ReleaseInfo[] = [];
  for (const r of all) (keptGood.has(r.id) || guarded.has(r.id) ? keep : remove).push(r);
  return { keep, remove, protected: [...guarded] };
}

/** Fewer releases than this are deleted in this process: a child costs more than a few small trees. */
const IN_PROCESS_BELOW = 4;

/**
 * Moves each doomed release into a new trash directory of this run (a rename: a half-deleted
 * directory never looks like a release) and drops its bad marker, then deletes the trash. Up to 4
 * subdirectories of the trash (one per CPU) each get their share of the releases and their own
 * `rm -rf` child, running at once (`deleteTrees`); a handful of releases is deleted in this
 * process. Returns the ids taken out; on an error it throws with them in `removed`, and a trash
 * directory left behind is a leftover the next deploy's cleanup step removes.
 */
export async function removeReleases(
  layout: Layout,
  stack: string,
  doomed: readonly ReleaseInfo[],
): Promise<string[]> {
  const removed: string[] = [];
  if (!doomed.length) return removed;
  const parent = layout.stackReleases(stack);
  const suffix = Math.floor(Math.random() * 2 ** 32).toString(16);
  const trash = join(parent, `.trash-${suffix}-${process.pid}`);
  const parts = doomed.length < IN_PROCESS_BELOW ? 1 : Math.min(4, cpuCount(), doomed.length);
  try {
    mkdirSync(trash, { mode: 0o700 }); // fails if anything is at that name, a link included
    const bins = Array.from({ length: parts }, (_, k) => join(trash, String(k)));
    for (const bin of bins) mkdirSync(bin, { mode: 0o700 });
    doomed.forEach((r, i) => {
      renameSync(r.dir, join(bins[i % parts]!, r.id));
      removed.push(r.id);
      if (r.bad) rmSync(layout.badMarker(stack, r.id), { force: true });
    });
    if (doomed.length < IN_PROCESS_BELOW) rmSync(trash, { recursive: true, force: true });
    else {
      await deleteTrees(bins);
      rmdirSync(trash);
    }
  } catch (err) {
    throw Object.assign(err as Error, { removed });
  }
  return removed;
}

function cpuCount(): number {
  // availableParallelism: Node 18.14 and later; the executor runs on 18.
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}
