// Which releases on disk count as succeeded, read from the end of the history without going
// through all of it when a failed release is left on disk (issue 7, scale).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync } from 'node:fs';
import type { HistoryRecord } from '../../remote/domain/history.js';
import { layout } from '../../common/layout.js';
import { succeededIds } from '../../remote/domain/releases.js';
import { tempDir } from './helpers/temp.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function setup() {
  const l = layout(tempDir('succeeded-'));
  mkdirSync(l.releasesDir, { recursive: true });
  const add = (
    minute: number,
    release_id: string,
    status: HistoryRecord['status'] = 'success',
    more: Partial<HistoryRecord> = {},
  ) =>
    appendFileSync(
      l.history,
      JSON.stringify({
        ts: new Date(T0 + minute * 60_000).toISOString(),
        stack: 'web',
        env: 'staging',
        mode: 'deploy',
        status,
        release_id,
        duration_ms: 20_000,
        ...more,
      }) + '\n',
    );
  return { l, add };
}

test('a failed deploy settles its release: older lines are not read', () => {
  const { l, add } = setup();
  // Impossible in a real history (a success long before its own deploy ran): here it shows
  // that the reader stopped before reaching it.
  add(0, 'r-failed');
  for (let i = 1; i <= 500; i++) add(i, `old-${i}`, 'success', { stack: i % 2 ? 'web' : 'db' });
  add(600, 'r-good');
  add(700, 'r-failed', 'failed');
  add(701, 'other', 'success', { stack: 'db' });
  assert.deepEqual([...succeededIds(l, 'web', ['r-good', 'r-failed'])].sort(), ['r-good']);
});

test('a success recorded before a failure of the same run still counts', () => {
  const { l, add } = setup();
  add(0, 'r-prev');
  add(10, 'r-live'); // the deploy recorded its success...
  add(10.1, 'r-live', 'failed', { duration_ms: 26_000 }); // ...then failed in its cleanup step
  add(20, 'r-next');
  assert.deepEqual([...succeededIds(l, 'web', ['r-prev', 'r-live', 'r-next'])].sort(), [
    'r-live',
    'r-next',
    'r-prev',
  ]);
});

test('rolled back and unrecorded releases do not count; successes of other stacks do not either', () => {
  const { l, add } = setup();
  add(0, 'r-crashed', 'success', { stack: 'db' });
  add(1, 'r-ok');
  add(2, 'r-bad', 'rolled_back');
  add(3, 'r-ok', 'success', { mode: 'auto-rollback' });
  assert.deepEqual([...succeededIds(l, 'web', ['r-ok', 'r-bad', 'r-crashed'])], ['r-ok']);
  assert.deepEqual([...succeededIds(l, 'web', [])], []);
});
