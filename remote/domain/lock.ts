// One deploy/rollback/cleanup per stack at a time (DESIGN.md section 8).
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { tempNameBeside } from '../fsutil.js';
import {
  describeHolder,
  holderAlive,
  processAlive,
  readHolder,
  readJsonNoFollow,
  type LockHolder,
} from './lock-holder.js';
import { processStartTime, sleep } from './process.js';
import { DeployError } from '../errors.js';
import type { Reporter } from '../report.js';

export interface Lock {
  holder: LockHolder;
  release(): void;
}

const sameHolder = (a: LockHolder, b: LockHolder) =>
  a.pid === b.pid && a.start_time === b.start_time && a.hostname === b.hostname && a.since === b.since;

export async function acquireLock(
  path: string,
  who: { actor: string; run_id: string; release: string },
  timeoutS: number,
  report: Reporter,
): Promise<Lock> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const holder: LockHolder = {
    pid: process.pid,
    start_time: processStartTime(process.pid) ?? '',
    hostname: hostname(),
    ...who,
    since: new Date().toISOString(),
  };
  const deadline = Date.now() + timeoutS * 1000;
  let announced = '';
  for (;;) {
    if (tryCreate(path, holder)) return { holder, release: () => releaseLock(path, holder) };
    const current = readHolder(path);
    const desc = current ? describeHolder(current) : `an unreadable lock file ${path}`;
    if (current && !holderAlive(current)) {
      const taken = takeOver(path, current, report);
      if (taken === 'removed') report.log(`took over a stale lock left by a dead process (${desc})`, 'warn');
      if (taken !== 'busy') continue; // the lock changed: try again at once
    } else if (!current) {
      // Torn or being written: only stale if it stays unreadable.
      const st = lstatOrUndefined(path);
      if (st && Date.now() - st.mtimeMs > 5000 && takeOver(path, undefined, report) === 'removed') continue;
    }
    if (Date.now() >= deadline) {
      throw new DeployError(
        `stack is locked by another run (${desc}); waited ${timeoutS} s. Try again when it finishes, or if it is gone for good: seisei-deploy unlock <stack>`,
      );
    }
    if (!current || !holderAlive(current)) {
      await sleep(current ? 20 : 100); // another taker is at work, or the file is being written
      continue;
    }
    if (announced !== desc) report.log(`waiting up to ${timeoutS} s for the lock held by ${desc}`);
    announced = desc;
    await sleep(200);
  }
}

