// The Swarm engine (docs/design.md, "Swarm engine"): a release is a swarm stack deployed from its
// frozen compose file on the manager this executor runs on. up = `docker stack deploy`; the smoke
// step waits until every service runs the pinned image, settled and healthy; the way back is the
// previous release's compose file for the whole stack (the flows do that), never Swarm's
// per-service rollback, which can leave a stack half old, half new.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  serviceInspect,
  serviceTaskIds,
  stackDeploy,
  stackRm,
  stackServiceIds,
  swarmRole,
  taskInspect,
} from '../commands/swarm.js';
import { sameImage, type ServiceImage } from '../domain/compose-services.js';
import { composeEnv, type ContainerState, type Docker } from '../docker.js';
import { DeployError } from '../errors.js';
import { stepTimeouts, type Release } from '../domain/release.js';
import { errorMessage, type Reporter } from '../report.js';
import { readEnvFile } from '../domain/stack-config.js';
import { dockerLogin } from './login.js';
import { MIN_UPDATE_DELAY_S, updateDelayOverride } from './swarm-update-delay.js';
import type { Engine, Host, Login, Verdict } from './engine.js';

/** What a service of the stack is, from `docker service inspect`. */
export interface SwarmService {
  ID: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate: { ContainerSpec: { Image: string } };
    Mode: { Replicated?: { Replicas?: number }; Global?: object };
  };
  UpdateStatus?: { State?: string; Message?: string };
}

/** One task, from `docker inspect --type task`. */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  Spec: { ContainerSpec: { Image: string } };
  Status: { State: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
}

/** Update states that mean the update failed and stopped half way (or Swarm is rolling it back). */
export const FAILED_UPDATE = ['paused', 'rollback_started', 'rollback_paused', 'rollback_completed'];
/** Task states whose container may still run (and hold a host-mode port). */
const LIVE_TASK = ['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'];

/**
 * Variables the docker CLI reads as its own settings or needs to find itself: a release's .env
 * must not set them (stack deploy gets the .env values as its environment).
 */
export function reservedEnvName(name: string): boolean {
  return name === 'PATH' || name === 'HOME' || name.startsWith('DOCKER_');
}

/**
 * The environment of `docker stack deploy`: exactly the release's .env values (stack deploy
 * interpolates the compose file from its environment and reads no .env itself), plus what the CLI
 * needs to find docker and the run's registry login. No variable of the executor's own
 * environment can override a .env value.
 */
export function stackEnv(dotenv: Record<string, string>, cli: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const bad = Object.keys(dotenv).filter(reservedEnvName);
  if (bad.length)
    throw new DeployError(
      `the release's .env sets ${bad.join(', ')}, which docker stack deploy would read as its own setting: rename the variable in the stack's .env (the Swarm engine passes .env values as the environment)`,
    );
  const keep: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(cli)) if (reservedEnvName(k) && v !== undefined) keep[k] = v;
  return { ...dotenv, ...keep };
}

/** `<stack>_<service>`: the name stack deploy gives a compose service. */
export const swarmServiceName = (stack: string, service: string) => `${stack}_${service}`;

/**
 * Converged and healthy (design.md, Swarm engine): every service of the release exists with the
 * pinned image in its spec, its update completed (or none yet), as many running tasks of that
 * image as it wants, and no task told to stop still running. Swarm reports a task with a
 * healthcheck as starting until the check passes, so running means healthy. A paused or
 * rolled-back update has failed for good.
 */
export function judgeStack(
  stack: string,
  want: readonly ServiceImage[],
  services: readonly SwarmService[],
  tasks: readonly SwarmTask[],
): Verdict {
  if (!services.length) return { pass: false, final: false, why: `no services of stack ${stack} yet` };
  for (const w of want) {
    const name = swarmServiceName(stack, w.service);
    const s = services.find((x) => x.Spec.Name === name);
    if (!s) return { pass: false, final: false, why: `service ${name} does not exist yet` };
    const image = s.Spec.TaskTemplate.ContainerSpec.Image;
    if (!sameImage(image, w.image))
      return { pass: false, final: false, why: `service ${name} has ${image} in its spec, not ${w.image}` };
    const update = s.UpdateStatus?.State ?? '';
    if (FAILED_UPDATE.includes(update))
      return {
        pass: false,
        final: true,
        why: `service ${name}: update ${update}${s.UpdateStatus?.Message ? ` (${s.UpdateStatus.Message})` : ''}`,
      };
    const mine = tasks.filter((t) => t.ServiceID === s.ID);
    const running = mine.filter(
      (t) =>
        t.DesiredState === 'running' &&
        t.Status.State === 'running' &&
        sameImage(t.Spec.ContainerSpec.Image, image),
    );
    const desired = s.Spec.Mode.Replicated
      ? (s.Spec.Mode.Replicated.Replicas ?? 1)
      : mine.filter((t) => t.DesiredState === 'running').length;
    if (running.length < desired) {
      const err = mine.find((t) => t.Status.Err)?.Status.Err;
      return {
        pass: false,
        final: false,
        why: `service ${name}: ${running.length}/${desired} tasks running and healthy${err ? ` (a task: ${err})` : ''}`,
      };
    }
    const stopping = mine.filter((t) => t.DesiredState !== 'running' && LIVE_TASK.includes(t.Status.State));
    if (stopping.length)
      return {
        pass: false,
        final: false,
        why: `service ${name}: ${stopping.length} old task(s) still stopping`,
      };
    if (update === 'updating')
      return { pass: false, final: false, why: `service ${name}: update in progress` };
  }
  return { pass: true };
}

