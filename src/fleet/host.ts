// One host of a fleet run: its session and row of the result (FleetHost), its log with the host as
// prefix (HostOut), running a step on every host at once, and the connect step that starts them all.
import * as core from '@actions/core';
import type { ResultEvent } from '../../common/events.js';
import type { HostConfig } from '../host/config.js';
import { HostSession, type ChannelPlan } from '../host/session.js';
import { useExecutor, type OnHostOptions } from '../modes/on-host.js';
import type { Out } from '../report/renderer.js';
import { emptyRow, type HostRow } from './plan.js';

export const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One host's log: every line and group prefixed with the host; live, or kept until flush(). */
export class HostOut implements Out {
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
export class FleetHost {
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
export const eachHost = <T>(hosts: readonly FleetHost[], fn: (h: FleetHost) => Promise<T>) =>
  Promise.allSettled(hosts.map(fn));

/** The failures of a settled phase, one line per host. */
export function failures(hosts: readonly FleetHost[], settled: PromiseSettledResult<unknown>[]): string[] {
  return settled.flatMap((r, i) =>
    r.status === 'rejected' ? [`${hosts[i]!.name}: ${errText(r.reason)}`] : [],
  );
}

/** Connects to every host at once and chooses each one's executor (uploading this build where needed). */
export async function connectAll(
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
