// `follow`: streams a run journal from a byte offset until its result event. The action runs it
// over SSH and, after a dropped connection, runs it again from where it stopped.
import { closeSync, existsSync, openSync, readFileSync, readSync, fstatSync } from 'node:fs';
import { parseEventLine } from '../../common/events.js';
import { processStartTime } from '../domain/lock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the executor that wrote `<run_key>.pid` is still that same process (pid and start time). */
export function executorAlive(pidFile: string): boolean {
  try {
    const { pid, start_time } = JSON.parse(readFileSync(pidFile, 'utf8')) as {
      pid: number;
      start_time: string;
    };
    return processStartTime(pid) === start_time;
  } catch {
    return existsSync(pidFile); // present but unreadable: being written, so alive
  }
}

export async function follow(
  journal: string,
  offset: number,
  write: (text: string) => void,
  opts: { pollMs?: number; startGraceMs?: number } = {},
): Promise<void> {
  const pidFile = `${journal.slice(0, -'.jsonl'.length)}.pid`;
  const pollMs = opts.pollMs ?? 100;
  const fd = openSync(journal, 'r');
  const began = Date.now();
  let pos = offset;
  let pending = '';
  try {
    for (;;) {
      const size = fstatSync(fd).size;
      if (size > pos) {
        const buf = Buffer.alloc(size - pos);
        readSync(fd, buf, 0, buf.length, pos);
        pos = size;
        const text = pending + buf.toString('utf8');
        const cut = text.lastIndexOf('\n') + 1;
        pending = text.slice(cut);
        if (cut) {
          const complete = text.slice(0, cut);
          write(complete);
          if (complete.split('\n').some((l) => parseEventLine(l)?.type === 'result')) return;
        }
        continue;
      }
      const pidKnown = existsSync(pidFile);
      if ((pidKnown || Date.now() - began > (opts.startGraceMs ?? 10_000)) && !executorAlive(pidFile)) {
        // Re-read once more: the last lines may have landed just before the process ended.
        if (fstatSync(fd).size > pos) continue;
        write(
          JSON.stringify({
            v: 1,
            ts: new Date().toISOString(),
            type: 'result',
            mode: 'unknown',
            status: 'failed',
            msg: `the executor stopped without a result (killed?). Journal: ${journal}. Check the server with: seisei-deploy status`,
            error: 'executor died',
          }) + '\n',
        );
        return;
      }
      await sleep(pollMs);
    }
  } finally {
    closeSync(fd);
  }
}
