// The executor CLI's command table: deploy, rollback, run and follow (here), the operator commands
// (ops/), install and version. cli.ts dispatches to it and prints its help.
import { readFileSync } from 'node:fs';
import { DEFAULT_ROOT, layout } from '../../common/layout.js';
import { runKey, stackName } from '../../common/names.js';
import { byteOffset, defaultActor, imageLines, integer, parse, pathArg } from '../argv/args.js';
import { isStagedRequest, sudoCaller } from '../caller.js';
import { DeployError } from '../errors.js';
import { installCommand, versionCommand } from '../install-cli.js';
import { operatorCommands } from '../ops/index.js';
import { checkTrustedRoot } from '../ownership.js';
import type { Command } from './command.js';
import { follow } from './follow.js';
import { defaultRunKey, runInForeground, validateRequest } from './run.js';
import { callerEnvelope, checkThenRun, checkTrusted, startRequest } from './start.js';

/** The global options a run request takes: --root, --source, --lock-timeout. */
function common(v: { root?: string; source?: string; 'lock-timeout'?: string }) {
  return {
    ...(v.root ? { root: pathArg(v.root) } : {}),
    ...(v.source ? { source: pathArg(v.source) } : {}),
    ...(v['lock-timeout'] !== undefined
      ? { lock_timeout_s: integer('--lock-timeout', v['lock-timeout']) }
      : {}),
  };
}

/** The options deploy and rollback share. */
const runOptions = {
  actor: { type: 'string' },
  'run-id': { type: 'string' },
  'run-key': { type: 'string' },
  keep: { type: 'string' },
} as const;

/** Every command by name, in the order help lists them. */
export const commands: Record<string, Command> = {
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
