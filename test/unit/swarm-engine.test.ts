// The Swarm engine without Docker: its commands as argv, the environment of `docker stack deploy`,
// and when a stack counts as converged and healthy (judgeStack) or as drifted (serviceRows).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  serviceInspect,
  serviceTaskIds,
  stackDeploy,
  stackRm,
  stackServiceIds,
  swarmRole,
  taskInspect,
} from '../../remote/commands/swarm.js';
import { stackEnv } from '../../remote/engine/swarm.js';
import {
  judgeStack,
  serviceRows,
  stillMoving,
  type SwarmService,
  type SwarmTask,
} from '../../remote/engine/swarm-stack.js';
import { checkSameEngine, engineFor } from '../../remote/engine/choose.js';
import type { Host } from '../../remote/engine/engine.js';
import { DeployError } from '../../remote/errors.js';
import type { Release } from '../../remote/domain/release.js';
import { readStackConfig } from '../../remote/domain/stack-config.js';

const WEB = `r.example/web@sha256:${'a'.repeat(64)}`;
const OLD = `r.example/web@sha256:${'b'.repeat(64)}`;
const SIDE = `r.example/side@sha256:${'c'.repeat(64)}`;
const want = [
  { service: 'web', image: WEB },
  { service: 'side', image: SIDE },
];

function service(name: string, image: string, replicas: number, update?: string): SwarmService {
  return {
    ID: `id-${name}`,
    Spec: {
      Name: `shop_${name}`,
      TaskTemplate: { ContainerSpec: { Image: image } },
      Mode: { Replicated: { Replicas: replicas } },
    },
    ...(update ? { UpdateStatus: { State: update, Message: `update ${update}` } } : {}),
  };
}
let n = 0;
function task(svc: string, image: string, state: string, desired = 'running', err?: string): SwarmTask {
  return {
    ID: `t${++n}`,
    ServiceID: `id-${svc}`,
    DesiredState: desired,
    Spec: { ContainerSpec: { Image: image } },
    Status: { State: state, ...(err ? { Err: err } : {}) },
  };
}
const healthy = () => [service('web', WEB, 2, 'completed'), service('side', SIDE, 1)];
const healthyTasks = () => [
  task('web', WEB, 'running'),
  task('web', WEB, 'running'),
  task('web', OLD, 'shutdown', 'shutdown'),
  task('side', SIDE, 'running'),
];

test('stack deploy: the frozen compose file, pruned, digests as written, the login only when the run has one', () => {
  assert.deepEqual(stackDeploy('/srv/r/shop/x/compose.yml', 'shop', true), [
    ...['docker', 'stack', 'deploy', '--compose-file', '/srv/r/shop/x/compose.yml', '--prune'],
    ...['--with-registry-auth', '--resolve-image', 'never', 'shop'],
  ]);
  assert.ok(!stackDeploy('/c.yml', 'shop', false).includes('--with-registry-auth'));
  // The engine's override is a second file on stdin, after the release's (whose directory counts).
  assert.deepEqual(stackDeploy('/c.yml', 'shop', false, true).slice(3, 7), [
    ...['--compose-file', '/c.yml', '--compose-file', '-'],
  ]);
  assert.ok(!stackDeploy('/c.yml', 'shop', false, false).includes('-'));
  assert.deepEqual(stackRm('shop'), ['docker', 'stack', 'rm', 'shop']);
});

test('stack reads: services by the stack label, tasks with history, JSON per line', () => {
  assert.deepEqual(stackServiceIds('shop'), [
    ...['docker', 'service', 'ls', '--quiet', '--filter', 'label=com.docker.stack.namespace=shop'],
  ]);
  assert.deepEqual(serviceInspect(['a', 'b']), [
    'docker',
    'service',
    'inspect',
    '--format',
    '{{json .}}',
    'a',
    'b',
  ]);
  assert.deepEqual(serviceTaskIds(['a']), ['docker', 'service', 'ps', '--quiet', '--no-trunc', 'a']);
  assert.deepEqual(taskInspect(['t1']), [
    'docker',
    'inspect',
    '--type',
    'task',
    '--format',
    '{{json .}}',
    't1',
  ]);
  assert.deepEqual(swarmRole(), [
    ...['docker', 'info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'],
  ]);
});

