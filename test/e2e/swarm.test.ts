// The Swarm engine on a real three-node swarm (test/support/swarm.ts): the committed executor runs
// on the manager (host 1 of the lab, as root in its namespaces) and deploys a two-service stack
// (web: 2 replicas with the image's healthcheck, published in host mode on h1 and h2; a sidecar),
// rolls the whole stack back when new tasks never get healthy, rolls back by hand, and `status`
// reads the services. A failover client (lb-client.ts) measures availability meanwhile.
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { layout } from '../../common/layout.js';
import { startLab, type Lab } from '../support/hosts.js';
import type { PushedImage } from '../support/images.js';
import { dockerAvailable, waitFor } from '../support/sandbox.js';
import { formSwarm, type Swarm } from '../support/swarm.js';
import { hostExecutor, lbText, measure as measureLb, type HostExecutor } from './swarm-fixture.js';

const hasDocker = await dockerAvailable();
const isRoot = process.getuid?.() === 0;
const skip = !hasDocker || !isRoot ? 'needs dockerd and root' : false;

const STACK = 'shop';
const PORT = 18080;
const ROOT = '/srv/seisei';
const SOURCE = '/srv/stacks';
const L = layout(ROOT);

/** The stack's compose file: web on h1 and h2 (one task per node, host mode), a dnsrr sidecar. */
const COMPOSE = `version: "3.8"
services:
  web:
    image: \${IMAGE_REF}
    ports:
      - { target: 8080, published: ${PORT}, protocol: tcp, mode: host }
    deploy:
      replicas: 2
      placement:
        max_replicas_per_node: 1
        constraints: ["node.labels.seisei.lab.host != h3"]
      update_config: { parallelism: 1, order: stop-first, delay: 0s, monitor: 2s, failure_action: pause }
  side:
    image: \${SIDE_IMAGE_REF}
    environment:
      GREETING: \${GREETING}
    deploy:
      replicas: 1
      endpoint_mode: dnsrr
x-seisei-deploy:
  engine: swarm
  smoke:
    - url: http://127.0.0.1:${PORT}/health
      contains: ok
  smoke_timeout_s: 60
`;
const ENV = 'IMAGE_REF=placeholder\nSIDE_IMAGE_REF=placeholder\nGREETING=hello from .env\n';

