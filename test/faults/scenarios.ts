// Fault scenarios of issue 6, executor side (items 1, 3-7). Each scenario injects one kind of fault,
// checks the invariants and returns table rows. `npm run faults` runs them all; the e2e test runs the
// ones marked `fast`, in their fast form.
//
// Extension point: a scenario is any object of type FaultScenario. The SSH-side faults (issue 6
// item 2: the connection cut at each step, the action reporting the true result after reconnecting)
// are in ssh-cut.ts (SSH_SCENARIOS), which run.ts adds to ALL_SCENARIOS.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseEventLine, type DeployEvent } from '../../src/common/events.js';
import { containerImages, forgetLocally, type CliRun } from '../e2e/fixture.js';
import {
  CGI_HEALTH_PATH,
  buildAndPush,
  run,
  serverNode,
  type AppVariant,
  type PushedImage,
} from '../support/sandbox.js';
import {
  REMOTE_JS,
  checkAfterFault,
  checkConverged,
  journalOf,
  leftCredentials,
  readHistory,
  runAndKill,
  stackState,
  stepIs,
  straceAvailable,
  withEvents,
  type KillPoint,
  type Sandbox,
} from './harness.js';

export interface Row {
  group: string;
  fault: string;
  injected: number;
  /** Injections after which every invariant held (and the stack converged after the next deploy). */
  consistent: number;
  /** Injections after which the next deploy succeeded. */
  nextOk: number;
  lost: number;
  corrupt: number;
  notes: string[];
  /** What was wrong, for the report and for the assertions of the fast test. */
  broken: string[];
}

export interface FaultContext {
  sb: Sandbox;
  /** The fast form (inside the test command): fewer injections. */
  fast: boolean;
  log(msg: string): void;
}

export interface FaultScenario {
  id: string;
  title: string;
  /** Part of the fast subset run by test/e2e/faults.test.ts. */
  fast: boolean;
  run(ctx: FaultContext): Promise<Row[]>;
}

export const newRow = (group: string, fault: string): Row => ({
  group,
  fault,
  injected: 0,
  consistent: 0,
  nextOk: 0,
  lost: 0,
  corrupt: 0,
  notes: [],
  broken: [],
});

const hex = () => randomBytes(3).toString('hex');

/** Deploys `stack` until it has at least `n` successful releases (rollbacks need targets). */
async function ensureReleases(sb: Sandbox, stack: string, n: number): Promise<void> {
  const count = () =>
    readHistory(sb.t.root).lines.filter(
      (l) => l.includes(`"stack":"${stack}"`) && l.includes('"status":"success"'),
    ).length;
  while (count() < n) {
    const r = await sb.deploy(stack);
    if (r.code !== 0) throw new Error(`setup deploy of ${stack} failed: ${r.result?.msg ?? r.stderr}`);
  }
}

// ---- item 1: kill -9 at every step boundary ----

interface KillCase {
  point: KillPoint;
  kind: 'deploy' | 'rollback';
  /** Runs first; may return deploy options (another image, --keep). */
  setup?: (sb: Sandbox, stack: string) => Promise<{ image?: PushedImage; extra?: string[] } | void>;
}

const logIn = (step: string, re: RegExp) => (e: DeployEvent) =>
  e.type === 'log' && e.step === step && re.test(e.msg);