/** Update states in which Swarm is still changing tasks: a new deploy must not cut in. */
const MOVING_UPDATE = ['updating', 'rollback_started'];

/**
 * Why the stack is still moving ('' when it is not): an update in progress, or a task told to
 * stop that still runs. A stack deploy that cuts into an update in host mode was seen to leave a
 * new task unplaced ("host-mode port already in use"), so up waits for this first. A paused
 * update is not moving: the deploy replaces it.
 */
export function stillMoving(services: readonly SwarmService[], tasks: readonly SwarmTask[]): string {
  for (const s of services) {
    const update = s.UpdateStatus?.State ?? '';
    if (MOVING_UPDATE.includes(update)) return `service ${s.Spec.Name}: update ${update}`;
    const stopping = tasks.filter(
      (t) => t.ServiceID === s.ID && t.DesiredState !== 'running' && LIVE_TASK.includes(t.Status.State),
    );
    if (stopping.length) return `service ${s.Spec.Name}: ${stopping.length} old task(s) still stopping`;
  }
  return '';
}

/**
 * One row per service for `status` (CONTAINER = the swarm service, SERVICE = its compose name):
 * `running` when it runs as many tasks of its spec's image as it wants and no update is unsettled.
 */
export function serviceRows(
  stack: string,
  services: readonly SwarmService[],
  tasks: readonly SwarmTask[],
): ContainerState[] {
  return services.map((s) => {
    const image = s.Spec.TaskTemplate.ContainerSpec.Image;
    const mine = tasks.filter((t) => t.ServiceID === s.ID && t.DesiredState === 'running');
    const running = mine.filter((t) => t.Status.State === 'running').length;
    const desired = s.Spec.Mode.Replicated ? (s.Spec.Mode.Replicated.Replicas ?? 1) : mine.length;
    const update = s.UpdateStatus?.State ?? '';
    const settled = update === '' || update === 'completed';
    const status =
      running >= desired && settled
        ? 'running'
        : `${running}/${desired} tasks running${settled ? '' : `, update ${update}`}`;
    const prefix = `${stack}_`;
    return {
      id: s.ID,
      name: s.Spec.Name,
      service: s.Spec.Name.startsWith(prefix) ? s.Spec.Name.slice(prefix.length) : s.Spec.Name,
      image,
      status,
      exitCode: 0,
      restarts: 0,
    };
  });
}

/** Reads the stack's services and their tasks through the docker CLI. */
export async function readStack(
  docker: Pick<Docker, 'quiet'>,
  stack: string,
): Promise<{ services: SwarmService[]; tasks: SwarmTask[] }> {
  const ids = lines(await ask(docker, stackServiceIds(stack), 'listing the stack services'));
  if (!ids.length) return { services: [], tasks: [] };
  const services = (await inspectAll(docker, serviceInspect(ids), 'inspecting the services')).map(
    (l) => JSON.parse(l) as SwarmService,
  );
  if (!services.length) return { services, tasks: [] };
  const taskIds = lines(await ask(docker, serviceTaskIds(services.map((s) => s.ID)), 'listing the tasks'));
  const found = taskIds.length ? await inspectAll(docker, taskInspect(taskIds), 'inspecting the tasks') : [];
  const tasks = found.map((l) => JSON.parse(l) as SwarmTask);
  return { services, tasks };
}

const lines = (text: string) => text.split('\n').filter(Boolean);

