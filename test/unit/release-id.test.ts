// Release ids: chosen free under the lock, read back by every reader (grammar and order).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RELEASE_ID_RE } from '../../common/names.js';
import { layout } from '../../common/layout.js';
import { chooseReleaseId, freeReleaseId } from '../../remote/domain/release-id.js';
import { compareReleaseIds, releaseIds, RELEASE_META } from '../../remote/domain/releases.js';

const root = mkdtempSync(join(tmpdir(), 'release-id-'));
after(() => rmSync(root, { recursive: true, force: true }));

const NOW = new Date('2026-01-31T12:00:00.400Z');
const BASE = 'sha-abc__20260131T120000Z';

test('a free second gives <tag>__<UTC second>', () => {
  assert.equal(
    freeReleaseId(BASE, () => false),
    BASE,
  );
});

test('a taken name gets the first free suffix from -2 on', () => {
  const taken = new Set([BASE, `${BASE}-2`, `${BASE}-3`]);
  assert.equal(
    freeReleaseId(BASE, (id) => taken.has(id)),
    `${BASE}-4`,
  );
});

test('chooseReleaseId skips a directory left by a killed run and a bad marker whose release is gone', () => {
  const l = layout(join(root, 'choose'));
  mkdirSync(l.releaseDir('web', BASE), { recursive: true }); // no metadata: a half-built release
  assert.equal(chooseReleaseId(l, 'web', 'sha-abc', NOW), `${BASE}-2`);
  writeFileSync(l.badMarker('web', `${BASE}-2`), '{}\n');
  assert.equal(chooseReleaseId(l, 'web', 'sha-abc', NOW), `${BASE}-3`);
  assert.equal(chooseReleaseId(l, 'other', 'sha-abc', NOW), BASE, 'another stack does not take the name');
});

test('the release-id grammar accepts the suffixed form and nothing looser', () => {
  for (const ok of [BASE, `${BASE}-2`, `${BASE}-10`, `${BASE}-9999`, `a__b__20260131T120000Z-3`])
    assert.ok(RELEASE_ID_RE.test(ok), ok);
  for (const bad of [
    `${BASE}-`,
    `${BASE}-0`,
    `${BASE}-1`,
    `${BASE}-02`,
    `${BASE}-10000`,
    `${BASE}x`,
    'sha-abc',
  ])
    assert.ok(!RELEASE_ID_RE.test(bad), bad);
});

test('suffixed ids sort after their second and in numeric order, before the next second', () => {
  const ids = ['sha-b__20260131T120001Z', `${BASE}-10`, `${BASE}-2`, BASE, 'sha-a__20260131T115959Z'];
  assert.deepEqual([...ids].sort(compareReleaseIds), [
    'sha-a__20260131T115959Z',
    BASE,
    `${BASE}-2`,
    `${BASE}-10`,
    'sha-b__20260131T120001Z',
  ]);
});

test('the release list of a stack includes suffixed releases, in order', () => {
  const l = layout(join(root, 'list'));
  for (const id of [`${BASE}-2`, BASE, `${BASE}-11`]) {
    mkdirSync(l.releaseDir('web', id), { recursive: true });
    writeFileSync(join(l.releaseDir('web', id), RELEASE_META), '{}\n');
  }
  assert.deepEqual(releaseIds(l, 'web'), [BASE, `${BASE}-2`, `${BASE}-11`]);
});
