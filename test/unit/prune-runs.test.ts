import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layout } from '../../common/layout.js';
import { pruneRuns, RUN_JOURNAL_DAYS } from '../../remote/domain/retention.js';
import { tempDir } from './helpers/temp.js';

test('run journals and staged inputs older than the retention period go; newer ones and other stacks stay', () => {
  const l = layout(tempDir('runs-'));
  const old = (Date.now() - (RUN_JOURNAL_DAYS + 1) * 86400_000) / 1000;
  for (const stack of ['web', 'db']) {
    mkdirSync(join(l.runsDir(stack), 'k1.inputs'), { recursive: true });
    for (const f of ['k1.jsonl', 'k1.pid', 'k2.jsonl']) writeFileSync(join(l.runsDir(stack), f), '{}\n');
    for (const f of ['k1.jsonl', 'k1.pid', 'k1.inputs']) utimesSync(join(l.runsDir(stack), f), old, old);
  }
  assert.equal(pruneRuns(l, 'web'), 3);
  assert.deepEqual(readdirSync(l.runsDir('web')), ['k2.jsonl']);
  assert.equal(readdirSync(l.runsDir('db')).length, 4);
  assert.equal(pruneRuns(l, 'missing'), 0);
});
