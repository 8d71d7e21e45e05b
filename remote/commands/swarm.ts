// Docker Swarm commands of the Swarm engine as argv arrays (pure; unit-tested without Docker).
// The label `com.docker.stack.namespace` is how `docker stack deploy` marks a stack's services.

/** The label every service of a stack carries (its value is the stack name). */
export const STACK_LABEL = 'com.docker.stack.namespace';

/**
 * up: the release's compose file as the whole stack. `--prune` removes services the file no longer
 * names; `--resolve-image never` keeps the pinned digests as written (no registry round trip and
 * no rewriting); `--with-registry-auth` only when the run has a login, which the CLI then sends to
 * the nodes with the service specs (without it, the specs keep the credentials they had).
 * `withOverride`: a second compose file read from stdin (`-`), merged over the release's (the
 * engine's update delay, remote/engine/swarm-update-delay.ts); the release's file stays first, so
 * its directory is the one relative paths are resolved against.
 */
export function stackDeploy(
  composeFile: string,
  stack: string,
  withRegistryAuth: boolean,
  withOverride = false,
): string[] {
  return [
    'docker',
    'stack',
    'deploy',
    '--compose-file',
    composeFile,
    ...(withOverride ? ['--compose-file', '-'] : []),
    '--prune',
    ...(withRegistryAuth ? ['--with-registry-auth'] : []),
    '--resolve-image',
    'never',
    stack,
  ];
}

/** Removes every service of the stack (a first deploy that failed). */
export const stackRm = (stack: string) => ['docker', 'stack', 'rm', stack];

/** The IDs of the stack's services. */
export const stackServiceIds = (stack: string) => [
  'docker',
  'service',
  'ls',
  '--quiet',
  '--filter',
  `label=${STACK_LABEL}=${stack}`,
];

/** Full specs and update states of services, as JSON. */
export const serviceInspect = (ids: readonly string[]) => [
  'docker',
  'service',
  'inspect',
  '--format',
  '{{json .}}',
  ...ids,
];

/** The IDs of the services' tasks, old ones (history) included. */
export const serviceTaskIds = (serviceIds: readonly string[]) => [
  'docker',
  'service',
  'ps',
  '--quiet',
  '--no-trunc',
  ...serviceIds,
];

/** Tasks as JSON (state, desired state, image, error). */
export const taskInspect = (ids: readonly string[]) => [
  'docker',
  'inspect',
  '--type',
  'task',
  '--format',
  '{{json .}}',
  ...ids,
];

/** Is this daemon a swarm manager? Prints e.g. `active true`. */
export const swarmRole = () => [
  'docker',
  'info',
  '--format',
  '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}',
];
