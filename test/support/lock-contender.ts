// One contender in the lock race test (test/unit/lock-race.test.ts): a separate process that stalls
// inside the lock's file operations (as a loaded server would), then holds the lock for a while
// with a marker file and reports whether another holder's marker was there at the same time.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

const [lock, markers, delayMs, stallMs, holdMs] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// Stall after every rename, link and read that touches the lock (a file descriptor may be one).
const touchesLock = (arg: unknown) =>
  typeof arg === 'number' || (typeof arg === 'string' && arg.includes('.lock'));
for (const name of ['readFileSync', 'renameSync', 'linkSync'] as const) {
  const real = fs[name] as (...a: unknown[]) => unknown;
  (fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    const r = real(...args);
    if (touchesLock(args[0])) pause(Number(stallMs));
    return r;
  };
}
syncBuiltinESMExports();

pause(Number(delayMs));
const { acquireLock } = await import('../../remote/domain/lock.js');
const { Reporter } = await import('../../remote/report.js');
const held = await acquireLock(
  lock,
  { actor: `contender-${process.pid}`, run_id: '', release: '' },
  120,
  new Reporter(undefined, true, () => {}),
);
const mine = String(process.pid);
const others = () => fs.readdirSync(markers).filter((n) => n !== mine);
let overlap = others().length > 0;
fs.writeFileSync(join(markers, mine), '');
pause(Number(holdMs));
overlap ||= others().length > 0;
fs.unlinkSync(join(markers, mine));
held.release();
process.stdout.write(overlap ? `OVERLAP ${others().join(',')}\n` : 'alone\n');
