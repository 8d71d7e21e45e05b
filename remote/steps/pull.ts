// Pulls what a release needs before anything live changes; optional login in the run's private DOCKER_CONFIG
// (remote/registry-credentials.ts).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ComposeFlavor } from '../commands/compose.js';
import { login } from '../commands/docker.js';
import { releaseServiceImages } from '../compose-services.js';
import type { Docker } from '../docker.js';
import { imagesToCheck, nothingToPull, planPull, pullCommands } from '../pull-plan.js';
import type { Reporter } from '../report.js';
import { composeTarget, type Release } from './activate.js';

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

export type Login = { registry: string; username: string; password: string };

/**
 * Pulls what the release needs and the server lacks (remote/pull-plan.ts): its pinned images by
 * digest with `docker pull` (Compose v1 would first spend ≈ 0.4 s starting Python), and the
 * services that run other images (a database, a proxy by tag) with `compose pull`, all with the
 * run's login when it has one. Afterwards `up` has nothing left to fetch (v2 runs it with
 * `--pull never`; v1 would pull without the login).
 */
export async function pullRelease(
  docker: Docker,
  flavor: ComposeFlavor,
  r: Release,
  report: Reporter,
  login?: Login,
): Promise<void> {
  const services = releaseServiceImages(r.dir, r.meta.compose_file);
  const pinned = Object.values(r.meta.images).map((img) => img.ref);
  const wanted = imagesToCheck(services, pinned);
  const missing = await docker.missingImages(wanted);
  const plan = planPull(
    services,
    pinned,
    wanted.filter((ref) => !missing.includes(ref)),
  );
  if (nothingToPull(plan))
    return report.log('every image of the release is already on this server: nothing to pull');
  if (plan.refs.length) report.log(`pulling by digest: ${plan.refs.join(', ')}`);
  if (plan.services.length) report.log(`pulling for service(s): ${plan.services.join(', ')}`);
  try {
    if (login) await registryLogin(docker, login.registry, login.username, login.password);
    await Promise.all(
      pullCommands(plan, composeTarget(flavor, r)).map((argv) => docker.must(argv, PULL_FAILED)),
    );
  } finally {
    // The login is needed for the pull only: the credentials leave the disk as soon as it ends.
    if (login && docker.dockerConfig) rmSync(join(docker.dockerConfig, 'config.json'), { force: true });
  }
}
