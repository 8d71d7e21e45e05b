// Smoke failures roll back by themselves; pull failures stop before
// anything live changes. Images are removed locally where a real pull must happen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import {
  CGI_HEALTH_PATH,
  buildAndPush,
  docker,
  dockerOk,
  httpGet,
  type AppVariant,
} from '../support/sandbox.js';
import { containerImages, forgetLocally, startTarget, type Target } from './fixture.js';

describe('executor: failures after and before the switch', () => {
  let t: Target;
  let goodRef = '';
  before(async () => {
    // The CGI path answers 200/404/500 by variant, so one stack can roll between them.
    t = await startTarget({ healthPath: CGI_HEALTH_PATH, smokeTimeoutS: 6 });
    const good = await t.image('sha-good000');
    goodRef = good.ref;
    await forgetLocally(good.ref, 'sha-good000', t.registry);
    const r = await t.deploy('sha-good000');
    assert.equal(r.code, 0, r.stdout);
    assert.ok(r.events.some((e) => e.type === 'step' && e.step === 'pull' && e.status === 'ok'));
    assert.ok(
      !r.events.some((e) => e.type === 'log' && /nothing to pull/.test(e.msg)),
      'the image was pulled, not found locally',
    );
  });
  after(async () => t?.close());

  const live = () => readlinkSync(path.join(t.root, 'stacks', t.stack));

  test('the first deploy pulled its image from the authenticated registry', async () => {
    assert.deepEqual(await containerImages(t.stack), [goodRef]);
  });

  for (const [variant, why] of [
    ['error500', /HTTP 500/],
    ['not-found', /HTTP 404/],
    ['crash', /exited with code 1|restarting|did not answer/],
    ['unhealthy', /unhealthy/],
  ] as [AppVariant, RegExp][]) {
    test(`a release whose smoke fails (${variant}) is rolled back automatically`, async () => {
      const goodId = (await t.manifest())!.release_id as string;
      const tag = `sha-${variant.replace(/[^a-z0-9]/g, '')}`;
      await t.image(tag, variant);
      const r = await t.deploy(tag);
      assert.equal(r.code, 3, r.stdout);
      assert.equal(r.result?.status, 'rolled_back');
      assert.match(r.result!.msg, why);
      // The smoke step gave up by itself (within its budget, or at once for a dead container), and
      // the auto-rollback followed it; how long that takes is the bench's business.
      const steps = r.events.filter((e) => e.type === 'step').map((e) => `${e.step}:${e.status}`);
      assert.ok(steps.includes('smoke:failed'), steps.join(' '));
      assert.ok(steps.indexOf('smoke:failed') < steps.indexOf('auto_rollback:start'), steps.join(' '));
      const badId = r.result!.release_id!;
      assert.equal(path.basename(live()), goodId);
      assert.deepEqual(await containerImages(t.stack), [goodRef]);
      assert.equal((await httpGet(`http://127.0.0.1:${t.port}${CGI_HEALTH_PATH}`)).status, 200);
      const m = (await t.manifest())!;
      assert.equal(m.release_id, goodId);
      assert.equal(m.mode, 'auto-rollback');
      assert.equal(m.previous_release_id, badId);
      assert.ok(
        existsSync(path.join(t.root, 'releases', 'stacks', t.stack, `.bad-${badId}`)),
        'the bad release is marked bad',
      );
      const [failed, rolled] = (await t.history()).slice(-2);
      assert.deepEqual([failed!.mode, failed!.status, failed!.release_id], ['deploy', 'rolled_back', badId]);
      assert.deepEqual(
        [rolled!.mode, rolled!.status, rolled!.release_id],
        ['auto-rollback', 'success', goodId],
      );
    });
  }

  test('a first deploy pulls the pinned image and a sidecar whose image is not in the manifest', async () => {
    // The pinned image comes with `docker pull`, the sidecar's (a tag, as a database's would be)
    // with `compose pull <service>`: both through the run's own registry login.
    const side = await buildAndPush(t.registry, 'sidecar', 'side-1', 'ok');
    await dockerOk(['image', 'rm', '--force', '--no-prune', `${t.registry.host}/sidecar:side-1`]);
    const stack = `${t.stack}-side`;
    await t.addStack(stack, { extraServices: `side:\n  image: ${t.registry.host}/sidecar:side-1\n` });
    const img = await t.image('sha-side111');
    await forgetLocally(img.ref, 'sha-side111', t.registry);
    const r = await t.deploy('sha-side111', 'staging', [], stack);
    assert.equal(r.result?.status, 'success', r.stderr + r.stdout.slice(-2000));
    const pull = r.events.find((e) => e.type === 'step' && e.step === 'pull' && e.status === 'ok');
    assert.ok(pull, 'pull step passed');
    assert.deepEqual(
      (await containerImages(stack)).sort(),
      [img.ref, `${t.registry.host}/sidecar:side-1`].sort(),
    );
    assert.equal((await docker(['image', 'inspect', side.ref])).code, 0, 'sidecar image pulled');
  });

  test('a digest that is not in the registry fails at pull with the live stack untouched', async () => {
    const before = { link: live(), images: await containerImages(t.stack), manifest: await t.manifest() };
    const img = await t.image('sha-gone111');
    await forgetLocally(img.ref, 'sha-gone111', t.registry);
    // Delete the manifest from the registry storage: the digest no longer exists there.
    const { rm } = await import('node:fs/promises');
    await rm(
      path.join(
        t.registry.dir,
        'data',
        'docker',
        'registry',
        'v2',
        'repositories',
        'app',
        '_manifests',
        'revisions',
        'sha256',
        img.digest.slice(7),
      ),
      { recursive: true, force: true },
    );
    const r = await t.deploy('sha-gone111');
    assert.equal(r.code, 1, r.stdout);
    assert.ok(r.events.some((e) => e.type === 'step' && e.step === 'pull' && e.status === 'failed'));
    assert.ok(!r.events.some((e) => e.type === 'step' && e.step === 'switch'));
    assert.deepEqual(
      { link: live(), images: await containerImages(t.stack), manifest: await t.manifest() },
      before,
    );
  });

  test('a registry that is down fails at pull with the live stack untouched', async () => {
    const before = { link: live(), images: await containerImages(t.stack), manifest: await t.manifest() };
    const img = await t.image('sha-down222');
    await forgetLocally(img.ref, 'sha-down222', t.registry);
    await t.registry.stop();
    try {
      const r = await t.deploy('sha-down222');
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.result!.msg, /docker login|pulling the images/);
      assert.ok(!r.events.some((e) => e.type === 'step' && e.step === 'switch'));
      assert.deepEqual(
        { link: live(), images: await containerImages(t.stack), manifest: await t.manifest() },
        before,
      );
      assert.equal((await t.history()).at(-1)!.status, 'failed');
    } finally {
      await t.registry.start();
    }
  });
});
