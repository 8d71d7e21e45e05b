// The result of a run -> outputs, the step-summary table (fields and step durations), and the
// step's failure with the result message as an annotation.
import * as core from '@actions/core';
import type { ResultEvent } from '../../common/events.js';
import { describeProvenance, type ProvenanceRecord } from '../../common/request.js';
import { safeText } from '../neutralise.js';
import { outputsOf, setOutputs } from './outputs.js';
import { secs, type EventRenderer, type StepRecord } from './renderer.js';

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface SummaryContext {
  mode: string;
  stack?: string;
  environment?: string;
  imageTag?: string;
  actor?: string;
  runId?: string;
  breakGlass?: boolean;
  breakGlassReason?: string;
  host?: string;
  runKey?: string;
  journal?: string;
}

const RESULT_ICON: Record<string, string> = {
  success: '✅ success',
  failed: '❌ failed',
  rolled_back: '↩️ rolled back',
};

/** Writes the step-summary table (skipped, with a debug line, when GITHUB_STEP_SUMMARY is unset). */
export async function writeSummary(
  r: ResultEvent,
  ctx: SummaryContext,
  steps: readonly StepRecord[],
): Promise<void> {
  const m = (r.manifest ?? {}) as Record<string, unknown>;
  const pick = (...vals: unknown[]) => {
    for (const v of vals) if (v !== undefined && v !== null && v !== '') return String(v);
    return '';
  };
  const bg = m.break_glass ?? ctx.breakGlass;
  const rows: [string, string][] = [
    ['Stack', pick(r.stack, m.stack, ctx.stack)],
    ['Environment', pick(r.env, m.env, ctx.environment)],
    ['Image tag', pick(m.image_tag, ctx.imageTag)],
    ['Image digest', pick(r.image_digest, m.image_digest)],
    ['Image ref', pick(r.image_ref, m.image_ref)],
    ['Release', pick(r.release_id, m.release_id)],
    ['Previous release', pick(r.previous_release_id, m.previous_release_id)],
    ['Actor', pick(m.actor, ctx.actor)],
    ['Break glass', bg === true || bg === 'true' ? 'yes' : 'no'],
    ['Provenance', m.provenance ? describeProvenance(m.provenance as Partial<ProvenanceRecord>) : ''],
    ['Break-glass reason', pick(m.break_glass_reason, ctx.breakGlass ? ctx.breakGlassReason : '')],
    ['Host', pick(ctx.host)],
    ['Run key', pick(ctx.runKey)],
    ['Result', `${RESULT_ICON[r.status] ?? r.status}${r.msg ? `: ${r.msg}` : ''}`],
  ];
  const durations = new Map<string, { status: string; ms?: number }>();
  for (const s of steps) durations.set(s.step, { status: s.status, ms: s.durationMs });
  for (const [step, ms] of Object.entries(r.durations ?? {})) {
    const d = durations.get(step);
    durations.set(step, { status: d?.status ?? 'ok', ms: d?.ms ?? ms });
  }
  const s = core.summary
    .addHeading(
      `seisei-deploy ${escapeHtml(ctx.mode)}${ctx.stack ? ` ${escapeHtml(ctx.stack)}` : ''}${ctx.environment ? ` → ${escapeHtml(ctx.environment)}` : ''}`,
      2,
    )
    .addTable([
      [
        { data: 'Field', header: true },
        { data: 'Value', header: true },
      ],
      ...rows.filter(([, v]) => v !== '').map(([k, v]) => [k, escapeHtml(v)]),
    ]);
  if (durations.size)
    s.addHeading('Steps', 3).addTable([
      [
        { data: 'Step', header: true },
        { data: 'Status', header: true },
        { data: 'Duration', header: true },
      ],
      ...[...durations].map(([step, d]) => [escapeHtml(step), escapeHtml(d.status), secs(d.ms)]),
    ]);
  await writeOrSkip(s);
}

/**
 * Sets outputs, writes the summary and fails the step for `failed`/`rolled_back` (with the
 * result message as an annotation, unless the same message was already annotated).
 */
export async function reportResult(
  r: ResultEvent,
  ctx: SummaryContext,
  renderer: EventRenderer,
): Promise<void> {
  renderer.close();
  setOutputs(outputsOf(r));
  await writeSummary(r, ctx, renderer.steps);
  if (r.status === 'success') core.info(safeText(`✅ ${r.msg || `${ctx.mode} succeeded`}`));
  else {
    const msg =
      r.msg || `${ctx.mode} ${r.status === 'rolled_back' ? 'failed and was rolled back' : 'failed'}`;
    renderer.annotate(msg);
    process.exitCode = core.ExitCode.Failure;
  }
}

/** Writes the step summary (skipped, with a debug line, when GITHUB_STEP_SUMMARY is unset). */
export async function writeOrSkip(s: typeof core.summary): Promise<void> {
  try {
    await s.write();
  } catch (err) {
    core.debug(`step summary not written: ${(err as Error).message}`);
    s.emptyBuffer();
  }
}
