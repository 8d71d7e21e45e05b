// The verified gate (DESIGN.md section 6).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { DeployError } from '../errors.js';
import { parseMarker } from '../domain/verified-marker.js';
import type { Layout } from '../../common/layout.js';
import type { DeployRequest } from '../../common/request.js';
import type { ReleasePlan } from '../domain/plan.js';
import type { RunContext } from '../run-context.js';

export type GateOutcome = 'not-gated' | 'verified' | 'verified-empty-marker' | 'break-glass';

export function checkGate(
  layout: Layout,
  opts: {
    env: string;
    gatedEnvs: string[];
    tag: string;
    digests: Record<string, string>;
    breakGlass: boolean;
  },
): GateOutcome {
  if (!opts.gatedEnvs.includes(opts.env)) return 'not-gated';
  const path = layout.marker(opts.tag);
  if (!existsSync(path)) {
    if (opts.breakGlass) return 'break-glass';
    throw new DeployError(`Version not verified: ${path} does not exist`);
  }
  if (!statSync(path).isFile())
    throw new DeployError(
      `verified marker ${path} is not a file; remove it and run: seisei-deploy verify ${opts.tag}`,
    );
  const read = parseMarker(readFileSync(path, 'utf8'));
  if (read.kind === 'empty') return 'verified-empty-marker';
  if (read.kind === 'invalid')
    throw new DeployError(
      read.json
        ? `verified marker ${path} is not a marker (${read.why}); rewrite it with: seisei-deploy verify ${opts.tag}`
        : `verified marker ${path} is neither empty nor JSON; rewrite it with: seisei-deploy verify ${opts.tag}`,
    );
  const marker = read.marker;
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
