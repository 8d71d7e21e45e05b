// Processes on this server, the one way: whether a recorded process (pid + start time) still runs,
// the pid file beside a run journal, and `sleep`. Lock holders, `follow` and `status` use it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Process start time from /proc (clock ticks since boot): tells a live pid from a reused one. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process recorded as pid + start time is still that same process. */
export const sameProcessRuns = (pid: number, startTime: string | undefined): boolean =>
  processStartTime(pid) === startTime;

/** Whether any process has this pid (one of another user's included). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<run_key>.pid` beside `<run_key>.jsonl`: which process writes that run journal. */
export const pidFileOf = (journal: string) => `${journal.slice(0, -'.jsonl'.length)}.pid`;

/** Names this process as the writer of `journal`. */
export function writePidFile(journal: string): void {
  writeFileSync(
    pidFileOf(journal),
    JSON.stringify({ pid: process.pid, start_time: processStartTime(process.pid) }) + '\n',
  );
}

/** Whether the executor that wrote `<run_key>.pid` is still that same process (pid and start time). */
export function executorAlive(pidFile: string): boolean {
  try {
    const { pid, start_time } = JSON.parse(readFileSync(pidFile, 'utf8')) as {
      pid: number;
      start_time: string;
    };
    return sameProcessRuns(pid, start_time);
  } catch {
    return existsSync(pidFile); // present but unreadable: being written, so alive
  }
}
