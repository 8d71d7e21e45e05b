// `seisei-deploy follow` (remote/cli/follow.ts): streams complete journal lines from an offset until
// the result event, and says "executor died" when the run's process is gone without a result.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEventLine } from '../../common/events.js';
import { follow } from '../../remote/cli/follow.js';
import { executorAlive } from '../../remote/domain/process.js';
import { processStartTime } from '../../remote/domain/process.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('follow-');
let n = 0;

/** A journal path with its pid file beside it, as `run` writes them. */
function journal(): { path: string; pidFile: string } {
  const base = join(dir, `run-${++n}`);
  writeFileSync(`${base}.jsonl`, '');
  return { path: `${base}.jsonl`, pidFile: `${base}.pid` };
}

const line = (o: Record<string, unknown>) => JSON.stringify({ v: 1, ts: 't', ...o }) + '\n';
const step = (name: string) => line({ type: 'step', step: name, status: 'start', msg: '' });
const result = line({ type: 'result', status: 'success', msg: 'done', mode: 'deploy' });

function alivePid(pidFile: string): void {
  writeFileSync(pidFile, JSON.stringify({ pid: process.pid, start_time: processStartTime(process.pid) }));
}

async function deadPid(pidFile: string): Promise<void> {
  const child = spawn('sleep', ['30']);
  const start = processStartTime(child.pid!);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  writeFileSync(pidFile, JSON.stringify({ pid: child.pid, start_time: start }));
}

/** Runs follow, collecting what it writes; `onWrite` may append more to the journal. */
async function collect(
  path: string,
  offset = 0,
  onWrite: (chunks: string[]) => void = () => undefined,
  opts: { startGraceMs?: number } = {},
): Promise<string[]> {
  const chunks: string[] = [];
  await follow(
    path,
    offset,
    (text) => {
      chunks.push(text);
      onWrite(chunks);
    },
    { pollMs: 2, ...opts },
  );
  return chunks;
}

describe('follow', () => {
  it('writes the whole journal and stops at the result event', async () => {
    const j = journal();
    alivePid(j.pidFile);
    writeFileSync(j.path, step('lock') + step('pull') + result + step('after'));
    const out = (await collect(j.path)).join('');
    assert.equal(out, step('lock') + step('pull') + result + step('after'));
  });

  it('starts at the given byte offset, without repeating what was read before', async () => {
    const j = journal();
    alivePid(j.pidFile);
    writeFileSync(j.path, step('lock') + step('pull') + result);
    const out = (await collect(j.path, Buffer.byteLength(step('lock')))).join('');
    assert.equal(out, step('pull') + result);
  });

  it('writes complete lines only, and the rest of a torn line once it is complete', async () => {
    const j = journal();
    alivePid(j.pidFile);
    const torn = step('smoke ✓ ünïcödé');
    const cut = Buffer.from(torn).subarray(0, 20); // inside the line (and before the multi-byte text)
    writeFileSync(j.path, Buffer.concat([Buffer.from(step('lock')), cut]));
    const chunks = await collect(j.path, 0, (seen) => {
      if (seen.length === 1) {
        assert.equal(seen[0], step('lock'), 'the torn line is held back');
        appendFileSync(j.path, Buffer.concat([Buffer.from(torn).subarray(20), Buffer.from(result)]));
      }
    });
    assert.deepEqual(chunks, [step('lock'), torn + result]);
    assert.ok(
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .every((l) => parseEventLine(l)),
    );
  });

  it('keeps following while the executor lives and more arrives', async () => {
    const j = journal();
    alivePid(j.pidFile);
    writeFileSync(j.path, step('lock'));
    const more = [step('pull'), step('up'), result];
    const chunks = await collect(j.path, 0, () => {
      const next = more.shift();
      if (next) appendFileSync(j.path, next);
    });
    assert.deepEqual(chunks, [step('lock'), step('pull'), step('up'), result]);
  });

  it('ends with an "executor died" result when the process is gone without one, after its last lines', async () => {
    const j = journal();
    writeFileSync(j.path, step('lock') + step('pre_deploy'));
    await deadPid(j.pidFile);
    const chunks = await collect(j.path);
    assert.equal(chunks[0], step('lock') + step('pre_deploy'));
    const last = parseEventLine(chunks.at(-1)!.trim());
    assert.ok(last && last.type === 'result');
    assert.equal(last.status, 'failed');
    assert.equal(last.mode, 'unknown');
    assert.equal(last.error, 'executor died');
    assert.match(last.msg, new RegExp(`stopped without a result.*Journal: ${j.path}`));
    assert.equal(chunks.length, 2);
  });

  it('says the executor died when no pid file appears within the start grace', async () => {
    const j = journal();
    const chunks = await collect(j.path, 0, undefined, { startGraceMs: 0 });
    assert.equal(chunks.length, 1);
    assert.equal(parseEventLine(chunks[0]!.trim())?.type, 'result');
    assert.match(chunks[0]!, /"error":"executor died"/);
  });

  it('waits for a run whose pid file is not there yet, within the start grace', async () => {
    const j = journal();
    // The detached run has written neither its pid file nor a line yet; its result comes later.
    const following = collect(j.path, 0, undefined, { startGraceMs: 60_000 });
    setImmediate(() => appendFileSync(j.path, step('lock') + result));
    assert.deepEqual(await following, [step('lock') + result]);
  });
});

describe('executorAlive', () => {
  it('is true for the same process (pid and start time)', () => {
    const j = journal();
    alivePid(j.pidFile);
    assert.equal(executorAlive(j.pidFile), true);
  });

  it('is false for a process that ended and for a pid now used by another process', async () => {
    const j = journal();
    await deadPid(j.pidFile);
    assert.equal(executorAlive(j.pidFile), false);
    writeFileSync(j.pidFile, JSON.stringify({ pid: process.pid, start_time: '1' }));
    assert.equal(executorAlive(j.pidFile), false, 'same pid, other start time: reused');
  });

  it('is true while the pid file is being written (present, not yet readable), false when absent', () => {
    const j = journal();
    writeFileSync(j.pidFile, '{"pid": 12');
    assert.equal(executorAlive(j.pidFile), true);
    assert.equal(executorAlive(join(dir, 'no-such.pid')), false);
  });
});
