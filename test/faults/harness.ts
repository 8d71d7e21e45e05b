// The fault-injection harness (issue 6): runs the committed executor (dist/remote.cjs) as the server
// runs it, kills it from outside on its own events, and judges what it left behind by looking at the
// server's files, history and `status` only: black-box, no hooks in the product code.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEventLine, type DeployEvent, type ResultEvent } from '../../src/common/events.js';
import { RELEASE_ID_RE } from '../../src/common/names.js';
import { REMOTE_JS, digestManifest, startTarget, type CliRun, type Target } from '../e2e/fixture.js';
import { run, serverNode, sleep, type PushedImage } from '../support/sandbox.js';

export { REMOTE_JS };

/** One shared sandbox: the e2e fixture's registry, stack sources and root, plus a base image. */
export interface Sandbox {
  t: Target;
  /** An `ok` image, pushed and present locally; most deploys pin it under a fresh tag. */
  base: PushedImage;
  /** A fresh, valid image tag. */
  tag(prefix?: string): string;
  /** Runs the executor CLI to completion with --json (and --root/--source unless given). */
  exec(args: string[], opts?: ExecOptions): Promise<CliRun>;
  /** deploy <stack> staging <tag> pinned to `image` (default: base), with registry credentials. */
  deploy(stack: string, opts?: DeployOptions): Promise<CliRun & { tag: string }>;
  /** Arguments for such a deploy (for runs started by `runAndKill`). */
  deployArgs(stack: string, opts?: DeployOptions): Promise<string[]>;
  close(): Promise<void>;
}

export interface ExecOptions {
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Leave out --root/--source (the case supplies its own). */
  raw?: boolean;
}

export interface DeployOptions {
  tag?: string;
  image?: PushedImage;
  env?: string;
  root?: string;
  extra?: string[];
  processEnv?: NodeJS.ProcessEnv;
}

let tagCounter = 0;

export async function startSandbox(): Promise<Sandbox> {
  const t = await startTarget({ smokeTimeoutS: 8 });
  const base = await t.image('sha-base000');
  const manifests = new Map<string, string>();

  const manifestFor = async (tag: string, image: PushedImage) => {
    const file = path.join(t.tmp, `digests-${tag}.json`);
    if (!manifests.has(tag)) {
      await writeFile(file, JSON.stringify(digestManifest(tag, { app: image })));
      manifests.set(tag, file);
    }
    return file;
  };
  const exec = async (args: string[], opts: ExecOptions = {}): Promise<CliRun> => {
    const where = opts.raw ? [] : ['--root', opts.root ?? t.root, '--source', t.source];
    const r = await run(serverNode(), [REMOTE_JS, ...args, ...where, '--json'], {
      env: { ...process.env, ...opts.env },
    });
    return withEvents(r);
  };
  const deployArgs = async (stack: string, o: DeployOptions = {}) => {
    const tag = o.tag ?? sandbox.tag();
    return [
      'deploy',
      stack,
      o.env ?? 'staging',
      tag,
      '--digest-file',
      await manifestFor(tag, o.image ?? base),
      '--actor',
      'faults',
      '--run-id',
      '6',
      ...(await t.registryArgs()),
      ...(o.extra ?? []),
    ];
  };
  const sandbox: Sandbox = {
    t,
    base,
    tag: (prefix = 'sha-f') =>
      `${prefix}${String(++tagCounter).padStart(3, '0')}${randomBytes(2).toString('hex')}`,
    exec,
    deployArgs,
    async deploy(stack, o = {}) {
      const tag = o.tag ?? sandbox.tag();
      const r = await exec(await deployArgs(stack, { ...o, tag }), { root: o.root, env: o.processEnv });
      return { ...r, tag };
    },
    close: () => t.close(),
  };
  return sandbox;
}

export function withEvents(r: {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}): CliRun {
  const events = r.stdout
    .split('\n')
    .map(parseEventLine)
    .filter((e): e is DeployEvent => Boolean(e));
  return { ...r, events, result: events.find((e): e is ResultEvent => e.type === 'result') };
}

