import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDigestManifest, resolveImageVars } from '../../common/digest-manifest.js';

const D = 'sha256:' + 'b'.repeat(64);
const good = () => ({
  git_sha: 'abc1234' + '0'.repeat(33),
  git_sha7: 'abc1234',
  built_at_utc: '2026-01-31T10:00:00Z',
  images: { 'seisei-odoo18': { tag: 'sha-abc1234', ref: `ghcr.io/org/seisei-odoo18@${D}`, digest: D } },
});
const parse = (m: unknown, tag = 'sha-abc1234') => parseDigestManifest(JSON.stringify(m), tag);
const rejects = (m: unknown, re: RegExp, tag?: string) =>
  assert.throws(
    () => parse(m, tag),
    (e: Error) => re.test(e.message),
  );

test('a valid manifest parses; registry with port and nested paths are valid refs', () => {
  assert.equal(parse(good()).git_sha7, 'abc1234');
  const m = good();
  m.images['seisei-odoo18'].ref = `127.0.0.1:5000/a/b-c@${D}`;
  assert.ok(parse(m));
});

test('schema errors show the JSON path and the rule', () => {
  rejects({ ...good(), git_sha: 'nope' }, /\$\.git_sha: must match .* \(rule: pattern\)/);
  const { built_at_utc: _b, ...rest } = good();
  rejects(rest, /missing required field "built_at_utc"/);
  rejects({ ...good(), images: {} }, /\$\.images/);
  rejects(
    { ...good(), images: { 'Bad Name': good().images['seisei-odoo18'] } },
    /image name "Bad Name" is invalid/,
  );
  rejects('[]', /must be object/);
});

test('section 3 checks: ref ends in its digest, tag equals the requested tag, sha7 prefix', () => {
  const m = good();
  m.images['seisei-odoo18'].ref = `ghcr.io/org/x@sha256:${'c'.repeat(64)}`;
  rejects(m, /\$\.images\.seisei-odoo18\.ref: .* does not end in @sha256:b+/);
  rejects(good(), /tag: "sha-abc1234" does not equal the requested image_tag "sha-other"/, 'sha-other');
  rejects({ ...good(), git_sha7: 'fffffff' }, /git_sha7: "fffffff" is not a prefix/);
});

test('not JSON at all is a clear error', () => {
  assert.throws(() => parseDigestManifest('{', 'x'), /not valid JSON/);
});

test('image variables: default IMAGE_REF for one image; explicit mapping must name manifest images', () => {
  const m = parse(good());
  assert.deepEqual(Object.keys(resolveImageVars(m, undefined)), ['IMAGE_REF']);
  assert.throws(() => resolveImageVars(m, { OCR_IMAGE_REF: 'seisei-ocr' }), /not in the manifest/);
});
