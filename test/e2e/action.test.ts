// Issue 4, acceptance 1, 2, 3, 5, 6, 7, 8: the committed dist/index.js run under Node 24 exactly as
// the Actions runner runs it (action-harness.ts), against a real sshd on 127.0.0.1 whose user has
// passwordless sudo, the real dockerd and an authenticated registry; the server root and the stack
// sources are temp dirs (inputs srv_root, stacks_source; remote_node=/usr/bin/node).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DeployEvent, ResultEvent, StepEvent } from '../../common/events.js';
import { docker, dockerOk, generateKey, httpGet, waitFor } from '../support/sandbox.js';
import {
  filesContaining,
  repoDigests,
  runningImages,
  startDeployServer,
  startTripwire,
  type DeployServer,
  type ServerSnapshot,
  type TestImage,
} from './action-fixture.js';
import {
  defaultContext,
  describeRun,
  runAction,
  startAction,
  type ActionOptions,
  type ActionResult,
} from './action-harness.js';

const CONTEXT = { ...defaultContext(), actor: 'octocat', runId: '4242', repository: 'org/app' };
// Reconnects start after 0.2 s instead of 1 s, so the SSH-cut test does not wait for nothing.
const TEST_ENV = { SEISEI_DEPLOY_TEST_BACKOFF_BASE_MS: '200' };
const STEP_PREFIX = '▶ ';

/** Rows of the HTML tables in a step summary, cells unescaped. */
function summaryTables(html: string): string[][][] {
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map(([, t]) =>
    [...t!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, row]) =>
      [...row!.matchAll(/<t[dh]>([\s\S]*?)<\/t[dh]>/g)].map(([, cell]) => unescape(cell!)),
    ),
  );
}
/** The Field/Value table of a step summary as an object. */
function summaryFields(html: string): Record<string, string> {
  const [fields = []] = summaryTables(html);
  return Object.fromEntries(fields.slice(1).map(([k = '', v = '']) => [k, v]));
}

const runKeyOf = (r: ActionResult) => {
  const key = r.lines.map((l) => /^Run (\S+) started on /.exec(l)?.[1]).find(Boolean);
  assert.ok(key, `no "Run <key> started" line:\n${describeRun(r)}`);
  return key;
};
const tempDirOf = (r: ActionResult) =>
  r.lines.map((l) => /^Uploaded .* to (\/\S+)$/.exec(l)?.[1]).find(Boolean);
const TEMP_DIR = /^\/tmp\/seisei-deploy\.\w+$/;
const stepGroups = (r: ActionResult) =>
  r.groups.filter((g) => g.title.startsWith(STEP_PREFIX)).map((g) => g.title.slice(STEP_PREFIX.length));
const startedSteps = (events: DeployEvent[]) =>
  events.filter((e): e is StepEvent => e.type === 'step' && e.status === 'start').map((e) => e.step);
const resultOf = (events: DeployEvent[]) => events.find((e): e is ResultEvent => e.type === 'result');
const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;
/** The live state of a stack, without the run journals (every run adds one). */
const live = ({ journals: _journals, ...rest }: ServerSnapshot) => rest;

