// A lab of real hosts on this one machine, for multi-host tests (fleet, swarm) and the demo: each
// host has its own network namespace and IP, its own /srv, /opt, /run, /tmp, /home and
// /etc/docker (mount namespace), its own dockerd and an sshd on its IP port 22; a registry host
// serves images with htpasswd auth to all of them. Layout and commands: lab-plan.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dockerEnv as machineDockerEnv, ensureDocker } from './docker.js';
import { run, runOk, type RunOptions, type RunResult } from './exec.js';
import { buildImage, type AppVariant, type PushedImage } from './images.js';
import {
  LAB_PREFIX,
  LAB_ROOT,
  LAB_SLOTS,
  PRIVATE_DIRS,
  REGISTRY_PORT,
  backingDir,
  daemonConfig,
  dockerdArgs,
  enterHost,
  holderCommand,
  hostsFile,
  hostsFilePath,
  labPlan,
  networkCommands,
  slotDir,
  slotPrefix,
  type HostPlan,
  type LabPlan,
} from './lab-plan.js';
import { writeConfig, writeHtpasswd } from './registry.js';
import { ensureDeployUser, generateKey, hasBanner, sshdConfig } from './sshd.js';
import { httpGet, isRunning, sleep, spawnDaemon, startDaemon, stopDaemon, tail, waitFor } from './util.js';

const SSHD_BIN = '/usr/sbin/sshd';
const REGISTRY_BIN = '/usr/bin/docker-registry';
/** Upper bound of one tear-down (kills, cgroups, namespaces, files). */
const TEARDOWN_MS = 20_000;
const HOST_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

