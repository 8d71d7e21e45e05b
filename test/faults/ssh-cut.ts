// Issue 6 item 2: the SSH connection cut at each step of a deploy and of a rollback. The committed
// action (dist/index.js, run by the e2e action harness exactly as the runner runs it) deploys to a
// real sshd, registry and dockerd (the e2e action fixture); the moment its log opens the group of a
// step (`::group::▶ <step>`, src/render.ts), every sshd session is killed. Short steps may be over
// by then: where the cut landed is read from the server's run journal at that moment.
//
// Afterwards: the run completed on the server (its journal has a result; symlink, manifest,
// history, lock, status and containers agree, as for the kill -9 rows), the action reconnected and
// its outputs are the server's truth, the log shows each step group exactly as rendering the journal
// once gives it (nothing repeated or lost), and the next deploy succeeds.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseEventLine, type DeployEvent, type ResultEvent } from '../../common/events.js';
import { outputsOf } from '../../src/report/outputs.js';
import { EventRenderer, type Out } from '../../src/report/renderer.js';
import {
  randomShaTag,
  runningImages,
  startDeployServer,
  type DeployServer,
  type TestImage,
} from '../e2e/action-fixture.js';
import { startAction, type ActionResult } from '../e2e/action-harness.js';
import { dockerOk } from '../support/sandbox.js';
import { checkAfterFault, checkConverged, journalOf, readHistory, stackState } from './harness.js';
import { newRow, type FaultContext, type FaultScenario, type Row } from './scenarios.js';

/** Reconnects start after 0.1 s (default 1 s), so a cut costs a fraction of a second. */
const ACTION_ENV = {
  SEISEI_DEPLOY_TEST_BACKOFF_BASE_MS: '100',
  SEISEI_DEPLOY_TEST_READY_TIMEOUT_MS: '10000',
};
const GROUP = '::group::▶ ';
/** Smoke budget of the stack: the smoke-failing release takes all of it. */
const SMOKE_TIMEOUT_S = 4;

interface CutCase {
  kind: 'deploy' | 'rollback';
  /** The executor step whose log group triggers the cut. */
  step: string;
  /** The image is not on the server: `pull` really pulls from the registry. */
  pull?: boolean;
  /** A release that fails its smoke test (HTTP 404): the deploy ends `rolled_back`. */
  failing?: boolean;
  fast?: boolean;
}

const CASES: CutCase[] = [
  { kind: 'deploy', step: 'lock' },
  { kind: 'deploy', step: 'validate' },
  { kind: 'deploy', step: 'gate' },
  { kind: 'deploy', step: 'solidify' },
  { kind: 'deploy', step: 'pull', pull: true, fast: true },
  { kind: 'deploy', step: 'switch' },
  { kind: 'deploy', step: 'up', fast: true },
  { kind: 'deploy', step: 'smoke' },
  { kind: 'deploy', step: 'record', fast: true },
  { kind: 'deploy', step: 'cleanup' },
  { kind: 'deploy', step: 'smoke', failing: true },
  { kind: 'rollback', step: 'rollback.1.switch' },
  { kind: 'rollback', step: 'rollback.1.up' },
  { kind: 'rollback', step: 'rollback.1.smoke' },
  { kind: 'rollback', step: 'record' },
];

const labelOf = (c: CutCase) =>
  `${c.kind}: ${c.step}${c.failing ? ' (release fails its smoke test)' : ''}${c.pull ? ' (image pulled)' : ''}`;

const short = (id: string | undefined) => (id ?? '').replace(/__(\d{8})T(\d{6})Z$/, '@$2');

/** Where the server's run was when the sessions died: its last step event, or past its result. */
function landing(events: DeployEvent[]): string {
  if (events.some((e) => e.type === 'result')) return 'after the result';
  const last = events.filter((e) => e.type === 'step').at(-1);
  return last?.type === 'step' ? `${last.step} ${last.status}` : '(no step yet)';
}

/** The `▶` groups (title and lines) that rendering the whole journal once gives, as core prints them. */
function expectedGroups(journalText: string): { title: string; lines: string[] }[] {
  const esc = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const groups: { title: string; lines: string[] }[] = [];
  let open: { title: string; lines: string[] } | undefined;
  const line = (l: string) => open?.lines.push(l);
  const out: Out = {
    info: (m) => m.split(/\r?\n/).forEach(line),
    warning: (m) => line(`::warning::${esc(m)}`),
    error: (m) => line(`::error::${esc(m)}`),
    startGroup: (t) => groups.push((open = { title: t, lines: [] })),
    endGroup: () => (open = undefined),
  };
  const r = new EventRenderer(out);
  for (const l of journalText.split('\n')) if (l.trim()) r.handle(parseEventLine(l), l);
  r.close();
  return groups.filter((g) => g.title.startsWith('▶ '));
}

