// The request the action sends to the executor and the executor re-validates (the server is the
// trust boundary). The operator CLI builds the same object from argv.
import * as z from 'zod';
import { DEFAULT_ROOT, DEFAULT_STACKS_SOURCE } from './layout.js';
import {
  envName,
  freeText,
  imageMapping,
  imageTag,
  isSafeAbsPath,
  RELEASE_ID_RE,
  runKey,
  stackName,
} from './names.js';

/**
 * The request format this build writes and accepts. Bump it whenever an older executor would
 * misread a request of this build (a new required field, a changed meaning): the action then
 * refuses to run an installed executor of another format (executor_mismatch: use-installed).
 */
export const REQUEST_FORMAT = 1;

const absPath = (field: string) =>
  z.string().refine(isSafeAbsPath, {
    error: `${field} must be an absolute path without '..'`,
  });

export const commonOptions = {
  root: absPath('root').default(DEFAULT_ROOT),
  source: absPath('source').default(DEFAULT_STACKS_SOURCE),
  actor: freeText('actor', 200).default(''),
  run_id: freeText('run_id', 100).default(''),
  run_key: runKey.optional(),
  lock_timeout_s: z.number().int().min(0).max(86400).default(600),
  gated_envs: z.array(envName).default(['production']),
  keep_releases: z.number().int().min(1).max(1000).optional(),
};

export const registryLogin = z
  .object({
    registry: freeText('registry', 255).regex(/^[A-Za-z0-9.-]+(:[0-9]+)?$/, {
      error: 'registry must be a host name with an optional port, e.g. ghcr.io',
    }),
    username: freeText('registry_username', 255).min(1),
    password_file: absPath('registry password file'),
  })
  .optional();

/** What the action's provenance gate found (docs/design.md, provenance); the executor records it. */
export const provenanceRecord = z.object({
  state: z.enum(['verified', 'warned', 'off']),
  mode: z.enum(['off', 'warn', 'require']),
  signer_workflow: freeText('provenance.signer_workflow', 300).optional(),
  signer_ref: freeText('provenance.signer_ref', 300).optional(),
  /** digest -> where its bundle is */
  bundles: z.record(z.string().regex(/^sha256:[0-9a-f]{64}$/), freeText('provenance bundle', 500)).optional(),
});
export type ProvenanceRecord = z.infer<typeof provenanceRecord>;

/** A provenance record in one line, as status, verify and the step summary show it. */
export function describeProvenance(p: Partial<ProvenanceRecord> | undefined): string {
  if (!p?.state) return 'not checked';
  const signer = p.signer_workflow ? ` by ${p.signer_workflow}@${p.signer_ref ?? '?'}` : '';
  return `${p.state}${signer}`;
}

/** A fleet run's place on this host: the hosts list's size and this host's position (1-based). */
export const fleetPosition = z
  .strictObject({
    size: z.number().int().min(1).max(1000),
    position: z.number().int().min(1).max(1000),
  })
  .refine((f) => f.position <= f.size, { error: 'fleet.position must be at most fleet.size' });
export type FleetPosition = z.infer<typeof fleetPosition>;

export const deployRequest = z.object({
  command: z.literal('deploy'),
  stack: stackName,
  env: envName,
  image_tag: imageTag,
  digest_file: absPath('digest_file'),
  images: imageMapping.optional(),
  break_glass: z.boolean().default(false),
  reason: freeText('break_glass_reason', 1000).default(''),
  registry_login: registryLogin,
  provenance: provenanceRecord.optional(),
  /** A dry run of validate + gate + safety, without the lock; nothing changes (a fleet's pre-check). */
  check: z.boolean().default(false),
  fleet: fleetPosition.optional(),
  ...commonOptions,
});
export type DeployRequest = z.infer<typeof deployRequest>;

export const rollbackRequest = z.object({
  command: z.literal('rollback'),
  stack: stackName,
  env: envName,
  steps: z.number().int().min(1).max(100).default(1),
  /** Go to exactly this release (a rollback candidate), not N steps back: a fleet's way back. */
  to: z
    .string()
    .refine((v) => RELEASE_ID_RE.test(v), { error: 'to must be a release id (<tag>__<YYYYMMDDTHHMMSSZ>)' })
    .optional(),
  fleet: fleetPosition.optional(),
  ...commonOptions,
});
export type RollbackRequest = z.infer<typeof rollbackRequest>;

/** Turns zod issues into one message per field. */
export function formatIssues(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      const field = i.path.join('.');
      return field && !i.message.startsWith(field) ? `${field}: ${i.message}` : i.message;
    })
    .join('\n');
}
