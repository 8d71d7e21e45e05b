// Property tests of the history reader: whatever garbage, torn lines and multi-byte text the log
// holds, recentRecords returns exactly the valid matching records, newest first.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { linesFromEnd, recentRecords } from '../../remote/domain/history.js';
import { tempRoot } from './ops-fixture.js';

const fx = tempRoot();
after(() => fx.dispose());
const file = join(fx.root, 'history.log');

const stack = fc.constantFrom('a', 'b', 'odoo18-prod');
const record = fc
  .record({
    ts: fc.constant('2026-01-01T00:00:00.000Z'),
    stack,
    mode: fc.constantFrom('deploy', 'rollback', 'verify'),
    status: fc.constantFrom('success', 'failed', 'rolled_back'),
    release_id: fc.string(),
    actor: fc.string({ unit: 'grapheme' }), // multi-byte text: lines are cut on bytes, decoded whole
    n: fc.nat(),
  })
  .map((r) => JSON.parse(JSON.stringify(r)) as typeof r); // plain objects, as JSON.parse gives back
type Rec = typeof record extends fc.Arbitrary<infer T> ? T : never;

type Line = { valid: true; rec: Rec; bytes: Buffer } | { valid: false; bytes: Buffer };

const line: fc.Arbitrary<Line> = fc.oneof(
  {
    weight: 4,
    arbitrary: record.map((rec): Line => ({ valid: true, rec, bytes: Buffer.from(JSON.stringify(rec)) })),
  },
  // torn: a strict byte prefix of a record (a crash mid-write), possibly cut inside a character
  {
    weight: 2,
    arbitrary: record.chain((rec) => {
      const full = Buffer.from(JSON.stringify(rec));
      return fc
        .nat({ max: full.length - 1 })
        .map((cut): Line => ({ valid: false, bytes: full.subarray(0, cut) }));
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: 'binary' })
      .filter((s) => !s.startsWith('{') && !s.includes('\n'))
      .map((s): Line => ({ valid: false, bytes: Buffer.from(s) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('{"stack":5}', '{"nostack":"a"}', '{"stack":"a"} trailing', '{', '{}', '', '{"stack":"a"')
      .map((s): Line => ({ valid: false, bytes: Buffer.from(s) })),
  },
);

function writeLog(lines: Line[], trailingNewline: boolean): void {
  const parts: Buffer[] = [];
  lines.forEach((l, i) => {
    parts.push(l.bytes);
    if (i < lines.length - 1 || trailingNewline) parts.push(Buffer.from('\n'));
  });
  writeFileSync(file, Buffer.concat(parts));
}

describe('history reader properties', () => {
  it('recentRecords returns exactly the valid records of the stack, newest first, at most limit', () => {
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 60 }),
        fc.boolean(),
        fc.option(stack, { nil: undefined }),
        fc.nat({ max: 70 }),
        (lines, trailingNewline, wanted, limit) => {
          writeLog(lines, trailingNewline);
          const expected = lines
            .flatMap((l) => (l.valid && (!wanted || l.rec.stack === wanted) ? [l.rec] : []))
            .reverse()
            .slice(0, limit);
          assert.deepEqual(recentRecords(file, { stack: wanted, limit }), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a torn last line (no newline) is skipped, and the line before it is still read', () => {
    fc.assert(
      fc.property(record, record, fc.nat(), (kept, torn, cut) => {
        const full = Buffer.from(JSON.stringify(torn));
        const bytes = full.subarray(0, cut % full.length);
        writeFileSync(file, Buffer.concat([Buffer.from(JSON.stringify(kept) + '\n'), bytes]));
        assert.deepEqual(recentRecords(file, { limit: 5 }), [kept]);
      }),
      { numRuns: 200 },
    );
  });

  it('linesFromEnd yields every non-empty line, last first, whatever the chunk size', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'grapheme' }).map((s) => s.replace(/\n/g, '')),
          { maxLength: 30 },
        ),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        (lines, trailingNewline, chunk) => {
          writeFileSync(file, lines.join('\n') + (trailingNewline && lines.length ? '\n' : ''));
          assert.deepEqual([...linesFromEnd(file, chunk)], lines.filter(Boolean).reverse());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a missing log reads as empty', () => {
    assert.deepEqual(recentRecords(join(fx.root, 'nope.log'), { limit: 10 }), []);
  });
});
