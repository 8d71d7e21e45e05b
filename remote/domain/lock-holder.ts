// The lock file's content (DESIGN.md section 8): its schema, read without following a link, and
// whether the process it names still runs.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as z from 'zod';
import { sameProcessRuns } from './process.js';

/** The lock file's content: who holds it (DESIGN.md section 8). Fields a holder left out read as ''. */
const lockHolder = z.object({
  pid: z.number(),
  start_time: z.string().catch(''),
  hostname: z.string().catch(''),
  actor: z.string().catch(''),
  run_id: z.string().catch(''),
  release: z.string().catch(''),
  since: z.string().catch(''),
});
export type LockHolder = z.output<typeof lockHolder>;

/** Whether a process recorded as pid + start time is still running (another host's: assumed so). */
export function processAlive(p: { pid: number; start_time: string; hostname: string }): boolean {
  if (p.hostname !== hostname()) return true; // a lock from another host cannot be judged: never evict it
  return sameProcessRuns(p.pid, p.start_time);
}

export function holderAlive(h: LockHolder): boolean {
  return processAlive(h);
}

/** A regular file's JSON, read without following a symlink; undefined when absent, a link or torn. */
export function readJsonNoFollow(path: string): unknown {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    return JSON.parse(readFileSync(fd, 'utf8'));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export function readHolder(path: string): LockHolder | undefined {
  const parsed = lockHolder.safeParse(readJsonNoFollow(path));
  return parsed.success ? parsed.data : undefined;
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.hostname}, actor ${h.actor || '?'}, run ${h.run_id || '?'}, release ${h.release || '?'}, since ${h.since}`;
}
