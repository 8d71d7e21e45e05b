// Atomic switch of the live symlink: a new link under a temporary name, then rename(2) over the old.
import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { fsyncDir, tempNameBeside } from '../fsutil.js';
import type { Layout } from '../../common/layout.js';

export function switchLive(l: Layout, stack: string, releaseDir: string): void {
  mkdirSync(l.stacksDir, { recursive: true, mode: 0o755 });
  const link = l.liveLink(stack);
  const tmp = tempNameBeside(link);
  symlinkSync(releaseDir, tmp);
  try {
    renameSync(tmp, link);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  fsyncDir(l.stacksDir);
}

/** Used only when a first deploy fails and there is nothing to go back to. */
export function removeLive(l: Layout, stack: string): void {
  rmSync(l.liveLink(stack), { force: true });
  fsyncDir(l.stacksDir);
}
