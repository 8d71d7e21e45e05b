// The installed executor <root>/releases/bin/seisei-deploy: each deploy run from an uploaded bundle
// installs itself there (the operator CLI then matches the last deploy), and `install` lets an
// administrator put a chosen build there once, for deploy users whose sudo allows only that file.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import type { Command } from './cli/command.js';
import { parseNoArgs } from './argv/args.js';
import { DeployError } from './errors.js';
import { fsyncDir, tempNameBeside } from './fsutil.js';
import { layout, type Layout } from '../common/layout.js';
import { checkRootOwnedPath, runsAsRoot } from './ownership.js';
import { commonOptions, REQUEST_FORMAT } from '../common/request.js';
import type { Reporter } from './report.js';
import { TOOL_VERSION } from './version.js';

const SHEBANG = '#!/usr/bin/env node';

/** The bundle this process runs, when it is one that can be installed (remote.cjs with its shebang). */
function installable(script: string | undefined): string | undefined {
  if (!script || !script.endsWith('.cjs')) return undefined;
  return readFileSync(script, 'utf8').startsWith(SHEBANG) ? script : undefined;
}

/** Copies `script` to the layout's cli path (root's, 0755) under a temp name, fsyncs, renames; throws on failure. */
export function installExecutor(paths: Layout, script: string): string {
  mkdirSync(paths.binDir, { recursive: true, mode: 0o755 });
  chmodSync(paths.binDir, 0o755);
  const tmp = tempNameBeside(paths.cli);
  try {
    copyFileSync(script, tmp);
    chmodSync(tmp, 0o755);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, paths.cli);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(paths.binDir);
  return createHash('sha256').update(readFileSync(paths.cli)).digest('hex');
}

/** After a deploy from an uploaded bundle: install it, warning (not failing) when that is impossible. */
export function installCli(paths: Layout, report: Reporter, script = process.argv[1]): void {
  const bundle = installable(script);
  if (!bundle) return;
  try {
    installExecutor(paths, bundle);
  } catch (err) {
    report.log(`could not install the operator CLI at ${paths.cli}: ${(err as Error).message}`, 'warn');
  }
}

export const installCommand: Command = {
  usage: 'node remote.cjs install [--root DIR]   (as root: sudo node remote.cjs install --root /srv)',
  summary: 'install this remote.cjs as <root>/releases/bin/seisei-deploy (root-owned, 0755)',
  async main(argv) {
    const v = parseNoArgs('install', argv, this.usage);
    const parsed = commonOptions.root.safeParse(v.root);
    if (!parsed.success) throw new DeployError(`--root must be an absolute path without '..'`, 2);
    const bundle = installable(process.argv[1]);
    if (!bundle)
      throw new DeployError(
        `install copies the remote.cjs it is run from; run it from the action's dist/remote.cjs: sudo node remote.cjs install --root ${parsed.data}`,
        2,
      );
    if (!runsAsRoot())
      throw new DeployError(
        `install must run as root: sudo node remote.cjs install --root ${parsed.data}`,
        2,
      );
    const paths = layout(parsed.data);
    // Refuse before creating anything when a directory on the way is not root's.
    for (const d of [paths.root, paths.releasesDir, paths.binDir]) checkRootOwnedPath(d, '--root');
    for (const d of [paths.root, paths.releasesDir]) mkdirSync(d, { recursive: true, mode: 0o755 });
    const sha256 = installExecutor(paths, bundle);
    checkRootOwnedPath(paths.cli, '--root');
    const info = { installed: paths.cli, version: TOOL_VERSION, request_format: REQUEST_FORMAT, sha256 };
    if (v.json) process.stdout.write(JSON.stringify(info) + '\n');
    else
      process.stdout.write(
        `installed ${paths.cli} (seisei-deploy ${TOOL_VERSION}, sha256 ${sha256})\n` +
          `sudoers rule for a deploy user that may run only this executor:\n` +
          `  deploy ALL=(root) NOPASSWD: ${paths.cli}\n`,
      );
    return 0;
  },
};

export const versionCommand: Command = {
  usage: 'seisei-deploy version [--json]',
  summary: 'print the tool version and the request format this executor accepts',
  async main(argv) {
    const v = parseNoArgs('version', argv, this.usage);
    const info = { version: TOOL_VERSION, request_format: REQUEST_FORMAT, node: process.versions.node };
    process.stdout.write(
      v.json
        ? JSON.stringify(info) + '\n'
        : `seisei-deploy ${TOOL_VERSION} (request format ${REQUEST_FORMAT}, Node.js ${info.node})\n`,
    );
    return 0;
  },
};
