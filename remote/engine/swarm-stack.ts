// What a swarm stack runs, read through the docker CLI (its services and their tasks), and the
// judgements over a read, pure and unit-tested: converged and healthy (smoke), still moving (before
// up), one status row per service. The Swarm engine (swarm.ts) and `status` use them.
import { serviceInspect, serviceTaskIds, stackServiceIds, taskInspect } from '../commands/swarm.js';
import { sameImage, type ServiceImage } from '../domain/compose-services.js';
import type { ContainerState, Docker } from '../docker.js';
import { DeployError } from '../errors.js';
import type { Verdict } from './engine.js';

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
