// Which paths the executor trusts when it runs as root: only what no other user can change. Every
// component from / is lstat'ed: owned by root, not writable by group or others (an ancestor may be a
// sticky root-owned directory like /tmp), and a symlink is followed only when root owns it.
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DeployError } from './errors.js';
import { layout } from '../common/layout.js';

/** True when this process runs as root: only then is there a privilege to protect. */
export const runsAsRoot = (): boolean => process.geteuid?.() === 0;

const MAX_LINKS = 40; // as the kernel's ELOOP limit

function refuse(field: string, path: string, why: string): never {
  throw new DeployError(
    `${field}: ${path} ${why}. The executor runs as root and trusts only paths no other user can change: ` +
      `use such a path, or make this one root's (chown root:root ${path}; chmod go-w ${path})`,
    2,
  );
}

/** Why `st` (not a symlink) may be changed by someone other than root, or undefined. */
export function untrustedReason(st: Stats, ancestor: boolean): string | undefined {
  if (st.uid !== 0) return `is owned by uid ${st.uid}, not root`;
  const writable = st.mode & 0o022;
  if (!writable) return undefined;
  if (ancestor && st.isDirectory() && st.mode & 0o1000) return undefined; // sticky, root's: like /tmp
  const who = [st.mode & 0o020 ? 'its group' : '', st.mode & 0o002 ? 'others' : ''].filter(Boolean);
  return `is writable by ${who.join(' and ')} (mode ${(st.mode & 0o7777).toString(8)})`;
}

/**
 * Checks `path` and every directory above it. A missing component ends the walk (root creates the
 * rest). Throws a DeployError naming `field`, the path at fault and the fix.
 */
export function checkRootOwnedPath(path: string, field: string, hops = 0): void {
  const abs = resolve(path);
  const parts = abs.split('/').filter(Boolean);
  let at = '/';
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) at = join(at, parts[i - 1]!);
    let st: Stats;
    try {
      st = lstatSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      refuse(field, at, `cannot be checked (${(err as Error).message})`);
    }
    if (st.isSymbolicLink()) {
      if (st.uid !== 0) refuse(field, at, `is a symlink owned by uid ${st.uid}, not root`);
      if (hops >= MAX_LINKS) refuse(field, abs, 'has too many levels of symlinks');
      // The link is root's, in a directory only root can write: follow it and check its target.
      const target = resolve(dirname(at), readlinkSync(at));
      return checkRootOwnedPath(join(target, ...parts.slice(i)), field, hops + 1);
    }
    const why = untrustedReason(st, i < parts.length);
    if (why) refuse(field, at, why);
  }
}

/** Checks `dir` (with its ancestors) and everything beneath it; symlinks inside are not followed. */
export function checkRootOwnedTree(dir: string, field: string): void {
  checkRootOwnedPath(dir, field);
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (err) {
      if (
        (err as NodeJS.ErrnoException).code === 'ENOENT' ||
        (err as NodeJS.ErrnoException).code === 'ENOTDIR'
      )
        return;
      throw err;
    }
    for (const name of names) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) {
        if (st.uid !== 0) refuse(field, p, `is a symlink owned by uid ${st.uid}, not root`);
        continue;
      }
      const why = untrustedReason(st, false);
      if (why) refuse(field, p, why);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
}

/**
 * The directories of the layout the executor writes or reads code from, for `stack` if given:
 * each must be root's (missing ones are created by root later).
 */
export function layoutDirs(root: string, stack?: string): string[] {
  const paths = layout(root);
  const dirs = [
    paths.root,
    paths.releasesDir,
    paths.stacksDir,
    paths.backupsDir,
    paths.verifiedDir,
    paths.currentDir,
    paths.locksDir,
    paths.binDir,
  ];
  dirs.push(join(paths.releasesDir, 'stacks'), join(paths.releasesDir, 'runs'));
  if (stack) dirs.push(paths.stackReleases(stack), paths.runsDir(stack));
  return dirs;
}

/** When running as root: `--root` and its layout directories are root's, or a DeployError says how to fix them. */
export function checkTrustedRoot(root: string, stack?: string): void {
  if (!runsAsRoot()) return;
  for (const d of layoutDirs(root, stack)) checkRootOwnedPath(d, '--root (srv_root)');
}

/**
 * When running as root: the stack's source directory, with everything in it (the compose file and
 * its hooks, .env, scripts), is root's. Whoever can change it can run anything as root.
 */
export function checkTrustedSource(source: string, stack: string): void {
  if (!runsAsRoot()) return;
  checkRootOwnedTree(join(source, stack), '--source (stacks_source)');
}
