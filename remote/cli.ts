// seisei-deploy: the remote executor and the operator CLI on the server (DESIGN.md section 11).
import { follow } from './cli/follow.js';
import { byteOffset, defaultActor, HelpRequested, imageLines, integer, parse, pathArg } from './argv/args.js';
import {
  defaultRunKey,
  readRequestFile,
  runDetached,
  runInForeground,
  validateRequest,
  type RunRequest,
} from './cli/run.js';
import { stageStdinInputs } from './cli/stdin-inputs.js';
import type { Command } from './cli/command.js';
import { existsSync, readFileSync, readSync, rmSync } from 'node:fs';
import { isStagedRequest, readAsCaller, sudoCaller, type Caller } from './caller.js';
import { DeployError, isExpected } from './errors.js';
import { installCommand, versionCommand } from './install-cli.js';
import { DEFAULT_ROOT, layout } from '../common/layout.js';
import { checkTrustedRoot, checkTrustedSource } from './ownership.js';
import { runKey, stackName } from '../common/names.js';
import { operatorCommands } from './ops/index.js';

function common(v: { root?: string; source?: string; 'lock-timeout'?: string }) {
  return {
    ...(v.root ? { root: pathArg(v.root) } : {}),
    ...(v.source ? { source: pathArg(v.source) } : {}),
    ...(v['lock-timeout'] !== undefined
      ? { lock_timeout_s: integer('--lock-timeout', v['lock-timeout']) }
      : {}),
  };
}