async function ask(docker: Pick<Docker, 'quiet'>, argv: string[], what: string): Promise<string> {
  const r = await docker.quiet(argv, 30_000);
  if (r.code !== 0) throw new DeployError(`${what} failed (is this a swarm manager?): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Inspects what was just listed. Swarm drops old tasks (history limit) and --prune removes
 * services between the two calls: what is gone by then is left out, any other error fails.
 */
async function inspectAll(docker: Pick<Docker, 'quiet'>, argv: string[], what: string): Promise<string[]> {
  const r = await docker.quiet(argv, 30_000);
  const errors = lines(r.stderr).filter((l) => !/not found|no such/i.test(l));
  if (r.code !== 0 && (errors.length || !r.stderr.trim()))
    throw new DeployError(`${what} failed (is this a swarm manager?): ${r.stderr.trim()}`);
  return lines(r.stdout);
}

export function swarmEngine(host: Host): Engine {
  const { docker, report } = host;
  /** The run's login, set by ensureImages: `up` hands it to the nodes with the specs. */
  let pending: Login | undefined;
  /** The release `up` deployed last: the one the smoke step judges. */
  let deployed: Release | undefined;
  return {
    name: 'swarm',
    variant: 'swarm',
    label: 'swarm stack',
    async ensureImages(r, withLogin) {
      await checkManager(docker);
      stackEnv(readEnvFile(join(r.dir, '.env')), {}); // a reserved .env name fails here, before the switch
      pending = withLogin;
      report.log('the nodes pull the pinned images themselves when the stack is deployed');
    },
    up: (r) =>
      docker.within('up', stepTimeouts(r).up, async () => {
        const withLogin = pending;
        deployed = r;
        try {
          if (withLogin) await dockerLogin(docker, withLogin);
          await settle(docker, r.meta.stack, report, Math.min(SETTLE_MAX_S, stepTimeouts(r).up / 2));
          const dotenv = readEnvFile(join(r.dir, '.env'));
          const env = stackEnv(dotenv, composeEnv(docker.dockerConfig));
          const composeFile = join(r.dir, r.meta.compose_file);
          const override = updateDelayOverride(readFileSync(composeFile, 'utf8'), dotenv);
          if (override)
            report.log(
              `deploying ${override.services.join(', ')} with update_config.delay ${MIN_UPDATE_DELAY_S}s: a task that fails pauses the update before the next task is stopped`,
            );
          const argv = stackDeploy(composeFile, r.meta.stack, Boolean(withLogin), Boolean(override));
          await docker.must(argv, 'docker stack deploy', override?.text, { env, cwd: r.dir });
        } finally {
          // The credentials went to the managers with the specs: they leave this disk now.
          if (withLogin && docker.dockerConfig)
            rmSync(join(docker.dockerConfig, 'config.json'), { force: true });
        }
      }),
    async containers(stack) {
      const { services, tasks } = await readStack(docker, stack);
      return serviceRows(stack, services, tasks);
    },
    async judge(stack) {
      if (!deployed)
        throw new DeployError('the swarm engine was asked to judge a stack before deploying one');
      // A read that fails (a service pruned mid-read, the manager busy) is asked again next round.
      const read = await readStack(docker, stack).catch((err: unknown) => errorMessage(err));
      if (typeof read === 'string') return { pass: false, final: false, why: read };
      return judgeStack(stack, deployed.services(), read.services, read.tasks);
    },
    down: (r) =>
      docker.within('up', stepTimeouts(r).up, async () => {
        await docker.must(stackRm(r.meta.stack), 'docker stack rm');
      }),
  };
}

/** Longest wait for an earlier update of the stack to finish before deploying over it. */
const SETTLE_MAX_S = 120;

/** Waits until the stack is not moving (stillMoving), at most `seconds`; then deploys anyway. */
async function settle(docker: Docker, stack: string, report: Reporter, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let said = '';
  for (;;) {
    const read = await readStack(docker, stack).catch((err: unknown) => errorMessage(err));
    const why = typeof read === 'string' ? '' : stillMoving(read.services, read.tasks);
    if (!why) return;
    if (Date.now() > deadline)
      return report.log(`deploying although the stack is still moving after ${seconds} s: ${why}`, 'warn');
    if (why !== said) report.log(`waiting for the stack's earlier change to finish: ${why}`);
    said = why;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The executor must run on a swarm manager: stack deploy and the service reads need one. */
async function checkManager(docker: Docker): Promise<void> {
  const r = await docker.quiet(swarmRole(), 30_000);
  const [state, control] = r.stdout.trim().split(' ');
  if (r.code !== 0 || state !== 'active' || control !== 'true')
    throw new DeployError(
      `x-seisei-deploy.engine is swarm, but this server's Docker is not a swarm manager (swarm: ${state || 'unknown'}, manager: ${control ?? 'unknown'}): run the deploy on a manager node (docs/server-setup.md, "Swarm")`,
    );
}
