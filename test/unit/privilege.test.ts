// Which executor the action runs (src/privilege.ts): the installed one when it is this build, an
// upload with root-equivalent sudo, and with the narrow rule never an upload: another installed
// build fails with the upgrade command, or runs with executor_mismatch: use-installed when it
// accepts this request format.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REQUEST_FORMAT } from '../../src/common/request.js';
import { chooseExecutor, narrowPreflight, parseInstalledVersion } from '../../src/privilege.js';

const SHA = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const build = { sha256: SHA, version: '1.2.0' };
const where = { root: '/srv', installedPath: '/srv/releases/bin/seisei-deploy', mismatch: 'fail' as const };

describe('chooseExecutor', () => {
  test('root-equivalent sudo: the installed copy when it is this build, else an upload', () => {
    assert.deepEqual(chooseExecutor({ installedSha256: SHA }, build, where).executor, where.installedPath);
    assert.deepEqual(chooseExecutor({ installedSha256: OTHER }, build, where), { direct: false });
    assert.deepEqual(chooseExecutor({}, build, where), { direct: false });
  });

  test('narrow sudo and the same build: the installed file, run directly', () => {
    const c = chooseExecutor({ narrow: true, installedSha256: SHA }, build, where);
    assert.equal(c.executor, where.installedPath);
    assert.equal(c.direct, true);
  });

  test('narrow sudo and another build: fails with the install command, never an upload', () => {
    const server = {
      narrow: true,
      installedSha256: OTHER,
      installed: { version: '1.1.0', request_format: REQUEST_FORMAT },
    };
    assert.throws(
      () => chooseExecutor(server, build, where),
      (e: Error) =>
        /is another build \(version 1\.1\.0/.test(e.message) &&
        e.message.includes('sudo node remote.cjs install --root /srv') &&
        e.message.includes('executor_mismatch: use-installed'),
    );
    const used = chooseExecutor(server, build, { ...where, mismatch: 'use-installed' });
    assert.equal(used.executor, where.installedPath);
    assert.equal(used.direct, true);
  });

  test('use-installed refuses an executor of another request format, or one that does not say', () => {
    const wrong = {
      narrow: true,
      installedSha256: OTHER,
      installed: { version: '9.0.0', request_format: REQUEST_FORMAT + 1 },
    };
    assert.throws(
      () => chooseExecutor(wrong, build, { ...where, mismatch: 'use-installed' }),
      /does not accept this action's request format/,
    );
    const old = { narrow: true, installedSha256: OTHER };
    assert.throws(
      () => chooseExecutor(old, build, { ...where, mismatch: 'use-installed' }),
      /an older version/,
    );
  });

  test('narrow sudo with an unreadable installed file says how to install it', () => {
    assert.throws(
      () => chooseExecutor({ narrow: true }, build, where),
      /cannot be read there: .*install --root \/srv/,
    );
  });
});

test('the preflight lines of narrow mode parse; anything else is "unknown"', () => {
  const v = JSON.stringify({ version: '1.0.0', request_format: 1, node: '20.1.0' });
  assert.deepEqual(narrowPreflight(SHA, v), {
    narrow: true,
    nodeVersion: '',
    dockerVersion: '',
    installedSha256: SHA,
    installed: { version: '1.0.0', request_format: 1 },
  });
  assert.equal(parseInstalledVersion('seisei-deploy: unknown command "version"'), undefined);
  assert.deepEqual(narrowPreflight('not a sha', undefined), {
    narrow: true,
    nodeVersion: '',
    dockerVersion: '',
  });
});
