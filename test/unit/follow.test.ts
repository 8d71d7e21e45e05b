// Following the run journal: offsets of complete lines only, resume without duplicates or gaps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeployEvent } from '../../common/events.js';
import { fingerprintOfBlob } from '../../src/ssh/host-key.js';
import { HostSession, OutcomeUnknownError } from '../../src/host/session.js';
import { parseSettings } from '../../src/inputs/settings.js';
import { hostConfig } from '../../src/main.js';
import type { ExecOptions, ExecResult, SshSession } from '../../src/ssh/connection.js';
import type { SshTarget } from '../../src/ssh/target.js';
import { testKnobs } from '../../src/test-knobs.js';
import { JournalReader, backoffSchedule } from '../../src/host/journal.js';
import { ed25519Key } from './helpers/keys.js';

function journalOf(n: number): { bytes: Buffer; events: DeployEvent[] } {
  const events: DeployEvent[] = [];
  for (let i = 0; i < n; i++) {
    events.push({ v: 1, ts: `t${i}`, type: 'step', step: 'up', status: 'start', msg: `step ${i} ✓ ünïcödé` });
    events.push({ v: 1, ts: `t${i}`, type: 'log', step: 'up', level: 'info', msg: `line ${i} — 日本語` });
  }
  events.push({ v: 1, ts: 'end', type: 'result', status: 'success', msg: 'done', mode: 'deploy' });
  return { bytes: Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join('')), events };
}

