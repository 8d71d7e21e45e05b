// Two holders of one lock never exist: contenders are real processes that stall inside the lock's
// file operations while a stale lock (its holder dead) is being taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildSync } from 'esbuild';

const exec = promisify(execFile);
const ROUNDS = 6;
const CONTENDERS = 4;

test('contenders racing for a stale lock never hold it at the same time', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seisei-lock-race-'));
  // Bundled once, so each contender starts in milliseconds.
  const script = path.join(dir, 'contender.mjs');
  buildSync({
    entryPoints: [path.resolve(import.meta.dirname, '../support/lock-contender.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'error',
  });
  const reports: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const locks = path.join(dir, `r${round}`, 'locks');
    const markers = path.join(dir, `r${round}`, 'markers');
    mkdirSync(locks, { recursive: true });
    mkdirSync(markers);
    const lock = path.join(locks, 'app.lock');
    writeFileSync(
      lock,
      JSON.stringify({
        pid: 2 ** 22 - 1, // not running: the lock is stale
        start_time: '1',
        hostname: hostname(),
        actor: 'dead',
        run_id: '',
        release: '',
        since: 'then',
      }),
    );
    const runs = Array.from({ length: CONTENDERS }, (_, i) =>
      exec(process.execPath, [script, lock, markers, String(i * 30), '120', '100']),
    );
    for (const r of await Promise.all(runs)) reports.push(`round ${round}: ${r.stdout.trim()}`);
    assert.deepEqual(
      readdirSync(locks).filter((n) => n === 'app.lock' || n.endsWith('.takeover')),
      [],
    );
  }
  assert.deepEqual(
    reports.filter((r) => !r.endsWith('alone')),
    [],
    'two contenders held the lock at once',
  );
  assert.equal(reports.length, ROUNDS * CONTENDERS);
});
