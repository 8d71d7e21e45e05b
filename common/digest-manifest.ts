// The digest manifest (DESIGN.md section 3): JSON Schema plus the checks a schema cannot express.
// Used by the action before it connects and by the executor again on the server.
import type { ErrorObject } from 'ajv';
import { schemaValidator } from './image-digests-validator.js';
import { IMAGE_NAME_RE, type ImageMapping } from './names.js';

export interface ImageDigest {
  tag: string;
  ref: string;
  digest: string;
  /** Where the build's signed provenance attestation of this digest is (mode manifest, attest: true). */
  attestation?: string;
}
export interface DigestManifest {
  git_sha: string;
  git_sha7: string;
  built_at_utc: string;
  images: Record<string, ImageDigest>;
}

export class ManifestError extends Error {
  constructor(readonly problems: string[]) {
    super(`digest manifest is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ManifestError';
  }
}

function describe(e: ErrorObject): string {
  const at = '$' + e.instancePath.replace(/\//g, '.');
  const rule = e.keyword === 'pattern' ? `must match ${e.params.pattern}` : e.message;
  if (e.keyword === 'required') return `${at}: missing required field "${e.params.missingProperty}"`;
  if (e.keyword === 'propertyNames')
    return `${at}: image name ${JSON.stringify(e.params.propertyName)} is invalid`;
  return `${at}: ${rule} (rule: ${e.keyword})`;
}

/** Parses and fully checks a manifest; `imageTag` is the tag being deployed (every image must carry it). */
export function parseDigestManifest(text: string, imageTag?: string): DigestManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ManifestError([`not valid JSON: ${(err as Error).message}`]);
  }
  return checkDigestManifest(data, imageTag);
}

export function checkDigestManifest(data: unknown, imageTag?: string): DigestManifest {
  const validate = schemaValidator();
  if (!validate(data)) {
    throw new ManifestError((validate.errors ?? []).filter((e) => e.keyword !== 'if').map(describe));
  }
  const m = data as DigestManifest;
  const problems: string[] = [];
  if (!m.git_sha.startsWith(m.git_sha7))
    problems.push(`$.git_sha7: "${m.git_sha7}" is not a prefix of git_sha`);
  const names = Object.keys(m.images);
  if (names.length === 0) problems.push('$.images: the manifest lists no image (at least one is required)');
  for (const [name, img] of Object.entries(m.images)) {
    if (!IMAGE_NAME_RE.test(name))
      problems.push(`$.images.${name}: image name must match [a-z0-9][a-z0-9._-]*`);
    if (!img.ref.endsWith('@' + img.digest))
      problems.push(`$.images.${name}.ref: "${img.ref}" does not end in @${img.digest} (its digest)`);
    if (imageTag !== undefined && img.tag !== imageTag)
      problems.push(
        `$.images.${name}.tag: "${img.tag}" does not equal the requested image_tag "${imageTag}"`,
      );
  }
  if (problems.length) throw new ManifestError(problems);
  return m;
}

/** Maps env variables to images: explicit lines, or IMAGE_REF for a single-image manifest. */
export function resolveImageVars(
  m: DigestManifest,
  mapping: ImageMapping | undefined,
): Record<string, ImageDigest> {
  const names = Object.keys(m.images);
  const wanted: ImageMapping =
    mapping && Object.keys(mapping).length
      ? mapping
      : names.length === 1
        ? { IMAGE_REF: names[0]! }
        : (() => {
            throw new ManifestError([
              `the manifest has ${names.length} images (${names.join(', ')}); set images: to lines ENV_VAR=image-name, e.g. IMAGE_REF=${names[0]}`,
            ]);
          })();
  const out: Record<string, ImageDigest> = {};
  for (const [envVar, name] of Object.entries(wanted)) {
    // Own keys only: an image named `constructor` must not find Object.prototype.constructor.
    const img = Object.hasOwn(m.images, name) ? m.images[name] : undefined;
    if (!img)
      throw new ManifestError([
        `images: ${envVar}=${name} names an image that is not in the manifest (it has: ${names.join(', ')})`,
      ]);
    out[envVar] = img;
  }
  return out;
}
