// Renders an action run's stdout the way the GitHub job log shows it: groups folded open with a
// heading, annotations as "Error:"/"Warning:", masking commands hidden, outputs and summary after.
import type { ActionResult } from '../e2e/action-harness.js';

export function renderJobLog(title: string, r: ActionResult): string {
  const out = [`┌ ${title}  (exit ${r.code ?? r.signal}, ${(r.durationMs / 1000).toFixed(1)} s)`];
  let inGroup = false;
  for (const line of r.lines) {
    if (line.startsWith('::add-mask::') || line.startsWith('::debug::')) continue;
    const cmd = /^::(group|endgroup|error|warning|notice)(?: [^:]*)?::(.*)$/.exec(line);
    if (cmd?.[1] === 'group') {
      out.push(`│ ▼ ${cmd[2]}`);
      inGroup = true;
    } else if (cmd?.[1] === 'endgroup') inGroup = false;
    else if (cmd)
      out.push(
        `│ ${cmd[1] === 'error' ? 'Error' : cmd[1] === 'warning' ? 'Warning' : 'Notice'}: ${unescape(cmd[2] ?? '')}`,
      );
    else out.push(`│ ${inGroup ? '  ' : ''}${line}`);
  }
  const outputs = Object.entries(r.outputs).filter(([k]) => k !== 'manifest');
  if (outputs.length) out.push(`│ outputs: ${outputs.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  out.push('└');
  return out.join('\n');
}

const unescape = (s: string) => s.replace(/%0A/g, '\n│   ').replace(/%0D/g, '').replace(/%25/g, '%');
