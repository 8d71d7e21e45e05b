// A fleet run (docs/design.md, fleet): one HostSession per host of the hosts input. deploy: every
// host connected and checked (validate + gate + safety, a dry run) before any switches, then the
// rollout in batches; a failed host stops it and the hosts already switched go back to the release
// each had (on_failure: rollback) or stay (halt). rollback: the newest tag every host can go back
// to. verify and status: on every host, status reporting hosts that disagree. Outputs and the step
// summary describe the fleet; the log has one group per host per step, prefixed with the host.
import * as core from '@actions/core';
import { parseEventLine, type ResultEvent } from '../../common/events.js';
import type { LoadedManifest } from '../digests/load.js';
import type { HostConfig } from '../host/config.js';
import { sleep } from '../host/journal.js';
import { HostSession, type ChannelPlan } from '../host/session.js';
import type { FleetSettings } from '../inputs/fleet.js';
import { batchPlan } from '../inputs/fleet.js';
import type { Settings } from '../inputs/settings.js';
import { runInputs, STAGED_ON_SERVER } from '../modes/deploy.js';
import { useExecutor, type OnHostOptions } from '../modes/on-host.js';
import { buildDeployRequest, buildRollbackRequest, makeRunKey } from '../modes/request.js';
import { currentOf, statusReport } from '../modes/status.js';
import { verifyArgs, verifyResult } from '../modes/verify.js';
import { safeText } from '../neutralise.js';
import { outputStatusOf, setOutputs } from '../report/outputs.js';
import { EventRenderer, type Out } from '../report/renderer.js';
import { statusDrift } from '../report/status.js';
import { escapeHtml, writeOrSkip } from '../report/summary.js';
import {
  emptyRow,
  fleetDrift,
  fleetRollbackTarget,
  fleetStatus,
  summaryRows,
  type HostRow,
  type LiveOnHost,
} from './plan.js';

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One host's log: every line and group prefixed with the host; live, or kept until flush(). */
class HostOut implements Out {
  private kept: [keyof Out, string][] = [];
  constructor(
    private readonly host: string,
    private readonly live: boolean,
  ) {}

  private emit(kind: keyof Out, msg = ''): void {
    if (this.live) this.call(kind, msg);
    else this.kept.push([kind, msg]);
  }

  private call(kind: keyof Out, msg: string): void {
    if (kind === 'endGroup') core.endGroup();
    else core[kind](msg);
  }

  info(msg: string): void {
    this.emit('info', `[${this.host}] ${msg}`);
  }
  warning(msg: string): void {
    this.emit('warning', `${this.host}: ${msg}`);
  }
  error(msg: string): void {
    this.emit('error', `${this.host}: ${msg}`);
  }
  startGroup(name: string): void {
    this.emit('startGroup', `${this.host} ${name}`);
  }
  endGroup(): void {
    this.emit('endGroup');
  }

  flush(): void {
    for (const [kind, msg] of this.kept) this.call(kind, msg);
    this.kept = [];
  }
}

/** One host of the fleet: its session, its place in the list and its row of the result. */
class FleetHost {
  readonly session: HostSession;
  readonly row: HostRow;
  /** The connect step's lines, printed as one group when every host is connected. */
  readonly connectLog: HostOut;
  result?: ResultEvent;

  constructor(
    readonly position: number,
    readonly size: number,
    config: HostConfig,
    opts: OnHostOptions,
    mode: string,
  ) {
    const { remoteScript: _, ...sessionOpts } = opts;
    const t = config.target;
    this.row = emptyRow(t.port === 22 ? t.host : `${t.host}:${t.port}`);
    this.connectLog = new HostOut(this.row.host, false);
    this.session = new HostSession(config, { ...sessionOpts, mode, log: (l) => this.connectLog.info(l) });
  }

  get name(): string {
    return this.row.host;
  }

  get fleet() {
    return { size: this.size, position: this.position };
  }

