// Issue 4, acceptance 9: action.yml describes every input and output, runs the committed bundle on
// node24, declares the defaults the code actually uses, and passes a JSON Schema of action metadata
// (schema/action-metadata.schema.json, written from GitHub's documented metadata syntax) that is
// shown to reject broken metadata.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Ajv, { type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { INPUT_NAMES, parseSettings, type RawInputs } from '../../src/inputs.js';
import { fingerprintOfBlob } from '../../src/host-key.js';
import { ed25519Key } from './helpers/keys.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const actionYml = readFileSync(join(root, 'action.yml'), 'utf8');
const schema = JSON.parse(
  readFileSync(join(root, 'schema', 'action-metadata.schema.json'), 'utf8'),
) as object;
const inputsSource = readFileSync(join(root, 'src', 'inputs.ts'), 'utf8');

interface Metadata {
  name: string;
  description: string;
  inputs: Record<string, { description?: string; required?: boolean; default?: unknown }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string };
  [k: string]: unknown;
}
const action = parse(actionYml) as Metadata;
const clone = (): Metadata => structuredClone(action);

// Union types ("type": ["string", "boolean"]) are plain JSON Schema; strict mode asks to allow them explicitly.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(schema);
const errorsOf = (doc: unknown): ErrorObject[] => (validate(doc) ? [] : [...(validate.errors ?? [])]);
const show = (errors: ErrorObject[]) => errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('\n');

describe('action.yml', () => {
  it('every input has a description and an id the runner accepts', () => {
    for (const [name, spec] of Object.entries(action.inputs)) {
      assert.equal(typeof spec.description, 'string', `${name}: description`);
      assert.ok(spec.description!.trim().length > 0, `${name}: non-empty description`);
      assert.match(name, /^[a-z][a-z0-9_]*$/, `${name}: snake_case (DESIGN.md section 11)`);
      assert.notEqual(
        spec.required,
        true,
        `${name}: requirements depend on the mode; src/inputs.ts checks them`,
      );
    }
  });

  it('every output has a description', () => {
    assert.ok(Object.keys(action.outputs).length > 0);
    for (const [name, spec] of Object.entries(action.outputs))
      assert.ok(typeof spec.description === 'string' && spec.description.trim(), `${name}: description`);
    for (const name of [
      'status',
      'release_id',
      'release_dir',
      'image_ref',
      'image_digest',
      'previous_release_id',
      'manifest',
    ])
      assert.ok(name in action.outputs, `output ${name} (DESIGN.md section 11)`);
  });

  it('runs the committed bundle on node24', () => {
    assert.equal(action.runs.using, 'node24');
    assert.equal(action.runs.main, 'dist/index.js');
    assert.ok(existsSync(join(root, action.runs.main)), 'dist/index.js is committed');
  });

  it('every input is read by src/inputs.ts, and src/inputs.ts reads no undeclared input', () => {
    for (const name of Object.keys(action.inputs))
      assert.ok(inputsSource.includes(`'${name}'`), `src/inputs.ts reads input ${name}`);
    assert.deepEqual([...INPUT_NAMES].sort(), Object.keys(action.inputs).sort());
  });

  it('has the defaults of DESIGN.md section 11 where one makes sense', () => {
    const expected: Record<string, string> = {
      mode: 'deploy',
      digest_artifact: 'image-digests',
      build_workflow: 'build_ghcr.yml',
      github_token: '${{ github.token }}',
      port: '22',
      sudo: 'true',
      remote_node: 'node',
      srv_root: '/srv',
      stacks_source: '/opt/seisei-odoo-addons/infra/stacks',
      break_glass: 'false',
      steps_back: '1',
    };
    for (const [name, value] of Object.entries(expected))
      assert.equal(action.inputs[name]?.default, value, name);
    // Secrets and per-deploy values have no default.
    for (const name of [
      'private_key',
      'passphrase',
      'registry_password',
      'host_key',
      'host',
      'username',
      'stack',
    ])
      assert.equal(action.inputs[name]?.default, undefined, `${name} has no default`);
  });

  it("declares the same defaults the code uses when an input is empty (the runner's and a direct run agree)", () => {
    const key = ed25519Key('server');
    const base: RawInputs = {
      stack: 'odoo18',
      environment: 'staging',
      image_tag: 'sha-abc1234',
      host: '127.0.0.1',
      username: 'deploy',
      private_key: ed25519Key('user').privateKey,
      host_key: fingerprintOfBlob(key.blob),
    };
    const env = { GITHUB_ACTOR: 'octocat', GITHUB_RUN_ID: '42', GITHUB_REPOSITORY: 'org/app' };
    const defaults = Object.fromEntries(
      Object.entries(action.inputs)
        .filter(([, spec]) => spec.default !== undefined)
        .map(([name, spec]) => [name, String(spec.default).replace('${{ github.token }}', 'ghs_token')]),
    );
    for (const mode of ['deploy', 'rollback', 'status']) {
      const bare = parseSettings({ ...base, mode }, env);
      const withDefaults = parseSettings({ ...defaults, ...base, mode }, env);
      assert.equal(withDefaults.digests.token, 'ghs_token');
      withDefaults.digests.token = bare.digests.token;
      assert.deepEqual(withDefaults, bare, `mode ${mode}`);
    }
  });
});

