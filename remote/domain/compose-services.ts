// Which image each service of a release's compose file should run, as compose would expand it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpolate, parseYaml, readEnvFile } from './stack-config.js';

export interface ServiceImage {
  service: string;
  image: string;
}

interface ComposeService {
  image?: unknown;
  profiles?: unknown;
  scale?: unknown;
  deploy?: { replicas?: unknown };
}

/** Services that `up` starts (no profile, not scaled to 0) and name an image. */
export function serviceImages(composeYaml: string, vars: Record<string, string>): ServiceImage[] {
  const doc = parseYaml(composeYaml) as { services?: Record<string, ComposeService | null> } | null;
  return Object.entries(doc?.services ?? {})
    .filter(
      (e): e is [string, ComposeService & { image: string }] =>
        typeof e[1]?.image === 'string' &&
        !(Array.isArray(e[1].profiles) && e[1].profiles.length) &&
        e[1].scale !== 0 &&
        e[1].deploy?.replicas !== 0,
    )
    .map(([service, s]) => ({ service, image: interpolate(s.image, vars) }));
}

export function releaseServiceImages(dir: string, composeFile: string): ServiceImage[] {
  return serviceImages(readFileSync(join(dir, composeFile), 'utf8'), readEnvFile(join(dir, '.env')));
}

/** `postgres` and `docker.io/library/postgres:latest` are the same image reference. */
export function normalizeImage(ref: string): string {
  let r = ref.replace(/^(?:docker\.io|index\.docker\.io)\/(?:library\/)?/, '');
  const lastPart = r.slice(r.lastIndexOf('/') + 1);
  if (!r.includes('@') && !lastPart.includes(':')) r += ':latest';
  return r;
}

export const sameImage = (a: string, b: string) => a === b || normalizeImage(a) === normalizeImage(b);
