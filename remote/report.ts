// Emits the events of one run (DESIGN.md section 9) to the run journal and to stdout.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DeployEvent, ResultEvent } from '../common/events.js';

type Out = (line: string) => void;

export class Reporter {
  private stepStarted = new Map<string, number>();
  readonly durations: Record<string, number> = {};
  current = 'preflight';

  constructor(
    private readonly journal: string | undefined,
    private readonly json: boolean,
    private readonly out: Out = (l) => process.stdout.write(l + '\n'),
  ) {
    if (journal) this.toJournalDir(journal);
  }

  private journalError = '';
  private journalWarned = false;

  private toJournalDir(journal: string): void {
    try {
      mkdirSync(dirname(journal), { recursive: true, mode: 0o750 });
    } catch (err) {
      this.journalError = errorMessage(err); // reported by the first event that fails to land
    }
  }

  private emit(e: DeployEvent): void {
    const line = JSON.stringify(e);
    if (this.journal) this.toJournal(line);
    this.out(this.json ? line : human(e));
  }

  private toJournal(line: string): void {
    try {
      // One write(2) per line on an O_APPEND file: followers never see interleaved lines.
      appendFileSync(this.journal!, line + '\n', { mode: 0o640 });
    } catch (err) {
      // A full disk must not turn into a crash mid-deploy: the run goes on, reported on stdout.
      if (this.journalWarned) return;
      this.journalWarned = true;
      this.journalError ||= errorMessage(err);
      const warn: DeployEvent = {
        v: 1,
        ts: now(),
        type: 'log',
        step: this.current,
        level: 'warn',
        msg: `cannot write the run journal ${this.journal} (${this.journalError}); events go to stdout only`,
      };
      this.out(this.json ? JSON.stringify(warn) : human(warn));
    }
  }

  start(step: string, msg = ''): void {
    this.current = step;
    this.stepStarted.set(step, Date.now());
    this.emit({ v: 1, ts: now(), type: 'step', step, status: 'start', msg });
  }

  end(step: string, status: 'ok' | 'failed' | 'skipped', msg = ''): void {
    const began = this.stepStarted.get(step);
    const duration_ms = began === undefined ? 0 : Date.now() - began;
    this.durations[step] = (this.durations[step] ?? 0) + duration_ms;
    this.emit({ v: 1, ts: now(), type: 'step', step, status, msg, duration_ms });
  }

  log(msg: string, level: 'info' | 'warn' | 'error' = 'info', step = this.current): void {
    this.emit({ v: 1, ts: now(), type: 'log', step, level, msg });
  }

  result(r: Omit<ResultEvent, 'v' | 'ts' | 'type' | 'durations'>): void {
    this.emit({ v: 1, ts: now(), type: 'result', durations: this.durations, ...r });
  }

  /** Runs one step: start event, body, ok/failed event. A thrown error fails the step and propagates. */
  async step<T>(step: string, body: () => Promise<T> | T, msg = ''): Promise<T> {
    this.start(step, msg);
    try {
      const value = await body();
      this.end(step, 'ok');
      return value;
    } catch (err) {
      this.end(step, 'failed', errorMessage(err));
      throw err;
    }
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const now = () => new Date().toISOString();

function human(e: DeployEvent): string {
  if (e.type === 'step') {
    const took = e.duration_ms !== undefined ? ` (${(e.duration_ms / 1000).toFixed(1)} s)` : '';
    const mark = { start: '▶', ok: '✓', failed: '✗', skipped: '·' }[e.status];
    return `${mark} ${e.step}${e.status === 'start' ? '' : ' ' + e.status}${took}${e.msg ? ': ' + e.msg : ''}`;
  }
  if (e.type === 'log') return `  ${e.level === 'info' ? '' : e.level + ': '}${e.msg}`;
  return `result: ${e.status}${e.release_id ? ' ' + e.release_id : ''}${e.msg ? ' — ' + e.msg : ''}`;
}
