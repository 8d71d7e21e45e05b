// A deploy user whose sudo allows only the installed executor (the narrow rule of
// docs/server-setup.md section 4, read from the doc): deploys, rolls back, verifies and reads status
// through the committed action, and cannot make the executor run or read anything as root that it
// could not itself (real sshd, sudo, dockerd and registry; attacks run as that user via runuser).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  REPO_ROOT,
  freePort,
  removeComposeProject,
  run,
  runOk,
  serverNode,
  writeSampleStack,
} from '../support/sandbox.js';
import { startDeployServer, type DeployServer, type TestImage } from './action-fixture.js';
import { defaultContext, describeRun, runAction, type ActionResult } from './action-harness.js';

const USER = 'seisei-exec';
const REMOTE_CJS = path.join(REPO_ROOT, 'dist', 'remote.cjs');
const DOC = path.join(REPO_ROOT, 'docs', 'server-setup.md');

/** The one sudoers line of the doc that allows the installed executor, for USER and `root`. */
function narrowRuleFromDoc(root: string): string {
  const rules = readFileSync(DOC, 'utf8')
    .split('\n')
    .filter((l) => /^\S+ ALL=\(root\) NOPASSWD: \S+\/releases\/bin\/seisei-deploy$/.test(l));
  assert.equal(rules.length, 1, `expected exactly one narrow sudoers rule in ${DOC}, found ${rules.length}`);
  const m = /^(\S+) ALL=\(root\) NOPASSWD: (\S+)\/releases\/bin\/seisei-deploy$/.exec(rules[0]!)!;
  assert.equal(m[2], '/srv', 'the documented rule names the default srv_root');
  return `${USER} ALL=(root) NOPASSWD: ${root}/releases/bin/seisei-deploy`;
}

const asUser = (args: string[], input?: string) =>
  run('runuser', ['-u', USER, '--', ...args], { cwd: '/', timeoutMs: 30_000, ...(input ? { input } : {}) });

