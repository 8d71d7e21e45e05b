// Pulls decided by the pull plan, against the authenticated registry: a sidecar service (an image by
// tag, not in the digest manifest) missing while the pinned image is present is pulled before the
// switch with the run's login; an auto-rollback pulls what the previous release lacks, with it too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildAndPush, docker, dockerEnv, dockerOk } from '../support/sandbox.js';
import { containerImages, forgetLocally, startTarget, type Target } from './fixture.js';

describe('executor: pulling a sidecar whose image is missing', () => {
  let t: Target;
  before(async () => {
    t = await startTarget();
  });
  after(async () => t?.close());

  test('the sidecar is pulled with the run login before the switch although every pinned image is present', async () => {
    const sideRef = `${t.registry.host}/sidecar:side-2`;
    await buildAndPush(t.registry, 'sidecar', 'side-2', 'ok');
    await dockerOk(['image', 'rm', '--force', '--no-prune', sideRef]);
    // The registry wants a login: without the run's credentials this pull cannot succeed.
    const anonymous = path.join(t.tmp, 'no-login');
    await mkdir(anonymous, { recursive: true });
    const denied = await docker(['pull', sideRef], { env: await dockerEnv({ DOCKER_CONFIG: anonymous }) });
    assert.notEqual(denied.code, 0, 'the registry refuses an anonymous pull');

    const stack = `${t.stack}-side`;
    await t.addStack(stack, { extraServices: `side:\n  image: ${sideRef}\n` });
    const img = await t.image('sha-side222'); // built and pushed here: present on the server
    assert.equal((await docker(['image', 'inspect', img.ref])).code, 0, 'the pinned image is present');
    assert.notEqual((await docker(['image', 'inspect', sideRef])).code, 0, 'the sidecar image is not');

    const r = await t.deploy('sha-side222', 'staging', [], stack);
    assert.equal(r.result?.status, 'success', r.stderr + r.stdout.slice(-3000));
    const steps = r.events.filter((e) => e.type === 'step').map((e) => `${e.step}:${e.status}`);
    assert.ok(steps.indexOf('pull:ok') >= 0 && steps.indexOf('pull:ok') < steps.indexOf('switch:start'));
    const pullLogs = r.events.filter((e) => e.type === 'log' && e.step === 'pull').map((e) => e.msg);
    assert.ok(
      pullLogs.some((m) => /pulling for service\(s\): side$/.test(m)),
      pullLogs.join('\n'),
    );
    assert.ok(!pullLogs.some((m) => /pulling by digest/.test(m)), 'the pinned image was not pulled again');
    assert.equal((await docker(['image', 'inspect', sideRef])).code, 0, 'the sidecar image is here now');
    assert.deepEqual((await containerImages(stack)).sort(), [img.ref, sideRef].sort());
  });

  test('an auto-rollback pulls the previous release image it lacks, with the run login', async () => {
    const stack = `${t.stack}-back`;
    await t.addStack(stack, { smokeTimeoutS: 4 });
    const good = await t.image('sha-back111');
    const first = await t.deploy('sha-back111', 'staging', [], stack);
    assert.equal(first.result?.status, 'success', first.stdout.slice(-2000));
    await t.image('sha-back222', 'crash');
    // The previous release's image is gone from the server (pruned), while its release is live.
    await forgetLocally(good.ref, 'sha-back111', t.registry);
    assert.notEqual((await docker(['image', 'inspect', good.ref])).code, 0);

    const r = await t.deploy('sha-back222', 'staging', [], stack);
    assert.equal(r.result?.status, 'rolled_back', r.stdout.slice(-3000));
    assert.match(r.result!.msg, /which is live and answering/);
    const pull = r.events
      .filter((e) => e.type === 'log' && e.step === 'auto_rollback.pull')
      .map((e) => e.msg);
    assert.ok(pull.includes(`pulling by digest: ${good.ref}`), pull.join('\n'));
    assert.deepEqual(await containerImages(stack), [good.ref]);
    assert.equal((await t.manifest(stack))!.release_id, first.result!.release_id);
  });
});
