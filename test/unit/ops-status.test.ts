// `status`: the pure drift rules (diagnose), fact gathering on a fake root with fake containers,
// and the compose-file reading that says which image each service should run. No Docker.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContainerState } from '../../remote/docker.js';
import { sameImage, serviceImages } from '../../remote/domain/compose-services.js';
import { diagnose } from '../../remote/ops/diagnose.js';
import { judge, renderStatus, statusJson } from '../../remote/ops/status.js';
import { gatherFacts, lastRunFacts, type StatusFacts } from '../../remote/ops/status-facts.js';
import { readManifest, writeManifest, type CurrentManifest } from '../../remote/domain/manifest.js';
import { processStartTime } from '../../remote/domain/process.js';
import { cli, deployed, REF, rid, tempRoot } from './ops-fixture.js';

const container = (over: Partial<ContainerState> = {}): ContainerState => ({
  id: 'c1',
  name: 'web-app-1',
  service: 'app',
  image: REF(2),
  status: 'running',
  exitCode: 0,
  restarts: 0,
  ...over,
});
const db = container({ id: 'c2', name: 'web-db-1', service: 'db', image: 'postgres:16' });

const manifest = (over: Partial<CurrentManifest> = {}): CurrentManifest => ({
  stack: 'web',
  env: 'staging',
  image_tag: 'sha-2',
  image_ref: REF(2),
  image_digest: 'sha256:2',
  release_id: rid(2),
  release_dir: `/srv/releases/stacks/web/${rid(2)}`,
  deployed_at_utc: '2026-01-31T12:00:00Z',
  actor: 'alice',
  run_id: '42',
  break_glass: false,
  break_glass_reason: '',
  images: { IMAGE_REF: { name: 'app', ref: REF(2), digest: 'sha256:2' } },
  git_sha: '',
  previous_release_id: rid(1),
  mode: 'deploy',
  gate: 'verified',
  compose: 'v2',
  tool_version: 'test',
  ...over,
});

/** What release n's compose file says: app on its image, db on postgres. */
const servicesOf = (n: number) => ({
  from: rid(n),
  list: [
    { service: 'app', image: REF(n) },
    { service: 'db', image: 'postgres:16' },
  ],
});

/** A consistent stack: symlink, manifest and containers all on release 2. */
function facts(over: Partial<StatusFacts> = {}): StatusFacts {
  return {
    stack: 'web',
    link: {
      path: '/srv/stacks/web',
      kind: 'symlink',
      target: `/srv/releases/stacks/web/${rid(2)}`,
      releaseId: rid(2),
      targetExists: true,
    },
    manifest: { state: 'ok', path: '/srv/releases/current/web.json', value: manifest(), releaseExists: true },
    live: {
      images: { IMAGE_REF: { name: 'app', ref: REF(2), digest: 'sha256:2' } },
      main: { ref: REF(2), digest: 'sha256:2' },
      bad: false,
    },
    services: servicesOf(2),
    containers: { state: 'ok', list: [container(), db] },
    lock: { state: 'free' },
    candidates: [],
    ...over,
  };
}

const codes = (f: StatusFacts) => diagnose(f).map((p) => `${p.severity}:${p.code}`);
const messages = (f: StatusFacts) => diagnose(f).map((p) => p.message);

