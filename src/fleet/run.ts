// A fleet run (docs/design.md, fleet): one HostSession per host of the hosts input. deploy: every
// host connected and checked (validate + gate + safety, a dry run) before any switches, then the
// rollout in batches; a failed host stops it and the hosts already switched go back to the release
// each had (on_failure: rollback) or stay (halt). rollback: the newest tag every host can go back
// to. verify and status: on every host, status reporting hosts that disagree. Outputs and the step
// summary describe the fleet; the log has one group per host per step, prefixed with the host.
// This file is the dispatcher: host.ts (a host, connect), rollout.ts (batches), deploy.ts,
// rollback.ts, status.ts (the modes, verify with status), report.ts (outputs and summary).
import * as core from '@actions/core';
import type { LoadedManifest } from '../digests/load.js';
import type { HostConfig } from '../host/config.js';
import type { Settings } from '../inputs/settings.js';
import type { OnHostOptions } from '../modes/on-host.js';
import { makeRunKey } from '../modes/request.js';
import { deployFleet } from './deploy.js';
import { connectAll, FleetHost } from './host.js';
import { reportFleet } from './report.js';
import { rollbackFleet } from './rollback.js';
import { statusFleet, verifyFleet } from './status.js';

/** Runs the configured mode on every host of the fleet. */
export async function runFleet(
  s: Settings,
  configs: HostConfig[],
  manifest: LoadedManifest | undefined,
  opts: OnHostOptions,
): Promise<void> {
  const hosts = configs.map((c, i) => new FleetHost(i + 1, configs.length, c, opts, s.mode));
  let problem = '';
  let report: unknown = undefined;
  try {
    // A deploy's dry run runs on each host's server check channel (session.check), and the same
    // process then starts that host's run when its batch comes (`--then-run`).
    const runKey = makeRunKey(s.runId, s.runAttempt);
    const plan = s.mode === 'deploy' ? { checkKey: `${runKey}-check`, runKey } : {};
    const unreachable = await connectAll(hosts, opts, plan);
    if (unreachable.length && s.mode !== 'status')
      problem = `The fleet ${s.mode} stopped before any host changed: ${unreachable.join('; ')}`;
    else if (s.mode === 'deploy') problem = await deployFleet(hosts, s, manifest!, opts.signal, runKey);
    else if (s.mode === 'rollback') problem = await rollbackFleet(hosts, s, opts.signal);
    else if (s.mode === 'verify') problem = await verifyFleet(hosts, s, manifest!);
    else {
      const up = hosts.filter((h) => h.row.status !== 'failed');
      const st = await statusFleet(up, s);
      report = { hosts: hosts.map((h) => ({ host: h.name, report: st.reports[up.indexOf(h)] ?? null })) };
      problem = [unreachable.join('\n'), st.problem].filter(Boolean).join('\n');
    }
    if (s.mode !== 'status') report = hosts[0]!.result?.manifest;
    await reportFleet(s, hosts, problem, report);
  } finally {
    await Promise.all(
      hosts.map((h) =>
        h.session.cleanup().catch((e: Error) => core.warning(`${h.name}: cleanup: ${e.message}`)),
      ),
    );
    for (const h of hosts) h.session.close();
  }
}
