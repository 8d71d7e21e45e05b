// The live path must be our symlink: anything else is a hand-run setup that needs migrating first.
import { lstatSync, readlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DeployError } from '../errors.js';
import type { Layout } from '../layout.js';

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