describe('a deploy user whose sudo allows only the installed executor', () => {
  let srv: DeployServer;
  let exe: string;
  let app: { name: string; port: number };
  let img1: TestImage;
  let img2: TestImage;
  /** A directory the deploy user owns, for its attacks. */
  let evil: string;
  const tag = randomBytes(4).toString('hex');
  const pwned = `/root/seisei-pwned-${tag}`;
  const secret = `/root/seisei-secret-${tag}`;
  const secretText = `SECRET-${randomBytes(8).toString('hex')}`;
  const extraProjects: string[] = [];

  before(async () => {
    // The rule names srv_root, which only exists once the server is started: start, then narrow it.
    srv = await startDeployServer({ sshd: { user: USER } });
    exe = path.join(srv.root, 'releases', 'bin', 'seisei-deploy');
    const rule = narrowRuleFromDoc(srv.root);
    const tmp = `/etc/sudoers.d/.seisei-exec-${process.pid}.tmp`;
    await writeFile(tmp, rule + '\n', { mode: 0o440 });
    await runOk('visudo', ['-c', '-q', '-f', tmp]);
    await runOk('mv', [tmp, `/etc/sudoers.d/seisei-test-${USER}`]);
    await chmod(srv.tmp, 0o755); // the deploy user reads the installed file's sha256 as itself
    // The administrator installs the executor once.
    const installed = await runOk(serverNode(), [REMOTE_CJS, 'install', '--root', srv.root]);
    assert.match(installed.stdout, /installed .*releases\/bin\/seisei-deploy/);
    app = await srv.addStack();
    [img1, img2] = await Promise.all([srv.image(), srv.image()]);
    evil = `/home/${USER}/evil-${tag}`;
    await mkdir(path.join(evil, 'srv'), { recursive: true });
    await writeFile(path.join(evil, 'digests.json'), img1.manifestText);
    await writeFile(secret, secretText + '\n', { mode: 0o600 });
  });
  after(async () => {
    for (const p of extraProjects) await removeComposeProject(p).catch(() => undefined);
    await rm(evil, { recursive: true, force: true }).catch(() => undefined);
    await rm(secret, { force: true });
    await rm(pwned, { force: true });
    await srv?.close();
    await rm(`/etc/sudoers.d/seisei-test-${USER}`, { force: true }); // the rule names this run's temp root
  });

  const act = (inputs: Record<string, string | undefined>) =>
    runAction({ inputs: srv.inputs(inputs), context: defaultContext() });
  const deployInputs = (img: TestImage) => ({
    stack: app.name,
    environment: 'staging',
    image_tag: img.tag,
    digest_file: img.manifestFile,
  });
  const ok = (r: ActionResult) => assert.equal(r.code, 0, describeRun(r));
  /** Hands `evil` (and everything below) to the deploy user. */
  const giveToUser = () => runOk('chown', ['-R', `${USER}:${USER}`, evil]);

  test('sudo refuses it everything but the executor', async () => {
    for (const cmd of [
      ['true'],
      ['/usr/bin/node', '-e', `require('fs').writeFileSync('${pwned}', '')`],
      ['/usr/bin/docker', 'version'],
      ['/bin/sh', '-c', `touch ${pwned}`],
    ]) {
      const res = await asUser(['sudo', '-n', ...cmd]);
      assert.notEqual(res.code, 0, `sudo -n ${cmd.join(' ')} was allowed: ${res.stdout}`);
      assert.match(res.stderr, /password is required|not allowed/);
    }
    assert.equal(existsSync(pwned), false);
    const allowed = await asUser(['sudo', '-n', '-l', exe]);
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  test('deploys, rolls back, verifies and reads status through the action, uploading nothing', async () => {
    const first = await act(deployInputs(img1));
    ok(first);
    assert.ok(
      first.lines.some((l) => l.includes(`Using the executor installed at ${exe}`)),
      describeRun(first),
    );
    assert.ok(!first.lines.some((l) => /^Uploaded /.test(l)), 'nothing is uploaded');
    const second = await act(deployInputs(img2));
    ok(second);
    assert.equal(srv.currentManifest(app.name)?.image_tag, img2.tag);

    const back = await act({ mode: 'rollback', stack: app.name, environment: 'staging' });
    ok(back);
    assert.equal(srv.currentManifest(app.name)?.image_tag, img1.tag);

    const verified = await act({ mode: 'verify', image_tag: img1.tag, digest_file: img1.manifestFile });
    ok(verified);
    const marker = JSON.parse(
      readFileSync(path.join(srv.root, 'releases', 'verified', img1.tag), 'utf8'),
    ) as {
      digests: Record<string, string>;
    };
    assert.deepEqual(marker.digests, { app: img1.digest });

    const status = await act({ mode: 'status', stack: app.name });
    ok(status);
    assert.equal(status.outputs.release_id, srv.currentManifest(app.name)?.release_id);
    const history = srv.history(app.name).map((h) => `${h.mode}:${h.status}`);
    assert.deepEqual(history, ['deploy:success', 'deploy:success', 'rollback:success']);
  });

  test('another installed build stops the run with the upgrade command, or runs with executor_mismatch: use-installed', async () => {
    const other = path.join(srv.tmp, 'other-build', 'remote.cjs');
    await mkdir(path.dirname(other), { recursive: true });
    await copyFile(REMOTE_CJS, other);
    await appendFile(other, '\n// another build\n');
    try {
      await runOk(serverNode(), [other, 'install', '--root', srv.root]);
      const refused = await act({ mode: 'status', stack: app.name });
      assert.equal(refused.code, 1, describeRun(refused));
      const msg = refused.errors.join('\n');
      assert.match(msg, /is another build/);
      assert.ok(msg.includes(`sudo node remote.cjs install --root ${srv.root}`), msg);
      const used = await act({ mode: 'status', stack: app.name, executor_mismatch: 'use-installed' });
      ok(used);
      assert.ok(
        used.lines.some((l) => l.includes('executor_mismatch: use-installed')),
        describeRun(used),
      );
    } finally {
      await runOk(serverNode(), [REMOTE_CJS, 'install', '--root', srv.root]);
    }
  });

  test('a --root it owns is refused before anything runs (the hook of its compose file would run as root)', async () => {
    const name = `evil-${tag}`;
    extraProjects.push(name);
    await writeSampleStack(path.join(evil, 'stacks', name), {
      port: await freePort(),
      hooks: { pre_deploy: ['sh', '-c', `touch ${pwned}`] },
    });
    await giveToUser();
    const evilRoot = path.join(evil, 'srv');
    const common = [name, 'staging', img1.tag, '--digest-file', path.join(evil, 'digests.json')];
    for (const args of [
      ['deploy', ...common, '--root', evilRoot, '--source', path.join(evil, 'stacks')],
      ['deploy', ...common, `--root=${evilRoot}`, `--source=${path.join(evil, 'stacks')}`],
    ]) {
      const res = await asUser(['sudo', '-n', exe, ...args]);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stdout}${res.stderr}`);
      assert.match(
        res.stderr,
        new RegExp(`--root \\(srv_root\\): /home/${USER} is owned by uid \\d+, not root`),
      );
      assert.match(res.stderr, /chown root:root/);
    }
    // The same through `run -`, the action's way in.
    const request = {
      command: 'deploy',
      stack: name,
      env: 'staging',
      image_tag: img1.tag,
      digest_file: '/dev/stdin',
      root: evilRoot,
      source: path.join(evil, 'stacks'),
    };
    const envelope = JSON.stringify({ request, digest_manifest: img1.manifestText });
    const viaRun = await asUser(['sudo', '-n', exe, 'run', '-'], envelope);
    assert.equal(viaRun.code, 2, viaRun.stdout + viaRun.stderr);
    assert.equal(existsSync(pwned), false, 'the hook ran as root');
    assert.equal(
      existsSync(path.join(evilRoot, 'releases')),
      false,
      'nothing was written under the refused root',
    );
  });

  test('a root-only file linked from a --root it owns is not read (follow)', async () => {
    const runs = path.join(evil, 'srv2', 'releases', 'runs', 'app');
    await mkdir(runs, { recursive: true });
    await symlink(secret, path.join(runs, 'k1.jsonl'));
    await giveToUser();
    const res = await asUser(['sudo', '-n', exe, 'follow', 'app', 'k1', `--root=${path.join(evil, 'srv2')}`]);
    assert.ok(!(res.stdout + res.stderr).includes(secretText), 'the secret was printed');
    assert.equal(res.code, 2, res.stdout + res.stderr);
  });

  test('a stack source the user can write is refused (its hook would run as root)', async () => {
    const name = `writable-${tag}`;
    extraProjects.push(name);
    const dir = path.join(srv.source, name);
    await writeSampleStack(dir, {
      port: await freePort(),
      hooks: { pre_deploy: ['sh', '-c', `touch ${pwned}`] },
    });
    await runOk('chown', ['-R', `${USER}:${USER}`, dir]);
    await giveToUser();
    const res = await asUser([
      'sudo',
      '-n',
      exe,
      'deploy',
      name,
      'staging',
      img1.tag,
      '--digest-file',
      path.join(evil, 'digests.json'),
      '--root',
      srv.root,
      '--source',
      srv.source,
    ]);
    assert.equal(res.code, 2, res.stdout + res.stderr);
    assert.match(
      res.stderr,
      new RegExp(`--source \\(stacks_source\\): ${dir} is owned by uid \\d+, not root`),
    );
    assert.equal(existsSync(pwned), false, 'the hook ran as root');
    assert.equal(existsSync(path.join(srv.root, 'releases', 'stacks', name)), false);
  });

  test('request, digest and password files naming root-only files are refused without reading them', async () => {
    const shadowStart = readFileSync('/etc/shadow', 'utf8').slice(0, 12);
    const attempts = [
      ['run', '/etc/shadow'],
      ['verify', img1.tag, '--digest-file', '/etc/shadow', '--root', srv.root],
      ['verify', img1.tag, '--digest-file', secret, '--root', srv.root],
    ];
    for (const args of attempts) {
      const res = await asUser(['sudo', '-n', exe, ...args]);
      const out = res.stdout + res.stderr;
      assert.equal(res.code, 2, `${args.join(' ')}: ${out}`);
      assert.ok(
        !out.includes(shadowStart) && !out.includes(secretText),
        `${args.join(' ')} printed the file: ${out}`,
      );
      assert.match(res.stderr, new RegExp(`cannot be read by ${USER}`));
    }
    // `run -` naming the file instead of sending it.
    const request = {
      command: 'deploy',
      stack: app.name,
      env: 'staging',
      image_tag: img1.tag,
      digest_file: secret,
      root: srv.root,
      source: srv.source,
    };
    const viaRun = await asUser(['sudo', '-n', exe, 'run', '-'], JSON.stringify({ request }));
    assert.equal(viaRun.code, 2, viaRun.stdout + viaRun.stderr);
    assert.ok(!(viaRun.stdout + viaRun.stderr).includes(secretText));
    // A password file is read (and, before, deleted) by the run: a root-only file must stay.
    await giveToUser();
    const pw = await asUser([
      'sudo',
      '-n',
      exe,
      'deploy',
      app.name,
      'staging',
      img1.tag,
      '--digest-file',
      path.join(evil, 'digests.json'),
      '--registry',
      srv.registry.host,
      '--registry-username',
      'someone',
      '--registry-password-file',
      secret,
      '--root',
      srv.root,
      '--source',
      srv.source,
    ]);
    assert.equal(pw.code, 2, pw.stdout + pw.stderr);
    assert.equal(
      readFileSync(secret, 'utf8'),
      secretText + '\n',
      'the root-only file was deleted or changed',
    );
  });

  test('a request through sudo cannot turn the production gate off (gated_envs)', async () => {
    const prod = await srv.addStack();
    extraProjects.push(prod.name);
    const request = {
      command: 'deploy',
      stack: prod.name,
      env: 'production',
      image_tag: img2.tag,
      digest_file: '/dev/stdin',
      gated_envs: [],
      root: srv.root,
      source: srv.source,
    };
    const res = await asUser(
      ['sudo', '-n', exe, 'run', '-'],
      JSON.stringify({ request, digest_manifest: img2.manifestText }),
    );
    assert.equal(res.code, 2, res.stdout + res.stderr);
    assert.match(
      res.stderr,
      /gated_envs: a request run through sudo by seisei-exec may not change which environments are gated/,
    );
    assert.equal(srv.currentManifest(prod.name), undefined, 'an unverified tag went live in production');
  });

  test('option values that look like options are refused', async () => {
    for (const args of [
      ['status', '--root=-x'],
      ['deploy', '--', `--root=${evil}`, 'staging', img1.tag],
    ]) {
      const res = await asUser(['sudo', '-n', exe, ...args]);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stdout}${res.stderr}`);
    }
  });
});
