// Which executor the action runs on a server. With root-equivalent sudo it uploads its own build
// (or reuses the installed copy of the same build). With the narrow rule, where the deploy user's
// sudo allows only <root>/releases/bin/seisei-deploy, it never uploads code to run as root: it runs
// the installed executor when it is this build, and otherwise fails saying how to upgrade it (or,
// with executor_mismatch: use-installed, runs it when it accepts this build's request format).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layout } from '../../common/layout.js';
import { REQUEST_FORMAT } from '../../common/request.js';
import { upgradeHint, type InstalledExecutorInfo, type InstalledVersion } from '../ssh/installed-executor.js';

export type ExecutorMismatch = 'fail' | 'use-installed';
export const EXECUTOR_MISMATCH: readonly ExecutorMismatch[] = ['fail', 'use-installed'];

export interface ExecutorChoice {
  /** The installed executor's path, when it is used; undefined = upload this build. */
  executor?: string;
  /** Run the executor itself (its shebang) under sudo, not `<node> <file>`. */
  direct: boolean;
  /** The executor that runs is this build (uploaded, or installed with the same sha256). */
  sameBuild: boolean;
  /** A line for the log (it may hold text from the server: neutralise it). */
  note: string;
  /** Log the note as a warning. */
  warn: boolean;
}

/** What the server check found about sudo and the installed executor (src/ssh/preflight.ts). */
export interface ServerExecutor {
  /** The deploy user's sudo allows only the installed executor. */
  narrow?: boolean;
  installed?: InstalledExecutorInfo;
  installedVersion?: InstalledVersion;
}

/**
 * Decides which executor runs. With root-equivalent sudo: the installed one when root alone can
 * change it and it is this very build, else an upload of this build. With narrow sudo: only the
 * installed one, never an upload; throws Error with the fix when it may not be used.
 */
export function chooseExecutor(
  server: ServerExecutor,
  build: { sha256: string; version: string },
  opts: { root: string; mismatch: ExecutorMismatch },
): ExecutorChoice {
  return server.narrow ? chooseNarrow(server, build, opts) : chooseWide(server.installed, build.sha256);
}

function chooseWide(installed: InstalledExecutorInfo | undefined, sha256: string): ExecutorChoice {
  const upload = (note: string, warn = false): ExecutorChoice => ({
    direct: false,
    sameBuild: true,
    note,
    warn,
  });
  if (!installed) return upload('No installed executor to look at; uploading this build');
  const at = installed.path;
  switch (installed.state) {
    case 'ok':
      return installed.sha256 === sha256
        ? {
            executor: at,
            direct: false,
            sameBuild: true,
            warn: false,
            note: `Using the executor installed at ${at} (same build as this action)`,
          }
        : upload(`The executor installed at ${at} is another build; uploading this one`);
    case 'absent':
      return upload(`No executor installed at ${at} yet; uploading this build`);
    case 'untrusted':
      return upload(
        `Not using the executor installed at ${at}: someone other than root could change it (${installed.reason}); uploading this build. Make root the owner of it and of the directories above it, writable by no one else`,
        true,
      );
    case 'unknown':
      return upload(
        `Could not check the executor installed at ${at} (${installed.reason}); uploading this build`,
      );
  }
}

function chooseNarrow(
  server: ServerExecutor,
  build: { sha256: string; version: string },
  opts: { root: string; mismatch: ExecutorMismatch },
): ExecutorChoice {
  const installed = server.installed;
  const at = installed?.path ?? layout(opts.root).cli;
  if (installed?.state !== 'ok')
    throw new Error(
      `The deploy user's sudo allows only ${at}, but it ${installed?.state === 'untrusted' ? `is not trustworthy (${installed.reason})` : `cannot be read there${installed?.reason ? ` (${installed.reason})` : ''}`}: ${upgradeHint(opts.root)}`,
    );
  const narrow = { executor: at, direct: true, warn: false, sameBuild: false };
  if (installed.sha256 === build.sha256)
    return {
      ...narrow,
      sameBuild: true,
      note: `Using the executor installed at ${at} (same build as this action; the deploy user's sudo allows only it)`,
    };
  const v = server.installedVersion;
  const what = `${at} is another build (${v ? `version ${v.version}, request format ${v.request_format}` : 'an older version'}, sha256 ${installed.sha256!.slice(0, 12)}…) than this action (version ${build.version}, request format ${REQUEST_FORMAT}, sha256 ${build.sha256.slice(0, 12)}…)`;
  if (opts.mismatch === 'use-installed') {
    if (v?.request_format === REQUEST_FORMAT)
      return { ...narrow, note: `Using the installed executor: ${what} (executor_mismatch: use-installed)` };
    throw new Error(
      `The deploy user's sudo allows only the installed executor, and ${what}; it does not accept this action's request format, so executor_mismatch: use-installed cannot use it: ${upgradeHint(opts.root)}`,
    );
  }
  throw new Error(
    `The deploy user's sudo allows only the installed executor, and ${what}. The action does not upload code to run as root in this mode: ${upgradeHint(opts.root)}; or set executor_mismatch: use-installed to run the installed one when it accepts this action's requests`,
  );
}

declare const __TOOL_VERSION__: string | undefined;
/** This action's version (package.json, set at build time). */
export const ACTION_VERSION = typeof __TOOL_VERSION__ === 'string' ? __TOOL_VERSION__ : 'dev';

export const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** dist/remote.cjs beside the bundled action (or `override`: the test knob SEISEI_DEPLOY_REMOTE_JS). */
export function localRemoteScript(override?: string): string {
  if (override) return override;
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/index.js, a chunk in dist/chunks/, or src/host/ when run from source in tests.
  const candidates = [
    join(here, 'remote.cjs'),
    join(here, '..', 'remote.cjs'),
    join(here, '..', '..', 'dist', 'remote.cjs'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new Error(
      `the executor bundle remote.cjs is missing (looked at ${candidates.join(', ')}); the action is not built correctly`,
    );
  return found;
}
