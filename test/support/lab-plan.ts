// The pure part of the multi-host test lab (hosts.ts): names, addresses, paths and the argv of
// every ip/nsenter command, so the layout can be read (and unit-tested) without touching the machine.
import path from 'node:path';

/** Everything a lab creates is named with this prefix and its slot: netns, veth, cgroups, dirs. */
export const LAB_PREFIX = 'seisei-l';
/** Labs that can run at once on one machine; each gets a /26 of LAB_NETWORK. */
export const LAB_SLOTS = 4;
/** The only network the lab creates or sends traffic to (besides loopback). */
export const LAB_NETWORK = '10.201.0.0/24';
/** State of every lab: `<LAB_ROOT>/l<slot>/` (outside /tmp, which each host has its own of). */
export const LAB_ROOT = '/var/lib/seisei-lab';
export const REGISTRY_PORT = 5000;
export const MAX_HOSTS = 50;
const PREFIX_LEN = 26;

/** Directories each host gets its own of (bind mounts in its mount namespace). */
export const PRIVATE_DIRS = ['/srv', '/opt', '/run', '/tmp', '/home', '/etc/docker'] as const;

export interface HostPlan {
  /** 'h1', 'h2', ... */
  name: string;
  /** `seisei-l<slot>-h<i>`: the network namespace, hostname and cgroup parent. */
  netns: string;
  ip: string;
  /** Backing directory of the host's private dirs, its dockerd data and its sshd files. */
  dir: string;
  /** `<dir>/run/docker.sock`: the host's /var/run/docker.sock seen from the machine. */
  dockerSocket: string;
}

export interface LabPlan {
  slot: number;
  dir: string;
  /** The machine's end of the lab network (a veth; the machine reaches every host through it). */
  rootVeth: string;
  gateway: string;
  /** Holds the bridge all hosts, the registry and the machine's veth are plugged into. */
  switchNetns: string;
  registryNetns: string;
  registryIp: string;
  /** 'IP:5000' */
  registryAddress: string;
  prefixLength: number;
  hosts: HostPlan[];
}

/** The first address of a slot: 10.201.0.0, .64, .128, .192. */
function slotBase(slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= LAB_SLOTS) throw new Error(`bad lab slot ${slot}`);
  return 64 * slot;
}

export const slotPrefix = (slot: number) => `${LAB_PREFIX}${slot}`;
export const slotDir = (slot: number) => path.join(LAB_ROOT, `l${slot}`);

export function labPlan(slot: number, hostCount: number): LabPlan {
  if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > MAX_HOSTS)
    throw new Error(`hosts: ${hostCount} is not a whole number from 1 to ${MAX_HOSTS}`);
  const base = slotBase(slot);
  const prefix = slotPrefix(slot);
  const dir = slotDir(slot);
  const ip = (n: number) => `10.201.0.${base + n}`;
  const hosts = Array.from({ length: hostCount }, (_, i): HostPlan => {
    const name = `h${i + 1}`;
    const hostDir = path.join(dir, name);
    return {
      name,
      netns: `${prefix}-${name}`,
      ip: ip(10 + i + 1),
      dir: hostDir,
      dockerSocket: path.join(hostDir, 'run', 'docker.sock'),
    };
  });
  return {
    slot,
    dir,
    rootVeth: prefix,
    gateway: ip(1),
    switchNetns: `${prefix}-sw`,
    registryNetns: `${prefix}-reg`,
    registryIp: ip(2),
    registryAddress: `${ip(2)}:${REGISTRY_PORT}`,
    prefixLength: PREFIX_LEN,
    hosts,
  };
}

