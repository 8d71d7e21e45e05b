// Executor events -> the GitHub log: one log group per step, output lines as they come (made inert
// for the runner), errors as annotations once each; it keeps the steps for the summary.
import * as core from '@actions/core';
import type { DeployEvent, LogEvent, ResultEvent, StepEvent } from '../../common/events.js';
import { neutraliseLines } from '../neutralise.js';

/** The core functions the renderer uses (replaceable in tests). */
export interface Out {
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}

/** A duration for people: 1.2 s, 34 s. */
export const secs = (ms: number | undefined) =>
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

  /** The step's entry in `steps` (a new one for each start), updated with the event. */
  private track(e: StepEvent): StepRecord {
    let entry = [...this.steps].reverse().find((s) => s.step === e.step && s.status === 'start');
    if (!entry || e.status === 'start') {
      entry = { step: e.step, status: e.status, msg: e.msg };
      this.steps.push(entry);
    }
    entry.status = e.status;
    if (e.msg) entry.msg = e.msg;
    if (e.duration_ms !== undefined) entry.durationMs = e.duration_ms;
    return entry;
  }

  private onStep(e: StepEvent): void {
    const step = this.track(e);
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
    const took = secs(step.durationMs);
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
