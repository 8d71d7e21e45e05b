// The Compose engine: a release is a compose project (v2 plugin or v1 docker-compose). Every
// Compose-specific detail of pull, up, what runs and down lives here.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { composeDown, composeUp, type ComposeFlavor, type ComposeTarget } from '../commands/compose.js';
import { imagesToCheck, nothingToPull, planPull, pullCommands } from './pull-plan.js';
import { stepTimeouts, type Release } from '../domain/release.js';
import { dockerLogin } from './login.js';
import type { Engine, Host, Login } from './engine.js';

const PULL_FAILED = 'pulling the images (registry down, digest missing or credentials wrong?)';

export function composeEngine(host: Host): Engine {
  const { docker, flavor } = host;
  const project = (r: Release) => target(flavor, r.meta.stack, r.dir, r.meta.compose_file);
  return {
    name: 'compose',
    variant: flavor,
    label: `compose ${flavor}`,
    ensureImages: (r, withLogin) =>
      docker.within('pull', stepTimeouts(r).pull, () => pullRelease(host, r, project(r), withLogin)),
    up: (r) =>
      docker.within('up', stepTimeouts(r).up, async () => {
        await docker.must(composeUp(project(r)), 'docker compose up');
      }),
    containers: (name) => docker.containers(name),
    down: (r) =>
      docker.within('up', stepTimeouts(r).up, async () => {
        await docker.must(composeDown(project(r)), 'docker compose down');
      }),
  };
}

/**
 * Pulls what the release needs and the server lacks (remote/engine/pull-plan.ts): its pinned images by
 * digest with `docker pull` (Compose v1 would first spend ≈ 0.4 s starting Python), and the
 * services that run other images (a database, a proxy by tag) with `compose pull`, all with the
 * run's login when it has one. Afterwards `up` has nothing left to fetch (v2 runs it with
 * `--pull never`; v1 would pull without the login).
 */
async function pullRelease(
  { docker, report }: Host,
  r: Release,
  project: ComposeTarget,
  withLogin?: Login,
): Promise<void> {
  const services = r.services();
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
    if (withLogin) await dockerLogin(docker, withLogin);
    await Promise.all(pullCommands(plan, project).map((argv) => docker.must(argv, PULL_FAILED)));
  } finally {
    // The login is needed for the pull only: the credentials leave the disk as soon as it ends.
    if (withLogin && docker.dockerConfig) rmSync(join(docker.dockerConfig, 'config.json'), { force: true });
  }
}

/** The compose project of one release: its name, directory, frozen compose file and .env. */
function target(
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
