// Which releases a rollback goes back to: the live one it leaves, the targets in order (retries
// included), and a failed target marked bad and recorded before the next is tried.
import { factsOf, liveToReturnTo, recordFailure } from '../domain/records.js';
import { DeployError } from '../errors.js';
import type { Release } from '../domain/release.js';
import { markBad, rollbackCandidates } from '../domain/releases.js';
import type { RunContext } from '../run-context.js';

/** A target that fails is marked bad and the next older one tried, at most this many in all. */
const MAX_ATTEMPTS = 3;

/** The release the records say is live: the one a rollback leaves (there must be one). */
export function liveToLeave(run: RunContext): string {
  const liveId = liveToReturnTo(run);
  if (!liveId)
    throw new DeployError(
      `${run.stack} has no live release under ${run.layout.stacksDir}: nothing to roll back from`,
    );
  return liveId;
}

/**
 * The targets `steps` back from the live release, and the next older ones for retries; with `to`
 * (a fleet going back to what each host had), exactly that release and no other.
 */
export function rollbackTargets(run: RunContext, liveId: string, steps: number, to?: string) {
  const all = rollbackCandidates(run.layout, run.stack, liveId);
  if (to) {
    const target = all.filter((c) => c.id === to);
    if (!target.length)
      throw new DeployError(
        `${to} is not a rollback candidate of ${run.stack} (live ${liveId}): it must be an older release that succeeded and is not marked bad`,
      );
    run.report.log(`live: ${liveId}; going back to ${to}`);
    return target;
  }
  const targets = all.slice(steps - 1, steps - 1 + MAX_ATTEMPTS);
  if (!targets.length)
    throw new DeployError(
      `no rollback target ${steps} step(s) back from ${liveId}: not enough successful, non-bad releases remain on the server`,
    );
  run.report.log(`live: ${liveId}; candidates in order: ${targets.map((c) => c.id).join(', ')}`);
  return targets;
}

export function markFailedTarget(run: RunContext, r: Release, liveId: string, why: string): void {
  const notes = [
    markBad(run.layout, run.stack, r.meta.release_id, why),
    recordFailure(run, 'rollback', factsOf(r, liveId), why),
  ];
  for (const note of notes.filter(Boolean)) run.report.log(note, 'warn');
}
