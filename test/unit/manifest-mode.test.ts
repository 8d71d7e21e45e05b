import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDigestManifest } from '../../common/digest-manifest.js';
import { buildDigestManifest, parseDigestLines } from '../../src/modes/manifest.js';
import { parseSettings } from '../../src/inputs/settings.js';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const SHA = 'abc1234' + 'f'.repeat(33);
const lines = `seisei-odoo18=ghcr.io/org/seisei-odoo18@${D1}\n\n# comment\nseisei-ocr=ghcr.io/org/seisei-ocr@${D2}\n`;

test('the manifest mode output passes the deploy side validation unchanged', () => {
  const m = buildDigestManifest(lines, 'sha-abc1234', SHA, new Date('2026-01-31T10:00:00.123Z'));
  const again = parseDigestManifest(JSON.stringify(m), 'sha-abc1234');
  assert.deepEqual(again, {
    git_sha: SHA,
    git_sha7: 'abc1234',
    built_at_utc: '2026-01-31T10:00:00Z',
    images: {
      'seisei-odoo18': { tag: 'sha-abc1234', ref: `ghcr.io/org/seisei-odoo18@${D1}`, digest: D1 },
      'seisei-ocr': { tag: 'sha-abc1234', ref: `ghcr.io/org/seisei-ocr@${D2}`, digest: D2 },
    },
  });
});

test('a bad line is rejected naming it', () => {
  assert.throws(
    () => parseDigestLines(`ok=ghcr.io/o/a@${D1}\nbroken-line`),
    /digests: line 2 "broken-line" is not valid; expected image-name=repo@sha256/,
  );
  assert.throws(
    () => parseDigestLines(`Bad_Name=ghcr.io/o/a@${D1}`),
    /line 1 .*image name "Bad_Name" must match/,
  );
  assert.throws(
    () => parseDigestLines(`a=ghcr.io/o/a:latest`),
    /line 1 "a=ghcr.io\/o\/a:latest" is not valid/,
  );
  assert.throws(() => parseDigestLines(`a=ghcr.io/o/a@${D1}\na=ghcr.io/o/b@${D2}`), /line 2 .*listed twice/);
  assert.throws(() => parseDigestLines('\n# nothing\n'), /no image lines/);
  assert.throws(
    () => buildDigestManifest(`a=UPPER/Repo@${D1}`, 'sha-x', SHA),
    /\$\.images\.a\.ref: must match/,
  );
});

test('manifest mode needs image_tag and digests, not SSH inputs; git_sha defaults to GITHUB_SHA', () => {
  const s = parseSettings(
    { mode: 'manifest', image_tag: 'sha-abc1234', digests: lines },
    { GITHUB_SHA: SHA },
  );
  assert.equal(s.target, undefined);
  assert.deepEqual(s.manifest, {
    digests: lines.trim(),
    gitSha: SHA,
    upload: true,
    retentionDays: undefined,
    attest: false,
  });
  assert.throws(
    () => parseSettings({ mode: 'manifest' }, {}),
    (e: Error) =>
      /image_tag: required/.test(e.message) &&
      /digests: required/.test(e.message) &&
      /git_sha: required/.test(e.message),
  );
});

test('a sha- tag must name the commit the manifest records', () => {
  assert.throws(
    () => buildDigestManifest(lines, 'sha-1234567', SHA),
    /image_tag: sha-1234567 names commit 1234567, but git_sha is abc1234/,
  );
  assert.ok(buildDigestManifest(lines, 'v1.2.3', SHA));
});
