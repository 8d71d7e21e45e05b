// `follow`: streams a run journal from a byte offset until its result event. The action runs it
// over SSH and, after a dropped connection, runs it again from where it stopped.
import { closeSync, existsSync, openSync, readSync, fstatSync } from 'node:fs';
import { parseEventLine } from '../../common/events.js';
import { executorAlive, pidFileOf, sleep } from '../domain/process.js';

export async function follow(
  journal: string,
  offset: number,
  write: (text: string) => void,
  opts: { pollMs?: number; startGraceMs?: number } = {},
): Promise<void> {
  const pidFile = pidFileOf(journal);
  // Every wait here is latency the action adds to a run's end (the result line waits for the next
  // look); a look is one fstat (and a /proc read when nothing came), cheap at 25 ms.
  const pollMs = opts.pollMs ?? 25;
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
