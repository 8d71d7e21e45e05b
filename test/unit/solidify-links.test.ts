// Links in a stack source, on real files: freezing a release never writes through a link, never
// copies one that leads outside the stack directory, and refuses a stack directory that is a link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { layout } from '../../remote/layout.js';
import { solidify } from '../../remote/steps/solidify.js';

const COMPOSE = 'services:\n  app:\n    image: ${IMAGE_REF}\n';
const REF = `registry.test/app@sha256:${'a'.repeat(64)}`;

/** A server root and a stack source `<src>/web` with a compose file, a .env and config/app.conf. */
function world() {
  const base = mkdtempSync(path.join(tmpdir(), 'solidify-links-'));
  const l = layout(path.join(base, 'srv'));
  const source = path.join(base, 'stacks', 'web');
  mkdirSync(path.join(source, 'config'), { recursive: true });
  writeFileSync(path.join(source, 'docker-compose.yml'), COMPOSE);
  writeFileSync(path.join(source, '.env'), 'APP_PORT=8080\nIMAGE_REF=placeholder\n');
  writeFileSync(path.join(source, 'config', 'app.conf'), 'greeting = hello\n');
  let n = 0;
  const freeze = (dir = source) =>
    solidify(l, dir, {
      stack: 'web',
      env: 'staging',
      release_id: `sha-1__20260101T00000${n++}Z`,
      image_tag: 'sha-1',
      images: { IMAGE_REF: { name: 'app', ref: REF, digest: REF.split('@')[1]! } },
      git_sha: 'f'.repeat(40),
    });
  const releases = () =>
    existsSync(l.stackReleases('web')) ? readdirSync(l.stackReleases('web')) : ([] as string[]);
  return { base, l, source, freeze, releases, done: () => rmSync(base, { recursive: true, force: true }) };
}

test('a .env that links to a secrets file outside the stack directory is refused and the file is unchanged', () => {
  const w = world();
  try {
    const secrets = path.join(w.base, 'secrets.env');
    writeFileSync(secrets, 'DB_PASSWORD=hunter2\n', { mode: 0o600 });
    rmSync(path.join(w.source, '.env'));
    symlinkSync(secrets, path.join(w.source, '.env'));
    assert.throws(w.freeze, /stack source .*\/web\/\.env must be a regular file, not a symbolic link/);
    assert.equal(readFileSync(secrets, 'utf8'), 'DB_PASSWORD=hunter2\n');
    assert.deepEqual(w.releases(), [], 'no release and no temp dir');
  } finally {
    w.done();
  }
});

test('a relative link escaping the stack directory (../../x) is refused by name and nothing is created beside the releases', () => {
  const w = world();
  try {
    symlinkSync('../../x', path.join(w.source, 'config', 'escape'));
    assert.throws(
      w.freeze,
      /stack source .*\/web\/config\/escape is a symbolic link to "\.\.\/\.\.\/x", which leads outside the stack directory/,
    );
    assert.deepEqual(w.releases(), []);
    assert.equal(existsSync(path.join(w.base, 'x')), false);
    assert.equal(existsSync(path.join(w.l.stackReleases('web'), 'x')), false);
  } finally {
    w.done();
  }
});

test('a stack directory that is itself a link is refused', () => {
  const w = world();
  try {
    const link = path.join(w.base, 'stacks', 'web-link');
    symlinkSync(w.source, link);
    assert.throws(() => w.freeze(link), /web-link must be a directory, not a symbolic link/);
    assert.deepEqual(w.releases(), []);
  } finally {
    w.done();
  }
});

test('a .env linked to an arbitrary path (/tmp/victim) is refused: the victim is neither created nor appended to', () => {
  const w = world();
  const victim = path.join(tmpdir(), `victim-${process.pid}-${Date.now()}`);
  try {
    rmSync(path.join(w.source, '.env'));
    symlinkSync(victim, path.join(w.source, '.env'));
    assert.throws(w.freeze, /web\/\.env must be a regular file, not a symbolic link/);
    assert.equal(existsSync(victim), false, 'not created');
    writeFileSync(victim, 'untouched\n');
    assert.throws(w.freeze, /web\/\.env must be a regular file/);
    assert.equal(readFileSync(victim, 'utf8'), 'untouched\n', 'not appended to');
    rmSync(path.join(w.source, '.env'));
    writeFileSync(path.join(w.source, '.env'), 'IMAGE_REF=placeholder\n');
    symlinkSync(victim, path.join(w.source, 'log.txt'));
    assert.throws(w.freeze, /web\/log\.txt is a symbolic link to ".*victim.*", which leads outside/);
    assert.deepEqual(w.releases(), []);
  } finally {
    rmSync(victim, { force: true });
    w.done();
  }
});

test('links that stay inside the tree each way but leave it together (a -> ., b -> a/../x) are refused', () => {
  const w = world();
  try {
    symlinkSync('.', path.join(w.source, 'config', 'here'));
    symlinkSync('here/../../outside', path.join(w.source, 'config', 'away'));
    assert.throws(w.freeze, /config\/away is a symbolic link to "here\/\.\.\/\.\.\/outside", which/);
    assert.deepEqual(w.releases(), []);
  } finally {
    w.done();
  }
});

test('links staying inside the tree are kept as relative links; the release .env is a new file', () => {
  const w = world();
  try {
    symlinkSync('config/app.conf', path.join(w.source, 'app.conf'));
    symlinkSync(path.join(w.source, 'config'), path.join(w.source, 'settings')); // absolute, inside
    const r = w.freeze();
    assert.equal(readlinkSync(path.join(r.dir, 'app.conf')), 'config/app.conf');
    assert.equal(readlinkSync(path.join(r.dir, 'settings')), 'config');
    assert.equal(readFileSync(path.join(r.dir, 'settings', 'app.conf'), 'utf8'), 'greeting = hello\n');
    assert.ok(lstatSync(path.join(r.dir, '.env')).isFile());
    assert.match(readFileSync(path.join(r.dir, '.env'), 'utf8'), new RegExp(`IMAGE_REF=${REF}`));
    assert.equal(
      readFileSync(path.join(w.source, '.env'), 'utf8'),
      'APP_PORT=8080\nIMAGE_REF=placeholder\n',
      'the source .env is not written',
    );
  } finally {
    w.done();
  }
});

test('a setuid file in the stack source loses its setuid bit in the root-owned release', () => {
  const w = world();
  try {
    writeFileSync(path.join(w.source, 'tool'), '#!/bin/sh\n', { mode: 0o4755 });
    const r = w.freeze();
    assert.equal(statSync(path.join(r.dir, 'tool')).mode & 0o7777, 0o755);
  } finally {
    w.done();
  }
});

test('a named pipe in the stack source is refused by name instead of hanging the copy', () => {
  const w = world();
  try {
    const fifo = path.join(w.source, 'pipe');
    const made = spawnSync('mkfifo', [fifo]).status;
    assert.equal(made, 0, 'mkfifo');
    assert.throws(w.freeze, /stack source .*\/web\/pipe is a named pipe/);
    assert.deepEqual(w.releases(), []);
  } finally {
    w.done();
  }
});
