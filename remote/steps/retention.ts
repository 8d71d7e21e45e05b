import type { Layout } from '../layout.js';
import type { Reporter } from '../report.js';
import { planCleanup, removeReleases } from './cleanup.js';

/** Step 12 of a deploy: apply the retention rule to this stack only. */
export function cleanupAfterDeploy(l: Layout, stack: string, keep: number, report: Reporter): void {
  const plan = planCleanup(l, stack, keep);
  removeReleases(l, stack, plan.remove);
  report.log(
    `kept ${plan.keep.length} release(s), removed ${plan.remove.length}${plan.remove.length ? ': ' + plan.remove.map((r) => r.id).join(', ') : ''}`,
  );
}
