// Smoke test after `up` (DESIGN.md section 10): containers running (healthy where they have a
// healthcheck) and every smoke URL answering as expected, within the stack's time budget.
import type { ContainerState } from '../docker.js';
import type { Engine, Verdict } from '../engine/engine.js';
import { DeployError } from '../errors.js';
import type { Reporter } from '../report.js';
import type { SmokeCheck } from '../domain/stack-config.js';
import { httpGet } from '../http-get.js';
import { sleep } from '../domain/process.js';

export interface SmokePlan {
  project: string;
  checks: SmokeCheck[];
  timeoutS: number;
  waitHealthy: boolean;
  expectImages: string[];
}

export function judgeContainers(
  cs: ContainerState[],
  plan: Pick<SmokePlan, 'waitHealthy' | 'expectImages'>,
): Verdict {
  if (!cs.length) return { pass: false, final: false, why: 'no containers yet' };
  for (const c of cs) {
    if (c.status === 'exited' || c.status === 'dead')
      return { pass: false, final: true, why: `container ${c.name} exited with code ${c.exitCode}` };
    if (c.status === 'restarting' || c.restarts > 0)
      return {
        pass: false,
        final: true,
        why: `container ${c.name} is restarting (crash loop, exit code ${c.exitCode})`,
      };
    if (c.health === 'unhealthy')
      return { pass: false, final: true, why: `container ${c.name} is unhealthy` };
    if (c.status !== 'running')
      return { pass: false, final: false, why: `container ${c.name} is ${c.status}` };
    if (plan.waitHealthy && c.health === 'starting')
      return { pass: false, final: false, why: `container ${c.name} health is starting` };
  }
  const running = new Set(cs.map((c) => c.image));
  const missing = plan.expectImages.filter((ref) => !running.has(ref));
  if (missing.length) return { pass: false, final: true, why: `no container runs ${missing.join(', ')}` };
  return { pass: true };
}

export async function probe(check: SmokeCheck, timeoutMs: number): Promise<Verdict> {
  try {
    const res = await httpGet(check.url, timeoutMs);
    const statusOk = check.expect_status
      ? res.status === check.expect_status
      : res.status >= 200 && res.status < 300;
    if (!statusOk)
      return {
        pass: false,
        final: false,
        why: `${check.url} answered HTTP ${res.status}, expected ${check.expect_status ?? '2xx'}`,
      };
    if (check.contains !== undefined && !res.body.includes(check.contains))
      return {
        pass: false,
        final: false,
        why: `${check.url} body does not contain ${JSON.stringify(check.contains)}`,
      };
    return { pass: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { pass: false, final: false, why: `${check.url} did not answer (${e.code ?? e.message})` };
  }
}

/** The poll interval grows ×1.5 from 100 ms to this cap: an app that starts answering is noticed within it. */
export const POLL_MAX_MS = 250;
/**
 * Container states cost two docker calls, so they are read about once a second (often enough to
 * see a crash), and at once when the URLs start passing, since both must hold at the same time.
 */
export const CONTAINERS_EVERY_MS = 1000;

/** Polls until everything passes, something fails for good, or the budget is spent. */
export async function smoke(
  engine: Pick<Engine, 'containers' | 'judge'>,
  plan: SmokePlan,
  report: Reporter,
): Promise<void> {
  const deadline = Date.now() + plan.timeoutS * 1000;
  let delay = 100;
  let last = '';
  let containers: Verdict = { pass: false, final: false, why: 'no containers yet' };
  let containersAt = -Infinity;
  let readWhileUrlsPass = false; // since the URLs last failed
  const probeAll = async (): Promise<Verdict> => {
    for (const check of plan.checks) {
      const v = await probe(check, Math.max(200, Math.min(5000, deadline - Date.now())));
      if (!v.pass) return v;
    }
    return { pass: true };
  };
  const readContainers = async () => {
    containers = engine.judge
      ? await engine.judge(plan.project)
      : judgeContainers(await engine.containers(plan.project), plan);
    containersAt = Date.now();
  };
  // The first round reads the containers while probing: a stack that is up passes in one round trip.
  let [urls] = await Promise.all([probeAll(), readContainers()]);
  readWhileUrlsPass = urls.pass;
  for (;;) {
    if (!urls.pass) readWhileUrlsPass = false;
    if ((urls.pass && !readWhileUrlsPass) || Date.now() - containersAt >= CONTAINERS_EVERY_MS) {
      await readContainers();
      readWhileUrlsPass = urls.pass;
    }
    const verdict = containers.pass ? urls : containers;
    if (verdict.pass) {
      report.log(
        `smoke passed: containers up${plan.checks.length ? `, ${plan.checks.map((c) => c.url).join(', ')} OK` : ''}`,
      );
      return;
    }
    if (verdict.final) throw new DeployError(`smoke failed: ${verdict.why}`);
    if (verdict.why !== last) report.log(`waiting: ${verdict.why}`);
    last = verdict.why;
    if (Date.now() + delay > deadline)
      throw new DeployError(`smoke failed after ${plan.timeoutS} s: ${verdict.why}`);
    await sleep(delay);
    delay = Math.min(POLL_MAX_MS, Math.round(delay * 1.5));
    urls = await probeAll();
  }
}
