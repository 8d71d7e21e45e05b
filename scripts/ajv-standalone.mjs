// An esbuild plugin: common/image-digests-validator.ts compiles the digest manifest schema with
// ajv when first used; in the bundles it is replaced by the validator ajv generates here, at build
// time, from the same schema and options (ajv's "standalone validation code"). The run-time ajv
// compile (≈ 40 ms) and most of ajv's code leave dist/.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import standalone from 'ajv/dist/standalone/index.js';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Must equal AJV_OPTIONS in common/image-digests-validator.ts (test/unit/ajv-standalone.test.ts).
export const AJV_OPTIONS = { allErrors: true, strict: true };

/** ESM source of a module with the same exports as image-digests-validator.ts. */
export function validatorModule() {
  const schema = JSON.parse(readFileSync(resolve(ROOT, 'schema/image-digests.schema.json'), 'utf8'));
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  addFormats(ajv);
  const code = standalone.default(ajv, ajv.compile(schema));
  return `${code}\nexport const AJV_OPTIONS = ${JSON.stringify(AJV_OPTIONS)};\nexport function schemaValidator() { return validate; }\n`;
}

export const ajvStandalone = {
  name: 'ajv-standalone',
  setup(build) {
    // A path relative to the repository: it appears in the bundle, which must not depend on where
    // the checkout lies.
    build.onResolve({ filter: /[/\\]image-digests-validator\.js$/ }, (args) => ({
      path: relative(ROOT, resolve(args.resolveDir, args.path)),
      namespace: 'ajv-standalone',
    }));
    // The generated code require()s ajv's small runtime helpers; they resolve from the repo root.
    build.onLoad({ filter: /.*/, namespace: 'ajv-standalone' }, () => ({
      contents: validatorModule(),
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
};
