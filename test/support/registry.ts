// A private Docker registry (distribution v2.8) run as a plain process with htpasswd auth.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dockerEnv } from './docker.js';
import { runOk } from './exec.js';
import { canConnect, freePort, httpGet, makeTempDir, startDaemon, stopDaemon } from './util.js';

const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface Registry {
  /** '127.0.0.1:PORT'; Docker treats 127.0.0.0/8 as insecure, so plain HTTP works. */
  host: string;
  user: string;
  password: string;
  /** Holds config.yml, htpasswd, registry.log and data/ (the storage). */
  dir: string;
  stop(): Promise<void>;
  /** Restarts after stop() on the same port and storage. */
  start(): Promise<void>;
  /** Process id of the running registry (0 when stopped by this object). */
  readonly pid: number;
}

export interface RegistryOptions {
  user?: string;
  password?: string;
  /** Where to keep state; a new temp dir by default. */
  dir?: string;
  /** Keep running after this process exits (see DaemonOptions). */
  persistent?: boolean;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const user = opts.user ?? 'seisei';
  const password = opts.password ?? `pw-${randomBytes(8).toString('hex')}`;
  const dir = opts.dir ?? (await makeTempDir('registry'));
  await mkdir(path.join(dir, 'data'), { recursive: true });
  await writeHtpasswd(dir, user, password);

  let port = 0;
  let child: ChildProcess | undefined;
  // freePort() can race with other test processes: try a few ports.
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    await writeConfig(dir, port);
    try {
      child = await launch(dir, port, opts.persistent);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }

  return {
    host: `127.0.0.1:${port}`,
    user,
    password,
    dir,
    async stop() {
      if (child) await stopDaemon(child);
    },
    async start() {
      child = await launch(dir, port, opts.persistent);
    },
    get pid() {
      return child?.pid ?? 0;
    },
  };
}

export async function writeHtpasswd(dir: string, user: string, password: string): Promise<void> {
  // -B bcrypt is the only hash distribution accepts; the password goes through argv, which is
  // fine for a throwaway test registry.
  const { stdout } = await runOk('htpasswd', ['-Bbn', user, password]);
  await writeFile(path.join(dir, 'htpasswd'), stdout.trim() + '\n');
}

/** Writes `<dir>/config.yml`: filesystem storage in `<dir>/data`, htpasswd auth, listening on `listen`:port. */
export async function writeConfig(dir: string, port: number, listen = '127.0.0.1'): Promise<void> {
  const config = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: ${listen}:${port}
  secret: ${randomBytes(16).toString('hex')}
auth:
  htpasswd:
    realm: seisei-test-registry
    path: ${path.join(dir, 'htpasswd')}
`;
  await writeFile(path.join(dir, 'config.yml'), config);
}

function launch(dir: string, port: number, persistent = false): Promise<ChildProcess> {
  const ready = async () =>
    (await canConnect('127.0.0.1', port)) && (await httpGet(`http://127.0.0.1:${port}/v2/`)).status === 401;
  return startDaemon(
    'docker-registry',
    REGISTRY_BIN,
    ['serve', path.join(dir, 'config.yml')],
    path.join(dir, 'registry.log'),
    ready,
    undefined,
    { persistent },
  );
}

/**
 * Logs in to the registry in a DOCKER_CONFIG dir of its own (`<dir>/docker-config`) and returns
 * that dir; pass it as DOCKER_CONFIG to docker push/pull. The password goes through stdin.
 */
/** What a client needs to log in and push; a running Registry is one. */
export type RegistryAccess = Pick<Registry, 'host' | 'user' | 'password' | 'dir'>;

export async function registryLogin(registry: RegistryAccess): Promise<string> {
  const configDir = path.join(registry.dir, 'docker-config');
  await mkdir(configDir, { recursive: true });
  const env = await dockerEnv({ DOCKER_CONFIG: configDir });
  await runOk('docker', ['login', '--username', registry.user, '--password-stdin', registry.host], {
    env,
    input: registry.password,
  });
  return configDir;
}