function deployKillCases(sb: Sandbox, stack: string, fast: boolean): KillCase[] {
  const history = path.join(sb.t.root, 'releases', 'deploy_history.log');
  const freshImage = async () => {
    const tag = sb.tag('sha-pull');
    const img = await buildAndPush(sb.t.registry, 'app', tag, 'ok');
    await forgetLocally(img.ref, tag, sb.t.registry);
    return { image: img };
  };
  const crashImage = async () => ({
    image: await buildAndPush(sb.t.registry, 'app', 'sha-crash000', 'crash'),
  });
  const all: (KillCase & { fast?: boolean })[] = [
    { kind: 'deploy', point: { label: 'after lock', on: stepIs('lock') } },
    { kind: 'deploy', point: { label: 'after solidify', on: stepIs('solidify') } },
    {
      kind: 'deploy',
      point: { label: 'during pull', on: logIn('pull', /Login Succeeded/i), delayMs: 150 },
      setup: freshImage,
    },
    { kind: 'deploy', point: { label: 'after switch', on: stepIs('switch') }, fast: true },
    { kind: 'deploy', point: { label: 'during up', on: stepIs('up', 'start'), delayMs: 400 }, fast: true },
    { kind: 'deploy', point: { label: 'during smoke', on: stepIs('smoke', 'start') } },
    { kind: 'deploy', point: { label: 'during record', on: stepIs('record', 'start') }, fast: true },
    {
      kind: 'deploy',
      point: { label: 'during cleanup (--keep 1)', on: stepIs('cleanup', 'start') },
      setup: async () => ({ extra: ['--keep', '1'] }),
    },
    {
      kind: 'deploy',
      point: {
        label: 'during auto-rollback (crash image)',
        on: stepIs('auto_rollback.up', 'start'),
        delayMs: 300,
      },
      setup: crashImage,
    },
  ];
  if (straceAvailable()) all.push(...recordStraceCases('deploy', history, 3));
  return all.filter((c) => !fast || c.fast);
}

/**
 * Kills timed by strace on the record step: at the current manifest's rename (the `nth` rename of
 * the run) and at the history append.
 */
function recordStraceCases(kind: KillCase['kind'], history: string, nthRename: number): KillCase[] {
  return [
    {
      kind,
      point: {
        label: 'record: at the manifest rename (strace)',
        strace: { syscalls: 'rename,renameat,renameat2', nth: nthRename },
        expectLanding: 'record start',
      },
    },
    {
      kind,
      point: {
        label: 'record: at the history append (strace)',
        strace: { path: history, syscalls: 'write,writev,pwrite64' },
      },
    },
  ];
}

function rollbackKillCases(sb: Sandbox, stack: string, fast: boolean): KillCase[] {
  const history = path.join(sb.t.root, 'releases', 'deploy_history.log');
  const all: (KillCase & { fast?: boolean })[] = [
    { kind: 'rollback', point: { label: 'after lock', on: stepIs('lock') } },
    { kind: 'rollback', point: { label: 'after switch', on: stepIs('rollback.1.switch') }, fast: true },
    { kind: 'rollback', point: { label: 'during up', on: stepIs('rollback.1.up', 'start'), delayMs: 400 } },
    { kind: 'rollback', point: { label: 'during smoke', on: stepIs('rollback.1.smoke', 'start') } },
    { kind: 'rollback', point: { label: 'during record', on: stepIs('record', 'start') } },
  ];
  if (straceAvailable()) all.push(...recordStraceCases('rollback', history, 2));
  return all.filter((c) => !fast || c.fast);
}

