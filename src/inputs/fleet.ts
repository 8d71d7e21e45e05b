// The fleet inputs (docs/design.md, fleet): `hosts` (one host or host:port a line, # comments),
// `rollout` (parallel, N or N%), `rollout_wait` and `on_failure`; and the pure plans made from
// them: the SSH endpoint of each host and the batches the rollout goes in.
import { knownHostsName, pinsForHost, type HostKeyPin } from '../ssh/host-key.js';
import type { SshEndpoint } from '../ssh/target.js';
import { integer, oneOf, parsedBy, show, type Problems, type Values } from './fields.js';
import { HOST_RE } from './target.js';

/** At most this many hosts in one fleet (the request's fleet.size bound). */
export const MAX_HOSTS = 1000;

export interface HostAddress {
  host: string;
  /** Undefined: the `port` input's (default 22). */
  port?: number;
}

/** `parallel`, a batch size, or a percentage of the hosts per batch. */
export type Rollout = { kind: 'parallel' } | { kind: 'count'; n: number } | { kind: 'percent'; pct: number };

export const ON_FAILURE = ['rollback', 'halt'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

/** Parses the `hosts` input; throws Error with a message naming the line. */
export function parseHostsList(text: string): HostAddress[] {
  const out: HostAddress[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const where = `hosts: line ${i + 1} (${show(line)})`;
    const m =
      /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(line) ??
      /^([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)()$/.exec(line);
    const host = m ? (m[1] ?? m[2] ?? '') : '';
    if (!m || !HOST_RE.test(host))
      throw new Error(
        `${where} is not valid; expected a host name or IP address, optionally :port (e.g. app1.example.com:2222)`,
      );
    const port = m[3] !== undefined ? Number(m[3]) : undefined;
    if (port !== undefined && (port < 1 || port > 65535))
      throw new Error(`${where}: the port must be from 1 to 65535`);
    const key = `${host.toLowerCase()}:${port ?? ''}`;
    if (seen.has(key)) throw new Error(`${where}: ${host} is listed twice; list each host once`);
    seen.add(key);
    out.push({ host, ...(port !== undefined ? { port } : {}) });
  }
  if (out.length > MAX_HOSTS) throw new Error(`hosts: ${out.length} hosts; at most ${MAX_HOSTS}`);
  return out;
}

/** Parses `rollout`; throws Error naming the input. */
export function parseRollout(v: string): Rollout {
  if (v === 'parallel') return { kind: 'parallel' };
  const m = /^(\d{1,4})(%?)$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (m && m[2] === '%' && n >= 1 && n <= 100) return { kind: 'percent', pct: n };
  if (m && !m[2] && n >= 1 && n <= MAX_HOSTS) return { kind: 'count', n };
  throw new Error(
    `rollout: ${show(v)} is not valid; expected parallel, a number of hosts per batch (e.g. 1) or a percentage of the hosts (e.g. 25%)`,
  );
}

/** The rollout's batches as host indexes, in order; the first batch is the canary. */
export function batchPlan(hostCount: number, rollout: Rollout): number[][] {
  const size =
    rollout.kind === 'parallel'
      ? hostCount
      : rollout.kind === 'count'
        ? rollout.n
        : Math.ceil((hostCount * rollout.pct) / 100);
  const per = Math.max(1, Math.min(hostCount, size));
  const batches: number[][] = [];
  for (let i = 0; i < hostCount; i += per)
    batches.push(Array.from({ length: Math.min(per, hostCount - i) }, (_, k) => i + k));
  return batches;
}

export const FLEET_FIELDS = {
  hosts: parsedBy((v) => {
    const list = parseHostsList(v);
    if (!list.length)
      throw new Error('hosts: lists no host (only comments or blank lines); list one host a line');
    return list;
  }),
  rollout: parsedBy(parseRollout),
  rollout_wait: integer('rollout_wait', 0, 3600, ' (seconds)'),
  on_failure: oneOf('on_failure', ON_FAILURE),
};

export interface FleetSettings {
  endpoints: SshEndpoint[];
  rollout: Rollout;
  rolloutWaitS: number;
  onFailure: OnFailure;
}

/** What every host shares: the SSH user and key, the default port and the pinned keys. */
export interface SharedLogin {
  username?: string;
  privateKey?: string;
  passphrase?: string;
  port?: number;
  hostKeys?: HostKeyPin[];
}

/**
 * The fleet's endpoints: each host with the pins that apply to it (known_hosts lines matched per
 * host:port, fingerprints for any). A host no pin applies to is a problem naming it.
 */
export function fleetSettings(
  v: Values<typeof FLEET_FIELDS>,
  hostInput: string,
  login: SharedLogin,
  p: Problems,
): FleetSettings | undefined {
  if (!v.hosts) {
    for (const name of ['rollout', 'rollout_wait', 'on_failure'] as const)
      if (v[name] !== undefined)
        p.fail(name, `${name}: only applies with hosts (a fleet); set hosts or remove ${name}`);
    return undefined;
  }
  if (hostInput !== '') p.fail('host', 'host: set either host (one server) or hosts (a fleet), not both');
  const endpoints: SshEndpoint[] = [];
  for (const a of v.hosts) {
    const port = a.port ?? login.port ?? 22;
    if (!login.hostKeys) continue;
    const pins = pinsForHost(login.hostKeys, a.host, port);
    if (!pins.length) {
      const name = knownHostsName(a.host, port);
      p.add(
        `host_key: no line applies to ${name} (from hosts); add a known_hosts line for ${name} (ssh-keyscan -p ${port} ${a.host}) or a "SHA256:..." fingerprint`,
      );
      continue;
    }
    if (login.username && login.privateKey)
      endpoints.push({
        host: a.host,
        port,
        username: login.username,
        privateKey: login.privateKey,
        passphrase: login.passphrase,
        hostKeys: pins,
      });
  }
  return {
    endpoints,
    rollout: v.rollout ?? { kind: 'count', n: 1 },
    rolloutWaitS: v.rollout_wait ?? 0,
    onFailure: v.on_failure ?? 'rollback',
  };
}
