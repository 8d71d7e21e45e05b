// Runs docker and compose for one release, with a clean environment and output streamed as events.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { composeVersionProbe, type ComposeFlavor, type ComposeTarget } from './commands/compose.js';
import { inspect, projectContainers } from './commands/docker.js';
import { run, type RunResult } from './exec.js';
import { DeployError } from './errors.js';
import type { Reporter } from './report.js';

/**
 * Compose gives the process environment precedence over the release's .env, so a stray IMAGE_REF
 * or COMPOSE_PROJECT_NAME in the executor's environment would change what is deployed. Compose
 * gets only what it needs to find docker.
 */
export function composeEnv(dockerConfig?: string): NodeJS.ProcessEnv {
  const keep = [
    'PATH',
    'HOME',
    'LANG',
    'LC_ALL',
    'TMPDIR',
    'DOCKER_HOST',
    'DOCKER_CERT_PATH',
    'DOCKER_TLS_VERIFY',
  ];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  if (dockerConfig) env.DOCKER_CONFIG = dockerConfig;
  return env;
}

let detected: ComposeFlavor | undefined;
/**
 * Compose v2 is preferred, detected by `docker compose version` (a Go plugin: ~20 ms). v1 is only
 * looked up on PATH, not run: `docker-compose version` starts Python, which cost ~0.5 s of every
 * deploy and rollback; a broken v1 install still fails the pull/up step with its own message.
 */
export async function detectCompose(): Promise<ComposeFlavor> {
  if (detected) return detected;
  const env = composeEnv();
  try {
    if ((await run(composeVersionProbe.v2, { env })).code === 0) return (detected = 'v2');
  } catch {
    // no docker CLI: v1 alone cannot work either, but say what is missing below
  }
  if (onPath('docker-compose', env.PATH!)) return (detected = 'v1');
  throw new DeployError(
    'Docker Compose not found: install the compose plugin (`docker compose`) or docker-compose v1',
  );
}

/** True when `cmd` is an executable file in one of PATH's directories (what spawn would run). */
function onPath(cmd: string, path: string): boolean {
  return path.split(':').some((dir) => {
    const file = join(dir || '.', cmd);
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

export class Docker {
  constructor(
    private readonly report: Reporter,
    readonly dockerConfig?: string,
  ) {}

  /** Runs a command, forwarding its output as log events; throws with the tail of stderr on failure. */
  async must(argv: string[], what: string, input?: string): Promise<RunResult> {
    const r = await run(argv, {
      env: composeEnv(this.dockerConfig),
      input,
      onLine: (line) => this.report.log(line), // compose writes progress to stderr: not a warning
    });
    if (r.code !== 0) {
      const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
      throw new DeployError(`${what} failed (exit ${r.code})${tail ? ': ' + tail : ''}`);
    }
    return r;
  }

  /** Quiet run: output is not forwarded (used for polling). */
  quiet(argv: string[]): Promise<RunResult> {
    return run(argv, { env: composeEnv(this.dockerConfig) });
  }

  async containers(project: string): Promise<ContainerState[]> {
    const ps = await this.quiet(projectContainers(project));
    if (ps.code !== 0) throw new DeployError(`docker ps failed (is dockerd running?): ${ps.stderr.trim()}`);
    const ids = ps.stdout.split('\n').filter(Boolean);
    if (!ids.length) return [];
    const r = await this.quiet(inspect(ids));
    if (r.code !== 0) return []; // a container vanished between ps and inspect: the caller polls again
    return (JSON.parse(r.stdout) as InspectedContainer[]).map(toState);
  }
}

export function target(
  flavor: ComposeFlavor,
  project: string,
  releaseDir: string,
  composeFile: string,
): ComposeTarget {
  return {
    flavor,
    project,
    projectDir: releaseDir,
    file: `${releaseDir}/${composeFile}`,
    envFile: `${releaseDir}/.env`,
  };
}

interface InspectedContainer {
  Id: string;
  Name: string;
  Config: { Image: string; Labels?: Record<string, string> };
  Image: string;
  RestartCount?: number;
  State: { Status: string; ExitCode: number; Health?: { Status: string } };
}
export interface ContainerState {
  id: string;
  name: string;
  service: string;
  image: string;
  status: string;
  exitCode: number;
  health?: string;
  restarts: number;
}
function toState(c: InspectedContainer): ContainerState {
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    service: c.Config.Labels?.['com.docker.compose.service'] ?? '',
    image: c.Config.Image,
    status: c.State.Status,
    exitCode: c.State.ExitCode,
    health: c.State.Health?.Status,
    restarts: c.RestartCount ?? 0,
  };
}