/** Under root, the layout (and a deploy's stack source) must be root's before anything is touched. */
function checkTrusted(req: RunRequest): void {
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
async function startRequest(o: StartOptions): Promise<number> {
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
async function checkThenRun(checkKey: string, runKey: string, caller: Caller | undefined): Promise<number> {
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
function callerEnvelope(file: string, caller: Caller): string {
  const text = readAsCaller(file, 'request file', caller);
  try {
    return JSON.stringify({ request: JSON.parse(text) as unknown });
  } catch (err) {
    throw new DeployError(`request file ${file} is not readable JSON: ${(err as Error).message}`, 2);
  }
}

const runOptions = {
  actor: { type: 'string' },
  'run-id': { type: 'string' },
  'run-key': { type: 'string' },
  keep: { type: 'string' },
} as const;

const commands: Record<string, Command> = {
  deploy: {
    usage:
      'seisei-deploy deploy <stack> <env> <image_tag> --digest-file F [--images VAR=name,...] [--actor A] [--run-id R] [--break-glass --reason "..."] [--keep N] [--registry HOST --registry-username U --registry-password-file F] [--check]',
    summary: 'freeze, gate, pull, switch, up, smoke (auto-rollback), record, cleanup',
    async main(argv) {
      const { values: v, positionals: p } = parse(
        'deploy',
        argv,
        {
          ...runOptions,
          'digest-file': { type: 'string' },
          images: { type: 'string' },
          'break-glass': { type: 'boolean', default: false },
          check: { type: 'boolean', default: false },
          reason: { type: 'string' },
          registry: { type: 'string' },
          'registry-username': { type: 'string' },
          'registry-password-file': { type: 'string' },
        },
        this.usage,
      );
      if (p.length !== 3)
        throw new DeployError(`deploy takes <stack> <env> <image_tag>\nusage: ${this.usage}`, 2);
      const raw = {
        command: 'deploy',
        stack: p[0],
        env: p[1],
        image_tag: p[2],
        digest_file: pathArg(v['digest-file']) ?? '',
        images: imageLines(v.images),
        actor: v.actor ?? defaultActor(),
        run_id: v['run-id'] ?? '',
        run_key: v['run-key'],
        break_glass: v['break-glass'],
        check: v.check,
        reason: v.reason ?? '',
        keep_releases: integer('--keep', v.keep),
        registry_login: v.registry
          ? {
              registry: v.registry,
              username: v['registry-username'] ?? '',
              password_file: pathArg(v['registry-password-file']) ?? '',
            }
          : undefined,
        ...common(v),
      };
      const caller = sudoCaller();
      if (caller) {
        // The files it names are read with the caller's rights and staged like `run -` inputs.
        const key = raw.run_key ?? defaultRunKey();
        const envelope = JSON.stringify({ request: { ...raw, run_key: key } });
        return startRequest({ envelope, key, caller, detach: false, json: v.json });
      }
      const req = validateRequest(raw);
      checkTrusted(req);
      return runInForeground(req, v.json);
    },
  },
  rollback: {
    usage: 'seisei-deploy rollback <stack> <env> [--steps N | --to RELEASE_ID] [--actor A] [--run-id R]',
    summary: 'go back N successful releases (smoke-tested, at most 3 attempts)',
    async main(argv) {
      const { values: v, positionals: p } = parse(
        'rollback',
        argv,
        { ...runOptions, steps: { type: 'string' }, to: { type: 'string' } },
        this.usage,
      );
      if (p.length !== 2) throw new DeployError(`rollback takes <stack> <env>\nusage: ${this.usage}`, 2);
      const req = validateRequest({
        command: 'rollback',
        stack: p[0],
        env: p[1],
        steps: integer('--steps', v.steps) ?? 1,
        ...(v.to !== undefined ? { to: v.to } : {}),
        actor: v.actor ?? defaultActor(),
        run_id: v['run-id'] ?? '',
        run_key: v['run-key'],
        ...common(v),
      });
      checkTrusted(req);
      return runInForeground(req, v.json);
    },
  },
  run: {
    usage:
      'seisei-deploy run <request.json | -> [--detach [--follow]] [--run-key K] [--then-run K2] [--json]',
    summary:
      'run a deploy/rollback request file, or `-`: {request, digest_manifest, registry_password} on stdin (the GitHub Action)',
    async main(argv) {
      const { values: v, positionals: p } = parse(
        'run',
        argv,
        {
          detach: { type: 'boolean', default: false },
          follow: { type: 'boolean', default: false },
          'run-key': { type: 'string' },
          'then-run': { type: 'string' },
        },
        this.usage,
      );
      if (p.length !== 1) throw new DeployError(`run takes one request file\nusage: ${this.usage}`, 2);
      if (v.follow && !v.detach)
        throw new DeployError(
          `run: --follow streams a detached run: use it with --detach\nusage: ${this.usage}`,
          2,
        );
      const key = v['run-key'];
      for (const [name, k] of [
        ['--run-key', key],
        ['--then-run', v['then-run']],
      ] as const)
        if (k !== undefined && !runKey.safeParse(k).success)
          throw new DeployError(
            `${name} ${JSON.stringify(k)}: use 1-128 characters of A-Z, a-z, 0-9, '_', '.' and '-'`,
            2,
          );
      const caller = sudoCaller();
      if (v['then-run'] !== undefined) {
        if (p[0] !== '-' || v.detach || key === undefined)
          throw new DeployError(
            `run: --then-run reads stdin (-) and needs --run-key, without --detach\nusage: ${this.usage}`,
            2,
          );
        return checkThenRun(key, v['then-run'], caller);
      }
      const stdin = p[0] === '-';
      // Under sudo, a request file is the caller's: read with their rights and staged like stdin.
      const stage = stdin || (caller !== undefined && !isStagedRequest(p[0]!));
      const runKeyUsed = key ?? (stage ? defaultRunKey() : undefined);
      const envelope = stdin ? readFileSync(0, 'utf8') : stage ? callerEnvelope(p[0]!, caller!) : undefined;
      return startRequest({
        file: p[0]!,
        envelope,
        key: runKeyUsed,
        caller,
        detach: v.detach,
        follow: v.follow,
        json: true,
      });
    },
  },
  follow: {
    usage: 'seisei-deploy follow <stack> <run_key> [--offset BYTES]',
    summary: 'stream a run journal from a byte offset until its result',
    async main(argv) {
      const { values: v, positionals: p } = parse('follow', argv, { offset: { type: 'string' } }, this.usage);
      const stack = stackName.safeParse(p[0]);
      const key = runKey.safeParse(p[1]);
      if (p.length !== 2 || !stack.success || !key.success)
        throw new DeployError(`follow takes a valid <stack> and <run_key>\nusage: ${this.usage}`, 2);
      const root = pathArg(v.root) ?? DEFAULT_ROOT;
      checkTrustedRoot(root, stack.data);
      const journal = layout(root).journal(stack.data, key.data);
      await follow(journal, byteOffset('--offset', v.offset) ?? 0, (t) => process.stdout.write(t));
      return 0;
    },
  },
  ...operatorCommands,
  install: installCommand,
  version: versionCommand,
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'seisei-deploy — image-pinned Docker Compose releases on this server',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options: --root DIR (default /srv), --source DIR, --json, --lock-timeout SECONDS, --help',
    "Run 'seisei-deploy <command> --help' for a command's arguments.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw new DeployError(`unknown command ${JSON.stringify(name)}\n${help()}`, 2);
  try {
    return await command.main(rest);
  } catch (err) {
    if (!(err instanceof HelpRequested)) throw err;
    process.stdout.write(`${command.summary}\nusage: ${command.usage}\n`);
    return 0;
  }
}

// If the event loop ever drained with work pending, exit non-zero rather than 0.
process.exitCode = 70;
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `seisei-deploy: ${isExpected(err) ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`,
    );
    process.exitCode = err instanceof DeployError ? err.code : 1;
  },
);
