// Plain docker CLI commands as argv arrays (pure; unit-tested without Docker).

export const dockerVersion = () => ['docker', 'version', '--format', '{{.Server.Version}}'];

/** Containers of one compose project, running or not (works for Compose v1 and v2). */
export const projectContainers = (project: string) => [
  'docker',
  'ps',
  '--all',
  '--quiet',
  '--no-trunc',
  '--filter',
  `label=com.docker.compose.project=${project}`,
];

export const inspect = (ids: readonly string[]) => ['docker', 'inspect', '--type', 'container', ...ids];

/** One image, by digest; `--quiet` prints only its reference when done. */
export const dockerPull = (ref: string) => ['docker', 'pull', '--quiet', ref];

export const imagePresent = (ref: string) => ['docker', 'image', 'inspect', '--format', '{{.Id}}', ref];

/** The password goes on stdin, never in argv. */
export const login = (registry: string, username: string) => [
  'docker',
  'login',
  '--username',
  username,
  '--password-stdin',
  registry,
];
