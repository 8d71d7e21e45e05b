// Docker Compose commands as argv arrays (pure; unit-tested without Docker).
// v2 is the `docker compose` plugin (preferred); v1 is the standalone `docker-compose` 1.x.

export type ComposeFlavor = 'v2' | 'v1';

export interface ComposeTarget {
  flavor: ComposeFlavor;
  project: string;
  file: string;
  envFile: string;
  projectDir: string;
}

function base(t: ComposeTarget): string[] {
  const head = t.flavor === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
  return [
    ...head,
    '--project-name',
    t.project,
    '--project-directory',
    t.projectDir,
    '--file',
    t.file,
    '--env-file',
    t.envFile,
  ];
}

/** Does the `docker compose` plugin work? */
export const composeV2Probe = () => ['docker', 'compose', 'version', '--short'];

/** Pulls the named services' images (all services when none are named). */
export const composePull = (t: ComposeTarget, services: readonly string[] = []) => [
  ...base(t),
  'pull',
  '--quiet',
  ...services,
];

export const composeUp = (t: ComposeTarget) => [
  ...base(t),
  'up',
  '--detach',
  '--force-recreate',
  '--remove-orphans',
  ...(t.flavor === 'v2' ? ['--pull', 'never'] : []),
];

export const composeDown = (t: ComposeTarget) => [...base(t), 'down', '--remove-orphans'];