// ---- killing the executor on one of its events ----

export interface KillPoint {
  /** Table label, e.g. "deploy: after switch". */
  label: string;
  /** Kill when this event is seen on the executor's stdout (JSON Lines). */
  on?: (e: DeployEvent) => boolean;
  /** For precise kills: the last step event the journal must hold, else the case is void. */
  expectLanding?: string;
  /** Extra wait after the event, to land inside a step that takes time (pull, up, smoke). */
  delayMs?: number;
  /**
   * Syscall-precise kill for synchronous steps: strace delivers SIGKILL when the executor's main
   * thread (where node runs synchronous fs calls) enters one of `syscalls`, on `path` if given
   * (e.g. the first write(2) to the history), else the `nth` one (strace 6 matches only the first
   * path of rename(2), so the manifest rename is found by its rank: solidify, switch, manifest).
   */
  strace?: { path?: string; syscalls: string; nth?: number };
}

export interface KillRun {
  killed: boolean;
  code: number;
  events: DeployEvent[];
  /** The last step event the run journal holds: where the kill landed. */
  landed: string;
  /** Left alive by the kill (compose, pull) and waited for. */
  orphansWaitedMs: number;
}

export const stepIs =
  (step: string, status: 'start' | 'ok' | 'failed' = 'ok') =>
  (e: DeployEvent) =>
    e.type === 'step' && e.step === step && e.status === status;

export function straceAvailable(): boolean {
  return existsSync('/usr/bin/strace');
}

/**
 * Runs the executor in its own process group, SIGKILLs the executor alone (as `kill -9 <pid>` or
 * the OOM killer would) at the kill point, then waits for children it left running (compose) to end.
 */
export async function runAndKill(
  args: string[],
  point: KillPoint,
  journal: string,
  timeoutMs = 120_000,
): Promise<KillRun> {
  const node = [serverNode(), REMOTE_JS, ...args, '--json'];
  const argv = point.strace
    ? [
        'strace',
        '-qq',
        '-o',
        '/dev/null',
        ...(point.strace.path ? ['-P', point.strace.path] : []),
        '-e',
        `trace=${point.strace.syscalls}`,
        '-e',
        `inject=${point.strace.syscalls}:signal=SIGKILL${point.strace.nth ? `:when=${point.strace.nth}` : ''}`,
        ...node,
      ]
    : node;
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: DeployEvent[] = [];
  let killed = false;
  let pending = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.stderr.resume();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const e = parseEventLine(line);
      if (!e) continue;
      events.push(e);
      if (!killed && point.on?.(e)) {
        killed = true;
        const kill = () => {
          try {
            process.kill(child.pid!, 'SIGKILL');
          } catch {
            /* already gone */
          }
        };
        if (point.delayMs) setTimeout(kill, point.delayMs);
        else kill();
      }
    }
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => child.on('close', (c, s) => resolve({ code: c, signal: s })),
  );
  clearTimeout(timer);
  const waited = Date.now();
  await waitGroupGone(child.pid!);
  return {
    killed: signal === 'SIGKILL' || code === 137,
    code: code ?? -1,
    events,
    landed: lastStep(journal),
    orphansWaitedMs: Date.now() - waited,
  };
}

async function waitGroupGone(pgid: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
      return;
    }
    await sleep(100);
  }
}

function lastStep(journal: string): string {
  if (!existsSync(journal)) return '(no journal)';
  const steps = readFileSync(journal, 'utf8')
    .split('\n')
    .map(parseEventLine)
    .filter((e): e is DeployEvent => e?.type === 'step');
  const last = steps.at(-1);
  return last && last.type === 'step' ? `${last.step} ${last.status}` : '(no step)';
}

// ---- what the server holds ----

export interface HistoryState {
  text: string;
  lines: string[];
  /** Lines that do not parse, other than a torn last line. */
  corrupt: number;
  tornLast: boolean;
}

