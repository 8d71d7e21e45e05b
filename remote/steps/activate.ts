// Makes a release live: switch the symlink, bring the stack up, smoke it. Shared by deploy,
// rollback and auto-rollback.
import { composeDown, composeUp, type ComposeFlavor } from '../commands/compose.js';
import { target, type Docker } from '../docker.js';
import type { Layout } from '../layout.js';
import type { ReleaseMeta } from '../releases.js';
import type { Reporter } from '../report.js';
import { readEnvFile, readStackConfig, interpolate } from '../stack-config.js';
import { smoke } from './smoke.js';
import { switchLive } from './switch.js';

export interface Release {
  dir: string;
  meta: ReleaseMeta;
}

export function composeTarget(flavor: ComposeFlavor, r: Release) {
  return target(flavor, r.meta.stack, r.dir, r.meta.compose_file);
}

export async function bringUp(docker: Docker, flavor: ComposeFlavor, r: Release): Promise<void> {
  await docker.must(composeUp(composeTarget(flavor, r)), 'docker compose up');
}

export async function smokeRelease(docker: Docker, r: Release, report: Reporter): Promise<void> {
  const cfg = readStackConfig(r.dir, r.meta.compose_file);
  const vars = readEnvFile(`${r.dir}/.env`);
  await smoke(
    docker,
    {
      project: r.meta.stack,
      checks: cfg.smoke.map((c) => ({ ...c, url: interpolate(c.url, vars) })),
      timeoutS: cfg.smoke_timeout_s,
      waitHealthy: cfg.wait_healthy,
      expectImages: Object.values(r.meta.images).map((i) => i.ref),
    },
    report,
  );
}

/** switch → up → smoke, each as its own step (prefixed for rollbacks so the log tells them apart). */
export async function activate(
  l: Layout,
  docker: Docker,
  flavor: ComposeFlavor,
  r: Release,
  report: Reporter,
  prefix = '',
): Promise<void> {
  await report.step(
    `${prefix}switch`,
    () => switchLive(l, r.meta.stack, r.dir),
    `stacks/${r.meta.stack} -> ${r.meta.release_id}`,
  );
  await report.step(`${prefix}up`, () => bringUp(docker, flavor, r));
  await report.step(`${prefix}smoke`, () => smokeRelease(docker, r, report));
}

export async function takeDown(docker: Docker, flavor: ComposeFlavor, r: Release): Promise<void> {
  await docker.must(composeDown(composeTarget(flavor, r)), 'docker compose down');
}
