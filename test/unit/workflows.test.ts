// The example workflows, the repository's own workflows and action.yml, checked by a workflow
// linter (@action-validator/core: the SchemaStore schemas of GitHub workflows and actions), and the
// `with:` keys of every use of this action checked against the inputs action.yml declares.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { validateAction, validateWorkflow, type ValidationError } from '@action-validator/core';
import { parse, parseDocument } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORKFLOW_DIRS = ['examples/workflows', '.github/workflows'];
const ACTION = join(root, 'action.yml');

function workflowFiles(): string[] {
  return WORKFLOW_DIRS.flatMap((dir) => {
    const abs = join(root, dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(abs, f));
  });
}

/** One line per error, nested one_of/any_of alternatives included, for assertion messages. */
function describeErrors(errors: readonly ValidationError[], indent = ''): string {
  return errors
    .map((e) => {
      const where = 'path' in e && e.path !== undefined ? e.path || '/' : '';
      const line = `${indent}- ${e.code}${where ? ` at ${where}` : ''}: ${e.title}${e.detail ? ` (${e.detail})` : ''}`;
      const states = 'states' in e && e.states ? e.states : [];
      return [
        line,
        ...states.map(
          (s, i) => `${indent}  alternative ${i + 1}:\n${describeErrors(s.errors, indent + '    ')}`,
        ),
      ].join('\n');
    })
    .join('\n');
}

/** YAML problems the linter's parser might let through (duplicate keys, tabs, ...). */
function yamlProblems(src: string): string[] {
  const doc = parseDocument(src, { uniqueKeys: true, prettyErrors: true });
  return [...doc.errors, ...doc.warnings].map((e) => e.message);
}

type Steps = { uses?: unknown; with?: Record<string, unknown>; name?: unknown; id?: unknown }[];

/** Whether a `uses:` refers to this action (the published name or the repository itself). */
function isThisAction(uses: unknown): boolean {
  return typeof uses === 'string' && (/^org\/seisei-deploy@/.test(uses) || uses === './');
}

/** Every `with:` key given to this action that action.yml does not declare, as messages. */
function unknownInputs(workflowSrc: string, inputs: ReadonlySet<string>, file: string): string[] {
  const wf = parse(workflowSrc) as { jobs?: Record<string, { steps?: Steps }> } | null;
  const out: string[] = [];
  for (const [jobId, job] of Object.entries(wf?.jobs ?? {})) {
    (job?.steps ?? []).forEach((step, i) => {
      if (!isThisAction(step?.uses)) return;
      const label = `${file}: job ${jobId}, step ${String(step.name ?? step.id ?? i + 1)}`;
      for (const key of Object.keys(step.with ?? {}))
        if (!inputs.has(key))
          out.push(`${label}: with.${key} is not an input of action.yml (inputs: ${[...inputs].join(', ')})`);
    });
  }
  return out;
}

/** How many steps use this action, so a test can assert the examples really exercise it. */
function usesOfThisAction(src: string): number {
  const wf = parse(src) as { jobs?: Record<string, { steps?: Steps }> } | null;
  return Object.values(wf?.jobs ?? {}).reduce(
    (n, job) => n + (job?.steps ?? []).filter((s) => isThisAction(s?.uses)).length,
    0,
  );
}

// @action-validator/core 0.6.0 (the newest) bundles a SchemaStore action schema whose runs.using
// enum stops at node20; GitHub runs node24 actions. Only that one value is substituted, and only
// for the schema check; the declared runtime is asserted separately.
const SCHEMA_NODE_RUNTIMES = ['node12', 'node16', 'node20'];