export interface LabSshd {
  /** The host's IP. */
  host: string;
  port: 22;
  user: string;
  /** OpenSSH private key text, authorized for `user` on every host of the lab. */
  privateKey: string;
  privateKeyPath: string;
  /** 'SHA256:...' of this host's key. */
  hostKeyFingerprint: string;
  /** '10.201.0.N ssh-ed25519 AAAA...' */
  knownHostsLine: string;
  /** A known_hosts file holding knownHostsLine. */
  knownHostsPath: string;
  hostPublicKey: string;
  /** PID of the listening sshd (0 while stopped). */
  readonly pid: number;
  /** Stops the sshd (the host becomes unreachable over SSH); start() brings it back. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface LabHost {
  /** 'h1', 'h2', ... */
  name: string;
  ip: string;
  /** Network namespace name, also the hostname inside the host. */
  netns: string;
  /** The process that holds the host's mount namespace; `nsenter --target` enters it. */
  holderPid: number;
  /** Backing dir of the host's private dirs (its /srv is `<dir>/srv`), dockerd data and sshd files. */
  dir: string;
  /** Runs argv inside the host (its mounts, network and hostname), as root; never throws for exit codes. */
  exec(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Like exec(), but throws unless it exits 0. */
  execOk(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** The machine path of a path inside the host, for its private dirs: /srv/x -> <dir>/srv/x. */
  hostPath(p: string): string;
  sshd: LabSshd;
  /** `unix://...` of the host's dockerd, usable from the machine. */
  dockerHost: string;
  /** Environment for the docker CLI on the machine talking to this host's dockerd. */
  dockerEnv: NodeJS.ProcessEnv;
  /** The docker CLI against this host's dockerd; never throws for exit codes. */
  docker(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

export interface LabRegistry {
  /** 'IP:5000', plain HTTP, trusted by every host's dockerd (insecure-registries). */
  address: string;
  /** Same as address (the shape images.ts and registry.ts take). */
  host: string;
  ip: string;
  username: string;
  /** Same as username. */
  user: string;
  password: string;
  /** config.yml, htpasswd, registry.log and data/. */
  dir: string;
}

export interface Lab {
  slot: number;
  plan: LabPlan;
  hosts: LabHost[];
  /** Present when started with `registry: true`. */
  registry?: LabRegistry;
  /**
   * Builds the test image (images.ts) on the machine's dockerd, moves it into the first host's
   * dockerd, pushes it from there to the lab registry as `<address>/<repo>:<tag>` and removes it
   * from that host again, so every host starts without it.
   */
  pushImage(variant: AppVariant, tag: string, repo?: string): Promise<PushedImage>;
  /** Removes everything the lab made: processes, cgroups, namespaces, veths, files. Bounded in time. */
  stop(): Promise<void>;
}

export interface LabOptions {
  hosts?: number;
  registry?: boolean;
  /** Deploy user on every host (shared /etc/passwd and /etc/sudoers.d); default 'seisei'. */
  user?: string;
  /** Keep running after this process exits (the demo); stop() or cleanupLabLeftovers({ all }) removes it. */
  persistent?: boolean;
}

// ---- starting -----------------------------------------------------------------------------------

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  if (process.getuid?.() !== 0) throw new Error('the host lab needs root (namespaces, mounts, veths)');
  await ensureDocker(); // the machine's dockerd builds the test images
  const user = opts.user ?? 'seisei';
  const persistent = opts.persistent ?? false;
  labPlan(0, opts.hosts ?? 3); // checks the host count before a slot is taken
  const slot = await claimSlot();
  const plan = labPlan(slot, opts.hosts ?? 3);
  try {
    await prepareDirs(plan, user);
    for (const cmd of networkCommands(plan)) await runOk(cmd[0]!, cmd.slice(1), { timeoutMs: 10_000 });
    await ensureDeployUser(user);
    const clientKey = await generateKey(path.join(plan.dir, 'client_ed25519'), `${user}@seisei-lab`);
    await writeFile(path.join(plan.dir, 'authorized_keys'), clientKey.publicKey + '\n', { mode: 0o644 });
    const privateKey = await readFile(clientKey.path, 'utf8');

    const registryStart = opts.registry ? startRegistryHost(plan, persistent) : undefined;
    registryStart?.catch(() => undefined); // awaited below; a holder may fail first
    const holders = await Promise.all(plan.hosts.map((h) => startHolder(h, persistent)));
    if (persistent) await writeOwner(plan.slot, holders[0]!.pid ?? 0);
    const hosts = await Promise.all(
      plan.hosts.map((h, i) =>
        startHost(plan, h, holders[i]!.pid ?? 0, user, { privateKey, path: clientKey.path }, persistent),
      ),
    );
    const registry = await registryStart;
    const ownerPid = persistent ? (holders[0]!.pid ?? 0) : process.pid;
    let stopping: Promise<void> | undefined;
    const lab: Lab = {
      slot,
      plan,
      hosts,
      registry,
      pushImage: (variant, tag, repo = 'app') => pushImage(lab, variant, tag, repo),
      // Once only: a second stop() must not tear down a lab another process has since started there.
      stop: () => (stopping ??= withLabLock(() => teardownOwnSlot(slot, ownerPid))),
    };
    return lab;
  } catch (err) {
    await withLabLock(() => teardownSlot(slot)).catch(() => undefined);
    throw err;
  }
}

async function prepareDirs(plan: LabPlan, user: string): Promise<void> {
  await chmod(plan.dir, 0o755); // sshd reads authorized_keys below it as the user
  const { uid, gid } = await userIds(user);
  for (const host of plan.hosts) {
    for (const d of PRIVATE_DIRS) await mkdir(backingDir(host, d), { recursive: true, mode: 0o755 });
    await chmod(backingDir(host, '/tmp'), 0o1777);
    await mkdir(path.join(backingDir(host, '/run'), 'sshd'), { mode: 0o755 }); // privilege separation
    await mkdir(path.join(backingDir(host, '/run'), 'lock'), { mode: 0o1777 });
    const home = path.join(backingDir(host, '/home'), user);
    await mkdir(home, { mode: 0o755 });
    await chown(home, uid, gid);
    await writeFile(path.join(backingDir(host, '/etc/docker'), 'daemon.json'), daemonConfig(plan));
    await writeFile(hostsFilePath(host), hostsFile(plan, host), { mode: 0o644 });
    await mkdir(path.join(host.dir, 'docker'), { mode: 0o710 });
  }
}

async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  await ensureDeployUser(user);
  const [uid, gid] = await Promise.all([
    runOk('id', ['-u', user]).then((r) => Number(r.stdout.trim())),
    runOk('id', ['-g', user]).then((r) => Number(r.stdout.trim())),
  ]);
  return { uid, gid };
}

async function startHolder(host: HostPlan, persistent: boolean): Promise<ChildProcess> {
  const [cmd, ...args] = holderCommand(host);
  const child = spawnDaemon(cmd!, args, path.join(host.dir, 'holder.log'), { persistent });
  const marker = path.join(backingDir(host, '/run'), '.lab-holder-ready');
  await waitFor(
    `the holder of ${host.name}`,
    async () => {
      if (!isRunning(child))
        throw new Error(`holder exited: ${await tail(path.join(host.dir, 'holder.log'))}`);
      return existsSync(marker);
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  return child;
}

async function startHost(
  plan: LabPlan,
  h: HostPlan,
  holderPid: number,
  user: string,
  clientKey: { privateKey: string; path: string },
  persistent: boolean,
): Promise<LabHost> {
  const exec = (argv: readonly string[], o: RunOptions = {}) => {
    const [cmd, ...args] = enterHost(holderPid, argv);
    return run(cmd!, args, { env: { ...HOST_ENV }, timeoutMs: 120_000, ...o });
  };
  const execOk = (argv: readonly string[], o: RunOptions = {}) => {
    const [cmd, ...args] = enterHost(holderPid, argv);
    return runOk(cmd!, args, { env: { ...HOST_ENV }, timeoutMs: 120_000, ...o });
  };
  const dockerHost = `unix://${h.dockerSocket}`;
  const dockerEnv = await machineDockerEnv({ DOCKER_HOST: dockerHost });
  const docker = (args: readonly string[], o: RunOptions = {}) =>
    run('docker', args, { env: dockerEnv, timeoutMs: 120_000, ...o });

  const [, sshd] = await Promise.all([
    startDockerd(h, holderPid, docker, persistent),
    startHostSshd(h, holderPid, user, plan, clientKey, persistent),
  ]);
  return {
    name: h.name,
    ip: h.ip,
    netns: h.netns,
    holderPid,
    dir: h.dir,
    exec,
    execOk,
    hostPath(p) {
      const dir = PRIVATE_DIRS.find((d) => p === d || p.startsWith(`${d}/`));
      if (!dir) throw new Error(`${p} is not under a private dir of the host (${PRIVATE_DIRS.join(', ')})`);
      return path.join(backingDir(h, dir), p.slice(dir.length));
    },
    sshd,
    dockerHost,
    dockerEnv,
    docker,
  };
}

async function startDockerd(
  h: HostPlan,
  holderPid: number,
  docker: (args: readonly string[], o?: RunOptions) => Promise<RunResult>,
  persistent: boolean,
): Promise<void> {
  const [cmd, ...args] = enterHost(holderPid, dockerdArgs(h));
  await startDaemon(
    `dockerd of ${h.name}`,
    cmd!,
    args,
    path.join(h.dir, 'dockerd.log'),
    async () =>
      (await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5_000 })).code === 0,
    60_000,
    { persistent },
  );
}

async function startHostSshd(
  h: HostPlan,
  holderPid: number,
  user: string,
  plan: LabPlan,
  clientKey: { privateKey: string; path: string },
  persistent: boolean,
): Promise<LabSshd> {
  const dir = path.join(h.dir, 'sshd');
  await mkdir(dir, { mode: 0o755 });
  const hostKey = await generateKey(path.join(dir, 'ssh_host_ed25519_key'), `seisei-lab-${h.name}`);
  const configPath = path.join(dir, 'sshd_config');
  await writeFile(configPath, sshdConfig(dir, 22, user, path.join(plan.dir, 'authorized_keys'), h.ip));
  const hostPublicKey = hostKey.publicKey.split(' ').slice(0, 2).join(' ');
  const knownHostsLine = `${h.ip} ${hostPublicKey}`;
  const knownHostsPath = path.join(dir, 'known_hosts');
  await writeFile(knownHostsPath, knownHostsLine + '\n');
  const [cmd, ...args] = enterHost(holderPid, [SSHD_BIN, '-D', '-e', '-f', configPath]);
  const launch = () =>
    startDaemon(
      `sshd of ${h.name}`,
      cmd!,
      args,
      path.join(dir, 'sshd.log'),
      () => hasBanner(22, h.ip),
      20_000,
      { persistent },
    );
  let child: ChildProcess | undefined = await launch();
  return {
    host: h.ip,
    port: 22,
    user,
    privateKey: clientKey.privateKey,
    privateKeyPath: clientKey.path,
    hostKeyFingerprint: hostKey.fingerprint,
    knownHostsLine,
    knownHostsPath,
    hostPublicKey,
    get pid() {
      return child && isRunning(child) ? (child.pid ?? 0) : 0;
    },
    async stop() {
      if (child) await stopDaemon(child);
      child = undefined;
    },
    async start() {
      if (!child || !isRunning(child)) child = await launch();
    },
  };
}

async function startRegistryHost(plan: LabPlan, persistent: boolean): Promise<LabRegistry> {
  const dir = path.join(plan.dir, 'registry');
  await mkdir(path.join(dir, 'data'), { recursive: true });
  const username = 'seisei';
  const password = `pw-${randomBytes(8).toString('hex')}`;
  await writeHtpasswd(dir, username, password);
  await writeConfig(dir, REGISTRY_PORT, plan.registryIp);
  await startDaemon(
    'the lab registry',
    'nsenter',
    [`--net=/run/netns/${plan.registryNetns}`, '--', REGISTRY_BIN, 'serve', path.join(dir, 'config.yml')],
    path.join(dir, 'registry.log'),
    async () => (await httpGet(`http://${plan.registryAddress}/v2/`, 2_000)).status === 401,
    20_000,
    { persistent },
  );
  return {
    address: plan.registryAddress,
    host: plan.registryAddress,
    ip: plan.registryIp,
    username,
    user: username,
    password,
    dir,
  };
}

// ---- images -------------------------------------------------------------------------------------

let pushQueue: Promise<unknown> = Promise.resolve();

async function pushImage(lab: Lab, variant: AppVariant, tag: string, repo: string): Promise<PushedImage> {
  const registry = lab.registry;
  const pusher = lab.hosts[0];
  if (!registry || !pusher) throw new Error('pushImage needs a lab started with registry: true and a host');
  if (!/^[a-z0-9][a-z0-9._/-]*$/.test(repo)) throw new Error(`bad repository name: ${repo}`);
  const job = async (): Promise<PushedImage> => {
    const imageId = await buildImage(variant, tag);
    await pipeImage(imageId, pusher);
    const name = `${registry.address}/${repo}:${tag}`;
    const env = { ...pusher.dockerEnv, DOCKER_CONFIG: await loginDir(lab, pusher) };
    await runOk('docker', ['tag', imageId, name], { env });
    const { stdout } = await runOk('docker', ['push', name], { env, timeoutMs: 120_000 });
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
    if (!digest) throw new Error(`no digest in docker push output:\n${stdout}`);
    await runOk('docker', ['image', 'rm', '--force', name, imageId], { env });
    return { ref: `${registry.address}/${repo}@${digest}`, digest, tag };
  };
  const next = pushQueue.catch(() => undefined).then(job);
  pushQueue = next;
  return next;
}

/** `docker save` from the machine's dockerd piped into `docker load` on the host. */
async function pipeImage(imageId: string, host: LabHost): Promise<void> {
  const save = spawn('docker', ['save', imageId], {
    env: await machineDockerEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const load = spawn('docker', ['load', '--quiet'], { env: host.dockerEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  save.stdout.pipe(load.stdin);
  let errors = '';
  save.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  load.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const exit = (c: ChildProcess) =>
    new Promise<number | null>((resolve, reject) => {
      c.on('error', reject);
      c.on('close', (code) => resolve(code));
    });
  const [saved, loaded] = await Promise.all([exit(save), exit(load)]);
  if (saved !== 0 || loaded !== 0)
    throw new Error(`docker save | docker load into ${host.name} failed: ${errors}`);
}

const loginDirs = new WeakMap<Lab, Promise<string>>();

/** A DOCKER_CONFIG logged in to the lab registry through the pushing host's dockerd (once per lab). */
function loginDir(lab: Lab, pusher: LabHost): Promise<string> {
  let login = loginDirs.get(lab);
  if (!login) {
    const dir = path.join(lab.plan.dir, 'push-docker-config');
    const registry = lab.registry!;
    login = (async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await runOk(
        'docker',
        ['login', '--username', registry.username, '--password-stdin', registry.address],
        {
          env: { ...pusher.dockerEnv, DOCKER_CONFIG: dir },
          input: registry.password,
        },
      );
      return dir;
    })();
    loginDirs.set(lab, login);
    login.catch(() => loginDirs.delete(lab));
  }
  return login;
}

// ---- slots: which lab owns which names and addresses ----------------------------------------------

interface Owner {
  pid: number;
  /** Start time of the process (field 22 of /proc/<pid>/stat), so a reused pid is not mistaken for it. */
  start: string;
}

async function processStart(pid: number): Promise<string | undefined> {
  const statText = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!statText) return undefined;
  return statText.slice(statText.lastIndexOf(')') + 2).split(' ')[19];
}

const ownerFile = (slot: number) => path.join(slotDir(slot), 'owner');

async function writeOwner(slot: number, pid: number): Promise<void> {
  const owner: Owner = { pid, start: (await processStart(pid)) ?? '' };
  await writeFile(`${ownerFile(slot)}.tmp`, JSON.stringify(owner));
  await rename(`${ownerFile(slot)}.tmp`, ownerFile(slot));
}

/** The slot's owner, or undefined when there is no owner file or a torn one. */
async function readOwner(slot: number): Promise<Owner | undefined> {
  const text = await readFile(ownerFile(slot), 'utf8').catch(() => undefined);
  try {
    return text === undefined ? undefined : (JSON.parse(text) as Owner);
  } catch {
    return undefined; // its writer died mid-write (it writes a temp file and renames, so unlikely)
  }
}

/** 'free' (nothing there), 'live' (its owner runs), or 'stale' (left by a process that is gone). */
async function slotState(slot: number): Promise<'free' | 'live' | 'stale'> {
  const owner = await readOwner(slot);
  if (owner) return (await processStart(owner.pid)) === owner.start ? 'live' : 'stale';
  return existsSync(slotDir(slot)) || (await slotNamespaces(slot)).length > 0 ? 'stale' : 'free';
}

/**
 * Picks a free slot (cleaning a stale one first) and records this process as its owner, under a
 * machine-wide lock so two test processes never pick or clean the same slot at once.
 */
async function claimSlot(): Promise<number> {
  return withLabLock(async () => {
    for (let slot = 0; slot < LAB_SLOTS; slot++) {
      const state = await slotState(slot);
      if (state === 'live') continue;
      if (state === 'stale') await teardownSlot(slot);
      await mkdir(slotDir(slot), { recursive: true, mode: 0o755 });
      await writeOwner(slot, process.pid);
      return slot;
    }
    throw new Error(`all ${LAB_SLOTS} lab slots are in use (see ${LAB_ROOT}/l*/owner)`);
  });
}

/**
 * Removes what labs left behind when their process died (a crashed run); with `all`, also labs
 * whose owner still runs (a persistent demo lab). Returns the slots it cleaned.
 */
export async function cleanupLabLeftovers(opts: { all?: boolean } = {}): Promise<number[]> {
  return withLabLock(async () => {
    const cleaned: number[] = [];
    for (let slot = 0; slot < LAB_SLOTS; slot++) {
      const state = await slotState(slot);
      if (state === 'stale' || (state === 'live' && opts.all)) {
        await teardownSlot(slot);
        cleaned.push(slot);
      }
    }
    return cleaned;
  });
}

/** Runs `fn` holding an exclusive flock on <LAB_ROOT>/.lock (released if this process dies). */
async function withLabLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(LAB_ROOT, { recursive: true, mode: 0o755 });
  const holder = spawn(
    'flock',
    [
      '--exclusive',
      '--timeout',
      '120',
      path.join(LAB_ROOT, '.lock'),
      '-c',
      'echo locked; exec cat >/dev/null',
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      holder.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('locked')) resolve();
      });
      holder.on('error', reject);
      holder.on('close', (code) =>
        reject(new Error(`could not lock ${LAB_ROOT}/.lock (flock exit ${code})`)),
      );
    });
    return await fn();
  } finally {
    holder.stdin.end();
  }
}

