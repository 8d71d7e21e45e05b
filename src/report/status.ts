// The report of `remote.cjs status --json` -> its problems and drift, the drift failure message,
// and the step summary of mode status (one row per stack).
import * as core from '@actions/core';
import { describeProvenance, type ProvenanceRecord } from '../../common/request.js';
import { escapeHtml, writeOrSkip } from './summary.js';

/** One problem of a stack in a status report (`remote.cjs status --json`). */
export interface StatusProblem {
  stack: string;
  severity: string;
  message: string;
}

/** Every problem of every stack in a status report, in report order (drift and warnings). */
export function statusProblems(report: unknown): StatusProblem[] {
  const o = (report && typeof report === 'object' ? report : {}) as Record<string, unknown>;
  const stacks = (Array.isArray(o.stacks) ? o.stacks : []) as Record<string, unknown>[];
  return stacks.flatMap((e) =>
    (Array.isArray(e?.problems) ? (e.problems as Record<string, unknown>[]) : []).map((p) => ({
      stack: typeof e.stack === 'string' ? e.stack : '?',
      severity: typeof p?.severity === 'string' ? p.severity : '',
      message: typeof p?.message === 'string' ? p.message : JSON.stringify(p),
    })),
  );
}

/** The drift of a status report: the problems that make the executor's `status` exit 1. */
export const statusDrift = (report: unknown): StatusProblem[] =>
  statusProblems(report).filter((p) => p.severity === 'drift');

/** The step's failure message on drift: each drifted stack and what drifted. */
export function driftMessage(host: string, drift: readonly StatusProblem[]): string {
  const stacks = [...new Set(drift.map((d) => d.stack))];
  return [
    `Drift on ${host} in ${stacks.length === 1 ? 'stack' : 'stacks'} ${stacks.join(', ')} (${drift.length} problem${drift.length === 1 ? '' : 's'}):`,
    ...drift.map((d) => `- ${d.stack}: ${d.message}`),
  ].join('\n');
}

/** Step summary of mode status: one row per stack, then the drift and the warnings, if any. */
export async function writeStatusSummary(status: unknown, host: string): Promise<void> {
  const o = (status && typeof status === 'object' ? status : {}) as Record<string, unknown>;
  const stacks = (Array.isArray(o.stacks) ? o.stacks : []) as Record<string, unknown>[];
  const str = (v: unknown) =>
    v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  const s = core.summary.addHeading(`seisei-deploy status on ${escapeHtml(host)}`, 2);
  if (stacks.length)
    s.addTable([
      [
        'Stack',
        'Environment',
        'Live release',
        'Image digest',
        'Deployed',
        'Actor',
        'Provenance',
        'Consistent',
      ].map((h) => ({ data: h, header: true })),
      ...stacks.map((e) => {
        const m = (e.manifest ?? {}) as Record<string, unknown>;
        return [
          e.stack,
          m.env,
          e.live_release ?? m.release_id,
          m.image_digest,
          m.deployed_at_utc,
          m.actor,
          describeProvenance(m.provenance as Partial<ProvenanceRecord> | undefined),
          e.consistent === false ? 'no' : 'yes',
        ].map((v) => escapeHtml(str(v)));
      }),
    ]);
  else s.addRaw('No stack found on this server.', true);
  const problems = statusProblems(status);
  const listed = (severity: string) =>
    problems
      .filter((p) => p.severity === severity)
      .map((p) => `<code>${escapeHtml(p.stack)}</code>: ${escapeHtml(p.message)}`);
  const drift = listed('drift');
  if (drift.length) s.addHeading('❌ Drift', 3).addList(drift);
  const warnings = listed('warning');
  if (warnings.length) s.addHeading('⚠️ Warnings', 3).addList(warnings);
  await writeOrSkip(s);
}
