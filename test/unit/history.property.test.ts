// Property test (issue 6 item 8) of the history as the executor writes and reads it: whatever mix of
// durable appends and torn writes (a crash mid-line) the file went through, every appended record is
// read back, newest first, whatever the read chunk size, and torn pieces are skipped.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { appendLineDurable } from '../../remote/fsutil.js';
import { linesFromEnd, recordsFromEnd, type HistoryRecord } from '../../remote/domain/history.js';

const dir = mkdtempSync(path.join(tmpdir(), 'seisei-history-prop-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const record = fc
  .record({
    ts: fc.constant('2026-01-31T12:00:00.000Z'),
    stack: fc.constantFrom('odoo18', 'ocr', 'a-b_c'),
    mode: fc.constantFrom('deploy', 'rollback', 'auto-rollback'),
    status: fc.constantFrom('success', 'failed', 'rolled_back'),
    release_id: fc.stringMatching(/^sha-[0-9a-f]{7}__2026\d{4}T\d{6}Z$/),
    error: fc.string({ unit: 'grapheme', maxLength: 30 }), // multi-byte text, quotes, newlines escaped
  })
  .map((r) => JSON.parse(JSON.stringify(r)) as HistoryRecord); // plain objects, as JSON.parse gives

type Op = { kind: 'append'; rec: HistoryRecord } | { kind: 'tear'; rec: HistoryRecord; cut: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: record.map((rec): Op => ({ kind: 'append', rec })) },
  { weight: 1, arbitrary: fc.tuple(record, fc.nat()).map(([rec, cut]): Op => ({ kind: 'tear', rec, cut })) },
);

describe('history append and read (property)', () => {
  it('reads back exactly the durable appends, newest first, across torn writes and chunk sizes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), fc.integer({ min: 1, max: 300 }), (ops, chunk) => {
        const file = path.join(dir, `h-${++n}.log`);
        const appended: HistoryRecord[] = [];
        for (const o of ops) {
          if (o.kind === 'append') {
            appendLineDurable(file, JSON.stringify(o.rec));
            appended.push(o.rec);
          } else {
            // A crash mid-write: a strict byte prefix of a line, possibly inside a UTF-8 character.
            const bytes = Buffer.from(JSON.stringify(o.rec));
            appendFileSync(file, bytes.subarray(0, o.cut % bytes.length));
          }
        }
        const read = [...recordsFromEnd(file)];
        assert.deepEqual(read, appended.reverse());
        const chunked = [...linesFromEnd(file, chunk)];
        assert.deepEqual(chunked, [...linesFromEnd(file)], `chunk size ${chunk}`);
        // An append always ends its line, so the next writer never glues onto it.
        if (ops.at(-1)?.kind === 'append') assert.ok(readFileSync(file, 'utf8').endsWith('\n'));
      }),
      { numRuns: 300 },
    );
  });
});
