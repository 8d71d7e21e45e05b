// Durable file operations: what is written is complete under its final name or not there at all.
import {
  constants,
  fchmodSync,
  fstatSync,
  readSync,
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  writeSync,
  mkdirSync,
  rmSync,
  ftruncateSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, basename, join } from 'node:path';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function tempNameBeside(path: string): string {
  // pid + 32 random bits: unique among concurrent runs. It need not be unguessable (the directories
  // are root's), so not node:crypto, whose loading costs ≈ 4 ms of every start.
  const suffix = Math.floor(Math.random() * 2 ** 32).toString(16);
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${suffix}`);
}

/** Temp file, fsync, rename(2), fsync the directory. On any failure (e.g. ENOSPC) the temp file goes. */
export function writeFileAtomic(path: string, data: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempNameBeside(path);
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      writeAll(fd, Buffer.from(data));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dirname(path));
}

/** write(2) may write less than asked (a filling disk): loop until all is written or it throws. */
function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Appends one line with a single write(2) on an O_APPEND descriptor, then fsyncs. If a crash left
 * a torn last line, the new line starts on a line of its own so it is never glued to the wreck.
 * If the write is short or fails (ENOSPC), the part that landed is cut off again and it throws:
 * a failed append never leaves a torn line in the middle of the file.
 * The file gets `mode` when created and keeps it: a file found with other permission bits (one
 * made by an older version) is changed to `mode` first. A link at `path` is not followed.
 */
export function appendLineDurable(path: string, line: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const { O_RDWR, O_APPEND, O_CREAT, O_NOFOLLOW } = constants;
  const fd = openSync(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW, mode);
  try {
    const st = fstatSync(fd);
    if ((st.mode & 0o7777) !== mode) fchmodSync(fd, mode);
    const size = st.size;
    const last = Buffer.alloc(1);
    const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    const buf = Buffer.from((torn ? '\n' : '') + (line.endsWith('\n') ? line : line + '\n'));
    let written = 0;
    try {
      written = writeSync(fd, buf);
      if (written !== buf.length)
        throw Object.assign(
          new Error(`short write to ${path} (${written} of ${buf.length} bytes): disk full?`),
          {
            code: 'ENOSPC',
          },
        );
      fsyncSync(fd);
    } catch (err) {
      if (written > 0 && written < buf.length) cutOwnTail(fd, buf.subarray(0, written));
      throw err;
    }
  } finally {
    closeSync(fd);
  }
}

/** Truncates `part` off the end of the file if it is still the last thing there (nobody appended since). */
function cutOwnTail(fd: number, part: Buffer): void {
  const end = fstatSync(fd).size;
  const tail = Buffer.alloc(part.length);
  if (end >= part.length && readSync(fd, tail, 0, part.length, end - part.length) === part.length)
    if (tail.equals(part)) ftruncateSync(fd, end - part.length);
}

/**
 * Deletes directory trees this run made (the trash directories of releases it moved there), each
 * with its own `rm -rf` child, all at once: rm walks a tree with openat/unlinkat relative to each
 * directory and never follows a link, where Node 20's recursive rmSync lstats every entry by its
 * full path and tries rmdir on every directory before reading it (≈ 1.5× the CPU for the same
 * tree); and trees in different directories are deleted in parallel by the kernel. Where `rm`
 * cannot be started, rmSync deletes what is left. Rejects, naming each failure, if any fails.
 */
export async function deleteTrees(dirs: readonly string[]): Promise<void> {
  const failures = (await Promise.all(dirs.map(rmRf))).filter(Boolean);
  if (failures.length) throw new Error(failures.join('; '));
}

/** One `rm -rf -- dir` child: '' when it succeeded, else why not. */
function rmRf(dir: string): Promise<string> {
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn('rm', ['-rf', '--', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (stderr += d.slice(0, 2000)));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') return resolve(`could not delete ${dir}: rm -rf: ${err.message}`);
      try {
        rmSync(dir, { recursive: true, force: true });
        resolve('');
      } catch (e) {
        resolve(`could not delete ${dir}: ${(e as Error).message}`);
      }
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve('');
      if ((code === null && signal === null) || (code !== null && code < 0)) return; // not started: 'error' answers
      const why = stderr.trim().split('\n')[0];
      resolve(`could not delete ${dir}: rm -rf exited ${code ?? signal}${why ? `: ${why}` : ''}`);
    });
  });
}
