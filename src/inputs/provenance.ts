// The inputs of the provenance gate (design.md section 15): off, warn or require (by default
// require for the gated environments, warn elsewhere), the refs a signer may build from, and the
// trusted root.
import { anyString, matching, oneOf, type Values } from './fields.js';
import type { Mode } from './run.js';

export const PROVENANCE_MODES = ['off', 'warn', 'require'] as const;
export type ProvenanceMode = (typeof PROVENANCE_MODES)[number];
/** Environments the server's verified gate guards (the request's gated_envs default). */
export const GATED_ENVS = ['production'];

export const PROVENANCE_FIELDS = {
  provenance: oneOf('provenance', PROVENANCE_MODES),
  provenance_refs: matching(
    'provenance_refs',
    /^refs\/[A-Za-z0-9_.*/-]{1,200}$/,
    'a full ref pattern where * matches any characters (e.g. refs/tags/v*)',
  ),
  trusted_root: anyString,
};

export interface ProvenanceSettings {
  mode: ProvenanceMode;
  refs?: string;
  trustedRoot?: string;
}

/** The gate's settings; off by default where no digest is deployed (status, rollback). */
export function provenanceSettings(
  v: Values<typeof PROVENANCE_FIELDS>,
  mode: Mode,
  environment: string | undefined,
): ProvenanceSettings {
  const byDefault: ProvenanceMode =
    mode === 'status' || mode === 'rollback'
      ? 'off'
      : environment && GATED_ENVS.includes(environment)
        ? 'require'
        : 'warn';
  return { mode: v.provenance ?? byDefault, refs: v.provenance_refs, trustedRoot: v.trusted_root };
}
