// What every step of one deploy or rollback shares: where things are on the server (layout), the
// event reporter, who runs it, the stack and environment, and when it started (the clock).
import { layout, type Layout } from '../common/layout.js';
import type { FleetPosition } from '../common/request.js';
import type { Reporter } from './report.js';

/** Who a run acts for, as the records name them. */
export interface Who {
  actor: string;
  run_id: string;
  break_glass: boolean;
  break_glass_reason: string;
  /** In a fleet run: the hosts list's size and this host's position (manifest and history say so). */
  fleet?: FleetPosition;
}

export interface RunContext {
  readonly layout: Layout;
  readonly report: Reporter;
  readonly who: Who;
  readonly stack: string;
  readonly env: string;
  /** Date.now() when the run began: records give their duration from it. */
  readonly started: number;
  /** Runs one named step: a start event, the body, an ok or failed event (Reporter.step). */
  step<T>(name: string, body: () => Promise<T> | T, msg?: string): Promise<T>;
  /** Registers something to undo when the run ends, however it ends (a private login, a staged password). */
  defer(undo: () => void): void;
  /** Runs what was deferred, newest first. */
  close(): void;
}

export function openRun(
  req: {
    root: string;
    stack: string;
    env: string;
    actor: string;
    run_id: string;
    break_glass?: boolean;
    reason?: string;
    fleet?: FleetPosition;
  },
  report: Reporter,
): RunContext {
  const undo: (() => void)[] = [];
  return {
    layout: layout(req.root),
    report,
    who: {
      actor: req.actor,
      run_id: req.run_id,
      break_glass: req.break_glass ?? false,
      break_glass_reason: req.reason ?? '',
      ...(req.fleet ? { fleet: req.fleet } : {}),
    },
    stack: req.stack,
    env: req.env,
    started: Date.now(),
    step: (name, body, msg) => report.step(name, body, msg),
    defer: (fn) => void undo.push(fn),
    close: () => {
      for (const fn of undo.splice(0).reverse()) fn();
    },
  };
}
