// The server check before anything runs (one exec): sudo (full or narrow), Node.js >= 18, Docker,
// the SSH user's tools and the installed executor, reported as `key=value` lines and judged here.
import { DEFAULT_ROOT, layout } from '../../common/layout.js';
import type { SshSession } from './connection.js';
import { SshError } from './errors.js';
import {
  installedExecutorScript,
  parseInstalled,
  parseInstalledVersion,
  upgradeHint,
  type InstalledExecutorInfo,
  type InstalledVersion,
} from './installed-executor.js';
import { shellQuote, type RemoteOptions } from './shell.js';
import type { SshTarget } from './target.js';

/** Where each deploy installs the executor, which the action reuses when it is the same build. */
const installedExecutor = (root: string) => layout(root).cli;

export interface PreflightInfo {
  nodeVersion: string;
  dockerVersion: string;
  /** The installed executor, when a root was given. */
  installed?: InstalledExecutorInfo;
  /** The deploy user's sudo allows only the installed executor (docs/server-setup.md section 4). */
  narrow?: boolean;
  /** In narrow mode: what the installed executor's `version --json` said, if it answered. */
  installedVersion?: InstalledVersion;
}

/** Programs the action itself runs as the SSH user (besides sh and the executor). */
export const USER_TOOLS = ['mktemp', 'cat', 'sha256sum', 'stat', 'rm'] as const;

/**
 * One shell command that reports sudo, node, docker, the SSH user's tools and the installed
 * executor as `key=value` lines. Under sudo it runs exactly `sudo -n true`, `sudo -n <node> --version`
 * and `sudo -n docker version ...`; everything else runs as the SSH user.
 */
export function preflightScript(r: RemoteOptions): string {
  return [
    `N=${shellQuote(r.node)}`,
    r.sudo
      ? `if ! command -v sudo >/dev/null 2>&1; then echo sudo=missing; exit 0; fi; ` +
        `if sudo -n true 2>/dev/null; then echo sudo=ok; S='sudo -n'; ` +
        (r.root ? narrowSudoProbe(installedExecutor(r.root)) : '') +
        `else echo sudo=fail; exit 0; fi`
      : `S=''`,
    // With narrow sudo, Node.js and Docker cannot be asked as root; the executor's preflight checks Docker.
    // Node.js and Docker are asked at the same time as the rest (each answer is one line, written
    // at once; the parser takes them in any order); `wait` ends the check when all have answered.
    // `node --version` answers before node starts its JavaScript engine (≈ 1 ms against ≈ 60 ms
    // for `node -e`), and a Node.js too old to parse the executor answers it too.
    `if [ "$S" != narrow ]; then`,
    `{ if v=$($S "$N" --version 2>&1); then echo "node=ok $v"; else echo "node=fail $(printf %s "$v" | tr '\\n' ' ' | cut -c1-300)"; fi; } &`,
    `{ if d=$($S docker version --format '{{.Server.Version}}' 2>&1); then echo "docker=ok $d"; else echo "docker=fail $(printf %s "$d" | tr '\\n' ' ' | cut -c1-300)"; fi; } &`,
    `fi`,
    // command -v only tells whether a name runs (for a builtin it prints the bare name).
    `m=; for t in ${USER_TOOLS.join(' ')}; do command -v "$t" >/dev/null 2>&1 || m="$m $t"; done; echo "tools=\${m# }"`,
    ...(r.root ? [installedExecutorScript(installedExecutor(r.root))] : []),
    `wait`,
  ].join('\n');
}

/**
 * When `sudo -n true` is refused: does sudo allow the installed executor alone (the narrow rule)?
 * `sudo -n -l <file>` exits 0 only when the rule allows it and the file exists. Then ask its
 * `version --json` (the one command sudo allows); its hash is read as the SSH user, like any.
 */
function narrowSudoProbe(exe: string): string {
  const q = shellQuote(exe);
  return (
    `elif sudo -n -l ${q} >/dev/null 2>&1; then echo sudo=narrow; S=narrow; ` +
    `echo "exe=$(sudo -n ${q} version --json 2>/dev/null | head -c 500 | tr '\\n' ' ')"; `
  );
}

