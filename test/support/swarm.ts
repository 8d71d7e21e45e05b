// A real Docker Swarm on the host lab (hosts.ts): host 1's dockerd inits it, the other hosts join as
// workers over their own IPs; a docker CLI on the manager with a private registry login deploys
// stacks. This kernel has no IP_VS (no routing mesh, no service VIPs): stacks publish with
// `mode: host` and talk to each other with `endpoint_mode: dnsrr` (docs/decisions.md, "Test lab").
import { readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunOptions, RunResult } from './exec.js';
import type { Lab, LabHost } from './hosts.js';
import { waitFor } from './util.js';

/** The swarm's control port (the default), on each node's lab IP. */
export const SWARM_PORT = 2377;
/** Node label naming the lab host ('h1', ...), for placement constraints. */
export const HOST_LABEL = 'seisei.lab.host';
/** The manager's private docker client config (in the host's own /run): the registry login. */
export const CLIENT_CONFIG_DIR = '/run/seisei-swarm-client';
/** Current states of a task whose container may still run (`docker service ps` CURRENT STATE). */
const LIVE_STATE = /^(New|Pending|Assigned|Accepted|Preparing|Ready|Starting|Running)\b/;
/** Update states that are not converged: in progress, or paused half done (failure_action: pause). */
const UNSETTLED_UPDATE = ['updating', 'paused', 'rollback_started', 'rollback_paused'];
const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---- argv (pure) --------------------------------------------------------------------------------

export function swarmInitArgs(ip: string): string[] {
  return ['swarm', 'init', '--advertise-addr', ip, '--listen-addr', `${ip}:${SWARM_PORT}`];
}

export function swarmJoinArgs(token: string, ip: string, managerIp: string): string[] {
  return [
    'swarm',
    'join',
    '--token',
    token,
    '--advertise-addr',
    ip,
    '--listen-addr',
    `${ip}:${SWARM_PORT}`,
    `${managerIp}:${SWARM_PORT}`,
  ];
}

/** As the engine will run it: the run's credentials to the nodes, digests already pinned. */
export function stackDeployArgs(composeFile: string, stack: string): string[] {
  return [
    'stack',
    'deploy',
    '--with-registry-auth',
    '--resolve-image',
    'never',
    '--prune',
    '--compose-file',
    composeFile,
    stack,
  ];
}

// ---- the swarm ----------------------------------------------------------------------------------

export interface SwarmNode {
  host: LabHost;
  /** Swarm node ID. */
  id: string;
  role: 'manager' | 'worker';
}

export interface SwarmTask {
  /** 'app_web.1' */
  name: string;
  /** Hostname of the node ('seisei-l0-h2'), '' while unassigned. */
  node: string;
  desired: string;
  /** 'Running 3 seconds ago' */
  current: string;
  /** The task's image reference (as in the service spec). */
  image: string;
  error: string;
}

