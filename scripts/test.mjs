// The whole test suite: static checks, dist/ freshness, then every test file with node's runner.
// `npm test` runs all; `npm test -- unit` runs only the fast checks and unit tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const unitOnly = process.argv.includes('unit');
// The end-to-end tests need dockerd, docker-compose, busybox-static, a registry and sshd.
if (!unitOnly) {
  const prepared = spawnSync('bash', ['scripts/prepare-machine.sh'], { stdio: 'inherit' });
  if (prepared.status !== 0) process.exit(prepared.status || 1);
}
const bin = (name) => join('node_modules', '.bin', name);
const step = (title, cmd, args) => {
  console.log(`\n== ${title}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
};

step('typecheck', bin('tsc'), ['--noEmit', '-p', '.']);
step('lint', bin('eslint'), ['.']);
step('imports', process.execPath, ['scripts/check-imports.mjs']);
step('format', bin('prettier'), ['--check', '.']);

console.log('\n== dist/ is built from this source');
const fresh = mkdtempSync(join(tmpdir(), 'seisei-dist-'));
execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', fresh], { stdio: 'inherit' });
const listing = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
const built = listing(fresh);
const committed = listing('dist');
const stale = [...new Set([...built, ...committed])].filter(
  (f) =>
    !built.includes(f) ||
    !committed.includes(f) ||
    !readFileSync(join(fresh, f)).equals(readFileSync(join('dist', f))),
);
if (stale.length) {
  console.error(`dist/ is stale (${stale.join(', ')}): run \`npm run build\` and commit dist/`);
  process.exit(1);
}
rmSync(fresh, { recursive: true });
console.log(`dist/ matches the source (${built.length} files)`);

const files = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
const suites = unitOnly
  ? files('test/unit')
  : [...files('test/unit'), ...files('test/support'), ...files('test/e2e')];
step(`tests (${suites.length} files)`, process.execPath, [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=2',
  ...suites,
]);