  /** Sets the row from a run's result. */
  take(r: ResultEvent): void {
    this.result = r;
    const m = (r.manifest ?? {}) as Record<string, unknown>;
    const str = (...v: unknown[]) => String(v.find((x) => typeof x === 'string' && x) ?? '');
    Object.assign(this.row, {
      status: r.status,
      release_id: str(r.release_id, m.release_id),
      previous_release_id: str(r.previous_release_id, m.previous_release_id, this.row.previous_release_id),
      image_digest: str(r.image_digest, m.image_digest),
      error: r.status === 'success' ? '' : r.error || r.msg,
    });
  }
}

/** Runs `fn` on each host at once; the results in host order. */
const eachHost = <T>(hosts: readonly FleetHost[], fn: (h: FleetHost) => Promise<T>) =>
  Promise.allSettled(hosts.map(fn));

/** The failures of a settled phase, one line per host. */
function failures(hosts: readonly FleetHost[], settled: PromiseSettledResult<unknown>[]): string[] {
  return settled.flatMap((r, i) =>
    r.status === 'rejected' ? [`${hosts[i]!.name}: ${errText(r.reason)}`] : [],
  );
}

/** Connects to every host at once and chooses each one's executor (uploading this build where needed). */
async function connectAll(
  hosts: readonly FleetHost[],
  opts: OnHostOptions,
  plan: ChannelPlan,
): Promise<string[]> {
  const settled = await eachHost(hosts, async (h) => {
    const out = h.connectLog;
    out.startGroup('▶ connect');
    try {
      const info = await h.session.open(plan);
      await useExecutor(h.session, info, opts.remoteScript, out).send((l) => out.info(l));
    } catch (err) {
      out.error(errText(err));
      throw err;
    } finally {
      out.endGroup();
    }
  });
  for (const h of hosts) h.connectLog.flush();
  for (const [i, r] of settled.entries())
    if (r.status === 'rejected') Object.assign(hosts[i]!.row, { status: 'failed', error: errText(r.reason) });
  return failures(hosts, settled);
}

/** Feeds an executor's stdout (events and text) to a renderer; returns its result event. */
function renderOutput(stdout: string, renderer: EventRenderer): ResultEvent | undefined {
  for (const line of stdout.split('\n')) renderer.handle(parseEventLine(line), line);
  renderer.close();
  return renderer.result;
}

/** The dry run on one host: `run -` of the deploy request with check set; throws on refusal. */
async function checkHost(h: FleetHost, s: Settings, m: LoadedManifest, runKey: string): Promise<void> {
  const out = new HostOut(h.name, false);
  const renderer = new EventRenderer(out);
  try {
    const { registry_login: _, ...request } = buildDeployRequest(
      s,
      m.manifest,
      STAGED_ON_SERVER,
      `${runKey}-check`,
      m.provenance,
    );
    // On the server check's channel when the installed executor is this build (one exec per host).
    const res = await h.session.check(
      `${runKey}-check`,
      JSON.stringify({ request: { ...request, check: true, fleet: h.fleet }, digest_manifest: m.text }),
    );
    const result = renderOutput(res.stdout, renderer);
    if (!result)
      throw new Error(
        `the check gave no result (exit ${res.code}): ${(res.stderr || res.stdout).trim().slice(-1000)}`,
      );
    if (result.status !== 'success') throw new Error(result.msg);
    h.row.previous_release_id = result.previous_release_id ?? '';
  } finally {
    out.flush();
  }
}

/** Starts a run on the host and follows it to its result (rendered with the host's prefix). */
async function runOnFleetHost(
  h: FleetHost,
  inputs: Parameters<HostSession['start']>[0],
  live: boolean,
): Promise<ResultEvent> {
  const out = new HostOut(h.name, live);
  const renderer = new EventRenderer(out);
  try {
    await h.session.start(inputs);
    const r = await h.session.follow((l) => renderer.handle(l.event, l.text));
    renderer.close();
    return r;
  } finally {
    renderer.close();
    out.flush();
  }
}

