// Mode status on one host: the executor's `status --json` report of every stack (or one), logged
// one line per stack, as outputs and a step summary; drift fails the step.
import * as core from '@actions/core';
import type { ResultEvent } from '../../common/events.js';
import { RemoteError } from '../host/session.js';
import { safeText } from '../neutralise.js';
import { setOutputs } from '../report/outputs.js';
import { driftMessage, statusDrift, writeStatusSummary } from '../report/status.js';
import type { ExecResult } from '../ssh/connection.js';
import type { ModeRun } from './on-host.js';

interface StackStatus {
  stack?: string;
  manifest?: Record<string, unknown>;
  problems?: { severity?: string; message?: string }[];
}

/** One line per stack and its problems, then the full report folded away. */
function logStatus(status: unknown): void {
  const stacks = ((status as { stacks?: StackStatus[] } | null)?.stacks ?? []) as StackStatus[];
  for (const st of stacks) {
    const m = st.manifest ?? {};
    const problems = st.problems ?? [];
    core.info(
      safeText(
        `${st.stack}: ${m.release_id ? `live ${String(m.release_id)} (${String(m.env)}, ${String(m.image_digest).slice(0, 19)}…), deployed ${String(m.deployed_at_utc)} by ${String(m.actor) || '?'}` : 'no current manifest'}; ${problems.length ? `${problems.length} problem(s)` : 'consistent'}`,
      ),
    );
    for (const p of problems)
      if (p.severity === 'drift') core.warning(`${st.stack}: ${p.message}`);
      else core.info(safeText(`  ${st.stack}: ${p.message}`));
  }
  core.startGroup('status report (JSON)');
  core.info(safeText(JSON.stringify(status, null, 2)));
  core.endGroup();
}

/**
 * The report of `remote.cjs status --json`: exit 0 (consistent) or 1 (drift) with its JSON on stdout.
 * Anything else (another exit code, no JSON, exit 1 without drift in the report) is the executor
 * failing, not a verdict on the stacks, and throws.
 */
export function statusReport(res: ExecResult, hostName: string): unknown {
  const said = () => (res.stderr || res.stdout).trim().slice(-2000);
  if (res.code !== 0 && res.code !== 1)
    throw new RemoteError(`status on ${hostName} failed (exit ${res.code}): ${said()}`);
  let report: unknown;
  try {
    report = JSON.parse(res.stdout);
  } catch {
    throw new RemoteError(
      res.code === 0
        ? `status on ${hostName} printed no JSON: ${res.stdout.slice(0, 500)}`
        : `status on ${hostName} failed (exit ${res.code}): ${said()}`,
    );
  }
  if (res.code === 1 && !statusDrift(report).length)
    throw new RemoteError(`status on ${hostName} exited 1 but its report names no drift: ${said()}`);
  return report;
}

/** The live manifest of `stack` in a status report (`{stacks: [{stack, manifest}]}`), or {}. */
export function currentOf(status: unknown, stack: string): Record<string, unknown> {
  const o = (status && typeof status === 'object' ? status : {}) as Record<string, unknown>;
  const entry = Array.isArray(o.stacks)
    ? (o.stacks as Record<string, unknown>[]).find((e) => e?.stack === stack)
    : undefined;
  const m = entry?.manifest ?? (o.stack === stack ? (o.manifest ?? o) : undefined);
  return m && typeof m === 'object' ? (m as Record<string, unknown>) : {};
}

/** Reports the stacks on this host; drift fails the step after outputs and summary are set. */
export async function runStatus({ s, host, upload }: ModeRun): Promise<ResultEvent> {
  await upload.sendInGroup();
  const hostName = host.target.host;
  const root = host.config.server.root;
  const res = await host.runSync(['status', ...(s.stack ? [s.stack] : []), '--root', root, '--json']);
  const report = statusReport(res, hostName);
  logStatus(report);
  const drift = statusDrift(report);
  const current = s.stack ? currentOf(report, s.stack) : {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const status = drift.length ? 'failed' : 'success';
  setOutputs({
    status,
    release_id: str(current.release_id),
    release_dir: str(current.release_dir),
    image_ref: str(current.image_ref),
    image_digest: str(current.image_digest),
    previous_release_id: str(current.previous_release_id),
    manifest: JSON.stringify(report),
  });
  await writeStatusSummary(report, hostName);
  const msg = drift.length ? driftMessage(hostName, drift) : 'status';
  // Drift fails the step (a scheduled status run is drift detection); outputs and summary are set.
  if (drift.length) core.setFailed(msg);
  return {
    v: 1,
    ts: new Date().toISOString(),
    type: 'result',
    status,
    mode: 'status',
    msg,
    manifest: current,
  };
}
