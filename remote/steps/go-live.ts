// switch → up → smoke for one release: the three steps that make it live. Deploy and rollback name
// them one by one; auto-rollback and restore run them through `goLive` under a step prefix.
import type { Engine } from '../engine/engine.js';
import type { Release } from '../domain/release.js';
import type { RunContext } from '../run-context.js';
import { interpolate, readEnvFile } from '../domain/stack-config.js';
import { smoke, type SmokePlan } from './smoke.js';
import { switchLive } from '../domain/live-link.js';

/** switch: the live symlink now names the release. */
export function switchTo(run: RunContext, r: Release): void {
  switchLive(run.layout, r.meta.stack, r.dir);
}

export const switchMsg = (r: Release) => `stacks/${r.meta.stack} -> ${r.meta.release_id}`;

/**
 * up: the engine starts the release. The smoke plan is read while it works (the process is idle
 * until it ends); should that fail, `smokeRelease` reads it again and fails with the reason.
 */
export async function startRelease(engine: Engine, r: Release): Promise<SmokePlan | undefined> {
  const up = engine.up(r); // compose is spawned at once
  let plan: SmokePlan | undefined;
  try {
    plan = smokePlan(r);
  } catch {
    plan = undefined;
  }
  await up;
  return plan;
}

/** smoke: what the engine runs is converged and healthy, and the smoke URLs answer. */
export function smokeRelease(run: RunContext, engine: Engine, r: Release, plan?: SmokePlan): Promise<void> {
  return smoke(engine, plan ?? smokePlan(r), run.report);
}

/** switch, up and smoke as steps named `<prefix>switch` etc. (the log tells the attempts apart). */
export async function goLive(run: RunContext, engine: Engine, r: Release, prefix: string): Promise<void> {
  await run.step(`${prefix}switch`, () => switchTo(run, r), switchMsg(r));
  const plan = await run.step(`${prefix}up`, () => startRelease(engine, r));
  await run.step(`${prefix}smoke`, () => smokeRelease(run, engine, r, plan));
}

/** What the smoke step checks for a release: its frozen settings and .env. */
function smokePlan(r: Release): SmokePlan {
  const cfg = r.config();
  const vars = readEnvFile(`${r.dir}/.env`);
  return {
    project: r.meta.stack,
    checks: cfg.smoke.map((c) => ({ ...c, url: interpolate(c.url, vars) })),
    timeoutS: cfg.smoke_timeout_s,
    waitHealthy: cfg.wait_healthy,
    expectImages: Object.values(r.meta.images).map((i) => i.ref),
  };
}