export interface Swarm {
  lab: Lab;
  manager: LabHost;
  nodes: SwarmNode[];
  /** The docker CLI run inside the manager host, with the private client config; never throws for exit codes. */
  cli(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Like cli(), but throws unless it exits 0. */
  cliOk(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Writes the compose text into the manager's private /tmp and runs `docker stack deploy` (stackDeployArgs). */
  deployStack(stack: string, compose: string): Promise<RunResult>;
  /** Tasks of a service (all, newest first per slot, as `docker service ps` lists them). */
  tasks(service: string): Promise<SwarmTask[]>;
  /**
   * Waits until the service has `replicas` running tasks, no task that was told to stop still
   * running, and no update in progress or paused.
   */
  waitConverged(service: string, replicas: number, timeoutMs?: number): Promise<void>;
}

/**
 * Forms a swarm of the lab's hosts: `docker swarm init` on host 1 (advertised on its lab IP), every
 * other host joins as a worker over its own IP, each node gets the label `seisei.lab.host=<name>`,
 * and the manager's private client config logs in to the lab registry (the workers get no login:
 * they pull with the credentials `--with-registry-auth` puts in the tasks). Leaving is not needed:
 * the lab's stop() kills the dockerds and removes their namespaces, overlay ones included.
 */
export async function formSwarm(lab: Lab): Promise<Swarm> {
  const [manager, ...workers] = lab.hosts;
  if (!manager) throw new Error('formSwarm needs a lab with at least one host');
  const env = { PATH: HOST_PATH, LANG: 'C.UTF-8', DOCKER_CONFIG: CLIENT_CONFIG_DIR };
  const cli = (args: readonly string[], o: RunOptions = {}) =>
    manager.exec(['docker', ...args], { env, timeoutMs: 120_000, ...o });
  const cliOk = (args: readonly string[], o: RunOptions = {}) =>
    manager.execOk(['docker', ...args], { env, timeoutMs: 120_000, ...o });

  await cliOk(swarmInitArgs(manager.ip));
  const token = (await cliOk(['swarm', 'join-token', '--quiet', 'worker'])).stdout.trim();
  await Promise.all(
    workers.map(async (w) => {
      const r = await w.docker(swarmJoinArgs(token, w.ip, manager.ip));
      if (r.code !== 0) throw new Error(`${w.name} could not join the swarm: ${r.stderr.trim()}`);
    }),
  );
  const nodes = await waitForNodes(lab.hosts, cli);
  for (const n of nodes) await cliOk(['node', 'update', '--label-add', `${HOST_LABEL}=${n.host.name}`, n.id]);

  await manager.execOk(['mkdir', '-p', '-m', '0700', CLIENT_CONFIG_DIR]);
  if (lab.registry)
    await cliOk(['login', '--username', lab.registry.username, '--password-stdin', lab.registry.address], {
      input: lab.registry.password,
    });

  const tasks = async (service: string): Promise<SwarmTask[]> => {
    const format = '{{json .}}';
    const r = await cliOk(['service', 'ps', '--no-trunc', '--format', format, service]);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const t = JSON.parse(line) as Record<string, string>;
        return {
          name: t.Name ?? '',
          node: t.Node ?? '',
          desired: t.DesiredState ?? '',
          current: t.CurrentState ?? '',
          image: t.Image ?? '',
          error: t.Error ?? '',
        };
      });
  };

  return {
    lab,
    manager,
    nodes,
    cli,
    cliOk,
    async deployStack(stack, compose) {
      const file = `/tmp/stack-${stack}.yml`;
      await writeFile(manager.hostPath(file), compose, { mode: 0o600 });
      return cli(stackDeployArgs(file, stack));
    },
    tasks,
    async waitConverged(service, replicas, timeoutMs = 60_000) {
      await waitFor(
        `${service} to run ${replicas} tasks with no update in progress`,
        async () => {
          const all = await tasks(service);
          const running = all.filter((t) => t.desired === 'Running' && t.current.startsWith('Running'));
          // A task told to stop (update, scale-down) may still hold its host port: wait for it too.
          const stopping = all.filter((t) => t.desired !== 'Running' && LIVE_STATE.test(t.current));
          const update = (
            await cliOk([
              'service',
              'inspect',
              '--format',
              '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}',
              service,
            ])
          ).stdout.trim();
          return running.length === replicas && !stopping.length && !UNSETTLED_UPDATE.includes(update);
        },
        { timeoutMs, intervalMs: 250 },
      );
    },
  };
}