/** Runs one host's part of a batch: the row says how it ended (never throws). */
async function runInBatch(
  h: FleetHost,
  inputs: Parameters<HostSession['start']>[0],
  live: boolean,
): Promise<void> {
  try {
    h.take(await runOnFleetHost(h, inputs, live));
  } catch (err) {
    h.row.status = outputStatusOf(err) === 'unknown' ? 'unknown' : 'failed';
    h.row.error = errText(err);
  }
}

/** The batches of the rollout, `fn` on each host of a batch at once; stops after a failed batch. */
async function rollout(
  hosts: readonly FleetHost[],
  f: FleetSettings,
  signal: AbortSignal,
  fn: (h: FleetHost, live: boolean) => Promise<void>,
): Promise<FleetHost | undefined> {
  const batches = batchPlan(hosts.length, f.rollout);
  for (const [b, batch] of batches.entries()) {
    if (b > 0 && f.rolloutWaitS > 0) {
      core.info(`Waiting ${f.rolloutWaitS} s (rollout_wait) before batch ${b + 1} of ${batches.length}`);
      if (!(await sleep(f.rolloutWaitS * 1000, signal)))
        throw new Error('The job was cancelled between batches');
    }
    const members = batch.map((i) => hosts[i]!);
    core.info(
      `Batch ${b + 1} of ${batches.length}${b === 0 && batches.length > 1 ? ' (canary)' : ''}: ${members.map((h) => h.name).join(', ')}`,
    );
    await Promise.all(members.map((h) => fn(h, members.length === 1)));
    const failed = members.find((h) => h.row.status !== 'success');
    if (failed) return failed;
    if (signal.aborted) throw new Error('The job was cancelled between batches');
  }
  return undefined;
}

/** Who runs what now, for a failure message. */
const whoRunsWhat = (hosts: readonly FleetHost[]) =>
  hosts
    .map((h) => `${h.name}: ${h.row.status}${h.row.release_id ? ` (${h.row.release_id})` : ''}`)
    .join('; ');

/** Brings the hosts that switched back to the release each had before (on_failure: rollback). */
async function returnSwitched(
  switched: readonly FleetHost[],
  s: Settings,
  failed: FleetHost,
): Promise<string[]> {
  const notes: string[] = [];
  await Promise.all(
    switched.map(async (h) => {
      const to = h.row.previous_release_id;
      if (!to) {
        h.row.error = `no previous release to go back to (the first deploy on this host); left on ${h.row.release_id}`;
        notes.push(`${h.name} stays on ${h.row.release_id} (nothing to go back to)`);
        return;
      }
      const request = { ...buildRollbackRequest(s, makeRunKey(s.runId, s.runAttempt)), to, fleet: h.fleet };
      const deployed = h.row.release_id;
      try {
        const r = await runOnFleetHost(h, { request }, switched.length === 1);
        if (r.status === 'success') {
          h.row.status = 'rolled_back';
          h.row.error = `rolled back to ${to} because ${failed.name} failed`;
          notes.push(`${h.name} rolled back to ${to}`);
        } else {
          h.row.status = 'failed';
          h.row.error = `deployed ${deployed}, then rolling back to ${to} failed: ${r.msg}`;
          notes.push(`${h.name} could not be rolled back to ${to}: ${r.msg}`);
        }
      } catch (err) {
        h.row.status = outputStatusOf(err) === 'unknown' ? 'unknown' : 'failed';
        h.row.error = `deployed ${deployed}, then rolling back to ${to} failed: ${errText(err)}`;
        notes.push(`${h.name}: rolling back to ${to} failed: ${errText(err)}`);
      }
    }),
  );
  return notes;
}

