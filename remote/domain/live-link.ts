// The live symlink `<root>/stacks/<stack>` (DESIGN.md section 3), the one way to read it, check it
// is ours, switch it atomically (a new link under a temporary name, then rename(2) over the old)
// and remove it.
import { lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Layout } from '../../common/layout.js';
import { DeployError } from '../errors.js';
import { fsyncDir, tempNameBeside } from '../fsutil.js';

/** What is at the live path: nothing, a real file or directory, or a symlink and where it points. */
export type LiveLink =
  | { path: string; kind: 'missing' }
  | { path: string; kind: 'file' | 'directory' }
  | { path: string; kind: 'symlink'; target: string; releaseId: string | undefined };

export function readLiveLink(layout: Layout, stack: string): LiveLink {
  const path = layout.liveLink(stack);
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return { path, kind: 'missing' };
  }
  if (!st.isSymbolicLink()) return { path, kind: st.isDirectory() ? 'directory' : 'file' };
  const target = resolve(dirname(path), readlinkSync(path));
  const ours = dirname(target) === layout.stackReleases(stack);
  return { path, kind: 'symlink', target, releaseId: ours ? basename(target) : undefined };
}

/** The release the live symlink points at, if it is one of ours. */
export function liveReleaseId(layout: Layout, stack: string): string | undefined {
  const link = readLiveLink(layout, stack);
  return link.kind === 'symlink' ? link.releaseId : undefined;
}

/** The live path must be our symlink: anything else is a hand-run setup that needs migrating first. */
export function checkLiveLink(layout: Layout, stack: string): void {
  const link = readLiveLink(layout, stack);
  if (link.kind === 'missing') return; // first deploy
  const how =
    `To migrate, freeze it into a release with this tool: move it aside (mv ${link.path} ${link.path}.pre-seisei), ` +
    `deploy, check, then remove the old copy.`;
  const releases = layout.stackReleases(stack);
  if (link.kind !== 'symlink')
    throw new DeployError(`${link.path} is a real ${link.kind}, not a symlink into ${releases}/. ${how}`);
  if (dirname(link.target) !== releases)
    throw new DeployError(`${link.path} points to ${link.target}, outside ${releases}/. ${how}`);
}

export function switchLive(layout: Layout, stack: string, releaseDir: string): void {
  mkdirSync(layout.stacksDir, { recursive: true, mode: 0o755 });
  const link = layout.liveLink(stack);
  const tmp = tempNameBeside(link);
  symlinkSync(releaseDir, tmp);
  try {
    renameSync(tmp, link);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  fsyncDir(layout.stacksDir);
}

/** Used only when a first deploy fails and there is nothing to go back to. */
export function removeLive(layout: Layout, stack: string): void {
  rmSync(layout.liveLink(stack), { force: true });
  fsyncDir(layout.stacksDir);
}
