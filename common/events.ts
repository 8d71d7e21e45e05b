// Event protocol between executor and action (DESIGN.md section 9): JSON Lines, version 1.

export type ResultStatus = 'success' | 'failed' | 'rolled_back';

export interface StepEvent {
  v: 1;
  ts: string;
  type: 'step';
  step: string;
  status: 'start' | 'ok' | 'failed' | 'skipped';
  msg: string;
  duration_ms?: number;
}
export interface LogEvent {
  v: 1;
  ts: string;
  type: 'log';
  step: string;
  level: 'info' | 'warn' | 'error';
  msg: string;
}
export interface ResultEvent {
  v: 1;
  ts: string;
  type: 'result';
  status: ResultStatus;
  msg: string;
  mode: string;
  stack?: string;
  env?: string;
  release_id?: string;
  release_dir?: string;
  image_ref?: string;
  image_digest?: string;
  previous_release_id?: string;
  manifest?: object;
  error?: string;
  durations?: Record<string, number>;
}
export type DeployEvent = StepEvent | LogEvent | ResultEvent;

export function parseEventLine(line: string): DeployEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    const e = JSON.parse(line) as DeployEvent;
    return e && e.v === 1 && typeof e.type === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}
