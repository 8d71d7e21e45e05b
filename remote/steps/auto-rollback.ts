// auto_rollback: after a failed switch, up, smoke or record, put back the release that was live
// before, mark the new one bad, and record both. With nothing to go back to, the failed stack is
// taken down. The records stay true to what is live, whatever else fails.
import type { Engine, Login } from '../engine/engine.js';
import { readManifest } from '../domain/manifest.js';
import { factsOf, recordFailure, recordLive, recordRun } from '../domain/records.js';
import type { Outcome } from '../outcome.js';
import { loadRelease, type Release } from '../domain/release.js';
import { markBad } from '../domain/releases.js';
import { errorMessage } from '../report.js';
import type { RunContext } from '../run-context.js';
import { goLive } from './go-live.js';
import { removeLive } from '../domain/live-link.js';

export interface FailedDeploy {
  engine: Engine;
  failed: Release;
  /** The release live before the deploy ('' for a first deploy). */
  previousId: string;
  err: unknown;
  /** The run's registry login, if it has one: the previous release may need a pull too. */
  login?: Login;
}

export async function autoRollback(run: RunContext, d: FailedDeploy): Promise<Outcome> {
  const why = errorMessage(d.err);
  const failedFacts = factsOf(d.failed, d.previousId);
  const notMarked = markBad(run.layout, run.stack, d.failed.meta.release_id, why);
  if (notMarked) run.report.log(notMarked, 'warn');
  if (!d.previousId) return takeDownFirst(run, d, why);

  run.report.start('auto_rollback', `back to ${d.previousId}`);
  const previous = loadRelease(run.layout.releaseDir(run.stack, d.previousId));
  // A failed pull does not stop the way back: the switch goes on, so the records below stay true
  // to what is live, and `up` may still find the images (v1 with root's own login).
  const notPulled = await run
    .step('auto_rollback.pull', () => d.engine.ensureImages(previous, d.login))
    .then(() => '', errorMessage);
  const rollbackError = await goLive(run, d.engine, previous, 'auto_rollback.').then(
    () => '',
    (err) => errorMessage(err) + (notPulled ? ` (its images could not be pulled: ${notPulled})` : ''),
  );
  run.report.end('auto_rollback', rollbackError ? 'failed' : 'ok', rollbackError);

  // Best effort on every part: a full disk must not hide that the previous release is live again.
  // If the manifest cannot be rewritten it still names previousId (it was not changed by this run).
  // The failed deploy's line first, then the put-back release's (manifest, then its line).
  run.report.start('record');
  const notRecorded = recordFailure(run, 'deploy', failedFacts, why, 'rolled_back');
  const live = recordPutBack(run, d, previous, rollbackError);
  const unrecorded = [live.unrecorded, notRecorded].filter(Boolean);
  run.report.end('record', unrecorded.length ? 'failed' : 'ok', unrecorded.join('; '));
  const msg =
    (rollbackError
      ? `${why}; rolled back to ${d.previousId}, but it failed its smoke check too: ${rollbackError}`
      : `${why}; rolled back to ${d.previousId}, which is live and answering`) +
    (unrecorded.length ? ` (and ${unrecorded.join('; ')})` : '');
  return { status: 'rolled_back', msg, ...failedFacts, manifest: live.manifest, error: why };
}

/** The previous release is live again: the manifest keeps its gate and break-glass, the history says how it went. */
function recordPutBack(
  run: RunContext,
  d: FailedDeploy,
  previous: Release,
  rollbackError: string,
): { manifest: object | undefined; unrecorded: string } {
  const before = readManifest(run.layout, run.stack);
  const how = {
    mode: 'auto-rollback',
    previous: d.failed.meta.release_id,
    env: before?.env ?? run.env,
    gate: before?.gate ?? '',
    compose: d.engine.variant,
    who: {
      ...run.who,
      break_glass: before?.break_glass ?? false,
      break_glass_reason: before?.break_glass_reason ?? '',
    },
    status: rollbackError ? 'failed' : 'success',
    error: rollbackError,
  } as const;
  try {
    return recordLive(run, previous, how);
  } catch (err) {
    // The manifest still names the previous release, which is live: its history line is true too.
    const facts = factsOf(previous, d.failed.meta.release_id);
    const notRecorded = recordRun(run, 'auto-rollback', how.status, facts, rollbackError);
    const notWritten = errorMessage(err);
    return {
      manifest: readManifest(run.layout, run.stack),
      unrecorded: [notWritten, notRecorded].filter(Boolean).join('; '),
    };
  }
}

async function takeDownFirst(run: RunContext, d: FailedDeploy, why: string): Promise<Outcome> {
  run.report.start('auto_rollback', 'no previous release: taking the failed stack down');
  await d.engine.down(d.failed).catch((e) => run.report.log(errorMessage(e), 'warn'));
  removeLive(run.layout, run.stack);
  run.report.end('auto_rollback', 'ok');
  const unrecorded = recordFailure(run, 'deploy', factsOf(d.failed, ''), why);
  return {
    status: 'failed',
    msg: `${why}; this was the first release of ${run.stack}, so it was taken down (nothing is live)${unrecorded ? ` (and ${unrecorded})` : ''}`,
    ...factsOf(d.failed, ''),
  };
}
