// Prints the README's inputs and outputs tables from action.yml (`node scripts/inputs-table.mjs`).
// test/unit/readme.test.ts checks that the README holds exactly this text.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const cell = (text) =>
  String(text ?? '')
    .replace(/\s+/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();

export function inputsTables(actionYml = readFileSync(new URL('../action.yml', import.meta.url), 'utf8')) {
  const action = parse(actionYml);
  const inputs = Object.entries(action.inputs).map(
    ([name, i]) =>
      `| \`${name}\` | ${i.default === undefined ? '' : `\`${cell(i.default)}\``} | ${cell(i.description)} |`,
  );
  const outputs = Object.entries(action.outputs).map(
    ([name, o]) => `| \`${name}\` | ${cell(o.description)} |`,
  );
  return [
    '| input | default | description |',
    '|---|---|---|',
    ...inputs,
    '',
    '| output | description |',
    '|---|---|',
    ...outputs,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(inputsTables());
