// Option values that look like options: `verify --actor --help` must not turn into a help request
// that exits 0 and writes no marker; the value form `--actor=--help` is refused too (no option value
// may start with '-': remote/argv/untrusted.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, DIGEST, REF, tempRoot } from './ops-fixture.js';

function manifest(root: string, tag: string): string {
  const file = join(root, 'image-digests.json');
  writeFileSync(
    file,
    JSON.stringify({
      git_sha: 'abc1234'.padEnd(40, '0'),
      git_sha7: 'abc1234',
      built_at_utc: '2026-01-31T12:00:00Z',
      images: { app: { tag, ref: REF(1), digest: DIGEST(1) } },
    }),
  );
  return file;
}

test('verify with an actor --help is refused as ambiguous (exit 2) and writes no marker', () => {
  const fx = tempRoot();
  try {
    for (const actor of ['--help', '-h']) {
      const r = cli(fx.root, [
        'verify',
        'sha-1',
        '--digest-file',
        manifest(fx.root, 'sha-1'),
        '--actor',
        actor,
      ]);
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /Option '--actor' argument is ambiguous[\s\S]*use '--actor=-XYZ'/);
      assert.equal(existsSync(fx.l.marker('sha-1')), false);
    }
  } finally {
    fx.dispose();
  }
});

test('verify --actor=--help is refused (an option value may not start with -) and writes no marker', () => {
  const fx = tempRoot();
  try {
    const r = cli(fx.root, [
      'verify',
      'sha-2',
      '--digest-file',
      manifest(fx.root, 'sha-2'),
      '--actor=--help',
    ]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--actor/);
    assert.equal(existsSync(fx.l.marker('sha-2')), false);
  } finally {
    fx.dispose();
  }
});

test('a real --help prints the usage, exits 0 and does nothing', () => {
  const fx = tempRoot();
  try {
    const r = cli(fx.root, ['verify', 'sha-3', '--digest-file', manifest(fx.root, 'sha-3'), '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /usage: seisei-deploy verify <image_tag>/);
    assert.equal(existsSync(fx.l.marker('sha-3')), false);
  } finally {
    fx.dispose();
  }
});
