// The server's verified gate under provenance: require: only a marker that `verify` bound to
// verified provenance opens it; break-glass bypasses; without require, markers open it as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recentRecords } from '../../remote/domain/history.js';
import { layout } from '../../common/layout.js';
import { provenanceArg, verifyTag } from '../../remote/ops/verify.js';
import { checkGate } from '../../remote/steps/gate.js';

const D1 = 'sha256:' + '1'.repeat(64);
const TAG = 'sha-abc1234';
const VERIFIED = {
  state: 'verified' as const,
  mode: 'warn' as const,
  signer_workflow: 'acme/app/.github/workflows/build_ghcr.yml',
  signer_ref: 'refs/heads/main',
  bundles: { [D1]: 'https://example.test/bundle/1' },
};
function setup() {
  const l = layout(mkdtempSync(join(tmpdir(), 'gate-prov-')));
  mkdirSync(l.verifiedDir, { recursive: true });
  return l;
}
const opts = (over = {}) => ({
  env: 'production',
  gatedEnvs: ['production'],
  tag: TAG,
  digests: { app: D1 },
  breakGlass: false,
  requireProvenance: true,
  ...over,
});

test('under require, a marker made without a provenance check is refused, naming the marker and the fix', () => {
  const l = setup();
  verifyTag(l, TAG, { digests: { app: D1 }, note: '', actor: 'bob' });
  assert.throws(
    () => checkGate(l, opts()),
    (e: Error) => {
      assert.match(
        e.message,
        /^Version not verified with provenance: .*verified\/sha-abc1234 is a marker made without a provenance check/,
      );
      assert.match(e.message, /break_glass/);
      return true;
    },
  );
  assert.equal(
    checkGate(l, opts({ requireProvenance: false })),
    'verified',
    'without require it opens as before',
  );
});

test('under require, a marker whose provenance was only warned, or an empty marker, is refused', () => {
  const l = setup();
  verifyTag(l, TAG, {
    digests: { app: D1 },
    note: '',
    actor: 'bob',
    provenance: { state: 'warned', mode: 'warn' },
  });
  assert.throws(() => checkGate(l, opts()), /is a marker whose provenance was warned/);
  writeFileSync(l.marker(TAG), '');
  assert.throws(() => checkGate(l, opts()), /is an empty marker/);
});

test('under require, a marker bound to verified provenance opens the gate', () => {
  const l = setup();
  verifyTag(l, TAG, { digests: { app: D1 }, note: '', actor: 'bob', provenance: VERIFIED });
  assert.equal(checkGate(l, opts()), 'verified');
  const marker = JSON.parse(readFileSync(l.marker(TAG), 'utf8'));
  assert.deepEqual(marker.provenance, VERIFIED);
  const h = recentRecords(l.history, { limit: 10 }).at(-1) as Record<string, unknown>;
  assert.deepEqual([h.mode, h.provenance], ['verify', VERIFIED]);
});

test('break-glass bypasses an unattested marker under require', () => {
  const l = setup();
  verifyTag(l, TAG, { digests: { app: D1 }, note: '', actor: 'bob' });
  assert.equal(checkGate(l, opts({ breakGlass: true })), 'break-glass');
});

test('a --provenance value that is not a provenance record is a usage error naming the field', () => {
  assert.throws(
    () => provenanceArg(JSON.stringify({ state: 'trusted', mode: 'require' })),
    /--provenance: .*state/,
  );
  assert.throws(() => provenanceArg('{not json'), /--provenance is not JSON/);
  assert.deepEqual(provenanceArg(JSON.stringify(VERIFIED)), VERIFIED);
});
