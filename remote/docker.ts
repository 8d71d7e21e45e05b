// Runs docker and compose for one release, with a clean environment and output streamed as events.
import { dockerVersion, imagePresent, inspect, projectContainers } from './commands/docker.js';
import { engineContainer, engineImage, engineProjectContainers } from './commands/engine.js';
import { engineGet, engineJson, engineVersion, localEngineSocket } from './engine-api.js';
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

/**
 * Docker for one run. Compose, pulls and logins run the CLI; the read-only questions (version,
 * images present, container states) go to the daemon's local socket when the CLI would use that
 * socket too (remote/engine-api.ts), and through the CLI otherwise.
 */
export class Docker {
  private readonly env: NodeJS.ProcessEnv;
  /** The local daemon socket, or undefined: ask through the CLI. */
  readonly socket: string | undefined;

  constructor(
    private readonly report: Reporter,
    readonly dockerConfig?: string,
    /** Override the socket choice: a path, or false for the CLI (tests compare both paths). */
    engineSocket?: string | false,
  ) {
    this.env = composeEnv(dockerConfig);
    this.socket = engineSocket === undefined ? localEngineSocket(this.env) : engineSocket || undefined;
  }

  /** The time limit of the step running now (see `within`). */
  private limit: { at: number; seconds: number; setting: string } | undefined;

  /**
   * Runs one step's commands under its time limit (x-seisei-deploy.timeouts.<setting>): what is
   * still running when `seconds` have passed since the start is killed, and the step fails.
   */
  async within<T>(setting: string, seconds: number, body: () => Promise<T>): Promise<T> {
    const outer = this.limit;
    this.limit = { at: Date.now() + seconds * 1000, seconds, setting };
    try {
      return await body();
    } finally {
      this.limit = outer;
    }
  }

  /** Runs a command, forwarding its output as log events; throws with the tail of stderr on failure. */
  async must(
    argv: string[],
    what: string,
    input?: string,
    opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ): Promise<RunResult> {
    const limit = this.limit;
    const r = await run(argv, {
      env: opts.env ?? this.env,
      cwd: opts.cwd,
      input,
      onLine: (line) => this.report.log(line), // compose writes progress to stderr: not a warning
      ...(limit ? { timeoutMs: Math.max(1, limit.at - Date.now()) } : {}),
    });
    if (r.timedOut && limit)
      throw new DeployError(
        `${what} did not finish within ${limit.seconds} s (x-seisei-deploy.timeouts.${limit.setting}): it was stopped`,
      );
    if (r.code !== 0) {
      const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
      throw new DeployError(`${what} failed (exit ${r.code})${tail ? ': ' + tail : ''}`);
    }
    return r;
  }

  /** Quiet run: output is not forwarded (used for polling). */
  quiet(argv: string[], timeoutMs?: number): Promise<RunResult> {
    return run(argv, { env: this.env, timeoutMs });
  }

  /** The daemon's version; throws an Error with docker's reason when the daemon does not answer. */
  async serverVersion(timeoutMs = 30_000): Promise<string> {
    if (this.socket) return engineVersion(this.socket, timeoutMs);
    const r = await this.quiet(dockerVersion(), timeoutMs);
    if (r.code !== 0 || !r.stdout.trim())
      throw new Error(r.stderr.trim().split('\n').slice(-1)[0] || `docker version exited ${r.code}`);
    return r.stdout.trim();
  }

  /** The images that are not on this server (all of them when docker cannot say). */
  async missingImages(refs: string[]): Promise<string[]> {
    const present = async (ref: string) => {
      if (!this.socket) return (await this.quiet(imagePresent(ref))).code === 0;
      return (await engineGet(this.socket, engineImage(ref)).catch(() => undefined))?.status === 200;
    };
    const found = await Promise.all(refs.map(present));
    return refs.filter((_, i) => !found[i]);
  }

  async containers(project: string): Promise<ContainerState[]> {
    const found = this.socket
      ? await this.containersFromSocket(this.socket, project)
      : await this.containersFromCli(project);
    return found.map(toState);
  }

  private async containersFromSocket(socket: string, project: string): Promise<InspectedContainer[]> {
    const list = await engineJson<{ Id: string }[]>(socket, engineProjectContainers(project)).catch(
      (err: Error) => {
        throw new DeployError(`listing containers failed (is dockerd running?): ${err.message}`);
      },
    );
    const inspected = await Promise.all(
      list.map((c) => engineJson<InspectedContainer>(socket, engineContainer(c.Id)).catch(() => undefined)),
    );
    // A container vanished between list and inspect: say none, as the CLI path does; the caller polls again.
    return inspected.every(Boolean) ? (inspected as InspectedContainer[]) : [];
  }

  private async containersFromCli(project: string): Promise<InspectedContainer[]> {
    const ps = await this.quiet(projectContainers(project));
    if (ps.code !== 0) throw new DeployError(`docker ps failed (is dockerd running?): ${ps.stderr.trim()}`);
    const ids = ps.stdout.split('\n').filter(Boolean);
    if (!ids.length) return [];
    const r = await this.quiet(inspect(ids));
    if (r.code !== 0) return []; // a container vanished between ps and inspect: the caller polls again
    return JSON.parse(r.stdout) as InspectedContainer[];
  }
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
