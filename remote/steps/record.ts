// The current manifest (DESIGN.md section 4) and history records (section 5) of a deploy or rollback.
import type { FleetPosition, ProvenanceRecord } from '../../common/request.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RELEASE_ID_RE } from '../../common/names.js';
import { writeFileAtomic } from '../fsutil.js';
import { appendHistory, type HistoryMode, type HistoryRecord, type HistoryStatus } from '../history.js';
import type { Layout } from '../../common/layout.js';
import { liveReleaseId, RELEASE_META, type ReleaseMeta } from '../releases.js';
import type { Reporter } from '../report.js';
import { TOOL_VERSION } from '../version.js';

export interface Who {
  actor: string;
  run_id: string;
  break_glass: boolean;
  break_glass_reason: string;
  /** In a fleet run: the hosts list's size and this host's position (recorded in manifest and history). */
  fleet?: FleetPosition;
}

export interface CurrentManifest {
  stack: string;
  env: string;
  image_tag: string;
  image_ref: string;
  image_digest: string;
  release_id: string;
  release_dir: string;
  deployed_at_utc: string;
  actor: string;
  run_id: string;
  break_glass: boolean;
  break_glass_reason: string;
  images: Record<string, { name: string; ref: string; digest: string }>;
  git_sha: string;
  previous_release_id: string;
  mode: 'deploy' | 'rollback' | 'auto-rollback';
  gate: string;
  compose: string;
  tool_version: string;
  /** What the action's provenance gate found (docs/design.md, provenance); absent when not sent. */
  provenance?: ProvenanceRecord;
  fleet?: FleetPosition;
}

/** The image the manifest's top-level fields describe: IMAGE_REF, else the first variable. */
export function mainImage(meta: ReleaseMeta): { ref: string; digest: string } {
  const img = meta.images['IMAGE_REF'] ?? Object.values(meta.images)[0];
  return img ? { ref: img.ref, digest: img.digest } : { ref: '', digest: '' };
}

export function buildManifest(
  meta: ReleaseMeta,
  dir: string,
  ctx: Who & { previous: string; mode: CurrentManifest['mode']; gate: string; compose: string; env: string },
): CurrentManifest {
  const main = mainImage(meta);
  return {
    stack: meta.stack,
    env: ctx.env,
    image_tag: meta.image_tag,
    image_ref: main.ref,
    image_digest: main.digest,
    release_id: meta.release_id,
    release_dir: dir,
    deployed_at_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    actor: ctx.actor,
    run_id: ctx.run_id,
    break_glass: ctx.break_glass,
    break_glass_reason: ctx.break_glass_reason,
    images: meta.images,
    git_sha: meta.git_sha,
    previous_release_id: ctx.previous,
    mode: ctx.mode,
    gate: ctx.gate,
    compose: ctx.compose,
    tool_version: TOOL_VERSION,
    ...(ctx.fleet ? { fleet: ctx.fleet } : {}),
  };
}

export function writeManifest(l: Layout, m: CurrentManifest): void {
  writeFileAtomic(l.currentManifest(m.stack), JSON.stringify(m, null, 2) + '\n');
}

export function readManifest(l: Layout, stack: string): CurrentManifest | undefined {
  try {
    return JSON.parse(readFileSync(l.currentManifest(stack), 'utf8')) as CurrentManifest;
  } catch {
    return undefined;
  }
}

export function historyRecord(
  base: { stack: string; env: string; mode: HistoryMode; status: HistoryStatus; started: number },
  who: Who,
  release: {
    release_id?: string;
    image_tag?: string;
    image_ref?: string;
    image_digest?: string;
    previous_release_id?: string;
  },
  error = '',
  extra: Record<string, unknown> = {},
): HistoryRecord {
  return {
    ts: new Date().toISOString(),
    stack: base.stack,
    env: base.env,
    mode: base.mode,
    status: base.status,
    release_id: release.release_id ?? '',
    image_tag: release.image_tag ?? '',
    image_ref: release.image_ref ?? '',
    image_digest: release.image_digest ?? '',
    previous_release_id: release.previous_release_id ?? '',
    actor: who.actor,
    run_id: who.run_id,
    break_glass: who.break_glass,
    break_glass_reason: who.break_glass_reason,
    duration_ms: Date.now() - base.started,
    error,
    ...(who.fleet ? { fleet: who.fleet } : {}),
    ...extra,
  };
}

export function record(l: Layout, rec: HistoryRecord): void {
  appendHistory(l.history, rec);
}

/** Records a failure without failing again: returns '' or why the history could not be appended. */
export function tryRecord(l: Layout, rec: HistoryRecord): string {
  try {
    record(l, rec);
    return '';
  } catch (err) {
    return `the history record could not be written to ${l.history}: ${(err as Error).message}`;
  }
}

/**
 * The release the records say is live: the current manifest's, if it names a release of this stack
 * that is still on disk; else the one the symlink points at. They differ only after a run stopped
 * between `switch` and `record` (killed, power loss); the records then win, because the symlink's
 * release was never smoke-tested to the end nor recorded (DESIGN.md section 4: the manifest
 * describes what is live).
 */
export function recordedLiveId(l: Layout, stack: string): string | undefined {
  const m = readManifest(l, stack);
  const id = typeof m?.release_id === 'string' ? m.release_id : '';
  if (RELEASE_ID_RE.test(id) && existsSync(join(l.releaseDir(stack, id), RELEASE_META))) return id;
  return liveReleaseId(l, stack);
}

/** The release to go back to if this run fails, warning when the symlink disagrees with the records. */
export function liveToReturnTo(l: Layout, stack: string, report: Reporter): string | undefined {
  const recorded = recordedLiveId(l, stack);
  const linked = liveReleaseId(l, stack);
  if (linked !== recorded)
    report.log(
      `the live symlink points to ${linked ?? 'nothing'} but the current manifest says ${recorded}: an earlier run stopped between switch and record. The recorded release ${recorded} is the one to go back to`,
      'warn',
    );
  return recorded;
}
