// Which Compose this server has. v2 (the `docker compose` plugin) is preferred when
// `docker compose version` works (DESIGN.md section 7); that probe (≈ 20 ms) runs only when the
// plugin file is where the docker CLI looks for it, so a v1-only server pays nothing. v1 is looked
// up on PATH, not run: `docker-compose version` starts Python (≈ 0.5 s); a broken v1 install still
// fails the pull or up step with compose's own message.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { composeV2Probe, type ComposeFlavor } from '../commands/compose.js';
import { dockerConfigDir, readDockerCliConfig } from '../docker-cli-config.js';
import { DeployError } from '../errors.js';
import { run } from '../exec.js';

/** Where the docker CLI looks for the `docker-compose` plugin (docker/cli cli-plugins/manager), in order. */
export function composePluginDirs(env: NodeJS.ProcessEnv): string[] {
  const extra = readDockerCliConfig(env).cliPluginsExtraDirs;
  return [
    join(dockerConfigDir(env), 'cli-plugins'),
    ...(Array.isArray(extra) ? extra.filter((d): d is string => typeof d === 'string') : []),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
  ];
}

/** Compose v2 (`docker compose`) when it works, else v1 (`docker-compose` on PATH). */
export async function detectCompose(env: NodeJS.ProcessEnv): Promise<ComposeFlavor> {
  const path = env.PATH ?? '';
  if (!onPath('docker', path))
    throw new DeployError('the docker CLI is not on PATH: install Docker (docker-ce-cli or docker.io)');
  if (composePluginDirs(env).some((dir) => executable(join(dir, 'docker-compose')))) {
    const probe = await run(composeV2Probe(), { env, timeoutMs: 30_000 }).catch(() => undefined);
    if (probe?.code === 0) return 'v2';
  }
  if (onPath('docker-compose', path)) return 'v1';
  throw new DeployError(
    'Docker Compose not found: install the compose plugin (`docker compose`) or docker-compose v1',
  );
}

/** True when `cmd` is an executable file in one of PATH's directories (what spawn would run). */
export function onPath(cmd: string, path: string): boolean {
  return path.split(':').some((dir) => executable(join(dir || '.', cmd)));
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
