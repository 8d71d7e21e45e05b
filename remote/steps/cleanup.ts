// Retention (DESIGN.md section 7 step 12): keep the newest N successful releases of one stack.
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from '../../common/layout.js';
import { compareReleaseIds, listReleases, liveReleaseId, type ReleaseInfo } from '../releases.js';

export interface CleanupPlan {
  keep: ReleaseInfo[];
  remove: ReleaseInfo[];
  protected: string[];
}

/**
 * Failed and bad releases go first and never count toward `keep`. The live release and the newest
 * rollback target are never removed, whatever `keep` says.
 */
export function planCleanup(l: Layout, stack: string, keepN: number): CleanupPlan {
  const all = listReleases(l, stack);
  const live = liveReleaseId(l, stack);
  const target = all.find((r) => r.succeeded && !r.bad && (!live || compareReleaseIds(r.id, live) < 0));
  const guarded = new Set([live, target?.id].filter((x): x is string => Boolean(x)));
  const good = all.filter((r) => r.succeeded && !r.bad);
  const keptGood = new Set(good.slice(0, keepN).map((r) => r.id));
  const keep: ReleaseInfo[] = [];
  const remove: ReleaseInfo[] = [];
  for (const r of all) (keptGood.has(r.id) || guarded.has(r.id) ? keep : remove).push(r);
  return { keep, remove, protected: [...guarded] };
}

/** Renames first so a half-deleted directory never looks like a release, then deletes. */
export function removeReleases(l: Layout, stack: string, doomed: ReleaseInfo[]): void {
  for (const r of doomed) {
    const trash = join(l.stackReleases(stack), `.trash-${r.id}-${process.pid}`);
    renameSync(r.dir, trash);
    rmSync(trash, { recursive: true, force: true });
    rmSync(l.badMarker(stack, r.id), { force: true });
  }
}
