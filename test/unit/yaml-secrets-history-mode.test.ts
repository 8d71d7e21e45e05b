// A broken compose file's secrets stay out of error texts, and the history log is not world-readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serviceImages } from '../../remote/domain/compose-services.js';
import { appendHistory, type HistoryRecord } from '../../remote/domain/history.js';
import { readStackConfig } from '../../remote/domain/stack-config.js';

const SECRET = 'pa55-never-print-me';
/** `OTHER` is indented one column less than `DB_PASSWORD`: a YAML error on line 6. */
const BROKEN = `services:
  app:
    image: app
    environment:
      DB_PASSWORD: "${SECRET}"
     OTHER: x
`;

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'yaml-secrets-'));

test('a compose file with a secret and a YAML error: the error says line, column and reason, not the secret', () => {
  const dir = tempDir();
  try {
    writeFileSync(path.join(dir, 'docker-compose.yml'), BROKEN);
    let message = '';
    assert.throws(
      () => readStackConfig(dir, 'docker-compose.yml'),
      (err: Error) => ((message = err.message), true),
    );
    assert.match(message, /docker-compose\.yml is not valid YAML: line 6, column 1: .+ \(BAD_INDENT\)$/);
    assert.ok(!message.includes(SECRET), message);
    assert.ok(!message.includes('DB_PASSWORD'), message);
    assert.throws(
      () => serviceImages(BROKEN, {}),
      (err: Error) => /^line 6, column 1: /.test(err.message) && !err.message.includes(SECRET),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a reason that quotes the source (a block scalar header) is cut at its colon', () => {
  const dir = tempDir();
  try {
    writeFileSync(path.join(dir, 'compose.yaml'), `services:\n  app:\n    command: |2${SECRET}\n      run\n`);
    assert.throws(
      () => readStackConfig(dir, 'compose.yaml'),
      (err: Error) =>
        /line 3, column 16: Block scalar header includes extra characters \(UNEXPECTED_TOKEN\)$/.test(
          err.message,
        ) && !err.message.includes(SECRET),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const record = (n: number): HistoryRecord => ({
  ts: new Date().toISOString(),
  stack: 'web',
  env: 'staging',
  mode: 'deploy',
  status: 'success',
  release_id: `sha-${n}__20260101T000000Z`,
  image_tag: `sha-${n}`,
  image_ref: '',
  image_digest: '',
  previous_release_id: '',
  actor: 'test',
  run_id: '',
  break_glass: false,
  break_glass_reason: '',
  duration_ms: 1,
  error: '',
});

test('the history log is created 0640, and an existing 0644 one becomes 0640 on the next append', () => {
  const dir = tempDir();
  const log = path.join(dir, 'deploy_history.log');
  const saved = process.umask(0);
  try {
    appendHistory(log, record(1));
    assert.equal(statSync(log).mode & 0o777, 0o640);
    chmodSync(log, 0o644); // as older versions left it
    appendHistory(log, record(2));
    assert.equal(statSync(log).mode & 0o777, 0o640);
    assert.equal(readFileSync(log, 'utf8').split('\n').filter(Boolean).length, 2, 'both records are there');
  } finally {
    process.umask(saved);
    rmSync(dir, { recursive: true, force: true });
  }
});
