// Each deploy installs the executor it ran as <root>/releases/bin/seisei-deploy, so the operator CLI
// on the server always matches the last deploy.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tempNameBeside } from './fsutil.js';
import type { Layout } from './layout.js';
import type { Reporter } from './report.js';

export function installCli(l: Layout, report: Reporter, script = process.argv[1]): void {
  if (!script || !script.endsWith('.cjs') || !readFileSync(script, 'utf8').startsWith('#!/usr/bin/env node'))
    return;
  try {
    mkdirSync(l.binDir, { recursive: true, mode: 0o755 });
    chmodSync(l.binDir, 0o755);
    const tmp = tempNameBeside(l.cli);
    copyFileSync(script, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, l.cli);
  } catch (err) {
    report.log(`could not install the operator CLI at ${l.cli}: ${(err as Error).message}`, 'warn');
  }
}
