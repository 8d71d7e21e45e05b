// Image names are keys of maps: names that are also members of Object.prototype (`constructor`)
// are ordinary names, and those the name rule refuses (`__proto__`, `toString`) are refused clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeployError } from '../../remote/errors.js';
import { layout } from '../../common/layout.js';
import { validateRequest } from '../../remote/cli/run.js';
import { planRelease } from '../../remote/domain/plan.js';
import { checkGate } from '../../remote/steps/gate.js';
import { parseDigestLines } from '../../src/manifest-mode.js';
import type { DeployRequest } from '../../common/request.js';

const DIGEST = (n: number) => `sha256:${String(n).repeat(64)}`;

/** A manifest file listing `names` for tag t1, and a deploy request for it with `images`. */
function requestFor(dir: string, names: string[], images?: Record<string, string>) {
  const file = path.join(dir, `m-${names.join('-')}.json`);
  const manifest = {
    git_sha: 'f'.repeat(40),
    git_sha7: 'fffffff',
    built_at_utc: '2026-01-01T00:00:00Z',
    images: Object.fromEntries(
      names.map((n, i) => [n, { tag: 't1', ref: `r.test/${n}@${DIGEST(i + 1)}`, digest: DIGEST(i + 1) }]),
    ),
  };
  writeFileSync(file, JSON.stringify(manifest));
  return {
    command: 'deploy',
    stack: 'web',
    env: 'staging',
    image_tag: 't1',
    digest_file: file,
    images,
    actor: 'a',
  };
}

test('an image named constructor deploys like any other: validated, planned, gated', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-keys-'));
  try {
    const req = validateRequest(requestFor(dir, ['constructor'])) as DeployRequest;
    const plan = planRelease(req, 'x');
    assert.equal(plan.meta.images.IMAGE_REF!.name, 'constructor');
    assert.deepEqual(Object.keys(plan.digests), ['constructor']);
    const l = layout(dir);
    const gate = (marker: Record<string, string>, digests: Record<string, string>) => {
      writeFileSync(
        l.marker('t1'),
        JSON.stringify({ tag: 't1', digests: marker, verified_at_utc: '', verified_by: 'a', note: '' }),
      );
      return checkGate(l, {
        env: 'production',
        gatedEnvs: ['production'],
        tag: 't1',
        digests,
        breakGlass: false,
      });
    };
    mkdirSync(l.verifiedDir, { recursive: true });
    assert.equal(gate({ constructor: DIGEST(1) }, plan.digests), 'verified');
    // A marker that names `constructor` while this deploy has no such image: a mismatch reported by name.
    assert.throws(() => gate({ app: DIGEST(1) }, plan.digests), /constructor: not in the marker/);
    assert.throws(() => gate({ constructor: DIGEST(2) }, { app: DIGEST(2) }), /app: not in the marker/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('images: IMAGE_REF=constructor with a manifest without it is refused before anything runs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-keys-'));
  try {
    assert.throws(
      () => validateRequest(requestFor(dir, ['app'], { IMAGE_REF: 'constructor' })),
      (err: Error) =>
        err instanceof DeployError &&
        err.code === 2 &&
        /IMAGE_REF=constructor names an image that is not in the manifest \(it has: app\)/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('__proto__ and toString are refused as image names with the name rule', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-keys-'));
  try {
    for (const name of ['__proto__', 'toString']) {
      const req = requestFor(dir, ['app']);
      const text = readFileSync(req.digest_file, 'utf8').replace('"app":', `${JSON.stringify(name)}:`);
      writeFileSync(req.digest_file, text);
      assert.throws(
        () => validateRequest(req),
        (err: Error) => err instanceof DeployError && err.code === 2 && err.message.includes(name),
      );
      assert.throws(
        () => validateRequest(requestFor(dir, ['app'], { IMAGE_REF: name })),
        /image names are \[a-z0-9\]/,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the action builds a manifest with an image named constructor from digest lines', () => {
  const m = parseDigestLines(`constructor=r.test/c@${DIGEST(1)}\napp=r.test/a@${DIGEST(2)}`);
  assert.deepEqual(Object.keys(m), ['constructor', 'app']);
});
