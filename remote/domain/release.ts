// One release on disk as the flows use it: its directory, its frozen metadata, and its compose file
// read once (the x-seisei-deploy settings and the services' images), whichever step asks first.
import { releaseServiceImages, type ServiceImage } from './compose-services.js';
import { readReleaseMeta, type ReleaseMeta } from './releases.js';
import { DEFAULT_TIMEOUTS, readStackConfig, type StackConfig, type StepTimeouts } from './stack-config.js';

export interface Release {
  dir: string;
  meta: ReleaseMeta;
  /** The frozen x-seisei-deploy block (read on first use; throws when it cannot be read). */
  config(): StackConfig;
  /** The images its services run, as compose would expand them. */
  services(): ServiceImage[];
}

export function loadRelease(dir: string): Release {
  const meta = readReleaseMeta(dir);
  let config: StackConfig | undefined;
  let services: ServiceImage[] | undefined;
  return {
    dir,
    meta,
    config: () => (config ??= readStackConfig(dir, meta.compose_file)),
    services: () => (services ??= releaseServiceImages(dir, meta.compose_file)),
  };
}

/** The release's own step time limits (the defaults when its frozen config cannot be read). */
export function stepTimeouts(r: Release): StepTimeouts {
  try {
    return r.config().timeouts;
  } catch {
    return { ...DEFAULT_TIMEOUTS };
  }
}

/** The image the manifest's top-level fields describe: IMAGE_REF, else the first variable. */
export function mainImage(meta: ReleaseMeta): { ref: string; digest: string } {
  const img = meta.images['IMAGE_REF'] ?? Object.values(meta.images)[0];
  return img ? { ref: img.ref, digest: img.digest } : { ref: '', digest: '' };
}
