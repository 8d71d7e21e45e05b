// Which executor the action runs (src/privilege.ts): with root-equivalent sudo the installed one
// when root alone can change it and it is this very build, else an upload; with the narrow rule
// never an upload: another installed build fails with the upgrade command, or runs with
// executor_mismatch: use-installed when it accepts this request format.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REQUEST_FORMAT } from '../../common/request.js';
import { chooseExecutor } from '../../src/host/executor.js';
import { parseInstalledVersion, type InstalledExecutorInfo } from '../../src/ssh/installed-executor.js';

const SHA = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const path = '/srv/releases/bin/seisei-deploy';
const build = { sha256: SHA, version: '1.2.0' };
const where = { root: '/srv', mismatch: 'fail' as const };
const ok = (sha256: string): InstalledExecutorInfo => ({ path, state: 'ok', sha256 });

describe('chooseExecutor with root-equivalent sudo', () => {
  test('the installed copy when it is trusted and this very build', () => {
    const c = chooseExecutor({ installed: ok(SHA) }, build, where);
    assert.deepEqual(c, {
      executor: path,
      direct: false,
      sameBuild: true,
      warn: false,
      note: `Using the executor installed at ${path} (same build as this action)`,
    });
  });

  test('an upload for another build, none installed, or one that cannot be looked at', () => {
    for (const installed of [
      ok(OTHER),
      { path, state: 'absent' } as const,
      { path, state: 'unknown', reason: 'no answer' } as const,
      undefined,
    ]) {
      const c = chooseExecutor({ installed }, build, where);
      // An upload is this build: it knows `run --detach --follow`.
      assert.deepEqual(
        [c.executor, c.direct, c.warn, c.sameBuild],
        [undefined, false, false, true],
        JSON.stringify(installed),
      );
    }
  });

  test('an upload with a warning when someone other than root could change the installed one', () => {
    const c = chooseExecutor(
      { installed: { path, state: 'untrusted', reason: 'x is owned by uid 1000' } },
      build,
      where,
    );
    assert.deepEqual([c.executor, c.warn], [undefined, true]);
    assert.match(c.note, /owned by uid 1000/);
  });
});

describe('chooseExecutor with narrow sudo', () => {
  test('the same build: the installed file, run directly', () => {
    const c = chooseExecutor({ narrow: true, installed: ok(SHA) }, build, where);
    assert.deepEqual([c.executor, c.direct, c.sameBuild], [path, true, true]);
  });

  test('another build: fails with the install command, never an upload', () => {
    const server = {
      narrow: true,
      installed: ok(OTHER),
      installedVersion: { version: '1.1.0', request_format: REQUEST_FORMAT },
    };
    assert.throws(
      () => chooseExecutor(server, build, where),
      (e: Error) =>
        /is another build \(version 1\.1\.0/.test(e.message) &&
        e.message.includes('sudo node remote.cjs install --root /srv') &&
        e.message.includes('executor_mismatch: use-installed'),
    );
    const used = chooseExecutor(server, build, { ...where, mismatch: 'use-installed' });
    // Another build may not know `run --detach --follow`: the run starts and is followed apart.
    assert.deepEqual([used.executor, used.direct, used.sameBuild], [path, true, false]);
  });

  test('use-installed refuses an executor of another request format, or one that does not say', () => {
    const wrong = {
      narrow: true,
      installed: ok(OTHER),
      installedVersion: { version: '9.0.0', request_format: REQUEST_FORMAT + 1 },
    };
    assert.throws(
      () => chooseExecutor(wrong, build, { ...where, mismatch: 'use-installed' }),
      /does not accept this action's request format/,
    );
    assert.throws(
      () =>
        chooseExecutor({ narrow: true, installed: ok(OTHER) }, build, {
          ...where,
          mismatch: 'use-installed',
        }),
      /an older version/,
    );
  });

  test('an unreadable or untrusted installed file says how to install it', () => {
    assert.throws(
      () => chooseExecutor({ narrow: true }, build, where),
      /cannot be read there: .*install --root \/srv/,
    );
    assert.throws(
      () =>
        chooseExecutor({ narrow: true, installed: { path, state: 'untrusted', reason: 'r' } }, build, where),
      /is not trustworthy \(r\): .*install --root \/srv/,
    );
  });
});

test("the installed executor's version --json parses; anything else is unknown", () => {
  const v = JSON.stringify({ version: '1.0.0', request_format: 1, node: '20.1.0' });
  assert.deepEqual(parseInstalledVersion(v), { version: '1.0.0', request_format: 1 });
  assert.equal(parseInstalledVersion('seisei-deploy: unknown command "version"'), undefined);
  assert.equal(parseInstalledVersion(undefined), undefined);
});
