// The pull plan (which references to `docker pull`, which services to `compose pull`) and its argv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComposeTarget } from '../../remote/commands/compose.js';
import { serviceImages } from '../../remote/domain/compose-services.js';
import { imagesToCheck, nothingToPull, planPull, pullCommands } from '../../remote/engine/pull-plan.js';

const APP = `ghcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const OCR = `ghcr.io/acme/ocr@sha256:${'b'.repeat(64)}`;
const dir = '/srv/releases/stacks/web/sha-abc__20260131T120000Z';
const v2: ComposeTarget = {
  flavor: 'v2',
  project: 'web',
  projectDir: dir,
  file: `${dir}/docker-compose.yml`,
  envFile: `${dir}/.env`,
};
const v2Head = [
  'docker',
  'compose',
  '--project-name',
  'web',
  '--project-directory',
  dir,
  '--file',
  `${dir}/docker-compose.yml`,
  '--env-file',
  `${dir}/.env`,
];

const compose = `
services:
  app:
    image: \${IMAGE_REF}
  ocr:
    image: \${OCR_IMAGE_REF}
  db:
    image: postgres:16
  cache:
    image: \${CACHE_IMAGE:-redis:7}
  debug:
    image: busybox
    profiles: [debug]
  built:
    build: .
`;
const services = serviceImages(compose, { IMAGE_REF: APP, OCR_IMAGE_REF: OCR });

test('the services come from the compose file after the .env is applied, without profiled or image-less ones', () => {
  assert.deepEqual(services, [
    { service: 'app', image: APP },
    { service: 'ocr', image: OCR },
    { service: 'db', image: 'postgres:16' },
    { service: 'cache', image: 'redis:7' },
  ]);
  assert.deepEqual(imagesToCheck(services, [APP, OCR]), [APP, OCR, 'postgres:16', 'redis:7']);
});

test('a sidecar whose image is missing is pulled by service even when every pinned image is present', () => {
  const plan = planPull(services, [APP, OCR], [APP, OCR, 'postgres:16']);
  assert.deepEqual(plan, { refs: [], services: ['cache'] });
  assert.deepEqual(pullCommands(plan, v2), [[...v2Head, 'pull', '--quiet', 'cache']]);
});

test('missing pinned images are pulled by digest, never through compose', () => {
  const plan = planPull(services, [APP, OCR], [OCR, 'docker.io/library/postgres:16', 'redis:7']);
  assert.deepEqual(plan, { refs: [APP], services: [] });
  assert.deepEqual(pullCommands(plan, v2), [['docker', 'pull', '--quiet', APP]]);
});

test('with nothing on the server, every pinned reference and every other service is pulled', () => {
  const plan = planPull(services, [APP, OCR], []);
  assert.deepEqual(plan, { refs: [APP, OCR], services: ['db', 'cache'] });
  assert.deepEqual(pullCommands(plan, v2), [
    ['docker', 'pull', '--quiet', APP],
    ['docker', 'pull', '--quiet', OCR],
    [...v2Head, 'pull', '--quiet', 'db', 'cache'],
  ]);
});

test('everything present: the plan is empty and runs no command', () => {
  const plan = planPull(services, [APP, OCR], [APP, OCR, 'postgres:16', 'redis:7']);
  assert.ok(nothingToPull(plan));
  assert.deepEqual(pullCommands(plan, v2), []);
});

test('a pinned image that no service names is still pulled; a service running a pinned image is not pulled twice', () => {
  const one = serviceImages('services:\n  a:\n    image: ${IMAGE_REF}\n  b:\n    image: ${IMAGE_REF}\n', {
    IMAGE_REF: APP,
  });
  assert.deepEqual(planPull(one, [APP, OCR], []), { refs: [APP, OCR], services: [] });
  assert.ok(!nothingToPull(planPull(one, [APP, OCR], [APP])));
});

test('two services on one missing sidecar image are both named once; an empty image is left to compose', () => {
  const two = [
    { service: 'worker', image: 'redis:7' },
    { service: 'worker', image: 'redis:7' },
    { service: 'queue', image: 'redis:7' },
    { service: 'unset', image: '' },
  ];
  assert.deepEqual(planPull(two, [], []), { refs: [], services: ['worker', 'queue'] });
});

test('compose v1 gets the same pull by service, as docker-compose', () => {
  const plan = planPull(services, [APP, OCR], [APP, OCR]);
  const [cmd] = pullCommands(plan, { ...v2, flavor: 'v1' });
  assert.deepEqual(cmd, ['docker-compose', ...v2Head.slice(2), 'pull', '--quiet', 'db', 'cache']);
});
