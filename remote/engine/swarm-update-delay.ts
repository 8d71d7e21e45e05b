// The pause the Swarm engine keeps between two tasks of a service's rolling update (docs/design.md
// section 14, "Between two tasks"): Swarm's updater moves to the next task as soon as the previous
// one is running *or failed*, and pauses only when its failure watch wins that race; with no delay
// it can stop the last healthy task of a service while the failed one is being replaced.
import { parse } from 'yaml';
import { interpolate } from '../domain/stack-config.js';

/**
 * The shortest `deploy.update_config.delay` a service with more than one task is deployed with:
 * while the updater waits this long after a task, its failure watch sees a failed one and pauses
 * the update before the next healthy task is stopped (the event arrives within milliseconds).
 */
export const MIN_UPDATE_DELAY_S = 1;

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of a Go duration as compose files write them ('0s', '1m30s', '0.5s', '0'); undefined if it is not one. */
export function goDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (t === '0' || t === '+0' || t === '-0') return 0;
  const m = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(t);
  if (!m) return undefined;
  let ms = 0;
  for (const part of m[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    ms += Number(part[1]) * UNIT_MS[part[2]!]!;
  return m[1] === '-' ? -ms : ms;
}

interface ComposeDoc {
  version?: unknown;
  services?: Record<string, { deploy?: DeployConfig } | null>;
}

/**
 * The compose file as docker's YAML reader sees it (`<<` merge keys resolved, as in a shared
 * `x-deploy: &deploy` block). It was validated when the release was made; should it not parse
 * here, no service is changed and stack deploy reports the file's error itself.
 */
function composeDoc(text: string): ComposeDoc | undefined {
  try {
    const doc = parse(text, { merge: true, logLevel: 'error' }) as unknown;
    return doc && typeof doc === 'object' ? (doc as ComposeDoc) : undefined;
  } catch {
    return undefined;
  }
}

interface DeployConfig {
  mode?: unknown;
  replicas?: unknown;
  update_config?: { delay?: unknown } | null;
}

/** More than one task: global mode, or more than one replica (after the release's .env is applied). */
function manyTasks(deploy: DeployConfig | undefined, vars: Record<string, string>): boolean {
  if (deploy?.mode === 'global') return true;
  const replicas = deploy?.replicas;
  const n = typeof replicas === 'string' ? Number(interpolate(replicas, vars)) : replicas;
  return typeof n === 'number' && n > 1;
}

/** The delay a service's file asks for, in ms: 0 when unset, undefined when it cannot be read (left to docker). */
function ownDelayMs(deploy: DeployConfig | undefined, vars: Record<string, string>): number | undefined {
  const delay = deploy?.update_config?.delay;
  if (delay === undefined || delay === null) return 0;
  return typeof delay === 'string' ? goDurationMs(interpolate(delay, vars)) : undefined;
}

/**
 * The services of a compose file whose update would go from one task to the next with less than
 * MIN_UPDATE_DELAY_S between them: more than one task and a shorter (or no) `update_config.delay`.
 */
export function shortDelayServices(composeYaml: string, vars: Record<string, string>): string[] {
  const doc = composeDoc(composeYaml);
  return Object.entries(doc?.services ?? {})
    .filter(([, s]) => {
      const deploy = s && typeof s === 'object' ? s.deploy : undefined;
      if (!manyTasks(deploy ?? undefined, vars)) return false;
      const own = ownDelayMs(deploy ?? undefined, vars);
      return own !== undefined && own < MIN_UPDATE_DELAY_S * 1000;
    })
    .map(([name]) => name);
}

/** A compose file merged over the release's, and the services it changes. */
export interface DelayOverride {
  services: string[];
  text: string;
}

/**
 * The compose file `docker stack deploy` reads after the release's own (on stdin): it sets
 * `deploy.update_config.delay` to MIN_UPDATE_DELAY_S for the shortDelayServices and nothing else
 * (the CLI merges it into the release's settings, which stay as written otherwise). It carries the
 * release file's `version`, as stack deploy requires of every file. Undefined when no service needs it.
 */
export function updateDelayOverride(
  composeYaml: string,
  vars: Record<string, string>,
): DelayOverride | undefined {
  const names = shortDelayServices(composeYaml, vars);
  if (!names.length) return undefined;
  const doc = composeDoc(composeYaml);
  const services = Object.fromEntries(
    names.map((n) => [n, { deploy: { update_config: { delay: `${MIN_UPDATE_DELAY_S}s` } } }]),
  );
  const version = doc?.version;
  const text = JSON.stringify(version === undefined ? { services } : { version, services }) + '\n';
  return { services: names, text };
}
