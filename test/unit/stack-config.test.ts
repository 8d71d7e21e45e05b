import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpolate, pinEnv, readStackConfig } from '../../remote/domain/stack-config.js';
import { tempDir } from './helpers/temp.js';

const REF = 'ghcr.io/org/app@sha256:' + 'a'.repeat(64);

test('pinEnv replaces IMAGE_REF in place and keeps every other line byte for byte', () => {
  const src = '# comment\nAPP_PORT=8069\nIMAGE_REF=old\n  OTHER = keep  me \n\nexport X=1\n';
  assert.equal(
    pinEnv(src, { IMAGE_REF: REF }),
    `# comment\nAPP_PORT=8069\nIMAGE_REF=${REF}\n  OTHER = keep  me \n\nexport X=1\n`,
  );
});

test('pinEnv appends variables that are not present and handles a missing trailing newline or empty file', () => {
  assert.equal(pinEnv('A=1', { IMAGE_REF: REF }), `A=1\nIMAGE_REF=${REF}\n`);
  assert.equal(
    pinEnv('', { IMAGE_REF: REF, OCR_IMAGE_REF: REF }),
    `IMAGE_REF=${REF}\nOCR_IMAGE_REF=${REF}\n`,
  );
  assert.equal(pinEnv('export IMAGE_REF=x\n', { IMAGE_REF: REF }), `export IMAGE_REF=${REF}\n`);
});

test('interpolate expands ${VAR} and ${VAR:-default} from the release .env', () => {
  assert.equal(interpolate('http://127.0.0.1:${PORT}/h', { PORT: '8069' }), 'http://127.0.0.1:8069/h');
  assert.equal(interpolate('http://${HOST:-127.0.0.1}:1/', {}), 'http://127.0.0.1:1/');
});

test('x-seisei-deploy: defaults, and a clear error naming the bad field', () => {
  const dir = tempDir('cfg-');
  writeFileSync(join(dir, 'docker-compose.yml'), 'services: {app: {image: x}}\n');
  assert.deepEqual(readStackConfig(dir, 'docker-compose.yml'), {
    engine: 'compose',
    smoke: [],
    smoke_timeout_s: 60,
    wait_healthy: true,
    hooks: {},
    timeouts: { pre_deploy: 1800, pull: 900, up: 600 },
  });
  writeFileSync(
    join(dir, 'docker-compose.yml'),
    'x-seisei-deploy:\n  smoke:\n    - url: ftp://x\n  smoke_timeout: 3\n',
  );
  assert.throws(
    () => readStackConfig(dir, 'docker-compose.yml'),
    (e: Error) => /x-seisei-deploy\.smoke\.0\.url/.test(e.message) && /smoke_timeout/.test(e.message),
  );
});

test('x-seisei-deploy.engine: compose by default and when named; another engine is refused naming the field', () => {
  const dir = tempDir('cfg-');
  writeFileSync(
    join(dir, 'docker-compose.yml'),
    'x-seisei-deploy:\n  engine: compose\nservices: {app: {image: x}}\n',
  );
  assert.equal(readStackConfig(dir, 'docker-compose.yml').engine, 'compose');
  writeFileSync(
    join(dir, 'docker-compose.yml'),
    'x-seisei-deploy:\n  engine: nomad\nservices: {app: {image: x}}\n',
  );
  assert.throws(
    () => readStackConfig(dir, 'docker-compose.yml'),
    (e: Error) => /x-seisei-deploy\.engine: must be one of: compose/.test(e.message),
  );
});