async function killOnce(ctx: FaultContext, stack: string, c: KillCase, row: Row): Promise<void> {
  const { sb } = ctx;
  const root = sb.t.root;
  await ensureReleases(sb, stack, 3);
  const opts = (await c.setup?.(sb, stack)) ?? {};
  const before = { history: readHistory(root), hadLive: stackState(root, stack).live !== '' };
  const key = `fault-${hex()}`;
  const args =
    c.kind === 'deploy'
      ? await sb.deployArgs(stack, { image: opts.image, extra: [...(opts.extra ?? []), '--run-key', key] })
      : ['rollback', stack, 'staging', '--actor', 'faults', '--run-key', key];
  const k = await runAndKill(
    [...args, '--root', root, '--source', sb.t.source],
    c.point,
    journalOf(root, stack, key),
  );
  if (c.point.expectLanding && k.landed !== c.point.expectLanding)
    row.broken.push(`${c.point.label}: landed at "${k.landed}", not "${c.point.expectLanding}"`);
  if (!k.killed) {
    row.notes.push(`${c.point.label}: the run ended (exit ${k.code}) before the kill point`);
    row.broken.push(`${c.point.label}: not injected`);
    return;
  }
  row.injected++;
  const after = await checkAfterFault(sb, stack, before);
  row.lost += after.lost;
  row.corrupt += after.corrupt;
  const drift = after.status.problems.filter((p) => p.severity === 'drift').map((p) => p.code);
  row.notes.push(
    `landed at "${k.landed}"; live ${after.state.live === before.history.text ? '' : short(after.state.live)} / manifest ${
      typeof after.state.manifest === 'object'
        ? short(String(after.state.manifest.release_id))
        : after.state.manifest
    }; status: ${after.status.available ? (drift.length ? `drift ${[...new Set(drift)].join(',')}` : 'consistent') : 'n/a'}` +
      (k.orphansWaitedMs > 500 ? `; waited ${k.orphansWaitedMs} ms for orphaned compose` : ''),
  );
  const leftLock = after.state.lock !== 'free';
  const credentials = leftCredentials(root).length;
  const next = await sb.deploy(stack);
  const broken = [...after.broken];
  // A kill skips every cleanup: the next run must remove what the dead one left (DESIGN.md 7.6).
  if (leftCredentials(root).length)
    broken.push(`registry credentials left on disk: ${leftCredentials(root).join(', ')}`);
  if (credentials)
    row.notes.push(
      `the kill left registry credentials in ${credentials} dir(s); the next deploy removed them`,
    );
  if (next.code === 0) {
    row.nextOk++;
    broken.push(...(await checkConverged(sb, stack, next.result!.release_id!)));
    if (leftLock && !next.events.some((e) => e.type === 'log' && /took over a stale lock/.test(e.msg)))
      broken.push('the next deploy did not report taking over the stale lock');
  } else broken.push(`the next deploy failed: ${next.result?.msg ?? next.stderr}`);
  if (!broken.length) row.consistent++;
  row.broken.push(...broken.map((b) => `${c.point.label}: ${b}`));
}

/** Injections per event-triggered kill point in the full suite. */
const KILL_REPEAT = 3;

const short = (id: string) => id.replace(/__(\d{8})T(\d{6})Z$/, '@$2');

function killScenario(kind: 'deploy' | 'rollback'): FaultScenario {
  return {
    id: `kill-${kind}`,
    title: `kill -9 of the executor at each step of ${kind}`,
    fast: true,
    async run(ctx) {
      const stack = `f-kill-${kind.slice(0, 3)}-${hex()}`;
      await ctx.sb.t.addStack(stack);
      const cases =
        kind === 'deploy'
          ? deployKillCases(ctx.sb, stack, ctx.fast)
          : rollbackKillCases(ctx.sb, stack, ctx.fast);
      const rows: Row[] = [];
      // Event-triggered kills land a little after their event, not always at the same instruction:
      // the full suite repeats each one (precise strace kills land the same way every time).
      const repeat = ctx.fast ? 1 : KILL_REPEAT;
      for (const c of cases) {
        const row = newRow(`1 kill -9 (${kind})`, c.point.label);
        for (let i = 1; i <= (c.point.strace ? 1 : repeat); i++) {
          ctx.log(`kill -9 ${kind}: ${c.point.label} (${i})`);
          await killOnce(ctx, stack, c, row);
        }
        rows.push(row);
      }
      return rows;
    },
  };
}

// ---- item 3: concurrent deploys ----

