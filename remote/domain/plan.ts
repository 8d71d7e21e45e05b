// Turns a validated deploy request and its digest manifest into what the release will pin.
import { readFileSync } from 'node:fs';
import { parseDigestManifest, resolveImageVars } from '../../common/digest-manifest.js';
import type { DeployRequest } from '../../common/request.js';
import { DeployError } from '../errors.js';
import type { ReleaseMeta } from './releases.js';
import { errorMessage } from '../report.js';

export interface ReleasePlan {
  meta: Omit<ReleaseMeta, 'compose_file' | 'created_at_utc'>;
  /** image name → digest, as the verified marker holds them */
  digests: Record<string, string>;
  refs: string[];
  main: { ref: string; digest: string };
}

/** Reads and checks the digest manifest (the server re-validates everything the action sent). */
export function planRelease(req: DeployRequest, releaseId: string): ReleasePlan {
  let text: string;
  try {
    text = readFileSync(req.digest_file, 'utf8');
  } catch (err) {
    throw new DeployError(`digest_file: ${req.digest_file} cannot be read (${errorMessage(err)})`, 2);
  }
  const manifest = parseDigestManifest(text, req.image_tag);
  const vars = resolveImageVars(manifest, req.images);
  const nameOf = (ref: string) => Object.entries(manifest.images).find(([, i]) => i.ref === ref)?.[0] ?? '';
  const images = Object.fromEntries(
    Object.entries(vars).map(([v, i]) => [v, { name: nameOf(i.ref), ref: i.ref, digest: i.digest }]),
  );
  const main = images['IMAGE_REF'] ?? Object.values(images)[0]!;
  return {
    meta: {
      stack: req.stack,
      env: req.env,
      release_id: releaseId,
      image_tag: req.image_tag,
      git_sha: manifest.git_sha,
      images,
    },
    digests: Object.fromEntries(Object.values(images).map((i) => [i.name, i.digest])),
    refs: Object.values(images).map((i) => i.ref),
    main: { ref: main.ref, digest: main.digest },
  };
}
