// The deploy flow (DESIGN.md section 7), one step per line. Nothing live changes before `switch`;
// after it, any failure rolls back to the release that was live before.
import type { DeployRequest } from '../src/common/request.js';
import { Docker, detectCompose } from './docker.js';
import { installCli } from './install-cli.js';
import { layout, newReleaseId } from './layout.js';
import type { Outcome } from './outcome.js';
import { planRelease, type ReleasePlan } from './plan.js';
import { liveReleaseId, readReleaseMeta } from './releases.js';
import { errorMessage, type Reporter } from './report.js';
import { activate, composeTarget, type Release } from './steps/activate.js';
import { autoRollback } from './steps/auto-rollback.js';
import { checkGate } from './steps/gate.js';
import { runPreDeploy } from './steps/hooks.js';
import { privateDockerConfig, pullIfMissing, takePassword } from './steps/pull.js';
import { DeployError } from './errors.js';
import { preflight, treeBytes } from './steps/preflight.js';
import {
  buildManifest,
  historyRecord,
  recordedLiveId,
  tryRecord,
  writeManifest,
  type Who,
} from './steps/record.js';
import { cleanupAfterDeploy } from './steps/retention.js';
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
  };
  const releaseId = newReleaseId(req.image_tag);
  let facts: Partial<Record<'image_ref' | 'image_digest' | 'previous_release_id', string>> = {};
  const fail = (err: unknown): Outcome => {
    const base = { stack: req.stack, env: req.env, mode: 'deploy', status: 'failed', started } as const;
    const unrecorded = tryRecord(
      l,
      historyRecord(
        base,
        who,
        { release_id: releaseId, image_tag: req.image_tag, ...facts },
        errorMessage(err),
      ),
    );
    const msg = errorMessage(err) + (unrecorded ? ` (and ${unrecorded})` : '');
    return { status: 'failed', msg, release_id: releaseId, ...facts };
  };
  const password = req.registry_login ? takePassword(req.registry_login.password_file) : undefined;
  const dockerConfig = req.registry_login ? privateDockerConfig() : undefined;
  const docker = new Docker(report, dockerConfig?.dir);
  const login = req.registry_login && { ...req.registry_login, password: password! };

  try {
    return await withLock(l, req, releaseId, report, fail, async () => {
      try {
        await report.step('preflight', () =>
          preflight(l, docker, { needBytes: treeBytes(`${req.source}/${req.stack}`) }),
        );
        const plan: ReleasePlan = await report.step('validate', () => planRelease(req, releaseId));
        const gate = await report.step('gate', () =>
          checkGate(l, {
            env: req.env,
            gatedEnvs: req.gated_envs,
            tag: req.image_tag,
            digests: plan.digests,
            breakGlass: req.break_glass,
          }),
        );
        if (gate === 'break-glass')
          report.log(`BREAK-GLASS: deploying without a matching verified marker: ${req.reason}`, 'warn');
        await report.step('safety', () => checkSafety(l, req.stack, req.env));
        const previousId = recordedLiveId(l, req.stack);
        const linked = liveReleaseId(l, req.stack);
        if (linked !== previousId)
          report.log(
            `the live symlink points to ${linked ?? 'nothing'} but the current manifest says ${previousId}: an earlier run stopped between switch and record. The recorded release ${previousId} is the one to go back to`,
            'warn',
          );
        facts = {
          image_ref: plan.main.ref,
          image_digest: plan.main.digest,
          previous_release_id: previousId ?? '',
        };
        const dir = await report.step(
          'solidify',
          () => solidify(l, `${req.source}/${req.stack}`, plan.meta).dir,
          releaseId,
        );
        const release: Release = { dir, meta: readReleaseMeta(dir) };
        const config = readStackConfig(dir, release.meta.compose_file);
        const flavor = await detectCompose();
        await report.step(
          'pull',
          () => pullIfMissing(docker, composeTarget(flavor, release), plan.refs, report, login),
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
            { failed: release, previousId, err, who, started, env: req.env },
            report,
          );
        }
        const current = buildManifest(release.meta, dir, {
          ...who,
          env: req.env,
          previous: previousId ?? '',
          mode: 'deploy',
          gate,
          compose: flavor,
        });
        try {
          await report.step('record', () => writeManifest(l, current));
        } catch (err) {
          // The manifest still names the previous release: put that back, so live and records agree.
          const why = new DeployError(`could not write the current manifest: ${errorMessage(err)}`);
          return await autoRollback(
            l,
            docker,
            flavor,
            { failed: release, previousId, err: why, who, started, env: req.env },
            report,
          );
        }
        const base = { stack: req.stack, env: req.env, mode: 'deploy', status: 'success', started } as const;
        const unrecorded = tryRecord(
          l,
          historyRecord(base, who, { release_id: releaseId, image_tag: req.image_tag, ...facts }, '', {
            gate,
            images: current.images,
          }),
        );
        if (unrecorded) {
          report.log(unrecorded, 'error', 'record');
          return {
            status: 'failed',
            msg: `${releaseId} is live and the current manifest says so, but ${unrecorded}. Free some space; it will not be offered as a rollback target`,
            release_id: releaseId,
            release_dir: dir,
            ...facts,
            manifest: current,
          };
        }
        await report.step('cleanup', () =>
          cleanupAfterDeploy(l, req.stack, req.keep_releases ?? config.keep_releases ?? 10, report),
        );
        installCli(l, report);
        return {
          status: 'success',
          msg: `deployed ${releaseId}`,
          release_id: releaseId,
          release_dir: dir,
          ...facts,
          manifest: current,
        };
      } catch (err) {
        return fail(err);
      }
    });
  } finally {
    dockerConfig?.dispose();
  }
}
