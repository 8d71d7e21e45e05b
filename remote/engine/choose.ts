// Picks the engine a release runs on: the one its frozen compose file names (x-seisei-deploy.engine).
import { DeployError } from '../errors.js';
import type { Release } from '../domain/release.js';
import { composeEngine } from './compose.js';
import type { Engine, Host } from './engine.js';
import { swarmEngine } from './swarm.js';

/** The engine the release froze in its compose file (x-seisei-deploy.engine, default compose). */
export function engineFor(r: Release, host: Host): Engine {
  const name = engineName(r);
  switch (name) {
    case 'compose':
      return composeEngine(host);
    case 'swarm':
      return swarmEngine(host);
    default:
      throw new DeployError(
        `release ${r.meta.release_id} asks for engine ${JSON.stringify(name)}, which this executor does not run (x-seisei-deploy.engine: compose or swarm)`,
      );
  }
}

/** The frozen engine name; a release whose settings cannot be read ran on compose (the only one before). */
function engineName(r: Release): string {
  try {
    return r.config().engine;
  } catch {
    return 'compose';
  }
}

/**
 * A deploy keeps the stack on the engine its live release runs on: the way back (auto-rollback)
 * would otherwise start the previous release on the new engine while the old one's stack still
 * runs. Changing engines is done by hand (docs/design.md section 14), so this fails before
 * anything live changes.
 */
export function checkSameEngine(next: Release, previous: Release | undefined): void {
  if (!previous) return;
  const [from, to] = [engineName(previous), engineName(next)];
  if (from !== to)
    throw new DeployError(
      `release ${next.meta.release_id} runs on engine ${to}, but the live release ${previous.meta.release_id} runs on ${from}: a deploy does not move a stack between engines. Take the stack down first (${from === 'swarm' ? `docker stack rm ${next.meta.stack}` : `docker compose -p ${next.meta.stack} down`}) and remove its live link <srv_root>/stacks/${next.meta.stack}, or deploy under a new stack name; nothing live was changed`,
    );
}
