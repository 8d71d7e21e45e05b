// The rollback flow (DESIGN.md section 7), one named step per line over one run context: go back N
// successful releases; if a target fails, mark it bad and try the next older one (at most 3 in
// all); if every one fails, restore the release that was live, so the records stay true.
import type { RollbackRequest } from '../common/request.js';
import { readManifest } from './domain/manifest.js';
import {
  factsOf,
  liveToReturnTo,
  recordFailure,
  recordLive,
  type Live,
  type LiveHow,
} from './domain/records.js';
import { engineFor } from './engine/choose.js';
import type { Engine, Host } from './engine/engine.js';
import { DeployError } from './errors.js';
import { runFlow } from './flow.js';
import type { Outcome } from './outcome.js';
import { loadRelease, type Release } from './release.js';
import { liveReleaseId, markBad, rollbackCandidates } from './releases.js';
import { errorMessage, type Reporter } from './report.js';
import { openRun, type RunContext } from './run-context.js';
import { goLive } from './steps/go-live.js';
import { preflightRollback } from './steps/preflight.js';
import { checkSafety } from './steps/safety.js';

const MAX_ATTEMPTS = 3;

export async function rollback(req: RollbackRequest, report: Reporter): Promise<Outcome> {
  const run = openRun(req, report);
  const doing = `rollback -${req.steps}`;
  return runFlow(run, { doing, lockTimeoutS: req.lock_timeout_s, state: req, steps, failed });
}

async function steps(run: RunContext, req: RollbackRequest): Promise<Outcome> {
  const host = await run.step('preflight', () => preflightRollback(run));
  await run.step('safety', () => checkSafety(run.layout, run.stack, run.env));
  const liveId = liveToLeave(run);
  const errors: string[] = [];
  for (const [i, target] of rollbackTargets(run, liveId, req.steps).entries()) {
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

/** The release the records say is live: the one a rollback leaves (there must be one). */
function liveToLeave(run: RunContext): string {
  const liveId = liveToReturnTo(run);
  if (!liveId)
    throw new DeployError(
      `${run.stack} has no live release under ${run.layout.stacksDir}: nothing to roll back from`,
    );
  return liveId;
}

/** The targets `steps` back from the live release, and the next older ones for retries. */
function rollbackTargets(run: RunContext, liveId: string, steps: number) {
  const targets = rollbackCandidates(run.layout, run.stack, liveId).slice(
    steps - 1,
    steps - 1 + MAX_ATTEMPTS,
  );
  if (!targets.length)
    throw new DeployError(
      `no rollback target ${steps} step(s) back from ${liveId}: not enough successful, non-bad releases remain on the server`,
    );
  run.report.log(`live: ${liveId}; candidates in order: ${targets.map((c) => c.id).join(', ')}`);
  return targets;
}

function markFailedTarget(run: RunContext, r: Release, liveId: string, why: string): void {
  const notes = [
    markBad(run.layout, run.stack, r.meta.release_id, why),
    recordFailure(run, 'rollback', factsOf(r, liveId), why),
  ];
  for (const note of notes.filter(Boolean)) run.report.log(note, 'warn');
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

function liveFacts(r: Release, live: Live, liveId: string) {
  const { image_ref, image_digest } = live.manifest;
  const facts = { image_ref, image_digest, previous_release_id: liveId };
  return { release_id: r.meta.release_id, release_dir: r.dir, ...facts, manifest: live.manifest };
}

/** restore: every attempt failed, so what was live when the run began is made live again. */
async function restore(run: RunContext, host: Host, liveId: string, errors: string[]): Promise<Outcome> {
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
