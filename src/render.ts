// Executor events -> the GitHub log: one log group per step, output lines as they come, errors
// as annotations; the result -> outputs (DESIGN.md section 11), a step-summary table, and the
// step's failure.
import * as core from '@actions/core';
import type { DeployEvent, LogEvent, ResultEvent, StepEvent } from './common/events.js';
import { neutraliseLine, neutraliseLines, safeText } from './neutralise.js';

/** The core functions the renderer uses (replaceable in tests). */
export interface Out {
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}

/** A line from the server made inert for the runner (see neutralise.ts). */
export const neutralize = neutraliseLine;

const secs = (ms: number | undefined) =>
  ms === undefined ? '' : ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;

export interface StepRecord {
  step: string;
  status: StepEvent['status'];
  msg: string;
  durationMs?: number;
}

export class EventRenderer {
  private open?: string;
  readonly steps: StepRecord[] = [];
  private readonly annotated = new Set<string>();
  result?: ResultEvent;

  constructor(private readonly out: Out = core) {}

  /** Renders one journal line (an event, or raw text that is shown as it is). */
  handle(e: DeployEvent | undefined, raw?: string): void {
    if (!e) {
      if (raw !== undefined && raw.trim()) this.print(raw);
      return;
    }
    if (e.type === 'step') this.onStep(e);
    else if (e.type === 'log') this.onLog(e);
    else if (e.type === 'result') {
      this.close();
      this.result = e;
    }
  }

  /** Emits an error annotation once per distinct message. */
  annotate(msg: string): void {
    if (!msg || this.annotated.has(msg)) return;
    this.annotated.add(msg);
    this.out.error(msg);
  }

  wasAnnotated(msg: string): boolean {
    return this.annotated.has(msg);
  }

  /** Ends the open group, if any. */
  close(): void {
    if (this.open !== undefined) {
      this.out.endGroup();
      this.open = undefined;
    }
  }

  private print(text: string): void {
    for (const line of neutraliseLines(text)) this.out.info(line);
  }

  private record(e: StepEvent): StepRecord {
    let rec = [...this.steps].reverse().find((s) => s.step === e.step && s.status === 'start');
    if (!rec || e.status === 'start') {
      rec = { step: e.step, status: e.status, msg: e.msg };
      this.steps.push(rec);
    }
    rec.status = e.status;
    if (e.msg) rec.msg = e.msg;
    if (e.duration_ms !== undefined) rec.durationMs = e.duration_ms;
    return rec;
  }

  private onStep(e: StepEvent): void {
    const rec = this.record(e);
    if (e.status === 'start') {
      this.close();
      this.out.startGroup(`▶ ${e.step}`);
      this.open = e.step;
      if (e.msg) this.print(e.msg);
      return;
    }
    const own = this.open === e.step;
    if (!own) {
      this.close();
      this.out.startGroup(`▶ ${e.step}`);
      this.open = e.step;
    }
    const took = secs(rec.durationMs);
    if (e.status === 'ok') this.print(`✓ ${e.step}${e.msg ? `: ${e.msg}` : ''}${took ? ` (${took})` : ''}`);
    else if (e.status === 'skipped') this.print(`– ${e.step} skipped${e.msg ? `: ${e.msg}` : ''}`);
    else {
      this.annotate(e.msg || `${e.step} failed`);
      this.print(`✗ ${e.step} failed${took ? ` after ${took}` : ''}`);
    }
    this.close();
  }

  private onLog(e: LogEvent): void {
    if (e.level === 'error') this.annotate(e.msg);
    else if (e.level === 'warn') this.out.warning(e.msg);
    else this.print(e.msg);
  }
}

export const OUTPUT_NAMES = [
  'status',
  'release_id',
  'release_dir',
  'image_ref',
  'image_digest',
  'previous_release_id',
  'manifest',
] as const;
export type Outputs = Record<(typeof OUTPUT_NAMES)[number], string>;

/** The outputs of section 11 from a result event. */
export function outputsOf(r: ResultEvent): Outputs {
  const m = (r.manifest ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
  return {
    status: r.status,
    release_id: str(r.release_id ?? m.release_id),
    release_dir: str(r.release_dir ?? m.release_dir),
    image_ref: str(r.image_ref ?? m.image_ref),
    image_digest: str(r.image_digest ?? m.image_digest),
    previous_release_id: str(r.previous_release_id ?? m.previous_release_id),
    manifest: r.manifest ? JSON.stringify(r.manifest) : '',
  };
}

let statusWritten = false;
/** Whether this run has set its status output (main sets status=failed when it never got that far). */
export const haveStatus = () => statusWritten;

export function setStatus(status: string): void {
  core.setOutput('status', status);
  statusWritten = true;
}

export function setOutputs(o: Outputs): void {
  for (const name of OUTPUT_NAMES) if (name !== 'status') core.setOutput(name, o[name]);
  setStatus(o.status);
}

const escapeHtml = (s: string) =>
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
  try {
    await s.write();
  } catch (err) {
    core.debug(`step summary not written: ${(err as Error).message}`);
    s.emptyBuffer();
  }
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
      ['Stack', 'Environment', 'Live release', 'Image digest', 'Deployed', 'Actor', 'Consistent'].map(
        (h) => ({ data: h, header: true }),
      ),
      ...stacks.map((e) => {
        const m = (e.manifest ?? {}) as Record<string, unknown>;
        return [
          e.stack,
          m.env,
          e.live_release ?? m.release_id,
          m.image_digest,
          m.deployed_at_utc,
          m.actor,
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
  try {
    await s.write();
  } catch (err) {
    core.debug(`step summary not written: ${(err as Error).message}`);
    s.emptyBuffer();
  }
}
