// Makes a release live: switch the symlink, bring the stack up, smoke it. Shared by deploy,
// rollback and auto-rollback.
import { composeDown, composeUp, type ComposeFlavor } from '../commands/compose.js';
import { target, type Docker } from '../docker.js';
import type { Layout } from '../layout.js';
import type { ReleaseMeta } from '../releases.js';
import type { Reporter } from '../report.js';
import {
  DEFAULT_TIMEOUTS,
  interpolate,
  readEnvFile,
  readStackConfig,
  type StepTimeouts,
} from '../stack-config.js';
import { smoke, type SmokePlan } from './smoke.js';
import { switchLive } from './switch.js';

export interface Release {
  dir: string;
  meta: ReleaseMeta;
}

export function composeTarget(flavor: ComposeFlavor, r: Release) {
  return target(flavor, r.meta.stack, r.dir, r.meta.compose_file);
}

/** The release's own step time limits (the defaults when its frozen config cannot be read). */
export function stepTimeouts(r: Release): StepTimeouts {
  try {
    return readStackConfig(r.dir, r.meta.compose_file).timeouts;
  } catch {
    return { ...DEFAULT_TIMEOUTS };
  }
}

export async function bringUp(docker: Docker, flavor: ComposeFlavor, r: Release): Promise<void> {
  await docker.within('up', stepTimeouts(r).up, () =>
    docker.must(composeUp(composeTarget(flavor, r)), 'docker compose up'),
  );
}

/** What the smoke step checks for a release: its frozen compose file and .env, read once. */
export function smokePlan(r: Release): SmokePlan {
  const cfg = readStackConfig(r.dir, r.meta.compose_file);
  const vars = readEnvFile(`${r.dir}/.env`);
  return {
    project: r.meta.stack,
    checks: cfg.smoke.map((c) => ({ ...c, url: interpolate(c.url, vars) })),
    timeoutS: cfg.smoke_timeout_s,
    waitHealthy: cfg.wait_healthy,
    expectImages: Object.values(r.meta.images).map((i) => i.ref),
  };
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
  let plan: SmokePlan | undefined;
  await report.step(`${prefix}up`, async () => {
    const up = bringUp(docker, flavor, r); // compose is spawned at once
    // Read the smoke plan while compose works (the process is idle until it ends); should it fail,
    // the smoke step reads it again and fails with the reason.
    try {
      plan = smokePlan(r);
    } catch {
      plan = undefined;
    }
    await up;
  });
  await report.step(`${prefix}smoke`, () => smoke(docker, plan ?? smokePlan(r), report));
}

export async function takeDown(docker: Docker, flavor: ComposeFlavor, r: Release): Promise<void> {
  await docker.within('up', stepTimeouts(r).up, () =>
    docker.must(composeDown(composeTarget(flavor, r)), 'docker compose down'),
  );
}