/** The action's own lines while it reconnects (inside whatever step group is open). */
const RECONNECT_LINE = /^(::warning::Following the run on .* was interrupted|Reconnected to )/;

function compareGroups(r: ActionResult, journalText: string): string[] {
  const want = expectedGroups(journalText);
  const got = r.groups
    .filter((g) => g.title.startsWith('▶ '))
    .map((g) => ({ title: g.title, lines: g.lines.filter((l) => !RECONNECT_LINE.test(l)) }));
  const titles = (gs: { title: string }[]) => gs.map((g) => g.title.slice(2));
  const broken: string[] = [];
  const seen = new Map<string, number>();
  for (const t of titles(got)) seen.set(t, (seen.get(t) ?? 0) + 1);
  const expected = new Map<string, number>();
  for (const t of titles(want)) expected.set(t, (expected.get(t) ?? 0) + 1);
  const twice = [...seen].filter(([t, n]) => n > (expected.get(t) ?? 0)).map(([t]) => t);
  if (twice.length)
    broken.push(`step group(s) shown more often than the journal has them: ${twice.join(', ')}`);
  if (titles(got).join(' ') !== titles(want).join(' '))
    broken.push(`step groups ${titles(got).join(',')} != journal ${titles(want).join(',')}`);
  else
    for (const [i, g] of got.entries())
      if (JSON.stringify(g.lines) !== JSON.stringify(want[i]!.lines))
        broken.push(
          `group ${g.title}: lines differ from the journal's (${g.lines.length} vs ${want[i]!.lines.length})`,
        );
  if (r.groupProblems.length) broken.push(`log groups malformed: ${r.groupProblems.join('; ')}`);
  return broken;
}

const runKeyIn = (lines: string[]) => lines.map((l) => /^Run (\S+) started on /.exec(l)?.[1]).find(Boolean);
const tempDirIn = (lines: string[]) =>
  lines.map((l) => /^Uploaded .* to (\/\S+)$/.exec(l)?.[1]).find(Boolean);

interface Env {
  ctx: FaultContext;
  srv: DeployServer;
  stack: string;
  /** Two images deployed in turn, so every deploy and rollback recreates the container. */
  images: [TestImage, TestImage];
  turn: number;
  /** Pushed, then removed from the server's Docker: the deploy must pull it. */
  pulled?: TestImage;
  /** Answers 404 on the smoke URL. */
  failing?: TestImage;
}

/** A digest manifest (and its file) for `image` under a new sha- tag, so each deploy is a new release. */
async function underNewTag(env: Env, image: TestImage): Promise<{ tag: string; file: string }> {
  const tag = randomShaTag();
  const gitSha = (tag.slice(4) + randomBytes(20).toString('hex')).slice(0, 40);
  const manifest = {
    ...image.manifest,
    git_sha: gitSha,
    git_sha7: gitSha.slice(0, 7),
    images: { app: { tag, ref: image.ref, digest: image.digest } },
  };
  const file = path.join(env.srv.tmp, `image-digests-${tag}.json`);
  await writeFile(file, JSON.stringify(manifest, null, 2) + '\n');
  return { tag, file };
}

/** Inputs of a deploy (the next of the two images, under a new tag, unless given) or a rollback. */
async function inputsFor(env: Env, kind: 'deploy' | 'rollback', image?: { tag: string; file: string }) {
  const common = { stack: env.stack, environment: 'staging', reconnect_timeout: '60' };
  if (kind === 'rollback') return env.srv.inputs({ ...common, mode: 'rollback' });
  const pick = image ?? (await underNewTag(env, env.images[env.turn++ % 2]!));
  return env.srv.inputs({
    ...common,
    mode: 'deploy',
    image_tag: pick.tag,
    digest_file: pick.file,
    registry: env.srv.registry.host,
    registry_username: env.srv.registry.user,
    registry_password: env.srv.registry.password,
  });
}

