// Settings -> the request object the executor accepts (common/request.ts). Everything
// untrusted travels in request.json, never on a command line. Validated here with the same zod
// schema the server uses, so a bad request fails before anything is uploaded.
import { randomBytes } from 'node:crypto';
import { resolveImageVars, type DigestManifest } from '../../common/digest-manifest.js';
import { RUN_KEY_RE } from '../../common/names.js';
import {
  deployRequest,
  formatIssues,
  rollbackRequest,
  type DeployRequest,
  type ProvenanceRecord,
  type RollbackRequest,
} from '../../common/request.js';
import type { Settings } from '../inputs/settings.js';

export class RequestError extends Error {
  override name = 'RequestError';
}

/** `<run id>-<attempt>-<6 hex>`; a local run (no GITHUB_RUN_ID) gets `local-<ms>-<hex>`. */
export function makeRunKey(runId: string, attempt: string, random = randomBytes(3).toString('hex')): string {
  const id = /^\d{1,20}$/.test(runId) ? runId : `local-${Date.now()}`;
  const key = `${id}-${/^\d{1,6}$/.test(attempt) ? attempt : '1'}-${random}`;
  if (!RUN_KEY_RE.test(key)) throw new RequestError(`internal: run key ${key} is invalid`);
  return key;
}

/** Registry host of an image reference (`ghcr.io/org/x@sha256:...` -> ghcr.io; no host -> docker.io). */
export function registryOf(ref: string): string {
  const first = ref.split('/')[0]!;
  return ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : 'docker.io';
}

/** Docker Hub's names for itself, as `docker login` and image references use them. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const sameRegistry = (a: string, b: string) => {
  const norm = (h: string) => (DOCKER_HUB.has(h.toLowerCase()) ? 'docker.io' : h.toLowerCase());
  return norm(a) === norm(b);
};

/**
 * Registry credentials go to the `registry` input's host only. The images deployed with them must
 * come from that host: a manifest naming another host is refused rather than pulled without (or
 * with someone else's) credentials.
 */
export function checkImageHosts(
  manifest: DigestManifest,
  images: Settings['images'],
  registry: string,
): void {
  const foreign = Object.entries(resolveImageVars(manifest, images)).filter(
    ([, img]) => !sameRegistry(registryOf(img.ref), registry),
  );
  if (foreign.length)
    throw new RequestError(
      `registry: the credentials are for ${registry}, but ${foreign.map(([v, img]) => `${v}=${img.ref}`).join(', ')} ${foreign.length === 1 ? 'is' : 'are'} hosted elsewhere; refusing to deploy. Set registry to the host of the deployed images, or deploy without registry credentials`,
    );
}

/** The fields every request carries. */
const everyRequest = (s: Settings, runKey: string) => ({
  root: s.server.root,
  source: s.server.source,
  actor: s.actor,
  run_id: s.runId,
  run_key: runKey,
  lock_timeout_s: s.lockTimeoutS,
  ...(s.keepReleases !== undefined ? { keep_releases: s.keepReleases } : {}),
});

/** Where the executor finds the digest manifest and the registry password. */
export interface RemotePaths {
  digestFile: string;
  passwordFile?: string;
}

export function buildDeployRequest(
  s: Settings,
  manifest: DigestManifest,
  paths: RemotePaths,
  runKey: string,
  provenance?: ProvenanceRecord,
): DeployRequest {
  if (s.registry) checkImageHosts(manifest, s.images, s.registry.registry);
  const registry =
    s.registry && paths.passwordFile
      ? {
          registry: s.registry.registry,
          username: s.registry.username,
          password_file: paths.passwordFile,
        }
      : undefined;
  const r = deployRequest.safeParse({
    command: 'deploy',
    stack: s.stack,
    env: s.environment,
    image_tag: s.imageTag,
    digest_file: paths.digestFile,
    ...(s.images ? { images: s.images } : {}),
    break_glass: s.breakGlass,
    reason: s.breakGlass ? s.breakGlassReason : '',
    ...(registry ? { registry_login: registry } : {}),
    ...(provenance ? { provenance } : {}),
    ...everyRequest(s, runKey),
  });
  if (!r.success) throw new RequestError(`the deploy request is invalid: ${formatIssues(r.error)}`);
  return r.data;
}

export function buildRollbackRequest(s: Settings, runKey: string): RollbackRequest {
  const r = rollbackRequest.safeParse({
    command: 'rollback',
    stack: s.stack,
    env: s.environment,
    steps: s.stepsBack,
    ...everyRequest(s, runKey),
  });
  if (!r.success) throw new RequestError(`the rollback request is invalid: ${formatIssues(r.error)}`);
  return r.data;
}