describe('workflow linter (@action-validator/core)', () => {
  it('is not a no-op: it reports errors in broken workflows and actions', () => {
    const unknownKey = validateWorkflow(
      'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo hi\n',
    );
    assert.ok(unknownKey.errors.length > 0, 'an unknown job key must be reported');
    assert.match(describeErrors(unknownKey.errors), /stepz/);

    const noJobs = validateWorkflow('name: x\non: push\n');
    assert.ok(noJobs.errors.length > 0, 'a workflow without jobs must be reported');

    const badTrigger = validateWorkflow(
      'on:\n  workflow_dispatch:\n    inputs:\n      env:\n        type: choise\n        options: [a]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n',
    );
    assert.ok(badTrigger.errors.length > 0, 'an unknown workflow_dispatch input type must be reported');

    const unparsable = validateWorkflow('on: [push\njobs: {}\n');
    assert.ok(unparsable.errors.length > 0, 'a YAML syntax error must be reported');
    assert.equal(unparsable.errors[0]?.code, 'parse_error');

    const badAction = validateAction(
      'name: x\ndescription: y\nruns:\n  using: node20\n  mian: dist/index.js\n',
    );
    assert.ok(badAction.errors.length > 0, 'an action with a misspelt runs key must be reported');

    const good = validateWorkflow(
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n',
    );
    assert.deepEqual(good.errors, [], 'a correct workflow must pass');
  });

  const files = workflowFiles();

  it('finds the example and repository workflows', () => {
    const names = files.map((f) => relative(root, f));
    for (const expected of [
      'examples/workflows/build_ghcr.yml',
      'examples/workflows/deploy.yml',
      'examples/workflows/rollback.yml',
      'examples/workflows/verify.yml',
      '.github/workflows/ci.yml',
      '.github/workflows/release.yml',
    ])
      assert.ok(names.includes(expected), `${expected} is missing (found: ${names.join(', ')})`);
  });

  for (const file of files) {
    const name = relative(root, file);
    it(`${name} is a valid workflow`, () => {
      const src = readFileSync(file, 'utf8');
      assert.deepEqual(yamlProblems(src), [], `${name} is not clean YAML`);
      const { errors } = validateWorkflow(src);
      assert.equal(errors.length, 0, `${name}:\n${describeErrors(errors)}`);
    });
  }

  it('action.yml is a valid action', () => {
    assert.ok(existsSync(ACTION), 'action.yml exists');
    const src = readFileSync(ACTION, 'utf8');
    assert.deepEqual(yamlProblems(src), [], 'action.yml is not clean YAML');
    const doc = parseDocument(src);
    const using = doc.getIn(['runs', 'using']);
    assert.equal(using, 'node24', 'action.yml: runs.using');
    assert.equal(doc.getIn(['runs', 'main']), 'dist/index.js', 'action.yml: runs.main');

    let checked = src;
    const raw = validateAction(src);
    if (raw.errors.length && !SCHEMA_NODE_RUNTIMES.includes(String(using))) {
      // Everything the linter objects to must be about runs (the runtime value), nothing else.
      for (const e of raw.errors)
        assert.ok(
          'path' in e && e.path?.startsWith('/runs'),
          `action.yml: an error outside runs:\n${describeErrors(raw.errors)}`,
        );
      doc.setIn(['runs', 'using'], 'node20');
      checked = String(doc);
    }
    const { errors } = validateAction(checked);
    assert.equal(errors.length, 0, `action.yml:\n${describeErrors(errors)}`);
  });
});

describe('inputs used in the example workflows', () => {
  it('the input check catches a misspelt input', () => {
    const inputs = new Set(['mode', 'stack']);
    const src =
      'on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n' +
      '      - uses: org/seisei-deploy@v1\n        with:\n          mode: deploy\n          stak: x\n' +
      '      - uses: ./\n        with:\n          stacks: y\n' +
      '      - uses: actions/checkout@v5\n        with:\n          fetch-depth: 0\n';
    const problems = unknownInputs(src, inputs, 'x.yml');
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /with\.stak is not an input/);
    assert.match(problems[1]!, /with\.stacks is not an input/);
  });

  it('every with: key given to this action is an input of action.yml', () => {
    assert.ok(existsSync(ACTION), 'action.yml exists');
    const action = parse(readFileSync(ACTION, 'utf8')) as { inputs?: Record<string, unknown> };
    const inputs = new Set(Object.keys(action.inputs ?? {}));
    assert.ok(inputs.size > 0, 'action.yml declares no inputs');
    const examples = workflowFiles().filter((f) => relative(root, f).startsWith('examples/'));
    let uses = 0;
    const problems: string[] = [];
    for (const file of examples) {
      const src = readFileSync(file, 'utf8');
      uses += usesOfThisAction(src);
      problems.push(...unknownInputs(src, inputs, relative(root, file)));
    }
    assert.ok(uses >= 5, `expected the examples to use org/seisei-deploy@v1, found ${uses} uses`);
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});