/** A deploy through the action with no fault; returns the broken invariants (empty when it converged). */
async function cleanDeploy(env: Env): Promise<{ ok: boolean; broken: string[]; r: ActionResult }> {
  const r = await (
    await startAction({
      inputs: await inputsFor(env, 'deploy'),
      context: { actor: 'faults' },
      env: ACTION_ENV,
    })
  ).done;
  if (r.code !== 0 || r.outputs.status !== 'success')
    return {
      ok: false,
      broken: [`exit ${r.code}, status ${r.outputs.status}: ${r.errors.join(' | ') || r.stderr.slice(-300)}`],
      r,
    };
  const broken = await checkConverged(env.ctx.sb, env.stack, r.outputs.release_id!, env.srv.root);
  return { ok: true, broken, r };
}

interface Cut {
  killed: number;
  landed: string;
  hadResult: boolean;
  at: number;
}

async function cutOnce(env: Env, c: CutCase, row: Row): Promise<void> {
  const { srv, stack, ctx } = env;
  const root = srv.root;
  const label = labelOf(c);
  const own = c.pull ? env.pulled : c.failing ? env.failing : undefined;
  const inputs = await inputsFor(env, c.kind, own && { tag: own.tag, file: own.manifestFile });
  const before = { history: readHistory(root), hadLive: stackState(root, stack).live !== '' };
  const manifestBefore = srv.currentManifest(stack);
  // Without the installed executor the action uploads one into a temp dir, whose removal (after a
  // cut, by a reconnect) is then checked below.
  rmSync(path.join(root, 'releases', 'bin', 'seisei-deploy'), { force: true });
  let cut: Cut | undefined;
  let reconnectedAt = 0;
  const running = await startAction({
    inputs,
    context: { actor: 'faults' },
    env: ACTION_ENV,
    hooks: [
      {
        match: (l) => l === `${GROUP}${c.step}`,
        run: async (ctl) => {
          const at = Date.now();
          const killed = await srv.sshd.killSessions();
          const key = runKeyIn(ctl.lines);
          const events = key ? srv.journal(stack, key) : [];
          cut = { killed, at, landed: landing(events), hadResult: events.some((e) => e.type === 'result') };
        },
      },
      { match: /^Reconnected to /, run: () => (reconnectedAt = Date.now()) },
    ],
  });
  const r = await running.done;
  const broken: string[] = [];
  const key = runKeyIn(r.lines);
  if (!cut) {
    row.notes.push(`${label}: not injected (no ${GROUP}${c.step} line)`);
    row.broken.push(`${label}: not injected; exit ${r.code}: ${r.errors.join(' | ')}`);
    return;
  }
  // The step's group arrived with the result and the action, with nothing left to do on the server,
  // had already closed its connection: the cut lands after the end. The checks below still apply.
  const afterTheEnd = !cut.killed && cut.hadResult && r.code === (c.failing ? 1 : 0);
  if (afterTheEnd)
    row.notes.push(`${label}: the action had read the result and closed its connection before the cut`);
  else if (!cut.killed) {
    row.notes.push(`${label}: not injected (no sshd session to kill)`);
    row.broken.push(`${label}: not injected; exit ${r.code}: ${r.errors.join(' | ')}`);
    return;
  }
  row.injected++;

  // The run on the server completed, and its records agree.
  const journalFile = key ? journalOf(root, stack, key) : '';
  const journalText = journalFile && existsSync(journalFile) ? readFileSync(journalFile, 'utf8') : '';
  const result = journalText
    .split('\n')
    .map(parseEventLine)
    .find((e): e is ResultEvent => e?.type === 'result');
  const want = c.failing ? 'rolled_back' : 'success';
  if (!result) broken.push('the run journal has no result event');
  else if (result.status !== want) broken.push(`the run ended ${result.status} (${result.msg}), not ${want}`);
  const after = await checkAfterFault(ctx.sb, stack, before, root);
  row.lost += after.lost;
  row.corrupt += after.corrupt;
  broken.push(...after.broken);
  const live = srv.currentManifest(stack);
  // What must be live now: the new release, the rollback target, or (smoke failed) the one before.
  const liveId = c.failing ? String(manifestBefore?.release_id) : result?.release_id;
  broken.push(...(await checkConverged(ctx.sb, stack, liveId ?? '?', root)));
  const containers = await runningImages(stack);
  if (!containers.length || containers.some((x) => x.state !== 'running' || x.ref !== live?.image_ref))
    broken.push(
      `containers ${containers.map((x) => `${x.ref.slice(-12)} ${x.state}`).join(', ') || 'none'} do not run ${String(live?.image_ref)}`,
    );

  // The action: reconnected (when it did not have the result yet), reported the server's truth.
  const reconnected = r.lines.some((l) => l.startsWith('Reconnected to '));
  const interrupted = r.warnings.some((w) =>
    w.startsWith(`Following the run on ${srv.sshd.host} was interrupted`),
  );
  if (!cut.hadResult && !(reconnected && interrupted))
    broken.push('the action did not report the interruption and reconnect');
  if (r.code !== (want === 'success' ? 0 : 1)) broken.push(`the action exited ${r.code ?? r.signal}`);
  if (result) {
    const truth = outputsOf(result);
    for (const k of ['status', 'release_id', 'release_dir', 'image_digest', 'previous_release_id'] as const)
      if ((r.outputs[k] ?? '') !== truth[k])
        broken.push(`output ${k} is "${r.outputs[k]}", the server's result says "${truth[k]}"`);
  }
  const last = srv
    .history(stack)
    .filter((h) => h.mode !== 'auto-rollback')
    .at(-1);
  if (last?.release_id !== r.outputs.release_id || last?.status !== r.outputs.status)
    broken.push(
      `outputs ${r.outputs.status} ${r.outputs.release_id} != history ${last?.status} ${last?.release_id}`,
    );
  let reportedLive = '';
  try {
    reportedLive = String((JSON.parse(r.outputs.manifest ?? '') as { release_id?: unknown }).release_id);
  } catch {
    broken.push('the manifest output is not JSON');
  }
  if (reportedLive !== live?.release_id)
    broken.push(
      `the manifest output names ${reportedLive}, the server's current manifest ${String(live?.release_id)}`,
    );
  if (journalText) broken.push(...compareGroups(r, journalText));
  const tmp = tempDirIn(r.lines);
  if (!tmp) broken.push('the action uploaded nothing, so there was no temp dir to remove');
  else if (existsSync(tmp)) {
    // Even a cut during the action's own cleanup is followed by one reconnect to remove it.
    broken.push(`the action left its temp dir ${tmp} (${readdirSync(tmp).join(', ')})`);
    rmSync(tmp, { recursive: true, force: true });
  }
  const offset = /from byte (\d+)/.exec(r.warnings.find((w) => w.includes('from byte')) ?? '')?.[1];
  row.notes.push(
    `${label}: cut at ${c.step} start in the log, the journal at "${cut.landed}"; ` +
      (reconnected
        ? `reconnected ${reconnectedAt - cut.at} ms later, resumed from byte ${offset}`
        : `the action had already read the result, no reconnect needed`) +
      `; outputs ${r.outputs.status} ${short(r.outputs.release_id)}, live ${short(String(live?.release_id))}`,
  );

  const next = await cleanDeploy(env);
  if (next.ok) row.nextOk++;
  broken.push(...next.broken.map((b) => `the next deploy: ${b}`));
  if (!broken.length) row.consistent++;
  row.broken.push(...broken.map((b) => `${label}: ${b}`));
}

