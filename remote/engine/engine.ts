// The seam between the deploy steps and what runs the stack (DESIGN.md section A): everything a
// step asks of an engine. Compose (compose.ts) and Swarm (swarm.ts) implement it; choose.ts picks one.
import type { ContainerState, Docker } from '../docker.js';
import type { Release } from '../domain/release.js';
import type { ComposeFlavor } from '../commands/compose.js';
import type { Reporter } from '../report.js';
import type { EngineName } from '../domain/stack-config.js';

/** A judgement of what runs: passed, or why not and whether waiting can still help. */
export type Verdict = { pass: true } | { pass: false; final: boolean; why: string };

/** A registry login for the run, the password already read (remote/registry-credentials.ts). */
export interface Login {
  registry: string;
  username: string;
  password: string;
}

export interface Engine {
  readonly name: EngineName;
  /** Which flavour of it runs here (compose: v2 or v1): the current manifest's `compose` field. */
  readonly variant: string;
  /** Shown with the pull step, e.g. "compose v2". */
  readonly label: string;
  /** pull: make every image the release needs present, within its pull time limit. */
  ensureImages(r: Release, login?: Login): Promise<void>;
  /** up: start the release, within its up time limit. */
  up(r: Release): Promise<void>;
  /** What runs for a stack (smoke judges it, status compares it with the records). */
  containers(project: string): Promise<ContainerState[]>;
  /**
   * Converged and healthy, for engines that judge it themselves (swarm: services and tasks);
   * without it the smoke step judges `containers` (compose).
   */
  judge?(project: string): Promise<Verdict>;
  /** Take the release down (a first deploy that failed: nothing to go back to). */
  down(r: Release): Promise<void>;
}

/** What a run found on the host in preflight, which every engine of that host shares. */
export interface Host {
  docker: Docker;
  flavor: ComposeFlavor;
  report: Reporter;
}