/** Waits until every host is a Ready, Active node; returns them in host order. */
async function waitForNodes(
  hosts: LabHost[],
  cli: (args: readonly string[]) => Promise<RunResult>,
): Promise<SwarmNode[]> {
  return waitFor(
    `${hosts.length} swarm nodes to be ready`,
    async () => {
      const r = await cli(['node', 'ls', '--format', '{{.ID}} {{.Hostname}} {{.Status}} {{.Availability}}']);
      const rows = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '));
      const nodes = hosts.map((h, i): SwarmNode | undefined => {
        const row = rows.find((x) => x[1] === h.netns && x[2] === 'Ready' && x[3] === 'Active');
        return row ? { host: h, id: row[0]!, role: i === 0 ? 'manager' : 'worker' } : undefined;
      });
      return nodes.every(Boolean) ? (nodes as SwarmNode[]) : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

// ---- what the swarm leaves in the hosts' namespaces ----------------------------------------------

export interface OverlayNamespace {
  host: string;
  /** Name under the host's /run/docker/netns ('1-abc...', 'ingress_sbox', 'lb_...'). */
  name: string;
  /** Inode of the network namespace ('net:[<inode>]' in /proc/<pid>/ns/net and mountinfo). */
  inode: string;
  /** Its links, e.g. ['lo', 'br0', 'vxlan0', 'veth0']. */
  links: string[];
}

/**
 * The network namespaces dockerd made for the swarm inside each host (overlay sandboxes with their
 * VXLAN devices, the ingress sandbox, load-balancer endpoints): they exist only in the host's own
 * mount namespace (/run/docker/netns is under the host's private /run).
 */
export async function overlayNamespaces(lab: Lab): Promise<OverlayNamespace[]> {
  const found: OverlayNamespace[] = [];
  for (const host of lab.hosts) {
    const dir = '/run/docker/netns';
    const names = (await host.exec(['ls', dir])).stdout.split('\n').filter(Boolean);
    for (const name of names) {
      const file = path.posix.join(dir, name);
      const inode = (await host.exec(['stat', '-L', '--format', '%i', file])).stdout.trim();
      const links = (await host.exec(['nsenter', `--net=${file}`, 'ip', '-o', 'link', 'show'])).stdout
        .split('\n')
        .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
        .filter(Boolean);
      // A container's entry can outlive its namespace (a plain file then): only live ones have 'lo'.
      if (inode && links.includes('lo')) found.push({ host: host.name, name, inode, links });
    }
  }
  return found;
}

/** Network namespace inodes any process of the machine is in or has mounted (nsfs in its mountinfo). */
export async function liveNetnsInodes(): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const link = await readlink(`/proc/${entry}/ns/net`).catch(() => '');
    const m = /^net:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
    const mounts = await readFile(`/proc/${entry}/mountinfo`, 'utf8').catch(() => '');
    for (const mm of mounts.matchAll(/ net:\[(\d+)\] /g)) inodes.add(mm[1]!);
  }
  return inodes;
}

// ---- a web + sidecar stack for this kernel (pure) ------------------------------------------------

export interface WebStackOptions {
  web: string;
  side: string;
  replicas: number;
  /** Published on every node that runs a web task (mode: host). */
  port: number;
  order: 'start-first' | 'stop-first';
}

/**
 * Compose text (JSON is YAML) of a web service published in host mode, at most one task per node,
 * rolling one task at a time after its healthcheck passes, and a sidecar reached by DNS round robin.
 */
export function webStackCompose(o: WebStackOptions): string {
  const compose = {
    version: '3.8',
    services: {
      web: {
        image: o.web,
        ports: [{ target: 8080, published: o.port, protocol: 'tcp', mode: 'host' }],
        healthcheck: {
          test: ['CMD', '/bin/wget', '-q', '-O-', 'http://127.0.0.1:8080/health'],
          interval: '1s',
          timeout: '1s',
          retries: 2,
        },
        deploy: {
          replicas: o.replicas,
          placement: { max_replicas_per_node: 1 },
          update_config: { parallelism: 1, order: o.order, delay: '0s', monitor: '2s' },
        },
      },
      side: { image: o.side, deploy: { replicas: 1, endpoint_mode: 'dnsrr' } },
    },
  };
  return JSON.stringify(compose, null, 2) + '\n';
}
