// Builds both bundles: dist/index.js (the action, run by the runner) and dist/remote.js (the
// executor, copied to the server: one file, no native modules).
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';

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
};
// CommonJS dependencies inside an ESM bundle still call require(); give them one.
// Some (e.g. ssh2's emscripten-built poly1305) also read __dirname/__filename.
const requireShim =
  "import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);" +
  " import { fileURLToPath as __seiseiFileURLToPath } from 'node:url'; const __filename = __seiseiFileURLToPath(import.meta.url);" +
  " import { dirname as __seiseiDirname } from 'node:path'; const __dirname = __seiseiDirname(__filename);";

await build({
  ...common,
  entryPoints: ['src/main.ts'],
  outfile: `${outdir}/index.js`,
  target: 'node24',
  banner: { js: requireShim },
  // ssh2's optional native speed-ups; it falls back to pure JS when they are absent.
  external: ['cpu-features', '*.node'],
});

await build({
  ...common,
  entryPoints: ['remote/cli.ts'],
  outfile: `${outdir}/remote.js`,
  target: 'node18',
  banner: { js: '#!/usr/bin/env node\n' + requireShim },
});
chmodSync(`${outdir}/remote.js`, 0o755);
