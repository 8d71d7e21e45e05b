// The runner `run --detach` spawns before it validates: it runs only what its parent sends on fd 3.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Writable } from 'node:stream';
import { WAITING_RUNNER_COMMAND } from '../../remote/cli/run.js';

const cli = path.resolve(import.meta.dirname, '../../remote/cli.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'seisei-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the waiting runner as its parent does (fd 3 a pipe), sends `order` (if any), ends the pipe. */
function runner(order?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { SUDO_USER: _u, SUDO_UID: _i, SUDO_GID: _g, SUDO_COMMAND: _c, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', cli, WAITING_RUNNER_COMMAND], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  (child.stdio[3] as Writable).end(order ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

test('a waiting runner runs the request its parent names, with every check of run', async () => {
  // A rollback on a root without the release layout: run refuses it (exit 2) and creates nothing.
  const root = path.join(dir, 'no-layout');
  const file = path.join(dir, 'request.json');
  writeFileSync(file, JSON.stringify({ command: 'rollback', stack: 'web', env: 'staging', root }));
  const r = await runner(JSON.stringify({ file, key: 'k1' }) + '\n');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /no release layout under .*no-layout/);
});

test('a waiting runner whose parent sends no order runs nothing and says nothing', async () => {
  for (const order of [undefined, 'not json\n', '{"file": 1}\n']) {
    const r = await runner(order);
    assert.deepEqual(r, { code: 0, stdout: '', stderr: '' }, String(order));
  }
});
