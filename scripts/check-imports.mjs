// Import guard for the executor and the shared code: no import cycle inside remote/ and common/,
// and neither imports from src/ (the action). Run by scripts/test.mjs after lint.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOTS = ['remote', 'common'];
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
for (const [file, deps] of graph)
  for (const dep of deps)
    if (dep.startsWith('src/') || dep === 'src')
      problems.push(`${file} imports ${dep}: remote/ and common/ must not depend on the action (src/)`);

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
console.log(`imports: ${files.length} files in ${ROOTS.join(', ')}, no cycle, nothing from src/`);