/** Splits into chunks of pseudo-random sizes (1..max), also inside multi-byte characters. */
function chunks(buf: Buffer, seed: number, max = 17): Buffer[] {
  const out: Buffer[] = [];
  let x = seed;
  for (let i = 0; i < buf.length;) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (x % max);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('JournalReader', () => {
  it('counts only complete lines, across any chunking', () => {
    const { bytes, events } = journalOf(20);
    for (let seed = 1; seed < 30; seed++) {
      const r = new JournalReader();
      const got = chunks(bytes, seed).flatMap((c) => r.push(c));
      assert.deepEqual(
        got.map((l) => l.event),
        events,
      );
      assert.equal(r.offset, bytes.length);
      assert.equal(r.pendingBytes, 0);
    }
  });

  it('resumes from its offset after the stream ends mid-line', () => {
    const { bytes, events } = journalOf(10);
    const cut = Math.floor(bytes.length / 2) + 3; // somewhere inside a line
    const r = new JournalReader();
    const first = r.push(bytes.subarray(0, cut));
    assert.ok(r.pendingBytes > 0);
    assert.equal(r.offset, bytes.subarray(0, cut).lastIndexOf(0x0a) + 1);
    r.discardPartial();
    const second = r.push(bytes.subarray(r.offset));
    assert.deepEqual(
      [...first, ...second].map((l) => l.event),
      events,
    );
    assert.equal(second[0]!.end - Buffer.byteLength(second[0]!.text) - 1, first.at(-1)!.end);
  });

  it('passes non-event lines through as text', () => {
    const r = new JournalReader();
    const got = r.push(
      Buffer.from('garbage\r\n{"v":1,"type":"log","step":"x","level":"info","msg":"m","ts":"t"}\n'),
    );
    assert.equal(got[0]!.text, 'garbage');
    assert.equal(got[0]!.event, undefined);
    assert.equal(got[1]!.event?.type, 'log');
  });
});

describe('backoffSchedule', () => {
  it('doubles up to the cap within the budget', () => {
    assert.deepEqual(backoffSchedule(120_000), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    assert.deepEqual(backoffSchedule(10, 1), [1, 2, 4]);
    assert.deepEqual(backoffSchedule(0), []);
  });
});

// ---- HostSession.follow with scripted fake SSH sessions ----

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

type Behaviour = { dropAt?: number; failConnect?: boolean; exitCode?: number; hang?: boolean };

class FakeSession {
  closed = false;
  closeReason = 'connection reset';
  readonly commands: string[] = [];
  constructor(
    private readonly journal: Buffer,
    private readonly b: Behaviour,
    private readonly seed: number,
  ) {}
  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.commands.push(cmd);
    const offset = Number(/--offset (\d+)/.exec(cmd)![1]);
    if (this.b.hang)
      return new Promise((resolve) =>
        opts.signal?.addEventListener('abort', () =>
          resolve({ code: null, signal: null, stdout: '', stderr: '', aborted: true }),
        ),
      );
    if (this.b.exitCode !== undefined)
      return { code: this.b.exitCode, signal: null, stdout: '', stderr: 'journal not found' };
    const end = this.b.dropAt ?? this.journal.length;
    for (const c of chunks(this.journal.subarray(offset, Math.max(offset, end)), this.seed))
      opts.onStdout!(c);
    if (this.b.dropAt !== undefined) {
      this.closed = true;
      return { code: null, signal: null, stdout: '', stderr: '' };
    }
    return { code: 0, signal: null, stdout: '', stderr: '' };
  }
  close() {
    this.closed = true;
  }
}

function session(behaviours: Behaviour[], journal: Buffer, signal = new AbortController().signal) {
  const sessions: FakeSession[] = [];
  let n = 0;
  const connect = async (_t: SshTarget) => {
    const b = behaviours[Math.min(n, behaviours.length - 1)]!;
    n++;
    if (b.failConnect) throw new Error('Cannot connect to srv.example:22: connection refused');
    const s = new FakeSession(journal, b, n * 7);
    sessions.push(s);
    return s as unknown as SshSession;
  };
  const config = hostConfig(settings.target!, settings, testKnobs({}));
  const host = new HostSession(config, { mode: settings.mode, signal, connect, backoffBaseMs: 1 });
  host.stack = 'odoo18';
  host.tmpDir = '/tmp/seisei-deploy.abcdef1234';
  host.runKey = '42-1-abcdef';
  host.journal = '/srv/releases/runs/odoo18/42-1-abcdef.jsonl';
  (host as unknown as { started: boolean }).started = true;
  return { host, sessions, connects: () => n };
}

describe('HostSession.follow', () => {
  it('reconnects and resumes from the consumed offset: every event exactly once', async () => {
    const { bytes, events } = journalOf(30);
    const cut1 = Math.floor(bytes.length / 3) + 5;
    const cut2 = Math.floor((2 * bytes.length) / 3) + 11;
    const { host, sessions } = session(
      [{ dropAt: cut1 }, { failConnect: true }, { dropAt: cut2 }, {}],
      bytes,
    );
    const seen: DeployEvent[] = [];
    const result = await host.follow((l) => seen.push(l.event!));
    assert.equal(result.status, 'success');
    assert.deepEqual(seen, events);
    const offsets = sessions.flatMap((s) => s.commands.map((c) => Number(/--offset (\d+)/.exec(c)![1])));
    assert.equal(offsets[0], 0);
    assert.equal(offsets[1], bytes.subarray(0, cut1).lastIndexOf(0x0a) + 1);
    assert.equal(offsets[2], bytes.subarray(0, cut2).lastIndexOf(0x0a) + 1);
    assert.match(
      sessions[0]!.commands[0]!,
      /^sudo -n node \/tmp\/seisei-deploy\.abcdef1234\/remote\.cjs follow odoo18 42-1-abcdef --offset 0 --root \/srv$/,
    );
  });

  it('gives up after the reconnect budget, saying the outcome is unknown and how to check', async () => {
    const { bytes } = journalOf(3);
    const { host, connects } = session([{ dropAt: 10 }, { failConnect: true }], bytes);
    await assert.rejects(
      host.follow(() => undefined),
      (e: Error) => {
        assert.ok(e instanceof OutcomeUnknownError);
        assert.match(e.message, /outcome is unknown/);
        assert.match(e.message, /Run key: 42-1-abcdef/);
        assert.match(e.message, /Journal: \/srv\/releases\/runs\/odoo18\/42-1-abcdef\.jsonl/);
        assert.match(e.message, /sudo \/srv\/releases\/bin\/seisei-deploy status odoo18/);
        assert.match(e.message, /connection refused/);
        return true;
      },
    );
    assert.ok(connects() >= 3, 'retried with backoff');
  });

  it('retries a follow that exits without a result, then gives up', async () => {
    const { bytes } = journalOf(3);
    const { host } = session([{ exitCode: 1 }], bytes);
    await assert.rejects(
      host.follow(() => undefined),
      /follow exited 1: journal not found/,
    );
  });

  it('on cancellation stops following and says the run continues on the server', async () => {
    const { bytes } = journalOf(3);
    const ac = new AbortController();
    const { host } = session([{ hang: true }], bytes, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(
      host.follow(() => undefined),
      /cancelled: stopped following\. The deploy continues on the server .*Run key: 42-1-abcdef/,
    );
  });
});
