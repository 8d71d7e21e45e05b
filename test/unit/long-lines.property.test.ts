// Long lines read back whole and in one pass: the history reader (from the end of a file) and the
// action's journal reader (a byte stream in chunks), each checked against a naive split.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { linesFromEnd } from '../../remote/domain/history.js';
import { JournalReader, cutMarker } from '../../src/journal.js';

const dir = mkdtempSync(path.join(tmpdir(), 'seisei-long-lines-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Text with some lines far longer than any chunk, multi-byte characters and empty lines. */
const text = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc
        .tuple(fc.constantFrom('x', 'é', '日'), fc.integer({ min: 100, max: 3000 }))
        .map(([c, n]) => c.repeat(n)),
      fc.constant(''),
    ),
    { maxLength: 12 },
  )
  .chain((lines) => fc.boolean().map((nl) => lines.join('\n') + (nl && lines.length ? '\n' : '')));

function chunked(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('long lines', () => {
  it('linesFromEnd yields what a naive split does, last first, for lines much longer than a chunk', () => {
    let n = 0;
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 70 }), (content, chunk) => {
        const file = path.join(dir, `h${n++}.jsonl`);
        writeFileSync(file, content);
        const naive = content.split('\n').filter(Boolean).reverse();
        assert.deepEqual([...linesFromEnd(file, chunk)], naive);
      }),
      { numRuns: 300 },
    );
  });

  it('linesFromEnd reads a 16 MB line whole', () => {
    const file = path.join(dir, 'big.jsonl');
    const big = 'y'.repeat(16 * 1024 * 1024);
    writeFileSync(file, `first\n${big}\nlast\n`);
    const lines = [...linesFromEnd(file)];
    assert.equal(lines.length, 3);
    assert.deepEqual([lines[0], lines[1]!.length, lines[2]], ['last', big.length, 'first']);
  });

  it('JournalReader gives the naive split, offsets and pending bytes, cutting lines over its limit', () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 4000 }),
        (content, sizes, max) => {
          const bytes = Buffer.from(content);
          const r = new JournalReader(7, max);
          const got = chunked(bytes, sizes).flatMap((c) => r.push(c));
          const parts = content.split('\n');
          const tail = parts.pop()!; // after the last newline: not a line yet
          let end = 7;
          const want = parts.map((line) => {
            const b = Buffer.from(line);
            end += b.length + 1;
            const textOf =
              b.length > max ? b.subarray(0, max).toString('utf8') + cutMarker(b.length - max) : line;
            return { text: textOf, end };
          });
          assert.deepEqual(
            got.map((l) => ({ text: l.text, end: l.end })),
            want,
          );
          assert.equal(r.offset, end);
          assert.equal(r.pendingBytes, Buffer.byteLength(tail));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('JournalReader keeps at most its limit of a huge line, while counting all its bytes', () => {
    const r = new JournalReader(0, 1024);
    const piece = Buffer.alloc(1024 * 1024, 0x7a);
    for (let i = 0; i < 64; i++) assert.deepEqual(r.push(piece), []);
    assert.equal(r.pendingBytes, 64 * 1024 * 1024);
    const [line, next] = r.push(Buffer.from('\n{"v":1}\n'));
    assert.equal(line!.text, 'z'.repeat(1024) + cutMarker(64 * 1024 * 1024 - 1024));
    assert.equal(line!.event, undefined);
    assert.equal(line!.end, 64 * 1024 * 1024 + 1);
    assert.equal(next!.end, 64 * 1024 * 1024 + 1 + 8);
  });
});
