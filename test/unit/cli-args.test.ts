// Operator CLI arguments: relative paths taken from the working directory (one rule for every path
// option), and the actor recorded as the sudo caller or the user the command runs as.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultActor, pathArg } from '../../remote/argv/args.js';

const REPO = resolve(import.meta.dirname, '../..');
/** tsx by URL: the CLI runs from directories outside the repository. */
const TSX = import.meta.resolve('tsx');
const base = mkdtempSync(join(tmpdir(), 'cli-args-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** Runs the CLI from the sources in `cwd`, as an operator would from a shell there. */
function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['--import', TSX, join(REPO, 'remote/cli.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, SUDO_USER: '', ...env },
  });
}

const MANIFEST = (tag: string) =>
  JSON.stringify({
    git_sha: 'a'.repeat(40),
    git_sha7: 'aaaaaaa',
    built_at_utc: '2026-01-31T12:00:00Z',
    images: {
      app: { tag, ref: `127.0.0.1:5000/app@sha256:${'1'.repeat(64)}`, digest: `sha256:${'1'.repeat(64)}` },
    },
  });

describe('path options', () => {
  it('a relative path is taken from the working directory; an absolute one is kept', () => {
    assert.equal(pathArg('./m.json', '/home/ops'), '/home/ops/m.json');
    assert.equal(pathArg('../m.json', '/home/ops/x'), '/home/ops/m.json');
    assert.equal(pathArg('-', '/home/ops'), '-'); // stdin stays stdin
    assert.equal(pathArg('/srv', '/home/ops'), '/srv');
    assert.equal(pathArg(undefined, '/home/ops'), undefined);
  });

  it('deploy reads --digest-file ./m.json from the working directory, as verify does', () => {
    const cwd = join(base, 'deploy');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'm.json'), MANIFEST('sha-other'));
    // A manifest for another tag: refused when read, which shows the relative path was accepted and found.
    const r = cli(cwd, [
      'deploy',
      'web',
      'staging',
      'sha-abc',
      '--digest-file',
      './m.json',
      '--root',
      './srv',
    ]);
    assert.equal(r.status, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /absolute path/);
    assert.match(r.stderr, /"sha-other" does not equal the requested image_tag "sha-abc"/);
    const missing = cli(cwd, ['deploy', 'web', 'staging', 'sha-abc', '--digest-file', 'gone.json']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, new RegExp(`${join(cwd, 'gone.json')} cannot be read`));
  });

  it('verify with a relative --root and --digest-file writes under the working directory', () => {
    const cwd = join(base, 'verify');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'm.json'), MANIFEST('sha-abc'));
    const r = cli(cwd, ['verify', 'sha-abc', '--digest-file', 'm.json', '--root', 'srv'], {
      SUDO_USER: 'alice',
    });
    assert.equal(r.status, 0, r.stderr);
    const marker = JSON.parse(readFileSync(join(cwd, 'srv/releases/verified/sha-abc'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(marker.verified_by, 'alice');
    const [rec] = readFileSync(join(cwd, 'srv/releases/deploy_history.log'), 'utf8').trim().split('\n');
    assert.equal((JSON.parse(rec!) as { actor: string }).actor, 'alice');
  });
});

describe('actor of an operator command', () => {
  it('is the sudo caller when SUDO_USER is a user name', () => {
    assert.equal(
      defaultActor({ SUDO_USER: 'alice', USER: 'root' }, () => 'root'),
      'alice',
    );
  });

  it('is the user the process runs as without sudo, even with no USER in the environment', () => {
    assert.equal(
      defaultActor({}, () => 'deploy'),
      'deploy',
    );
    assert.equal(defaultActor({}), userInfo().username);
  });

  it('ignores a SUDO_USER that is not a user name', () => {
    for (const bad of ['', 'a b', 'x;rm -rf /', '-rf', 'a'.repeat(40), 'é'])
      assert.equal(
        defaultActor({ SUDO_USER: bad }, () => 'root'),
        'root',
        JSON.stringify(bad),
      );
  });

  it('is recorded by an operator command run without sudo and without USER', () => {
    const cwd = join(base, 'nouser');
    mkdirSync(cwd, { recursive: true });
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.USER;
    delete env.SUDO_USER;
    const r = spawnSync(
      process.execPath,
      ['--import', TSX, join(REPO, 'remote/cli.ts'), 'verify', 'sha-abc', '--root', join(cwd, 'srv')],
      { cwd, encoding: 'utf8', env },
    );
    assert.equal(r.status, 0, r.stderr);
    const [rec] = readFileSync(join(cwd, 'srv/releases/deploy_history.log'), 'utf8').trim().split('\n');
    assert.equal((JSON.parse(rec!) as { actor: string }).actor, userInfo().username);
  });
});
