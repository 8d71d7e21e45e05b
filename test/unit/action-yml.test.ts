// action.yml as GitHub loads it: GitHub's own parser (@actions/workflow-parser, parseAction) reports
// no error, the Marketplace description limit holds, and the metadata agrees with the code (every
// input described and parsed by src/inputs/, the declared defaults the ones the code uses).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseDocument } from 'yaml';
import { INPUT_NAMES, type RawInputs } from '../../src/inputs/raw.js';
import { FIELDS_BY_CONCERN, parseSettings } from '../../src/inputs/settings.js';
import { fingerprintOfBlob } from '../../src/ssh/host-key.js';
import { checkAction } from './helpers/github-parser.js';
import { ed25519Key } from './helpers/keys.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const actionYml = readFileSync(join(root, 'action.yml'), 'utf8');

interface Metadata {
  name: string;
  description: string;
  inputs: Record<string, { description?: string; required?: boolean; default?: unknown }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string };
  [k: string]: unknown;
}
const action = parse(actionYml) as Metadata;

/** The Marketplace refuses a longer top-level description. */
const MARKETPLACE_DESCRIPTION_MAX = 125;

/** action.yml with one input's description replaced (the YAML stays valid whatever the text). */
function withInputDescription(input: string, description: string): string {
  const doc = parseDocument(actionYml);
  assert.ok(doc.hasIn(['inputs', input, 'description']), `action.yml has input ${input}`);
  doc.setIn(['inputs', input, 'description'], description);
  return String(doc);
}

describe("GitHub's parser (@actions/workflow-parser parseAction)", () => {
  it('loads action.yml without an error', () => {
    const { errors, action: parsed } = checkAction('action.yml', actionYml);
    assert.deepEqual(errors, []);
    assert.ok(parsed, 'the metadata converts');
    assert.equal(parsed.runs.using, 'node24');
    assert.deepEqual(
      parsed.inputs?.map((i) => i.id),
      Object.keys(action.inputs),
      'the parser sees every input',
    );
  });

  it('refuses an action.yml with an expression in an input description, naming the place', () => {
    const planted = withInputDescription('digests', 'e.g. app=ghcr.io/org/app@${{ steps.x.outputs.y }}');
    const { errors } = checkAction('action.yml', planted);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /^action\.yml \(Line: \d+, Col: \d+\): Unrecognized named-value: 'steps'$/);
  });

  it('refuses broken metadata: a misspelt runs key, an unknown runtime, no description', () => {
    const broken: [string, string, RegExp][] = [
      [
        'main misspelt',
        actionYml.replace('main: dist/index.js', 'mian: dist/index.js'),
        /Unexpected value 'mian'/,
      ],
      ['runtime node99', actionYml.replace('using: node24', 'using: node99'), /Unexpected value 'node99'/],
      [
        'no description',
        actionYml.replace(/^description: >-\n(?: {2}.*\n)+/m, ''),
        /Required property is missing: description/,
      ],
    ];
    for (const [what, text, expected] of broken) {
      assert.notEqual(text, actionYml, `${what}: the edit applies`);
      const { errors } = checkAction('action.yml', text);
      assert.match(errors.join('\n'), expected, what);
    }
  });

  it(`keeps the top-level description within the Marketplace's ${MARKETPLACE_DESCRIPTION_MAX} characters`, () => {
    const { description } = action;
    assert.ok(description.trim(), 'a description');
    assert.ok(
      description.length <= MARKETPLACE_DESCRIPTION_MAX,
      `${description.length} characters: ${description}`,
    );
  });

  it('no string in action.yml but the github_token default holds an expression', () => {
    // The runner evaluates ${{ }} in every string; only input defaults may use a context (github).
    const found = [...actionYml.matchAll(/\$\{\{[^}]*\}\}/g)].map((m) => m[0]);
    assert.deepEqual(found, ['${{ github.token }}']);
    assert.equal(action.inputs.github_token?.default, '${{ github.token }}');
  });
});

describe('action.yml', () => {
  it('every input has a description and an id the runner accepts', () => {
    for (const [name, spec] of Object.entries(action.inputs)) {
      assert.equal(typeof spec.description, 'string', `${name}: description`);
      assert.ok(spec.description!.trim().length > 0, `${name}: non-empty description`);
      assert.match(name, /^[a-z][a-z0-9_]*$/, `${name}: snake_case (DESIGN.md section 11)`);
      assert.notEqual(
        spec.required,
        true,
        `${name}: requirements depend on the mode; src/inputs/settings.ts checks them`,
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

  it('every input is read and parsed by exactly one concern of src/inputs/, and no undeclared input is', () => {
    assert.deepEqual([...INPUT_NAMES].sort(), Object.keys(action.inputs).sort());
    const parsed = Object.values(FIELDS_BY_CONCERN).flatMap((fields) => Object.keys(fields));
    assert.deepEqual([...parsed].sort(), [...INPUT_NAMES].sort(), 'each input once, no other');
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
