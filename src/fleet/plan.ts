// The pure parts of a fleet run (docs/design.md, fleet): each host's row of the result, the fleet's
// overall status, the fleet rollback target (the newest tag every host can go back to), drift
// between hosts, and the host × result table of the step summary.
import { RELEASE_ID_RE } from '../../common/names.js';

/** One host's line of the result (the `hosts` output). */
export interface HostRow {
  host: string;
  /** success, failed, rolled_back, unknown, skipped (never started) */
  status: string;
  release_id: string;
  previous_release_id: string;
  image_digest: string;
  error: string;
}

export const emptyRow = (host: string): HostRow => ({
  host,
  status: 'skipped',
  release_id: '',
  previous_release_id: '',
  image_digest: '',
  error: '',
});

/** The image tag a release id was made for (`<tag>__<stamp>[-n]`), or undefined. */
export function tagOfRelease(id: string): string | undefined {
  if (!RELEASE_ID_RE.test(id)) return undefined;
  return id.slice(0, id.lastIndexOf('__'));
}

/** The UTC stamp (and suffix) of a release id, for ordering releases of different hosts. */
const stampOf = (id: string) => id.slice(id.lastIndexOf('__') + 2);

export interface HostCandidates {
  host: string;
  /** Rollback candidates, newest first (`status --json`'s rollback_candidates). */
  candidates: string[];
}

export interface FleetRollbackTarget {
  tag: string;
  /** Per host (same order): that host's newest candidate release of the tag. */
  releases: string[];
}

/**
 * The newest image tag that is a rollback candidate on every host, and each host's own (newest)
 * release of it. "Newest" is by the latest release of the tag on any host. Throws naming what each
 * host could go back to when no tag is common to all.
 */
export function fleetRollbackTarget(hosts: readonly HostCandidates[]): FleetRollbackTarget {
  if (!hosts.length) throw new Error('internal: a fleet rollback needs hosts');
  const byHost = hosts.map((h) => {
    const m = new Map<string, string>(); // tag -> newest release id of it
    for (const id of h.candidates) {
      const tag = tagOfRelease(id);
      if (tag === undefined) continue;
      const had = m.get(tag);
      if (had === undefined || stampOf(id) > stampOf(had)) m.set(tag, id);
    }
    return m;
  });
  const common = [...byHost[0]!.keys()].filter((t) => byHost.every((m) => m.has(t)));
  if (!common.length)
    throw new Error(
      `no image tag is a rollback candidate on every host: ${hosts
        .map((h, i) => `${h.host} can go back to ${[...byHost[i]!.keys()].join(', ') || 'nothing'}`)
        .join('; ')}`,
    );
  const newest = (tag: string) => byHost.map((m) => stampOf(m.get(tag)!)).reduce((a, b) => (b > a ? b : a));
  const tag = common.reduce((a, b) => (newest(b) > newest(a) ? b : a));
  return { tag, releases: byHost.map((m) => m.get(tag)!) };
}

/** What a host runs of one stack, from its status report. */
export interface LiveOnHost {
  host: string;
  image_tag: string;
  image_digest: string;
  release_id: string;
}

/**
 * Hosts that disagree on what runs (image tag and digest; release ids differ per host by design).
 * Returns one message naming which host runs what, or '' when they all agree.
 */
export function fleetDrift(stack: string, live: readonly LiveOnHost[]): string {
  const groups = new Map<string, LiveOnHost[]>();
  for (const l of live) {
    const key = l.release_id ? `${l.image_tag} (${l.image_digest.slice(0, 19)}…)` : 'nothing';
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  if (groups.size <= 1) return '';
  return `${stack}: the hosts run different releases: ${[...groups]
    .map(([what, hs]) => `${hs.map((h) => h.host).join(', ')} ${hs.length === 1 ? 'runs' : 'run'} ${what}`)
    .join('; ')}`;
}

/** The fleet's status output: success only when every host succeeded. */
export function fleetStatus(rows: readonly HostRow[]): string {
  if (rows.every((r) => r.status === 'success')) return 'success';
  if (rows.some((r) => r.status === 'unknown')) return 'unknown';
  const touched = rows.filter((r) => r.status !== 'skipped');
  if (touched.length && touched.every((r) => r.status === 'rolled_back')) return 'rolled_back';
  return 'failed';
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

/** The host × result rows of the step summary: header first. */
export function summaryRows(rows: readonly HostRow[]): string[][] {
  return [
    ['Host', 'Result', 'Release', 'Previous release', 'Error'],
    ...rows.map((r) => [r.host, r.status, r.release_id, r.previous_release_id, r.error].map(cell)),
  ];
}