const concurrency: FaultScenario = {
  id: 'concurrency',
  title: 'five deploys of one stack at once plus deploys of two other stacks',
  fast: true,
  async run(ctx) {
    const { sb } = ctx;
    const n = ctx.fast ? 3 : 5;
    const row = newRow('3 concurrency', `${n} deploys of one stack + 2 other stacks at once`);
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `f-conc-${x}-${hex()}`) as [string, string, string];
    for (const s of [a, b, c]) await sb.t.addStack(s);
    await sb.deploy(a); // a live release to replace
    const before = readHistory(sb.t.root).lines.length;
    const runs = await Promise.all([
      ...Array.from({ length: n }, () => sb.deploy(a, { extra: ['--lock-timeout', '300'] })),
      sb.deploy(b, { extra: ['--lock-timeout', '300'] }),
      sb.deploy(c, { extra: ['--lock-timeout', '300'] }),
    ]);
    row.injected = runs.length;
    const broken: string[] = [];
    const failed = runs.filter((r) => r.code !== 0);
    if (failed.length)
      broken.push(`${failed.length} deploy(s) failed: ${failed.map((r) => r.result?.msg).join(' | ')}`);
    // Serialized per stack: the lock-held windows of the runs of stack a do not overlap.
    const windows = runs
      .slice(0, n)
      .map((r) => ({ from: eventTs(r.events, 'lock', 'ok'), to: eventTs(r.events, 'unlock', 'ok') }))
      .sort((x, y) => x.from - y.from);
    for (let i = 1; i < windows.length; i++)
      if (windows[i]!.from < windows[i - 1]!.to) broken.push(`runs of ${a} overlapped under the lock`);
    const waited = runs
      .slice(0, n)
      .filter((r) => r.events.some((e) => e.type === 'log' && /waiting up to/.test(e.msg)));
    if (waited.length < n - 1) broken.push(`only ${waited.length} of ${n} runs of ${a} waited for the lock`);
    if (runs.slice(n).some((r) => r.events.some((e) => e.type === 'log' && /waiting up to/.test(e.msg))))
      broken.push('a deploy of another stack waited for the lock of stack a');
    const h = readHistory(sb.t.root);
    const added = h.lines
      .slice(before)
      .map((l) => JSON.parse(l) as { stack: string; status: string; release_id: string });
    if (added.length !== runs.length || added.some((r) => r.status !== 'success'))
      broken.push(`history: ${added.length} new records for ${runs.length} runs`);
    row.corrupt = h.corrupt;
    const lastA = windows.length
      ? runs.slice(0, n).find((r) => eventTs(r.events, 'lock', 'ok') === windows.at(-1)!.from)
      : undefined;
    for (const [stack, id] of [
      [a, lastA?.result?.release_id],
      [b, runs[n]!.result?.release_id],
      [c, runs[n + 1]!.result?.release_id],
    ] as const)
      broken.push(...(await checkConverged(sb, stack, id ?? '?')).map((x) => `${stack}: ${x}`));
    const next = await sb.deploy(a);
    if (next.code === 0) row.nextOk = runs.length;
    row.consistent = broken.length ? 0 : runs.length;
    row.notes.push(`lock waits on ${a}: ${waited.length}; ${added.length} records appended`);
    row.broken = broken;
    return [row];
  },
};

function eventTs(events: DeployEvent[], step: string, status: string): number {
  const e = events.find((x) => x.type === 'step' && x.step === step && x.status === status);
  return e ? Date.parse(e.ts) : NaN;
}

// ---- item 4: disk full ----

