// restore: a rollback whose every target failed makes the release it started from live again,
// and records the failure (DESIGN.md section 7).
import { readManifest } from '../domain/manifest.js';
import { factsOf, recordFailure } from '../domain/records.js';
import { engineFor } from '../engine/choose.js';
import type { Host } from '../engine/engine.js';
import type { Outcome } from '../outcome.js';
import { loadRelease } from '../domain/release.js';
import { errorMessage } from '../report.js';
import type { RunContext } from '../run-context.js';
import { goLive } from './go-live.js';

/** restore: every attempt failed, so what was live when the run began is made live again. */
export async function restore(
  run: RunContext,
  host: Host,
  liveId: string,
  errors: string[],
): Promise<Outcome> {
  run.report.start('restore', `back to ${liveId}`);
  const live = loadRelease(run.layout.releaseDir(run.stack, liveId));
  const restored = await goLive(run, engineFor(live, host), live, 'restore.').then(() => '', errorMessage);
  run.report.end('restore', restored ? 'failed' : 'ok', restored);
  const msg = `rollback failed after ${errors.length} attempt(s): ${errors.join('; ')}. ${liveId} is live again${restored ? ` but fails its smoke check: ${restored}` : ''}`;
  const unrecorded = recordFailure(run, 'rollback', factsOf(live, liveId), msg);
  return {
    status: 'failed',
    msg: msg + (unrecorded ? ` (and ${unrecorded})` : ''),
    release_id: liveId,
    previous_release_id: liveId,
    manifest: readManifest(run.layout, run.stack),
  };
}
