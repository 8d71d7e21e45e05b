// Proves the swarm lab (swarm.ts): three lab hosts form a real swarm, a stack with a pinned digest
// from the authenticated lab registry runs one web task per node (workers pull with the run's
// credentials), rolling updates in host mode lose no request behind a failover client
// (lb-client.ts), and stopping the lab leaves no swarm state behind.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NO_TRACES, labTraces, startLab, type Lab } from './hosts.js';
import { runLbClient, type LbResult } from './lb-client.js';
import {
  dockerAvailable,
  docker as machineDocker,
  httpGet,
  makeTempDir,
  run,
  sleep,
  waitFor,
} from './sandbox.js';
import type { PushedImage } from './images.js';
import {
  HOST_LABEL,
  formSwarm,
  liveNetnsInodes,
  overlayNamespaces,
  stackDeployArgs,
  swarmJoinArgs,
  webStackCompose,
  type Swarm,
} from './swarm.js';

const hasDocker = await dockerAvailable();
const isRoot = process.getuid?.() === 0;
const skip = !hasDocker || !isRoot ? 'needs dockerd and root' : false;
const PORT = 18080;
const RATE = 25;

describe('swarm lab commands', () => {
  test('workers join the manager over their own IPs and stacks deploy with the run credentials', () => {
    assert.deepEqual(swarmJoinArgs('SWMTKN-x', '10.201.0.12', '10.201.0.11'), [
      ...['swarm', 'join', '--token', 'SWMTKN-x'],
      ...['--advertise-addr', '10.201.0.12', '--listen-addr', '10.201.0.12:2377', '10.201.0.11:2377'],
    ]);
    const deploy = stackDeployArgs('/tmp/s.yml', 'app');
    assert.ok(deploy.includes('--with-registry-auth'));
    assert.deepEqual(deploy.slice(deploy.indexOf('--resolve-image'), deploy.indexOf('--resolve-image') + 2), [
      '--resolve-image',
      'never',
    ]);
  });

  test('the web service publishes in host mode, one task per node, and the sidecar uses dnsrr', () => {
    const c = JSON.parse(
      webStackCompose({
        web: 'r/w@sha256:1',
        side: 'r/s@sha256:2',
        replicas: 3,
        port: 8000,
        order: 'stop-first',
      }),
    ) as {
      services: {
        web: {
          ports: { mode: string }[];
          deploy: {
            placement: { max_replicas_per_node: number };
            update_config: { parallelism: number; order: string };
          };
        };
        side: { deploy: { endpoint_mode: string } };
      };
    };
    const web = c.services.web;
    assert.equal(web.ports[0]!.mode, 'host');
    assert.equal(web.deploy.placement.max_replicas_per_node, 1);
    assert.deepEqual(
      [web.deploy.update_config.parallelism, web.deploy.update_config.order],
      [1, 'stop-first'],
    );
    assert.equal(c.services.side.deploy.endpoint_mode, 'dnsrr');
  });
});

