// Which stacks this server knows: a current manifest, a live symlink or a release directory.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { STACK_RE } from '../../src/common/names.js';
import type { Layout } from '../layout.js';

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
export function knownStacks(l: Layout): string[] {
  const all = [
    ...names(l.currentDir, '.json'),
    ...names(l.stacksDir),
    ...names(join(l.releasesDir, 'stacks')),
  ].filter((n) => STACK_RE.test(n));
  return [...new Set(all)].sort();
}
