// The action's one exec channel per host (src/ssh/channel.ts, src/host/channel.ts, HostSession):
// the shell run by a real sh with fake sudo/node/docker, the split of its stdout, and a session
// that checks, starts and follows on one exec, falling back to `follow --offset` when SSH drops.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeployEvent } from '../../common/events.js';
import { HostSession } from '../../src/host/session.js';
import { parseSettings } from '../../src/inputs/settings.js';
import { hostConfig } from '../../src/main.js';
import { checkChannelScript, factsEndLine, HeadSplitter } from '../../src/ssh/channel.js';
import type { ExecOptions, ExecResult, SshSession } from '../../src/ssh/connection.js';
import { fingerprintOfBlob } from '../../src/ssh/host-key.js';
import type { SshTarget } from '../../src/ssh/target.js';
import { testKnobs } from '../../src/test-knobs.js';
import { ed25519Key } from './helpers/keys.js';

const NONCE = '0123456789abcdef0123';

describe('the check channel script', () => {
  let bin: string;
  before(() => {
    bin = mkdtempSync(join(tmpdir(), 'channel-'));
    const fake = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    fake('sudo', '[ "$1" = -n ] && shift; exec "$@"');
    fake('node', 'printf 20.11.1');
    // A docker that would swallow stdin: the server check must not see the action's input.
    fake('docker', 'cat >/dev/null; echo 27.3.1');
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  const r = { sudo: true, node: 'node' };
  const commands = {
    'node-run': ['sh', '-c', 'echo "ran $1"; cat', 'sh', "it's one word"],
    'node-check': ['sh', '-c', 'echo checked'],
  };
  const run = (script: string, input: string) =>
    spawnSync('sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin` }, input, encoding: 'utf8' });

  it('prints the facts and the end line, then runs the chosen command with the rest of stdin', () => {
    const out = run(checkChannelScript(r, NONCE, commands), `node-run\n{"request":1}\nmore`);
    assert.equal(out.status, 0, out.stderr);
    const [facts, rest] = out.stdout.split(`${factsEndLine(NONCE)}\n`);
    // Node.js and Docker answer at the same time as the rest: in any order, each line whole.
    assert.deepEqual(facts!.split('\n').sort(), [
      '',
      'docker=ok 27.3.1',
      'node=ok 20.11.1',
      'sudo=ok',
      'tools=',
    ]);
    assert.equal(rest, `ran it's one word\n{"request":1}\nmore`);
  });

  it('runs nothing on "no", an unknown word or the end of stdin', () => {
    for (const input of ['no\nnode-run\n', 'node-runx\n', '', 'node-r']) {
      const out = run(checkChannelScript(r, NONCE, commands), input);
      assert.equal(out.status, 0, JSON.stringify(input));
      assert.ok(out.stdout.endsWith(`${factsEndLine(NONCE)}\n`), `${JSON.stringify(input)}: ${out.stdout}`);
    }
  });

  it('without commands it is the server check alone', () => {
    const script = checkChannelScript(r, NONCE);
    assert.doesNotMatch(script, /read|exec/);
    assert.ok(run(script, 'node-run\n').stdout.endsWith(`${factsEndLine(NONCE)}\n`));
  });

  it('refuses a bad nonce or word, and quotes every word of a command', () => {
    assert.throws(() => checkChannelScript(r, 'x; rm -rf /'), /bad channel nonce/);
    assert.throws(() => checkChannelScript(r, NONCE, { 'a b': ['true'] }), /bad channel word/);
    assert.throws(() => checkChannelScript(r, NONCE, { no: ['true'] }), /bad channel word/);
    const script = checkChannelScript(r, NONCE, { 'node-run': ['/opt/x y/cli', '$(reboot)'] });
    assert.match(script, /node-run\) exec sudo -n '\/opt\/x y\/cli' '\$\(reboot\)' ;;/);
  });
});

describe('HeadSplitter', () => {
  it('splits at the first matching line, the bytes after it exact, across any chunking', () => {
    const head = `a=1\nb=2\n${factsEndLine(NONCE)}\n`;
    const tail = Buffer.from('{"x":"ünïcödé"}\nend=again\n');
    const all = Buffer.concat([Buffer.from(head), tail]);
    for (let size = 1; size <= all.length; size++) {
      const s = new HeadSplitter((l) => l === factsEndLine(NONCE));
      const rest: Buffer[] = [];
      for (let i = 0; i < all.length; i += size) rest.push(s.push(all.subarray(i, i + size)));
      assert.equal(s.head, head, `chunks of ${size}`);
      assert.deepEqual(Buffer.concat(rest), tail, `chunks of ${size}`);
    }
  });

  it('ends an overlong head there, marked as overflow', () => {
    const s = new HeadSplitter(() => false, 10);
    assert.equal(s.push(Buffer.from('0123456')).length, 0);
    assert.equal(s.done, false);
    s.push(Buffer.from('789abc'));
    assert.equal(s.done, true);
    assert.equal(s.overflow, true);
  });
});

// ---- a HostSession over a fake SSH session that runs the channel protocol ----

const key = ed25519Key();
const settings = parseSettings(
  {
    mode: 'deploy',
    stack: 'odoo18',
    environment: 'staging',
    image_tag: 'sha-abc1234',
    host: 'srv.example',
    username: 'deploy',
    private_key: key.privateKey,
    host_key: fingerprintOfBlob(key.blob),
    reconnect_timeout: '1',
  },
  {},
);
const RUN_KEY = '42-1-abcdef';
const JOURNAL = `/srv/releases/runs/odoo18/${RUN_KEY}.jsonl`;
const CLI = '/srv/releases/bin/seisei-deploy';

function journalOf(n: number): { bytes: Buffer; events: DeployEvent[] } {
  const events: DeployEvent[] = [];
  for (let i = 0; i < n; i++)
    events.push({ v: 1, ts: `t${i}`, type: 'log', step: 'up', level: 'info', msg: `line ${i} — 日本語` });
  events.push({ v: 1, ts: 'end', type: 'result', status: 'success', msg: 'done', mode: 'deploy' });
  return { bytes: Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join('')), events };
}

/** Answers the check channel like sh + the executor would; `dropAt` cuts the journal (connection lost). */
class FakeServer {
  closed = false;
  closeReason = 'connection reset';
  readonly target = { host: 'srv.example' };
  readonly commands: string[] = [];
  readonly inputs: string[] = [];
  constructor(
    private readonly journal: Buffer,
    private readonly dropAt?: number,
  ) {}

  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.commands.push(cmd);
    const out = opts.onStdout ?? (() => undefined);
    const nonce = /^echo end=([0-9a-f]+)$/m.exec(cmd)?.[1];
    if (nonce) {
      out(Buffer.from(`sudo=ok\nnode=ok 20.11.1\ndocker=ok 27.3.1\ntools=\ncli=ok ${'a'.repeat(64)}\n`));
      out(Buffer.from(`end=${nonce}\n`));
      if (!opts.stdinLater) return this.exit(0);
      const thenRun = / --then-run /.test(cmd);
      const result = JSON.stringify({ v: 1, ts: 'x', type: 'result', status: 'success', msg: 'ok' }) + '\n';
      // As sh + the executor: a dry run with --then-run answers its first line at once, then waits.
      const input = await new Promise<string>((resolve) => {
        let got = '';
        opts.stdinLater!({
          write: (d) => {
            got += d.toString();
            if (thenRun && /^node-check\n.*\n/.test(got)) out(Buffer.from(result));
          },
          end: (d) => resolve(got + (d === undefined ? '' : d.toString())),
        });
      });
      this.inputs.push(input);
      const word = input.split('\n')[0];
      if (word === 'node-check' && !thenRun) {
        out(Buffer.from(result));
        return this.exit(0);
      }
      if (word === 'node-check' && !input.split('\n')[2]) return this.exit(0);
      if (word !== 'node-run' && word !== 'node-check') return this.exit(0);
      out(Buffer.from(JSON.stringify({ run_key: RUN_KEY, journal: JOURNAL, pid: 4242 }) + '\n'));
      return this.stream(0, out, this.dropAt);
    }
    const offset = /--offset (\d+)/.exec(cmd)?.[1];
    if (offset !== undefined) return this.stream(Number(offset), out);
    return this.exit(1); // e.g. `run - --detach` of another build: not part of these tests
  }

  private stream(offset: number, out: (b: Buffer) => void, dropAt?: number): ExecResult {
    const end = dropAt ?? this.journal.length;
    for (let i = offset; i < end; i += 13) out(this.journal.subarray(i, Math.min(i + 13, end)));
    if (end >= this.journal.length) return this.exit(0);
    this.closed = true;
    return { code: null, signal: null, stdout: '', stderr: '' };
  }

  private exit(code: number): ExecResult {
    return { code, signal: null, stdout: '', stderr: code ? 'refused' : '' };
  }

  close(): void {
    this.closed = true;
  }
}