/** Mode deploy on the fleet. Returns the failure message, or '' when every host succeeded. */
async function deployFleet(
  hosts: FleetHost[],
  s: Settings,
  m: LoadedManifest,
  signal: AbortSignal,
  runKey: string,
): Promise<string> {
  const f = s.fleet!;
  core.info(`Checking ${hosts.length} hosts (validate, gate, safety) before any host changes`);
  const checked = await eachHost(hosts, (h) => checkHost(h, s, m, runKey));
  const refused = failures(hosts, checked);
  if (refused.length) {
    for (const [i, r] of checked.entries())
      if (r.status === 'rejected')
        Object.assign(hosts[i]!.row, { status: 'failed', error: errText(r.reason) });
    return `The fleet deploy stopped before any host changed: ${refused.join('; ')}`;
  }
  if (signal.aborted) return 'The job was cancelled before any host changed';
  const failed = await rollout(hosts, f, signal, (h, live) => {
    const inputs = runInputs(s, m, runKey);
    return runInBatch(h, { ...inputs, request: { ...inputs.request, fleet: h.fleet } }, live);
  });
  if (!failed) return '';
  const why = `${failed.name} failed: ${failed.row.error || failed.row.status}`;
  const switched = hosts.filter((h) => h.row.status === 'success');
  const untouched = hosts.filter((h) => h.row.status === 'skipped').map((h) => h.name);
  const left = untouched.length ? ` ${untouched.join(', ')} not started (left as they were).` : '';
  if (!switched.length) return `${why}.${left}`;
  if (signal.aborted)
    return `${why}. The job was cancelled: ${switched.map((h) => `${h.name} stays on ${h.row.release_id}`).join(', ')}; the fleet runs mixed releases.${left}`;
  if (f.onFailure === 'halt')
    return `${why}. on_failure is halt: ${switched.map((h) => `${h.name} stays on ${h.row.release_id}`).join(', ')}; the fleet runs mixed releases.${left}`;
  const notes = await core.group(`Roll back ${switched.map((h) => h.name).join(', ')}`, async () =>
    returnSwitched(switched, s, failed),
  );
  return `${why}. ${notes.join('; ')}.${left}`;
}

/** The rollback candidates and live manifest of the stack in a status report. */
function stackEntry(report: unknown, stack: string): { candidates: string[] } {
  const o = (report && typeof report === 'object' ? report : {}) as Record<string, unknown>;
  const list = Array.isArray(o.stacks) ? (o.stacks as Record<string, unknown>[]) : [];
  const e = list.find((x) => x?.stack === stack) ?? {};
  const c = Array.isArray(e.rollback_candidates) ? (e.rollback_candidates as { release_id?: unknown }[]) : [];
  return { candidates: c.map((x) => x.release_id).filter((x): x is string => typeof x === 'string') };
}

/** Each host's status report (`status --json`), for one stack or all. */
async function statusOf(h: FleetHost, stack: string | undefined): Promise<unknown> {
  const root = h.session.config.server.root;
  const res = await h.session.runSync(['status', ...(stack ? [stack] : []), '--root', root, '--json']);
  return statusReport(res, h.name);
}

/** Mode rollback on the fleet: the newest tag every host can go back to, each host to its own release. */
async function rollbackFleet(hosts: FleetHost[], s: Settings, signal: AbortSignal): Promise<string> {
  const reports = await eachHost(hosts, (h) => statusOf(h, s.stack));
  const unread = failures(hosts, reports);
  if (unread.length) return `The fleet rollback stopped before any host changed: ${unread.join('; ')}`;
  const values = reports.map((r) => (r as PromiseFulfilledResult<unknown>).value);
  let target;
  try {
    target = fleetRollbackTarget(hosts.map((h, i) => ({ host: h.name, ...stackEntry(values[i], s.stack!) })));
  } catch (err) {
    return `The fleet rollback stopped before any host changed: ${errText(err)}`;
  }
  core.info(
    safeText(
      `Rollback target: image tag ${target.tag} (${hosts.map((h, i) => `${h.name} → ${target.releases[i]}`).join(', ')})`,
    ),
  );
  const failed = await rollout(hosts, s.fleet!, signal, (h, live) => {
    const request = {
      ...buildRollbackRequest(s, makeRunKey(s.runId, s.runAttempt)),
      to: target.releases[h.position - 1],
      fleet: h.fleet,
    };
    return runInBatch(h, { request }, live);
  });
  if (!failed) return '';
  return `${failed.name} failed: ${failed.row.error || failed.row.status}. The fleet now runs: ${whoRunsWhat(hosts)}`;
}

