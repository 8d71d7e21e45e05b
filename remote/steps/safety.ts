// The live path must be our symlink: anything else is a hand-run setup that needs migrating first.
import { lstatSync, readlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DeployError } from '../errors.js';
import { readManifest } from '../domain/manifest.js';
import type { Layout } from '../../common/layout.js';

export function checkLiveLink(l: Layout, stack: string): void {
  const link = l.liveLink(stack);
  let st;
  try {
    st = lstatSync(link);
  } catch {
    return; // first deploy
  }
  const how =
    `To migrate, freeze it into a release with this tool: move it aside (mv ${link} ${link}.pre-seisei), ` +
    `deploy, check, then remove the old copy.`;
  if (!st.isSymbolicLink()) {
    throw new DeployError(
      `${link} is a real ${st.isDirectory() ? 'directory' : 'file'}, not a symlink into ${l.stackReleases(stack)}/. ${how}`,
    );
  }
  const target = resolve(dirname(link), readlinkSync(link));
  if (dirname(target) !== l.stackReleases(stack)) {
    throw new DeployError(`${link} points to ${target}, outside ${l.stackReleases(stack)}/. ${how}`);
  }
}

/**
 * A stack belongs to one environment: the gate is decided by the environment named in the
 * request, so deploying production's stack "as staging" must not be a way around it.
 */
export function checkEnvironment(l: Layout, stack: string, env: string): void {
  const current = readManifest(l, stack);
  if (current?.env && current.env !== env) {
    throw new DeployError(
      `stack ${stack} runs as environment ${current.env} (${l.currentManifest(stack)}), not ${env}: use environment ${current.env}, so its gate and approvals apply`,
    );
  }
}

/** The checks before anything is written: the live link is ours and the environment is the stack's. */
export function checkSafety(l: Layout, stack: string, env: string): void {
  checkLiveLink(l, stack);
  checkEnvironment(l, stack, env);
}
