// Steps 11-12 of a deploy that went live: record it (manifest, then history), apply retention,
// install the operator CLI. Records must never contradict what is live.
import type { ProvenanceRecord } from '../../common/request.js';
import type { ComposeFlavor } from '../commands/compose.js';
import type { Docker } from '../docker.js';
import { DeployError } from '../errors.js';
import { installCli } from '../install-cli.js';
import type { Layout } from '../../common/layout.js';
import type { Outcome } from '../outcome.js';
import { errorMessage, type Reporter } from '../report.js';
import type { Release } from './activate.js';
import { autoRollback } from './auto-rollback.js';
import { buildManifest, historyRecord, tryRecord, writeManifest, type Who } from './record.js';
import { cleanupAfterDeploy } from './retention.js';

export interface DeployFacts {
  release: Release;
  previousId: string | undefined;
  who: Who;
  gate: string;
  started: number;
  env: string;
  facts: Partial<Record<'image_ref' | 'image_digest' | 'previous_release_id', string>>;
  keep: number;
  provenance?: ProvenanceRecord;
}

export async function recordDeploy(
  l: Layout,
  docker: Docker,
  flavor: ComposeFlavor,
  d: DeployFacts,
  report: Reporter,
): Promise<Outcome> {
  const { release, previousId, who, env } = d;
  const { stack, release_id: releaseId, image_tag } = release.meta;
  const current = buildManifest(release.meta, release.dir, {
    ...who,
    env,
    previous: previousId ?? '',
    mode: 'deploy',
    gate: d.gate,
    compose: flavor,
  });
  if (d.provenance) current.provenance = d.provenance;
  try {
    await report.step('record', () => writeManifest(l, current));
  } catch (err) {
    // The manifest still names the previous release: put that back, so live and records agree.
    const why = new DeployError(`could not write the current manifest: ${errorMessage(err)}`);
    return autoRollback(
      l,
      docker,
      flavor,
      { failed: release, previousId, err: why, who, started: d.started, env },
      report,
    );
  }
  const base = { stack, env, mode: 'deploy', status: 'success', started: d.started } as const;
  const rec = historyRecord(base, who, { release_id: releaseId, image_tag, ...d.facts }, '', {
    gate: d.gate,
    images: current.images,
    ...(d.provenance ? { provenance: d.provenance } : {}),
  });
  const unrecorded = tryRecord(l, rec);
  const live = { release_id: releaseId, release_dir: release.dir, ...d.facts, manifest: current };
  if (unrecorded) {
    report.log(unrecorded, 'error', 'record');
    return {
      status: 'failed',
      msg: `${releaseId} is live and the current manifest says so, but ${unrecorded}. Free some space; it will not be offered as a rollback target`,
      ...live,
    };
  }
  try {
    await report.step('cleanup', () => cleanupAfterDeploy(l, stack, d.keep, report));
  } catch (err) {
    // The deploy is live and recorded; old releases stay until the next cleanup.
    report.log(`retention skipped: ${errorMessage(err)}`, 'warn', 'cleanup');
  }
  installCli(l, report);
  return { status: 'success', msg: `deployed ${releaseId}`, ...live };
}