export function readHistory(root: string): HistoryState {
  const file = path.join(root, 'releases', 'deploy_history.log');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const lines = text.split('\n');
  const tornLast = lines.at(-1) !== '';
  if (!tornLast) lines.pop();
  let corrupt = 0;
  lines.forEach((l, i) => {
    if (i === lines.length - 1 && tornLast) return;
    try {
      const r = JSON.parse(l) as { stack?: unknown };
      if (typeof r.stack !== 'string') corrupt++;
    } catch {
      corrupt++;
    }
  });
  return { text, lines, corrupt, tornLast: tornLast && text.length > 0 };
}

export interface StackState {
  /** Release id the live symlink points at; '' when absent; 'OUTSIDE:<target>' when not ours. */
  live: string;
  liveComplete: boolean;
  manifest: 'missing' | 'corrupt' | Record<string, unknown>;
  /** Release-looking directories (RELEASE_ID_RE names) without their .seisei-release.json. */
  incomplete: string[];
  /** .tmp-* / .trash-* leftovers of killed runs (never release-looking). */
  leftovers: string[];
  lock: 'free' | 'held' | 'unreadable';
  lockPid?: number;
}

export function stackState(root: string, stack: string): StackState {
  const link = path.join(root, 'stacks', stack);
  const releases = path.join(root, 'releases', 'stacks', stack);
  let live = '';
  if (isSymlink(link)) {
    const target = path.resolve(path.dirname(link), readlinkSync(link));
    live = path.dirname(target) === releases ? path.basename(target) : `OUTSIDE:${target}`;
  } else if (existsSync(link)) live = 'OUTSIDE:(not a symlink)';
  const meta = (id: string) => path.join(releases, id, '.seisei-release.json');
  const entries = existsSync(releases) ? readdirSync(releases) : [];
  const manifestFile = path.join(root, 'releases', 'current', `${stack}.json`);
  let manifest: StackState['manifest'] = 'missing';
  if (existsSync(manifestFile)) {
    try {
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
    } catch {
      manifest = 'corrupt';
    }
  }
  const lockFile = path.join(root, 'releases', 'locks', `${stack}.lock`);
  let lock: StackState['lock'] = 'free';
  let lockPid: number | undefined;
  if (existsSync(lockFile)) {
    try {
      lockPid = (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number }).pid;
      lock = 'held';
    } catch {
      lock = 'unreadable';
    }
  }
  return {
    live,
    liveComplete: live !== '' && !live.startsWith('OUTSIDE:') && existsSync(meta(live)),
    manifest,
    incomplete: entries.filter((n) => RELEASE_ID_RE.test(n) && !existsSync(meta(n))),
    leftovers: entries.filter((n) => /^\.(tmp|trash)-/.test(n)),
    lock,
    lockPid,
  };
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface StatusVerdict {
  available: boolean;
  consistent?: boolean;
  problems: { severity: string; code: string; message: string }[];
}

/** `status <stack> --json` from the executor itself (remote/ops/status.ts). */
export async function status(sb: Sandbox, stack: string, root?: string): Promise<StatusVerdict> {
  const r = await sb.exec(['status', stack], { root });
  try {
    const j = JSON.parse(r.stdout) as {
      consistent: boolean;
      stacks: { problems: StatusVerdict['problems'] }[];
    };
    return { available: true, consistent: j.consistent, problems: j.stacks.flatMap((s) => s.problems) };
  } catch {
    return { available: false, problems: [] };
  }
}

/**
 * The invariants after an injected fault (issue 6 item 1). Returns what is broken, empty when all hold.
 * `hadLive`: the stack had a live release before the fault (else an absent symlink is right).
 */
