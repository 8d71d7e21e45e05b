// The operator commands' table formatter: alignment (wide characters too), safe text, colour.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clean, displayWidth, paint, shorten, table } from '../../remote/ops/table.js';

describe('table', () => {
  it('aligns columns two spaces apart with no trailing blanks', () => {
    assert.equal(
      table(
        [
          ['a', 'bbb', 'c'],
          ['dddd', 'e', ''],
        ],
        { header: ['X', 'Y', 'Z'] },
      ),
      ['X     Y    Z', 'a     bbb  c', 'dddd  e'].join('\n'),
    );
  });

  it('counts East Asian wide characters as two columns', () => {
    assert.equal(displayWidth('很好ok'), 6);
    const [one, two] = table([
      ['很好', '|'],
      ['abcd', '|'],
    ]).split('\n');
    assert.equal(displayWidth(one!.split('|')[0]!), displayWidth(two!.split('|')[0]!));
  });

  it('styles after padding so colour never shifts columns; the header is row -1', () => {
    const c = paint(true);
    const out = table([['x', 'y']], { header: ['AAA', 'B'], style: (t, row) => (row < 0 ? c.bold(t) : t) });
    assert.equal(out, '\u001b[1mAAA\u001b[0m  \u001b[1mB\u001b[0m\nx    y');
    assert.equal(paint(false).red('x'), 'x');
  });

  it('cleans control characters and shortens to one line', () => {
    assert.equal(clean('a\u001b[31mb\tc'), 'a [31mb c');
    assert.equal(shorten('first line\nsecond', 50), 'first line');
    assert.equal(shorten('abcdefghij', 5), 'abcd…');
    assert.equal(shorten('很好很好很好', 5), '很好…');
    assert.equal(shorten(undefined, 5), '');
  });
});