function hostOver(journal: Buffer, dropAt?: number) {
  const servers: FakeServer[] = [];
  const connect = async (_t: SshTarget) => {
    const s = new FakeServer(journal, servers.length ? undefined : dropAt);
    servers.push(s);
    return s as unknown as SshSession;
  };
  const config = hostConfig(settings.target!, settings, testKnobs({}));
  const host = new HostSession(config, {
    mode: 'deploy',
    signal: new AbortController().signal,
    connect,
    backoffBaseMs: 1,
    log: () => undefined,
  });
  return { host, servers };
}

describe('HostSession on one channel', () => {
  it('checks, starts and follows the run on one exec when the installed executor is this build', async () => {
    const { bytes, events } = journalOf(20);
    const { host, servers } = hostOver(bytes);
    await host.open({ runKey: RUN_KEY });
    Object.assign(host, { executor: CLI, direct: false, sameBuild: true });
    const info = await host.start({ request: { run_key: RUN_KEY, stack: 'odoo18' } as never });
    assert.deepEqual(info, { run_key: RUN_KEY, journal: JOURNAL, pid: 4242 });
    const seen: DeployEvent[] = [];
    const result = await host.follow((l) => seen.push(l.event!));
    assert.equal(result.status, 'success');
    assert.deepEqual(seen, events);
    assert.equal(servers.length, 1);
    assert.equal(servers[0]!.commands.length, 1, servers[0]!.commands.join('\n---\n'));
    assert.match(
      servers[0]!.commands[0]!,
      new RegExp(`node-run\\) exec sudo -n node ${CLI} run - --detach --follow --run-key ${RUN_KEY} ;;`),
    );
    assert.match(servers[0]!.inputs[0]!, new RegExp(`^node-run\\n\\{"request":\\{"run_key":"${RUN_KEY}"`));
  });

  it('when SSH drops mid-journal, resumes with follow --offset from the last whole line: every event once', async () => {
    const { bytes, events } = journalOf(30);
    const cut = Math.floor(bytes.length / 2) + 5;
    const { host, servers } = hostOver(bytes, cut);
    await host.open({ runKey: RUN_KEY });
    Object.assign(host, { executor: CLI, direct: false, sameBuild: true });
    await host.start({ request: { run_key: RUN_KEY, stack: 'odoo18' } as never });
    const seen: DeployEvent[] = [];
    const result = await host.follow((l) => seen.push(l.event!));
    assert.equal(result.status, 'success');
    assert.deepEqual(seen, events);
    assert.equal(servers.length, 2, 'reconnected once');
    assert.match(
      servers[1]!.commands[0]!,
      new RegExp(`follow odoo18 ${RUN_KEY} --offset ${bytes.subarray(0, cut).lastIndexOf(0x0a) + 1} `),
    );
  });

  it("runs a fleet host's dry run on the server check's exec, its output whole", async () => {
    const { host, servers } = hostOver(journalOf(1).bytes);
    await host.open({ checkKey: `${RUN_KEY}-check` });
    Object.assign(host, { executor: CLI, direct: false, sameBuild: true });
    const res = await host.check(`${RUN_KEY}-check`, '{"request":{}}');
    assert.equal(res.code, 0);
    assert.match(res.stdout, /^\{"v":1,"ts":"x","type":"result","status":"success","msg":"ok"\}\n$/);
    assert.equal(servers[0]!.commands.length, 1, servers[0]!.commands.join('\n---\n'));
    assert.match(
      servers[0]!.commands[0]!,
      new RegExp(`node-check\\) exec sudo -n node ${CLI} run - --run-key ${RUN_KEY}-check ;;`),
    );
    assert.equal(servers[0]!.inputs[0], 'node-check\n{"request":{}}');
  });

  it("a fleet host's dry run and then its run: one exec, one process (--then-run)", async () => {
    const { bytes, events } = journalOf(5);
    const { host, servers } = hostOver(bytes);
    await host.open({ checkKey: `${RUN_KEY}-check`, runKey: RUN_KEY });
    Object.assign(host, { executor: CLI, direct: false, sameBuild: true });
    const checked = await host.check(`${RUN_KEY}-check`, '{"request":{"check":true}}');
    assert.match(checked.stdout, /"type":"result","status":"success"/);
    await host.start({ request: { run_key: RUN_KEY, stack: 'odoo18' } as never });
    const seen: DeployEvent[] = [];
    assert.equal((await host.follow((l) => seen.push(l.event!))).status, 'success');
    assert.deepEqual(seen, events);
    assert.equal(servers.length, 1);
    assert.equal(servers[0]!.commands.length, 1, servers[0]!.commands.join('\n---\n'));
    assert.match(
      servers[0]!.commands[0]!,
      new RegExp(
        `node-check\\) exec sudo -n node ${CLI} run - --run-key ${RUN_KEY}-check --then-run ${RUN_KEY} ;;`,
      ),
    );
    assert.equal(
      servers[0]!.inputs[0],
      `node-check\n{"request":{"check":true}}\n{"request":{"run_key":"${RUN_KEY}","stack":"odoo18"}}\n`,
    );
  });

  it('a dry run whose host never gets its run ends with EOF at cleanup: nothing more runs', async () => {
    const { host, servers } = hostOver(journalOf(1).bytes);
    await host.open({ checkKey: `${RUN_KEY}-check`, runKey: RUN_KEY });
    Object.assign(host, { executor: CLI, direct: false, sameBuild: true });
    await host.check(`${RUN_KEY}-check`, '{"request":{"check":true}}');
    await host.cleanup();
    assert.equal(servers[0]!.inputs[0], 'node-check\n{"request":{"check":true}}\n');
  });

  it('declines the channel when the executor is not the installed one of this build', async () => {
    const { bytes } = journalOf(3);
    const { host, servers } = hostOver(bytes);
    await host.open({ runKey: RUN_KEY });
    Object.assign(host, { executor: CLI, direct: true, sameBuild: false });
    await assert.rejects(host.start({ request: { run_key: RUN_KEY, stack: 'odoo18' } as never }));
    assert.equal(servers[0]!.inputs[0], 'no\n');
    assert.match(
      servers[0]!.commands[1]!,
      new RegExp(`^sudo -n ${CLI} run - --detach --run-key ${RUN_KEY}$`),
    );
  });
});

describe('the executor side of the channel (run options)', () => {
  const REPO = join(import.meta.dirname, '..', '..');
  const cli = (args: string[], input = '') =>
    spawnSync(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(REPO, 'remote/cli.ts'), ...args],
      {
        input,
        encoding: 'utf8',
        env: { ...process.env, SUDO_USER: '' },
      },
    );

  it('refuses --follow without --detach, and --then-run without --run-key or with --detach', () => {
    for (const args of [
      ['run', '-', '--follow'],
      ['run', '-', '--then-run', 'k1'],
      ['run', '-', '--run-key', 'k0', '--then-run', 'k1', '--detach'],
      ['run', '-', '--run-key', 'k0', '--then-run', 'bad key'],
    ]) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /--follow|--then-run/, args.join(' '));
    }
  });

  it('--then-run runs nothing when its first request is not a dry run', () => {
    const deploy = { request: { command: 'deploy', stack: 'web', env: 'staging', image_tag: 'v1' } };
    const r = cli(['run', '-', '--run-key', 'k0', '--then-run', 'k1'], `${JSON.stringify(deploy)}\n`);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /the first request must be a check/);
  });
});
