// What releases a stack has on disk and what the history says of them.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as z from 'zod';
import { RELEASE_ID_RE } from '../../common/names.js';
import { formatIssues } from '../../common/request.js';
import { DeployError } from '../errors.js';
import { recordsFromEnd, stackNeedle } from './history.js';
import type { Layout } from '../../common/layout.js';

export const RELEASE_META = '.seisei-release.json';

/** Frozen with each release: what it deploys, so a rollback needs nothing but the directory. */
const releaseMeta = z.object({
  stack: z.string(),
  env: z.string().default(''),
  release_id: z.string(),
  image_tag: z.string(),
  images: z.record(z.string(), z.object({ name: z.string(), ref: z.string(), digest: z.string() })),
  git_sha: z.string().default(''),
  compose_file: z.string(),
  created_at_utc: z.string().default(''),
});
export type ReleaseMeta = z.output<typeof releaseMeta>;

export interface ReleaseInfo {
  id: string;
  dir: string;
  succeeded: boolean;
  bad: boolean;
}

/** A release's metadata, checked: a file of another shape is an error naming the field. */
export function readReleaseMeta(dir: string): ReleaseMeta {
  const path = join(dir, RELEASE_META);
  const parsed = releaseMeta.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new DeployError(`${path} is not release metadata: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** Release ids sort by their UTC stamp, then by the suffix of a taken second (`-2` before `-10`), then by the whole id. */
export function compareReleaseIds(a: string, b: string): number {
  const [sa, na] = stampOf(a);
  const [sb, nb] = stampOf(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `tag__20260131T120000Z-2` → ['20260131T120000Z', 2]; no suffix counts as 1. */
function stampOf(id: string): [string, number] {
  const m = /^(.*?)(?:-(\d+))?$/.exec(id.slice(id.lastIndexOf('__') + 2))!;
  return [m[1]!, m[2] ? Number(m[2]) : 1];
}

/** Complete release directories of a stack (temp and trash names are not releases), oldest first. */
export function releaseIds(layout: Layout, stack: string): string[] {
  return releasesOnDisk(layout, stack).ids;
}

/** One listing of the stack's releases directory: its complete releases, oldest first, and its bad markers. */
function releasesOnDisk(layout: Layout, stack: string): { ids: string[]; badMarkers: Set<string> } {
  const dir = layout.stackReleases(stack);
  if (!existsSync(dir)) return { ids: [], badMarkers: new Set() };
  const entries = readdirSync(dir, { withFileTypes: true });
  const ids = entries
    .filter(
      (e) => e.isDirectory() && RELEASE_ID_RE.test(e.name) && existsSync(join(dir, e.name, RELEASE_META)),
    )
    .map((e) => e.name)
    .sort(compareReleaseIds);
  const badMarkers = new Set(entries.filter((e) => e.name.startsWith('.bad-')).map((e) => e.name));
  return { ids, badMarkers };
}

export function isBad(layout: Layout, stack: string, id: string): boolean {
  return existsSync(layout.badMarker(stack, id));
}

/** Best effort (a full disk must not stop the rollback that follows): returns '' or why it failed. */
export function markBad(layout: Layout, stack: string, id: string, why: string): string {
  try {
    writeFileSync(
      layout.badMarker(stack, id),
      JSON.stringify({ release_id: id, marked_at: new Date().toISOString(), why }) + '\n',
    );
    return '';
  } catch (err) {
    return `could not mark ${id} bad: ${(err as Error).message}`;
  }
}

/**
 * Ids among `ids` that have a successful record in the history. Reads from the end and stops as
 * soon as every id is settled, so a long history costs little. An id is settled by a success
 * record, or by a failed deploy record once the reader is past the start of that deploy's run:
 * the stack's records are written under its lock, in order, and nothing from before a release's
 * own deploy can be about it. So a failed release left on disk does not make the reader go through
 * the whole file; only a release whose deploy wrote no record at all (a crash) still does.
 */
export function succeededIds(layout: Layout, stack: string, ids: string[]): Set<string> {
  const pending = new Set(ids);
  const found = new Set<string>();
  /** Failed deploys seen: release id → when that run started (its success, if any, is not older). */
  const runStart = new Map<string, number>();
  if (!pending.size) return found;
  for (const r of recordsFromEnd(layout.history, (r) => r.stack === stack, stackNeedle(stack))) {
    const ts = Date.parse(r.ts);
    for (const [id, start] of runStart)
      if (ts < start) {
        pending.delete(id);
        runStart.delete(id);
      }
    if (pending.has(r.release_id)) {
      if (r.status === 'success') {
        found.add(r.release_id);
        pending.delete(r.release_id);
        runStart.delete(r.release_id);
      } else if (r.mode === 'deploy' && Number.isFinite(ts) && Number.isFinite(r.duration_ms))
        runStart.set(r.release_id, ts - r.duration_ms - 1000); // 1 s: ts and duration are rounded
    }
    if (!pending.size) break;
  }
  return found;
}

/** Every release of the stack with what is known of it, newest first. */
export function listReleases(layout: Layout, stack: string): ReleaseInfo[] {
  const { ids, badMarkers } = releasesOnDisk(layout, stack);
  const ok = succeededIds(layout, stack, ids);
  return ids.reverse().map((id) => ({
    id,
    dir: layout.releaseDir(stack, id),
    succeeded: ok.has(id),
    // The same test as isBad, from the one listing: the marker is in this directory.
    bad: badMarkers.has(basename(layout.badMarker(stack, id))),
  }));
}

/** Rollback candidates: succeeded, not bad, present, older than `than`; newest first. */
export function rollbackCandidates(layout: Layout, stack: string, than: string | undefined): ReleaseInfo[] {
  return listReleases(layout, stack).filter(
    (r) => r.succeeded && !r.bad && (than === undefined || compareReleaseIds(r.id, than) < 0),
  );
}