/** Mode verify on every host at once. */
async function verifyFleet(hosts: FleetHost[], s: Settings, m: LoadedManifest): Promise<string> {
  const note = s.runUrl ? `verified by ${s.runUrl}` : `verified by run ${s.runId || '(local)'}`;
  await eachHost(hosts, async (h) => {
    const out = new HostOut(h.name, false);
    const renderer = new EventRenderer(out);
    try {
      const args = verifyArgs(s.imageTag!, note, s.actor, h.session.config.server.root, m.provenance);
      h.take(verifyResult(await h.session.runSync(args, m.text), renderer, s.imageTag!, h.name));
    } catch (err) {
      Object.assign(h.row, { status: 'failed', error: errText(err) });
    } finally {
      renderer.close();
      out.flush();
    }
  });
  const failed = hosts.filter((h) => h.row.status !== 'success');
  return failed.length ? `verify failed on ${failed.map((h) => `${h.name}: ${h.row.error}`).join('; ')}` : '';
}

/** Mode status on every host: each host's own drift, and hosts that disagree on what runs. */
async function statusFleet(
  hosts: FleetHost[],
  s: Settings,
): Promise<{ problem: string; reports: unknown[] }> {
  const settled = await eachHost(hosts, (h) => statusOf(h, s.stack));
  const reports = settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  const problems: string[] = [];
  const stacks = new Set<string>(s.stack ? [s.stack] : []);
  for (const [i, r] of settled.entries()) {
    const h = hosts[i]!;
    if (r.status === 'rejected') {
      Object.assign(h.row, { status: 'failed', error: errText(r.reason) });
      problems.push(`${h.name}: ${h.row.error}`);
      continue;
    }
    const drift = statusDrift(r.value);
    const o = r.value as { stacks?: { stack?: unknown }[] };
    for (const e of o.stacks ?? []) if (typeof e.stack === 'string' && !s.stack) stacks.add(e.stack);
    const cur = s.stack ? currentOf(r.value, s.stack) : {};
    Object.assign(h.row, {
      status: drift.length ? 'failed' : 'success',
      release_id: typeof cur.release_id === 'string' ? cur.release_id : '',
      previous_release_id: typeof cur.previous_release_id === 'string' ? cur.previous_release_id : '',
      image_digest: typeof cur.image_digest === 'string' ? cur.image_digest : '',
      error: drift.map((d) => `${d.stack}: ${d.message}`).join('; '),
    });
    if (drift.length) problems.push(`${h.name}: ${h.row.error}`);
  }
  for (const stack of stacks) {
    const live: LiveOnHost[] = hosts.flatMap((h, i) => {
      if (!reports[i]) return [];
      const cur = currentOf(reports[i], stack);
      const str = (v: unknown) => (typeof v === 'string' ? v : '');
      return [
        {
          host: h.name,
          image_tag: str(cur.image_tag),
          image_digest: str(cur.image_digest),
          release_id: str(cur.release_id),
        },
      ];
    });
    const msg = fleetDrift(stack, live);
    if (msg) {
      problems.push(`drift between hosts: ${msg}`);
      for (const h of hosts) if (h.row.status === 'success') h.row.status = 'failed';
      for (const h of hosts) h.row.error = h.row.error ? `${h.row.error}; ${msg}` : msg;
    }
  }
  for (const h of hosts)
    core.info(safeText(`${h.name}: ${h.row.release_id || 'nothing live'} (${h.row.status})`));
  return { problem: problems.join('\n'), reports };
}

