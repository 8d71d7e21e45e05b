// The deploy flow (DESIGN.md section 7), one step per line. Nothing live changes before `switch`;
// after it, any failure rolls back to the release that was live before.
import { readFileSync } from 'node:fs';
import { parseDigestManifest, resolveImageVars, type DigestManifest } from '../src/common/digest-manifest.js';
import type { DeployRequest } from '../src/common/request.js';
import { DeployError } from './errors.js';
import { Docker, detectCompose } from './docker.js';
import { layout, newReleaseId, type Layout } from './layout.js';
import { liveReleaseId, readReleaseMeta } from './releases.js';
import { errorMessage, type Reporter } from './report.js';
import { activate, composeTarget, type Release } from './steps/activate.js';
import { autoRollback } from './steps/auto-rollback.js';
import { checkGate } from './steps/gate.js';
import { runPreDeploy } from './steps/hooks.js';
import { withLock } from './steps/with-lock.js';
import { imagesPresent, privateDockerConfig, pullImages, registryLogin, takePassword } from './steps/pull.js';
import { buildManifest, historyRecord, mainImage, record, writeManifest, type Who } from './steps/record.js';
import { checkLiveLink } from './steps/safety.js';
import { solidify } from './steps/solidify.js';
import { cleanupAfterDeploy } from './steps/retention.js';
import { installCli } from './install-cli.js';
import { readStackConfig } from './stack-config.js';
import type { Outcome } from './outcome.js';

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
  const fail = (err: unknown, extra: Record<string, string> = {}): Outcome => {
    const error = errorMessage(err);
    record(
      l,
      historyRecord(
        { stack: req.stack, env: req.env, mode: 'deploy', status: 'failed', started },
        who,
        { release_id: releaseId, image_tag: req.image_tag, ...extra },
        error,
      ),
    );
    return { status: 'failed', msg: error, release_id: releaseId };
  };
  const password = req.registry_login ? takePassword(req.registry_login.password_file) : undefined;
  const dockerConfig = req.registry_login ? privateDockerConfig() : undefined;
  const docker = new Docker(report, dockerConfig?.dir);

  try {
    return await withLock(l, req, releaseId, report, fail, async () => {
      const manifest = await report.step('validate', () => validateManifest(req));
      const images = resolveImageVars(manifest, req.images);
      const digests = Object.fromEntries(
        Object.values(images).map((i) => [nameOf(manifest, i.ref), i.digest]),
      );
      const gate = await report.step('gate', () =>
        checkGate(l, {
          env: req.env,
          gatedEnvs: req.gated_envs,
          tag: req.image_tag,
          digests,
          breakGlass: req.break_glass,
        }),
      );
      if (gate === 'break-glass')
        report.log(`BREAK-GLASS deploy without a matching verified marker: ${req.reason}`, 'warn');
      await report.step('safety', () => checkLiveLink(l, req.stack));
      const previousId = liveReleaseId(l, req.stack);
      const meta = {
        stack: req.stack,
        env: req.env,
        release_id: releaseId,
        image_tag: req.image_tag,
        git_sha: manifest.git_sha,
        images: Object.fromEntries(
          Object.entries(images).map(([v, i]) => [
            v,
            { name: nameOf(manifest, i.ref), ref: i.ref, digest: i.digest },
          ]),
        ),
      };
      const main = mainImage({ ...meta, compose_file: '', created_at_utc: '' });
      const facts = { image_ref: main.ref, image_digest: main.digest, previous_release_id: previousId ?? '' };
      try {
        const created = await report.step(
          'solidify',
          () => solidify(l, `${req.source}/${req.stack}`, meta),
          releaseId,
        );
        const release: Release = { dir: created.dir, meta: readReleaseMeta(created.dir) };
        const config = readStackConfig(release.dir, release.meta.compose_file);
        const flavor = await detectCompose();
        await report.step(
          'pull',
          async () => {
            if (
              await imagesPresent(
                docker,
                Object.values(images).map((i) => i.ref),
              )
            )
              return report.log('all images already present locally (pinned by digest): nothing to pull');
            if (req.registry_login)
              await registryLogin(
                docker,
                req.registry_login.registry,
                req.registry_login.username,
                password!,
              );
            await pullImages(docker, composeTarget(flavor, release));
          },
          `compose ${flavor}`,
        );
        await report.step('pre_deploy', () =>
          runPreDeploy(
            config.hooks.pre_deploy,
            {
              releaseDir: release.dir,
              releaseId,
              stack: req.stack,
              env: req.env,
              imageRef: main.ref,
              backupsDir: l.backupsDir,
            },
            report,
          ),
        );
        try {
          await activate(l, docker, flavor, release, report);
        } catch (err) {
          return await autoRollback(
            l,
            docker,
            flavor,
            { failed: release, previousId, err, who, started, env: req.env },
            report,
          );
        }
        const current = buildManifest(release.meta, release.dir, {
          ...who,
          env: req.env,
          previous: previousId ?? '',
          mode: 'deploy',
          gate,
          compose: flavor,
        });
        await report.step('record', () => {
          writeManifest(l, current);
          record(
            l,
            historyRecord(
              { stack: req.stack, env: req.env, mode: 'deploy', status: 'success', started },
              who,
              { release_id: releaseId, image_tag: req.image_tag, ...facts },
              '',
              { gate, images: current.images },
            ),
          );
        });
        await report.step('cleanup', () =>
          cleanupAfterDeploy(l, req.stack, req.keep_releases ?? config.keep_releases ?? 10, report),
        );
        installCli(l, report);
        return {
          status: 'success',
          msg: `deployed ${releaseId}`,
          release_id: releaseId,
          release_dir: release.dir,
          ...facts,
          manifest: current,
        };
      } catch (err) {
        if (!(err instanceof DeployError))
          report.log(`unexpected error: ${(err as Error).stack ?? err}`, 'error');
        return fail(err, facts);
      }
    });
  } finally {
    dockerConfig?.dispose();
  }
}

function validateManifest(req: DeployRequest): DigestManifest {
  let text: string;
  try {
    text = readFileSync(req.digest_file, 'utf8');
  } catch (err) {
    throw new DeployError(`digest_file ${req.digest_file} cannot be read: ${errorMessage(err)}`, 2);
  }
  return parseDigestManifest(text, req.image_tag);
}

function nameOf(m: DigestManifest, ref: string): string {
  return Object.entries(m.images).find(([, i]) => i.ref === ref)?.[0] ?? '';
}

export type { Layout };
