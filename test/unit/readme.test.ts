// The README contract: two commands first, the same test command as CI, and an inputs/outputs
// table that matches action.yml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inputsTables } from '../../scripts/inputs-table.mjs';

const readme = readFileSync('README.md', 'utf8');

test('the README opens with one shell block of exactly two commands: the demo, then the tests', () => {
  const first = /```(\w*)\n([\s\S]*?)```/.exec(readme);
  assert.ok(first, 'a code block');
  assert.equal(first[1], 'sh');
  assert.deepEqual((first[2] ?? '').trim().split('\n'), ['npm ci && npm run demo', 'npm ci && npm test']);
  assert.ok(readme.indexOf(first[0]) < readme.indexOf('\n## '), 'before any section');
});

test('.ci/run runs the README test command', () => {
  assert.match(readFileSync('.ci/run', 'utf8'), /^npm ci && npm test$/m);
});

/** Table rows as trimmed cells, so column padding (prettier aligns tables) does not matter. */
const rows = (table: string) =>
  table
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim()),
    );

test('the inputs and outputs tables match action.yml', () => {
  const block = /<!-- inputs-table:start[^>]*-->\n([\s\S]*?)\n<!-- inputs-table:end -->/.exec(readme);
  assert.ok(block, 'the generated block is present');
  assert.deepEqual(
    rows(block[1] ?? ''),
    rows(inputsTables()),
    'regenerate with: node scripts/inputs-table.mjs',
  );
});

test('the table check is not a no-op: a changed action.yml no longer matches', () => {
  const action = readFileSync('action.yml', 'utf8');
  const changed = action.replace(/^ {2}mode:\n/m, '  mode_renamed:\n');
  assert.notDeepEqual(rows(inputsTables(changed)), rows(inputsTables(action)));
});
