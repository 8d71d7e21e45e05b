// The two ways a deploy or rollback records itself (DESIGN.md sections 4-5): `recordLive` when a
// release went live (current manifest, then a history line), `recordFailure` when a run failed.
// What to write (env, gate, break-glass, status) is the caller's policy; how is decided here only.
import type { Layout } from '../../common/layout.js';
import type { ProvenanceRecord } from '../../common/request.js';
import { DeployError } from '../errors.js';
import { appendHistory, type HistoryMode, type HistoryRecord, type HistoryStatus } from './history.js';
import { loadRelease, mainImage, type Release } from './release.js';
import { errorMessage } from '../report.js';
import type { RunContext, Who } from '../run-context.js';
import { liveReleaseId } from './live-link.js';
import {
  buildManifest,
  recordedLiveId,
  writeManifest,
  type CurrentManifest,
  type LiveMode,
} from './manifest.js';

/** The release a history line is about (every field '' when unknown). */
export interface ReleaseFacts {
  release_id?: string;
  image_tag?: string;
  image_ref?: string;
  image_digest?: string;
  previous_release_id?: string;
}

/** What a history line says of a release on disk, and of the one it replaced. */
export function factsOf(r: Release, previousId: string): ReleaseFacts {
  const main = mainImage(r.meta);
  return {
    release_id: r.meta.release_id,
    image_tag: r.meta.image_tag,
    image_ref: main.ref,
    image_digest: main.digest,
    previous_release_id: previousId,
  };
}

export function historyRecord(
  base: { stack: string; env: string; mode: HistoryMode; status: HistoryStatus; started: number },
  who: Who,
  release: ReleaseFacts,
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

/** Appends one history line (throws when it cannot). */
export function appendRecord(layout: Layout, rec: HistoryRecord): void {
  appendHistory(layout.history, rec);
}

/** How a release went live, as the manifest and the history line tell it. */
export interface LiveHow {
  mode: LiveMode;
  /** The release it replaced ('' for a first deploy). */
  previous: string;
  env: string;
  gate: string;
  compose: string;
  /** Who the manifest names (the run's, or the break-glass of the release put back). */
  who: Who;
  /** The history line's status and error: an auto-rollback whose release fails its smoke too is live, and failed. */
  status?: 'success' | 'failed';
  error?: string;
  /** Extra history fields (a deploy's gate, images and provenance). */
  extra?: Record<string, unknown>;
  /** What the action's provenance gate found, for the manifest (a deploy's, when sent). */
  provenance?: ProvenanceRecord;
}

export interface Live {
  manifest: CurrentManifest;
  /** '' or why the history line could not be appended (the manifest was written). */
  unrecorded: string;
}

/**
 * Records that `r` is live: the current manifest first (atomically; a DeployError when it cannot
 * be written, and then it still names what was live before), then the history line.
 */
export function recordLive(run: RunContext, r: Release, how: LiveHow): Live {
  const manifest = buildManifest(r.meta, r.dir, { ...how.who, ...how });
  try {
    writeManifest(run.layout, manifest);
  } catch (err) {
    throw new DeployError(`could not write the current manifest: ${errorMessage(err)}`);
  }
  const base = { stack: run.stack, env: run.env, mode: how.mode, status: how.status ?? 'success' } as const;
  const unrecorded = tryAppend(
    run.layout,
    historyRecord({ ...base, started: run.started }, run.who, factsOf(r, how.previous), how.error, how.extra),
  );
  return { manifest, unrecorded };
}

/** Records a failed run without failing again: '' or why the history line could not be appended. */
export function recordFailure(
  run: RunContext,
  mode: HistoryMode,
  facts: ReleaseFacts,
  error: string,
  status: 'failed' | 'rolled_back' = 'failed',
): string {
  return recordRun(run, mode, status, facts, error);
}

/** One history line of this run, never throwing: '' or why it could not be appended. */
export function recordRun(
  run: RunContext,
  mode: HistoryMode,
  status: HistoryStatus,
  facts: ReleaseFacts,
  error = '',
): string {
  const base = { stack: run.stack, env: run.env, mode, status, started: run.started };
  return tryAppend(run.layout, historyRecord(base, run.who, facts, error));
}

function tryAppend(layout: Layout, rec: HistoryRecord): string {
  try {
    appendRecord(layout, rec);
    return '';
  } catch (err) {
    return `the history record could not be written to ${layout.history}: ${errorMessage(err)}`;
  }
}

/** The release to go back to if this run fails, warning when the symlink disagrees with the records. */
export function liveToReturnTo(run: RunContext): string | undefined {
  const recorded = recordedLiveId(run.layout, run.stack);
  const linked = liveReleaseId(run.layout, run.stack);
  if (linked !== recorded)
    run.report.log(
      `the live symlink points to ${linked ?? 'nothing'} but the current manifest says ${recorded}: an earlier run stopped between switch and record. The recorded release ${recorded} is the one to go back to`,
      'warn',
    );
  return recorded;
}

/** The release to go back to, if it can be read (a missing one is found out by auto-rollback). */
export function previousRelease(run: RunContext, previousId: string): Release | undefined {
  try {
    return previousId ? loadRelease(run.layout.releaseDir(run.stack, previousId)) : undefined;
  } catch {
    return undefined;
  }
}