const diskFull: FaultScenario = {
  id: 'disk-full',
  title: 'the releases root on a small tmpfs, full at different points',
  fast: true,
  async run(ctx) {
    const { sb } = ctx;
    const root = path.join(sb.t.tmp, `full-${hex()}`);
    await mkdir(root, { recursive: true });
    const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=755', 'tmpfs', root]);
    if (mounted.code !== 0) {
      const row = newRow('4 disk full', 'tmpfs root');
      row.notes.push(`not run: mount failed (${mounted.stderr.trim()}); needs root`);
      return [row];
    }
    const stack = `f-full-${hex()}`;
    await sb.t.addStack(stack);
    const rows: Row[] = [];
    const filler = path.join(root, 'filler');
    try {
      const first = await sb.deploy(stack, { root });
      if (first.code !== 0) throw new Error(`baseline deploy on tmpfs failed: ${first.result?.msg}`);
      const cases: {
        label: string;
        fill: 'before' | 'during';
        freeBytes: number;
        on?: KillPoint['on'];
        padHistory?: boolean;
        fast?: boolean;
      }[] = [
        { label: 'full before the deploy (0 bytes free)', fill: 'before', freeBytes: 0 },
        { label: '256 KiB free before the deploy', fill: 'before', freeBytes: 256 * 1024, fast: true },
        {
          label: 'fills up during pull (records must fail)',
          fill: 'during',
          freeBytes: 0,
          on: stepIs('pull', 'start'),
          fast: true,
        },
        {
          label: 'fills up after switch, history append cut short',
          fill: 'during',
          freeBytes: 0,
          on: stepIs('switch'),
          padHistory: true,
        },
      ];
      for (const c of cases.filter((x) => !ctx.fast || x.fast)) {
        ctx.log(`disk full: ${c.label}`);
        const row = newRow('4 disk full', c.label);
        rows.push(row);
        if (c.padHistory) padHistoryPage(root, 200);
        const before = snapshot(root, stack);
        const beforeHistory = readHistory(root);
        const imagesBefore = await containerImages(stack);
        let r;
        if (c.fill === 'before') {
          fillTo(root, filler, c.freeBytes);
          r = await sb.deploy(stack, { root });
        } else {
          // Fill the disk from outside when the executor reaches the event (black box).
          const key = `fault-${hex()}`;
          const args = [
            ...(await sb.deployArgs(stack, { extra: ['--run-key', key] })),
            '--root',
            root,
            '--source',
            sb.t.source,
          ];
          r = await runUntil(args, c.on!, () => fillTo(root, filler, c.freeBytes));
        }
        row.injected++;
        const broken: string[] = [];
        if (r.code === 0) broken.push('the deploy succeeded on a full disk');
        if (!r.result) broken.push('no result event');
        if (/\n\s+at /.test(r.stderr))
          broken.push(`a stack trace instead of a clean error: ${r.stderr.slice(0, 200)}`);
        const after = snapshot(root, stack);
        if (after.live !== before.live) broken.push(`live changed: ${before.live} -> ${after.live}`);
        if (after.manifest !== before.manifest) broken.push('the current manifest changed');
        if (JSON.stringify(await containerImages(stack)) !== JSON.stringify(imagesBefore))
          broken.push('the running containers changed');
        const h = readHistory(root);
        if (!h.text.startsWith(beforeHistory.text)) {
          broken.push('history rewritten');
          row.lost += beforeHistory.lines.length;
        }
        if (h.corrupt || h.tornLast)
          broken.push(`history has ${h.corrupt} corrupt line(s)${h.tornLast ? ' and a torn last line' : ''}`);
        row.corrupt += h.corrupt + (h.tornLast ? 1 : 0);
        const s = stackState(root, stack);
        if (s.incomplete.length) broken.push(`incomplete release-looking dirs: ${s.incomplete.join(', ')}`);
        row.notes.push(`${r.result?.status ?? 'no result'}: ${(r.result?.msg ?? r.stderr).slice(0, 160)}`);
        rmSync(filler, { force: true });
        const next = await sb.deploy(stack, { root });
        if (next.code === 0) {
          row.nextOk++;
          broken.push(...(await checkConverged(sb, stack, next.result!.release_id!, root)));
        } else broken.push(`next deploy failed: ${next.result?.msg ?? next.stderr}`);
        if (!broken.length) row.consistent++;
        row.broken.push(...broken.map((b) => `${c.label}: ${b}`));
      }
    } finally {
      rmSync(filler, { force: true });
      await run('umount', [root]);
      await rm(root, { recursive: true, force: true });
    }
    return rows;
  },
};

