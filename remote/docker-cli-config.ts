// The docker CLI's own configuration, read the way the CLI reads it: the directory is $DOCKER_CONFIG
// or ~/.docker, and config.json in it may select a context or name extra plugin directories.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
}

export interface DockerCliConfig {
  currentContext?: unknown;
  cliPluginsExtraDirs?: unknown;
}

/** config.json of the CLI's config dir; {} when there is none (the usual case for root). */
export function readDockerCliConfig(env: NodeJS.ProcessEnv): DockerCliConfig {
  try {
    const config = JSON.parse(readFileSync(join(dockerConfigDir(env), 'config.json'), 'utf8')) as unknown;
    return typeof config === 'object' && config !== null ? (config as DockerCliConfig) : {};
  } catch {
    return {}; // missing, or one the CLI would reject too
  }
}
