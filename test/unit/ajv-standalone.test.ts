// The bundles validate digest manifests with code ajv generated at build time
// (scripts/ajv-standalone.mjs); the sources compile the schema at run time. Both must judge alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { ValidateFunction } from 'ajv';
import { ajvStandalone, AJV_OPTIONS as BUILD_OPTIONS } from '../../scripts/ajv-standalone.mjs';
import { AJV_OPTIONS, schemaValidator } from '../../common/image-digests-validator.js';

const D = 'sha256:' + 'b'.repeat(64);
const img = { tag: 'sha-abc1234', ref: `ghcr.io/org/app@${D}`, digest: D };
const good = {
  git_sha: 'abc1234' + '0'.repeat(33),
  git_sha7: 'abc1234',
  built_at_utc: '2026-01-31T10:00:00Z',
  images: { app: img },
};
const corpus: unknown[] = [
  good,
  { ...good, git_sha: 'nope' },
  { ...good, built_at_utc: '2026-13-45T99:00:00Z' },
  { ...good, built_at_utc: '2026-01-31T10:00:00+09:00' },
  { ...good, images: {} },
  { ...good, images: { 'Bad Name': img } },
  { ...good, images: { app: { ...img, ref: 'ghcr.io/org/app:latest' } } },
  { ...good, images: { app: { tag: 'x' } } },
  { ...good, images: { ['a'.repeat(129)]: img } },
  { git_sha7: 1 },
  [],
  null,
];

async function bundledValidator(): Promise<ValidateFunction> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ajv-standalone-'));
  try {
    const outfile = path.join(dir, 'validator.mjs');
    await build({
      stdin: {
        contents: "export { schemaValidator } from '../../common/image-digests-validator.js';",
        resolveDir: process.cwd(),
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      plugins: [ajvStandalone],
      logLevel: 'silent',
    });
    const mod = (await import(pathToFileURL(outfile).href)) as { schemaValidator(): ValidateFunction };
    return mod.schemaValidator();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const verdict = (v: ValidateFunction, data: unknown) => ({
  valid: v(data),
  errors: (v.errors ?? []).map((e) => `${e.instancePath} ${e.keyword} ${e.message}`),
});

test('the build-time validator uses the run-time options and judges every manifest alike', async () => {
  assert.deepEqual(BUILD_OPTIONS, AJV_OPTIONS);
  const bundled = await bundledValidator();
  const runtime = schemaValidator();
  assert.notEqual(bundled, runtime);
  let invalid = 0;
  for (const data of corpus) {
    const want = verdict(runtime, data);
    assert.deepEqual(verdict(bundled, data), want, JSON.stringify(data));
    if (!want.valid) invalid++;
  }
  assert.equal(invalid, corpus.length - 1, 'every manifest but the first is invalid');
});
