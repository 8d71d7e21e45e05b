// Import guard (docs/design.md section 13): no import cycle in remote/, common/ or src/; common/
// imports neither side, remote/ never imports src/ and src/ never imports remote/. Run by
// scripts/test.mjs after lint.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOTS = ['remote', 'common', 'src'];
/** Which folders each folder may not import from. */
const FORBIDDEN = { remote: ['src'], common: ['src', 'remote'], src: ['remote'] };
const files = ROOTS.flatMap((root) =>
  readdirSync(root, { recursive: true })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, f)),
);

/** Relative imports of one file (value and type imports, re-exports), as repository paths. */
function importsOf(file) {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found = [];
  for (const s of src.statements) {
    const spec =
      (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier
        ? s.moduleSpecifier.text
        : undefined;
    if (spec?.startsWith('.'))
      found.push(relative('.', resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
  }
  return found;
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));
const problems = [];
const topOf = (path) => path.split('/')[0];
for (const [file, deps] of graph)
  for (const dep of deps)
    if (FORBIDDEN[topOf(file)].includes(topOf(dep)))
      problems.push(
        `${file} imports ${dep}: ${topOf(file)}/ may not import ${topOf(dep)}/ (docs/design.md section 13)`,
      );

// Tarjan's strongly connected components: any component of more than one file is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function visit(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) !== idx.get(v)) return;
  const scc = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    scc.push(w);
  } while (w !== v);
  if (scc.length > 1 || (graph.get(v) ?? []).includes(v))
    problems.push(`import cycle: ${scc.sort().join(' ↔ ')}`);
}
for (const f of graph.keys()) if (!idx.has(f)) visit(f);

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`imports: ${files.length} files in ${ROOTS.join(', ')}: no cycle, none across the sides`);
