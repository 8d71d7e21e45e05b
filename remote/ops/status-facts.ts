// Gathers what `status` compares for one stack: the live symlink, the current manifest, the frozen
// release, the running containers, the lock and the last run. No judgement here (see diagnose.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseEventLine } from '../../common/events.js';
import { executorAlive, pidFileOf } from '../domain/process.js';
import { Docker, type ContainerState } from '../docker.js';
import { linesFromEnd } from '../domain/history.js';
import type { Layout } from '../../common/layout.js';
import {
  isBad,
  readReleaseMeta,
  rollbackCandidates,
  type ReleaseInfo,
  type ReleaseMeta,
} from '../domain/releases.js';
import { errorMessage, Reporter } from '../report.js';
import { holderAlive, readHolder, type LockHolder } from '../domain/lock-holder.js';
import { readManifest, type StoredManifest } from '../domain/manifest.js';
import { loadRelease, mainImage } from '../domain/release.js';
import { readStack, serviceRows } from '../engine/swarm-stack.js';
import { checkLiveLink, liveReleaseId, readLiveLink } from '../domain/live-link.js';
import { releaseServiceImages, type ServiceImage } from '../domain/compose-services.js';

export interface LinkFacts {
  path: string;
  kind: 'missing' | 'symlink' | 'directory' | 'file';
  target?: string;
  /** Set when the symlink points into this stack's releases. */
  releaseId?: string;
  targetExists: boolean;
  /** Why a deploy would refuse this path (a real directory, a link elsewhere). */
  unsafe?: string;
}

export type ManifestFacts =
  | { state: 'missing' | 'unreadable'; path: string }
  | { state: 'ok'; path: string; value: StoredManifest; releaseExists: boolean };

export type ContainerFacts =
  { state: 'ok'; list: ContainerState[] } | { state: 'unavailable'; error: string };

export type LockFacts =
  | { state: 'free' }
  | { state: 'unreadable'; path: string }
  | { state: 'held' | 'stale'; path: string; holder: LockHolder };

export interface RunFacts {
  key: string;
  journal: string;
  state: 'finished' | 'running' | 'starting' | 'dead';
  result?: string;
}

export interface StatusFacts {
  stack: string;
  link: LinkFacts;
  manifest: ManifestFacts;
  /** What the symlink's release froze (images and its main image). */
  live?: { images: ReleaseMeta['images']; main: { ref: string; digest: string }; bad: boolean };
  /** Images the services should run, from the compose file of the release the manifest names. */
  services?: { from: string; list: ServiceImage[] };
  containers: ContainerFacts;
  lock: LockFacts;
  lastRun?: RunFacts;
  candidates: ReleaseInfo[];
}

export type ContainerSource = (project: string) => Promise<ContainerFacts>;

/**
 * Lists what runs through docker; says once, for every stack, when docker cannot answer. A stack
 * whose live release runs on Swarm is read as its services (one row each, engine/swarm.ts), any
 * other as its compose containers.
 */
export function dockerContainers(l?: Layout): ContainerSource {
  const docker = new Docker(new Reporter(undefined, false, () => {}));
  let probe: Promise<string> | undefined;
  return async (project) => {
    probe ??= docker.serverVersion().then(
      () => '',
      (err: unknown) => errorMessage(err),
    );
    const error = await probe;
    if (error) return { state: 'unavailable', error };
    const list =
      l && liveEngine(l, project) === 'swarm'
        ? readStack(docker, project).then(({ services, tasks }) => serviceRows(project, services, tasks))
        : docker.containers(project);
    return list.then(
      (list): ContainerFacts => ({ state: 'ok', list }),
      (err: unknown): ContainerFacts => ({ state: 'unavailable', error: errorMessage(err) }),
    );
  };
}

/** The engine the stack's live release (the manifest's, else the symlink's) froze; compose when unknown. */
export function liveEngine(l: Layout, stack: string): string {
  const id = readManifest(l, stack)?.release_id ?? liveReleaseId(l, stack);
  if (typeof id !== 'string' || !id) return 'compose';
  try {
    return loadRelease(l.releaseDir(stack, id)).config().engine;
  } catch {
    return 'compose';
  }
}

