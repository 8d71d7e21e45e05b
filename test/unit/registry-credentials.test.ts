// The run's private DOCKER_CONFIG and password file, on real files: made and removed only where
// the executor owns the directory, never through a link, and an operator's password file stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { privateDockerConfig, takePassword } from '../../remote/registry-credentials.js';

const DEAD = (() => {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = max - 1; pid > 1; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free pid');
})();

test('the private config is a new 0700 dir in the runs dir; dead runs leftovers there go, links in them are not followed', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'creds-'));
  try {
    const runs = path.join(base, 'runs', 'web');
    const victim = path.join(base, 'victim');
    mkdirSync(victim);
    writeFileSync(path.join(victim, 'keep'), 'keep\n');
    const left = path.join(runs, `docker-config-${DEAD}-1`);
    mkdirSync(path.join(left, 'inner'), { recursive: true });
    writeFileSync(path.join(left, 'config.json'), '{"auths":{}}');
    symlinkSync(victim, path.join(left, 'inner', 'victim'));
    symlinkSync(victim, path.join(runs, `docker-config-${DEAD}-2`)); // a leftover name that is a link
    writeFileSync(path.join(runs, 'k1.jsonl'), '{}\n');
    const priv = privateDockerConfig(runs);
    assert.equal(path.dirname(priv.dir), runs);
    assert.equal(statSync(priv.dir).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(runs).sort(), [path.basename(priv.dir), 'k1.jsonl'].sort());
    assert.equal(readFileSync(path.join(victim, 'keep'), 'utf8'), 'keep\n', 'the victim is untouched');
    priv.dispose();
    assert.deepEqual(readdirSync(runs), ['k1.jsonl']);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a runs dir that others can write to, or that is a link, is refused', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'creds-'));
  try {
    const open = path.join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.throws(
      () => privateDockerConfig(open),
      /open must be a directory owned by .* that no one else can write to/,
    );
    const link = path.join(base, 'link');
    mkdirSync(path.join(base, 'real'));
    symlinkSync(path.join(base, 'real'), link);
    assert.throws(() => privateDockerConfig(link), /link must be a directory owned by/);
    assert.deepEqual(readdirSync(path.join(base, 'real')), [], 'nothing made through the link');
    assert.ok(lstatSync(link).isSymbolicLink());
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("an operator's password file is read and kept; the staged one is deleted", () => {
  const base = mkdtempSync(path.join(tmpdir(), 'creds-'));
  try {
    const file = path.join(base, 'pw');
    writeFileSync(file, 'secret\n', { mode: 0o600 });
    assert.equal(takePassword(file, false), 'secret');
    assert.equal(readFileSync(file, 'utf8'), 'secret\n');
    assert.equal(takePassword(file, true), 'secret');
    assert.equal(existsSync(file), false);
    assert.throws(() => takePassword(file, false), /registry password file .* cannot be read/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
