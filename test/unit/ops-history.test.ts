// `history` on a 100,000-line log with a torn last line: right records, newest at the bottom.
// How long it takes is measured by `npm run bench` (test/bench/scale.ts), not asserted here.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { recentRecords, type HistoryRecord } from '../../remote/domain/history.js';
import { formatHistory, historyRow } from '../../remote/ops/history.js';
import { cli, tempRoot } from './ops-fixture.js';

const LINES = 100_000;
const fx = tempRoot();

function rec(i: number): HistoryRecord {
  const stack = i < 5 ? 'rare' : i % 3 === 0 ? 'beta' : 'alpha';
  return {
    ts: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    stack,
    env: 'production',
    mode: 'deploy',
    status: i % 10 === 0 ? 'failed' : 'success',
    release_id: `sha-${i}__20260101T000000Z`,
    image_tag: `sha-${i}`,
    image_ref: `ghcr.io/org/app@sha256:${i.toString(16).padStart(64, '0')}`,
    image_digest: `sha256:${i.toString(16).padStart(64, '0')}`,
    previous_release_id: '',
    actor: `user${i % 7}`,
    run_id: String(i),
    break_glass: i % 100 === 0,
    break_glass_reason: i % 100 === 0 ? 'hotfix' : '',
    duration_ms: i,
    error:
      i % 10 === 0
        ? `smoke failed: http://127.0.0.1:8069/web/health answered HTTP 500 ${'x'.repeat(80)}`
        : '',
  };
}

describe('history on 100,000 lines with a torn last line', () => {
  before(() => {
    const lines = Array.from({ length: LINES }, (_, i) => JSON.stringify(rec(i)));
    const torn = JSON.stringify(rec(LINES)).slice(0, 77); // crash mid-write: no newline, cut JSON
    mkdirSync(fx.l.releasesDir, { recursive: true });
    writeFileSync(fx.l.history, lines.join('\n') + '\n' + torn);
  });
  after(() => fx.dispose());

  it('returns the last 20 valid records, newest first, skipping the torn line', () => {
    const value = recentRecords(fx.l.history, { limit: 20 });
    assert.deepEqual(
      value.map((r) => r.run_id),
      Array.from({ length: 20 }, (_, k) => String(LINES - 1 - k)),
    );
  });

  it('filters by stack, including one whose records are all at the start (a full scan)', () => {
    const beta = recentRecords(fx.l.history, { stack: 'beta', limit: 20 });
    assert.equal(beta.length, 20);
    assert.ok(beta.every((r) => r.stack === 'beta'));
    assert.equal(beta[0]!.run_id, String(LINES - 1 - ((LINES - 1) % 3))); // newest multiple of 3
    const rare = recentRecords(fx.l.history, { stack: 'rare', limit: 20 });
    assert.deepEqual(
      rare.map((r) => r.run_id),
      ['4', '3', '2', '1', '0'],
    );
  });

  it('formats a table with the newest record at the bottom and long errors shortened', () => {
    const records = recentRecords(fx.l.history, { limit: 20 });
    const lines = formatHistory(records).split('\n');
    assert.equal(lines.length, 21);
    assert.match(lines[0]!, /^TS\s+STACK\s+ENV\s+MODE\s+STATUS\s+RELEASE\s+ACTOR\s+BREAK-GLASS\s+ERROR$/);
    assert.match(lines[20]!, new RegExp(`sha-${LINES - 1}__`));
    assert.match(lines[1]!, new RegExp(`sha-${LINES - 20}__`));
    // columns line up: STATUS starts at the same offset on every line
    const col = lines[0]!.indexOf('STATUS');
    for (const l of lines.slice(1)) assert.match(l.slice(col), /^(success|failed) /);
    const failed = lines.find((l) => l.includes(`sha-${LINES - 10}__`))!;
    assert.match(failed, /smoke failed: .*…$/);
    assert.ok(failed.length < 260);
  });

  it('`seisei-deploy history` answers from the CLI, as a table and as JSON lines', () => {
    const r = cli(fx.root, ['history', 'alpha', '-n', '5']);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.equal(rows.length, 6);
    assert.ok(rows.slice(1).every((l) => / alpha /.test(l)));
    const json = cli(fx.root, ['history', '-n', '3', '--json']);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as HistoryRecord).run_id),
      [String(LINES - 3), String(LINES - 2), String(LINES - 1)],
    );
  });
});

describe('history rows', () => {
  it('show the tag for verify records, break-glass reasons, and no control characters', () => {
    const row = historyRow({
      ...rec(7),
      stack: '',
      env: '',
      mode: 'verify',
      release_id: '',
      image_tag: 'sha-abc',
      break_glass: true,
      break_glass_reason: 'db down',
      error: '\u001b[31mred\u001b[0m\nsecond line',
    });
    assert.deepEqual(row.slice(1, 6), ['-', '-', 'verify', 'success', 'sha-abc']);
    assert.equal(row[7], 'yes: db down');
    assert.equal(row[8], '[31mred [0m');
  });

  it('survive foreign records with odd field types', () => {
    const odd = { stack: 'x', ts: 5, mode: null, actor: { a: 1 } } as unknown as HistoryRecord;
    assert.doesNotThrow(() => formatHistory([odd]));
  });
});
