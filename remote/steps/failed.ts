// The flows' failure tasks (flow.ts runs one when any step fails, the lock's included): the run is
// recorded with what it knew by then, and the outcome says so. Recording is domain/records.ts.
import type { DeployRequest, RollbackRequest } from '../../common/request.js';
import type { ReleasePlan } from '../domain/plan.js';
import { liveReleaseId } from '../domain/live-link.js';
import { recordFailure } from '../domain/records.js';
import type { Outcome } from '../outcome.js';
import { errorMessage } from '../report.js';
import type { RunContext } from '../run-context.js';

/** What a deploy's steps learn, in order: its failure task records what is known when it runs. */
export interface DeployState {
  req: DeployRequest;
  releaseId?: string;
  plan?: ReleasePlan;
  /** Set by `safety`: the release to go back to ('' for a first deploy). */
  previousId?: string;
}

/** The deploy's failure task: whatever step failed, the run is recorded with what it knew by then. */
export function deployFailed(run: RunContext, d: DeployState, err: unknown): Outcome {
  const known =
    d.plan && d.previousId !== undefined
      ? { image_ref: d.plan.main.ref, image_digest: d.plan.main.digest, previous_release_id: d.previousId }
      : {};
  const facts = { release_id: d.releaseId ?? '', image_tag: d.req.image_tag, ...known };
  const unrecorded = recordFailure(run, 'deploy', facts, errorMessage(err));
  return {
    status: 'failed',
    msg: errorMessage(err) + (unrecorded ? ` (and ${unrecorded})` : ''),
    ...(d.releaseId ? { release_id: d.releaseId } : {}),
    ...known,
  };
}

/** The rollback's failure task: whatever step failed, the run is recorded against what is live. */
export function rollbackFailed(run: RunContext, _req: RollbackRequest, err: unknown): Outcome {
  const facts = { previous_release_id: liveReleaseId(run.layout, run.stack) ?? '' };
  const unrecorded = recordFailure(run, 'rollback', facts, errorMessage(err));
  return { status: 'failed', msg: errorMessage(err) + (unrecorded ? ` (and ${unrecorded})` : '') };
}