describe('schema/action-metadata.schema.json', () => {
  it('accepts action.yml', () => {
    assert.deepEqual(errorsOf(action), [], show(errorsOf(action)));
  });

  it("accepts the documentation's JavaScript, composite and Docker examples", () => {
    const examples = [
      {
        name: 'js',
        description: 'd',
        inputs: { 'num-octocats': { description: 'Number of Octocats', required: false, default: '1' } },
        outputs: { sum: { description: 'The sum of the inputs' } },
        runs: {
          using: 'node20',
          pre: 'setup.js',
          'pre-if': "runner.os == 'linux'",
          main: 'index.js',
          post: 'cleanup.js',
        },
        branding: { icon: 'award', color: 'green' },
      },
      {
        name: 'composite',
        outputs: {
          'random-number': { description: 'Random number', value: '${{ steps.gen.outputs.random-id }}' },
        },
        runs: {
          using: 'composite',
          steps: [
            { id: 'gen', run: 'echo "random-id=$RANDOM" >> $GITHUB_OUTPUT', shell: 'bash' },
            { uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 }, if: '${{ failure() }}' },
          ],
        },
      },
      {
        name: 'docker',
        description: 'd',
        runs: {
          using: 'docker',
          image: 'Dockerfile',
          args: ['${{ inputs.greeting }}', 'foo'],
          entrypoint: 'main.sh',
        },
      },
    ];
    for (const doc of examples) assert.deepEqual(errorsOf(doc), [], `${doc.name}: ${show(errorsOf(doc))}`);
  });

  // The schema is not a no-op: each of these breaks one documented rule and is refused, at that place.
  const broken: [string, (m: Metadata) => void, RegExp][] = [
    [
      'an input without a description',
      (m) => delete m.inputs.mode!.description,
      /^\/inputs\/mode must have required property 'description'/m,
    ],
    [
      'an empty input description',
      (m) => (m.inputs.stack!.description = ''),
      /^\/inputs\/stack\/description must NOT have fewer than 1 characters/m,
    ],
    [
      'a non-string default',
      (m) => (m.inputs.port!.default = 22),
      /^\/inputs\/port\/default must be string/m,
    ],
    [
      'an unknown input key',
      (m) => Object.assign(m.inputs.host!, { type: 'string' }),
      /^\/inputs\/host must NOT have additional properties/m,
    ],
    [
      'an invalid input id',
      (m) => (m.inputs['2fast'] = { description: 'x' }),
      /^\/inputs property name must be valid/m,
    ],
    [
      'an output without a description',
      (m) => delete m.outputs.status!.description,
      /^\/outputs\/status must have required property 'description'/m,
    ],
    [
      'runs.using node16',
      (m) => (m.runs.using = 'node16'),
      /^\/runs\/using must be equal to one of the allowed values/m,
    ],
    [
      'runs without main',
      (m) => delete (m.runs as Partial<Metadata['runs']>).main,
      /^\/runs must have required property 'main'/m,
    ],
    [
      'no description',
      (m) => delete (m as Partial<Metadata>).description,
      /^\/ must have required property 'description'/m,
    ],
    ['no name', (m) => delete (m as Partial<Metadata>).name, /^\/ must have required property 'name'/m],
    ['a misspelt top-level key', (m) => (m.input = {}), /^\/ must NOT have additional properties/m],
    [
      'a branding color not in the list',
      (m) => (m.branding = { icon: 'upload-cloud', color: 'pink' }),
      /^\/branding\/color must be equal to one of the allowed values/m,
    ],
    [
      'an omitted branding icon',
      (m) => (m.branding = { icon: 'coffee', color: 'blue' }),
      /^\/branding\/icon must be equal to one of the allowed values/m,
    ],
  ];
  for (const [what, breakIt, where] of broken)
    it(`rejects ${what}`, () => {
      const doc = clone();
      breakIt(doc);
      const errors = errorsOf(doc);
      assert.ok(errors.length > 0, `${what} was accepted`);
      assert.match(show(errors), where);
    });

  it('rejects a composite output without a value and a composite step with run but no shell', () => {
    const doc = {
      name: 'c',
      outputs: { x: { description: 'x' } },
      runs: { using: 'composite', steps: [{ run: 'echo hi' }] },
    };
    const text = show(errorsOf(doc));
    assert.match(text, /^\/outputs\/x must have required property 'value'/m);
    assert.match(text, /^\/runs\/steps\/0 must have property shell when property run is present/m);
  });
});
