import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/inputs/fields.js';
import { readRawInputs, type RawInputs } from '../../src/inputs/raw.js';
import { parseSettings } from '../../src/inputs/settings.js';
import { testKnobs } from '../../src/test-knobs.js';
import { fingerprintOfBlob } from '../../src/ssh/host-key.js';
import { ed25519Key } from './helpers/keys.js';

const key = ed25519Key('server');
const userKey = ed25519Key('user');
const base: RawInputs = {
  mode: 'deploy',
  stack: 'odoo18',
  environment: 'staging',
  image_tag: 'sha-abc1234',
  host: '127.0.0.1',
  port: '2222',
  username: 'deploy',
  private_key: userKey.privateKey,
  host_key: fingerprintOfBlob(key.blob),
};
const env = {
  GITHUB_ACTOR: 'octocat',
  GITHUB_RUN_ID: '42',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_REPOSITORY: 'org/app',
};

function problems(raw: RawInputs): string[] {
  try {
    parseSettings(raw, env);
  } catch (err) {
    assert.ok(err instanceof InputError, `expected InputError, got ${err}`);
    return err.problems;
  }
  assert.fail('expected an InputError');
}

/** Asserts exactly one problem, naming `input`, matching `re`. */
function rejects(raw: RawInputs, input: string, re?: RegExp) {
  const p = problems(raw);
  assert.equal(p.length, 1, p.join('\n'));
  assert.ok(p[0]!.startsWith(`${input}: `), p[0]);
  if (re) assert.match(p[0]!, re);
}