function linkFacts(layout: Layout, stack: string): LinkFacts {
  const link = readLiveLink(layout, stack);
  if (link.kind === 'missing') return { path: link.path, kind: 'missing', targetExists: false };
  let unsafe: string | undefined;
  try {
    checkLiveLink(layout, stack);
  } catch (err) {
    unsafe = errorMessage(err);
  }
  if (link.kind !== 'symlink') return { path: link.path, kind: link.kind, targetExists: true, unsafe };
  const { path, target, releaseId } = link;
  return { path, kind: 'symlink', target, releaseId, targetExists: existsSync(target), unsafe };
}

function manifestFacts(layout: Layout, stack: string): ManifestFacts {
  const path = layout.currentManifest(stack);
  if (!existsSync(path)) return { state: 'missing', path };
  const value = readManifest(layout, stack);
  if (!value || typeof value !== 'object' || typeof value.release_id !== 'string')
    return { state: 'unreadable', path };
  const releaseExists = existsSync(layout.releaseDir(stack, value.release_id));
  return { state: 'ok', path, value, releaseExists };
}

function lockFacts(layout: Layout, stack: string): LockFacts {
  const path = layout.lockFile(stack);
  if (!existsSync(path)) return { state: 'free' };
  const holder = readHolder(path);
  if (!holder) return { state: 'unreadable', path };
  return { state: holderAlive(holder) ? 'held' : 'stale', path, holder };
}

/** The newest run journal of the stack, and whether it ended with a result. */
export function lastRunFacts(layout: Layout, stack: string, now = Date.now()): RunFacts | undefined {
  let newest: { key: string; journal: string; mtime: number } | undefined;
  try {
    for (const name of readdirSync(layout.runsDir(stack))) {
      if (!name.endsWith('.jsonl')) continue;
      const journal = join(layout.runsDir(stack), name);
      const mtime = statSync(journal).mtimeMs;
      if (!newest || mtime > newest.mtime) newest = { key: name.slice(0, -'.jsonl'.length), journal, mtime };
    }
  } catch {
    return undefined;
  }
  if (!newest) return undefined;
  const { key, journal, mtime } = newest;
  for (const line of linesFromEnd(journal, 4096)) {
    const e = parseEventLine(line);
    if (e?.type === 'result') return { key, journal, state: 'finished', result: e.status };
    break; // the result is always the last event: any other last line means no result yet
  }
  const pidFile = pidFileOf(journal);
  if (existsSync(pidFile)) return { key, journal, state: executorAlive(pidFile) ? 'running' : 'dead' };
  // a detached run creates its journal a moment before the executor writes its pid
  return { key, journal, state: now - mtime < 60_000 ? 'starting' : 'dead' };
}

function liveFacts(layout: Layout, link: LinkFacts, stack: string): StatusFacts['live'] {
  if (!link.releaseId || !link.targetExists) return undefined;
  try {
    const meta = readReleaseMeta(layout.releaseDir(stack, link.releaseId));
    return { images: meta.images, main: mainImage(meta), bad: isBad(layout, stack, link.releaseId) };
  } catch {
    return undefined;
  }
}

function serviceFacts(layout: Layout, stack: string, releaseId: string | undefined): StatusFacts['services'] {
  if (!releaseId) return undefined;
  try {
    const dir = layout.releaseDir(stack, releaseId);
    return { from: releaseId, list: releaseServiceImages(dir, readReleaseMeta(dir).compose_file) };
  } catch {
    return undefined; // unknown: containers are then checked against the manifest's images only
  }
}

export async function gatherFacts(
  layout: Layout,
  stack: string,
  containers: ContainerSource,
): Promise<StatusFacts> {
  const link = linkFacts(layout, stack);
  const manifest = manifestFacts(layout, stack);
  const named = manifest.state === 'ok' ? manifest.value.release_id : link.releaseId;
  return {
    stack,
    link,
    manifest,
    live: liveFacts(layout, link, stack),
    services: serviceFacts(layout, stack, named),
    containers: await containers(stack),
    lock: lockFacts(layout, stack),
    lastRun: lastRunFacts(layout, stack),
    candidates: rollbackCandidates(layout, stack, link.releaseId ?? named),
  };
}