describe('diagnose', () => {
  it('finds nothing wrong when symlink, manifest and containers agree', () => {
    assert.deepEqual(diagnose(facts()), []);
    assert.equal(judge(facts()).consistent, true);
  });

  it('a container replaced by hand with another image is drift, with how to converge', () => {
    const f = facts({ containers: { state: 'ok', list: [container({ image: 'evil/app:latest' }), db] } });
    assert.deepEqual(codes(f), ['drift:container-image']);
    assert.deepEqual(messages(f), [
      `running container web-app-1 uses evil/app:latest but the manifest says ${REF(2)}: redeploy or run \`seisei-deploy rollback web staging\``,
    ]);
    assert.equal(judge(f).consistent, false);
  });

  it('a manifest edited to another release: symlink and manifest disagree', () => {
    const f = facts({
      manifest: {
        state: 'ok',
        path: '/srv/releases/current/web.json',
        value: manifest({
          release_id: rid(1),
          image_ref: REF(1),
          images: { IMAGE_REF: { name: 'app', ref: REF(1), digest: 'x' } },
        }),
        releaseExists: true,
      },
      services: servicesOf(1),
    });
    assert.deepEqual(codes(f), ['drift:link-manifest', 'drift:container-image']);
    assert.match(
      messages(f)[0]!,
      new RegExp(
        `^the symlink /srv/stacks/web points to ${rid(2)} but the manifest says ${rid(1)}: redeploy or run`,
      ),
    );
  });

  it('a manifest whose image fields were edited in place differs from what the release froze', () => {
    const f = facts({
      manifest: { state: 'ok', path: '/m', value: manifest({ image_ref: REF(9) }), releaseExists: true },
    });
    assert.deepEqual(codes(f), ['drift:manifest-edited']);
    assert.match(messages(f)[0]!, /manifest's image_ref is .*0009 but release .* froze .*0002/);
  });

  it('no containers, a missing service, a foreign container, stopped and unhealthy ones', () => {
    assert.deepEqual(codes(facts({ containers: { state: 'ok', list: [] } })), ['drift:no-containers']);
    assert.match(
      messages(facts({ containers: { state: 'ok', list: [] } }))[0]!,
      /^no containers running for project web/,
    );
    assert.deepEqual(codes(facts({ containers: { state: 'ok', list: [container()] } })), [
      'drift:service-missing',
    ]);
    const extra = container({ id: 'c9', name: 'hand', service: 'debug', image: 'busybox' });
    assert.deepEqual(codes(facts({ containers: { state: 'ok', list: [container(), db, extra] } })), [
      'drift:container-foreign',
    ]);
    const exited = container({ status: 'exited', exitCode: 137 });
    assert.deepEqual(codes(facts({ containers: { state: 'ok', list: [exited, db] } })), [
      'drift:container-stopped',
    ]);
    assert.match(messages(facts({ containers: { state: 'ok', list: [exited, db] } }))[0]!, /exit code 137/);
    const sick = container({ health: 'unhealthy' });
    assert.deepEqual(codes(facts({ containers: { state: 'ok', list: [sick, db] } })), [
      'drift:container-unhealthy',
    ]);
  });

  it('without the compose services, checks that every manifest image runs somewhere', () => {
    const f = facts({ services: undefined, containers: { state: 'ok', list: [db] } });
    assert.deepEqual(codes(f), ['drift:image-not-running']);
    assert.deepEqual(codes(facts({ services: undefined })), []);
  });

  it('symlink problems: missing, dangling, a real directory, no manifest', () => {
    const missing = facts({ link: { path: '/srv/stacks/web', kind: 'missing', targetExists: false } });
    assert.deepEqual(codes(missing), ['drift:link-missing']);
    const dangling = facts({ link: { ...facts().link, targetExists: false } });
    assert.deepEqual(codes(dangling), ['drift:link-dangling']);
    const dir = facts({
      link: {
        path: '/srv/stacks/web',
        kind: 'directory',
        targetExists: true,
        unsafe: '/srv/stacks/web is a real directory',
      },
    });
    assert.deepEqual(codes(dir), ['drift:link-unsafe']);
    const noManifest = facts({ manifest: { state: 'missing', path: '/srv/releases/current/web.json' } });
    assert.deepEqual(codes(noManifest), ['drift:manifest-missing']);
    assert.match(messages(noManifest)[0]!, /rollback web <env>/, 'no env known: a placeholder');
    const unreadable = facts({ manifest: { state: 'unreadable', path: '/m' } });
    assert.deepEqual(codes(unreadable), ['drift:manifest-unreadable']);
  });

  it('docker not answering is drift for a deployed stack, nothing for an undeployed one', () => {
    const down = { state: 'unavailable', error: 'Cannot connect to the Docker daemon' } as const;
    assert.deepEqual(codes(facts({ containers: down })), ['drift:docker-unavailable']);
    const none = facts({
      link: { path: '/srv/stacks/web', kind: 'missing', targetExists: false },
      manifest: { state: 'missing', path: '/m' },
      live: undefined,
      services: undefined,
    });
    assert.deepEqual(codes({ ...none, containers: down }), []);
    assert.deepEqual(codes({ ...none, containers: { state: 'ok', list: [] } }), []);
    assert.deepEqual(codes({ ...none, containers: { state: 'ok', list: [container()] } }), [
      'drift:not-deployed',
    ]);
  });

  it('stale lock, held lock, a dead unfinished run and a bad live release are warnings, not drift', () => {
    const holder = {
      pid: 1,
      start_time: '1',
      hostname: 'h',
      actor: 'bob',
      run_id: '9',
      release: 'r',
      since: 's',
    };
    const f = facts({
      lock: { state: 'stale', path: '/srv/releases/locks/web.lock', holder },
      lastRun: { key: 'cli-1', journal: '/srv/releases/runs/web/cli-1.jsonl', state: 'dead' },
      live: { ...facts().live!, bad: true },
    });
    assert.deepEqual(codes(f), ['warning:live-bad', 'warning:lock-stale', 'warning:run-unfinished']);
    assert.match(
      messages(f)[1]!,
      /^stale lock \/srv\/releases\/locks\/web.lock left by a dead process \(pid 1 on h, actor bob.*will be taken over by the next run$/,
    );
    assert.match(messages(f)[2]!, /last run cli-1 stopped without a result/);
    assert.equal(judge(f).consistent, true);
    assert.deepEqual(codes(facts({ lock: { state: 'held', path: '/l', holder } })), ['warning:lock-held']);
  });
});

describe('status facts on a fake root', () => {
  let fx: ReturnType<typeof tempRoot>;
  beforeEach(() => (fx = tempRoot()));
  afterEach(() => fx.dispose());
  const running = (list: ContainerState[]) => async () => ({ state: 'ok' as const, list });

  it('gathers the live release, services from the compose file and the rollback candidates', async () => {
    for (let n = 1; n <= 3; n++) deployed(fx.l, 'web', rid(n), n, { live: n === 2 });
    const f = await gatherFacts(fx.l, 'web', running([container(), db]));
    assert.equal(f.link.releaseId, rid(2));
    assert.equal(f.manifest.state === 'ok' && f.manifest.value.release_id, rid(2));
    assert.deepEqual(f.services?.list, [
      { service: 'app', image: REF(2) },
      { service: 'db', image: 'postgres:16' },
    ]);
    assert.deepEqual(
      f.candidates.map((c) => c.id),
      [rid(1)],
    );
    const s = judge(f);
    assert.deepEqual(s.problems, []);
    assert.equal(statusJson(s).rollback_candidates[0]?.release_id, rid(1));
    assert.match(renderStatus(s), /^web {2}OK\n/);
  });

  it('reports a manifest edited to another release and the container that does not match it', async () => {
    for (let n = 1; n <= 2; n++) deployed(fx.l, 'web', rid(n), n, { live: true });
    const m = readManifest(fx.l, 'web')!;
    writeManifest(fx.l, {
      ...m,
      release_id: rid(1),
      image_ref: REF(1),
      images: { IMAGE_REF: { name: 'app', ref: REF(1), digest: '' } },
    });
    const s = judge(await gatherFacts(fx.l, 'web', running([container(), db])));
    assert.deepEqual(
      s.problems.map((p) => p.code),
      ['link-manifest', 'container-image'],
    );
    const text = renderStatus(s);
    assert.match(text, /^web {2}DRIFT \(2\)/);
    assert.match(text, /DRIFT: the symlink .* points to .* but the manifest says/);
    assert.ok(!text.includes('\u001b['), 'no colour codes when not asked for');
  });

  it('sees a real directory where the symlink should be, and a stale lock', async () => {
    mkdirSync(fx.l.liveLink('web'), { recursive: true });
    mkdirSync(fx.l.locksDir, { recursive: true });
    const dead = {
      pid: 2 ** 22 + 1,
      start_time: '1',
      hostname: hostname(),
      actor: 'a',
      run_id: '',
      release: '',
      since: '',
    };
    writeFileSync(fx.l.lockFile('web'), JSON.stringify(dead));
    const f = await gatherFacts(fx.l, 'web', running([]));
    assert.equal(f.link.kind, 'directory');
    assert.match(f.link.unsafe ?? '', /is a real directory, not a symlink/);
    assert.equal(f.lock.state, 'stale');
  });

  it('reads a symlink that points elsewhere or nowhere', async () => {
    mkdirSync(fx.l.stacksDir, { recursive: true });
    symlinkSync('/opt/somewhere', fx.l.liveLink('web'));
    const f = await gatherFacts(fx.l, 'web', running([]));
    assert.equal(f.link.kind, 'symlink');
    assert.equal(f.link.releaseId, undefined);
    assert.equal(f.link.targetExists, false);
    assert.match(f.link.unsafe ?? '', /outside/);
  });
});

describe('status from the command line (no Docker needed for these)', () => {
  it('exits 2 for an unknown stack and 0 with a note when nothing is deployed', () => {
    const fx = tempRoot();
    try {
      const none = cli(fx.root, ['status']);
      assert.equal(none.status, 0, none.stderr);
      assert.match(none.stdout, /no stacks under .* \(nothing deployed yet\)/);
      deployed(fx.l, 'web', rid(1), 1);
      const bad = cli(fx.root, ['status', 'nope']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /stack nope is not known under .*known: web/);
      assert.equal(cli(fx.root, ['status', 'Not_Valid']).status, 2);
    } finally {
      fx.dispose();
    }
  });
});

describe('last run', () => {
  let fx: ReturnType<typeof tempRoot>;
  beforeEach(() => {
    fx = tempRoot();
    mkdirSync(fx.l.runsDir('web'), { recursive: true });
  });
  afterEach(() => fx.dispose());
  const journal = (key: string, events: object[], pid?: object) => {
    const path = fx.l.journal('web', key);
    writeFileSync(path, events.map((e) => JSON.stringify(e) + '\n').join(''));
    if (pid) writeFileSync(path.replace(/\.jsonl$/, '.pid'), JSON.stringify(pid));
    return path;
  };
  const step = { v: 1, ts: 't', type: 'step', step: 'up', status: 'start', msg: '' };
  const result = { v: 1, ts: 't', type: 'result', status: 'success', msg: '', mode: 'deploy' };

  it('finished, running, dead and starting runs', () => {
    const old = journal('a', [step, result]);
    utimesSync(old, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    assert.deepEqual(lastRunFacts(fx.l, 'web'), {
      key: 'a',
      journal: old,
      state: 'finished',
      result: 'success',
    });
    journal('b', [step], { pid: process.pid, start_time: processStartTime(process.pid) });
    assert.equal(lastRunFacts(fx.l, 'web')?.state, 'running');
    journal('b', [step], { pid: 2 ** 22 + 1, start_time: '1' });
    assert.equal(lastRunFacts(fx.l, 'web')?.state, 'dead');
    rmSync(fx.l.journal('web', 'b').replace(/\.jsonl$/, '.pid'));
    assert.equal(lastRunFacts(fx.l, 'web')?.state, 'starting');
    assert.equal(lastRunFacts(fx.l, 'web', Date.now() + 120_000)?.state, 'dead');
  });

  it('a torn last event is no result', () => {
    const path = journal('c', [step], { pid: 2 ** 22 + 1, start_time: '1' });
    writeFileSync(path, JSON.stringify(step) + '\n' + JSON.stringify(result).slice(0, 20), { flag: 'w' });
    assert.equal(lastRunFacts(fx.l, 'web')?.state, 'dead');
  });
});

describe('compose services', () => {
  it('expands image variables from the release .env and skips profiles and zero replicas', () => {
    const yaml = `services:
  app: { image: "\${IMAGE_REF}" }
  ocr: { image: "\${OCR_IMAGE_REF:-ocr:default}" }
  db: { image: postgres:16 }
  built: { build: . }
  tools: { image: busybox, profiles: [debug] }
  off: { image: busybox, deploy: { replicas: 0 } }
`;
    assert.deepEqual(serviceImages(yaml, { IMAGE_REF: REF(1) }), [
      { service: 'app', image: REF(1) },
      { service: 'ocr', image: 'ocr:default' },
      { service: 'db', image: 'postgres:16' },
    ]);
    assert.deepEqual(serviceImages('', {}), []);
  });

  it('treats docker.io/library/x:latest and x as one image', () => {
    assert.ok(sameImage('postgres', 'docker.io/library/postgres:latest'));
    assert.ok(sameImage('org/app:1', 'docker.io/org/app:1'));
    assert.ok(!sameImage('postgres:16', 'postgres:15'));
    assert.ok(!sameImage('127.0.0.1:5000/app', '127.0.0.1:5000/app@sha256:00'));
  });
});
