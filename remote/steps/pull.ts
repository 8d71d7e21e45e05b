// Pulls the release's images before anything live changes; optional login in a throwaway DOCKER_CONFIG.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composePull, type ComposeTarget } from '../commands/compose.js';
import { dockerPull, login } from '../commands/docker.js';
import type { Docker } from '../docker.js';
import { dockerConfigDir } from '../docker-cli-config.js';
import { DeployError } from '../errors.js';
import { sameImage, serviceImages } from '../compose-services.js';
import type { Reporter } from '../report.js';
import { readEnvFile } from '../stack-config.js';

export interface RegistryLogin {
  registry: string;
  username: string;
  password_file: string;
}

/** Reads the password and deletes its file at once: it must not stay on the server. */
export function takePassword(file: string): string {
  try {
    const password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    unlinkSync(file);
    return password;
  } catch (err) {
    throw new DeployError(`registry password file ${file} cannot be read: ${(err as Error).message}`, 2);
  }
}

const CONFIG_PREFIX = 'seisei-docker-';

/**
 * A private docker config directory for this run only, named after this pid; the caller removes it
 * with `dispose`. A run killed with the login in it (kill -9 skips every `finally`) leaves it
 * behind: each new one first removes those of runs whose process is gone.
 */
export function privateDockerConfig(): { dir: string; dispose(): void } {
  removeDeadRunsConfigs();
  const dir = mkdtempSync(join(tmpdir(), `${CONFIG_PREFIX}${process.pid}-`));
  // The CLI looks for plugins (`docker compose`) under its config dir too: keep finding those
  // installed in the usual one (e.g. /root/.docker/cli-plugins).
  const plugins = join(dockerConfigDir(process.env), 'cli-plugins');
  if (existsSync(plugins)) symlinkSync(plugins, join(dir, 'cli-plugins'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

function removeDeadRunsConfigs(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(new RegExp(`^${CONFIG_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid))
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function registryLogin(
  docker: Docker,
  registry: string,
  username: string,
  password: string,
): Promise<void> {
  await docker.must(login(registry, username), `docker login to ${registry} as ${username}`, password);
}

const PULL_FAILED = 'pulling the images (registry down, digest missing or credentials wrong?)';

/**
 * Digest-pinned images already on the server are identical by definition: pull only what is
 * missing. The release's pinned images are pulled with `docker pull`, all at once (compose v1 would
 * first spend ≈ 0.4 s starting Python); services that run other images (a database, a proxy) are
 * pulled by compose, by name, as before.
 */
export async function pullIfMissing(
  docker: Docker,
  t: ComposeTarget,
  refs: string[],
  report: Reporter,
  login?: { registry: string; username: string; password: string },
): Promise<void> {
  const missing = await docker.missingImages(refs);
  if (!missing.length)
    return report.log('all images are already on this server (pinned by digest): nothing to pull');
  const others = otherServices(t, refs);
  try {
    if (login) await registryLogin(docker, login.registry, login.username, login.password);
    await Promise.all(missing.map((ref) => docker.must(dockerPull(ref), PULL_FAILED)));
    if (others.length) await docker.must(composePull(t, others), PULL_FAILED);
  } finally {
    // The login is needed for the pull only: the credentials leave the disk as soon as it ends.
    if (login && docker.dockerConfig) rmSync(join(docker.dockerConfig, 'config.json'), { force: true });
  }
}

/** Services of the release's compose file whose image is not one of the pinned ones. */
function otherServices(t: ComposeTarget, pinned: string[]): string[] {
  return serviceImages(readFileSync(t.file, 'utf8'), readEnvFile(t.envFile))
    .filter((s) => !pinned.some((ref) => sameImage(ref, s.image)))
    .map((s) => s.service);
}
