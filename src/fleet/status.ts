// Modes status and verify on a fleet, on every host at once: status reports each host's own drift
// and the hosts that disagree on what runs; verify marks the tag verified on every host.
import * as core from '@actions/core';
import type { LoadedManifest } from '../digests/load.js';
import type { Settings } from '../inputs/settings.js';
import { currentOf, statusReport } from '../modes/status.js';
import { verifyArgs, verifyResult } from '../modes/verify.js';
import { safeText } from '../neutralise.js';
import { EventRenderer } from '../report/renderer.js';
import { statusDrift } from '../report/status.js';
import { eachHost, errText, HostOut, type FleetHost } from './host.js';
import { fleetDrift, type LiveOnHost } from './plan.js';

/** Each host's status report (`status --json`), for one stack or all. */
export async function statusOf(h: FleetHost, stack: string | undefined): Promise<unknown> {
  const root = h.session.config.server.root;
  const res = await h.session.runSync(['status', ...(stack ? [stack] : []), '--root', root, '--json']);
  return statusReport(res, h.name);
}

/** Mode verify on every host at once. */
export async function verifyFleet(hosts: FleetHost[], s: Settings, m: LoadedManifest): Promise<string> {
  const note = s.runUrl ? `verified by ${s.runUrl}` : `verified by run ${s.runId || '(local)'}`;
  await eachHost(hosts, async (h) => {
    const out = new HostOut(h.name, false);
    const renderer = new EventRenderer(out);
    try {
      const args = verifyArgs(s.imageTag!, note, s.actor, h.session.config.server.root, m.provenance);
      h.take(verifyResult(await h.session.runSync(args, m.text), renderer, s.imageTag!, h.name));
    } catch (err) {
      Object.assign(h.row, { status: 'failed', error: errText(err) });
    } finally {
      renderer.close();
      out.flush();
    }
  });
  const failed = hosts.filter((h) => h.row.status !== 'success');
  return failed.length ? `verify failed on ${failed.map((h) => `${h.name}: ${h.row.error}`).join('; ')}` : '';
}

/** What each host runs of `stack`, for the comparison between hosts. */
function liveOf(hosts: FleetHost[], reports: unknown[], stack: string): LiveOnHost[] {
  return hosts.flatMap((h, i) => {
    if (!reports[i]) return [];
    const cur = currentOf(reports[i], stack);
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    return [
      {
        host: h.name,
        image_tag: str(cur.image_tag),
        image_digest: str(cur.image_digest),
        release_id: str(cur.release_id),
      },
    ];
  });
}

/** Mode status on every host: each host's own drift, and hosts that disagree on what runs. */
export async function statusFleet(
  hosts: FleetHost[],
  s: Settings,
): Promise<{ problem: string; reports: unknown[] }> {
  const settled = await eachHost(hosts, (h) => statusOf(h, s.stack));
  const reports = settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  const problems: string[] = [];
  const stacks = new Set<string>(s.stack ? [s.stack] : []);
  for (const [i, r] of settled.entries()) {
    const h = hosts[i]!;
    if (r.status === 'rejected') {
      Object.assign(h.row, { status: 'failed', error: errText(r.reason) });
      problems.push(`${h.name}: ${h.row.error}`);
      continue;
    }
    const drift = statusDrift(r.value);
    const o = r.value as { stacks?: { stack?: unknown }[] };
    for (const e of o.stacks ?? []) if (typeof e.stack === 'string' && !s.stack) stacks.add(e.stack);
    const cur = s.stack ? currentOf(r.value, s.stack) : {};
    Object.assign(h.row, {
      status: drift.length ? 'failed' : 'success',
      release_id: typeof cur.release_id === 'string' ? cur.release_id : '',
      previous_release_id: typeof cur.previous_release_id === 'string' ? cur.previous_release_id : '',
      image_digest: typeof cur.image_digest === 'string' ? cur.image_digest : '',
      error: drift.map((d) => `${d.stack}: ${d.message}`).join('; '),
    });
    if (drift.length) problems.push(`${h.name}: ${h.row.error}`);
  }
  for (const stack of stacks) {
    const msg = fleetDrift(stack, liveOf(hosts, reports, stack));
    if (msg) {
      problems.push(`drift between hosts: ${msg}`);
      for (const h of hosts) if (h.row.status === 'success') h.row.status = 'failed';
      for (const h of hosts) h.row.error = h.row.error ? `${h.row.error}; ${msg}` : msg;
    }
  }
  for (const h of hosts)
    core.info(safeText(`${h.name}: ${h.row.release_id || 'nothing live'} (${h.row.status})`));
  return { problem: problems.join('\n'), reports };
}
