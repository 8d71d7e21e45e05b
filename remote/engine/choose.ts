// Picks the engine a release runs on: the one its frozen compose file names (x-seisei-deploy.engine).
import { DeployError } from '../errors.js';
import type { Release } from '../release.js';
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
