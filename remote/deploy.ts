// The deploy flow (DESIGN.md section 7), one step per line. Nothing live changes before `switch`;
// after it, any failure rolls back to the release that was live before.
import type { DeployRequest } from '../common/request.js';
import { Docker } from './docker.js';
import { layout } from '../common/layout.js';
import type { Outcome } from './outcome.js';
import { planRelease } from './plan.js';
import { chooseReleaseId } from './release-id.js';
import { readReleaseMeta } from './releases.js';
import { errorMessage, type Reporter } from './report.js';
import { activate, type Release } from './steps/activate.js';
import { autoRollback } from './steps/auto-rollback.js';
import { checkGate } from './steps/gate.js';
import { runPreDeploy } from './steps/hooks.js';
import { preflight, treeBytes } from './steps/preflight.js';
import { pullRelease } from './steps/pull.js';
import { privateDockerConfig, takePassword } from './registry-credentials.js';
import { stagedPasswordFile } from './cli/stdin-inputs.js';
import { historyRecord, liveToReturnTo, tryRecord, type Who } from './steps/record.js';
import { recordDeploy } from './steps/record-deploy.js';
import { checkSafety } from './steps/safety.js';
import { solidify } from './steps/solidify.js';
import { withLock } from './steps/with-lock.js';
import { readStackConfig } from './stack-config.js';

export async function deploy(req: DeployRequest, report: Reporter): Promise<Outcome> {
  const l = layout(req.root);
  const started = Date.now();
  const who: Who = {
    actor: req.actor,
    run_id: req.run_id,
    break_glass: req.break_glass,
    break_glass_reason: req.reason,
    ...(req.fleet ? { fleet: req.fleet } : {}),
  };
  // Chosen under the lock (below): only then can no other run take the same name. A failure before
  // that (the lock) names no release.
  let releaseId = '';
  const source = `${req.source}/${req.stack}`;
  let facts: Partial<Record<'image_ref' | 'image_digest' | 'previous_release_id', string>> = {};
  const fail = (err: unknown): Outcome => {
    const base = { stack: req.stack, env: req.env, mode: 'deploy', status: 'failed', started } as const;
    const rec = historyRecord(
      base,
      who,
      { release_id: releaseId, image_tag: req.image_tag, ...facts },
      errorMessage(err),
    );
    const unrecorded = tryRecord(l, rec);
    return {
      status: 'failed',
      msg: errorMessage(err) + (unrecorded ? ` (and ${unrecorded})` : ''),
      ...(releaseId ? { release_id: releaseId } : {}),
      ...facts,
    };
  };
  const login = req.registry_login && {
    ...req.registry_login,
    password: takePassword(
      req.registry_login.password_file,
      req.registry_login.password_file === stagedPasswordFile(l, req.stack, req.run_key),
    ),
  };
  const dockerConfig = login ? privateDockerConfig(l.runsDir(req.stack)) : undefined;
  const docker = new Docker(report, dockerConfig?.dir);

  try {
    return await withLock(l, req, `deploy ${req.image_tag}`, report, fail, async () => {
      try {
        releaseId = chooseReleaseId(l, req.stack, req.image_tag);
        const flavor = await report.step('preflight', () =>
          preflight(l, docker, report, { needBytes: treeBytes(source) }),
        );
        const plan = await report.step('validate', () => planRelease(req, releaseId));
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
        if (gate === 'break-glass')
          report.log(`BREAK-GLASS: deploying without a matching verified marker: ${req.reason}`, 'warn');
        await report.step('safety', () => checkSafety(l, req.stack, req.env));
        const previousId = liveToReturnTo(l, req.stack, report);
        facts = {
          image_ref: plan.main.ref,
          image_digest: plan.main.digest,
          previous_release_id: previousId ?? '',
        };
        const dir = await report.step('solidify', () => solidify(l, source, plan.meta).dir, releaseId);
        const release: Release = { dir, meta: readReleaseMeta(dir) };
        const config = readStackConfig(dir, release.meta.compose_file);
        await report.step(
          'pull',
          () =>
            docker.within('pull', config.timeouts.pull, () =>
              pullRelease(docker, flavor, release, report, login),
            ),
          `compose ${flavor}`,
        );
        await report.step('pre_deploy', () =>
          runPreDeploy(
            config.hooks.pre_deploy,
            {
              releaseDir: dir,
              releaseId,
              stack: req.stack,
              env: req.env,
              imageRef: plan.main.ref,
              backupsDir: l.backupsDir,
              timeoutS: config.timeouts.pre_deploy,
            },
            report,
          ),
        );
        try {
          await activate(l, docker, flavor, release, report); // switch, up, smoke
        } catch (err) {
          return await autoRollback(
            l,
            docker,
            flavor,
            { failed: release, previousId, err, who, started, env: req.env, login },
            report,
          );
        }
        return await recordDeploy(
          l,
          docker,
          flavor,
          {
            release,
            previousId,
            who,
            gate,
            started,
            env: req.env,
            facts,
            keep: req.keep_releases ?? config.keep_releases ?? 10,
            provenance: req.provenance,
          },
          report,
        );
      } catch (err) {
        return fail(err);
      }
    });
  } finally {
    dockerConfig?.dispose();
  }
}
