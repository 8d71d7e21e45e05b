// `deploy --check` (request field `check`): a dry run of a deploy's preflight, validate, gate and
// safety steps, without the lock and without changing anything, so a fleet can check every host
// before any of them switches. Its result names the release that is live now (the one to come
// back to).
import type { DeployRequest } from '../common/request.js';
import { recordedLiveId } from './domain/manifest.js';
import { planRelease } from './domain/plan.js';
import type { Outcome } from './outcome.js';
import { errorMessage, type Reporter } from './report.js';
import { openRun } from './run-context.js';
import { checkDeployGate } from './steps/gate.js';
import { preflightRollback } from './steps/preflight.js';
import { checkSafety } from './steps/safety.js';

export async function checkDeploy(req: DeployRequest, report: Reporter): Promise<Outcome> {
  const run = openRun(req, report);
  try {
    // The preflight of a run without a login: a check takes no password and writes no config.
    await run.step('preflight', () => preflightRollback(run));
    const plan = await run.step('validate', () => planRelease(req, 'check'));
    const gate = await run.step('gate', () => checkDeployGate(run, req, plan));
    await run.step('safety', () => checkSafety(run.layout, run.stack, run.env));
    return {
      status: 'success',
      msg: `check passed (gate: ${gate}); nothing changed`,
      image_ref: plan.main.ref,
      image_digest: plan.main.digest,
      previous_release_id: recordedLiveId(run.layout, run.stack) ?? '',
    };
  } catch (err) {
    return { status: 'failed', msg: `check failed: ${errorMessage(err)}; nothing changed` };
  } finally {
    run.close();
  }
}