describe('a three-node swarm on the host lab', { skip }, () => {
  let lab: Lab;
  let swarm: Swarm;
  let v1: PushedImage;
  let v2: PushedImage;
  let side: PushedImage;
  let machineSwarmBefore: string;
  let machineVxlansBefore: string;

  const machineVxlans = async () => (await run('ip', ['-o', 'link', 'show', 'type', 'vxlan'])).stdout;
  const machineSwarmState = async () =>
    (await machineDocker(['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim();
  const nodeAddresses = () => lab.hosts.map((h) => `${h.ip}:${PORT}`);
  /** Images of the service's tasks that should run, by node hostname. */
  const runningImages = async (service: string) =>
    Object.fromEntries(
      (await swarm.tasks(service))
        .filter((t) => t.desired === 'Running' && t.current.startsWith('Running'))
        .map((t) => [t.node, t.image]),
    );
  /** Waits for `check`; on a timeout the error lists the service's tasks. */
  const waitTasks = async (what: string, service: string, check: () => Promise<boolean>) => {
    try {
      await waitFor(what, check, { timeoutMs: 60_000, intervalMs: 250 });
    } catch (err) {
      const tasks = (await swarm.tasks(service)).map(
        (t) => `${t.name} ${t.node || '-'} ${t.desired} ${t.current} ${t.image.slice(-12)} ${t.error}`,
      );
      throw new Error(`${(err as Error).message}\n${tasks.join('\n')}`);
    }
  };
  /** Runs the failover client while `change` runs, and one second after it. */
  const measure = async (change: () => Promise<void>): Promise<{ lb: LbResult; changeMs: number }> => {
    const stop = new AbortController();
    const lb = runLbClient({
      nodes: nodeAddresses(),
      path: '/health',
      ratePerSecond: RATE,
      maxRequests: RATE * 60,
      maxDurationMs: 60_000,
      attemptTimeoutMs: 1000,
      signal: stop.signal,
    });
    await sleep(500);
    const t0 = Date.now();
    const failure = await change().then(
      () => undefined,
      (err: unknown) => err,
    );
    const changeMs = Date.now() - t0;
    await sleep(1000);
    stop.abort();
    const result = await lb;
    if (failure) throw failure;
    return { lb: result, changeMs };
  };
  const report = (t: { diagnostic(s: string): void }, what: string, m: { lb: LbResult; changeMs: number }) =>
    t.diagnostic(
      `${what}: ${m.changeMs} ms; sent ${m.lb.sent}, ok ${m.lb.ok}, failed ${m.lb.failed}, ` +
        `failovers ${m.lb.failovers}, per node ${JSON.stringify(m.lb.perNode)}, answers ${JSON.stringify(m.lb.bodies)}`,
    );

  before(async () => {
    machineSwarmBefore = await machineSwarmState();
    machineVxlansBefore = await machineVxlans();
    lab = await startLab({ hosts: 3, registry: true });
    v1 = await lab.pushImage('healthy', 'swarm-v1', 'web');
    v2 = await lab.pushImage('healthy', 'swarm-v2', 'web');
    side = await lab.pushImage('ok', 'swarm-side', 'side');
    swarm = await formSwarm(lab);
  });
  after(() => lab?.stop());

  test('the manager and two workers, joined over their own IPs, are ready and labelled', async () => {
    assert.deepEqual(
      swarm.nodes.map((n) => [n.host.name, n.role]),
      [
        ['h1', 'manager'],
        ['h2', 'worker'],
        ['h3', 'worker'],
      ],
    );
    for (const n of swarm.nodes) {
      const format = `{{.Status.State}} {{.Status.Addr}} {{index .Spec.Labels "${HOST_LABEL}"}}`;
      const r = await swarm.cliOk(['node', 'inspect', '--format', format, n.id]);
      assert.equal(r.stdout.trim(), `ready ${n.host.ip} ${n.host.name}`);
    }
    const leader = await swarm.cliOk(['node', 'inspect', '--format', '{{.ManagerStatus.Addr}}', 'self']);
    assert.equal(leader.stdout.trim(), `${lab.hosts[0]!.ip}:2377`);
    assert.equal(await machineSwarmState(), machineSwarmBefore, "the machine's own dockerd is not in it");
  });

  test('a worker has no registry login of its own: pulling the digest there is refused', async () => {
    const env = { ...lab.hosts[1]!.dockerEnv, DOCKER_CONFIG: await makeTempDir('no-login') };
    const r = await run('docker', ['pull', v1.ref], { env, timeoutMs: 30_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no basic auth credentials|unauthorized/i);
  });

  test('without --with-registry-auth a task on a worker cannot pull the digest', async () => {
    await swarm.cliOk([
      ...['service', 'create', '--detach', '--name', 'noauth', '--restart-condition', 'none'],
      ...['--constraint', `node.labels.${HOST_LABEL}==h2`, v2.ref],
    ]);
    const task = await waitFor('the noauth task to be rejected', async () =>
      (await swarm.tasks('noauth')).find((t) => t.error !== ''),
    );
    assert.equal(task.node, lab.hosts[1]!.netns);
    assert.match(task.error, /No such image|unauthorized|no basic auth/i);
    const log = await readFile(path.join(lab.hosts[1]!.dir, 'dockerd.log'), 'utf8');
    assert.match(log, new RegExp(`${v2.digest}.*(no basic auth credentials|unauthorized)`, 'i'));
    await swarm.cliOk(['service', 'rm', 'noauth']);
  });

  test("the stack runs one web task per node, each the pinned digest pulled with the run's credentials", async () => {
    const compose = webStackCompose({
      web: v1.ref,
      side: side.ref,
      replicas: 3,
      port: PORT,
      order: 'stop-first',
    });
    const r = await swarm.deployStack('app', compose);
    assert.equal(r.code, 0, r.stderr);
    await swarm.waitConverged('app_web', 3);
    await swarm.waitConverged('app_side', 1);
    assert.deepEqual(
      await runningImages('app_web'),
      Object.fromEntries(lab.hosts.map((h) => [h.netns, v1.ref])),
    );
    for (const host of lab.hosts) {
      const ids = (
        await host.docker(['ps', '--quiet', '--filter', 'label=com.docker.swarm.service.name=app_web'])
      ).stdout.trim();
      assert.equal(ids.split('\n').length, 1, `one web container on ${host.name}`);
      const image = (await host.docker(['inspect', '--format', '{{.Image}}', ids])).stdout.trim();
      const digests = (await host.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', image]))
        .stdout;
      assert.deepEqual(JSON.parse(digests), [`${lab.registry!.address}/web@${v1.digest}`], host.name);
      assert.deepEqual(await httpGet(`http://${host.ip}:${PORT}/health`), {
        status: 200,
        body: 'ok swarm-v1\n',
      });
    }
  });

  test('web reaches the dnsrr sidecar by its service name across nodes (VXLAN)', async () => {
    const mode = await swarm.cliOk([
      'service',
      'inspect',
      '--format',
      '{{.Spec.EndpointSpec.Mode}}',
      'app_side',
    ]);
    assert.equal(mode.stdout.trim(), 'dnsrr');
    const sideNode = (await swarm.tasks('app_side')).find((t) => t.desired === 'Running')!.node;
    const other = lab.hosts.find((h) => h.netns !== sideNode)!;
    const web = (
      await other.docker(['ps', '--quiet', '--filter', 'label=com.docker.swarm.service.name=app_web'])
    ).stdout.trim();
    const r = await other.docker(['exec', web, 'wget', '-q', '-O-', 'http://side:8080/health']);
    assert.equal(r.stdout, 'ok swarm-side\n', r.stderr);
  });

  test('stop-first, one task per node: a rolling update loses no request behind the failover client', async (t) => {
    const m = await measure(async () => {
      await swarm.cliOk([
        'service',
        'update',
        '--detach',
        '--with-registry-auth',
        '--image',
        v2.ref,
        'app_web',
      ]);
      await waitTasks('every web task to run v2', 'app_web', async () => {
        const images = Object.values(await runningImages('app_web'));
        return images.length === 3 && images.every((i) => i === v2.ref);
      });
    });
    await swarm.waitConverged('app_web', 3); // the update's monitor period is over
    report(t, 'stop-first update of 3 tasks on 3 nodes', m);
    assert.equal(m.lb.failed, 0, JSON.stringify(m.lb.failedWindows));
    assert.ok(
      m.lb.bodies['ok swarm-v1']! > 0 && m.lb.bodies['ok swarm-v2']! > 0,
      JSON.stringify(m.lb.bodies),
    );
    assert.ok(m.lb.failovers > 0, 'each node was down for a moment; the client went to the others');
  });

  test('start-first with a spare node: two tasks on three nodes update with no failed request', async (t) => {
    await swarm.cliOk(['service', 'scale', '--detach', 'app_web=2']);
    await swarm.waitConverged('app_web', 2);
    const m = await measure(async () => {
      await swarm.cliOk([
        ...['service', 'update', '--detach', '--with-registry-auth'],
        ...['--update-order', 'start-first', '--image', v1.ref, 'app_web'],
      ]);
      await waitTasks('both web tasks to run v1', 'app_web', async () => {
        const images = Object.values(await runningImages('app_web'));
        return images.length === 2 && images.every((i) => i === v1.ref);
      });
    });
    report(t, 'start-first update of 2 tasks on 3 nodes', m);
    assert.equal(m.lb.failed, 0, JSON.stringify(m.lb.failedWindows));
  });

  test('start-first with a task on every node stalls: the host port is taken on all of them', async () => {
    await swarm.cliOk(['service', 'scale', '--detach', 'app_web=3']);
    await swarm.waitConverged('app_web', 3);
    await swarm.cliOk([
      ...['service', 'update', '--detach', '--with-registry-auth'],
      ...['--update-order', 'start-first', '--image', v2.ref, 'app_web'],
    ]);
    const stuck = await waitFor('a new task that cannot be placed', async () =>
      (await swarm.tasks('app_web')).find((t) => /host-mode port already in use on 3 nodes/.test(t.error)),
    );
    assert.equal(stuck.node, '');
    assert.deepEqual(
      Object.values(await runningImages('app_web')),
      [v1.ref, v1.ref, v1.ref],
      'the old tasks keep serving',
    );
    const state = await swarm.cliOk(['service', 'inspect', '--format', '{{.UpdateStatus.State}}', 'app_web']);
    assert.equal(state.stdout.trim(), 'updating');
  });

  test("stop() removes the swarm's overlay namespaces and VXLAN devices, which never were the machine's", async () => {
    const overlays = await overlayNamespaces(lab);
    assert.ok(
      overlays.some((o) => o.links.some((l) => l.startsWith('vxlan'))),
      JSON.stringify(overlays),
    );
    assert.equal(await machineVxlans(), machineVxlansBefore, "no VXLAN device in the machine's namespace");
    const live = await liveNetnsInodes();
    assert.deepEqual(
      overlays.filter((o) => !live.has(o.inode)),
      [],
      'the scan finds them while the lab runs',
    );

    await lab.stop();
    assert.deepEqual(await labTraces(lab.slot), NO_TRACES);
    const after = await liveNetnsInodes();
    assert.deepEqual(
      overlays.filter((o) => after.has(o.inode)),
      [],
    );
    assert.equal(await machineSwarmState(), machineSwarmBefore);
  });
});