/** The backing directory of a private dir: /etc/docker -> <host dir>/etc-docker. */
export function backingDir(host: HostPlan, dir: (typeof PRIVATE_DIRS)[number]): string {
  return path.join(host.dir, dir.slice(1).replace(/\//g, '-'));
}

/** The host's own /etc/hosts (a file bind mount): localhost, its hostname, the other lab hosts. */
export const hostsFilePath = (host: HostPlan) => path.join(host.dir, 'etc-hosts');

/** Its hostname resolves (sudo looks it up on every call), and so do the other hosts and the registry. */
export function hostsFile(plan: LabPlan, host: HostPlan): string {
  const lines = [
    '127.0.0.1 localhost',
    `127.0.1.1 ${host.netns}`,
    '::1 localhost ip6-localhost ip6-loopback',
  ];
  lines.push(`${plan.registryIp} ${plan.registryNetns}`);
  for (const h of plan.hosts) if (h !== host) lines.push(`${h.ip} ${h.netns}`);
  return lines.join('\n') + '\n';
}

// ---- ip commands ------------------------------------------------------------------------------

const BRIDGE = 'br0';

/** Every `ip` call that builds the lab network, in order. */
export function networkCommands(plan: LabPlan): string[][] {
  const sw = plan.switchNetns;
  const cidr = (ip: string) => `${ip}/${plan.prefixLength}`;
  const cmds: string[][] = [];
  for (const ns of [sw, plan.registryNetns, ...plan.hosts.map((h) => h.netns)])
    cmds.push(['ip', 'netns', 'add', ns]);
  cmds.push(['ip', '-n', sw, 'link', 'add', BRIDGE, 'type', 'bridge']);
  cmds.push(['ip', '-n', sw, 'link', 'set', 'dev', BRIDGE, 'up']);
  // The machine's end: a veth whose peer is a port of the bridge.
  cmds.push(['ip', 'link', 'add', plan.rootVeth, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', sw]);
  cmds.push(['ip', '-n', sw, 'link', 'set', 'dev', 'uplink', 'master', BRIDGE, 'up']);
  cmds.push(['ip', 'addr', 'add', cidr(plan.gateway), 'dev', plan.rootVeth]);
  cmds.push(['ip', 'link', 'set', 'dev', plan.rootVeth, 'up']);
  const members = [
    { netns: plan.registryNetns, ip: plan.registryIp, port: 'reg' },
    ...plan.hosts.map((h) => ({ netns: h.netns, ip: h.ip, port: h.name })),
  ];
  for (const m of members) {
    cmds.push([
      'ip',
      'link',
      'add',
      'eth0',
      'netns',
      m.netns,
      'type',
      'veth',
      'peer',
      'name',
      m.port,
      'netns',
      sw,
    ]);
    cmds.push(['ip', '-n', sw, 'link', 'set', 'dev', m.port, 'master', BRIDGE, 'up']);
    cmds.push(['ip', '-n', m.netns, 'addr', 'add', cidr(m.ip), 'dev', 'eth0']);
    cmds.push(['ip', '-n', m.netns, 'link', 'set', 'dev', 'eth0', 'up']);
    cmds.push(['ip', '-n', m.netns, 'link', 'set', 'dev', 'lo', 'up']);
  }
  return cmds;
}

// ---- entering a host --------------------------------------------------------------------------

/** The namespaces of a host that a command enters: its mounts, network and hostname. */
export function enterHost(holderPid: number, argv: readonly string[]): string[] {
  return ['nsenter', `--target=${holderPid}`, '--mount', '--net', '--uts', '--', ...argv];
}

/**
 * The holder of a host: enters its network namespace (nsenter --net, not `ip netns exec`, which
 * remounts /sys and hides the cgroup mounts dockerd needs), makes a private mount and UTS
 * namespace, bind-mounts the host's own dirs, sets the hostname, says it is ready and sleeps.
 */
export function holderCommand(host: HostPlan): string[] {
  const binds = [
    ...PRIVATE_DIRS.map((d) => `mount --bind '${backingDir(host, d)}' '${d}'`),
    `mount --bind '${hostsFilePath(host)}' /etc/hosts`,
  ].join(' && ');
  const script = `set -e; ${binds}; hostname '${host.netns}'; : > /run/.lab-holder-ready; exec sleep infinity`;
  return [
    'nsenter',
    `--net=/run/netns/${host.netns}`,
    '--',
    'unshare',
    '--mount',
    '--uts',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    script,
  ];
}

/** dockerd of a host, run inside it: its own data, exec root, pidfile, socket and cgroup parent. */
export function dockerdArgs(host: HostPlan): string[] {
  return [
    '/usr/sbin/dockerd',
    '--config-file=/etc/docker/daemon.json',
    `--data-root=${path.join(host.dir, 'docker')}`,
    '--exec-root=/run/docker',
    '--pidfile=/run/docker.pid',
    '--host=unix:///run/docker.sock',
    `--cgroup-parent=/${host.netns}`,
  ];
}

/** The daemon.json of a host's dockerd: trusts the lab registry over plain HTTP. */
export function daemonConfig(plan: LabPlan): string {
  return (
    JSON.stringify({ 'insecure-registries': [plan.registryAddress], 'log-level': 'warn' }, null, 2) + '\n'
  );
}
