// The action's outputs (design.md section 11): from a result event, or the status alone.
import * as core from '@actions/core';
import type { ResultEvent } from '../../common/events.js';

export const OUTPUT_NAMES = [
  'status',
  'release_id',
  'release_dir',
  'image_ref',
  'image_digest',
  'previous_release_id',
  'manifest',
] as const;
export type Outputs = Record<(typeof OUTPUT_NAMES)[number], string>;

/** The outputs of section 11 from a result event. */
export function outputsOf(r: ResultEvent): Outputs {
  const m = (r.manifest ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
  return {
    status: r.status,
    release_id: str(r.release_id ?? m.release_id),
    release_dir: str(r.release_dir ?? m.release_dir),
    image_ref: str(r.image_ref ?? m.image_ref),
    image_digest: str(r.image_digest ?? m.image_digest),
    previous_release_id: str(r.previous_release_id ?? m.previous_release_id),
    manifest: r.manifest ? JSON.stringify(r.manifest) : '',
  };
}

export function setStatus(status: string): void {
  core.setOutput('status', status);
}

export function setOutputs(o: Outputs): void {
  for (const name of OUTPUT_NAMES) if (name !== 'status') core.setOutput(name, o[name]);
  setStatus(o.status);
}

/** An error that knows the status output it leaves (a lost run: unknown). */
export interface StatusOfError {
  readonly outputStatus: string;
}

/** The status output when the run ends with `err`: the error's own, else failed. */
export function outputStatusOf(err: unknown): string {
  const s = (err as Partial<StatusOfError> | null)?.outputStatus;
  return typeof s === 'string' ? s : 'failed';
}
