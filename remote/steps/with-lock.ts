// Runs a body under the stack's lock, recording a lock timeout like any other failure.
import type { Layout } from '../../common/layout.js';
import type { Outcome } from '../outcome.js';
import type { Reporter } from '../report.js';
import { acquireLock, type Lock } from './lock.js';

export async function withLock(
  l: Layout,
  who: { stack: string; actor: string; run_id: string; lock_timeout_s: number },
  what: string,
  report: Reporter,
  fail: (err: unknown) => Outcome,
  body: () => Promise<Outcome>,
): Promise<Outcome> {
  let lock: Lock;
  try {
    lock = await report.step('lock', () =>
      acquireLock(
        l.lockFile(who.stack),
        { actor: who.actor, run_id: who.run_id, release: what },
        who.lock_timeout_s,
        report,
      ),
    );
  } catch (err) {
    return fail(err);
  }
  try {
    return await body();
  } finally {
    report.start('unlock');
    lock.release();
    report.end('unlock', 'ok');
  }
}
