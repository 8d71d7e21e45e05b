// The deploy flow (DESIGN.md section 7), one named step per line over one run context. Nothing
// live changes before `switch`; a failure from `switch` to `record` rolls back to what was live.
import type { DeployRequest } from '../common/request.js';
import { liveToReturnTo, recordFailure, recordLive, type Live } from './domain/records.js';
import { cleanupAfterDeploy } from './domain/retention.js';
import { checkSameEngine, engineFor } from './engine/choose.js';
import { runFlow } from './flow.js';
import { installCli } from './install-cli.js';
import type { Outcome } from './outcome.js';
import { planRelease, type ReleasePlan } from './domain/plan.js';
import { dropStagedPassword } from './registry-credentials.js';
import { chooseReleaseId } from './domain/release-id.js';
import { loadRelease, type Release } from './domain/release.js';
import { errorMessage, type Reporter } from './report.js';
import { openRun, type RunContext } from './run-context.js';
import { autoRollback } from './steps/auto-rollback.js';
import { checkDeployGate } from './steps/gate.js';
import { smokeRelease, startRelease, switchMsg, switchTo } from './steps/go-live.js';
import { preDeploy } from './steps/hooks.js';
import { deployedHow, liveButUnrecorded, liveFacts } from './steps/record.js';
import { preflightDeploy } from './steps/preflight.js';
import { checkSafety } from './steps/safety.js';
import { solidifyRelease } from './steps/solidify.js';

/** What the steps learn, in order: the failure task records what is known when it runs. */
interface Deploy {
  req: DeployRequest;
  releaseId?: string;
  plan?: ReleasePlan;
  /** Set by `safety`: the release to go back to ('' for a first deploy). */
  previousId?: string;
}

export async function deploy(req: DeployRequest, report: Reporter): Promise<Outcome> {
  const run = openRun(req, report);
  run.defer(() => dropStagedPassword(run.layout, req));
  const doing = `deploy ${req.image_tag}`;
  return runFlow(run, { doing, lockTimeoutS: req.lock_timeout_s, state: { req }, steps, failed });
}

async function steps(run: RunContext, d: Deploy): Promise<Outcome> {
  const { req } = d;
  const releaseId = (d.releaseId = chooseReleaseId(run.layout, run.stack, req.image_tag));
  const { host, login } = await run.step('preflight', () => preflightDeploy(run, req));
  const plan = (d.plan = await run.step('validate', () => planRelease(req, releaseId)));
  const gate = await run.step('gate', () => checkDeployGate(run, req, plan));
  await run.step('safety', () => checkSafety(run.layout, run.stack, run.env));
  const previousId = (d.previousId = liveToReturnTo(run) ?? '');
  const release = await run.step('solidify', () => solidifyRelease(run, req, plan), releaseId);
  const engine = engineFor(release, host);
  checkSameEngine(release, previousRelease(run, previousId));
  await run.step('pull', () => engine.ensureImages(release, login), engine.label);
  await run.step('pre_deploy', () => preDeploy(run, release));
  let live: Live;
  try {
    await run.step('switch', () => switchTo(run, release), switchMsg(release));
    const smokePlan = await run.step('up', () => startRelease(engine, release));
    await run.step('smoke', () => smokeRelease(run, engine, release, smokePlan));
    live = await run.step('record', () =>
      recordLive(run, release, deployedHow(run, gate, engine, release, previousId, req.provenance)),
    );
  } catch (err) {
    return autoRollback(run, { engine, failed: release, previousId, err, login });
  }
  if (live.unrecorded) return liveButUnrecorded(run, release, live, previousId);
  const keep = req.keep_releases ?? release.config().keep_releases ?? 10;
  await run
    .step('cleanup', () => cleanupAfterDeploy(run.layout, run.stack, keep, run.report))
    .catch(cleanupLater(run));
  installCli(run.layout, run.report);
  return { status: 'success', msg: `deployed ${releaseId}`, ...liveFacts(release, live, previousId) };
}

/** The release to go back to, if it can be read (a missing one is found out by auto-rollback). */
function previousRelease(run: RunContext, previousId: string): Release | undefined {
  try {
    return previousId ? loadRelease(run.layout.releaseDir(run.stack, previousId)) : undefined;
  } catch {
    return undefined;
  }
}

/** The failure task: whatever step failed, the run is recorded with what it knew by then. */
function failed(run: RunContext, d: Deploy, err: unknown): Outcome {
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

/** The deploy is live and recorded; old releases stay until the next cleanup. */
const cleanupLater = (run: RunContext) => (err: unknown) =>
  run.report.log(`retention skipped: ${errorMessage(err)}`, 'warn', 'cleanup');
