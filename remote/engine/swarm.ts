// The Swarm engine (docs/design.md, "Swarm engine"): a release is a swarm stack deployed from its
// frozen compose file on the manager this executor runs on. up = `docker stack deploy`; the smoke
// step waits until every service runs the pinned image, settled and healthy; the way back is the
// previous release's compose file for the whole stack (the flows do that), never Swarm's
// per-service rollback, which can leave a stack half old, half new.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stackDeploy, stackRm, swarmRole } from '../commands/swarm.js';
import { composeEnv, type Docker } from '../docker.js';
import { DeployError } from '../errors.js';
import { stepTimeouts, type Release } from '../domain/release.js';
import { errorMessage, type Reporter } from '../report.js';
import { readEnvFile } from '../domain/stack-config.js';
import { dockerLogin } from './login.js';
import { judgeStack, readStack, serviceRows, stillMoving } from './swarm-stack.js';
import { MIN_UPDATE_DELAY_S, updateDelayOverride } from './swarm-update-delay.js';
import type { Engine, Host, Login } from './engine.js';

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
