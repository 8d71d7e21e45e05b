// Runs a flow (deploy, rollback) the one way: its steps under the stack's lock, and any failure,
// the lock's included, handed to the flow's one failure task, which records it. Like a recipe of
// named tasks with a `failed` task (Deployer's recipe/common.php).
import type { Outcome } from './outcome.js';
import type { RunContext } from './run-context.js';
import { acquireLock, type Lock } from './domain/lock.js';

export interface Flow<S> {
  /** What the lock holder says it is doing, e.g. "deploy v1.2.3". */
  doing: string;
  lockTimeoutS: number;
  /** The run's facts so far: the steps fill them in, the failure task reads them. */
  state: S;
  steps(run: RunContext, state: S): Promise<Outcome>;
  failed(run: RunContext, state: S, err: unknown): Outcome;
}

export async function runFlow<S>(run: RunContext, flow: Flow<S>): Promise<Outcome> {
  try {
    let lock: Lock;
    try {
      lock = await run.step('lock', () =>
        acquireLock(run.layout.lockFile(run.stack), holder(run, flow), flow.lockTimeoutS, run.report),
      );
    } catch (err) {
      return flow.failed(run, flow.state, err);
    }
    try {
      return await flow.steps(run, flow.state);
    } catch (err) {
      return flow.failed(run, flow.state, err);
    } finally {
      run.report.start('unlock');
      lock.release();
      run.report.end('unlock', 'ok');
    }
  } finally {
    run.close();
  }
}

const holder = (run: RunContext, flow: Flow<unknown>) => ({
  actor: run.who.actor,
  run_id: run.who.run_id,
  release: flow.doing,
});
