import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeDown, composePull, composeUp, type ComposeTarget } from '../../remote/commands/compose.js';
import { dockerPull, inspect, login, projectContainers } from '../../remote/commands/docker.js';

const t = (flavor: 'v1' | 'v2'): ComposeTarget => ({
  flavor,
  project: 'odoo18-prod',
  projectDir: '/srv/releases/stacks/odoo18-prod/sha-abc__20260131T120000Z',
  file: '/srv/releases/stacks/odoo18-prod/sha-abc__20260131T120000Z/docker-compose.yml',
  envFile: '/srv/releases/stacks/odoo18-prod/sha-abc__20260131T120000Z/.env',
});
const head = (flavor: 'v1' | 'v2') => [
  ...(flavor === 'v2' ? ['docker', 'compose'] : ['docker-compose']),
  '--project-name',
  'odoo18-prod',
  '--project-directory',
  t(flavor).projectDir,
  '--file',
  t(flavor).file,
  '--env-file',
  t(flavor).envFile,
];

test('compose v2 up pins project, file and env file, recreates, removes orphans and never pulls', () => {
  assert.deepEqual(composeUp(t('v2')), [
    ...head('v2'),
    'up',
    '--detach',
    '--force-recreate',
    '--remove-orphans',
    '--pull',
    'never',
  ]);
});

test('compose v1 up has no --pull flag (v1 pulls only missing images, which pull-before-switch already fetched)', () => {
  assert.deepEqual(composeUp(t('v1')), [
    ...head('v1'),
    'up',
    '--detach',
    '--force-recreate',
    '--remove-orphans',
  ]);
});

test('pull and down use the same project arguments on both flavors', () => {
  for (const f of ['v1', 'v2'] as const) {
    assert.deepEqual(composePull(t(f)), [...head(f), 'pull', '--quiet']);
    assert.deepEqual(composePull(t(f), ['db', 'proxy']), [...head(f), 'pull', '--quiet', 'db', 'proxy']);
    assert.deepEqual(composeDown(t(f)), [...head(f), 'down', '--remove-orphans']);
  }
});

test('docker commands: project filter by compose label, password never in argv', () => {
  assert.deepEqual(projectContainers('web'), [
    'docker',
    'ps',
    '--all',
    '--quiet',
    '--no-trunc',
    '--filter',
    'label=com.docker.compose.project=web',
  ]);
  assert.deepEqual(inspect(['a', 'b']), ['docker', 'inspect', '--type', 'container', 'a', 'b']);
  assert.deepEqual(login('ghcr.io', 'bot'), [
    'docker',
    'login',
    '--username',
    'bot',
    '--password-stdin',
    'ghcr.io',
  ]);
  const ref = `ghcr.io/org/app@sha256:${'a'.repeat(64)}`;
  assert.deepEqual(dockerPull(ref), ['docker', 'pull', '--quiet', ref]);
});
