// Every path of the server layout (design.md section 2) in one place, for the executor and the
// action alike (POSIX paths: the server's, whatever the runner's OS).
import { posix } from 'node:path';

const { join } = posix;

/** srv_root when none is given. */
export const DEFAULT_ROOT = '/srv';
/** stacks_source when none is given: where the stacks' compose files are checked out on the server. */
export const DEFAULT_STACKS_SOURCE = '/opt/seisei-odoo-addons/infra/stacks';

export interface Layout {
  root: string;
  stacksDir: string;
  liveLink(stack: string): string;
  releasesDir: string;
  stackReleases(stack: string): string;
  releaseDir(stack: string, releaseId: string): string;
  verifiedDir: string;
  marker(tag: string): string;
  currentDir: string;
  currentManifest(stack: string): string;
  history: string;
  locksDir: string;
  lockFile(stack: string): string;
  runsDir(stack: string): string;
  journal(stack: string, runKey: string): string;
  binDir: string;
  cli: string;
  backupsDir: string;
  badMarker(stack: string, releaseId: string): string;
}

export function layout(root: string): Layout {
  const releasesDir = join(root, 'releases');
  const stackReleases = (stack: string) => join(releasesDir, 'stacks', stack);
  return {
    root,
    stacksDir: join(root, 'stacks'),
    liveLink: (stack) => join(root, 'stacks', stack),
    releasesDir,
    stackReleases,
    releaseDir: (stack, id) => join(stackReleases(stack), id),
    verifiedDir: join(releasesDir, 'verified'),
    marker: (tag) => join(releasesDir, 'verified', tag),
    currentDir: join(releasesDir, 'current'),
    currentManifest: (stack) => join(releasesDir, 'current', `${stack}.json`),
    history: join(releasesDir, 'deploy_history.log'),
    locksDir: join(releasesDir, 'locks'),
    lockFile: (stack) => join(releasesDir, 'locks', `${stack}.lock`),
    runsDir: (stack) => join(releasesDir, 'runs', stack),
    journal: (stack, key) => join(releasesDir, 'runs', stack, `${key}.jsonl`),
    binDir: join(releasesDir, 'bin'),
    cli: join(releasesDir, 'bin', 'seisei-deploy'),
    backupsDir: join(root, 'backups'),
    // A bad release is marked by a file inside its (otherwise immutable) directory's sibling space.
    badMarker: (stack, id) => join(stackReleases(stack), `.bad-${id}`),
  };
}

/** `<tag>__<UTC YYYYMMDDTHHMMSSZ>`. */
export function newReleaseId(tag: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${tag}__${stamp}`;
}