/** link(2) of a complete temp file: the lock appears whole or not at all (a link at `path` is EEXIST). */
function tryCreate(path: string, holder: LockHolder): boolean {
  const tmp = tempNameBeside(path);
  try {
    writeFileSync(tmp, JSON.stringify(holder) + '\n', { mode: 0o644, flag: 'wx' });
    linkSync(tmp, path);
    return true;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') return false;
    throw new DeployError(
      `cannot create the lock ${path}: ${e.code === 'ENOSPC' ? 'no space left on device' : e.message}`,
    );
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Removes a dead holder's lock (or, with `dead` undefined, a lock file that stayed unreadable).
 * Takers are serialized by the takeover mutex: the one holding it re-reads the lock and removes it
 * only if it is still the one judged dead. Nothing is moved aside, so nothing is ever put back.
 */
function takeOver(
  path: string,
  dead: LockHolder | undefined,
  report: Reporter,
): 'removed' | 'changed' | 'busy' {
  return withTakeoverMutex(path, report, () => removeIf(path, dead)) ?? 'busy';
}

function removeIf(path: string, expected: LockHolder | undefined): 'removed' | 'changed' {
  const st = lstatOrUndefined(path);
  if (!st) return 'changed';
  if (st.isDirectory())
    throw new DeployError(`the lock ${path} is a directory: not made by seisei-deploy; remove it by hand`);
  const now = readHolder(path);
  const same = expected
    ? now !== undefined && sameHolder(now, expected)
    : !now && Date.now() - st.mtimeMs > 5000;
  if (!same) return 'changed';
  unlinkSync(path); // the file or link itself: unlink(2) never follows a symlink
  return 'removed';
}

// ---- The takeover mutex: `<lock>.takeover`, a directory holding its owner's pid and start time ----

interface MutexOwner {
  pid: number;
  start_time: string;
  hostname: string;
  nonce: string;
  since: string;
}

/** A mutex whose owner died is broken this long after it was made, at the earliest. */
const MUTEX_BREAK_AFTER_MS = 2000;
/** Broken mutexes (tombstones) and unfinished ones are swept this long after they were moved. */
const TOMBSTONE_KEEP_MS = 3600_000;

const mutexPath = (lock: string) => `${lock}.takeover`;

/**
 * Runs `body` holding the stack's takeover mutex; undefined when another taker holds it. The mutex
 * appears with its owner file already inside (a populated directory renamed into place: rename(2)
 * onto a non-empty directory fails), so no mutex is ever without an owner.
 */
export function withTakeoverMutex<T>(lock: string, report: Reporter, body: () => T): T | undefined {
  const mutex = mutexPath(lock);
  const me: MutexOwner = {
    pid: process.pid,
    start_time: processStartTime(process.pid) ?? '',
    hostname: hostname(),
    nonce: Math.floor(Math.random() * 2 ** 48).toString(16),
    since: new Date().toISOString(),
  };
  const fresh = `${mutex}.new-${process.pid}-${me.nonce}`;
  mkdirSync(fresh, { mode: 0o700 });
  try {
    writeFileSync(join(fresh, 'owner'), JSON.stringify(me) + '\n', { mode: 0o600, flag: 'wx' });
    renameSync(fresh, mutex);
  } catch (err) {
    removeMutexDir(fresh);
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST')
      throw new DeployError(`cannot take the lock's takeover mutex ${mutex}: ${(err as Error).message}`);
    breakIfDead(mutex, report);
    return undefined;
  }
  try {
    return body();
  } finally {
    const owner = readJsonNoFollow(join(mutex, 'owner')) as MutexOwner | undefined;
    if (owner?.nonce === me.nonce) removeMutexDir(mutex);
  }
}

/**
 * A mutex left by a taker that died inside it (kill -9 between taking and leaving it): moved to a
 * tombstone named after that owner, once it is older than MUTEX_BREAK_AFTER_MS and its owner is
 * dead. Two breakers of one mutex cannot both succeed: the second rename finds the tombstone.
 */
function breakIfDead(mutex: string, report: Reporter): void {
  const before = lstatOrUndefined(mutex);
  if (!before?.isDirectory()) {
    if (before)
      throw new DeployError(`${mutex} is not a directory: not made by seisei-deploy; remove it by hand`);
    return;
  }
  const owner = readJsonNoFollow(join(mutex, 'owner')) as MutexOwner | undefined;
  const after = lstatOrUndefined(mutex);
  if (!owner || !after || after.ino !== before.ino || after.mtimeMs !== before.mtimeMs) return; // changed meanwhile
  if (Date.now() - after.mtimeMs < MUTEX_BREAK_AFTER_MS || processAlive(owner)) return;
  const tomb = `${mutex}.dead-${owner.pid}-${owner.start_time}-${owner.nonce}`;
  try {
    renameSync(mutex, tomb);
  } catch {
    return; // broken by another contender already
  }
  const moved = readJsonNoFollow(join(tomb, 'owner')) as MutexOwner | undefined;
  if (moved?.nonce !== owner.nonce) {
    // Only if a new mutex replaced the dead one within microseconds of the check: put it back.
    try {
      renameSync(tomb, mutex);
    } catch {
      report.log(`could not put back the takeover mutex moved to ${tomb}`, 'error');
    }
    return;
  }
  report.log(
    `removed a lock takeover mutex left by a dead process (pid ${owner.pid}, since ${owner.since})`,
    'warn',
  );
  sweepTombstones(mutex);
}

/** Removes tombstones and unfinished mutexes of this lock older than TOMBSTONE_KEEP_MS. */
function sweepTombstones(mutex: string): void {
  const dir = dirname(mutex);
  const prefix = basename(mutex) + '.';
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix + 'dead-') && !name.startsWith(prefix + 'new-')) continue;
    const st = lstatOrUndefined(join(dir, name));
    if (st?.isDirectory() && Date.now() - st.ctimeMs > TOMBSTONE_KEEP_MS) removeMutexDir(join(dir, name));
  }
}

/** A mutex directory as this module makes it: an `owner` file inside, nothing else. */
function removeMutexDir(dir: string): void {
  try {
    unlinkSync(join(dir, 'owner'));
  } catch {
    /* absent */
  }
  try {
    rmdirSync(dir);
  } catch {
    /* gone, or holds something we did not put there: left alone */
  }
}

function releaseLock(path: string, holder: LockHolder): void {
  const current = readHolder(path);
  if (current && sameHolder(current, holder)) unlinkSync(path);
}

/**
 * `seisei-deploy unlock`: removes the lock if it is still held by `expected` (what the operator was
 * shown), under the takeover mutex so no taker races it. Retries while another taker holds the mutex.
 */
export async function removeLock(
  path: string,
  expected: LockHolder | undefined,
  report: Reporter,
): Promise<'removed' | 'changed'> {
  for (let tries = 0; ; tries++) {
    const r = withTakeoverMutex(path, report, () => {
      if (expected) return removeIf(path, expected);
      const st = lstatOrUndefined(path);
      if (!st || st.isDirectory() || readHolder(path)) return 'changed';
      unlinkSync(path); // unreadable (torn, or a link): never followed
      return 'removed';
    });
    if (r) return r;
    if (tries >= 250)
      throw new DeployError(`the lock's takeover mutex ${mutexPath(path)} stays taken; try again`);
    await sleep(20);
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
