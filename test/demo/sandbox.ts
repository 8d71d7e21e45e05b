// The demo's sandbox target on this machine: a real sshd with a deploy user (passwordless sudo),
// an authenticated registry and two sample stacks. It outlives the demo process and is reused
// by the next run; `--down` removes it. Built from the test harness, not a second copy of it.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CGI_HEALTH_PATH,
  canConnect,
  ensureDocker,
  freePort,
  removeComposeProject,
  startRegistry,
  startSshd,
  writeSampleStack,
} from '../support/sandbox.js';

export const HOME = '/var/tmp/seisei-demo';
const STATE = path.join(HOME, 'sandbox.json');
export const STACKS = { staging: 'demo-staging', production: 'demo-prod' } as const;

export interface Sandbox {
  sshd: {
    pid: number;
    port: number;
    user: string;
    privateKey: string;
    knownHostsLine: string;
    hostKeyFingerprint: string;
  };
  registry: { pid: number; host: string; user: string; password: string; dir: string };
  root: string;
  source: string;
  ports: Record<string, number>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return pid > 0;
  } catch {
    return false;
  }
};

async function running(): Promise<Sandbox | undefined> {
  if (!existsSync(STATE)) return undefined;
  const s = JSON.parse(await readFile(STATE, 'utf8')) as Sandbox;
  const [reg, ssh] = [s.registry.host.split(':')[1], s.sshd.port];
  const up =
    alive(s.sshd.pid) &&
    alive(s.registry.pid) &&
    (await canConnect('127.0.0.1', ssh)) &&
    (await canConnect('127.0.0.1', Number(reg)));
  return up ? s : undefined;
}

/** Reuses a running sandbox or starts a new one. */
export async function sandboxUp(log: (line: string) => void): Promise<Sandbox> {
  await ensureDocker();
  const existing = await running();
  if (existing) {
    log(
      `reusing the sandbox in ${HOME} (sshd on 127.0.0.1:${existing.sshd.port}, registry ${existing.registry.host})`,
    );
    return existing;
  }
  await sandboxDown(() => undefined);
  await mkdir(path.join(HOME, 'sshd'), { recursive: true });
  await mkdir(path.join(HOME, 'registry'), { recursive: true });
  const sshd = await startSshd({ user: 'seisei-demo', dir: path.join(HOME, 'sshd'), persistent: true });
  const registry = await startRegistry({ dir: path.join(HOME, 'registry'), persistent: true, user: 'demo' });
  const source = path.join(HOME, 'stacks');
  const ports: Record<string, number> = {};
  for (const stack of Object.values(STACKS)) {
    ports[stack] = await freePort();
    await writeSampleStack(path.join(source, stack), {
      port: ports[stack]!,
      healthPath: CGI_HEALTH_PATH,
      smokeTimeoutS: 6,
    });
  }
  const s: Sandbox = {
    sshd: {
      pid: sshd.pid,
      port: sshd.port,
      user: sshd.user,
      privateKey: sshd.privateKey,
      knownHostsLine: sshd.knownHostsLine,
      hostKeyFingerprint: sshd.hostKeyFingerprint,
    },
    registry: {
      pid: registry.pid,
      host: registry.host,
      user: registry.user,
      password: registry.password,
      dir: registry.dir,
    },
    root: path.join(HOME, 'srv'),
    source,
    ports,
  };
  await writeFile(STATE, JSON.stringify(s, null, 2), { mode: 0o600 });
  log(
    `started a sandbox in ${HOME}: sshd on 127.0.0.1:${s.sshd.port} (user ${s.sshd.user}), registry ${s.registry.host} with authentication`,
  );
  return s;
}

/** Stops the daemons, removes the demo's containers and everything under HOME. */
export async function sandboxDown(log: (line: string) => void): Promise<void> {
  if (existsSync(STATE)) {
    const s = JSON.parse(await readFile(STATE, 'utf8')) as Sandbox;
    for (const pid of [s.sshd.pid, s.registry.pid]) if (alive(pid)) process.kill(pid, 'SIGTERM');
  }
  for (const stack of Object.values(STACKS)) await removeComposeProject(stack);
  await rm(HOME, { recursive: true, force: true });
  log(`sandbox removed (${HOME}, containers of ${Object.values(STACKS).join(', ')})`);
}
