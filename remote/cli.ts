// seisei-deploy: the remote executor and the operator CLI on the server (DESIGN.md section 11).
import { follow } from './cli/follow.js';
import { byteOffset, defaultActor, imageLines, integer, parse } from './cli/args.js';
import { defaultRunKey, readRequestFile, runDetached, runInForeground, validateRequest } from './cli/run.js';
import { stageStdinInputs } from './cli/stdin-inputs.js';
import { readFileSync, rmSync } from 'node:fs';
import { DeployError, isExpected } from './errors.js';
import { layout } from './layout.js';
import { runKey, stackName } from '../src/common/names.js';
import { operatorCommands } from './ops/index.js';

export interface Command {
  usage: string;
  summary: string;
  main(argv: string[]): Promise<number>;
}

function common(v: { root?: string; source?: string; 'lock-timeout'?: string }) {
  return {
    ...(v.root ? { root: v.root } : {}),
    ...(v.source ? { source: v.source } : {}),
    ...(v['lock-timeout'] !== undefined
      ? { lock_timeout_s: integer('--lock-timeout', v['lock-timeout']) }
      : {}),
  };
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
      'seisei-deploy deploy <stack> <env> <image_tag> --digest-file F [--images VAR=name,...] [--actor A] [--run-id R] [--break-glass --reason "..."] [--keep N] [--registry HOST --registry-username U --registry-password-file F]',
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
          reason: { type: 'string' },
          registry: { type: 'string' },
          'registry-username': { type: 'string' },
          'registry-password-file': { type: 'string' },
        },
        this.usage,
      );
      if (p.length !== 3)
        throw new DeployError(`deploy takes <stack> <env> <image_tag>\nusage: ${this.usage}`, 2);
      const req = validateRequest({
        command: 'deploy',
        stack: p[0],
        env: p[1],
        image_tag: p[2],
        digest_file: v['digest-file'] ?? '',
        images: imageLines(v.images),
        actor: v.actor ?? defaultActor(),
        run_id: v['run-id'] ?? '',
        run_key: v['run-key'],
        break_glass: v['break-glass'],
        reason: v.reason ?? '',
        keep_releases: integer('--keep', v.keep),
        registry_login: v.registry
          ? {
              registry: v.registry,
              username: v['registry-username'] ?? '',
              password_file: v['registry-password-file'] ?? '',
            }
          : undefined,
        ...common(v),
      });
      return runInForeground(req, v.json);
    },
  },
  rollback: {
    usage: 'seisei-deploy rollback <stack> <env> [--steps N] [--actor A] [--run-id R]',
    summary: 'go back N successful releases (smoke-tested, at most 3 attempts)',
    async main(argv) {
      const { values: v, positionals: p } = parse(
        'rollback',
        argv,
        { ...runOptions, steps: { type: 'string' } },
        this.usage,
      );
      if (p.length !== 2) throw new DeployError(`rollback takes <stack> <env>\nusage: ${this.usage}`, 2);
      const req = validateRequest({
        command: 'rollback',
        stack: p[0],
        env: p[1],
        steps: integer('--steps', v.steps) ?? 1,
        actor: v.actor ?? defaultActor(),
        run_id: v['run-id'] ?? '',
        run_key: v['run-key'],
        ...common(v),
      });
      return runInForeground(req, v.json);
    },
  },
  run: {
    usage: 'seisei-deploy run <request.json | -> [--detach] [--run-key K] [--json]',
    summary:
      'run a deploy/rollback request file, or `-`: {request, digest_manifest, registry_password} on stdin (the GitHub Action)',
    async main(argv) {
      const { values: v, positionals: p } = parse(
        'run',
        argv,
        { detach: { type: 'boolean', default: false }, 'run-key': { type: 'string' } },
        this.usage,
      );
      if (p.length !== 1) throw new DeployError(`run takes one request file\nusage: ${this.usage}`, 2);
      const key = v['run-key'];
      if (key !== undefined && !runKey.safeParse(key).success)
        throw new DeployError(
          `--run-key ${JSON.stringify(key)}: use 1-128 characters of A-Z, a-z, 0-9, '_', '.' and '-'`,
          2,
        );
      const stdin = p[0] === '-';
      const runKeyUsed = key ?? (stdin ? defaultRunKey() : undefined);
      const staged = stdin ? stageStdinInputs(readFileSync(0, 'utf8'), runKeyUsed!) : undefined;
      const file = staged?.requestFile ?? p[0]!;
      let req;
      try {
        const raw = readRequestFile(file) as Record<string, unknown>;
        req = validateRequest({ ...raw, ...(runKeyUsed ? { run_key: runKeyUsed } : {}) });
      } catch (err) {
        if (staged) rmSync(staged.dir, { recursive: true, force: true }); // bad input leaves nothing
        throw err;
      }
      if (!v.detach) return runInForeground(req, true);
      process.stdout.write(JSON.stringify(runDetached(file, req, process.argv[1]!)) + '\n');
      return 0;
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
      const journal = layout(v.root ?? '/srv').journal(stack.data, key.data);
      await follow(journal, byteOffset('--offset', v.offset) ?? 0, (t) => process.stdout.write(t));
      return 0;
    },
  },
  ...operatorCommands,
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
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\nusage: ${command.usage}\n`);
    return 0;
  }
  return command.main(rest);
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
