// Shell-free process helpers for tests: arguments are always passed as an array, never a string.
import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  /** Replaces the environment when given; use `{ ...process.env, X: '1' }` to extend it. */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Kill the process (SIGKILL) after this many ms; the result then has signal 'SIGKILL'. */
  timeoutMs?: number;
}

export interface RunResult {
  /** Exit code, or -1 when the process was ended by a signal. */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args...` to completion and returns its output; never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the child may exit without reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Like run(), but throws (with the command and its stderr) unless it exits 0. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    const why = res.signal ? `signal ${res.signal}` : `exit ${res.code}`;
    const detail = (res.stderr.trim() || res.stdout.trim()).slice(-2000);
    throw new Error(`${cmd} ${args.join(' ')} failed (${why}): ${detail}`);
  }
  return res;
}
