// The rollback flow (DESIGN.md section 7), one named step per line over one run context: go back N
// successful releases; if a target fails, mark it bad and try the next older one (at most 3 in
// all); if every one fails, restore the release that was live, so the records stay true.
import type { RollbackRequest } from '../common/request.js';
import { readManifest } from './domain/manifest.js';
import { recordFailure, recordLive, type LiveHow } from './domain/records.js';
import { engineFor } from './engine/choose.js';
import type { Engine } from './engine/engine.js';
import { runFlow } from './flow.js';
import type { Outcome } from './outcome.js';
import { loadRelease, type Release } from './domain/release.js';
import { liveReleaseId } from './domain/live-link.js';
import { errorMessage, type Reporter } from './report.js';
import { openRun, type RunContext } from './run-context.js';
import { goLive } from './steps/go-live.js';
import { preflightRollback } from './steps/preflight.js';
import { restore } from './steps/restore.js';
import { liveToLeave, markFailedTarget, rollbackTargets } from './steps/rollback-targets.js';
import { liveFacts } from './steps/record.js';
import { checkSafety } from './steps/safety.js';

export async function rollback(req: RollbackRequest, report: Reporter): Promise<Outcome> {
  const run = openRun(req, report);
  const doing = req.to ? `rollback --to ${req.to}` : `rollback -${req.steps}`;
  return runFlow(run, { doing, lockTimeoutS: req.lock_timeout_s, state: req, steps, failed });
}

async function steps(run: RunContext, req: RollbackRequest): Promise<Outcome> {
  const host = await run.step('preflight', () => preflightRollback(run));
  await run.step('safety', () => checkSafety(run.layout, run.stack, run.env));
  const liveId = liveToLeave(run);
  const errors: string[] = [];
  for (const [i, target] of rollbackTargets(run, liveId, req.steps, req.to).entries()) {
    const r = loadRelease(target.dir);
    const engine = engineFor(r, host);
    const prefix = `rollback.${i + 1}.`;
    try {
      await run.step(`${prefix}pull`, () => engine.ensureImages(r));
      await goLive(run, engine, r, prefix); // switch, up, smoke
    } catch (err) {
      errors.push(`${r.meta.release_id}: ${errorMessage(err)}`);
      markFailedTarget(run, r, liveId, errorMessage(err));
      continue;
    }
    const live = await run
      .step('record', () => recordLive(run, r, rolledBack(run, req, r, engine, liveId)))
      .catch((err: unknown) => void errors.push(`${r.meta.release_id}: passed, but ${errorMessage(err)}`));
    if (!live) break; // the manifest still names the release we started from: put that back
    if (live.unrecorded) run.report.log(live.unrecorded, 'error', 'record');
    return { status: 'success', msg: `rolled back to ${r.meta.release_id}`, ...liveFacts(r, live, liveId) };
  }
  return restore(run, host, liveId, errors);
}

/** The failure task: whatever step failed, the run is recorded against what is live. */
function failed(run: RunContext, _req: RollbackRequest, err: unknown): Outcome {
  const facts = { previous_release_id: liveReleaseId(run.layout, run.stack) ?? '' };
  const unrecorded = recordFailure(run, 'rollback', facts, errorMessage(err));
  return { status: 'failed', msg: errorMessage(err) + (unrecorded ? ` (and ${unrecorded})` : '') };
}

function rolledBack(
  run: RunContext,
  req: RollbackRequest,
  r: Release,
  engine: Engine,
  liveId: string,
): LiveHow {
  const env = req.env || readManifest(run.layout, run.stack)?.env || r.meta.env;
  return { mode: 'rollback', previous: liveId, env, gate: 'rollback', compose: engine.variant, who: run.who };
}
