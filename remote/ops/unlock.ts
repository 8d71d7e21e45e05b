// `unlock`: shows who holds a stack's lock and, with --yes, removes it: for a holder that will never
// release it (a run recorded on another host, which no run may judge dead). Recorded in the history.
import { lstatSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from '../cli/command.js';
import { DeployError } from '../errors.js';
import { Reporter } from '../report.js';
import { appendRecord, historyRecord } from '../domain/records.js';
import { removeLock } from '../domain/lock.js';
import { describeHolder, holderAlive, readHolder, type LockHolder } from '../domain/lock-holder.js';
import { recordedOpParser, stackArg } from './argv.js';
import { print, printJson } from './table.js';

/** What the operator is told about a holder before removing its lock. */
export function describeLockState(holder: LockHolder | undefined): string {
  if (!holder) return 'an unreadable lock file (torn, or not written by seisei-deploy)';
  const where =
    holder.hostname !== hostname()
      ? `recorded on another host (${holder.hostname}): this server cannot tell whether it still runs`
      : holderAlive(holder)
        ? 'that process is RUNNING on this server: removing its lock lets a second run start beside it'
        : 'that process is gone (the next run would take the lock over anyway)';
  return `held by ${describeHolder(holder)}; ${where}`;
}

const parseUnlockArgs = recordedOpParser('unlock', 'stack', stackArg, 'reason', {
  yes: { type: 'boolean', default: false },
});

export const unlockCommand: Command = {
  usage: 'seisei-deploy unlock <stack> [--yes] [--reason "..."] [--actor A] [--root DIR] [--json]',
  summary: "show who holds a stack's lock; with --yes remove it (recorded in the history)",
  async main(argv) {
    const { v, target: stack, layout, text: reason, actor } = parseUnlockArgs(argv, this.usage);
    const path = layout.lockFile(stack);
    if (!exists(path)) {
      if (v.json) printJson({ stack, lock: path, locked: false, removed: false });
      else print(`${stack} is not locked (${path} does not exist)`);
      return 0;
    }
    const holder = readHolder(path);
    const state = describeLockState(holder);
    if (!v.yes) {
      if (v.json) printJson({ stack, lock: path, locked: true, holder: holder ?? null, removed: false });
      else print(`${path}: ${state}`);
      throw new DeployError(
        `not removed: run again with --yes to remove the lock of ${stack} (seisei-deploy unlock ${stack} --yes)`,
        2,
      );
    }
    const started = Date.now();
    const report = new Reporter(undefined, true, (line) => process.stderr.write(line + '\n'));
    const done = await removeLock(path, holder, report);
    if (done === 'changed') {
      const now = readHolder(path);
      throw new DeployError(
        `not removed: the lock of ${stack} changed while it was being removed${now ? ` (now ${describeHolder(now)})` : ''}; look again with: seisei-deploy unlock ${stack}`,
      );
    }
    appendRecord(
      layout,
      historyRecord(
        { stack, env: '', mode: 'unlock', status: 'success', started },
        { actor, run_id: '', break_glass: false, break_glass_reason: '' },
        { release_id: holder?.release ?? '' },
        '',
        { lock_holder: holder ?? null, note: reason },
      ),
    );
    if (v.json) printJson({ stack, lock: path, locked: false, holder: holder ?? null, removed: true });
    else print(`removed the lock of ${stack}, ${state}`);
    return 0;
  },
};

function exists(path: string): boolean {
  try {
    lstatSync(path); // a link counts: it is what blocks the stack
    return true;
  } catch {
    return false;
  }
}
