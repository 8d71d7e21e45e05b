// `deploy --check` (request field `check`): a dry run of a deploy's validate, gate and safety steps,
// without the lock and without changing anything, so a fleet can check every host before any of
// them switches. Its result names the release that is live now (the one to come back to).
import type { DeployRequest } from '../common/request.js';
import { layout } from '../common/layout.js';
import { Docker } from './docker.js';
import type { Outcome } from './outcome.js';
import { planRelease } from './plan.js';
import { errorMessage, type Reporter } from './report.js';
import { checkGate } from './steps/gate.js';
import { preflight } from './steps/preflight.js';
import { checkSafety } from './steps/safety.js';
import { recordedLiveId } from './steps/record.js';

export async function checkDeploy(req: DeployRequest, report: Reporter): Promise<Outcome> {
  const l = layout(req.root);
  const docker = new Docker(report);
  try {
    await report.step('preflight', () => preflight(l, docker, report));
    const plan = await report.step('validate', () => planRelease(req, 'check'));
    const gate = await report.step('gate', () =>
      checkGate(l, {
        env: req.env,
        gatedEnvs: req.gated_envs,
        tag: req.image_tag,
        digests: plan.digests,
        breakGlass: req.break_glass,
        requireProvenance: req.provenance?.mode === 'require',
      }),
    );
    await report.step('safety', () => checkSafety(l, req.stack, req.env));
    const live = recordedLiveId(l, req.stack) ?? '';
    return {
      status: 'success',
      msg: `check passed (gate: ${gate}); nothing changed`,
      image_ref: plan.main.ref,
      image_digest: plan.main.digest,
      previous_release_id: live,
    };
  } catch (err) {
    return { status: 'failed', msg: `check failed: ${errorMessage(err)}; nothing changed` };
  }
}
