// Runs a deploy or rollback request: in the foreground, or detached from the caller's session
// (the action's SSH connection) with the run journal as the only channel.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import {
  deployRequest,
  formatIssues,
  rollbackRequest,
  type DeployRequest,
  type RollbackRequest,
} from '../../common/request.js';
import { checkDeploy } from '../check.js';
import { deploy } from '../deploy.js';
import { planRelease } from '../domain/plan.js';
import { DeployError, isExpected } from '../errors.js';
import { layout } from '../../common/layout.js';
import { exitCode } from '../outcome.js';
import { errorMessage, Reporter } from '../report.js';
import { rollback } from '../rollback.js';
import { writePidFile } from '../domain/process.js';

export type RunRequest = DeployRequest | RollbackRequest;

/** Everything that can be checked without touching the server's state; throws DeployError(code 2). */
export function validateRequest(input: unknown): RunRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new DeployError(
      `the request must be a JSON object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`,
      2,
    );
  const cmd = (input as { command?: unknown }).command;
  const schema = cmd === 'rollback' ? rollbackRequest : deployRequest;
  // zod would drop unknown fields silently; a typo or a field from elsewhere must not pass unnoticed.
  const unknown = Object.keys(input).filter((k) => !Object.prototype.hasOwnProperty.call(schema.shape, k));
  if (unknown.length)
    throw new DeployError(
      `unknown field(s) in the ${String(cmd)} request: ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`,
      2,
    );
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new DeployError(formatIssues(parsed.error), 2);
  const req = parsed.data;
  if (req.command === 'deploy') {
    if (req.break_glass && !req.reason.trim())
      throw new DeployError(
        'break_glass_reason: --break-glass needs a reason (--reason "why"); it is recorded in the manifest and history',
        2,
      );
    if (!req.break_glass && req.reason.trim())
      throw new DeployError(
        'break_glass_reason: a reason was given without --break-glass; add --break-glass or drop the reason',
        2,
      );
    try {
      planRelease(req, 'validation');
    } catch (err) {
      throw new DeployError(errorMessage(err), 2);
    }
  }
  return req;
}

export function readRequestFile(path: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DeployError(`request file ${path} is not readable JSON: ${errorMessage(err)}`, 2);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new DeployError(
      `request file ${path}: the request must be a JSON object, got ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`,
      2,
    );
  return data as Record<string, unknown>;
}

export function defaultRunKey(): string {
  return `cli-${new Date().toISOString().replace(/[-:.]/g, '')}-${process.pid}`;
}

/** Runs in this process; returns the exit code. */
export async function runInForeground(req: RunRequest, json: boolean): Promise<number> {
  const paths = layout(req.root);
  const key = req.run_key ?? defaultRunKey();
  // A check changes nothing on the server: no journal, no pid file (its events go to stdout).
  const check = req.command === 'deploy' && req.check;
  const journal = check ? undefined : paths.journal(req.stack, key);
  if (journal)
    try {
      mkdirSync(paths.runsDir(req.stack), { recursive: true, mode: 0o750 });
      writePidFile(journal);
    } catch {
      // e.g. a full disk: the pid file only helps `follow` and `status`; the run itself goes on
      // and reports the problem when its journal cannot be written either.
    }
  const report = new Reporter(journal, json);
  try {
    const outcome =
      req.command === 'rollback'
        ? await rollback(req, report)
        : req.check
          ? await checkDeploy(req, report)
          : await deploy(req, report);
    report.result({ mode: req.command, stack: req.stack, env: req.env, ...outcome });
    return exitCode(outcome);
  } catch (err) {
    if (!isExpected(err)) report.log(`unexpected error: ${(err as Error).stack ?? err}`, 'error');
    report.result({
      mode: req.command,
      stack: req.stack,
      env: req.env,
      status: 'failed',
      msg: errorMessage(err),
      error: errorMessage(err),
    });
    return 1;
  }
}

/**
 * Starts the same run in a new session (setsid), so it survives the caller's SSH connection and
 * job cancellation. Prints where its journal is and returns at once.
 */
export function runDetached(
  requestPath: string,
  req: RunRequest,
  script: string,
): { run_key: string; journal: string; pid: number } {
  const paths = layout(req.root);
  const key = req.run_key ?? defaultRunKey();
  const journal = paths.journal(req.stack, key);
  mkdirSync(paths.runsDir(req.stack), { recursive: true, mode: 0o750 });
  closeSync(openSync(journal, 'a', 0o640)); // exists before we return, so `follow` can start at once
  const child = spawn(process.execPath, [script, 'run', requestPath, '--run-key', key], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  child.unref();
  return { run_key: key, journal, pid: child.pid ?? 0 };
}
