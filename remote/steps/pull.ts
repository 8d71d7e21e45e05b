// Pulls the release's images before anything live changes; optional login in a throwaway DOCKER_CONFIG.
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
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

/** A private docker config directory for this run only; the caller removes it with `dispose`. */
export function privateDockerConfig(): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'seisei-docker-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
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
  if (login) await registryLogin(docker, login.registry, login.username, login.password);
  await pullImages(docker, t);
}
