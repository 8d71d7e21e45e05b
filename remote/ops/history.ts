// `history`: the most recent history records as a table (like `tail`: newest at the bottom).
import type { Command } from '../cli/command.js';
import { integer } from '../argv/args.js';
import { recentRecords, type HistoryRecord } from '../domain/history.js';
import { rootLayout, stackArg, parseOp } from './argv.js';
import { paint, print, shorten, table, type Paint } from './table.js';

const HEADER = ['TS', 'STACK', 'ENV', 'MODE', 'STATUS', 'RELEASE', 'ACTOR', 'BREAK-GLASS', 'ERROR'];

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** `2026-01-31T12:00:00.123Z` → `2026-01-31 12:00:00Z`. */
const shortTs = (ts: unknown) =>
  str(ts)
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

export function historyRow(r: HistoryRecord): string[] {
  return [
    shortTs(r.ts),
    str(r.stack) || '-',
    str(r.env) || '-',
    str(r.mode),
    str(r.status),
    // verify/unverify records concern a tag, not a release
    shorten(str(r.release_id) || str(r.image_tag), 48),
    shorten(r.actor, 20),
    r.break_glass === true ? shorten(`yes: ${str(r.break_glass_reason)}`, 30) : '',
    shorten(r.error, 60),
  ];
}

/** `records` newest first (as recentRecords returns them); printed oldest first. */
export function formatHistory(records: HistoryRecord[], colour: Paint = paint(false)): string {
  const rows = [...records].reverse().map(historyRow);
  const statusColour = (s: string) =>
    s.startsWith('failed') ? colour.red(s) : s.startsWith('rolled_back') ? colour.yellow(s) : s;
  return table(rows, {
    header: HEADER,
    style: (text, row, col) => (row < 0 ? colour.bold(text) : col === 4 ? statusColour(text) : text),
  });
}

export const historyCommand: Command = {
  usage: 'seisei-deploy history [<stack>] [-n N] [--root DIR] [--json]',
  summary: 'the last N (default 20) history records, newest at the bottom',
  async main(argv) {
    const { v, arg } = parseOp('history', argv, { lines: { type: 'string', short: 'n' } }, this.usage);
    const stack = arg === undefined ? undefined : stackArg(arg);
    const layout = rootLayout(v.root);
    const records = recentRecords(layout.history, { stack, limit: integer('-n', v.lines) ?? 20 });
    if (v.json) {
      // JSON Lines in file order, like `tail` of the log itself
      process.stdout.write(
        records
          .reverse()
          .map((r) => JSON.stringify(r) + '\n')
          .join(''),
      );
      return 0;
    }
    if (!records.length) {
      print(`no history records${stack ? ` for ${stack}` : ''} in ${layout.history}`);
      return 0;
    }
    print(formatHistory(records, paint()));
    return 0;
  },
};