test("stack deploy's environment is the release's .env, and no executor variable overrides a value", () => {
  const env = stackEnv(
    { IMAGE_REF: WEB, GREETING: 'hi' },
    { PATH: '/usr/bin', DOCKER_CONFIG: '/run/x', HOME: '/root', IMAGE_REF: 'evil', LANG: 'C' },
  );
  assert.deepEqual(env, {
    IMAGE_REF: WEB,
    GREETING: 'hi',
    PATH: '/usr/bin',
    DOCKER_CONFIG: '/run/x',
    HOME: '/root',
  });
});

test('a .env that sets a variable the docker CLI reads is refused, naming it', () => {
  for (const name of ['DOCKER_HOST', 'DOCKER_CONFIG', 'PATH', 'HOME'])
    assert.throws(
      () => stackEnv({ [name]: 'x', IMAGE_REF: WEB }, { PATH: '/usr/bin' }),
      (e: unknown) => e instanceof DeployError && e.message.includes(name) && e.message.includes('rename'),
    );
});

test('converged and healthy: pinned image in every spec, update completed or none, running = desired, old tasks gone', () => {
  assert.deepEqual(judgeStack('shop', want, healthy(), healthyTasks()), { pass: true });
});

test('not yet: no service, a service missing, fewer running tasks, an update in progress, an old task still running', () => {
  const waiting = (services: SwarmService[], tasks: SwarmTask[], why: RegExp) => {
    const v = judgeStack('shop', want, services, tasks);
    assert.equal(v.pass, false);
    assert.ok(!v.pass && !v.final && why.test(v.why), JSON.stringify(v));
  };
  waiting([], [], /no services of stack shop/);
  waiting([service('web', WEB, 2)], healthyTasks(), /shop_side does not exist/);
  waiting(
    healthy(),
    [task('web', WEB, 'running'), task('web', WEB, 'starting'), task('side', SIDE, 'running')],
    /shop_web: 1\/2 tasks running and healthy/,
  );
  waiting(
    healthy(),
    [task('web', WEB, 'running'), task('web', OLD, 'running'), task('side', SIDE, 'running')],
    /1\/2 tasks running/,
  );
  waiting(
    [service('web', WEB, 2, 'updating'), service('side', SIDE, 1)],
    healthyTasks(),
    /update in progress/,
  );
  waiting(
    healthy(),
    [...healthyTasks(), task('web', OLD, 'running', 'shutdown')],
    /old task\(s\) still stopping/,
  );
  waiting([service('web', OLD, 2), service('side', SIDE, 1)], healthyTasks(), /has .* in its spec, not/);
  waiting(
    healthy(),
    [
      task('web', WEB, 'running'),
      task('web', WEB, 'failed', 'shutdown', 'task: non-zero exit (1)'),
      task('side', SIDE, 'running'),
    ],
    /a task: task: non-zero exit/,
  );
});

test('failed for good: a paused update or one Swarm rolls back itself', () => {
  for (const state of ['paused', 'rollback_started', 'rollback_paused', 'rollback_completed']) {
    const v = judgeStack(
      'shop',
      want,
      [service('web', WEB, 2, state), service('side', SIDE, 1)],
      healthyTasks(),
    );
    assert.ok(!v.pass && v.final && v.why.includes(`update ${state}`), JSON.stringify(v));
  }
});

test('status rows: one per service with its spec image, running only when settled with every task up', () => {
  const rows = serviceRows(
    'shop',
    [service('web', WEB, 2, 'paused'), service('side', SIDE, 1)],
    [task('web', WEB, 'running'), task('side', SIDE, 'running')],
  );
  assert.deepEqual(
    rows.map((r) => [r.name, r.service, r.image, r.status]),
    [
      ['shop_web', 'web', WEB, '1/2 tasks running, update paused'],
      ['shop_side', 'side', SIDE, 'running'],
    ],
  );
});

