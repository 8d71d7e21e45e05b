// Chooses a new release's id under the stack's lock: `<tag>__<UTC second>`, or `…-2`, `-3`, … when
// that name is already used (a killed run's directory, another deploy of the tag in that second).
import { existsSync } from 'node:fs';
import { DeployError } from '../errors.js';
import { newReleaseId, type Layout } from '../../common/layout.js';

const MAX_SUFFIX = 9999;

/** The first of `base`, `base-2`, `base-3`, … that `taken` says is free. */
export function freeReleaseId(base: string, taken: (id: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; n <= MAX_SUFFIX; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
  throw new DeployError(`every release id from ${base} to ${base}-${MAX_SUFFIX} is taken`);
}

/**
 * A name is taken when a release directory (complete or not: a killed run's) or a bad marker uses
 * it: an id is never given to two releases, so the records and marks of one never describe another.
 * Temp and trash names carry their run's pid and cannot collide.
 */
export function chooseReleaseId(layout: Layout, stack: string, tag: string, now = new Date()): string {
  return freeReleaseId(
    newReleaseId(tag, now),
    (id) => existsSync(layout.releaseDir(stack, id)) || existsSync(layout.badMarker(stack, id)),
  );
}
