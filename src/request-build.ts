// Settings -> the request object the executor accepts (src/common/request.ts). Everything
// untrusted travels in request.json, never on a command line. Validated here with the same zod
// schema the server uses, so a bad request fails before anything is uploaded.
import { randomBytes } from 'node:crypto';
import { resolveImageVars, type DigestManifest } from './common/digest-manifest.js';
import { RUN_KEY_RE } from './common/names.js';
import {
  deployRequest,
  formatIssues,
  rollbackRequest,
  type DeployRequest,
  type RollbackRequest,
} from './common/request.js';
import type { ProvenanceRecord } from './common/request.js';
import type { Settings } from './inputs.js';

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

/** The registry to log in to: the input, else the one registry all deployed images come from. */
export function defaultRegistry(manifest: DigestManifest, images: Settings['images']): string {
  const hosts = [...new Set(Object.values(resolveImageVars(manifest, images)).map((i) => registryOf(i.ref)))];
  if (hosts.length !== 1)
    throw new RequestError(
      `registry: the images come from ${hosts.length} registries (${hosts.join(', ')}); set registry to the one registry_username/registry_password are for`,
    );
  return hosts[0]!;
}

const common = (s: Settings, runKey: string) => ({
  root: s.remote.root,
  source: s.remote.source,
  actor: s.actor,
  run_id: s.runId,
  run_key: runKey,
  lock_timeout_s: s.lockTimeoutS,
  ...(s.keepReleases !== undefined ? { keep_releases: s.keepReleases } : {}),
});

export interface RemotePaths {
  dir: string;
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
  const registry =
    s.registry && paths.passwordFile
      ? {
          registry: s.registry.registry ?? defaultRegistry(manifest, s.images),
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
    ...common(s, runKey),
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
    ...common(s, runKey),
  });
  if (!r.success) throw new RequestError(`the rollback request is invalid: ${formatIssues(r.error)}`);
  return r.data;
}