describe('the action (dist/index.js, Node 24, as the runner runs it) against a real server', () => {
  let srv: DeployServer;
  /** A staging stack and a production stack (the executor binds a stack to one environment). */
  let app: { name: string; port: number };
  let prod: { name: string; port: number };
  /** A stack whose `up` takes seconds (httpd ignores SIGTERM; compose waits stop_grace_period). */
  let slow: { name: string; port: number };
  let tripwire: Awaited<ReturnType<typeof startTripwire>>;
  let img1: TestImage;
  let img2: TestImage;
  let img3: TestImage;
  const releases: Record<string, string> = {};

  before(async () => {
    srv = await startDeployServer();
    tripwire = await startTripwire();
    app = await srv.addStack();
    prod = await srv.addStack();
    slow = await srv.addStack({ serviceExtra: 'stop_signal: SIGTERM\nstop_grace_period: 3s' });
    [img1, img2, img3] = await Promise.all([srv.image(), srv.image(), srv.image()]);
  });
  after(async () => {
    await tripwire?.close();
    await srv?.close();
  });

  /** Removes the executor earlier deploys installed, so that the next run must upload one. */
  const forgetInstalledExecutor = () =>
    rmSync(path.join(srv.root, 'releases', 'bin', 'seisei-deploy'), { force: true });
  const run = (inputs: Record<string, string | undefined>, extra: Partial<ActionOptions> = {}) =>
    runAction({ inputs: srv.inputs(inputs), context: CONTEXT, env: TEST_ENV, ...extra });
  const deployInputs = (stack: string, img: TestImage, over: Record<string, string | undefined> = {}) => ({
    stack,
    environment: 'staging',
    image_tag: img.tag,
    digest_file: img.manifestFile,
    ...over,
  });
  const deploy = (
    stack: string,
    img: TestImage,
    over: Record<string, string | undefined> = {},
    extra: Partial<ActionOptions> = {},
  ) => run(deployInputs(stack, img, over), extra);
  /** Inputs that must fail before any connection: host/port point at a listener that counts connections. */
  const offline = (over: Record<string, string | undefined>) => ({
    host: '127.0.0.1',
    port: String(tripwire.port),
    host_key: srv.sshd.hostKeyFingerprint,
    ...over,
  });

  test('deploy to staging: outputs, step summary, one log group per step, state on the server', async () => {
    const r = await deploy(app.name, img1);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(r.errors, [], describeRun(r));
    assert.deepEqual(r.groupProblems, []);

    // outputs
    const o = r.outputs;
    const releaseDir = path.join(srv.root, 'releases', 'stacks', app.name, o.release_id ?? '');
    assert.equal(o.status, 'success');
    assert.match(o.release_id ?? '', new RegExp(`^${img1.tag}__\\d{8}T\\d{6}Z$`));
    assert.equal(o.release_dir, releaseDir);
    assert.equal(o.image_ref, img1.ref);
    assert.equal(o.image_digest, img1.digest);
    assert.equal(o.previous_release_id, '');
    const current = srv.currentManifest(app.name)!;
    assert.deepEqual(JSON.parse(o.manifest ?? ''), current, 'the manifest output is the current manifest');
    assert.deepEqual(
      {
        stack: current.stack,
        env: current.env,
        image_tag: current.image_tag,
        image_ref: current.image_ref,
        image_digest: current.image_digest,
        release_id: current.release_id,
        release_dir: current.release_dir,
        actor: current.actor,
        run_id: current.run_id,
        break_glass: current.break_glass,
        break_glass_reason: current.break_glass_reason,
        git_sha: current.git_sha,
        mode: current.mode,
      },
      {
        stack: app.name,
        env: 'staging',
        image_tag: img1.tag,
        image_ref: img1.ref,
        image_digest: img1.digest,
        release_id: o.release_id,
        release_dir: releaseDir,
        actor: 'octocat', // GITHUB_ACTOR
        run_id: '4242', // GITHUB_RUN_ID
        break_glass: false,
        break_glass_reason: '',
        git_sha: img1.manifest.git_sha,
        mode: 'deploy',
      },
    );
    assert.match(String(current.deployed_at_utc), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // state on the server: symlink, frozen release, history, the container runs the digest
    assert.equal(readlinkSync(path.join(srv.root, 'stacks', app.name)), releaseDir);
    assert.ok(existsSync(path.join(releaseDir, 'docker-compose.yml')));
    assert.ok(
      readFileSync(path.join(releaseDir, '.env'), 'utf8').split('\n').includes(`IMAGE_REF=${img1.ref}`),
    );
    const h = srv.history(app.name);
    assert.equal(h.length, 1);
    assert.deepEqual(
      {
        mode: h[0]!.mode,
        status: h[0]!.status,
        env: h[0]!.env,
        release_id: h[0]!.release_id,
        image_digest: h[0]!.image_digest,
        actor: h[0]!.actor,
        run_id: h[0]!.run_id,
      },
      {
        mode: 'deploy',
        status: 'success',
        env: 'staging',
        release_id: o.release_id,
        image_digest: img1.digest,
        actor: 'octocat',
        run_id: '4242',
      },
    );
    const containers = await runningImages(app.name);
    assert.deepEqual(containers, [{ id: img1.imageId, ref: img1.ref, state: 'running' }]);
    assert.ok(
      (await repoDigests(img1.imageId)).includes(img1.ref),
      'docker inspect: the container image has the digest',
    );
    assert.match((await httpGet(`http://127.0.0.1:${app.port}/health`)).body, new RegExp(`ok ${img1.tag}`));

    // log: the action's phases, then exactly one group per executor step, in the journal's order
    const titles = r.groups.map((g) => g.title);
    for (const phase of [
      'Inputs',
      'Digest manifest',
      `Connect to ${srv.sshd.user}@127.0.0.1:${srv.sshd.port}`,
      'Upload and start the deploy',
    ])
      assert.ok(titles.includes(phase), `group ${phase} in ${titles.join(' | ')}`);
    const journal = srv.journal(app.name, runKeyOf(r));
    const steps = startedSteps(journal);
    assert.deepEqual(stepGroups(r), steps, 'one ::group:: per step, in order');
    for (const s of [
      'lock',
      'validate',
      'gate',
      'safety',
      'solidify',
      'pull',
      'switch',
      'up',
      'smoke',
      'record',
      'unlock',
    ])
      assert.ok(steps.includes(s), `step ${s} ran`);
    for (const g of r.groups.filter((x) => x.title.startsWith(STEP_PREFIX)))
      assert.ok(
        g.lines.some((l) => l.startsWith(`✓ ${g.title.slice(STEP_PREFIX.length)}`)),
        `${g.title} ends with its ✓ line: ${g.lines.join(' / ')}`,
      );
    assert.equal(resultOf(journal)?.status, 'success');

    // step summary
    const f = summaryFields(r.summary);
    assert.match(r.summary, new RegExp(`<h2>seisei-deploy deploy ${app.name} → staging</h2>`));
    assert.equal(f.Stack, app.name);
    assert.equal(f.Environment, 'staging');
    assert.equal(f['Image tag'], img1.tag);
    assert.equal(f['Image digest'], img1.digest);
    assert.equal(f['Image ref'], img1.ref);
    assert.equal(f.Release, o.release_id);
    assert.equal(f.Actor, 'octocat');
    assert.equal(f['Break glass'], 'no');
    assert.equal(f['Break-glass reason'], undefined);
    assert.match(f.Result ?? '', /^✅ success/);
    const [, stepTable = []] = summaryTables(r.summary);
    assert.deepEqual(stepTable[0], ['Step', 'Status', 'Duration']);
    assert.deepEqual(
      stepTable.slice(1).map(([step, status]) => [step, status]),
      steps.map((s) => [s, 'ok']),
    );
    for (const [, , duration] of stepTable.slice(1)) assert.match(duration ?? '', /^\d+(\.\d)? s$/);

    // the private key is masked for the runner, line by line too
    for (const line of srv.sshd.privateKey
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length >= 8))
      assert.ok(r.masks.includes(line), `masked: ${line.slice(0, 12)}...`);

    // the private temp dir on the server is gone
    const tmp = tempDirOf(r);
    assert.match(tmp ?? '', TEMP_DIR);
    assert.equal(existsSync(tmp!), false, `${tmp} removed`);
    releases.first = o.release_id!;
  });

  test('break_glass without a reason is an input error before connecting', async () => {
    const before = await srv.snapshot(prod.name);
    for (const reason of [undefined, '   ']) {
      const r = await run(
        deployInputs(
          prod.name,
          img1,
          offline({ environment: 'production', break_glass: 'true', break_glass_reason: reason }),
        ),
      );
      assert.equal(r.code, 1, describeRun(r));
      assert.deepEqual(r.errors, [
        'break_glass_reason: required (non-blank) when break_glass is true; say why the verification gate is bypassed',
      ]);
      assert.ok(!r.groups.some((g) => g.title.startsWith('Connect to')), 'no connection phase');
      assert.equal(tripwire.connections(), 0, 'nothing connected to the host');
    }
    assert.deepEqual(await srv.snapshot(prod.name), before);
  });

  test('break_glass with a reason deploys to production and records both', async () => {
    const reason = 'outage #12: "login" <broken> & on fire';
    const r = await deploy(prod.name, img2, {
      environment: 'production',
      break_glass: 'true',
      break_glass_reason: reason,
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'success');
    assert.equal(r.outputs.image_digest, img2.digest);
    assert.equal(r.outputs.previous_release_id, '', 'the first release of the production stack');
    assert.ok(r.warnings.includes(`break_glass: the verification gate is bypassed. Reason: ${reason}`));
    const m = srv.currentManifest(prod.name)!;
    assert.deepEqual([m.env, m.break_glass, m.break_glass_reason], ['production', true, reason]);
    assert.deepEqual(JSON.parse(r.outputs.manifest ?? ''), m);
    const h = srv.history(prod.name).at(-1)!;
    assert.deepEqual(
      [h.status, h.env, h.break_glass, h.break_glass_reason, h.release_id],
      ['success', 'production', true, reason, r.outputs.release_id],
    );
    const f = summaryFields(r.summary);
    assert.equal(f['Break glass'], 'yes');
    assert.equal(f['Break-glass reason'], reason);
    assert.deepEqual(await runningImages(prod.name), [{ id: img2.imageId, ref: img2.ref, state: 'running' }]);
    releases.breakGlass = r.outputs.release_id!;
  });

  test('production without a verified marker fails with the exact gate message; nothing changes', async () => {
    const before = await srv.snapshot(prod.name);
    const historyBefore = srv.history(prod.name).length;
    const r = await deploy(prod.name, img1, { environment: 'production' });
    assert.equal(r.code, 1, describeRun(r));
    const msg = `Version not verified: ${srv.root}/releases/verified/${img1.tag} does not exist`;
    assert.ok(r.lines.includes(`::error::${msg}`), describeRun(r));
    assert.deepEqual(r.errors, [msg], 'the gate message is the one annotation, exactly once');
    assert.equal(r.outputs.status, 'failed');
    assert.equal(summaryFields(r.summary).Result, `❌ failed: ${msg}`);
    assert.deepEqual(r.groupProblems, []);
    const gate = r.groups.find((g) => g.title === `${STEP_PREFIX}gate`);
    assert.ok(gate?.lines.some((l) => l.startsWith('✗ gate failed')));
    for (const step of ['solidify', 'pull', 'switch', 'up'])
      assert.ok(!stepGroups(r).includes(step), `${step} did not run`);
    assert.deepEqual(
      live(await srv.snapshot(prod.name)),
      live(before),
      'symlink, manifest, releases, containers unchanged',
    );
    assert.equal(srv.currentManifest(prod.name)?.release_id, releases.breakGlass);
    const h = srv.history(prod.name);
    assert.equal(h.length, historyBefore + 1);
    assert.equal(h.at(-1)!.status, 'failed');
    assert.equal(h.at(-1)!.env, 'production');
  });

  test('a wrong host key is refused before authentication; nothing runs on the server', async () => {
    const other = await generateKey(path.join(srv.tmp, `other-host-key-${Date.now()}`), 'not-the-server');
    const otherPublic = other.publicKey.split(' ').slice(0, 2).join(' ');
    const before = await srv.snapshot(app.name);
    const historyBefore = srv.history().length;
    for (const hostKey of [other.fingerprint, `[127.0.0.1]:${srv.sshd.port} ${otherPublic}`]) {
      const logBefore = srv.sshdLog().length;
      const r = await deploy(app.name, img1, { host_key: hostKey });
      assert.equal(r.code, 1, describeRun(r));
      assert.equal(r.errors.length, 1, describeRun(r));
      assert.equal(
        r.errors[0]!.split(' If the server')[0],
        `Host key verification failed for 127.0.0.1:${srv.sshd.port}: the server presented ssh-ed25519 ${srv.sshd.hostKeyFingerprint}, ` +
          `but host_key pins ${hostKey === other.fingerprint ? '' : 'ssh-ed25519 '}${other.fingerprint}. ` +
          'Refused before authentication: no credentials were sent and nothing ran on the server.',
      );
      assert.deepEqual(r.outputs, { status: 'failed' }, 'no result: only status=failed');
      // sshd saw a connection that ended before authentication, and no accepted key.
      const log = await waitFor('sshd to log the disconnect', async () => {
        const l = srv.sshdLog().slice(logBefore);
        return l.some((x) => /\[preauth\]/.test(x)) && l;
      });
      assert.equal(count(log, /Accepted publickey/), 0, log.join('\n'));
    }
    assert.deepEqual(await srv.snapshot(app.name), before, 'no journal, release, link or container change');
    assert.equal(srv.history().length, historyBefore);
  });

  test('a missing host_key is an input error before connecting', async () => {
    const r = await run(deployInputs(app.name, img1, offline({ host_key: '' })));
    assert.equal(r.code, 1, describeRun(r));
    assert.equal(r.errors.length, 1);
    assert.match(
      r.errors[0]!,
      /^host_key: required \(the server's SSH host key: "SHA256:<base64>" fingerprints or known_hosts lines; host key verification cannot be turned off\)$/,
    );
    assert.ok(!r.groups.some((g) => g.title.startsWith('Connect to')));
    assert.equal(tripwire.connections(), 0);
  });

  test('a wrong private key fails with a clear authentication error', async () => {
    const stranger = await generateKey(path.join(srv.tmp, `stranger-${Date.now()}`), 'stranger');
    const before = await srv.snapshot(app.name);
    const logBefore = srv.sshdLog().length;
    const r = await deploy(app.name, img1, { private_key: readFileSync(stranger.path, 'utf8') });
    assert.equal(r.code, 1, describeRun(r));
    assert.deepEqual(r.errors, [
      `Authentication failed for ${srv.sshd.user}@127.0.0.1:${srv.sshd.port}: check private_key/passphrase and authorized_keys (the server's host key was verified)`,
    ]);
    assert.equal(count(srv.sshdLog().slice(logBefore), /Accepted publickey/), 0);
    assert.deepEqual(await srv.snapshot(app.name), before);
  });

  test('registry credentials from inputs: a real pull from the authenticated registry; the password is nowhere', async () => {
    const { registry } = srv;
    // Without the image locally, a pull must happen; without credentials it is refused.
    await dockerOk(['image', 'rm', '--force', '--no-prune', img3.imageId]);
    assert.notEqual((await docker(['image', 'inspect', img3.imageId])).code, 0, 'image removed locally');
    const before = await srv.snapshot(app.name);
    const denied = await deploy(app.name, img3);
    assert.equal(denied.code, 1, describeRun(denied));
    assert.equal(denied.outputs.status, 'failed');
    assert.match(denied.errors.join('\n'), /pulling the images .* failed .*no basic auth credentials/);
    const afterDenied = await srv.snapshot(app.name);
    assert.deepEqual(
      [afterDenied.link, afterDenied.manifest, afterDenied.containers],
      [before.link, before.manifest, before.containers],
      'a failed pull changes nothing live',
    );

    forgetInstalledExecutor(); // an upload, so that its temp dir is among the places checked
    const r = await deploy(app.name, img3, {
      registry: registry.host,
      registry_username: registry.user,
      registry_password: registry.password,
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'success');
    assert.equal(r.outputs.previous_release_id, releases.first);
    const pull = r.groups.find((g) => g.title === `${STEP_PREFIX}pull`);
    assert.ok(pull?.lines.includes('Login Succeeded'), pull?.lines.join('\n'));
    assert.ok(!pull?.lines.some((l) => /nothing to pull/.test(l)), 'the image was pulled');
    assert.ok((await repoDigests(img3.imageId)).includes(img3.ref), 'pulled by digest');
    assert.deepEqual(await runningImages(app.name), [{ id: img3.imageId, ref: img3.ref, state: 'running' }]);

    // The password: masked for the runner, never printed, never left in a file.
    const secrets = [
      registry.password,
      Buffer.from(`${registry.user}:${registry.password}`).toString('base64'),
    ];
    assert.ok(r.masks.includes(registry.password), 'registry_password is masked with ::add-mask::');
    for (const res of [denied, r]) {
      const leaks = res.visibleLines.filter((l) => secrets.some((s) => l.includes(s)));
      assert.deepEqual(leaks, [], 'no log line holds the password');
      assert.ok(
        !JSON.stringify(res.outputs).includes(registry.password) && !res.summary.includes(registry.password),
      );
    }
    const home = `/home/${srv.sshd.user}`;
    const files = (await filesContaining(secrets, [srv.root, '/tmp', home, '/root/.docker'])).filter(
      // The test registry's own htpasswd/login of the image pushes (test setup, not the server).
      (f) => !f.startsWith(registry.dir + '/'),
    );
    assert.deepEqual(files, [], 'no file under the server root, /tmp or the user home holds the password');
    const tmp = tempDirOf(r);
    assert.match(tmp ?? '', TEMP_DIR, describeRun(r));
    assert.equal(existsSync(tmp!), false, `${tmp} removed`);
    releases.pulled = r.outputs.release_id!;
  });

  test('verify writes a digest-bound marker and sets the outputs; production then passes the gate', async () => {
    const v = await run({ mode: 'verify', image_tag: img1.tag, digest_file: img1.manifestFile });
    assert.equal(v.code, 0, describeRun(v));
    assert.equal(v.outputs.status, 'success');
    const markerFile = path.join(srv.root, 'releases', 'verified', img1.tag);
    const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(JSON.parse(v.outputs.manifest ?? ''), marker);
    assert.deepEqual(marker.digests, { app: img1.digest });
    assert.equal(marker.image_tag, img1.tag);
    assert.equal(marker.verified_by, 'octocat');
    assert.equal(marker.note, 'verified by https://github.com/org/app/actions/runs/4242');
    assert.match(summaryFields(v.summary).Result ?? '', /^✅ success/);

    const r = await deploy(prod.name, img1, { environment: 'production' });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'success');
    assert.equal(r.outputs.previous_release_id, releases.breakGlass);
    const m = srv.currentManifest(prod.name)!;
    assert.deepEqual(
      [m.env, m.gate, m.image_digest, m.break_glass],
      ['production', 'verified', img1.digest, false],
    );
    releases.verified = r.outputs.release_id!;
  });

  test('rollback goes back one successful release and sets the outputs', async () => {
    const r = await run({ mode: 'rollback', stack: prod.name, environment: 'production' });
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(r.groupProblems, []);
    const o = r.outputs;
    assert.equal(o.status, 'success');
    assert.equal(o.release_id, releases.breakGlass, 'the newest successful release before the live one');
    assert.equal(o.previous_release_id, releases.verified);
    assert.equal(o.image_digest, img2.digest);
    assert.equal(o.image_ref, img2.ref);
    const dir = path.join(srv.root, 'releases', 'stacks', prod.name, releases.breakGlass!);
    assert.equal(o.release_dir, dir);
    assert.equal(readlinkSync(path.join(srv.root, 'stacks', prod.name)), dir);
    const m = srv.currentManifest(prod.name)!;
    assert.deepEqual(JSON.parse(o.manifest ?? ''), m);
    assert.equal(m.mode, 'rollback');
    assert.equal(m.release_id, releases.breakGlass);
    const h = srv.history(prod.name).at(-1)!;
    assert.deepEqual([h.mode, h.status, h.release_id], ['rollback', 'success', releases.breakGlass]);
    assert.deepEqual(await runningImages(prod.name), [{ id: img2.imageId, ref: img2.ref, state: 'running' }]);
    assert.deepEqual(stepGroups(r), startedSteps(srv.journal(prod.name, runKeyOf(r))));
    assert.match(r.summary, new RegExp(`<h2>seisei-deploy rollback ${prod.name} → production</h2>`));
    // Earlier deploys installed this very build: it is run from there, not uploaded again.
    assert.ok(
      r.lines.some((l) =>
        l.includes(`Using the executor installed at ${srv.root}/releases/bin/seisei-deploy`),
      ),
      describeRun(r),
    );
  });

  test('status reports the live release of a stack (outputs) and of every stack (summary)', async () => {
    const one = await run({ mode: 'status', stack: prod.name });
    assert.equal(one.code, 0, describeRun(one));
    const o = one.outputs;
    assert.equal(o.status, 'success');
    assert.equal(o.release_id, releases.breakGlass);
    assert.equal(o.image_digest, img2.digest);
    assert.equal(o.image_ref, img2.ref);
    assert.equal(o.previous_release_id, releases.verified);
    const report = JSON.parse(o.manifest ?? '') as {
      stacks: { stack: string; consistent: boolean; live_release: string }[];
    };
    const entry = report.stacks.find((s) => s.stack === prod.name);
    assert.deepEqual([entry?.consistent, entry?.live_release], [true, releases.breakGlass]);

    const all = await run({ mode: 'status' });
    assert.equal(all.code, 0, describeRun(all));
    const rows = summaryTables(all.summary)[0] ?? [];
    assert.deepEqual(rows[0], [
      'Stack',
      'Environment',
      'Live release',
      'Image digest',
      'Deployed',
      'Actor',
      'Provenance',
      'Consistent',
    ]);
    const byStack = (name: string) => rows.find((row) => row[0] === name);
    assert.deepEqual(byStack(app.name)?.slice(0, 4), [app.name, 'staging', releases.pulled, img3.digest]);
    assert.deepEqual(byStack(prod.name)?.slice(0, 4), [
      prod.name,
      'production',
      releases.breakGlass,
      img2.digest,
    ]);
    assert.deepEqual([byStack(app.name)?.[7], byStack(prod.name)?.[7]], ['yes', 'yes']);
    const report2 = JSON.parse(all.outputs.manifest ?? '') as { stacks: { stack: string }[] };
    assert.deepEqual(
      report2.stacks
        .map((x) => x.stack)
        .filter((x) => x === app.name || x === prod.name)
        .sort(),
      [app.name, prod.name].sort(),
    );
    assert.equal(all.outputs.release_id, '', 'no stack given: no single release');
  });

  test('SSH cut in the middle of `up`: the deploy finishes on the server; the action reconnects and reports it', async () => {
    const first = await deploy(slow.name, img1); // a running container, so the next `up` has to stop it
    assert.equal(first.code, 0, describeRun(first));

    let killed = -1;
    let atCut: DeployEvent[] = [];
    const r = await deploy(
      slow.name,
      img2,
      {},
      {
        hooks: [
          {
            match: `::group::${STEP_PREFIX}up`,
            run: async (ctl) => {
              killed = await srv.sshd.killSessions();
              const key = ctl.lines.map((l) => /^Run (\S+) started on /.exec(l)?.[1]).find(Boolean)!;
              atCut = srv.journal(slow.name, key);
            },
          },
        ],
      },
    );
    assert.ok(killed > 0, `sshd sessions killed when up started (${killed})`);
    const upAtCut = atCut
      .filter((e): e is StepEvent => e.type === 'step' && e.step === 'up')
      .map((e) => e.status);
    assert.deepEqual(upAtCut, ['start'], 'the cut happened while up was running');

    assert.equal(r.code, 0, describeRun(r));
    assert.ok(
      r.warnings.some((w) => /^Following the run on 127\.0\.0\.1 was interrupted/.test(w)),
      describeRun(r),
    );
    assert.ok(
      r.lines.some((l) => l.startsWith(`Reconnected to ${srv.sshd.user}@127.0.0.1:${srv.sshd.port}`)),
    );
    const m = srv.currentManifest(slow.name)!;
    const journal = srv.journal(slow.name, runKeyOf(r));
    assert.equal(resultOf(journal)?.status, 'success');
    assert.equal(r.outputs.status, 'success');
    assert.equal(r.outputs.release_id, m.release_id, 'the outputs report what is live on the server');
    assert.equal(r.outputs.image_digest, img2.digest);
    assert.equal(m.image_digest, img2.digest);
    assert.equal(srv.history(slow.name).at(-1)?.release_id, m.release_id);
    assert.deepEqual(await runningImages(slow.name), [{ id: img2.imageId, ref: img2.ref, state: 'running' }]);
    // Resumed from the byte offset: every step shown once, nothing repeated or lost.
    assert.deepEqual(stepGroups(r), startedSteps(journal));
    assert.equal(count(r.lines, /^✓ up /), 1);
    assert.deepEqual(r.groupProblems, []);
  });

  test('SIGTERM to the action during a deploy: it stops following; the deploy completes on the server', async () => {
    // The run is then still using its uploaded executor: the temp dir goes only when the run ends.
    forgetInstalledExecutor();
    const running = await startAction({
      inputs: srv.inputs(
        deployInputs(slow.name, img3, {
          registry: srv.registry.host,
          registry_username: srv.registry.user,
          registry_password: srv.registry.password,
        }),
      ),
      context: CONTEXT,
      env: TEST_ENV,
      hooks: [{ match: `::group::${STEP_PREFIX}up`, run: (ctl) => ctl.kill('SIGTERM') }],
    });
    const r = await running.done;
    const key = runKeyOf(r);
    assert.equal(r.code, 1, describeRun(r));
    assert.equal(
      resultOf(srv.journal(slow.name, key)),
      undefined,
      'the action exited before the deploy ended',
    );
    assert.equal(r.outputs.status, 'unknown');
    assert.ok(
      r.warnings.some((w) => w.startsWith('Received SIGTERM')),
      describeRun(r),
    );
    assert.ok(
      r.errors.some(
        (e) =>
          e.startsWith('The job was cancelled: stopped following. The deploy continues on the server') &&
          e.includes(key),
      ),
      describeRun(r),
    );

    const result = await waitFor(
      'the deploy to finish on the server',
      async () => resultOf(srv.journal(slow.name, key)),
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(result.status, 'success', JSON.stringify(result));
    const m = srv.currentManifest(slow.name)!;
    assert.equal(m.release_id, result.release_id);
    assert.equal(m.image_digest, img3.digest);
    const h = srv.history(slow.name).at(-1)!;
    assert.deepEqual([h.status, h.release_id], ['success', result.release_id]);
    assert.deepEqual(await runningImages(slow.name), [{ id: img3.imageId, ref: img3.ref, state: 'running' }]);
    // The temp dir is removed once the executor has ended (the delayed cleanup on the server).
    const tmp = tempDirOf(r);
    assert.match(tmp ?? '', TEMP_DIR, describeRun(r));
    assert.ok(
      r.lines.some((l) => l.startsWith(`${tmp} on 127.0.0.1 will be removed when the run (pid `)),
      describeRun(r),
    );
    await waitFor(`${tmp} to be removed`, async () => !existsSync(tmp!), { timeoutMs: 30_000 });
  });
});