describe('inputs', () => {
  it('builds settings with the defaults of section 11', () => {
    const s = parseSettings(base, env);
    assert.equal(s.mode, 'deploy');
    assert.equal(s.stack, 'odoo18');
    assert.equal(s.environment, 'staging');
    assert.equal(s.imageTag, 'sha-abc1234');
    assert.equal(s.target!.port, 2222);
    assert.equal(s.target!.hostKeys.length, 1);
    assert.equal(s.server.sudo, true);
    assert.equal(s.server.node, 'node');
    assert.equal(s.server.root, '/srv');
    assert.equal(s.server.source, '/opt/seisei-odoo-addons/infra/stacks');
    assert.equal(s.breakGlass, false);
    assert.equal(s.stepsBack, 1);
    assert.equal(s.keepReleases, undefined);
    assert.equal(s.lockTimeoutS, 600);
    assert.equal(s.timeoutMinutes, 30);
    assert.equal(s.reconnectTimeoutS, 120);
    assert.equal(s.digests.artifact, 'image-digests');
    assert.equal(s.digests.buildWorkflow, 'build_ghcr.yml');
    assert.deepEqual(s.digests.repository, { owner: 'org', repo: 'app' });
    assert.equal(s.actor, 'octocat');
    assert.equal(s.runId, '42');
    assert.equal(s.runAttempt, '2');
    assert.equal(s.registry, undefined);
  });

  it('takes the SSH timings from the test knobs in the environment, not from the inputs', () => {
    assert.deepEqual(testKnobs({}).ssh, {
      readyTimeoutMs: 20_000,
      keepaliveIntervalMs: 10_000,
      keepaliveCountMax: 3,
    });
    const knobs = testKnobs({
      SEISEI_DEPLOY_TEST_READY_TIMEOUT_MS: '500',
      SEISEI_DEPLOY_TEST_KEEPALIVE_MS: '250',
      SEISEI_DEPLOY_TEST_BACKOFF_BASE_MS: '7',
      SEISEI_DEPLOY_REMOTE_JS: '/tmp/r.cjs',
    });
    assert.deepEqual(knobs, {
      ssh: { readyTimeoutMs: 500, keepaliveIntervalMs: 250, keepaliveCountMax: 3 },
      backoffBaseMs: 7,
      remoteScript: '/tmp/r.cjs',
    });
    assert.equal(
      'readyTimeoutMs' in parseSettings(base, { ...env, SEISEI_DEPLOY_TEST_READY_TIMEOUT_MS: '500' }).target!,
      false,
    );
  });

  it('mode must be deploy, rollback, verify or status', () =>
    rejects({ ...base, mode: 'destroy' }, 'mode', /deploy, rollback, verify, status/));

  it('each mode requires what it needs', () => {
    const p = problems({ mode: 'deploy' });
    for (const n of ['stack', 'environment', 'image_tag', 'host', 'username', 'private_key', 'host_key'])
      assert.ok(
        p.some((m) => m.startsWith(`${n}: required`)),
        `${n} missing from ${p.join('\n')}`,
      );
    const r = problems({ ...base, mode: 'rollback', stack: '', image_tag: '' });
    assert.deepEqual(r, ['stack: required for mode rollback']);
    assert.equal(parseSettings({ ...base, mode: 'verify', stack: '', environment: '' }, env).mode, 'verify');
    assert.deepEqual(problems({ ...base, mode: 'verify', image_tag: '' }), [
      'image_tag: required for mode verify',
    ]);
    assert.equal(
      parseSettings({ ...base, mode: 'status', stack: '', environment: '', image_tag: '' }, env).stack,
      undefined,
    );
  });

  it('names use the shared grammars', () => {
    rejects({ ...base, stack: 'Odoo' }, 'stack', /expected 1-63 characters/);
    rejects({ ...base, stack: '-x' }, 'stack');
    rejects({ ...base, environment: 'Prod' }, 'environment', /e\.g\. staging/);
    rejects({ ...base, image_tag: '.bad' }, 'image_tag', /Docker tag/);
    rejects({ ...base, image_tag: 'a'.repeat(129) }, 'image_tag');
  });

  it('host_key is required and cannot be disabled', () => {
    rejects({ ...base, host_key: '' }, 'host_key', /cannot be turned off/);
    rejects({ ...base, host_key: 'none' }, 'host_key', /line 1/);
    rejects({ ...base, host_key: 'false' }, 'host_key');
    rejects({ ...base, host_key: '# just a comment\n' }, 'host_key', /cannot be turned off/);
    rejects({ ...base, host_key: 'MD5:12:34' }, 'host_key', /MD5/);
    rejects({ ...base, host_key: 'SHA256:tooshort' }, 'host_key', /43 base64/);
  });

  it('host_key accepts fingerprints and known_hosts lines for the host', () => {
    const line = `[127.0.0.1]:2222 ${key.publicLine}`;
    const s = parseSettings(
      { ...base, host_key: `# pinned\n${line}\n\n${fingerprintOfBlob(key.blob)}` },
      env,
    );
    assert.equal(s.target!.hostKeys.length, 2);
    assert.equal(s.target!.hostKeys[0]!.keyType, 'ssh-ed25519');
    // A line for another host does not apply: an input error, before any connection.
    rejects(
      { ...base, host_key: `[10.0.0.1]:2222 ${key.publicLine}` },
      'host_key',
      /no line applies to \[127\.0\.0\.1\]:2222/,
    );
    // Port 22 uses the bare host name.
    assert.equal(
      parseSettings({ ...base, port: '', host_key: `127.0.0.1 ${key.publicLine}` }, env).target!.hostKeys
        .length,
      1,
    );
    rejects({ ...base, host_key: `127.0.0.1 ${key.publicLine}` }, 'host_key');
  });

  it('break_glass needs a non-blank reason', () => {
    rejects({ ...base, break_glass: 'true' }, 'break_glass_reason', /required/);
    rejects({ ...base, break_glass: 'true', break_glass_reason: '   ' }, 'break_glass_reason');
    const s = parseSettings({ ...base, break_glass: 'true', break_glass_reason: 'hotfix for outage' }, env);
    assert.equal(s.breakGlass, true);
    assert.equal(s.breakGlassReason, 'hotfix for outage');
    rejects({ ...base, break_glass: 'maybe' }, 'break_glass', /true or false/);
    rejects(
      { ...base, break_glass: 'true', break_glass_reason: 'a\u0007b' },
      'break_glass_reason',
      /control characters/,
    );
  });

  it('numbers are range-checked', () => {
    rejects({ ...base, port: '0' }, 'port', /1 to 65535/);
    rejects({ ...base, port: '65536' }, 'port');
    rejects({ ...base, port: '22x' }, 'port');
    rejects({ ...base, mode: 'rollback', steps_back: '0' }, 'steps_back', /from 1/);
    rejects({ ...base, keep_releases: '0' }, 'keep_releases', /from 1/);
    rejects({ ...base, lock_timeout: '-1' }, 'lock_timeout', /seconds/);
    rejects({ ...base, timeout_minutes: '0' }, 'timeout_minutes', /minutes/);
    rejects({ ...base, build_run_id: 'abc' }, 'build_run_id');
    const s = parseSettings(
      { ...base, steps_back: '3', keep_releases: '5', lock_timeout: '0', timeout_minutes: '5' },
      env,
    );
    assert.deepEqual([s.stepsBack, s.keepReleases, s.lockTimeoutS, s.timeoutMinutes], [3, 5, 0, 5]);
  });

  it('images are ENV_VAR=image-name lines', () => {
    const s = parseSettings(
      { ...base, images: 'IMAGE_REF=seisei-odoo18\n# comment\nOCR_IMAGE_REF = seisei-ocr\n' },
      env,
    );
    assert.deepEqual(s.images, { IMAGE_REF: 'seisei-odoo18', OCR_IMAGE_REF: 'seisei-ocr' });
    rejects({ ...base, images: 'image_ref=x' }, 'images', /upper-case/);
    rejects({ ...base, images: 'IMAGE_REF' }, 'images', /ENV_VAR=image-name/);
    rejects({ ...base, images: 'IMAGE_REF=Bad' }, 'images', /image name/);
    rejects({ ...base, images: 'A=x\nA=y' }, 'images', /twice/);
    rejects({ ...base, images: 'IMAGE_REF=a\n\nimage_ref=x' }, 'images', /line 3: "image_ref"/);
    // The executor's --images grammar (common/image-lines.ts): commas work too.
    assert.deepEqual(parseSettings({ ...base, images: 'A_REF=a, B_REF=b' }, env).images, {
      A_REF: 'a',
      B_REF: 'b',
    });
  });

  it('paths, booleans and other formats', () => {
    rejects({ ...base, srv_root: 'srv' }, 'srv_root', /absolute path/);
    rejects({ ...base, stacks_source: '/opt/../etc' }, 'stacks_source');
    assert.equal(parseSettings({ ...base, srv_root: '/data/srv/' }, env).server.root, '/data/srv');
    rejects({ ...base, sudo: 'sometimes' }, 'sudo', /true or false/);
    assert.equal(parseSettings({ ...base, sudo: 'false' }, env).server.sudo, false);
    rejects({ ...base, remote_node: 'node; rm -rf /' }, 'remote_node');
    rejects({ ...base, username: 'a b' }, 'username');
    rejects({ ...base, host: 'bad host' }, 'host');
    rejects({ ...base, private_key: 'not a key' }, 'private_key', /PRIVATE KEY/);
    rejects({ ...base, build_workflow: '../x.yml' }, 'build_workflow');
    rejects(
      { ...base, registry: 'https://ghcr.io', registry_username: 'u', registry_password: 'p' },
      'registry',
    );
  });

  it('registry credentials come as a pair, with the registry they are for', () => {
    rejects({ ...base, registry: 'ghcr.io', registry_username: 'bot' }, 'registry_password', /required/);
    rejects({ ...base, registry: 'ghcr.io', registry_password: 'secret' }, 'registry_username', /required/);
    const s = parseSettings(
      { ...base, registry: 'ghcr.io', registry_username: 'bot', registry_password: ' pa ss \n' },
      env,
    );
    assert.deepEqual(s.registry, { registry: 'ghcr.io', username: 'bot', password: ' pa ss ' });
  });

  it('credentials without registry are refused: the manifest never chooses where they go', () => {
    rejects(
      { ...base, registry_username: 'bot', registry_password: 'secret' },
      'registry',
      /^registry: required when registry_username\/registry_password are set: the registry host those credentials are for \(e\.g\. ghcr\.io\)/,
    );
  });

  it('build_branches takes globs, one per line or comma-separated; git_sha must be the commit of image_tag', () => {
    const full = 'abc1234' + '0'.repeat(33);
    const s = parseSettings({ ...base, build_branches: 'release/*\n hotfix/**, stable', git_sha: full }, env);
    assert.deepEqual(s.digests.buildBranches, ['release/*', 'hotfix/**', 'stable']);
    assert.equal(s.digests.gitSha, full);
    assert.deepEqual(parseSettings(base, env).digests.buildBranches, []);
    rejects({ ...base, build_branches: 'release/ x' }, 'build_branches', /branch names or globs/);
    rejects({ ...base, git_sha: 'f'.repeat(40) }, 'git_sha', /is not the commit of image_tag sha-abc1234/);
  });

  it('actor and run_id default from the GitHub context, inputs win', () => {
    const s = parseSettings({ ...base, actor: 'alice', run_id: 'manual-1' }, env);
    assert.equal(s.actor, 'alice');
    assert.equal(s.runId, 'manual-1');
    assert.equal(parseSettings(base, {}).actor, '');
  });

  it('reports every problem at once', () => {
    const p = problems({ ...base, stack: 'BAD', port: '99999', break_glass: 'true' });
    assert.equal(p.length, 3, p.join('\n'));
  });

  it('masks secrets the moment they are read', () => {
    const saved = { ...process.env };
    const written: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.env.INPUT_PRIVATE_KEY = userKey.privateKey;
    process.env.INPUT_PASSPHRASE = 'pass phrase 1';
    process.env.INPUT_REGISTRY_PASSWORD = 'regsecret';
    process.stdout.write = ((c: string | Uint8Array, ...rest: unknown[]) =>
      typeof c === 'string'
        ? (written.push(c), true)
        : (orig as (...a: unknown[]) => boolean)(c, ...rest)) as typeof process.stdout.write;
    try {
      const raw = readRawInputs();
      assert.equal(raw.passphrase, 'pass phrase 1');
    } finally {
      process.stdout.write = orig;
      process.env = saved;
    }
    const out = written.join('');
    assert.match(out, /::add-mask::pass phrase 1/);
    assert.match(out, /::add-mask::regsecret/);
    const keyLine = userKey.privateKey.split('\n')[1]!;
    assert.ok(out.includes(`::add-mask::${keyLine}`), 'each line of the private key is masked');
  });
});
