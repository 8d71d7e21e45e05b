// pre_deploy hooks from the stack's config (e.g. a database backup into <root>/backups/).
import { mkdirSync } from 'node:fs';
import { run } from '../exec.js';
import { composeEnv } from '../docker.js';
import { DeployError } from '../errors.js';
import { mainImage, type Release } from '../domain/release.js';
import type { Reporter } from '../report.js';
import type { RunContext } from '../run-context.js';

/** The pre_deploy step: the release's own hook, in its directory, under its time limit. */
export async function preDeploy(run: RunContext, r: Release): Promise<void> {
  const cfg = r.config();
  const ctx = {
    releaseDir: r.dir,
    releaseId: r.meta.release_id,
    stack: run.stack,
    env: run.env,
    imageRef: mainImage(r.meta).ref,
    backupsDir: run.layout.backupsDir,
    timeoutS: cfg.timeouts.pre_deploy,
  };
  await runPreDeploy(cfg.hooks.pre_deploy, ctx, run.report);
}

export async function runPreDeploy(
  argv: string[] | undefined,
  ctx: {
    releaseDir: string;
    releaseId: string;
    stack: string;
    env: string;
    imageRef: string;
    backupsDir: string;
    /** x-seisei-deploy.timeouts.pre_deploy */
    timeoutS: number;
  },
  report: Reporter,
): Promise<void> {
  if (!argv?.length) return;
  mkdirSync(ctx.backupsDir, { recursive: true, mode: 0o750 });
  const env = {
    ...composeEnv(),
    RELEASE_ID: ctx.releaseId,
    RELEASE_DIR: ctx.releaseDir,
    STACK: ctx.stack,
    DEPLOY_ENV: ctx.env,
    IMAGE_REF: ctx.imageRef,
    BACKUPS_DIR: ctx.backupsDir,
  };
  const r = await run(argv, {
    env,
    cwd: ctx.releaseDir,
    onLine: (line) => report.log(line),
    timeoutMs: ctx.timeoutS * 1000,
  }).catch((err: Error) => {
    throw new DeployError(`pre_deploy hook ${JSON.stringify(argv[0])} could not start: ${err.message}`);
  });
  if (r.timedOut)
    throw new DeployError(
      `pre_deploy hook ${JSON.stringify(argv[0])} did not finish within ${ctx.timeoutS} s (x-seisei-deploy.timeouts.pre_deploy): its processes were stopped; nothing was switched`,
    );
  if (r.code !== 0) throw new DeployError(`pre_deploy hook failed (exit ${r.code}); nothing was switched`);
}
