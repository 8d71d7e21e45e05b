// Mode rollback on a fleet: the newest image tag every host can go back to (read from each host's
// status), then the rollout, each host to its own release of that tag.
import * as core from '@actions/core';
import type { Settings } from '../inputs/settings.js';
import { buildRollbackRequest, makeRunKey } from '../modes/request.js';
import { safeText } from '../neutralise.js';
import { eachHost, errText, failures, type FleetHost } from './host.js';
import { fleetRollbackTarget } from './plan.js';
import { rollout, runInBatch } from './rollout.js';
import { statusOf } from './status.js';

/** The rollback candidates of the stack in a status report. */
function stackEntry(report: unknown, stack: string): { candidates: string[] } {
  const o = (report && typeof report === 'object' ? report : {}) as Record<string, unknown>;
  const list = Array.isArray(o.stacks) ? (o.stacks as Record<string, unknown>[]) : [];
  const e = list.find((x) => x?.stack === stack) ?? {};
  const c = Array.isArray(e.rollback_candidates) ? (e.rollback_candidates as { release_id?: unknown }[]) : [];
  return { candidates: c.map((x) => x.release_id).filter((x): x is string => typeof x === 'string') };
}

/** Who runs what now, for a failure message. */
const whoRunsWhat = (hosts: readonly FleetHost[]) =>
  hosts
    .map((h) => `${h.name}: ${h.row.status}${h.row.release_id ? ` (${h.row.release_id})` : ''}`)
    .join('; ');

/** Mode rollback on the fleet: the newest tag every host can go back to, each host to its own release. */
export async function rollbackFleet(hosts: FleetHost[], s: Settings, signal: AbortSignal): Promise<string> {
  const reports = await eachHost(hosts, (h) => statusOf(h, s.stack));
  const unread = failures(hosts, reports);
  if (unread.length) return `The fleet rollback stopped before any host changed: ${unread.join('; ')}`;
  const values = reports.map((r) => (r as PromiseFulfilledResult<unknown>).value);
  let target;
  try {
    target = fleetRollbackTarget(hosts.map((h, i) => ({ host: h.name, ...stackEntry(values[i], s.stack!) })));
  } catch (err) {
    return `The fleet rollback stopped before any host changed: ${errText(err)}`;
  }
  core.info(
    safeText(
      `Rollback target: image tag ${target.tag} (${hosts.map((h, i) => `${h.name} → ${target.releases[i]}`).join(', ')})`,
    ),
  );
  const failed = await rollout(hosts, s.fleet!, signal, (h, live) => {
    const request = {
      ...buildRollbackRequest(s, makeRunKey(s.runId, s.runAttempt)),
      to: target.releases[h.position - 1],
      fleet: h.fleet,
    };
    return runInBatch(h, { request }, live);
  });
  if (!failed) return '';
  return `${failed.name} failed: ${failed.row.error || failed.row.status}. The fleet now runs: ${whoRunsWhat(hosts)}`;
}