test('x-seisei-deploy.engine: swarm is read from the frozen compose file and picks the Swarm engine', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'swarm-engine-'));
  try {
    writeFileSync(
      path.join(dir, 'docker-compose.yml'),
      'version: "3.8"\nservices: {web: {image: x}}\nx-seisei-deploy:\n  engine: swarm\n',
    );
    const config = readStackConfig(dir, 'docker-compose.yml');
    assert.equal(config.engine, 'swarm');
    const release = { dir, meta: { release_id: 'r1' }, config: () => config } as unknown as Release;
    const host = { docker: {}, flavor: 'v2', report: {} } as unknown as Host;
    assert.equal(engineFor(release, host).name, 'swarm');
    const compose = { ...release, config: () => ({ ...config, engine: 'compose' }) } as unknown as Release;
    assert.equal(engineFor(compose, host).name, 'compose');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('before deploying, up waits while an update runs or an old task still stops; a paused update does not hold it', () => {
  assert.equal(stillMoving(healthy(), healthyTasks()), '');
  assert.equal(
    stillMoving([service('web', WEB, 2, 'updating'), service('side', SIDE, 1)], healthyTasks()),
    'service shop_web: update updating',
  );
  assert.equal(
    stillMoving(healthy(), [...healthyTasks(), task('web', OLD, 'running', 'shutdown')]),
    'service shop_web: 1 old task(s) still stopping',
  );
  assert.equal(stillMoving([service('web', WEB, 2, 'paused'), service('side', SIDE, 1)], healthyTasks()), '');
});

test('a deploy does not move a live stack between engines: it fails naming both and how to move by hand', () => {
  const rel = (id: string, engine: string) =>
    ({ meta: { release_id: id, stack: 'shop' }, config: () => ({ engine }) }) as unknown as Release;
  assert.doesNotThrow(() => checkSameEngine(rel('b', 'swarm'), rel('a', 'swarm')));
  assert.doesNotThrow(() => checkSameEngine(rel('b', 'swarm'), undefined));
  assert.throws(
    () => checkSameEngine(rel('b', 'swarm'), rel('a', 'compose')),
    (e: unknown) =>
      e instanceof DeployError &&
      /runs on engine swarm, but the live release a runs on compose/.test(e.message) &&
      e.message.includes('docker compose -p shop down'),
  );
});

test("up gives stack deploy the release's file and, on stdin, the update delay for services with more than one task", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'swarm-up-'));
  try {
    writeFileSync(
      path.join(dir, 'docker-compose.yml'),
      'version: "3.8"\nservices:\n  web: {image: "${IMAGE_REF}", deploy: {replicas: 2}}\n  side: {image: s}\n',
    );
    writeFileSync(path.join(dir, '.env'), `IMAGE_REF=${WEB}\n`);
    const calls: { argv: string[]; input?: string; cwd?: string }[] = [];
    const logs: string[] = [];
    const docker = {
      dockerConfig: undefined,
      within: (_s: string, _n: number, body: () => Promise<unknown>) => body(),
      quiet: () => Promise.resolve({ code: 0, stdout: '', stderr: '' }),
      must: (argv: string[], _what: string, input?: string, opts: { cwd?: string } = {}) => {
        calls.push({ argv, input, cwd: opts.cwd });
        return Promise.resolve({ code: 0, stdout: '', stderr: '' });
      },
    };
    const report = { log: (msg: string) => logs.push(msg) };
    const host = { docker, flavor: 'v2', report } as unknown as Host;
    const release = {
      dir,
      meta: { release_id: 'r1', stack: 'shop', compose_file: 'docker-compose.yml' },
      config: () => readStackConfig(dir, 'docker-compose.yml'),
    } as unknown as Release;
    await engineFor({ ...release, config: () => ({ engine: 'swarm' }) } as unknown as Release, host).up(
      release,
    );
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.argv, stackDeploy(path.join(dir, 'docker-compose.yml'), 'shop', false, true));
    assert.deepEqual(JSON.parse(calls[0]!.input!), {
      version: '3.8',
      services: { web: { deploy: { update_config: { delay: '1s' } } } },
    });
    assert.equal(calls[0]!.cwd, dir);
    assert.ok(
      logs.some((l) => /deploying web with update_config\.delay 1s/.test(l)),
      logs.join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
