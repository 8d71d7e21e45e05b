// The deploy flow (DESIGN.md section 7), one named step per line over one run context. Nothing
// live changes before `switch`; a failure from `switch` to `record` rolls back to what was live.
import type { DeployRequest } from '../common/request.js';
import { liveToReturnTo, previousRelease, recordLive, type Live } from './domain/records.js';
import { cleanupAfterDeploy, cleanupLater } from './domain/retention.js';
import { checkSameEngine, engineFor } from './engine/choose.js';
import { runFlow } from './flow.js';
import { installCli } from './install-cli.js';
import type { Outcome } from './outcome.js';
import { planRelease } from './domain/plan.js';
import { dropStagedPassword } from './registry-credentials.js';
import { chooseReleaseId } from './domain/release-id.js';
import type { Reporter } from './report.js';
import { openRun, type RunContext } from './run-context.js';
import { autoRollback } from './steps/auto-rollback.js';
import { deployFailed, type DeployState } from './steps/failed.js';
import { checkDeployGate } from './steps/gate.js';
import { smokeRelease, startRelease, switchMsg, switchTo } from './steps/go-live.js';
import { preDeploy } from './steps/hooks.js';
import { deployedHow, liveButUnrecorded, liveFacts } from './steps/record.js';
import { preflightDeploy } from './steps/preflight.js';
import { checkSafety } from './steps/safety.js';
import { solidifyRelease } from './steps/solidify.js';

export async function deploy(req: DeployRequest, report: Reporter): Promise<Outcome> {
  const run = openRun(req, report);
  run.defer(() => dropStagedPassword(run.layout, req));
  const flow = { doing: `deploy ${req.image_tag}`, lockTimeoutS: req.lock_timeout_s, state: { req } };
  return runFlow(run, { ...flow, steps, failed: deployFailed });
}

async function steps(run: RunContext, d: DeployState): Promise<Outcome> {
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
  const how = deployedHow(run, gate, engine, release, previousId, req.provenance);
  let live: Live;
  try {
    await run.step('switch', () => switchTo(run, release), switchMsg(release));
    const smokePlan = await run.step('up', () => startRelease(engine, release));
    await run.step('smoke', () => smokeRelease(run, engine, release, smokePlan));
    live = await run.step('record', () => recordLive(run, release, how));
  } catch (err) {
    return autoRollback(run, { engine, failed: release, previousId, err, login });
  }
  if (live.unrecorded) return liveButUnrecorded(run, release, live, previousId);
  const keep = req.keep_releases ?? release.config().keep_releases ?? 10;
  await run.step('cleanup', () => cleanupAfterDeploy(run, keep)).catch(cleanupLater(run));
  installCli(run.layout, run.report);
  return { status: 'success', msg: `deployed ${releaseId}`, ...liveFacts(release, live, previousId) };
}