export const sshCut: FaultScenario = {
  id: 'ssh-cut',
  title: 'SSH cut at each step of deploy and rollback: the run completes; the action reconnects',
  fast: true,
  async run(ctx) {
    const row = newRow('2 SSH cut', 'deploy/rollback at each step');
    const srv = await startDeployServer();
    try {
      const { name: stack } = await srv.addStack({ smokeTimeoutS: SMOKE_TIMEOUT_S });
      const cases = CASES.filter((x) => !ctx.fast || x.fast);
      const [a, b, pulled, failing] = await Promise.all([
        srv.image(),
        srv.image(),
        cases.some((c) => c.pull) ? srv.image() : undefined,
        cases.some((c) => c.failing) ? srv.image({ variant: 'not-found' }) : undefined,
      ]);
      if (pulled) await dockerOk(['image', 'rm', '--force', '--no-prune', pulled.imageId]);
      const env: Env = { ctx, srv, stack, images: [a, b], turn: 0, pulled, failing };
      // A live release to replace (each case's next deploy leaves one more, so rollbacks have targets).
      const first = await cleanDeploy(env);
      if (!first.ok || first.broken.length)
        throw new Error(`setup deploy failed: ${first.broken.join('; ')}`);
      for (const c of cases) {
        ctx.log(`SSH cut: ${labelOf(c)}`);
        await cutOnce(env, c, row);
      }
    } finally {
      await srv.close();
    }
    return [row];
  },
};

/** The SSH-side scenarios (issue 6 item 2), appended to ALL_SCENARIOS by run.ts. */
export const SSH_SCENARIOS: FaultScenario[] = [sshCut];
