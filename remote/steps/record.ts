// The record step's outcomes: what a run that made a release live reports, however the history
// line went. Recording itself is remote/domain/records.ts (recordLive).
import type { ProvenanceRecord, RollbackRequest } from '../../common/request.js';
import { readManifest } from '../domain/manifest.js';
import type { Live, LiveHow } from '../domain/records.js';
import type { Engine } from '../engine/engine.js';
import type { GateOutcome } from './gate.js';
import type { Outcome } from '../outcome.js';
import type { Release } from '../domain/release.js';
import type { RunContext } from '../run-context.js';

/** The result fields of a release that is live and in the manifest. */
export function liveFacts(r: Release, live: Live, previousId: string) {
  const { image_ref, image_digest } = live.manifest;
  const facts = { image_ref, image_digest, previous_release_id: previousId };
  return { release_id: r.meta.release_id, release_dir: r.dir, ...facts, manifest: live.manifest };
}

/** A deploy that is live and in the manifest, but not in the history: it is not a rollback target. */
export function liveButUnrecorded(run: RunContext, r: Release, live: Live, previousId: string): Outcome {
  run.report.log(live.unrecorded, 'error', 'record');
  return {
    status: 'failed',
    msg: `${r.meta.release_id} is live and the current manifest says so, but ${live.unrecorded}. Free some space; it will not be offered as a rollback target`,
    ...liveFacts(r, live, previousId),
  };
}

/** How a deploy went live: the manifest names its gate and the run's break-glass; the history line its images. */
export function deployedHow(
  run: RunContext,
  gate: GateOutcome,
  engine: Engine,
  r: Release,
  previous: string,
  provenance: ProvenanceRecord | undefined,
): LiveHow {
  const extra = { gate, images: r.meta.images, ...(provenance ? { provenance } : {}) };
  const { env, who } = run;
  return { mode: 'deploy', previous, env, gate, compose: engine.variant, who, extra, provenance };
}

/** How a rollback went live: in the environment asked for, else the one the manifest or release names. */
export function rolledBackHow(
  run: RunContext,
  req: RollbackRequest,
  r: Release,
  engine: Engine,
  liveId: string,
): LiveHow {
  const env = req.env || readManifest(run.layout, run.stack)?.env || r.meta.env;
  return { mode: 'rollback', previous: liveId, env, gate: 'rollback', compose: engine.variant, who: run.who };
}
