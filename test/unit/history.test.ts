import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendHistory, recentRecords, type HistoryRecord } from '../../remote/domain/history.js';
import { tempDir } from './helpers/temp.js';

const rec = (i: number, stack = 'web'): HistoryRecord => ({
  ts: `t${i}`,
  stack,
  env: 'staging',
  mode: 'deploy',
  status: 'success',
  release_id: `r${i}`,
  image_tag: 't',
  image_ref: '',
  image_digest: '',
  previous_release_id: '',
  actor: 'a',
  run_id: '',
  break_glass: false,
  break_glass_reason: '',
  duration_ms: 1,
  error: '',
});

test('a torn last line is skipped by readers and the next append starts on its own line', () => {
  const path = join(tempDir('hist-'), 'h.log');
  appendHistory(path, rec(1));
  appendFileSync(path, '{"ts":"t2","stack":"web","env":"stag'); // crash mid-write
  assert.deepEqual(
    recentRecords(path, { limit: 5 }).map((r) => r.release_id),
    ['r1'],
  );
  appendHistory(path, rec(3));
  assert.deepEqual(
    recentRecords(path, { limit: 5 }).map((r) => r.release_id),
    ['r3', 'r1'],
  );
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.length, 4); // r1, torn, r3, and the empty string after the final newline
});

test('reading from the end across chunk boundaries, filtered by stack', () => {
  const path = join(tempDir('hist-'), 'h.log');
  for (let i = 0; i < 3000; i++) appendFileSync(path, JSON.stringify(rec(i, i % 3 ? 'web' : 'db')) + '\n');
  const got = recentRecords(path, { stack: 'db', limit: 3 }).map((r) => r.release_id);
  assert.deepEqual(got, ['r2997', 'r2994', 'r2991']);
  assert.deepEqual(recentRecords(join(tmpdir(), 'missing-file-xyz'), { limit: 3 }), []);
});
