// Pulls the release's images before anything live changes; optional login in a throwaway DOCKER_CONFIG.
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composePull, type ComposeTarget } from '../commands/compose.js';
import { imagePresent, login } from '../commands/docker.js';
import type { Docker } from '../docker.js';
import { DeployError } from '../errors.js';
import type { Reporter } from '../report.js';

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

export async function pullImages(docker: Docker, t: ComposeTarget): Promise<void> {
  await docker.must(
    composePull(t),
    'pulling the images (registry down, digest missing or credentials wrong?)',
  );
}

export async function imagesPresent(docker: Docker, refs: string[]): Promise<boolean> {
  for (const ref of refs) if ((await docker.quiet(imagePresent(ref))).code !== 0) return false;
  return true;
}

/** Digest-pinned images already on the server are identical by definition: pull only what is missing. */
export async function pullIfMissing(
  docker: Docker,
  t: ComposeTarget,
  refs: string[],
  report: Reporter,
  login?: { registry: string; username: string; password: string },
): Promise<void> {
  if (await imagesPresent(docker, refs))
    return report.log('all images are already on this server (pinned by digest): nothing to pull');
  try {
    if (login) await registryLogin(docker, login.registry, login.username, login.password);
    await pullImages(docker, t);
  } finally {
    // The login is needed for the pull only: the credentials leave the disk as soon as it ends.
    if (login && docker.dockerConfig) rmSync(join(docker.dockerConfig, 'config.json'), { force: true });
  }
}
