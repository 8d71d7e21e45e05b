// What a release needs pulled before its switch, decided without Docker: one plan for deploy,
// rollback and auto-rollback, turned into argv by the pure command builders.
import { composePull, type ComposeTarget } from '../commands/compose.js';
import { dockerPull } from '../commands/docker.js';
import { sameImage, type ServiceImage } from '../domain/compose-services.js';

export interface PullPlan {
  /** Pinned (digest) references not on this server: each one a `docker pull`. */
  refs: string[];
  /** Services whose image is not pinned (a database, a proxy by tag) and not on this server: one `compose pull`. */
  services: string[];
}

/**
 * `services`: what `up` starts, with image references after the release's .env is applied;
 * `pinned`: the release's digest references; `present`: references found on this server.
 * Only what is missing is pulled: a pinned image on the server is identical by digest, and a
 * sidecar's tag that is already there is what `up` would use anyway (Compose's own default).
 */
export function planPull(
  services: readonly ServiceImage[],
  pinned: readonly string[],
  present: readonly string[],
): PullPlan {
  const here = (ref: string) => present.some((p) => sameImage(p, ref));
  const isPinned = (ref: string) => pinned.some((p) => sameImage(p, ref));
  return {
    refs: unique(pinned.filter((ref) => !here(ref))),
    services: unique(
      services.filter((s) => s.image && !isPinned(s.image) && !here(s.image)).map((s) => s.service),
    ),
  };
}

/** Every image reference the plan's inputs name (what to ask the daemon about). */
export function imagesToCheck(services: readonly ServiceImage[], pinned: readonly string[]): string[] {
  return unique([...pinned, ...services.map((s) => s.image).filter(Boolean)]);
}

export const nothingToPull = (p: PullPlan): boolean => !p.refs.length && !p.services.length;

/** The plan as commands: one `docker pull` per pinned reference, then one `compose pull` of the services. */
export function pullCommands(p: PullPlan, t: ComposeTarget): string[][] {
  return [...p.refs.map(dockerPull), ...(p.services.length ? [composePull(t, p.services)] : [])];
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
