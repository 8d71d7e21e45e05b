import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from '../../common/layout.js';
import type { Reporter } from '../report.js';
import { planCleanup, removeReleases } from './cleanup.js';

/** Step 12 of a deploy: apply the retention rule to this stack only. */
export function cleanupAfterDeploy(l: Layout, stack: string, keep: number, report: Reporter): void {
  const leftovers = removeLeftovers(l, stack);
  if (leftovers.length) report.log(`removed what killed runs left behind: ${leftovers.join(', ')}`);
  const plan = planCleanup(l, stack, keep);
  removeReleases(l, stack, plan.remove);
  report.log(
    `kept ${plan.keep.length} release(s), removed ${plan.remove.length}${plan.remove.length ? ': ' + plan.remove.map((r) => r.id).join(', ') : ''}`,
  );
  const runs = pruneRuns(l, stack);
  if (runs) report.log(`removed ${runs} run journal file(s) older than ${RUN_JOURNAL_DAYS} days`);
}

/** Run journals (and their staged inputs) are kept this long; the history keeps every record forever. */
export const RUN_JOURNAL_DAYS = 30;

/** Removes this stack's run journals, pid files and staged inputs older than RUN_JOURNAL_DAYS. */
export function pruneRuns(l: Layout, stack: string, now = Date.now()): number {
  const dir = l.runsDir(stack);
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
function removeLeftovers(l: Layout, stack: string): string[] {
  const dir = l.stackReleases(stack);
  const names = readdirSync(dir).filter((n) => /^\.(tmp|trash)-/.test(n) && !n.endsWith(`-${process.pid}`));
  for (const n of names) rmSync(join(dir, n), { recursive: true, force: true });
  return names;
}
