// One deploy/rollback/cleanup per stack at a time (DESIGN.md section 8).
import {
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { tempNameBeside } from '../fsutil.js';
import { DeployError } from '../errors.js';
import type { Reporter } from '../report.js';

export interface LockHolder {
  pid: number;
  start_time: string;
  hostname: string;
  actor: string;
  run_id: string;
  release: string;
  since: string;
}

export interface Lock {
  holder: LockHolder;
  release(): void;
}

/** Process start time from /proc (clock ticks since boot): tells a live pid from a reused one. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function holderAlive(h: LockHolder): boolean {
  if (h.hostname !== hostname()) return true; // a lock from another host cannot be judged: never evict it
  return processStartTime(h.pid) === h.start_time;
}

export function readHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.hostname}, actor ${h.actor || '?'}, run ${h.run_id || '?'}, release ${h.release || '?'}, since ${h.since}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquireLock(
  path: string,
  who: { actor: string; run_id: string; release: string },
  timeoutS: number,
  report: Reporter,
): Promise<Lock> {
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true, mode: 0o755 });
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
    if (current && !holderAlive(current)) {
      if (takeOver(path, current))
        report.log(`took over a stale lock left by a dead process (${describeHolder(current)})`, 'warn');
      continue;
    }
    if (!current) {
      // Torn or being written: only stale if it stays unreadable.
      if (Date.now() - mtimeMs(path) > 5000) takeOver(path, undefined);
      await sleep(100);
      continue;
    }
    const desc = describeHolder(current);
    if (Date.now() >= deadline) {
      throw new DeployError(
        `stack is locked by another run (${desc}); waited ${timeoutS} s. Try again when it finishes`,
      );
    }
    if (announced !== desc) report.log(`waiting up to ${timeoutS} s for the lock held by ${desc}`);
    announced = desc;
    await sleep(200);
  }
}

/** link(2) of a complete temp file: the lock appears whole or not at all. */
function tryCreate(path: string, holder: LockHolder): boolean {
  const tmp = tempNameBeside(path);
  try {
    writeFileSync(tmp, JSON.stringify(holder) + '\n', { mode: 0o644 });
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
 * Removes a dead holder's lock. Two takers race safely: the stale file is first renamed to a name
 * unique to this taker, then checked to be the dead holder's; a live lock grabbed meanwhile is put back.
 */
function takeOver(path: string, dead: LockHolder | undefined): boolean {
  const aside = tempNameBeside(path) + '.stale';
  try {
    renameSync(path, aside);
  } catch {
    return false; // someone else moved it first
  }
  const moved = readHolder(aside);
  const same = dead ? moved && moved.pid === dead.pid && moved.start_time === dead.start_time : !moved;
  if (!same) {
    try {
      linkSync(aside, path); // not the stale one: restore it unless a new lock already exists
    } catch {
      /* a newer lock exists; the one we moved was superseded */
    }
  }
  unlinkSync(aside);
  return Boolean(same);
}

function releaseLock(path: string, holder: LockHolder): void {
  const current = readHolder(path);
  if (
    current &&
    current.pid === holder.pid &&
    current.start_time === holder.start_time &&
    current.since === holder.since
  ) {
    unlinkSync(path);
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
