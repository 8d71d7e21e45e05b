// The current manifest (DESIGN.md section 4: `<root>/releases/current/<stack>.json`): its schema,
// built from a release, written atomically, read back checked. It always describes what is live.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import type { Layout } from '../../common/layout.js';
import { RELEASE_ID_RE } from '../../common/names.js';
import {
  fleetPosition,
  provenanceRecord,
  type FleetPosition,
  type ProvenanceRecord,
} from '../../common/request.js';
import { writeFileAtomic } from '../fsutil.js';
import { RELEASE_META, type ReleaseMeta } from './releases.js';
import { liveReleaseId } from './live-link.js';
import { mainImage } from './release.js';
import type { Who } from '../run-context.js';
import { TOOL_VERSION } from '../version.js';

const image = z.object({ name: z.string(), ref: z.string(), digest: z.string() });

/** The contract keys are required; the extras are what this tool writes (older files may lack some; keys it does not know are dropped on reading). */
const currentManifest = z.object({
  stack: z.string(),
  env: z.string(),
  image_tag: z.string(),
  image_ref: z.string(),
  image_digest: z.string(),
  release_id: z.string(),
  release_dir: z.string(),
  deployed_at_utc: z.string(),
  actor: z.string(),
  run_id: z.string(),
  break_glass: z.boolean(),
  break_glass_reason: z.string(),
  images: z.record(z.string(), image).optional(),
  git_sha: z.string().optional(),
  previous_release_id: z.string().optional(),
  mode: z.enum(['deploy', 'rollback', 'auto-rollback']).optional(),
  gate: z.string().optional(),
  compose: z.string().optional(),
  tool_version: z.string().optional(),
  /** What the action's provenance gate found (docs/design.md, provenance); absent when not sent. */
  provenance: provenanceRecord.optional(),
  /** In a fleet run: the hosts list's size and this host's position. */
  fleet: fleetPosition.optional(),
});

/** A manifest as read back from disk. */
export type StoredManifest = z.infer<typeof currentManifest>;
/** A manifest as this tool writes it: every key present (provenance when the request carried one). */
export type CurrentManifest = Required<Omit<StoredManifest, 'provenance' | 'fleet'>> & {
  provenance?: ProvenanceRecord;
  fleet?: FleetPosition;
};
export type LiveMode = CurrentManifest['mode'];

export function buildManifest(
  meta: ReleaseMeta,
  dir: string,
  how: Who & {
    previous: string;
    mode: LiveMode;
    gate: string;
    compose: string;
    env: string;
    provenance?: ProvenanceRecord;
  },
): CurrentManifest {
  const main = mainImage(meta);
  return {
    stack: meta.stack,
    env: how.env,
    image_tag: meta.image_tag,
    image_ref: main.ref,
    image_digest: main.digest,
    release_id: meta.release_id,
    release_dir: dir,
    deployed_at_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    actor: how.actor,
    run_id: how.run_id,
    break_glass: how.break_glass,
    break_glass_reason: how.break_glass_reason,
    images: meta.images,
    git_sha: meta.git_sha,
    previous_release_id: how.previous,
    mode: how.mode,
    gate: how.gate,
    compose: how.compose,
    tool_version: TOOL_VERSION,
    ...(how.provenance ? { provenance: how.provenance } : {}),
    ...(how.fleet ? { fleet: how.fleet } : {}),
  };
}

export function writeManifest(layout: Layout, m: StoredManifest): void {
  writeFileAtomic(layout.currentManifest(m.stack), JSON.stringify(m, null, 2) + '\n');
}

/** The stack's current manifest; undefined when it is missing, not JSON, or not of the contract's shape. */
export function readManifest(layout: Layout, stack: string): StoredManifest | undefined {
  try {
    const parsed = currentManifest.safeParse(JSON.parse(readFileSync(layout.currentManifest(stack), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The release the records say is live: the current manifest's, if it names a release of this stack
 * that is still on disk; else the one the symlink points at. They differ only after a run stopped
 * between `switch` and `record` (killed, power loss); the records then win, because the symlink's
 * release was never smoke-tested to the end nor recorded (DESIGN.md section 4: the manifest
 * describes what is live).
 */
export function recordedLiveId(layout: Layout, stack: string): string | undefined {
  const id = readManifest(layout, stack)?.release_id ?? '';
  if (RELEASE_ID_RE.test(id) && existsSync(join(layout.releaseDir(stack, id), RELEASE_META))) return id;
  return liveReleaseId(layout, stack);
}