/** Outputs, the host × result summary and the step's failure. */
async function reportFleet(
  s: Settings,
  hosts: FleetHost[],
  problem: string,
  manifest: unknown,
): Promise<void> {
  const rows = hosts.map((h) => h.row);
  const first = hosts[0]!;
  const r = first.result;
  const m = (r?.manifest ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  setOutputs({
    status: s.mode === 'status' ? (problem ? 'failed' : 'success') : fleetStatus(rows),
    release_id: first.row.release_id,
    release_dir: str(r?.release_dir ?? m.release_dir),
    image_ref: str(r?.image_ref ?? m.image_ref),
    image_digest: first.row.image_digest,
    previous_release_id: first.row.previous_release_id,
    manifest: manifest === undefined ? '' : JSON.stringify(manifest),
  });
  core.setOutput('hosts', JSON.stringify(rows));
  const summary = core.summary
    .addHeading(
      escapeHtml(
        `seisei-deploy ${s.mode}${s.stack ? ` ${s.stack}` : ''}${s.environment ? ` → ${s.environment}` : ''} on ${hosts.length} hosts`,
      ),
      2,
    )
    .addTable(
      summaryRows(rows).map((row, i) =>
        i === 0 ? row.map((data) => ({ data, header: true })) : row.map((c) => escapeHtml(c)),
      ),
    );
  if (problem) summary.addRaw(`<p>${escapeHtml(problem)}</p>`, true);
  await writeOrSkip(summary);
  if (problem) core.setFailed(safeText(problem));
  else core.info(`✅ ${s.mode} succeeded on ${hosts.length} hosts`);
}

/** Runs the configured mode on every host of the fleet. */
export async function runFleet(
  s: Settings,
  configs: HostConfig[],
  manifest: LoadedManifest | undefined,
  opts: OnHostOptions,
): Promise<void> {
  const hosts = configs.map((c, i) => new FleetHost(i + 1, configs.length, c, opts, s.mode));
  let problem = '';
  let report: unknown = undefined;
  try {
    // A deploy's dry run runs on each host's server check channel (session.check), and the same
    // process then starts that host's run when its batch comes (`--then-run`).
    const runKey = makeRunKey(s.runId, s.runAttempt);
    const plan = s.mode === 'deploy' ? { checkKey: `${runKey}-check`, runKey } : {};
    const unreachable = await connectAll(hosts, opts, plan);
    if (unreachable.length && s.mode !== 'status')
      problem = `The fleet ${s.mode} stopped before any host changed: ${unreachable.join('; ')}`;
    else if (s.mode === 'deploy') problem = await deployFleet(hosts, s, manifest!, opts.signal, runKey);
    else if (s.mode === 'rollback') problem = await rollbackFleet(hosts, s, opts.signal);
    else if (s.mode === 'verify') problem = await verifyFleet(hosts, s, manifest!);
    else {
      const up = hosts.filter((h) => h.row.status !== 'failed');
      const st = await statusFleet(up, s);
      report = { hosts: hosts.map((h) => ({ host: h.name, report: st.reports[up.indexOf(h)] ?? null })) };
      problem = [unreachable.join('\n'), st.problem].filter(Boolean).join('\n');
    }
    if (s.mode !== 'status') report = hosts[0]!.result?.manifest;
    await reportFleet(s, hosts, problem, report);
  } finally {
    await Promise.all(
      hosts.map((h) =>
        h.session.cleanup().catch((e: Error) => core.warning(`${h.name}: cleanup: ${e.message}`)),
      ),
    );
    for (const h of hosts) h.session.close();
  }
}
