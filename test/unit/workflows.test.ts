// The example workflows and the repository's own workflows, checked by GitHub's own parser
// (@actions/workflow-parser: parseWorkflow, then convertWorkflowTemplate for the job graph), and the
// `with:` keys of every use of this action checked against the inputs action.yml declares.
// (action.yml itself: test/unit/action-yml.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseDocument } from 'yaml';
import { checkWorkflow } from './helpers/github-parser.js';

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

const ONE_JOB = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n';

describe("GitHub's workflow parser (@actions/workflow-parser)", () => {
  it('accepts a correct workflow and reports errors in broken ones', async () => {
    assert.deepEqual(await checkWorkflow('ok.yml', ONE_JOB), []);
    const broken: [string, string, RegExp][] = [
      [
        'an unknown job key',
        ONE_JOB.replace('steps:', 'stepz:'),
        /\(Line: 5, Col: 5\): Unexpected value 'stepz'/,
      ],
      ['no jobs', 'name: x\non: push\n', /Required property is missing: jobs/],
      [
        'a step output in runs-on (no steps context at job level)',
        ONE_JOB.replace('ubuntu-latest', '${{ steps.x.outputs.y }}'),
        /Unrecognized named-value: 'steps'/,
      ],
      [
        'an unknown workflow_dispatch input type',
        'on:\n  workflow_dispatch:\n    inputs:\n      env:\n        type: choise\n        options: [a]\n' +
          ONE_JOB.slice('on: push\n'.length),
        /choise/,
      ],
      // Only the conversion (the job graph) finds this one.
      [
        'a needs cycle',
        ONE_JOB.replace('  a:\n', '  a:\n    needs: a\n'),
        /at least one job with no dependencies/,
      ],
      ['a YAML syntax error', 'on: [push\njobs: {}\n', /Flow sequence/],
    ];
    for (const [what, src, expected] of broken) {
      const errors = await checkWorkflow('broken.yml', src);
      assert.match(errors.join('\n'), expected, `${what}: ${errors.join('\n') || 'no error'}`);
    }
  });

  const files = workflowFiles();

  it('finds the example and repository workflows', () => {
    const names = files.map((f) => relative(root, f));
    for (const expected of [
      'examples/workflows/build_ghcr.yml',
      'examples/workflows/deploy.yml',
      'examples/workflows/rollback.yml',
      'examples/workflows/status.yml',
      'examples/workflows/verify.yml',
      '.github/workflows/ci.yml',
      '.github/workflows/release.yml',
    ])
      assert.ok(names.includes(expected), `${expected} is missing (found: ${names.join(', ')})`);
  });

  for (const file of files) {
    const name = relative(root, file);
    it(`${name} is a valid workflow`, async () => {
      const src = readFileSync(file, 'utf8');
      assert.deepEqual(yamlProblems(src), [], `${name} is not clean YAML`);
      assert.deepEqual(await checkWorkflow(name, src), []);
    });
  }
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
