// Builds both bundles: dist/index.js (the action, run by the runner; built from src/index.ts, which
// only calls run() of src/main.ts; its heavy phases, such as the SSH and artifact clients, are split
// into dist/chunks/ and loaded only when they run, so a bad input fails fast) and dist/remote.cjs
// (the executor, copied to the server: one file, no native modules).
import { build } from 'esbuild';
import { ajvStandalone } from './ajv-standalone.mjs';
import { chmodSync, readFileSync, rmSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
// `--outdir DIR` builds elsewhere (the test script uses it to check that dist/ is fresh).
const outdir = process.argv.includes('--outdir')
  ? process.argv[process.argv.indexOf('--outdir') + 1]
  : 'dist';

const common = {
  define: { __TOOL_VERSION__: JSON.stringify(version) },
  bundle: true,
  platform: 'node',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [ajvStandalone],
};
// CommonJS dependencies inside the action's ESM bundle still call require(); give them one.
const requireShim =
  "import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);";

/**
 * @actions/core's OIDC client imports @actions/http-client (and undici) at start-up but uses it only
 * in getIDToken: give that one importer a stand-in that loads the real client on its first request.
 */
const lazyHttpClient = {
  name: 'lazy-http-client',
  setup(b) {
    b.onResolve({ filter: /^@actions\/http-client$/ }, (args) =>
      /@actions[\\/]core[\\/]lib[\\/]oidc-utils\.js$/.test(args.importer)
        ? { path: new URL('./lazy-http-client.mjs', import.meta.url).pathname }
        : undefined,
    );
  },
};

rmSync(`${outdir}/chunks`, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  target: 'node24',
  banner: { js: requireShim },
  // Node 24 has import.meta.dirname/filename; a define (unlike a banner) does not clash with
  // modules that declare their own __filename.
  define: { ...common.define, __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' },
  // ssh2's optional native speed-ups; it falls back to pure JS when they are absent.
  external: ['cpu-features', '*.node'],
  plugins: [...common.plugins, lazyHttpClient],
});

await build({
  ...common,
  entryPoints: ['remote/cli.ts'],
  outfile: `${outdir}/remote.cjs`,
  target: 'node18',
  // CommonJS: runs on every Node.js from 18 on, whatever the file is named or where it lies (Node 18
  // reads an ESM .js file outside a "type": "module" package as CommonJS and fails), and starts
  // faster than ESM (no ES module loader, no facades for the built-in modules).
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
});
chmodSync(`${outdir}/remote.cjs`, 0o755);
