// Text from the server never becomes a workflow command, whatever it holds: line ends the runner
// honours (CRLF, lone CR, LF), leading whitespace it trims (incl. U+0085), characters its
// culture-sensitive comparison ignores (U+200B, controls), and `##[` anywhere in a line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { neutraliseLine, neutraliseLines, safeText } from '../../src/neutralise.js';
import { runnerCommand, runnerCommands, runnerLines } from '../support/runner-commands.js';

/** Pieces that build commands, line ends and what the runner skips, mixed with anything. */
const piece = fc.oneof(
  fc.constantFrom(
    '::',
    ':',
    '##[',
    '#',
    '[',
    ']',
    'error',
    'add-mask',
    'set-output name=x',
    ' ',
    '\t',
    '\r',
    '\n',
    '\r\n',
    '\u0085',
    '\u00a0',
    '\u2028',
    '\u2029',
    '\u200b',
    '\ufeff',
    '\u00ad',
    '\u001b',
    '\u3000',
    'x',
  ),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const hostile = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));

describe('neutralising text from the server', () => {
  it('the lone-CR attack: each segment is its own line, none a command', () => {
    const text = 'smoke passed: http://127.0.0.1:8080/health?x\r::error::forged\r::add-mask::x OK';
    assert.deepEqual(
      runnerCommands(text).map((c) => [c.name, c.data]),
      [
        ['error', 'forged'],
        ['add-mask', 'x OK'],
      ],
      'the model of the runner sees the forged commands in the raw text',
    );
    assert.deepEqual(neutraliseLines(text), [
      'smoke passed: http://127.0.0.1:8080/health?x',
      '| ::error::forged',
      '| ::add-mask::x OK',
    ]);
    assert.deepEqual(runnerCommands(safeText(text)), []);
  });

  it('covers what String.TrimStart and culture-sensitive matching skip, and ##[ anywhere', () => {
    for (const [raw, safe] of [
      ['\u0085::error::x', '| \u0085::error::x'],
      ['\u200b::error::x', '| \u200b::error::x'],
      [':\u200b:error::x', '| :\u200b:error::x'],
      ['\u3000\u00a0::warning::x', '| \u3000\u00a0::warning::x'],
      ['log ##[error]x', 'log ## [error]x'],
      ['#\u200b#[add-mask]x', '#\u200b# [add-mask]x'],
      ['###[error]x', '### [error]x'],
    ]) {
      assert.ok(runnerCommand(raw!), `the runner model reads ${JSON.stringify(raw)} as a command`);
      assert.equal(neutraliseLine(raw!), safe);
      assert.equal(runnerCommand(safe!), undefined, JSON.stringify(safe));
    }
  });

  it('property: no line of the output is a workflow command, for any input', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const out = safeText(text);
        for (const line of runnerLines(out))
          assert.equal(runnerCommand(line), undefined, `${JSON.stringify(text)} -> ${JSON.stringify(line)}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: the runner sees as many lines as the text has, and ordinary text is unchanged', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        assert.equal(runnerLines(safeText(text)).length, runnerLines(text).length);
      }),
      { numRuns: 1000 },
    );
    const plain = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => !/[:#\r\n]/.test(s));
    fc.assert(
      fc.property(plain, (text) => assert.equal(safeText(text), text)),
      { numRuns: 1000 },
    );
  });
});
