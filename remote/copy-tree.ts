// Copies a stack source into a new release directory without ever following a link it did not make:
// directories, regular files and links that stay inside the tree; anything else is refused by name.
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  futimesSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  symlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DeployError } from './errors.js';

const inside = (root: string, p: string) => p === root || p.startsWith(root + sep);

/**
 * Copies the tree `src` into `dest`, a new empty directory the caller made; below it, directories
 * are made with mkdir(2), which never follows a link. Files are opened with O_NOFOLLOW and created with O_EXCL; modes keep their
 * permission bits only (no setuid, setgid or sticky bit reaches a root-owned copy). A link is copied
 * as a link: an absolute one into the tree is rewritten as a relative one. Afterwards every link of
 * the copy must resolve, through the copy itself, to a path inside the copy.
 */
export function copyStackTree(src: string, dest: string): void {
  const root = resolve(src);
  const st = lstatSync(root);
  if (!st.isDirectory()) throw new DeployError(`stack source ${root} must be a directory, not a link`);
  copyChildren(root, root, dest);
  utimesSync(dest, st.atime, st.mtime);
  chmodDir(dest, st.mode & 0o777);
  checkLinksStayInside(root, dest);
}

function copyChildren(root: string, s: string, d: string): void {
  for (const name of readdirSync(s)) copyEntry(root, join(s, name), join(d, name));
}

function copyEntry(root: string, s: string, d: string): void {
  const st = lstatSync(s);
  if (st.isDirectory()) {
    mkdirSync(d, { mode: 0o700 });
    copyChildren(root, s, d);
    utimesSync(d, st.atime, st.mtime);
    chmodDir(d, st.mode & 0o777);
  } else if (st.isSymbolicLink()) {
    symlinkSync(linkTarget(root, s), d);
    lutimesSync(d, st.atime, st.mtime);
  } else if (st.isFile()) {
    copyRegularFile(s, d, st);
  } else {
    throw new DeployError(
      `stack source ${s} is ${kind(st)}: a stack directory may hold only directories, regular files and links inside it`,
    );
  }
}

/** The link's target as it goes into the release: refused when it leaves the tree, relative when absolute. */
function linkTarget(root: string, link: string): string {
  const target = readlinkSync(link);
  const to = resolve(dirname(link), target);
  if (!inside(root, to)) throw outsideLink(link, target, root);
  return isAbsolute(target) ? relative(dirname(link), to) || '.' : target;
}

function copyRegularFile(s: string, d: string, st: Stats): void {
  // O_NONBLOCK: a FIFO swapped in after lstat must not hang the run (it is refused below).
  const from = openSync(s, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const fst = fstatSync(from);
    if (!fst.isFile() || fst.ino !== st.ino || fst.dev !== st.dev)
      throw new DeployError(`stack source ${s} changed while it was copied; deploy again`);
    const to = openSync(d, 'wx', 0o600);
    try {
      const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, Math.max(fst.size, 1)));
      for (let n = readSync(from, buf); n > 0; n = readSync(from, buf))
        for (let off = 0; off < n;) off += writeSync(to, buf, off, n - off);
      fchmodSync(to, fst.mode & 0o777);
      futimesSync(to, fst.atime, fst.mtime);
    } finally {
      closeSync(to);
    }
  } finally {
    closeSync(from);
  }
}

/**
 * Each link of the copy, resolved by the kernel through the copy (which only this process writes),
 * must end inside it: `a -> .` and `b -> a/../secret` pass a textual check one by one but leave the
 * tree together. A link whose target does not exist is refused as well (compose or docker could
 * create it, as root, wherever it points).
 */
function checkLinksStayInside(srcRoot: string, dest: string): void {
  const top = realpathSync(dest);
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dest, rel), { withFileTypes: true })) {
      const r = join(rel, entry.name);
      if (entry.isDirectory()) walk(r);
      else if (entry.isSymbolicLink()) {
        let real: string | undefined;
        try {
          real = realpathSync(join(dest, r));
        } catch {
          real = undefined;
        }
        if (real === undefined || !inside(top, real))
          throw outsideLink(join(srcRoot, r), readlinkSync(join(dest, r)), srcRoot, real === undefined);
      }
    }
  };
  walk('');
}

function outsideLink(link: string, target: string, root: string, missing = false): DeployError {
  return new DeployError(
    `stack source ${link} is a symbolic link to ${JSON.stringify(target)}, which ${
      missing ? 'does not resolve to an existing path' : 'leads outside the stack directory'
    } ${root}: a release may only hold links to files inside it; put the file itself in the stack directory`,
  );
}

function chmodDir(path: string, mode: number): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

function kind(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