/** A black-box trigger that does something (not a kill) on an event, and lets the run finish. */
async function runUntil(args: string[], on: NonNullable<KillPoint['on']>, act: () => void): Promise<CliRun> {
  const child = spawn(serverNode(), [REMOTE_JS, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let done = false;
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (done) return;
    for (const line of stdout.split('\n')) {
      const e = parseEventLine(line);
      if (e && on(e)) {
        done = true;
        act();
        break;
      }
    }
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return withEvents({ code, signal: null, stdout, stderr });
}

function fillTo(root: string, filler: string, freeBytes: number): void {
  const s = statfsSync(root);
  const free = s.bavail * s.bsize;
  const size = Math.max(0, free - freeBytes);
  // tmpfs: a page-granular file of the wanted size; then top up byte-wise until writes fail.
  writeFileSync(filler, Buffer.alloc(Math.floor(size / 4096) * 4096));
  if (freeBytes === 0) {
    try {
      for (;;) writeFileSync(`${filler}-top-${hex()}`, Buffer.alloc(4096));
    } catch {
      /* full */
    }
  }
}

/**
 * Appends a valid record of another stack sized so that the history's last page has only
 * `room` bytes left: the next append on a full disk is then cut short (a partial write).
 */
function padHistoryPage(root: string, room: number): void {
  const file = path.join(root, 'releases', 'deploy_history.log');
  const size = existsSync(file) ? readFileSync(file).length : 0;
  const used = size % 4096;
  const base = JSON.stringify({
    ts: new Date().toISOString(),
    stack: 'padding',
    mode: 'verify',
    status: 'success',
    pad: '',
  });
  let want = 4096 - room - used - base.length - 1;
  if (want < 0) want += 4096;
  writeFileSync(file, base.replace('"pad":""', `"pad":"${'x'.repeat(want)}"`) + '\n', { flag: 'a' });
}

function snapshot(root: string, stack: string) {
  const s = stackState(root, stack);
  const m = path.join(root, 'releases', 'current', `${stack}.json`);
  return { live: s.live, manifest: existsSync(m) ? readFileSync(m, 'utf8') : '' };
}

// ---- item 5: registry down, digest missing ----

const registry: FaultScenario = {
  id: 'registry',
  title: 'registry down or digest missing: fails before the switch; rollback uses cached images',
  fast: false,
  async run(ctx) {
    const { sb } = ctx;
    const stack = `f-reg-${hex()}`;
    await sb.t.addStack(stack);
    await ensureReleases(sb, stack, 2);
    const rows: Row[] = [];
    const attempt = async (
      label: string,
      image: PushedImage,
      prepare: () => Promise<void>,
      restore: () => Promise<void>,
    ) => {
      ctx.log(`registry: ${label}`);
      const row = newRow('5 registry', label);
      rows.push(row);
      const before = {
        live: stackState(sb.t.root, stack).live,
        images: await containerImages(stack),
        history: readHistory(sb.t.root),
      };
      await prepare();
      const broken: string[] = [];
      try {
        row.injected++;
        const r = await sb.deploy(stack, { image });
        if (r.code !== 1) broken.push(`deploy exit ${r.code}, expected 1`);
        if (!r.events.some(stepIs('pull', 'failed'))) broken.push('did not fail at pull');
        if (r.events.some((e) => e.type === 'step' && e.step === 'switch')) broken.push('reached the switch');
        if (stackState(sb.t.root, stack).live !== before.live) broken.push('live changed');
        if (JSON.stringify(await containerImages(stack)) !== JSON.stringify(before.images))
          broken.push('containers changed');
        row.notes.push(`deploy: ${r.result?.msg.slice(0, 120)}`);
        if (label.startsWith('registry down')) {
          // Rollback needs no registry: the images of older releases are cached on the server.
          const rb = await sb.exec(['rollback', stack, 'staging', '--actor', 'faults']);
          if (rb.code !== 0) broken.push(`rollback with the registry down failed: ${rb.result?.msg}`);
          else broken.push(...(await checkConverged(sb, stack, rb.result!.release_id!)));
          row.notes.push(`rollback with the registry down: ${rb.result?.status}`);
        }
      } finally {
        await restore();
      }
      const h = readHistory(sb.t.root);
      if (!h.text.startsWith(before.history.text)) row.lost += before.history.lines.length;
      row.corrupt += h.corrupt;
      const next = await sb.deploy(stack);
      if (next.code === 0) row.nextOk++;
      else broken.push(`next deploy failed: ${next.result?.msg}`);
      if (next.code === 0) broken.push(...(await checkConverged(sb, stack, next.result!.release_id!)));
      if (!broken.length) row.consistent++;
      row.broken.push(...broken.map((b) => `${label}: ${b}`));
    };
    const fresh = async (prefix: string) => {
      const tag = sb.tag(prefix);
      const img = await buildAndPush(sb.t.registry, 'app', tag, 'ok');
      await forgetLocally(img.ref, tag, sb.t.registry);
      return img;
    };
    const down = await fresh('sha-down');
    await attempt(
      'registry down',
      down,
      () => sb.t.registry.stop(),
      () => sb.t.registry.start(),
    );
    const gone = await fresh('sha-gone');
    const revision = path.join(
      sb.t.registry.dir,
      'data/docker/registry/v2/repositories/app/_manifests/revisions/sha256',
      gone.digest.slice(7),
    );
    await attempt(
      'digest missing in the registry',
      gone,
      () => rm(revision, { recursive: true, force: true }),
      async () => {},
    );
    return rows;
  },
};

// ---- item 6: releases that crash-loop, turn unhealthy or answer wrongly ----

const SMOKE_BUDGET_S = 6;
/** Probe timeout, container polling and compose start-up around the budget. */
const SMOKE_SLACK_MS = 3000;

const badReleases: FaultScenario = {
  id: 'bad-release',
  title: 'crash loop, unhealthy, wrong answer: auto-rollback within the smoke budget',
  fast: true,
  async run(ctx) {
    const { sb } = ctx;
    const stack = `f-smoke-${hex()}`;
    await sb.t.addStack(stack, {
      healthPath: CGI_HEALTH_PATH,
      smokeTimeoutS: SMOKE_BUDGET_S,
      serviceExtra: 'restart: always',
    });
    await ensureReleases(sb, stack, 1);
    const variants: [AppVariant, string][] = ctx.fast
      ? [['crash', 'crash loop (restart: always)']]
      : [
          ['crash', 'crash loop (restart: always)'],
          ['unhealthy', 'unhealthy healthcheck'],
          ['error500', 'wrong answer (HTTP 500)'],
          ['not-found', 'wrong answer (HTTP 404)'],
        ];
    const rows: Row[] = [];
    for (const [variant, label] of variants) {
      ctx.log(`bad release: ${label}`);
      const row = newRow('6 bad release', label);
      rows.push(row);
      const image = await buildAndPush(
        sb.t.registry,
        'app',
        `sha-${variant.replace(/[^a-z0-9]/g, '')}`,
        variant,
      );
      const before = { live: stackState(sb.t.root, stack).live, history: readHistory(sb.t.root) };
      const r = await sb.deploy(stack, { image });
      row.injected++;
      const broken: string[] = [];
      if (r.code !== 3 || r.result?.status !== 'rolled_back')
        broken.push(`exit ${r.code} ${r.result?.status}, expected 3 rolled_back`);
      const smokeMs = r.result?.durations?.smoke ?? NaN;
      // The budget is checked by `npm run faults` only: the test command makes no timing assertions.
      if (!ctx.fast && !(smokeMs <= SMOKE_BUDGET_S * 1000 + SMOKE_SLACK_MS))
        broken.push(`smoke took ${smokeMs} ms, budget ${SMOKE_BUDGET_S} s`);
      const s = stackState(sb.t.root, stack);
      if (s.live !== before.live) broken.push(`live is ${s.live}, not the previous ${before.live}`);
      if (
        typeof s.manifest !== 'object' ||
        s.manifest.release_id !== before.live ||
        s.manifest.mode !== 'auto-rollback'
      )
        broken.push('the manifest does not record the auto-rollback');
      const h = readHistory(sb.t.root);
      if (!h.text.startsWith(before.history.text)) row.lost += before.history.lines.length;
      row.corrupt += h.corrupt;
      row.notes.push(
        `smoke ${(smokeMs / 1000).toFixed(1)} s of ${SMOKE_BUDGET_S} s; ${r.result?.msg.split(';')[0]}`,
      );
      const next = await sb.deploy(stack);
      if (next.code === 0) {
        row.nextOk++;
        broken.push(...(await checkConverged(sb, stack, next.result!.release_id!)));
      } else broken.push(`next deploy failed: ${next.result?.msg}`);
      if (!broken.length) row.consistent++;
      row.broken.push(...broken.map((b) => `${label}: ${b}`));
    }
    return rows;
  },
};

// ---- item 7: dockerd not answering ----

const dockerDown: FaultScenario = {
  id: 'docker-down',
  title: 'dockerd not answering (DOCKER_HOST at a dead socket): clear preflight error, nothing changed',
  fast: true,
  async run(ctx) {
    const { sb } = ctx;
    const stack = `f-dock-${hex()}`;
    await sb.t.addStack(stack);
    await ensureReleases(sb, stack, 2);
    const dead = { DOCKER_HOST: 'unix:///nonexistent.sock' };
    const rows: Row[] = [];
    for (const kind of ['deploy', 'rollback'] as const) {
      const row = newRow('7 dockerd down', `${kind} with DOCKER_HOST at a dead socket`);
      rows.push(row);
      const before = {
        state: JSON.stringify(snapshot(sb.t.root, stack)),
        history: readHistory(sb.t.root),
        images: await containerImages(stack),
      };
      const r =
        kind === 'deploy'
          ? await sb.deploy(stack, { processEnv: dead })
          : await sb.exec(['rollback', stack, 'staging', '--actor', 'faults'], { env: dead });
      row.injected++;
      const broken: string[] = [];
      if (r.code !== 1) broken.push(`exit ${r.code}`);
      if (!r.events.some(stepIs('preflight', 'failed'))) broken.push('did not fail at preflight');
      if (!/Docker daemon.*does not answer/.test(r.result?.msg ?? ''))
        broken.push(`unclear error: ${r.result?.msg}`);
      if (r.events.some((e) => e.type === 'step' && ['solidify', 'switch'].includes(e.step)))
        broken.push('went past preflight');
      if (JSON.stringify(snapshot(sb.t.root, stack)) !== before.state)
        broken.push('live or manifest changed');
      if (JSON.stringify(await containerImages(stack)) !== JSON.stringify(before.images))
        broken.push('containers changed');
      const h = readHistory(sb.t.root);
      if (!h.text.startsWith(before.history.text)) row.lost += before.history.lines.length;
      row.corrupt += h.corrupt;
      row.notes.push(r.result?.msg.slice(0, 150) ?? '');
      const next = await sb.deploy(stack);
      if (next.code === 0) {
        row.nextOk++;
        broken.push(...(await checkConverged(sb, stack, next.result!.release_id!)));
      } else broken.push(`next deploy failed: ${next.result?.msg}`);
      if (!broken.length) row.consistent++;
      row.broken.push(...broken);
    }
    return rows;
  },
};

/** Every executor-side scenario, in the order the table shows them. */
export const EXECUTOR_SCENARIOS: FaultScenario[] = [
  killScenario('deploy'),
  killScenario('rollback'),
  concurrency,
  diskFull,
  registry,
  badReleases,
  dockerDown,
];
