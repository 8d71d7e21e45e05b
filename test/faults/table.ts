// The figures of a fault run as a plain-text (and Markdown) table.
import type { CaseResult, Group } from './bad-inputs.js';
import type { Row } from './scenarios.js';

export function faultTable(rows: Row[]): string {
  const head = [
    'fault',
    'injected',
    'consistent afterwards',
    'next deploy succeeded',
    'records lost',
    'records corrupt',
  ];
  const body = rows.map((r) => [
    `${r.group}: ${r.fault}`,
    String(r.injected),
    `${r.consistent}/${r.injected}`,
    `${r.nextOk}/${r.injected}`,
    String(r.lost),
    String(r.corrupt),
  ]);
  const t = totals(rows);
  body.push([
    'TOTAL',
    String(t.injected),
    `${t.consistent}/${t.injected}`,
    `${t.nextOk}/${t.injected}`,
    String(t.lost),
    String(t.corrupt),
  ]);
  return markdown(head, body);
}

export function totals(rows: Row[]) {
  return rows.reduce(
    (a, r) => ({
      injected: a.injected + r.injected,
      consistent: a.consistent + r.consistent,
      nextOk: a.nextOk + r.nextOk,
      lost: a.lost + r.lost,
      corrupt: a.corrupt + r.corrupt,
    }),
    { injected: 0, consistent: 0, nextOk: 0, lost: 0, corrupt: 0 },
  );
}

export function inputTable(results: CaseResult[]): string {
  const groups = [...new Set(results.map((r) => r.group))] as Group[];
  const body = groups.map((g) => {
    const rs = results.filter((r) => r.group === g);
    return [
      g,
      String(rs.length),
      String(rs.filter((r) => r.rejected).length),
      String(rs.filter((r) => r.rejected && r.specific).length),
      String(rs.filter((r) => r.sideEffects.length).length),
    ];
  });
  const all = results;
  body.push([
    'TOTAL',
    String(all.length),
    String(all.filter((r) => r.rejected).length),
    String(all.filter((r) => r.rejected && r.specific).length),
    String(all.filter((r) => r.sideEffects.length).length),
  ]);
  return markdown(['bad inputs', 'tried', 'rejected', 'with the specific error', 'with a side effect'], body);
}

function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}