// ---- tear-down ----------------------------------------------------------------------------------

async function slotNamespaces(slot: number): Promise<string[]> {
  const names = await readdir('/run/netns').catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`${slotPrefix(slot)}-`));
}

/** Cgroup dirs of the slot's dockerds (`--cgroup-parent=/seisei-l<slot>-h<i>`), deepest first. */
async function slotCgroups(slot: number): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await walk(path.join(dir, e.name));
    found.push(dir);
  };
  for (const hierarchy of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const base = path.join('/sys/fs/cgroup', hierarchy);
    const entries = await readdir(base).catch(() => [] as string[]);
    for (const e of entries) if (e.startsWith(`${slotPrefix(slot)}-`)) await walk(path.join(base, e));
  }
  return found;
}

/** Every process of the slot: in one of its network namespaces or in one of its cgroups. */
export async function slotProcesses(slot: number): Promise<number[]> {
  const pids = new Set<number>();
  for (const ns of await slotNamespaces(slot)) {
    const res = await run('ip', ['netns', 'pids', ns], { timeoutMs: 10_000 });
    for (const p of res.stdout.split('\n').filter(Boolean)) pids.add(Number(p));
  }
  for (const cg of await slotCgroups(slot)) {
    const procs = await readFile(path.join(cg, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const p of procs.split('\n').filter(Boolean)) pids.add(Number(p));
  }
  pids.delete(process.pid);
  return [...pids].filter((p) => Number.isInteger(p) && p > 1);
}

/**
 * Tears a slot down, whether its lab stopped cleanly or crashed: SIGKILL to every process in its
 * namespaces and cgroups (holders, dockerds and their containers, sshds, the registry; the mount
 * namespaces and every mount in them go with the last process), then its cgroups, network
 * namespaces, the machine's veth and its state dir. Bounded by TEARDOWN_MS.
 */
async function teardownSlot(slot: number): Promise<void> {
  const deadline = Date.now() + TEARDOWN_MS;
  /** pid -> start time, so a pid reused by another process is never mistaken for ours. */
  const killed = new Map<number, string>();
  for (;;) {
    // A killed process leaves its cgroup before it has exited: wait for those too.
    const pids = [...new Set([...(await slotProcesses(slot)), ...(await stillExiting(killed))])];
    if (!pids.length) break;
    if (Date.now() > deadline)
      throw new Error(`lab slot ${slot}: processes ${pids.join(' ')} survive SIGKILL`);
    for (const pid of pids) {
      const start = await processStart(pid);
      if (start === undefined || (killed.has(pid) && killed.get(pid) !== start)) continue;
      killed.set(pid, start);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
  for (const cg of await slotCgroups(slot)) {
    // A cgroup is busy for a moment after its last process exited.
    while (
      (await rmdir(cg)
        .then(() => true)
        .catch((e: NodeJS.ErrnoException) => e.code === 'ENOENT')) === false
    ) {
      if (Date.now() > deadline) throw new Error(`lab slot ${slot}: cannot remove cgroup ${cg}`);
      await sleep(100);
    }
  }
  for (const ns of await slotNamespaces(slot))
    await runOk('ip', ['netns', 'delete', ns], { timeoutMs: 10_000 });
  const veth = slotPrefix(slot);
  if ((await run('ip', ['link', 'show', 'dev', veth])).code === 0)
    await run('ip', ['link', 'delete', 'dev', veth], { timeoutMs: 10_000 });
  await removeSlotDir(slot);
}

/** Those of the killed processes (pid -> start time) that still exist and are not zombies. */
async function stillExiting(killed: Map<number, string>): Promise<number[]> {
  const alive: number[] = [];
  for (const [pid, start] of killed) {
    const statText = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
    if (statText && fields[19] === start && fields[0] !== 'Z' && fields[0] !== 'X') alive.push(pid);
  }
  return alive;
}

/** Tears the slot down unless another process owns it now. */
async function teardownOwnSlot(slot: number, ownerPid: number): Promise<void> {
  const owner = await readOwner(slot);
  if (owner && owner.pid !== ownerPid && (await slotState(slot)) === 'live') return;
  await teardownSlot(slot);
}

/** The state dir, its owner file last: until then nobody takes the slot for a free one. */
async function removeSlotDir(slot: number): Promise<void> {
  const dir = slotDir(slot);
  for (const entry of await readdir(dir).catch(() => [] as string[]))
    if (entry !== 'owner') await rm(path.join(dir, entry), { recursive: true, force: true });
  await rm(ownerFile(slot), { force: true });
  await rmdir(dir).catch(() => undefined);
}

/** Names of the lab's leftovers visible on the machine (for tests of the tear-down). */
/** What labTraces finds once a lab is gone: nothing. */
export const NO_TRACES = { netns: [], links: [], mounts: [], cgroups: [], processes: [], dir: false };

export async function labTraces(slot: number): Promise<{
  netns: string[];
  links: string[];
  mounts: string[];
  cgroups: string[];
  processes: number[];
  dir: boolean;
}> {
  const links = (await runOk('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n.startsWith(slotPrefix(slot)));
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .filter((l) => l.includes(slotDir(slot)) || l.includes(`/run/netns/${slotPrefix(slot)}-`));
  return {
    netns: await slotNamespaces(slot),
    links,
    mounts,
    cgroups: await slotCgroups(slot),
    processes: await slotProcesses(slot),
    dir: existsSync(slotDir(slot)),
  };
}

export { LAB_PREFIX, LAB_ROOT };
export type { HostPlan, LabPlan };
