import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../../remote/domain/lock.js';
import { processStartTime } from '../../remote/domain/process.js';
import { Reporter } from '../../remote/report.js';
import { tempDir } from './helpers/temp.js';

const quiet = () => {
  const lines: string[] = [];
  return { lines, report: new Reporter(undefined, true, (l) => lines.push(l)) };
};
const who = { actor: 'alice', run_id: '42', release: 'r1' };

test('a second acquirer waits, then times out naming the holder', async () => {
  const path = join(tempDir('lock-'), 'x.lock');
  const a = await acquireLock(path, who, 1, quiet().report);
  const waiter = quiet();
  await assert.rejects(
    acquireLock(path, { ...who, actor: 'bob' }, 1, waiter.report),
    (e: Error) =>
      e.message.includes(`pid ${process.pid}`) &&
      e.message.includes('actor alice') &&
      e.message.includes('run 42') &&
      e.message.includes('waited 1 s'),
  );
  assert.ok(
    waiter.lines.some(
      (line) => line.includes('waiting up to 1 s for the lock held by') && line.includes('actor alice'),
    ),
    'the waiter said whom it waited for before giving up',
  );
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).actor, 'alice', 'the holder kept its lock');
  a.release();
  assert.equal(existsSync(path), false);
  const b = await acquireLock(path, who, 1, quiet().report);
  b.release();
});

test('the waiter gets the lock as soon as the holder releases it', async () => {
  const path = join(tempDir('lock-'), 'x.lock');
  const a = await acquireLock(path, who, 1, quiet().report);
  const waiter = quiet();
  const waiting = acquireLock(path, { ...who, actor: 'bob' }, 30, waiter.report);
  // Release once the waiter has found the lock taken (its first wait message), not after a delay.
  const said = () => waiter.lines.some((line) => line.includes('waiting up to 30 s'));
  for (let i = 0; !said() && i < 10_000; i++) await new Promise((r) => setImmediate(r));
  assert.ok(said(), 'the waiter found the lock taken');
  a.release();
  const b = await waiting;
  const onDisk = JSON.parse(readFileSync(path, 'utf8'));
  assert.deepEqual([onDisk.actor, onDisk.since], ['bob', b.holder.since]);
  b.release();
  assert.equal(existsSync(path), false);
});

test('a lock left by a dead process is taken over and said so', async () => {
  const path = join(tempDir('lock-'), 'x.lock');
  const child = spawn('sleep', ['10']);
  const pid = child.pid!;
  const start = processStartTime(pid)!;
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  writeFileSync(
    path,
    JSON.stringify({
      pid,
      start_time: start,
      hostname: hostname(),
      actor: 'ghost',
      run_id: '1',
      release: 'x',
      since: 'then',
    }),
  );
  const q = quiet();
  const l = await acquireLock(path, who, 1, q.report);
  assert.ok(q.lines.some((line) => line.includes('took over a stale lock') && line.includes('actor ghost')));
  l.release();
});

test('a pid reused by another process (different start time) counts as dead', async () => {
  const path = join(tempDir('lock-'), 'x.lock');
  writeFileSync(
    path,
    JSON.stringify({
      pid: process.pid,
      start_time: '1',
      hostname: hostname(),
      actor: 'old',
      run_id: '',
      release: '',
      since: '',
    }),
  );
  const l = await acquireLock(path, who, 1, quiet().report);
  assert.equal(l.holder.pid, process.pid);
  l.release();
});

const deadHolder = (actor: string) => ({
  pid: 2 ** 22 - 1, // not a running process
  start_time: '1',
  hostname: hostname(),
  actor,
  run_id: '',
  release: '',
  since: 'then',
});

test('a takeover mutex left by a taker that died inside it is broken, and the stale lock still taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const path = join(dir, 'x.lock');
  writeFileSync(path, JSON.stringify(deadHolder('ghost')));
  const mutex = `${path}.takeover`;
  mkdirSync(mutex);
  const owner = { pid: 2 ** 22 - 2, start_time: '1', hostname: hostname(), nonce: 'abc', since: 'then' };
  writeFileSync(join(mutex, 'owner'), JSON.stringify(owner));
  const old = new Date(Date.now() - 60_000);
  utimesSync(mutex, old, old);
  const q = quiet();
  const l = await acquireLock(path, who, 5, q.report);
  assert.ok(q.lines.some((line) => line.includes('takeover mutex left by a dead process (pid 4194302')));
  assert.ok(q.lines.some((line) => line.includes('took over a stale lock') && line.includes('actor ghost')));
  assert.equal(existsSync(mutex), false);
  assert.ok(existsSync(`${mutex}.dead-${owner.pid}-1-abc`), 'the broken mutex stays as a tombstone');
  l.release();
});

test('a takeover mutex whose owner is alive is waited for, not broken', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const path = join(dir, 'x.lock');
  writeFileSync(path, JSON.stringify(deadHolder('ghost')));
  const mutex = `${path}.takeover`;
  mkdirSync(mutex);
  const me = {
    pid: process.pid,
    start_time: processStartTime(process.pid),
    hostname: hostname(),
    nonce: 'live',
    since: 'now',
  };
  writeFileSync(join(mutex, 'owner'), JSON.stringify(me));
  const old = new Date(Date.now() - 60_000);
  utimesSync(mutex, old, old);
  await assert.rejects(acquireLock(path, who, 1, quiet().report), /locked by another run .*actor ghost/);
  assert.equal(JSON.parse(readFileSync(join(mutex, 'owner'), 'utf8')).nonce, 'live');
});

test('a lock that is a symlink is never followed: its target is neither read as the holder nor removed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const path = join(dir, 'x.lock');
  const target = join(dir, 'elsewhere.json');
  // A live-looking holder behind the link: followed, it would block the stack for the whole timeout.
  const content = JSON.stringify({
    ...deadHolder('linked'),
    pid: process.pid,
    start_time: processStartTime(process.pid),
  });
  writeFileSync(target, content);
  symlinkSync(target, path);
  const old = new Date(Date.now() - 60_000);
  lutimesSync(path, old, old);
  const q = quiet();
  const l = await acquireLock(path, who, 3, q.report);
  assert.equal(lstatSync(path).isSymbolicLink(), false);
  assert.equal(readFileSync(target, 'utf8'), content);
  assert.ok(!q.lines.some((line) => line.includes('actor linked')));
  l.release();
});
