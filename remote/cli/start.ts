// Starting a run from the CLI: a request file or a `run -` envelope is staged, validated and
// checked for ownership, then run in the foreground or detached (and followed); a fleet host's dry
// run and run on one stdin (`run - --then-run K`).
import { existsSync, readSync, rmSync } from 'node:fs';
import { layout } from '../../common/layout.js';
import { readAsCaller, type Caller } from '../caller.js';
import { DeployError } from '../errors.js';
import { checkTrustedRoot, checkTrustedSource } from '../ownership.js';
import { follow } from './follow.js';
import { readRequestFile, runDetached, runInForeground, validateRequest, type RunRequest } from './run.js';
import { stageStdinInputs } from './stdin-inputs.js';

/** Under root, the layout (and a deploy's stack source) must be root's before anything is touched. */
export function checkTrusted(req: RunRequest): void {
  checkTrustedRoot(req.root, req.stack);
  if (req.command === 'deploy') checkTrustedSource(req.source, req.stack);
  // A rollback needs releases to go back to: on a root without the layout (a mistyped --root) it
  // must not create one (locks, journals, a history) where none was.
  else if (!existsSync(layout(req.root).releasesDir))
    throw new DeployError(
      `no release layout under ${req.root} (no ${layout(req.root).releasesDir}): nothing to roll back; check --root (srv_root)`,
      2,
    );
}

interface StartOptions {
  /** A request file to read as it is (root's own, or given by root). */
  file?: string;
  /** Or an envelope `{request, digest_manifest?, registry_password?}` to stage first. */
  envelope?: string;
  key?: string;
  caller?: Caller;
  detach: boolean;
  /** With detach: stay and stream the journal from offset 0 until its result (as `follow` does). */
  follow?: boolean;
  json: boolean;
}

/** Stages (when given an envelope), validates, checks ownership, then runs or detaches. */
export async function startRequest(o: StartOptions): Promise<number> {
  const staged = o.envelope !== undefined ? stageStdinInputs(o.envelope, o.key!, o.caller) : undefined;
  const file = staged?.requestFile ?? o.file!;
  let req: RunRequest;
  try {
    const raw = readRequestFile(file);
    // The gate is the server's policy, not the caller's: under sudo a request may not change it.
    if (o.caller && raw.gated_envs !== undefined && JSON.stringify(raw.gated_envs) !== '["production"]')
      throw new DeployError(
        `gated_envs: a request run through sudo by ${o.caller.user} may not change which environments are gated (only ["production"]); leave it out, or use break_glass with a reason`,
        2,
      );
    req = validateRequest({ ...raw, ...(o.key ? { run_key: o.key } : {}) });
    checkTrusted(req);
  } catch (err) {
    if (staged) rmSync(staged.dir, { recursive: true, force: true }); // bad input leaves nothing
    throw err;
  }
  if (!o.detach) {
    const code = await runInForeground(req, o.json);
    // A check changes nothing: not even the staged inputs stay.
    if (staged && req.command === 'deploy' && req.check) rmSync(staged.dir, { recursive: true, force: true });
    return code;
  }
  const started = runDetached(file, req, process.argv[1]!);
  process.stdout.write(JSON.stringify(started) + '\n');
  // The action's one channel: the run is detached as above (it survives this process and the SSH
  // channel); this process only streams its journal, exactly like `follow --offset 0`.
  if (o.follow) await follow(started.journal, 0, (t) => process.stdout.write(t));
  return 0;
}

/** Reads stdin one line at a time (blocking; bytes after the line are kept for the next call). */
function stdinLines(): () => string | undefined {
  let kept = Buffer.alloc(0);
  let ended = false;
  const chunk = Buffer.alloc(64 * 1024);
  return () => {
    for (;;) {
      const nl = kept.indexOf(0x0a);
      if (nl !== -1) {
        const line = kept.subarray(0, nl).toString('utf8');
        kept = kept.subarray(nl + 1);
        return line;
      }
      if (ended) {
        const rest = kept.length ? kept.toString('utf8') : undefined;
        kept = Buffer.alloc(0);
        return rest;
      }
      let n = 0;
      try {
        n = readSync(0, chunk, 0, chunk.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // a non-blocking stdin: wait, do not spin
          continue;
        }
        if ((err as NodeJS.ErrnoException).code !== 'EOF') throw err;
      }
      if (n === 0) ended = true;
      else kept = Buffer.concat([kept, chunk.subarray(0, n)]);
    }
  };
}

/**
 * `run - --then-run K`: a fleet host's dry run, then (once the action saw every host pass) its run,
 * in one process. The first stdin line is the dry run's envelope (check: true), run in the
 * foreground; after a passing check the next line is the run's envelope, detached and followed as
 * `run - --detach --follow --run-key K`; the end of stdin instead ends it with the check's code.
 */
export async function checkThenRun(
  checkKey: string,
  runKey: string,
  caller: Caller | undefined,
): Promise<number> {
  const next = stdinLines();
  const first = next() ?? '';
  let check: unknown;
  try {
    check = (JSON.parse(first) as { request?: { check?: unknown } }).request?.check;
  } catch {
    check = undefined; // stageStdinInputs names the problem
  }
  if (check !== true && first.trim().startsWith('{'))
    throw new DeployError('run --then-run: the first request must be a check (check: true)', 2);
  const code = await startRequest({ envelope: first, key: checkKey, caller, detach: false, json: true });
  if (code !== 0) return code;
  const second = next();
  if (second === undefined || !second.trim()) return code;
  return startRequest({ envelope: second, key: runKey, caller, detach: true, follow: true, json: true });
}

/** A request file named by a sudo caller, read with the caller's rights, as a `run -` envelope. */
export function callerEnvelope(file: string, caller: Caller): string {
  const text = readAsCaller(file, 'request file', caller);
  try {
    return JSON.stringify({ request: JSON.parse(text) as unknown });
  } catch (err) {
    throw new DeployError(`request file ${file} is not readable JSON: ${(err as Error).message}`, 2);
  }
}
