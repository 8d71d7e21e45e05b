// Mode deploy on a fleet: a dry run on every host (validate, gate, safety) before any host changes,
// then the rollout; when a host fails, the hosts already switched go back to the release each had
// (on_failure: rollback) or stay (halt).
import * as core from '@actions/core';
import { parseEventLine, type ResultEvent } from '../../common/events.js';
import type { LoadedManifest } from '../digests/load.js';
import type { Settings } from '../inputs/settings.js';
import { runInputs, STAGED_ON_SERVER } from '../modes/deploy.js';
import { buildDeployRequest, buildRollbackRequest, makeRunKey } from '../modes/request.js';
import { outputStatusOf } from '../report/outputs.js';
import { EventRenderer } from '../report/renderer.js';
import { eachHost, errText, failures, HostOut, type FleetHost } from './host.js';
import { rollout, runInBatch, runOnFleetHost } from './rollout.js';

/** Feeds an executor's stdout (events and text) to a renderer; returns its result event. */
function renderOutput(stdout: string, renderer: EventRenderer): ResultEvent | undefined {
  for (const line of stdout.split('\n')) renderer.handle(parseEventLine(line), line);
  renderer.close();
  return renderer.result;
}

/** The dry run on one host: `run -` of the deploy request with check set; throws on refusal. */
async function checkHost(h: FleetHost, s: Settings, m: LoadedManifest, runKey: string): Promise<void> {
  const out = new HostOut(h.name, false);
  const renderer = new EventRenderer(out);
  try {
    const { registry_login: _, ...request } = buildDeployRequest(
      s,
      m.manifest,
      STAGED_ON_SERVER,
      `${runKey}-check`,
      m.provenance,
    );
    // On the server check's channel when the installed executor is this build (one exec per host).
    const res = await h.session.check(
      `${runKey}-check`,
      JSON.stringify({ request: { ...request, check: true, fleet: h.fleet }, digest_manifest: m.text }),
    );
    const result = renderOutput(res.stdout, renderer);
    if (!result)
      throw new Error(
        `the check gave no result (exit ${res.code}): ${(res.stderr || res.stdout).trim().slice(-1000)}`,
      );
    if (result.status !== 'success') throw new Error(result.msg);
    h.row.previous_release_id = result.previous_release_id ?? '';
  } finally {
    out.flush();
  }
}

/** Brings the hosts that switched back to the release each had before (on_failure: rollback). */
async function returnSwitched(
  switched: readonly FleetHost[],
  s: Settings,
  failed: FleetHost,
): Promise<string[]> {
  const notes: string[] = [];
  await Promise.all(
    switched.map(async (h) => {
      const to = h.row.previous_release_id;
      if (!to) {
        h.row.error = `no previous release to go back to (the first deploy on this host); left on ${h.row.release_id}`;
        notes.push(`${h.name} stays on ${h.row.release_id} (nothing to go back to)`);
        return;
      }
      const request = { ...buildRollbackRequest(s, makeRunKey(s.runId, s.runAttempt)), to, fleet: h.fleet };
      const deployed = h.row.release_id;
      try {
        const r = await runOnFleetHost(h, { request }, switched.length === 1);
        if (r.status === 'success') {
          h.row.status = 'rolled_back';
          h.row.error = `rolled back to ${to} because ${failed.name} failed`;
          notes.push(`${h.name} rolled back to ${to}`);
        } else {
          h.row.status = 'failed';
          h.row.error = `deployed ${deployed}, then rolling back to ${to} failed: ${r.msg}`;
          notes.push(`${h.name} could not be rolled back to ${to}: ${r.msg}`);
        }
      } catch (err) {
        h.row.status = outputStatusOf(err) === 'unknown' ? 'unknown' : 'failed';
        h.row.error = `deployed ${deployed}, then rolling back to ${to} failed: ${errText(err)}`;
        notes.push(`${h.name}: rolling back to ${to} failed: ${errText(err)}`);
      }
    }),
  );
  return notes;
}

/** Mode deploy on the fleet. Returns the failure message, or '' when every host succeeded. */
export async function deployFleet(
  hosts: FleetHost[],
  s: Settings,
  m: LoadedManifest,
  signal: AbortSignal,
  runKey: string,
): Promise<string> {
  const f = s.fleet!;
  core.info(`Checking ${hosts.length} hosts (validate, gate, safety) before any host changes`);
  const checked = await eachHost(hosts, (h) => checkHost(h, s, m, runKey));
  const refused = failures(hosts, checked);
  if (refused.length) {
    for (const [i, r] of checked.entries())
      if (r.status === 'rejected')
        Object.assign(hosts[i]!.row, { status: 'failed', error: errText(r.reason) });
    return `The fleet deploy stopped before any host changed: ${refused.join('; ')}`;
  }
  if (signal.aborted) return 'The job was cancelled before any host changed';
  const failed = await rollout(hosts, f, signal, (h, live) => {
    const inputs = runInputs(s, m, runKey);
    return runInBatch(h, { ...inputs, request: { ...inputs.request, fleet: h.fleet } }, live);
  });
  if (!failed) return '';
  const why = `${failed.name} failed: ${failed.row.error || failed.row.status}`;
  const switched = hosts.filter((h) => h.row.status === 'success');
  const untouched = hosts.filter((h) => h.row.status === 'skipped').map((h) => h.name);
  const left = untouched.length ? ` ${untouched.join(', ')} not started (left as they were).` : '';
  if (!switched.length) return `${why}.${left}`;
  if (signal.aborted)
    return `${why}. The job was cancelled: ${switched.map((h) => `${h.name} stays on ${h.row.release_id}`).join(', ')}; the fleet runs mixed releases.${left}`;
  if (f.onFailure === 'halt')
    return `${why}. on_failure is halt: ${switched.map((h) => `${h.name} stays on ${h.row.release_id}`).join(', ')}; the fleet runs mixed releases.${left}`;
  const notes = await core.group(`Roll back ${switched.map((h) => h.name).join(', ')}`, async () =>
    returnSwitched(switched, s, failed),
  );
  return `${why}. ${notes.join('; ')}.${left}`;
}