/** Interprets the preflight output; throws SshError('preflight') listing every problem. */
export function checkPreflight(stdout: string, r: RemoteOptions, t: SshTarget): PreflightInfo {
  const facts = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(sudo|node|docker|tools|cli|exe)=(.*)$/.exec(line.trim());
    // The first answer counts: a later line (text from a name on the server) cannot override it.
    if (m && !facts.has(m[1]!)) facts.set(m[1]!, m[2]!);
  }
  const fail = (problems: string[]) =>
    new SshError('preflight', `Server check failed on ${t.host}:\n  - ${problems.join('\n  - ')}`);
  const sudo = facts.get('sudo');
  // With narrow sudo, Node.js and Docker cannot be asked as root: the executor's preflight step checks Docker.
  const narrow = r.sudo && sudo === 'narrow';
  if (r.sudo && sudo !== 'ok' && !narrow)
    throw fail([
      sudo === 'missing'
        ? `sudo is not installed on ${t.host}; install it, or set sudo: false if ${t.username} may run Docker and write srv_root itself`
        : `passwordless sudo is not available for ${t.username} on ${t.host} ('sudo -n true' failed): allow it in sudoers for true, node and docker (see docs/server-setup.md, "sudo for the deploy user"); or, for sudo that allows only the installed executor, install it (${upgradeHint(r.root ?? DEFAULT_ROOT)}) and allow exactly ${installedExecutor(r.root ?? DEFAULT_ROOT)}; or set sudo: false if ${t.username} may run Docker and write srv_root itself`,
    ]);
  const problems: string[] = [];
  const runtime = narrow ? { nodeVersion: '', dockerVersion: '' } : checkRuntime(facts, r, t, problems);
  const tools = facts.get('tools');
  if (tools === undefined) problems.push(`the server check's list of tools got no answer on ${t.host}`);
  else if (tools.trim())
    problems.push(
      `${tools.trim().split(/\s+/).join(', ')} not found in the PATH of ${t.username} on ${t.host}: the action runs them as ${t.username} to send and check the executor (install coreutils)`,
    );
  if (problems.length) throw fail(problems);
  const installedVersion = narrow ? parseInstalledVersion(facts.get('exe')?.trim()) : undefined;
  return {
    ...runtime,
    ...(r.root ? { installed: parseInstalled(facts.get('cli'), installedExecutor(r.root)) } : {}),
    ...(narrow ? { narrow } : {}),
    ...(installedVersion ? { installedVersion } : {}),
  };
}

/** Node.js (>= 18) and Docker as the executor will run them; problems are appended. */
function checkRuntime(
  facts: Map<string, string>,
  r: RemoteOptions,
  t: SshTarget,
  problems: string[],
): { nodeVersion: string; dockerVersion: string } {
  const via = r.sudo ? ' (run via sudo -n)' : '';
  const node = facts.get('node') ?? 'fail (no answer)';
  let nodeVersion = '';
  const nv = /^ok v?(\d+)\.(\d+)\.(\d+)/.exec(node);
  if (!nv)
    problems.push(
      `Node.js is not runnable as ${shellQuote(r.node)}${via} on ${t.host}: ${node.replace(/^fail ?/, '') || 'no output'}; install Node.js >= 18 or set remote_node to its absolute path` +
        (r.sudo ? ' (sudo uses secure_path, which may not include /usr/local/bin)' : ''),
    );
  else {
    nodeVersion = `${nv[1]}.${nv[2]}.${nv[3]}`;
    if (Number(nv[1]) < 18)
      problems.push(
        `Node.js ${nodeVersion} at ${shellQuote(r.node)}${via} on ${t.host} is too old: the executor needs Node.js >= 18 (set remote_node to a newer one)`,
      );
  }
  const docker = facts.get('docker') ?? 'fail (no answer)';
  let dockerVersion = '';
  if (docker.startsWith('ok ')) dockerVersion = docker.slice(3).trim();
  else
    problems.push(
      `'docker version'${via} failed on ${t.host}: ${docker.replace(/^fail ?/, '') || 'no output'}; install Docker Engine and make sure its daemon is running`,
    );
  return { nodeVersion, dockerVersion };
}

/** Checks in one command that the server can run the executor. */
export async function preflight(session: SshSession, r: RemoteOptions): Promise<PreflightInfo> {
  const res = await session.exec(preflightScript(r), { timeoutMs: 60_000 });
  if (res.code === null && !res.stdout)
    throw new SshError(
      'connection',
      `Server check on ${session.target.host} got no answer: ${res.timedOut ? 'timed out after 60 s' : session.closeReason}`,
    );
  return checkPreflight(res.stdout, r, session.target);
}