describe('the Swarm engine on a three-node swarm', { skip }, () => {
  let lab: Lab;
  let swarm: Swarm;
  const img: Record<string, PushedImage> = {};
  let ex: HostExecutor;
  let runs = 0;

  const manager = () => lab.hosts[0]!;
  const executor = (args: string[]) => ex.executor(args);
  const deploy = (
    tag: string,
    web: PushedImage,
    side: PushedImage,
    env: NodeJS.ProcessEnv = {},
    extra: string[] = [],
  ) => ex.deploy(STACK, tag, { web, side }, { vars: 'IMAGE_REF=web,SIDE_IMAGE_REF=side', env, extra });
  const history = () => ex.history();
  const manifest = () => ex.manifest(STACK);
  const statusJson = () => ex.status(STACK);
  /** The image in a service's spec. */
  const specImage = async (service: string) =>
    (
      await swarm.cliOk([
        'service',
        'inspect',
        '--format',
        '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
        service,
      ])
    ).stdout.trim();
  /** Images of the tasks that run (desired and current state running), by node. */
  const runningImages = async (service: string) =>
    (await swarm.tasks(service))
      .filter((t) => t.desired === 'Running' && t.current.startsWith('Running'))
      .map((t) => `${t.node} ${t.image}`)
      .sort();
  /** The failover client against the nodes that run web (h1, h2), while `change` runs. */
  const measure = <T>(change: () => Promise<T>) => measureLb(webNodes(), change);
  const webNodes = () => lab.hosts.slice(0, 2).map((h) => `${h.ip}:${PORT}`);

  before(async () => {
    lab = await startLab({ hosts: 3, registry: true });
    const pushes: [string, Parameters<Lab['pushImage']>][] = [
      ['web1', ['healthy', 'sw-web-1', 'web']],
      ['web2', ['healthy', 'sw-web-2', 'web']],
      ['web3', ['healthy', 'sw-web-3', 'web']],
      ['bad', ['unhealthy', 'sw-web-bad', 'web']],
      ['side1', ['ok', 'sw-side-1', 'side']],
      ['side2', ['ok', 'sw-side-2', 'side']],
      ['side3', ['ok', 'sw-side-3', 'side']],
    ];
    for (const [name, args] of pushes) img[name] = await lab.pushImage(...args);
    swarm = await formSwarm(lab);
    ex = hostExecutor(lab, manager(), ROOT, SOURCE);
    const dir = manager().hostPath(`${SOURCE}/${STACK}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'docker-compose.yml'), COMPOSE);
    await writeFile(path.join(dir, '.env'), ENV);
  });
  after(() => lab?.stop());

  test("a two-service stack deploys: every task runs the pinned digest, pulled on the worker with the run's credentials", async () => {
    // A stray IMAGE_REF in the executor's environment must not override the release's .env.
    const r = await deploy('sw-1', img.web1!, img.side1!, { IMAGE_REF: `${lab.registry!.address}/web:evil` });
    assert.equal(r.result?.status, 'success', `${r.result?.msg} ${r.stderr}`);
    const releaseId = r.result!.release_id!;

    assert.equal(await specImage(`${STACK}_web`), img.web1!.ref);
    assert.equal(await specImage(`${STACK}_side`), img.side1!.ref);
    assert.deepEqual(await runningImages(`${STACK}_web`), [
      `${lab.hosts[0]!.netns} ${img.web1!.ref}`,
      `${lab.hosts[1]!.netns} ${img.web1!.ref}`,
    ]);
    // h2 is a worker without a registry login of its own: it pulled the digest with the run's.
    const h2 = lab.hosts[1]!;
    const id = (
      await h2.docker(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${STACK}_web`])
    ).stdout.trim();
    const image = (await h2.docker(['inspect', '--format', '{{.Image}}', id])).stdout.trim();
    const digests = (await h2.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', image]))
      .stdout;
    assert.deepEqual(JSON.parse(digests), [`${lab.registry!.address}/web@${img.web1!.digest}`]);
    const side = (
      await swarm.cliOk([
        'service',
        'inspect',
        '--format',
        '{{json .Spec.TaskTemplate.ContainerSpec.Env}}',
        `${STACK}_side`,
      ])
    ).stdout;
    assert.deepEqual(JSON.parse(side), ['GREETING=hello from .env']);
    // web (two tasks) runs with the engine's update delay, the rest of its update_config as written;
    // the sidecar (one task) keeps its own.
    const updateConfig = async (service: string) =>
      JSON.parse(
        (await swarm.cliOk(['service', 'inspect', '--format', '{{json .Spec.UpdateConfig}}', service]))
          .stdout,
      ) as Record<string, unknown> | null;
    assert.deepEqual(await updateConfig(`${STACK}_web`), {
      Parallelism: 1,
      Delay: 1_000_000_000,
      FailureAction: 'pause',
      Monitor: 2_000_000_000,
      MaxFailureRatio: 0,
      Order: 'stop-first',
    });
    assert.ok(!(await updateConfig(`${STACK}_side`))?.Delay, 'the sidecar keeps its update delay');

    // Records as for compose.
    const m = await manifest();
    assert.equal(m.release_id, releaseId);
    assert.equal(m.image_ref, img.web1!.ref);
    assert.equal(m.compose, 'swarm');
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(m.images as Record<string, { ref: string }>).map(([k, v]) => [k, v.ref]),
      ),
      { IMAGE_REF: img.web1!.ref, SIDE_IMAGE_REF: img.side1!.ref },
    );
    const last = (await history()).at(-1)!;
    assert.deepEqual([last.release_id, last.mode, last.status], [releaseId, 'deploy', 'success']);
    // The release froze the compose file and the pinned .env.
    const rel = manager().hostPath(L.releaseDir(STACK, releaseId));
    assert.equal(await readFile(path.join(rel, 'docker-compose.yml'), 'utf8'), COMPOSE);
    const env = await readFile(path.join(rel, '.env'), 'utf8');
    assert.match(env, new RegExp(`^IMAGE_REF=${img.web1!.ref}$`, 'm'));
    assert.match(env, new RegExp(`^SIDE_IMAGE_REF=${img.side1!.ref}$`, 'm'));
    // The login left the manager's disk with the run.
    const runsDir = manager().hostPath(L.runsDir(STACK));
    const left = (await readdir(runsDir).catch(() => [] as string[])).filter((n) =>
      n.startsWith('docker-config-'),
    );
    assert.deepEqual(left, []);
  });

  test('a rolling deploy of both services loses no request behind the failover client', async (t) => {
    const { lb, value: r } = await measure(() => deploy('sw-2', img.web2!, img.side2!));
    t.diagnostic(`rolling deploy on 2 nodes: ${lbText(lb)}`);
    assert.equal(r.result?.status, 'success', r.result?.msg);
    assert.equal(lb.failed, 0, lbText(lb));
    assert.ok(lb.bodies['ok sw-web-1']! > 0 && lb.bodies['ok sw-web-2']! > 0, lbText(lb));
    assert.equal(await specImage(`${STACK}_side`), img.side2!.ref);
  });

  test('new tasks that never get healthy: the whole stack goes back to the previous release, both services', async (t) => {
    const before = (await manifest()).release_id as string;
    const { lb, value: r } = await measure(() => deploy('sw-bad', img.bad!, img.side3!));
    t.diagnostic(`failed update and rollback on 2 nodes: ${lbText(lb)}; result: ${r.result?.msg}`);
    assert.equal(r.result?.status, 'rolled_back', r.result?.msg);
    assert.match(r.result!.msg, /service shop_web: update paused/);
    assert.equal(await specImage(`${STACK}_web`), img.web2!.ref);
    assert.equal(await specImage(`${STACK}_side`), img.side2!.ref, 'the sidecar went back too');
    assert.deepEqual(await runningImages(`${STACK}_web`), [
      `${lab.hosts[0]!.netns} ${img.web2!.ref}`,
      `${lab.hosts[1]!.netns} ${img.web2!.ref}`,
    ]);
    assert.equal((await manifest()).release_id, before);
    const [failed, back] = (await history()).slice(-2);
    assert.deepEqual(
      [failed!.status, failed!.mode, failed!.image_ref],
      ['rolled_back', 'deploy', img.bad!.ref],
    );
    assert.deepEqual([back!.release_id, back!.mode, back!.status], [before, 'auto-rollback', 'success']);
    // Behind the failover client no request was lost, in the failed update nor in the rollback.
    assert.equal(lb.failed, 0, lbText(lb));
    assert.ok(lb.bodies['ok sw-web-2']! > 0, lbText(lb));
  });

  test('an HTTP smoke check that fails on a converged stack: the whole stack goes back, both services', async (t) => {
    const before = (await manifest()).release_id as string;
    const source = manager().hostPath(`${SOURCE}/${STACK}/docker-compose.yml`);
    // This release's frozen smoke check asks for text no version answers; its tasks are healthy.
    await writeFile(
      source,
      COMPOSE.replace('contains: ok', 'contains: "not in any answer"').replace(
        'smoke_timeout_s: 60',
        'smoke_timeout_s: 20',
      ),
    );
    const { lb, value: r } = await measure(() => deploy('sw-3', img.web3!, img.side3!)).finally(() =>
      writeFile(source, COMPOSE),
    );
    t.diagnostic(`smoke failure and rollback on 2 nodes: ${lbText(lb)}`);
    assert.equal(r.result?.status, 'rolled_back', r.result?.msg);
    assert.match(r.result!.msg, /body does not contain "not in any answer"/);
    assert.equal(await specImage(`${STACK}_web`), img.web2!.ref);
    assert.equal(await specImage(`${STACK}_side`), img.side2!.ref, 'the sidecar went back too');
    assert.equal((await manifest()).release_id, before);
    const [failed, back] = (await history()).slice(-2);
    assert.deepEqual([failed!.status, failed!.image_ref], ['rolled_back', img.web3!.ref]);
    assert.deepEqual([back!.release_id, back!.mode, back!.status], [before, 'auto-rollback', 'success']);
    assert.equal(lb.failed, 0, lbText(lb));
    assert.ok(lb.bodies['ok sw-web-3']! > 0 && lb.bodies['ok sw-web-2']! > 0, lbText(lb));
  });

  test('manual rollback redeploys the previous release for the whole stack', async () => {
    const r = await executor([
      'rollback',
      STACK,
      'staging',
      '--steps',
      '1',
      '--actor',
      'ops',
      '--root',
      ROOT,
    ]);
    assert.equal(r.result?.status, 'success', r.result?.msg);
    assert.equal(await specImage(`${STACK}_web`), img.web1!.ref);
    assert.equal(await specImage(`${STACK}_side`), img.side1!.ref);
    const last = (await history()).at(-1)!;
    assert.deepEqual([last.mode, last.status, last.image_ref], ['rollback', 'success', img.web1!.ref]);
  });

  test('status reads the services: consistent, then drift after docker service update --image by hand', async () => {
    const s1 = await statusJson();
    assert.equal(s1.code, 0, JSON.stringify(s1.json));
    const rows = s1.json.stacks[0]!.containers;
    assert.deepEqual(
      rows.map((c) => [c.name, c.image, c.status]).sort(),
      [
        [`${STACK}_side`, img.side1!.ref, 'running'],
        [`${STACK}_web`, img.web1!.ref, 'running'],
      ].sort(),
    );
    await swarm.cliOk(['service', 'update', '--detach', '--image', img.web2!.ref, `${STACK}_web`]);
    const s2 = await statusJson();
    assert.equal(s2.code, 1);
    const problems = s2.json.stacks[0]!.problems;
    assert.ok(
      problems.some(
        (p) =>
          p.code === 'container-image' &&
          p.message.includes(`${STACK}_web`) &&
          p.message.includes(img.web2!.ref),
      ),
      JSON.stringify(problems),
    );
  });

  for (const [step, where] of [
    ['up', 'during docker stack deploy'],
    ['smoke', 'while the stack converges'],
  ] as const)
    test(`kill -9 of the executor ${where}: status explains it and the next deploy succeeds`, async () => {
      const key = `kill-${step}-${++runs}`;
      const journal = manager().hostPath(L.journal(STACK, key));
      const running = deploy(`sw-kill-${step}`, img.web3!, img.side3!, {}, ['--run-key', key]);
      const started = `"type":"step","step":"${step}","status":"start"`;
      await waitFor(
        `the run to start its ${step} step`,
        async () => (await readFile(journal, 'utf8').catch(() => '')).includes(started),
        { timeoutMs: 120_000, intervalMs: 20 },
      );
      const { pid } = JSON.parse(await readFile(journal.replace(/\.jsonl$/, '.pid'), 'utf8')) as {
        pid: number;
      };
      process.kill(pid, 'SIGKILL');
      const killed = await running;
      assert.equal(killed.result, undefined, 'the run was killed before its result');

      const s = await statusJson();
      const codes = s.json.stacks[0]!.problems.map((p) => p.code);
      assert.ok(codes.includes('run-unfinished'), JSON.stringify(s.json.stacks[0]!.problems));
      assert.ok(codes.includes('lock-stale'), JSON.stringify(s.json.stacks[0]!.problems));

      const next = await deploy('sw-web-2', img.web2!, img.side2!);
      assert.equal(next.result?.status, 'success', next.result?.msg);
      assert.ok(next.events.some((e) => e.type === 'log' && /took over a stale lock/.test(e.msg)));
      assert.equal(await specImage(`${STACK}_web`), img.web2!.ref);
      assert.equal(await specImage(`${STACK}_side`), img.side2!.ref);
      const after = await statusJson();
      assert.equal(after.code, 0, JSON.stringify(after.json.stacks[0]!.problems));
      const left = (await readdir(manager().hostPath(L.runsDir(STACK)))).filter((n) =>
        n.startsWith('docker-config-'),
      );
      assert.deepEqual(left, [], 'the next run removed the credentials the killed one left');
    });
});
