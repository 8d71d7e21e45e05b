import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { layout } from '../../remote/layout.js';
import { checkGate } from '../../remote/steps/gate.js';
import { tempDir } from './helpers/temp.js';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
function setup() {
  const l = layout(tempDir('gate-'));
  mkdirSync(l.verifiedDir, { recursive: true });
  return l;
}
const opts = (over = {}) => ({
  env: 'production',
  gatedEnvs: ['production'],
  tag: 'sha-abc1234',
  digests: { app: D1 },
  breakGlass: false,
  ...over,
});

test('production without a marker fails with the exact contract message', () => {
  const l = setup();
  assert.throws(() => checkGate(l, opts()), {
    message: `Version not verified: ${l.root}/releases/verified/sha-abc1234 does not exist`,
  });
});

test('staging is not gated; break-glass bypasses a missing marker', () => {
  const l = setup();
  assert.equal(checkGate(l, opts({ env: 'staging' })), 'not-gated');
  assert.equal(checkGate(l, opts({ breakGlass: true })), 'break-glass');
});

test('an empty (touched) marker passes and is noted; matching digests pass; differing digests name the image', () => {
  const l = setup();
  writeFileSync(l.marker('sha-abc1234'), '');
  assert.equal(checkGate(l, opts()), 'verified-empty-marker');
  writeFileSync(l.marker('sha-abc1234'), JSON.stringify({ image_tag: 'sha-abc1234', digests: { app: D1 } }));
  assert.equal(checkGate(l, opts()), 'verified');
  writeFileSync(l.marker('sha-abc1234'), JSON.stringify({ image_tag: 'sha-abc1234', digests: { app: D2 } }));
  assert.throws(
    () => checkGate(l, opts()),
    (e: Error) => e.message.includes(`app: verified ${D2}, deploying ${D1}`),
  );
});

test('a marker that is neither empty nor JSON is refused with how to fix it', () => {
  const l = setup();
  writeFileSync(l.marker('sha-abc1234'), 'yes');
  assert.throws(() => checkGate(l, opts()), /seisei-deploy verify sha-abc1234/);
});
