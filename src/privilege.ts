// Which executor the action runs on a server. With root-equivalent sudo it uploads its own build
// (or reuses the installed copy of the same build). With the narrow rule, where the deploy user's
// sudo allows only <root>/releases/bin/seisei-deploy, it never uploads code to run as root: it runs
// the installed executor when it is this build, and otherwise fails saying how to upgrade it (or,
// with executor_mismatch: use-installed, runs it when it accepts this build's request format).
import { REQUEST_FORMAT } from './common/request.js';

export type ExecutorMismatch = 'fail' | 'use-installed';
export const EXECUTOR_MISMATCH: readonly ExecutorMismatch[] = ['fail', 'use-installed'];

/** What `seisei-deploy version --json` of the installed executor said (narrow mode only). */
export interface InstalledVersion {
  version: string;
  request_format: number;
}

/** The `exe=` line of the preflight: the installed executor's `version --json`, if it answered. */
export function parseInstalledVersion(text: string | undefined): InstalledVersion | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<InstalledVersion>;
    if (typeof v.version === 'string' && Number.isSafeInteger(v.request_format))
      return { version: v.version.slice(0, 100), request_format: v.request_format! };
  } catch {
    /* an older executor without `version`: unknown */
  }
  return undefined;
}

export interface ExecutorChoice {
  /** The installed executor's path, when it is used; undefined = upload this build. */
  executor?: string;
  /** Run the executor itself (its shebang) under sudo, not `<node> <file>`. */
  direct: boolean;
  /** A line for the log. */
  note?: string;
}

export interface ServerExecutor {
  /** The deploy user's sudo allows only the installed executor. */
  narrow?: boolean;
  installedSha256?: string;
  installed?: InstalledVersion;
}

/** How an administrator installs or upgrades the executor (docs/server-setup.md section 4). */
export const upgradeHint = (root: string) =>
  `an administrator installs this action's build once with the remote.cjs of this action version (dist/remote.cjs in the action's repository at the ref the workflow uses): sudo node remote.cjs install --root ${root}`;

/** Decides which executor runs; throws Error with the fix when none may. */
export function chooseExecutor(
  server: ServerExecutor,
  build: { sha256: string; version: string },
  opts: { root: string; installedPath: string; mismatch: ExecutorMismatch },
): ExecutorChoice {
  const same = server.installedSha256 === build.sha256;
  if (!server.narrow)
    return same
      ? {
          executor: opts.installedPath,
          direct: false,
          note: `Using the executor installed at ${opts.installedPath} (same build as this action)`,
        }
      : { direct: false };
  const narrow = { executor: opts.installedPath, direct: true };
  if (same)
    return {
      ...narrow,
      note: `Using the executor installed at ${opts.installedPath} (same build as this action; the deploy user's sudo allows only it)`,
    };
  if (!server.installedSha256)
    throw new Error(
      `The deploy user's sudo allows only ${opts.installedPath}, but it cannot be read there: ${upgradeHint(opts.root)}`,
    );
  const installed = server.installed;
  const what = `${opts.installedPath} is another build (${installed ? `version ${installed.version}, request format ${installed.request_format}` : 'an older version'}, sha256 ${server.installedSha256.slice(0, 12)}…) than this action (version ${build.version}, request format ${REQUEST_FORMAT}, sha256 ${build.sha256.slice(0, 12)}…)`;
  if (opts.mismatch === 'use-installed') {
    if (installed?.request_format === REQUEST_FORMAT)
      return { ...narrow, note: `Using the installed executor: ${what} (executor_mismatch: use-installed)` };
    throw new Error(
      `The deploy user's sudo allows only the installed executor, and ${what}; it does not accept this action's request format, so executor_mismatch: use-installed cannot use it: ${upgradeHint(opts.root)}`,
    );
  }
  throw new Error(
    `The deploy user's sudo allows only the installed executor, and ${what}. The action does not upload code to run as root in this mode: ${upgradeHint(opts.root)}; or set executor_mismatch: use-installed to run the installed one when it accepts this action's requests`,
  );
}

/**
 * The preflight's answer in narrow mode: Node.js and Docker cannot be asked as root (sudo allows
 * only the executor); the executor's own preflight step checks Docker when a run starts.
 */
export function narrowPreflight(
  cli: string | undefined,
  exe: string | undefined,
): ServerExecutor & { nodeVersion: string; dockerVersion: string } {
  const installed = parseInstalledVersion(exe?.trim());
  return {
    narrow: true,
    nodeVersion: '',
    dockerVersion: '',
    ...(cli && /^[0-9a-f]{64}$/.test(cli) ? { installedSha256: cli } : {}),
    ...(installed ? { installed } : {}),
  };
}

declare const __TOOL_VERSION__: string | undefined;
/** This action's version (package.json, set at build time). */
export const ACTION_VERSION = typeof __TOOL_VERSION__ === 'string' ? __TOOL_VERSION__ : 'dev';
