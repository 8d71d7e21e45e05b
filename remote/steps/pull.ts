// Pulls the release's images before anything live changes; optional login in a throwaway DOCKER_CONFIG.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { composePull, type ComposeTarget } from '../commands/compose.js';
import { dockerPull, login } from '../commands/docker.js';
import type { Docker } from '../docker.js';
import { sameImage, serviceImages } from '../compose-services.js';
import type { Reporter } from '../report.js';
import { readEnvFile } from '../stack-config.js';

export interface RegistryLogin {
  registry: string;
  username: string;
  password_file: string;
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
