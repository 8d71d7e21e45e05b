// Attacks on the executor through the file system and its inputs, run against the committed
// dist/remote.cjs as root with a real dockerd and an authenticated registry: a second, unprivileged
// local user plants entries in /tmp; stack sources hold links; a compose file holds a secret.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { httpGet } from '../support/sandbox.js';
import { containerImages, digestManifest, startTarget, type Target } from './fixture.js';

const ATTACKER = 'seisei-attacker';

/** The unprivileged local user of the attacks (created once, no home directory). */
function ensureAttacker(): void {
  if (spawnSync('id', ['-u', ATTACKER]).status === 0) return;
  const r = spawnSync('useradd', ['-M', '-r', '-s', '/usr/sbin/nologin', ATTACKER], { encoding: 'utf8' });
  assert.equal(r.status, 0, `useradd ${ATTACKER}: ${r.stderr}`);
}

/** Runs a shell script as the attacker; throws with its stderr when it fails. */
function asAttacker(script: string): void {
  const r = spawnSync('runuser', ['-u', ATTACKER, '--', 'sh', '-ec', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, `as ${ATTACKER}: ${script}\n${r.stderr}`);
}

/** A pid no process has now. */
function deadPid(): number {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = max - 1; pid > 1; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free pid');
}

/** Every file and link below `dir`, with its type and contents: what "untouched" compares. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push(`${p} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`${p}/`);
        walk(p);
      } else out.push(`${p}: ${readFileSync(p, 'utf8')}`);
    }
  };
  walk(dir);
  return out;
}

describe('file-system attacks on the executor', () => {
  let t: Target;
  before(async () => {
    ensureAttacker();
    t = await startTarget();
  });
  after(async () => t?.close());

  const live = (stack = t.stack) => path.join(t.root, 'stacks', stack);
  const liveState = async (stack = t.stack) => ({
    link: existsSync(live(stack)) ? readlinkSync(live(stack)) : '',
    manifest: JSON.stringify(await t.manifest(stack)),
    images: (await containerImages(stack)).join(','),
  });

  test('a /tmp entry planted by another user with a link to a victim directory is neither scanned nor deleted by a deploy with registry credentials', async () => {
    // A shared temp dir like /tmp (world-writable, sticky) that is the executor's TMPDIR: the real
    // /tmp of this machine is also scanned by other test runs, which would race for the entry.
    const shared = mkdtempSync(path.join(tmpdir(), 'seisei-shared-tmp-'));
    chmodSync(shared, 0o1777);
    const victim = path.join(t.tmp, 'victim');
    const planted = path.join(shared, `seisei-docker-${deadPid()}-x`);
    mkdirSync(path.join(victim, 'volumes'), { recursive: true });
    writeFileSync(path.join(victim, 'volumes', 'db'), 'precious\n');
    try {
      asAttacker(
        `mkdir ${planted} ${planted}/inner; echo a > ${planted}/inner/f; echo b > ${planted}/g; ln -s ${victim} ${planted}/victim; ln -s ${victim}/volumes ${planted}/inner/volumes`,
      );
      const victimBefore = tree(victim);
      const plantedBefore = tree(planted);
      const img = await t.image('sha-tmp1111');
      const r = await t.cli(
        [
          'deploy',
          t.stack,
          'staging',
          'sha-tmp1111',
          '--digest-file',
          img.manifest,
          ...(await t.registryArgs()),
        ],
        { TMPDIR: shared },
      );
      assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
      assert.equal(r.result?.status, 'success');
      assert.deepEqual(tree(victim), victimBefore, 'the victim directory is untouched');
      assert.deepEqual(tree(planted), plantedBefore, "the other user's entry is untouched");
      // The run's private DOCKER_CONFIG lived in the stack's root-owned runs dir and is gone.
      const runs = path.join(t.root, 'releases', 'runs', t.stack);
      assert.deepEqual(
        readdirSync(runs).filter((n) => n.startsWith('docker-config-')),
        [],
        'the private docker config is removed',
      );
      assert.equal(statSync(runs).mode & 0o022, 0, 'the runs dir is writable by root only');
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  test("the operator's --registry-password-file is read for the login and left where it is", async () => {
    const r = await t.deploy('sha-pwd2222');
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const files = readdirSync(t.tmp).filter((n) => n.startsWith('registry-password-'));
    assert.ok(files.length >= 2, files.join(','));
    for (const f of files) assert.equal(readFileSync(path.join(t.tmp, f), 'utf8'), t.registry.password);
  });

  test('a .env linked to a secrets file outside the stack directory is refused and the file is unchanged', async () => {
    const stack = `${t.stack}-envlink`;
    await t.addStack(stack);
    const env = path.join(t.source, stack, '.env');
    const secrets = path.join(t.tmp, 'secrets.env');
    writeFileSync(secrets, readFileSync(env, 'utf8') + 'DB_PASSWORD=hunter2\n', { mode: 0o600 });
    const secretsBefore = readFileSync(secrets, 'utf8');
    unlinkSync(env);
    symlinkSync(secrets, env);
    const before = await liveState(stack);
    const r = await t.deploy('sha-env3333', 'staging', [], stack);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.result!.msg, new RegExp(`${stack}/\\.env must be a regular file, not a symbolic link`));
    assert.equal(readFileSync(secrets, 'utf8'), secretsBefore, 'the outside file is not rewritten');
    assert.deepEqual(await liveState(stack), before, 'nothing live changed');
    const releases = path.join(t.root, 'releases', 'stacks', stack);
    assert.deepEqual(existsSync(releases) ? readdirSync(releases) : [], [], 'no release, no temp dir');
  });

  test('links that stay inside the stack directory are kept, as relative links, and the deploy works', async () => {
    const stack = `${t.stack}-inlink`;
    const port = await t.addStack(stack);
    const src = path.join(t.source, stack);
    symlinkSync('config/app.conf', path.join(src, 'app.conf'));
    symlinkSync(path.join(src, 'config'), path.join(src, 'settings'));
    const r = await t.deploy('sha-in44444', 'staging', [], stack);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const dir = readlinkSync(live(stack));
    assert.equal(readlinkSync(path.join(dir, 'app.conf')), 'config/app.conf');
    assert.equal(readlinkSync(path.join(dir, 'settings')), 'config');
    assert.ok(lstatSync(path.join(dir, '.env')).isFile());
    assert.equal((await httpGet(`http://127.0.0.1:${port}/health`)).status, 200);
  });

  test('a relative link escaping the stack directory is refused by name and nothing is created beside the releases', async () => {
    const stack = `${t.stack}-escape`;
    await t.addStack(stack);
    symlinkSync('../../x', path.join(t.source, stack, 'config', 'escape'));
    const r = await t.deploy('sha-esc5555', 'staging', [], stack);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.result!.msg, /config\/escape is a symbolic link to "\.\.\/\.\.\/x", which leads outside/);
    const releases = path.join(t.root, 'releases', 'stacks', stack);
    assert.deepEqual(existsSync(releases) ? readdirSync(releases) : [], []);
  });

  test('a compose file with a secret and a YAML error: the failure says line and column, and neither the log nor the 0640 history holds the secret', async () => {
    const stack = `${t.stack}-yaml`;
    const secret = 'pa55-never-print-me';
    await t.addStack(stack, { serviceExtra: `environment:\n  DB_PASSWORD: "${secret}"\n OTHER: x` });
    const r = await t.deploy('sha-yam6666', 'staging', [], stack);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.result!.msg,
      /docker-compose\.yml is not valid YAML: line \d+, column \d+: .+ \([A-Z_]+\)/,
    );
    assert.ok(!(r.stdout + r.stderr).includes(secret), 'the run output does not hold the secret');
    const history = path.join(t.root, 'releases', 'deploy_history.log');
    const last = (await t.history()).filter((h) => h.stack === stack).at(-1)!;
    assert.match(last.error, /line \d+, column \d+/);
    assert.ok(!readFileSync(history, 'utf8').includes(secret), 'the history does not hold the secret');
    assert.equal(statSync(history).mode & 0o777, 0o640);
  });

  test('an image named constructor deploys; IMAGE_REF=constructor without such an image is refused as bad input', async () => {
    const stack = `${t.stack}-ctor`;
    const port = await t.addStack(stack);
    const img = await t.image('sha-ctr7777');
    const file = path.join(t.tmp, 'digests-constructor.json');
    writeFileSync(file, JSON.stringify(digestManifest('sha-ctr7777', { constructor: img })));
    const before = await liveState(stack);
    const bad = await t.cli([
      'deploy',
      stack,
      'staging',
      'sha-ctr7777',
      '--digest-file',
      img.manifest,
      '--images',
      'IMAGE_REF=constructor',
    ]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(
      bad.stderr,
      /IMAGE_REF=constructor names an image that is not in the manifest \(it has: app\)/,
    );
    assert.deepEqual(await liveState(stack), before);
    const r = await t.cli(['deploy', stack, 'staging', 'sha-ctr7777', '--digest-file', file]);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    assert.deepEqual(await containerImages(stack), [img.ref]);
    assert.equal((await httpGet(`http://127.0.0.1:${port}/health`)).status, 200);
  });
});
