// The fleet (one release to several Compose hosts) on the real three-host lab: the committed
// dist/index.js run as the runner runs it, over each host's own sshd, pulling from the lab's
// authenticated registry. One lab for the whole file; each test uses its own stack.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startLab, type Lab, type LabHost } from '../support/hosts.js';
import { killSshSessions } from '../support/sshd.js';
import { makeServerRoot } from './action-fixture.js';
import {
  dockerAvailable,
  httpGet,
  makeTempDir,
  serverNode,
  waitFor,
  writeSampleStack,
  type PushedImage,
} from '../support/sandbox.js';
import { describeRun, runAction, type ActionResult, type LineHook } from './action-harness.js';

const hasDocker = await dockerAvailable();
const isRoot = process.getuid?.() === 0;
const skip = !hasDocker || !isRoot ? 'needs dockerd and root' : false;
const SOURCE = '/opt/seisei-odoo-addons/infra/stacks';

interface Row {
  host: string;
  status: string;
  release_id: string;
  previous_release_id: string;
  image_digest: string;
  error: string;
}

describe('a fleet of three Compose hosts', { skip }, () => {
  let lab: Lab;
  let hosts: LabHost[];
  let h1: LabHost, h2: LabHost, h3: LabHost;
  let tmp: string;
  const images: Record<'A' | 'B' | 'C', PushedImage> = {} as never;
  const manifests: Record<string, string> = {};
  const ports = new Map<string, number>();
  let nextPort = 8100;

  before(async () => {
    lab = await startLab({ hosts: 3, registry: true });
    hosts = lab.hosts;
    [h1, h2, h3] = hosts as [LabHost, LabHost, LabHost];
    // Each host's /srv as docs/server-setup.md makes it, so the executor the first deploy installs
    // is reused afterwards, as on a real server (one exec checks, starts and streams).
    for (const h of hosts) await makeServerRoot(h.hostPath('/srv'));
    tmp = await makeTempDir('fleet');
    const rnd = randomBytes(3).toString('hex');
    for (const k of ['A', 'B', 'C'] as const) {
      const img = await lab.pushImage('ok', `fleet-${k.toLowerCase()}-${rnd}`);
      images[k] = img;
      const file = path.join(tmp, `digests-${k}.json`);
      await writeFile(
        file,
        JSON.stringify({
          git_sha: 'a'.repeat(40),
          git_sha7: 'a'.repeat(7),
          built_at_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          images: { app: { tag: img.tag, ref: img.ref, digest: img.digest } },
        }) + '\n',
      );
      manifests[k] = file;
    }
  });
  after(async () => {
    await lab?.stop();
  });

  /** A new stack in each host's stacks source (its own port), optionally a failing smoke on some. */
  async function newStack(serviceExtra?: string): Promise<string> {
    const stack = `fl-${randomBytes(3).toString('hex')}`;
    const port = nextPort++;
    ports.set(stack, port);
    for (const h of hosts) await writeStack(h, stack, '/health', serviceExtra);
    return stack;
  }
  async function writeStack(
    h: LabHost,
    stack: string,
    healthPath: string,
    serviceExtra?: string,
  ): Promise<void> {
    await writeSampleStack(h.hostPath(`${SOURCE}/${stack}`), {
      port: ports.get(stack)!,
      publishAddress: '0.0.0.0',
      smokeTimeoutS: 5,
      healthPath,
      ...(serviceExtra ? { serviceExtra } : {}),
    });
  }

  const login = () => ({
    username: h1.sshd.user,
    private_key: h1.sshd.privateKey,
    host_key: hosts.map((h) => h.sshd.knownHostsLine).join('\n'),
    remote_node: serverNode(),
    registry: lab.registry!.address,
    registry_username: lab.registry!.username,
    registry_password: lab.registry!.password,
  });

  /** Runs the committed action against `on` (the hosts input: one IP a line, with a comment). */
  function act(on: LabHost[], inputs: Record<string, string>, hooks?: LineHook[]): Promise<ActionResult> {
    return runAction({
      ...(hooks ? { hooks } : {}),
      inputs: {
        hosts: `# the app servers\n${on.map((h) => `${h.ip}   # ${h.name}`).join('\n')}\n`,
        ...login(),
        ...inputs,
      },
      env: { SEISEI_DEPLOY_TEST_BACKOFF_BASE_MS: '200' },
      timeoutMs: 240_000,
    });
  }
  const deploy = (
    on: LabHost[],
    stack: string,
    tag: 'A' | 'B' | 'C',
    extra: Record<string, string> = {},
    hooks?: LineHook[],
  ) =>
    act(
      on,
      {
        stack,
        environment: 'staging',
        image_tag: images[tag].tag,
        digest_file: manifests[tag]!,
        ...extra,
      },
      hooks,
    );

  const rowsOf = (r: ActionResult) => JSON.parse(r.outputs.hosts ?? '[]') as Row[];
  const current = async (h: LabHost, stack: string) => {
    const f = h.hostPath(`/srv/releases/current/${stack}.json`);
    return existsSync(f) ? (JSON.parse(await readFile(f, 'utf8')) as Record<string, unknown>) : undefined;
  };
  const history = async (h: LabHost, stack: string) => {
    const f = h.hostPath('/srv/releases/deploy_history.log');
    if (!existsSync(f)) return [];
    return (await readFile(f, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.stack === stack);
  };
  const serves = async (h: LabHost, stack: string) =>
    waitFor(`${stack} on ${h.name}`, async () => {
      const got = await httpGet(`http://${h.ip}:${ports.get(stack)}/health`).catch(() => undefined);
      return got?.status === 200 ? got.body.trim() : undefined;
    });

  test('a rolling deploy (rollout 1) switches the hosts one after another, records the run id and each host’s position, and every host serves the new release', async () => {
    const stack = await newStack();
    const first = await deploy(hosts, stack, 'A', { rollout: 'parallel' });
    assert.equal(first.code, 0, describeRun(first));

    const r = await deploy(hosts, stack, 'B', { rollout: '1' });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'success');
    const uploads = (x: ActionResult) => x.lines.filter((l) => l.includes('Uploaded remote.cjs')).length;
    assert.equal(uploads(r), 0, `every host reuses its installed executor: ${describeRun(r)}`);
    const rows = rowsOf(r);
    assert.deepEqual(
      rows.map((x) => [x.host, x.status]),
      hosts.map((h) => [h.ip, 'success']),
    );
    for (const [i, h] of hosts.entries()) {
      const m = (await current(h, stack))!;
      assert.equal(m.image_tag, images.B.tag);
      assert.equal(m.run_id, '4242');
      assert.deepEqual(m.fleet, { size: 3, position: i + 1 });
      assert.equal(rows[i]!.release_id, m.release_id);
      assert.equal(rows[i]!.previous_release_id, (await history(h, stack))[0]!.release_id);
      const last = (await history(h, stack)).at(-1)!;
      assert.deepEqual([last.mode, last.status, last.run_id], ['deploy', 'success', '4242']);
      assert.deepEqual(last.fleet, { size: 3, position: i + 1 });
      assert.equal(await serves(h, stack), `ok ${images.B.tag}`);
    }
    // One after another: a host's switch starts only after the host before it finished its smoke.
    const at = (title: string) => r.groups.findIndex((g) => g.title === title);
    for (const [a, b] of [
      [h1, h2],
      [h2, h3],
    ] as const) {
      assert.ok(at(`${a.ip} ▶ smoke`) >= 0 && at(`${b.ip} ▶ switch`) >= 0, describeRun(r));
      assert.ok(
        at(`${a.ip} ▶ smoke`) < at(`${b.ip} ▶ switch`),
        `${a.name} finished before ${b.name} switched`,
      );
    }
    assert.deepEqual(r.groupProblems, []);
    // One group per host per step, titled with the host: connect, the dry run, the deploy.
    for (const h of hosts)
      for (const step of ['connect', 'gate', 'pull', 'switch', 'smoke'])
        assert.equal(
          r.groups.filter((g) => g.title === `${h.ip} ▶ ${step}`).length,
          step === 'gate' ? 2 : 1,
          `${h.name} ${step}`,
        );
    for (const h of hosts)
      assert.match(r.summary, new RegExp(`<td>${h.ip.replace(/\./g, '\\.')}</td><td>success</td>`));
  });

  test('when host 2’s smoke check fails it rolls itself back, host 1 is rolled back to its previous release, host 3 is never touched, and the step fails naming host 2', async () => {
    const stack = await newStack();
    const first = await deploy(hosts, stack, 'A', { rollout: 'parallel' });
    assert.equal(first.code, 0, describeRun(first));
    const before = await Promise.all(hosts.map((h) => current(h, stack)));
    const h3History = await history(h3, stack);
    await writeStack(h2, stack, '/no-such-page');

    const r = await deploy(hosts, stack, 'C', { rollout: '1' });
    assert.notEqual(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'rolled_back');
    const rows = rowsOf(r);
    assert.deepEqual(
      rows.map((x) => x.status),
      ['rolled_back', 'rolled_back', 'skipped'],
    );
    assert.ok(
      r.errors.some((e) => e.includes(`${h2.ip} failed`) && /smoke/i.test(e)),
      `the failure names host 2 and its error: ${r.errors.join(' | ')}`,
    );
    for (const [i, h] of hosts.entries()) {
      assert.equal((await current(h, stack))!.image_tag, images.A.tag, `${h.name} runs the old release`);
      assert.equal((await current(h, stack))!.release_id, before[i]!.release_id);
      assert.equal(await serves(h, stack), `ok ${images.A.tag}`);
    }
    const h1Last = (await history(h1, stack)).slice(-2);
    assert.deepEqual(
      h1Last.map((x) => [x.mode, x.status, x.image_tag]),
      [
        ['deploy', 'success', images.C.tag],
        ['rollback', 'success', images.A.tag],
      ],
    );
    assert.equal(h1Last[1]!.release_id, before[0]!.release_id);
    assert.deepEqual(await history(h3, stack), h3History, 'host 3 was never touched');
    assert.equal(
      (await h3.docker(['image', 'inspect', images.C.ref])).code,
      1,
      'host 3 never pulled the new image',
    );
  });

  test('with on_failure halt, the hosts already switched stay on the new release and the step says the fleet runs mixed releases', async () => {
    const stack = await newStack();
    const first = await deploy(hosts, stack, 'A', { rollout: 'parallel' });
    assert.equal(first.code, 0, describeRun(first));
    await writeStack(h2, stack, '/no-such-page');

    const r = await deploy(hosts, stack, 'B', { rollout: '1', on_failure: 'halt' });
    assert.notEqual(r.code, 0, describeRun(r));
    assert.deepEqual(
      rowsOf(r).map((x) => x.status),
      ['success', 'rolled_back', 'skipped'],
    );
    const failure = r.errors.find((e) => e.includes(`${h2.ip} failed`));
    assert.ok(failure, r.errors.join(' | '));
    assert.ok(failure.includes(`on_failure is halt: ${h1.ip} stays on`), failure);
    assert.ok(failure.includes('mixed releases'), failure);
    assert.equal((await current(h1, stack))!.image_tag, images.B.tag);
    assert.equal((await current(h2, stack))!.image_tag, images.A.tag);
    assert.equal((await current(h3, stack))!.image_tag, images.A.tag);
    assert.deepEqual(
      (await history(h1, stack)).map((x) => x.mode),
      ['deploy', 'deploy'],
      'host 1 was not rolled back',
    );
  });

  test('with host 3 missing the verified marker for production, or with its sshd stopped, the step fails before any host changes', async () => {
    const stack = await newStack();
    const verify = await act([h1, h2], {
      mode: 'verify',
      image_tag: images.A.tag,
      digest_file: manifests.A!,
      provenance: 'off',
    });
    assert.equal(verify.code, 0, describeRun(verify));
    assert.deepEqual(
      rowsOf(verify).map((x) => x.status),
      ['success', 'success'],
    );

    const prod = await deploy(hosts, stack, 'A', { environment: 'production', provenance: 'off' });
    assert.notEqual(prod.code, 0, describeRun(prod));
    assert.ok(
      prod.errors.some(
        (e) =>
          e.includes('before any host changed') && e.includes(`${h3.ip}: check failed: Version not verified`),
      ),
      prod.errors.join(' | '),
    );
    assert.deepEqual(
      rowsOf(prod).map((x) => x.status),
      ['skipped', 'skipped', 'failed'],
    );

    await h3.sshd.stop();
    let down: ActionResult;
    try {
      down = await deploy(hosts, stack, 'A');
    } finally {
      await h3.sshd.start();
    }
    assert.notEqual(down.code, 0, describeRun(down));
    assert.ok(
      down.errors.some((e) => e.includes('before any host changed') && e.includes(h3.ip)),
      down.errors.join(' | '),
    );
    for (const h of hosts) {
      assert.equal(await current(h, stack), undefined, `${h.name} has no release of ${stack}`);
      assert.deepEqual(await history(h, stack), []);
      assert.equal(existsSync(h.hostPath(`/srv/stacks/${stack}`)), false);
    }
  });

  test('with SSH to host 2 cut while its up runs in a parallel rollout, its run completes on the server and the action reattaches and reports the true fleet result', async () => {
    // The old container ignores SIGTERM (pid 1), so up waits out its grace period: a slow up.
    const stack = await newStack('stop_signal: SIGTERM\nstop_grace_period: 4s');
    const first = await deploy(hosts, stack, 'A', { rollout: 'parallel' });
    assert.equal(first.code, 0, describeRun(first));

    const journalOf = async (key: string) => {
      const f = h2.hostPath(`/srv/releases/runs/${stack}/${key}.jsonl`);
      const text = existsSync(f) ? await readFile(f, 'utf8') : '';
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; step?: string; status?: string });
    };
    let killed = 0;
    let atCut: { type: string; step?: string; status?: string }[] = [];
    const startedOnH2 = new RegExp(`^Run (\\S+) started on ${h2.ip.replace(/\./g, '\\.')}`);
    const r = await deploy(hosts, stack, 'B', { rollout: 'parallel' }, [
      {
        match: startedOnH2,
        run: async (_ctl, line) => {
          const key = startedOnH2.exec(line)![1]!;
          await waitFor('up to start on host 2', async () =>
            (await journalOf(key)).some((e) => e.step === 'up' && e.status === 'start') ? true : undefined,
          );
          killed = await killSshSessions(h2.sshd.pid);
          atCut = await journalOf(key);
        },
      },
    ]);
    assert.ok(killed > 0, 'host 2’s SSH sessions were cut');
    assert.deepEqual(
      atCut.filter((e) => e.step === 'up').map((e) => e.status),
      ['start'],
      'the cut happened while up was running',
    );
    assert.ok(!atCut.some((e) => e.type === 'result'), 'the run had no result yet');
    assert.equal(r.code, 0, describeRun(r));
    assert.ok(
      r.warnings.some((w) => w.startsWith(`Following the run on ${h2.ip} was interrupted`)),
      describeRun(r),
    );
    assert.ok(r.lines.some((l) => l.startsWith(`Reconnected to ${h2.sshd.user}@${h2.ip}:22`)));
    assert.equal(r.outputs.status, 'success');
    const rows = rowsOf(r);
    for (const [i, h] of hosts.entries()) {
      const m = (await current(h, stack))!;
      assert.equal(m.image_tag, images.B.tag);
      assert.deepEqual([rows[i]!.status, rows[i]!.release_id], ['success', m.release_id]);
      assert.equal(await serves(h, stack), `ok ${images.B.tag}`);
    }
  });

  test('a fleet rollback when host 3 joined later without the newest tag goes to the newest tag every host has, each host to its own release of it', async () => {
    const stack = await newStack();
    for (const tag of ['A', 'B'] as const) {
      const r = await deploy([h1, h2], stack, tag, { rollout: 'parallel' });
      assert.equal(r.code, 0, describeRun(r));
    }
    const joined = await deploy([h3], stack, 'A');
    assert.equal(joined.code, 0, describeRun(joined));
    const c = await deploy(hosts, stack, 'C', { rollout: 'parallel' });
    assert.equal(c.code, 0, describeRun(c));
    const releasesOfA = await Promise.all(
      hosts.map(async (h) => (await history(h, stack)).find((x) => x.image_tag === images.A.tag)!.release_id),
    );

    const r = await act(hosts, { mode: 'rollback', stack, environment: 'staging', rollout: 'parallel' });
    assert.equal(r.code, 0, describeRun(r));
    assert.ok(
      r.lines.some((l) => l.includes(`Rollback target: image tag ${images.A.tag}`)),
      describeRun(r),
    );
    for (const [i, h] of hosts.entries()) {
      const m = (await current(h, stack))!;
      assert.equal(m.release_id, releasesOfA[i], `${h.name} is on its own release of ${images.A.tag}`);
      assert.equal(await serves(h, stack), `ok ${images.A.tag}`);
    }
    assert.deepEqual(
      rowsOf(r).map((x) => [x.status, x.release_id]),
      releasesOfA.map((id) => ['success', id]),
    );
  });

  test('mode status on the fleet reports a host running a different release than the others as drift', async () => {
    const stack = await newStack();
    for (const tag of ['A', 'B'] as const) {
      const r = await deploy(hosts, stack, tag, { rollout: 'parallel' });
      assert.equal(r.code, 0, describeRun(r));
    }
    const same = await act(hosts, { mode: 'status', stack });
    assert.equal(same.code, 0, describeRun(same));
    assert.equal(same.outputs.status, 'success');

    // Host 3 alone goes back (the one-host form).
    const back = await runAction({
      inputs: {
        host: h3.ip,
        ...login(),
        mode: 'rollback',
        stack,
        environment: 'staging',
      },
    });
    assert.equal(back.code, 0, describeRun(back));

    const r = await act(hosts, { mode: 'status', stack });
    assert.notEqual(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'failed');
    const drift = r.errors.find((e) => e.includes('the hosts run different releases'));
    assert.ok(drift, r.errors.join(' | '));
    assert.ok(drift.includes(`${h3.ip} runs ${images.A.tag}`), drift);
    assert.ok(drift.includes(`${h1.ip}, ${h2.ip} run ${images.B.tag}`), drift);
    const rows = rowsOf(r);
    assert.equal(rows[2]!.release_id, (await current(h3, stack))!.release_id);
  });
});
