// `status`: per stack, what is live and whether the symlink, the manifest and the running containers
// agree. Exit code 0 when every stack is consistent, 1 when any drift is found, 2 for bad input.
import { describeProvenance } from '../../common/request.js';
import type { Command } from '../cli/command.js';
import { describeHolder } from '../domain/lock-holder.js';
import { rootLayout, parseOp } from './argv.js';
import { diagnose, type Problem } from './diagnose.js';
import { dockerContainers, gatherFacts, type StatusFacts } from './status-facts.js';
import { selectStacks } from './stacks.js';
import { paint, print, printJson, table, type Paint } from './table.js';

export interface StackStatus {
  facts: StatusFacts;
  problems: Problem[];
  consistent: boolean;
}

export function judge(facts: StatusFacts): StackStatus {
  const problems = diagnose(facts);
  return { facts, problems, consistent: !problems.some((p) => p.severity === 'drift') };
}

/** The `--json` shape of one stack. */
export function statusJson(s: StackStatus) {
  const { facts: f } = s;
  const m = f.manifest.state === 'ok' ? f.manifest.value : undefined;
  return {
    stack: f.stack,
    consistent: s.consistent,
    live_release: f.link.releaseId ?? null,
    symlink: { path: f.link.path, kind: f.link.kind, target: f.link.target ?? null },
    manifest_release: m?.release_id ?? null,
    manifest: m ?? { state: f.manifest.state, path: f.manifest.path },
    containers: f.containers.state === 'ok' ? f.containers.list : { unavailable: f.containers.error },
    lock:
      f.lock.state === 'held' || f.lock.state === 'stale'
        ? { state: f.lock.state, ...f.lock.holder }
        : f.lock,
    last_run: f.lastRun ?? null,
    rollback_candidates: f.candidates.map((c, i) => ({ steps: i + 1, release_id: c.id })),
    problems: s.problems,
  };
}

function lockText(f: StatusFacts): string {
  if (f.lock.state === 'free') return 'free';
  if (f.lock.state === 'unreadable') return `unreadable (${f.lock.path})`;
  return `${f.lock.state === 'stale' ? 'STALE, ' : ''}held by ${describeHolder(f.lock.holder)}`;
}

export function renderStatus(s: StackStatus, c: Paint = paint(false)): string {
  const { facts: f } = s;
  const m = f.manifest.state === 'ok' ? f.manifest.value : undefined;
  const drifts = s.problems.filter((p) => p.severity === 'drift');
  const verdict = s.consistent ? c.green('OK') : c.red(c.bold(`DRIFT (${drifts.length})`));
  const live =
    f.link.kind === 'missing'
      ? '(no symlink)'
      : f.link.kind === 'symlink'
        ? (f.link.releaseId ?? f.link.target ?? '?')
        : `(a real ${f.link.kind}, not a symlink)`;
  const facts: string[][] = [
    ['live (symlink)', live],
    ['manifest', m ? m.release_id : `(${f.manifest.state}: ${f.manifest.path})`],
  ];
  if (m)
    facts.push(
      ['env / mode', `${m.env || '?'} / ${m.mode ?? '?'}${m.gate ? ` (gate: ${m.gate})` : ''}`],
      ['image', m.image_ref],
      ['digest', m.image_digest],
      ['deployed', `${m.deployed_at_utc} by ${m.actor || '?'}${m.run_id ? ` (run ${m.run_id})` : ''}`],
      ['break-glass', m.break_glass ? `YES: ${m.break_glass_reason}` : 'no'],
      ['provenance', describeProvenance(m.provenance)],
    );
  facts.push(['lock', lockText(f)]);
  if (f.lastRun)
    facts.push([
      'last run',
      `${f.lastRun.key}: ${f.lastRun.state}${f.lastRun.result ? ` (${f.lastRun.result})` : ''}`,
    ]);
  if (f.containers.state === 'unavailable') facts.push(['containers', `unknown: ${f.containers.error}`]);
  else if (!f.containers.list.length) facts.push(['containers', 'none']);
  facts.push([
    'rollback to',
    f.candidates.length
      ? f.candidates
          .slice(0, 5)
          .map((r, i) => `--steps ${i + 1}: ${r.id}`)
          .join(', ') + (f.candidates.length > 5 ? `, … (${f.candidates.length} in all)` : '')
      : '(no candidates)',
  ]);
  const containers =
    f.containers.state === 'ok' && f.containers.list.length
      ? table(
          f.containers.list.map((k) => [
            k.name,
            k.service,
            k.image,
            k.status + (k.health ? ` (${k.health})` : ''),
          ]),
          { header: ['CONTAINER', 'SERVICE', 'IMAGE', 'STATE'], indent: '  ' },
        )
      : '';
  const problems = s.problems.map((p) =>
    p.severity === 'drift'
      ? `  ${c.red(c.bold('DRIFT'))}: ${p.message}`
      : `  ${c.yellow('warning')}: ${p.message}`,
  );
  return [`${c.bold(f.stack)}  ${verdict}`, table(facts, { indent: '  ' }), containers, ...problems]
    .filter(Boolean)
    .join('\n');
}

export const statusCommand: Command = {
  usage: 'seisei-deploy status [<stack>] [--root DIR] [--json]',
  summary: 'what is live per stack, and drift between symlink, manifest and containers (exit 1 on drift)',
  async main(argv) {
    const { v, arg } = parseOp('status', argv, {}, this.usage);
    const layout = rootLayout(v.root);
    const stacks = selectStacks(layout, arg);
    const containers = dockerContainers(layout);
    const results: StackStatus[] = [];
    for (const s of stacks) results.push(judge(await gatherFacts(layout, s, containers)));
    const consistent = results.every((r) => r.consistent);
    if (v.json) printJson({ consistent, stacks: results.map(statusJson) });
    else
      print(
        results.length
          ? results.map((r) => renderStatus(r, paint())).join('\n\n')
          : `no stacks under ${layout.root} (nothing deployed yet)`,
      );
    return consistent ? 0 : 1;
  },
};
