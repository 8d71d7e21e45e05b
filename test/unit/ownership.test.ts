// Which paths the executor trusts as root (remote/ownership.ts), which files it reads for a sudo
// caller (remote/caller.ts), and option values that look like options (remote/argv/untrusted.ts),
// on real files with real owners (the tests run as root; "another user" is nobody, uid 65534).
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { isStagedRequest, readAsCaller, sudoCaller } from '../../remote/caller.js';
import { refuseOptionLikeValues } from '../../remote/argv/untrusted.js';
import { DeployError } from '../../remote/errors.js';
import { checkRootOwnedPath, checkRootOwnedTree, checkTrustedRoot } from '../../remote/ownership.js';

const NOBODY = { uid: 65534, gid: 65534, user: 'nobody' };
const isRoot = process.geteuid?.() === 0;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seisei-ownership-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The DeployError message of `fn`, which must throw one with exit code 2. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DeployError, String(err));
    assert.equal(err.code, 2);
    return err.message;
  }
  assert.fail('expected a refusal');
}

describe('root-owned paths', { skip: !isRoot && 'needs root' }, () => {
  test('a temp dir under sticky /tmp passes, and so do missing paths below it', () => {
    checkRootOwnedPath(join(dir, 'srv', 'releases'), '--root');
    checkTrustedRoot(join(dir, 'srv'), 'app');
  });

  test('a directory owned by another user is refused, naming it and the fix', () => {
    mkdirSync(join(dir, 'home', 'srv'), { recursive: true });
    chownSync(join(dir, 'home'), NOBODY.uid, NOBODY.gid);
    const msg = refusal(() => checkRootOwnedPath(join(dir, 'home', 'srv'), '--root'));
    assert.match(msg, new RegExp(`^--root: ${dir}/home is owned by uid 65534, not root`));
    assert.ok(msg.includes(`chown root:root ${dir}/home; chmod go-w ${dir}/home`), msg);
  });

  test('group- or world-writable is refused; a sticky world-writable final directory too', () => {
    mkdirSync(join(dir, 'g'));
    chmodSync(join(dir, 'g'), 0o775);
    assert.match(
      refusal(() => checkRootOwnedPath(join(dir, 'g'), 'f')),
      /is writable by its group \(mode 775\)/,
    );
    mkdirSync(join(dir, 't'));
    chmodSync(join(dir, 't'), 0o1777);
    assert.match(
      refusal(() => checkRootOwnedPath(join(dir, 't'), 'f')),
      /writable by its group and others/,
    );
    checkRootOwnedPath(join(dir, 't', 'below'), 'f'); // as an ancestor, sticky and root's is fine
  });

  test('a symlink is followed only when root owns it, and its target is checked', () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    chownSync(other, NOBODY.uid, NOBODY.gid);
    symlinkSync(other, join(dir, 'rootlink'));
    assert.match(
      refusal(() => checkRootOwnedPath(join(dir, 'rootlink', 'x'), 'f')),
      /other is owned by uid 65534/,
    );
    mkdirSync(join(dir, 'ok'));
    symlinkSync(join(dir, 'ok'), join(dir, 'good'));
    checkRootOwnedPath(join(dir, 'good', 'x'), 'f');
    symlinkSync(join(dir, 'ok'), join(dir, 'userlink'));
    lchownSync(join(dir, 'userlink'), NOBODY.uid, NOBODY.gid);
    assert.match(
      refusal(() => checkRootOwnedPath(join(dir, 'userlink'), 'f')),
      /is a symlink owned by uid 65534/,
    );
  });

  test('a stack tree with one file another user owns, or one writable file, is refused', () => {
    const stack = join(dir, 'stacks', 'app');
    mkdirSync(join(stack, 'config'), { recursive: true });
    writeFileSync(join(stack, 'docker-compose.yml'), 'services: {}\n');
    writeFileSync(join(stack, 'config', 'hook.sh'), 'true\n');
    checkRootOwnedTree(stack, '--source');
    chmodSync(join(stack, 'config', 'hook.sh'), 0o666);
    assert.match(
      refusal(() => checkRootOwnedTree(stack, '--source')),
      /hook\.sh is writable by its group and others/,
    );
    chmodSync(join(stack, 'config', 'hook.sh'), 0o644);
    chownSync(join(stack, 'docker-compose.yml'), NOBODY.uid, NOBODY.gid);
    assert.match(
      refusal(() => checkRootOwnedTree(stack, '--source')),
      /docker-compose\.yml is owned by uid 65534/,
    );
  });
});

describe('files read for a sudo caller', { skip: !isRoot && 'needs root' }, () => {
  test('a root-only file cannot be read, and the error holds no content', () => {
    writeFileSync(join(dir, 'secret'), 'TOP-SECRET\n', { mode: 0o600 });
    chmodSync(dir, 0o755);
    const msg = refusal(() => readAsCaller(join(dir, 'secret'), '--digest-file', NOBODY));
    assert.match(msg, /cannot be read by nobody: .*Permission denied/);
    assert.ok(!msg.includes('TOP-SECRET'));
  });

  test("the caller's own file is read", () => {
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'mine'), '{"a":1}', { mode: 0o600 });
    chownSync(join(dir, 'mine'), NOBODY.uid, NOBODY.gid);
    assert.equal(readAsCaller(join(dir, 'mine'), 'f', NOBODY), '{"a":1}');
  });

  test('SUDO_UID of a non-root user makes a caller; none or 0 does not', () => {
    assert.deepEqual(sudoCaller({ SUDO_UID: '1001', SUDO_GID: '1002', SUDO_USER: 'deploy' }), {
      uid: 1001,
      gid: 1002,
      user: 'deploy',
    });
    assert.equal(sudoCaller({ SUDO_UID: '0' }), undefined);
    assert.equal(sudoCaller({}), undefined);
    assert.equal(sudoCaller({ SUDO_UID: '1001; rm' }), undefined);
  });

  test('only a request the executor staged, root-owned, counts as staged', () => {
    const inputs = join(dir, 'srv', 'releases', 'runs', 'app', 'k1.inputs');
    mkdirSync(inputs, { recursive: true });
    writeFileSync(join(inputs, 'request.json'), '{}');
    assert.equal(isStagedRequest(join(inputs, 'request.json')), true);
    assert.equal(isStagedRequest('/etc/shadow'), false);
    chownSync(inputs, NOBODY.uid, NOBODY.gid);
    assert.equal(isStagedRequest(join(inputs, 'request.json')), false);
  });
});

test('option values that start with a dash are refused; "-" (stdin) is not', () => {
  assert.match(
    refusal(() => refuseOptionLikeValues('status', { root: '--help' }, 'usage')),
    /the value of --root starts with '-'/,
  );
  refuseOptionLikeValues('verify', { 'digest-file': '-', json: true, root: '/srv' }, 'usage');
});
