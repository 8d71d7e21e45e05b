// Which stacks this server knows: a current manifest, a live symlink or a release directory.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { STACK_RE } from '../../common/names.js';
import { DeployError } from '../errors.js';
import type { Layout } from '../../common/layout.js';
import { stackArg } from './argv.js';

function names(dir: string, suffix = ''): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith(suffix))
      .map((n) => n.slice(0, n.length - suffix.length));
  } catch {
    return [];
  }
}

/** Sorted; temp names (`.x.tmp-…`) and foreign files are not stacks. */
export function knownStacks(layout: Layout): string[] {
  const all = [
    ...names(layout.currentDir, '.json'),
    ...names(layout.stacksDir),
    ...names(join(layout.releasesDir, 'stacks')),
  ].filter((n) => STACK_RE.test(n));
  return [...new Set(all)].sort();
}

/** The stack named on the command line (which must be known here), or every known stack. */
export function selectStacks(layout: Layout, arg: string | undefined): string[] {
  const known = knownStacks(layout);
  if (arg === undefined) return known;
  const stack = stackArg(arg);
  if (!known.includes(stack))
    throw new DeployError(
      `stack ${stack} is not known under ${layout.root}: no live symlink, manifest or releases (known: ${known.join(', ') || 'none'})`,
      2,
    );
  return [stack];
}
