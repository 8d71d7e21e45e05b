// The rollback flow (DESIGN.md section 7), one named step per line over one run context: go back N
// successful releases; if a target fails, mark it bad and try the next older one (at most 3 in
// all); if every one fails, restore the release that was live, so the records stay true.
import type { RollbackRequest } from '../common/request.js';
import { recordLive } from './domain/records.js';
import { loadRelease } from './domain/release.js';
import { engineFor } from './engine/choose.js';
import { runFlow } from './flow.js';
import type { Outcome } from './outcome.js';
import { errorMessage, type Reporter } from './report.js';
import { openRun, type RunContext } from './run-context.js';
import { rollbackFailed } from './steps/failed.js';
import { smokeRelease, startRelease, switchMsg, switchTo } from './steps/go-live.js';
import { preflightRollback } from './steps/preflight.js';
import { liveFacts, rolledBackHow } from './steps/record.js';
import { restore } from './steps/restore.js';
import { liveToLeave, markFailedTarget, rollbackTargets } from './steps/rollback-targets.js';
import { checkSafety } from './steps/safety.js';

export async function rollback(req: RollbackRequest, report: Reporter): Promise<Outcome> {
  const run = openRun(req, report);
  const doing = req.to ? `rollback --to ${req.to}` : `rollback -${req.steps}`;
  return runFlow(run, { doing, lockTimeoutS: req.lock_timeout_s, state: req, steps, failed: rollbackFailed });
}

async function steps(run: RunContext, req: RollbackRequest): Promise<Outcome> {
  const host = await run.step('preflight', () => preflightRollback(run));
  await run.step('safety', () => checkSafety(run.layout, run.stack, run.env));
  const liveId = liveToLeave(run);
  const errors: string[] = [];
  for (const [i, target] of rollbackTargets(run, liveId, req.steps, req.to).entries()) {
    const r = loadRelease(target.dir);
    const engine = engineFor(r, host);
    const prefix = `rollback.${i + 1}.`; // the log tells the attempts apart
    try {
      await run.step(`${prefix}pull`, () => engine.ensureImages(r));
      await run.step(`${prefix}switch`, () => switchTo(run, r), switchMsg(r));
      const smokePlan = await run.step(`${prefix}up`, () => startRelease(engine, r));
      await run.step(`${prefix}smoke`, () => smokeRelease(run, engine, r, smokePlan));
    } catch (err) {
      errors.push(`${r.meta.release_id}: ${errorMessage(err)}`);
      markFailedTarget(run, r, liveId, errorMessage(err));
      continue;
    }
    const live = await run
      .step('record', () => recordLive(run, r, rolledBackHow(run, req, r, engine, liveId)))
      .catch((err: unknown) => void errors.push(`${r.meta.release_id}: passed, but ${errorMessage(err)}`));
    if (!live) break; // the manifest still names the release we started from: put that back
    if (live.unrecorded) run.report.log(live.unrecorded, 'error', 'record');
    return { status: 'success', msg: `rolled back to ${r.meta.release_id}`, ...liveFacts(r, live, liveId) };
  }
  return restore(run, host, liveId, errors);
}
