// `follow --offset` takes any byte offset a journal can reach (past 1 GB: more than 9 digits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { byteOffset } from '../../remote/argv/args.js';

const exec = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../remote/cli.ts');

test('byte offsets up to Number.MAX_SAFE_INTEGER are accepted, others refused naming the option', () => {
  assert.equal(byteOffset('--offset', '123456789012'), 123456789012);
  assert.equal(byteOffset('--offset', String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  assert.equal(byteOffset('--offset', '0'), 0);
  for (const bad of [String(Number.MAX_SAFE_INTEGER + 1), '99999999999999999', '-1', '1e3', '', '0x10', ' 1'])
    assert.throws(() => byteOffset('--offset', bad), /--offset must be a whole number of bytes/, bad);
});

test('follow with a 12-digit offset streams from there instead of refusing the option', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'seisei-follow-'));
  const runs = path.join(root, 'releases', 'runs', 'app');
  mkdirSync(runs, { recursive: true });
  writeFileSync(path.join(runs, 'k1.jsonl'), '{"v":1,"ts":"t","type":"log","msg":"before the offset"}\n');
  // The executor that wrote the journal is gone (a pid that cannot be running): follow ends at once.
  writeFileSync(path.join(runs, 'k1.pid'), JSON.stringify({ pid: 2 ** 22 + 1, start_time: '1' }));
  const r = await exec(process.execPath, [
    '--import',
    'tsx',
    cli,
    'follow',
    'app',
    'k1',
    '--offset',
    '100000000000',
    '--root',
    root,
  ]);
  assert.doesNotMatch(r.stdout, /before the offset/);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { type: string; error: string };
  assert.deepEqual([last.type, last.error], ['result', 'executor died']);
});
