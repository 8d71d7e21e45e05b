// Issue 2, acceptance 1, 2, 3, 6, 7, 10: the executor's deploy path against a real dockerd and an
// authenticated registry, with the committed dist/remote.cjs run by the server's node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
  rmSync,
} from 'node:fs';
import path from 'node:path';
import { SAMPLE_ENV_COMMENT, SAMPLE_ENV_OTHER, httpGet } from '../support/sandbox.js';
import { allContainers, containerImages, startTarget, type Target } from './fixture.js';

const MANIFEST_KEYS = [
  'stack',
  'env',
  'image_tag',
  'image_ref',
  'image_digest',
  'release_id',
  'release_dir',
  'deployed_at_utc',
  'actor',
  'run_id',
  'break_glass',
  'break_glass_reason',
];

describe('executor deploy', () => {
  let t: Target;
  let prod = '';
  before(async () => {
    t = await startTarget();
    prod = `${t.stack}-prod`; // production has its own stack, as on a real server
    await t.addStack(prod);
  });
  after(async () => t?.close());

  const live = (stack = t.stack) => path.join(t.root, 'stacks', stack);
  const snapshot = async (stack = t.stack) => ({
    link: existsSync(live(stack)) ? readlinkSync(live(stack)) : '',
    manifest: JSON.stringify(await t.manifest(stack)),
    successes: (await t.history()).filter((r) => r.status === 'success' && r.stack === stack).length,
    containers: (await allContainers(stack)).sort().join(','),
  });

  test('a staging deploy freezes the release, pins the digest, switches, runs the digest and records everything', async () => {
    const img = await t.image('sha-aaa1111');
    const r = await t.deploy('sha-aaa1111');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.result?.status, 'success');
    const id = r.result!.release_id!;
    assert.match(id, /^sha-aaa1111__\d{8}T\d{6}Z$/);
    const dir = path.join(t.root, 'releases', 'stacks', t.stack, id);
    assert.ok(
      existsSync(path.join(dir, 'docker-compose.yml')) && existsSync(path.join(dir, 'config', 'app.conf')),
    );
    const env = readFileSync(path.join(dir, '.env'), 'utf8').split('\n');
    assert.ok(env.includes(`IMAGE_REF=${img.ref}`));
    assert.ok(
      env.includes(SAMPLE_ENV_COMMENT) &&
        env.includes(SAMPLE_ENV_OTHER) &&
        env.includes(`APP_PORT=${t.port}`),
    );
    const sourceEnv = readFileSync(path.join(t.source, t.stack, '.env'), 'utf8').split('\n');
    assert.deepEqual(
      env.filter((l) => !l.startsWith('IMAGE_REF=')),
      sourceEnv.filter((l) => !l.startsWith('IMAGE_REF=')),
    );
    assert.ok(lstatSync(live()).isSymbolicLink());
    assert.equal(readlinkSync(live()), dir);
    assert.deepEqual(await containerImages(t.stack), [img.ref]);
    const res = await httpGet(`http://127.0.0.1:${t.port}/health`);
    assert.equal(res.status, 200);
    assert.match(res.body, /ok sha-aaa1111/);
    const m = (await t.manifest())!;
    for (const k of MANIFEST_KEYS) assert.ok(k in m, `manifest has ${k}`);
    assert.deepEqual(
      {
        stack: m.stack,
        env: m.env,
        tag: m.image_tag,
        ref: m.image_ref,
        digest: m.image_digest,
        id: m.release_id,
        dir: m.release_dir,
        actor: m.actor,
        run: m.run_id,
        bg: m.break_glass,
        why: m.break_glass_reason,
      },
      {
        stack: t.stack,
        env: 'staging',
        tag: 'sha-aaa1111',
        ref: img.ref,
        digest: img.digest,
        id,
        dir,
        actor: 'tester',
        run: '77',
        bg: false,
        why: '',
      },
    );
    assert.match(String(m.deployed_at_utc), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const h = await t.history();
    assert.equal(h.length, 1);
    assert.equal(h[0]!.status, 'success');
    assert.equal(h[0]!.release_id, id);
    assert.ok(r.events.some((e) => e.type === 'step' && e.step === 'pull' && e.status === 'ok'));
  });

  test('a second deploy replaces the containers of the same project, no duplicates or orphans', async () => {
    const first = (await t.manifest())!.release_id;
    const img = await t.image('sha-bbb2222');
    const r = await t.deploy('sha-bbb2222');
    assert.equal(r.code, 0, r.stdout);
    assert.equal((await t.manifest())!.previous_release_id, first);
    assert.deepEqual(await containerImages(t.stack), [img.ref]);
    assert.equal((await allContainers(t.stack)).length, 1);
  });

  test('production with a marker deploys; a marker with other digests fails naming them', async () => {
    const verified = path.join(t.root, 'releases', 'verified');
    mkdirSync(verified, { recursive: true });
    const img = await t.image('sha-ccc3333');
    writeFileSync(
      path.join(verified, 'sha-ccc3333'),
      JSON.stringify({ image_tag: 'sha-ccc3333', digests: { app: 'sha256:' + '0'.repeat(64) } }),
    );
    const bad = await t.deploy('sha-ccc3333', 'production', [], prod);
    assert.notEqual(bad.code, 0);
    assert.match(bad.result!.msg, new RegExp(`app: verified sha256:0{64}, deploying ${img.digest}`));
    writeFileSync(
      path.join(verified, 'sha-ccc3333'),
      JSON.stringify({ image_tag: 'sha-ccc3333', digests: { app: img.digest } }),
    );
    const ok = await t.deploy('sha-ccc3333', 'production', [], prod);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal((await t.manifest(prod))!.env, 'production');
    assert.equal((await t.manifest(prod))!.gate, 'verified');
  });

  test('production without a marker fails with the exact message and changes nothing', async () => {
    const before = await snapshot(prod);
    const r = await t.deploy('sha-bbb2222', 'production', [], prod);
    assert.notEqual(r.code, 0);
    const msg = `Version not verified: ${t.root}/releases/verified/sha-bbb2222 does not exist`;
    assert.equal(r.result?.msg, msg);
    assert.ok(
      r.events.some((e) => e.type === 'step' && e.step === 'gate' && e.status === 'failed' && e.msg === msg),
    );
    assert.deepEqual(await snapshot(prod), before);
    assert.equal((await t.history()).at(-1)!.status, 'failed');
  });

  test('break-glass needs a reason; with one it deploys and both fields are recorded', async () => {
    await t.image('sha-ddd4444');
    const before = await snapshot(prod);
    const noReason = await t.deploy('sha-ddd4444', 'production', ['--break-glass'], prod);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /break_glass_reason: --break-glass needs a reason/);
    assert.deepEqual(await snapshot(prod), before);
    const reason = `hotfix $(touch ${t.tmp}/pwned) \`id\` "quoted" 'single' ; rm -rf /`;
    const r = await t.deploy('sha-ddd4444', 'production', ['--break-glass', '--reason', reason], prod);
    assert.equal(r.code, 0, r.stdout);
    const m = (await t.manifest(prod))!;
    assert.equal(m.break_glass, true);
    assert.equal(m.break_glass_reason, reason);
    const h = (await t.history()).at(-1)!;
    assert.equal(h.break_glass, true);
    assert.equal(h.break_glass_reason, reason);
    assert.equal(existsSync(path.join(t.tmp, 'pwned')), false);
  });

  test('a stack deployed as production cannot be deployed as staging, where the gate would not apply', async () => {
    const before = await snapshot(prod);
    const r = await t.deploy('sha-bbb2222', 'staging', [], prod);
    assert.equal(r.code, 1);
    assert.match(
      r.result!.msg,
      new RegExp(`stack ${prod} runs as environment production .*not staging: use environment production`),
    );
    assert.deepEqual(await snapshot(prod), before);
  });

  test('stacks/<stack> as a real directory or a link into /opt is refused with how to migrate', async () => {
    const name = 'e2e-migrate';
    await t.addStack(name);
    const img = await t.image('sha-eee5555');
    void img;
    const link = path.join(t.root, 'stacks', name);
    mkdirSync(link, { recursive: true });
    const asDir = await t.deploy('sha-eee5555', 'staging', [], name);
    assert.notEqual(asDir.code, 0);
    assert.match(asDir.result!.msg, /is a real directory, not a symlink into .*To migrate/);
    rmSync(link, { recursive: true });
    symlinkSync('/opt/seisei-odoo-addons/infra/stacks/' + name, link);
    const asOpt = await t.deploy('sha-eee5555', 'staging', [], name);
    assert.match(
      asOpt.result!.msg,
      /points to \/opt\/seisei-odoo-addons\/infra\/stacks\/e2e-migrate, outside/,
    );
    assert.equal(readlinkSync(link), '/opt/seisei-odoo-addons/infra/stacks/' + name);
    assert.equal(
      existsSync(path.join(t.root, 'releases', 'stacks', name)) &&
        readdirSync(path.join(t.root, 'releases', 'stacks', name)).some((d) => !d.startsWith('.')),
      false,
    );
    assert.deepEqual(await allContainers(name), []);
    rmSync(link);
  });

  test('bad stack names, tags and manifests get specific errors and change nothing', async () => {
    const before = await snapshot();
    const historyBefore = (await t.history()).length;
    const good = (await t.image('sha-fff6666')).manifest;
    const cases: [string[], RegExp][] = [
      [
        ['deploy', '../x', 'staging', 'sha-fff6666', '--digest-file', good],
        /stack "\.\.\/x" is not a valid stack name/,
      ],
      [
        ['deploy', 'a b', 'staging', 'sha-fff6666', '--digest-file', good],
        /stack "a b" is not a valid stack name/,
      ],
      [['deploy', '', 'staging', 'sha-fff6666', '--digest-file', good], /stack "" is not a valid stack name/],
      [
        ['deploy', 'x'.repeat(200), 'staging', 'sha-fff6666', '--digest-file', good],
        /stack "x{77}\.\.\." is not a valid stack name/,
      ],
      [
        ['deploy', t.stack, 'staging', 'a/b', '--digest-file', good],
        /image_tag "a\/b" is not a valid Docker tag/,
      ],
      [
        ['deploy', t.stack, 'staging', 'a;touch x', '--digest-file', good],
        /image_tag "a;touch x" is not a valid Docker tag/,
      ],
      [
        ['deploy', t.stack, 'staging', 'a\nb', '--digest-file', good],
        /image_tag "a\\nb" is not a valid Docker tag/,
      ],
      [
        ['deploy', t.stack, 'Prod!', 'sha-fff6666', '--digest-file', good],
        /environment "Prod!" is not a valid environment name/,
      ],
      [
        ['deploy', t.stack, 'staging', 'sha-other', '--digest-file', good],
        /\$\.images\.app\.tag: "sha-fff6666" does not equal the requested image_tag "sha-other"/,
      ],
      [
        ['deploy', t.stack, 'staging', 'sha-fff6666', '--digest-file', '/nonexistent.json'],
        /digest_file: \/nonexistent\.json cannot be read/,
      ],
    ];
    // `-p` as a stack name is an unknown option to the parser: also rejected, naming it.
    const dash = await t.cli(['deploy', '-p', 'staging', 'sha-fff6666', '--digest-file', good]);
    assert.equal(dash.code, 2);
    assert.match(dash.stderr, /Unknown option '-p'/);
    const broken = path.join(t.tmp, 'broken.json');
    const m = JSON.parse(readFileSync(good, 'utf8'));
    writeFileSync(
      broken,
      JSON.stringify({ ...m, images: { app: { ...m.images.app, digest: 'sha256:xyz' } } }),
    );
    cases.push([
      ['deploy', t.stack, 'staging', 'sha-fff6666', '--digest-file', broken],
      /\$\.images\.app\.digest: must match/,
    ]);
    const mismatched = path.join(t.tmp, 'mismatch.json');
    writeFileSync(
      mismatched,
      JSON.stringify({
        ...m,
        images: {
          app: { ...m.images.app, ref: m.images.app.ref.replace(/@sha256:.*/, '@sha256:' + 'e'.repeat(64)) },
        },
      }),
    );
    cases.push([
      ['deploy', t.stack, 'staging', 'sha-fff6666', '--digest-file', mismatched],
      /\$\.images\.app\.ref: .* does not end in @sha256:/,
    ]);
    for (const [args, re] of cases) {
      const r = await t.cli(args);
      assert.equal(r.code, 2, `${JSON.stringify(args)} → ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.deepEqual(await snapshot(), before);
    assert.equal((await t.history()).length, historyBefore);
  });

  test('IMAGE_REF and COMPOSE_PROJECT_NAME in the executor environment do not change what is deployed', async () => {
    const img = await t.image('sha-aaa7777');
    const registryArgs = await t.registryArgs();
    const passwordFile = registryArgs.at(-1)!;
    const r = await t.cli(
      ['deploy', t.stack, 'staging', 'sha-aaa7777', '--digest-file', img.manifest, ...registryArgs],
      { IMAGE_REF: 'evil/image:latest', COMPOSE_PROJECT_NAME: 'hijacked', COMPOSE_FILE: '/dev/null' },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await containerImages(t.stack), [img.ref]);
    assert.deepEqual(await allContainers('hijacked'), []);
    assert.equal(existsSync(passwordFile), true, "the operator's password file is read and left alone");
  });
});