export async function checkAfterFault(
  sb: Sandbox,
  stack: string,
  before: { history: HistoryState; hadLive: boolean },
  root = sb.t.root,
): Promise<{ broken: string[]; lost: number; corrupt: number; state: StackState; status: StatusVerdict }> {
  const broken: string[] = [];
  const s = stackState(root, stack);
  if (s.live === '') {
    if (before.hadLive) broken.push('the live symlink is gone');
  } else if (!s.liveComplete) broken.push(`the live symlink points at an incomplete release (${s.live})`);
  if (s.incomplete.length)
    broken.push(`release-looking directories without metadata: ${s.incomplete.join(', ')}`);
  if (s.manifest === 'corrupt') broken.push('the current manifest does not parse');
  if (s.manifest === 'missing' && before.hadLive) broken.push('the current manifest is gone');
  if (s.lock === 'held' && s.lockPid && pidAlive(s.lockPid))
    broken.push(`the lock is held by live pid ${s.lockPid}`);
  const h = readHistory(root);
  const lost =
    before.history.text && !h.text.startsWith(before.history.text) ? before.history.lines.length : 0;
  if (lost) broken.push('the history was rewritten (earlier records changed or lost)');
  if (h.corrupt) broken.push(`${h.corrupt} corrupt history line(s) before the last`);
  const st = await status(sb, stack, root);
  const manifestId = typeof s.manifest === 'object' ? String(s.manifest.release_id) : '';
  if (st.available && s.live && manifestId && s.live !== manifestId) {
    const explained = st.problems.some(
      (p) =>
        p.severity === 'drift' &&
        p.message.includes(s.live) &&
        p.message.includes(manifestId) &&
        /redeploy|rollback/.test(p.message),
    );
    if (st.consistent !== false || !explained)
      broken.push(`status does not explain symlink ${s.live} != manifest ${manifestId} and how to converge`);
  }
  return { broken, lost, corrupt: h.corrupt, state: s, status: st };
}

/** After a successful deploy everything must agree: symlink, manifest, history, status; no lock. */
export async function checkConverged(
  sb: Sandbox,
  stack: string,
  releaseId: string,
  root = sb.t.root,
): Promise<string[]> {
  const broken: string[] = [];
  const s = stackState(root, stack);
  if (s.live !== releaseId) broken.push(`live is ${s.live || 'absent'}, not ${releaseId}`);
  const m = typeof s.manifest === 'object' ? s.manifest.release_id : s.manifest;
  if (m !== releaseId) broken.push(`the manifest says ${String(m)}, not ${releaseId}`);
  if (s.lock !== 'free') broken.push('the lock was not released');
  if (s.leftovers.length) broken.push(`leftovers of killed runs remain: ${s.leftovers.join(', ')}`);
  const last = readHistory(root)
    .lines.map((l) => {
      try {
        return JSON.parse(l) as { stack: string; status: string; release_id: string };
      } catch {
        return undefined;
      }
    })
    .filter((r) => r?.stack === stack)
    .at(-1);
  if (last?.status !== 'success' || last.release_id !== releaseId)
    broken.push(`the last history record of ${stack} is not the success of ${releaseId}`);
  const st = await status(sb, stack, root);
  if (st.available && !st.consistent)
    broken.push(`status reports drift: ${st.problems.map((p) => p.message).join(' | ')}`);
  return broken;
}

/**
 * Registry credentials that runs whose process is gone left on disk: the executor's private
 * DOCKER_CONFIG dirs (`<root>/releases/runs/<stack>/docker-config-<pid>-*`) that still hold a config.json.
 */
export function leftCredentials(root: string): string[] {
  const runs = path.join(root, 'releases', 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs)
    .flatMap((stack) => readdirSync(path.join(runs, stack)).map((name) => path.join(runs, stack, name)))
    .map((dir) => ({ dir, pid: Number(/^docker-config-(\d+)-/.exec(path.basename(dir))?.[1]) }))
    .filter(({ dir, pid }) => pid && !pidAlive(pid) && existsSync(path.join(dir, 'config.json')))
    .map(({ dir }) => dir);
}

export const journalOf = (root: string, stack: string, key: string) =>
  path.join(root, 'releases', 'runs', stack, `${key}.jsonl`);
