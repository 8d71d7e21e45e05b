// safety: the live path is our symlink and the stack's environment is the one the request names.
import { DeployError } from '../errors.js';
import { checkLiveLink } from '../domain/live-link.js';
import { readManifest } from '../domain/manifest.js';
import type { Layout } from '../../common/layout.js';

/**
 * A stack belongs to one environment: the gate is decided by the environment named in the
 * request, so deploying production's stack "as staging" must not be a way around it.
 */
export function checkEnvironment(layout: Layout, stack: string, env: string): void {
  const current = readManifest(layout, stack);
  if (current?.env && current.env !== env) {
    throw new DeployError(
      `stack ${stack} runs as environment ${current.env} (${layout.currentManifest(stack)}), not ${env}: use environment ${current.env}, so its gate and approvals apply`,
    );
  }
}

/** The checks before anything is written: the live link is ours and the environment is the stack's. */
export function checkSafety(layout: Layout, stack: string, env: string): void {
  checkLiveLink(layout, stack);
  checkEnvironment(layout, stack, env);
}
