// dist/ is committed and rebuilt by CI in a checkout elsewhere: nothing in it may name this one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/node.js';

test('no file of dist/ contains the absolute path of the checkout it was built in', () => {
  const dist = path.join(REPO_ROOT, 'dist');
  const files = readdirSync(dist, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
  assert.ok(files.some((f) => f.endsWith('remote.cjs')) && files.some((f) => f.endsWith('index.js')));
  const naming = files.filter((f) => readFileSync(f, 'utf8').includes(REPO_ROOT));
  assert.deepEqual(naming, []);
});
