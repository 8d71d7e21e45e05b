// The verified gate (DESIGN.md section 6).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { DeployError } from '../errors.js';
import type { Layout } from '../../common/layout.js';
import type { DeployRequest } from '../../common/request.js';
import type { ReleasePlan } from '../plan.js';
import type { RunContext } from '../run-context.js';

export type GateOutcome = 'not-gated' | 'verified' | 'verified-empty-marker' | 'break-glass';

export interface VerifiedMarker {
  image_tag: string;
  digests: Record<string, string>;
  verified_at: string;
  verified_by: string;
  note: string;
}

export function checkGate(
  l: Layout,
  opts: {
    env: string;
    gatedEnvs: string[];
    tag: string;
    digests: Record<string, string>;
    breakGlass: boolean;
  },
): GateOutcome {
  if (!opts.gatedEnvs.includes(opts.env)) return 'not-gated';
  const path = l.marker(opts.tag);
  if (!existsSync(path)) {
    if (opts.breakGlass) return 'break-glass';
    throw new DeployError(`Version not verified: ${path} does not exist`);
  }
  if (!statSync(path).isFile())
    throw new DeployError(
      `verified marker ${path} is not a file; remove it and run: seisei-deploy verify ${opts.tag}`,
    );
  const text = readFileSync(path, 'utf8');
  if (!text.trim()) return 'verified-empty-marker';
  let marker: Partial<VerifiedMarker>;
  try {
    marker = JSON.parse(text) as Partial<VerifiedMarker>;
  } catch {
    throw new DeployError(
      `verified marker ${path} is neither empty nor JSON; rewrite it with: seisei-deploy verify ${opts.tag}`,
    );
  }
  const shape = markerShapeProblem(marker);
  if (shape)
    throw new DeployError(
      `verified marker ${path} is not a marker (${shape}); rewrite it with: seisei-deploy verify ${opts.tag}`,
    );
  // Own keys only: image names like `constructor` are also names of Object.prototype's members.
  const deploying = (name: string) => (Object.hasOwn(opts.digests, name) ? opts.digests[name] : undefined);
  const differ = Object.entries(marker.digests ?? {})
    .filter(([name, digest]) => deploying(name) !== undefined && deploying(name) !== digest)
    .map(([name, digest]) => `${name}: verified ${digest}, deploying ${opts.digests[name]}`);
  const missing = Object.keys(marker.digests ?? {}).length
    ? Object.keys(opts.digests)
        .filter((n) => !Object.hasOwn(marker.digests!, n))
        .map((n) => `${n}: not in the marker`)
    : [];
  if (differ.length || missing.length) {
    if (opts.breakGlass) return 'break-glass';
    throw new DeployError(
      `Verified digests differ from the digests being deployed for ${opts.tag} (${path}): ${[...differ, ...missing].join('; ')}`,
    );
  }
  return Object.keys(marker.digests ?? {}).length ? 'verified' : 'verified-empty-marker';
}

/** The gate step of a deploy: a break-glass deploy past it is said out loud. */
export function checkDeployGate(run: RunContext, req: DeployRequest, plan: ReleasePlan): GateOutcome {
  const gate = checkGate(run.layout, {
    env: req.env,
    gatedEnvs: req.gated_envs,
    tag: req.image_tag,
    digests: plan.digests,
    breakGlass: req.break_glass,
  });
  if (gate === 'break-glass')
    run.report.log(`BREAK-GLASS: deploying without a matching verified marker: ${req.reason}`, 'warn');
  return gate;
}

/** Why parsed JSON is not a marker object whose `digests`, if any, map image names to sha256 digests. */
function markerShapeProblem(m: unknown): string {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'not a JSON object';
  const digests = (m as { digests?: unknown }).digests;
  if (digests === undefined) return '';
  if (typeof digests !== 'object' || digests === null || Array.isArray(digests))
    return '"digests" is not an object of image name to digest';
  const bad = Object.entries(digests).find(
    ([, d]) => typeof d !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d),
  );
  return bad ? `digests.${bad[0]} is not a sha256 digest` : '';
}
