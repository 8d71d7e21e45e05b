// What a fleet run tells the workflow: the outputs (the first host's release, `hosts` as JSON rows),
// the host × result step summary, and the step's failure.
import * as core from '@actions/core';
import type { Settings } from '../inputs/settings.js';
import { safeText } from '../neutralise.js';
import { setOutputs } from '../report/outputs.js';
import { escapeHtml, writeOrSkip } from '../report/summary.js';
import type { FleetHost } from './host.js';
import { fleetStatus, summaryRows } from './plan.js';

/** Outputs, the host × result summary and the step's failure. */
export async function reportFleet(
  s: Settings,
  hosts: FleetHost[],
  problem: string,
  manifest: unknown,
): Promise<void> {
  const rows = hosts.map((h) => h.row);
  const first = hosts[0]!;
  const r = first.result;
  const m = (r?.manifest ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  setOutputs({
    status: s.mode === 'status' ? (problem ? 'failed' : 'success') : fleetStatus(rows),
    release_id: first.row.release_id,
    release_dir: str(r?.release_dir ?? m.release_dir),
    image_ref: str(r?.image_ref ?? m.image_ref),
    image_digest: first.row.image_digest,
    previous_release_id: first.row.previous_release_id,
    manifest: manifest === undefined ? '' : JSON.stringify(manifest),
  });
  core.setOutput('hosts', JSON.stringify(rows));
  const summary = core.summary
    .addHeading(
      escapeHtml(
        `seisei-deploy ${s.mode}${s.stack ? ` ${s.stack}` : ''}${s.environment ? ` → ${s.environment}` : ''} on ${hosts.length} hosts`,
      ),
      2,
    )
    .addTable(
      summaryRows(rows).map((row, i) =>
        i === 0 ? row.map((data) => ({ data, header: true })) : row.map((c) => escapeHtml(c)),
      ),
    );
  if (problem) summary.addRaw(`<p>${escapeHtml(problem)}</p>`, true);
  await writeOrSkip(summary);
  if (problem) core.setFailed(safeText(problem));
  else core.info(`✅ ${s.mode} succeeded on ${hosts.length} hosts`);
}
