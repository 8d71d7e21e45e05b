// Docker daemon, CLI and Compose v1 helpers for tests.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { run, runOk, type RunOptions, type RunResult } from './exec.js';
import { makeTempDir, tail, waitFor } from './util.js';

const DOCKERD_LOG = '/tmp/seisei-ci-dockerd.log';

// Every docker/compose call made by the harness uses its own DOCKER_CONFIG, so the machine's
// ~/.docker is never read or written. BuildKit is off: the legacy builder is fast here and
// does not need buildx.
let harnessConfigDir: Promise<string> | undefined;

export async function dockerEnv(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  harnessConfigDir ??= makeTempDir('docker-config');
  return { ...process.env, DOCKER_CONFIG: await harnessConfigDir, DOCKER_BUILDKIT: '0', ...extra };
}

/** Runs the docker CLI with the harness environment; never throws for a non-zero exit. */
export async function docker(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('docker', args, { ...opts, env: opts.env ?? (await dockerEnv()) });
}

/** Runs the docker CLI and throws unless it exits 0. */
export async function dockerOk(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runOk('docker', args, { ...opts, env: opts.env ?? (await dockerEnv()) });
}

async function dockerInfoWorks(): Promise<boolean> {
  const res = await docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).catch(
    () => undefined,
  );
  return res?.code === 0;
}

let ensured: Promise<void> | undefined;

/** Makes sure `docker info` works, starting dockerd (as .ci/run does) if needed; throws if it cannot. */
export function ensureDocker(): Promise<void> {
  ensured ??= startDockerIfNeeded().catch((err: unknown) => {
    ensured = undefined; // let a later call try again
    throw err;
  });
  return ensured;
}

async function startDockerIfNeeded(): Promise<void> {
  if (await dockerInfoWorks()) return;
  if (!existsSync('/usr/sbin/dockerd'))
    throw new Error('docker is not running and /usr/sbin/dockerd is missing (apt-get install docker.io)');
  if (process.getuid?.() !== 0) throw new Error('docker is not running and only root can start dockerd');
  // Detached: the daemon must outlive this test process (other test files use it too).
  const fd = openSync(DOCKERD_LOG, 'a');
  spawn('/usr/sbin/dockerd', ['--host', 'unix:///var/run/docker.sock'], {
    detached: true,
    stdio: ['ignore', fd, fd],
  }).unref();
  closeSync(fd);
  try {
    await waitFor('docker info', dockerInfoWorks, { timeoutMs: 60_000, intervalMs: 500 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\ndockerd log (${DOCKERD_LOG}):\n${await tail(DOCKERD_LOG)}`);
  }
}

/** For skipping Docker tests on a developer machine; under CI=true it throws instead of returning false. */
export async function dockerAvailable(): Promise<boolean> {
  if (process.env.CI === 'true') {
    await ensureDocker();
    return true;
  }
  try {
    await ensureDocker();
    return true;
  } catch {
    return false;
  }
}

const projectFilter = (name: string) => `label=com.docker.compose.project=${name}`;

/** Test teardown: force-removes the containers, networks and volumes of a compose project. */
export async function removeComposeProject(name: string): Promise<void> {
  const filter = ['--filter', projectFilter(name)];
  const containers = await listIds(['ps', '-aq', ...filter]);
  if (containers.length) await dockerOk(['rm', '-f', '-v', ...containers]);
  const networks = await listIds(['network', 'ls', '-q', ...filter]);
  if (networks.length) await dockerOk(['network', 'rm', ...networks]);
  const volumes = await listIds(['volume', 'ls', '-q', ...filter]);
  if (volumes.length) await dockerOk(['volume', 'rm', '-f', ...volumes]);
}

async function listIds(args: string[]): Promise<string[]> {
  const { stdout } = await dockerOk(args);
  return stdout.split('\n').filter(Boolean);
}

export interface ContainerState {
  id: string;
  name: string;
  service: string;
  image: string;
  /** created | running | exited | ... */
  status: string;
  /** healthy | unhealthy | starting, or undefined without a healthcheck. */
  health?: string;
  exitCode: number;
}

/** State of every container (running or not) of a compose project. */
export async function projectContainers(project: string): Promise<ContainerState[]> {
  const ids = await listIds(['ps', '-aq', '--filter', projectFilter(project)]);
  if (!ids.length) return [];
  const { stdout } = await dockerOk(['inspect', ...ids]);
  return (JSON.parse(stdout) as InspectEntry[]).map((c) => ({
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    service: c.Config.Labels['com.docker.compose.service'] ?? '',
    image: c.Config.Image,
    status: c.State.Status,
    health: c.State.Health?.Status,
    exitCode: c.State.ExitCode,
  }));
}

interface InspectEntry {
  Id: string;
  Name: string;
  Config: { Image: string; Labels: Record<string, string> };
  State: { Status: string; ExitCode: number; Health?: { Status: string } };
}

/**
 * Runs docker-compose v1 the way the executor does: explicit project, file and env file, and
 * an environment without variables that would override the .env file.
 */
export async function composeV1(
  project: string,
  composeFile: string,
  envFile: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const env = await dockerEnv();
  for (const key of Object.keys(env)) if (key === 'IMAGE_REF' || key.startsWith('COMPOSE_')) delete env[key];
  // v1 only accepts --env-file before the subcommand.
  return run('docker-compose', ['-p', project, '-f', composeFile, '--env-file', envFile, ...args], {
    env,
    ...opts,
  });
}
