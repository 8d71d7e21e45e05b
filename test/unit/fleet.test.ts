// The pure parts of the fleet: the hosts list, the rollout's batches, the fleet inputs in the
// settings, the fleet rollback target, drift between hosts, the fleet status, the summary rows, and
// the fleet fields of the executor's requests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  emptyRow,
  fleetDrift,
  fleetRollbackTarget,
  fleetStatus,
  summaryRows,
  tagOfRelease,
} from '../../src/fleet/plan.js';
import { deployRequest, rollbackRequest } from '../../common/request.js';
import { InputError } from '../../src/inputs/fields.js';
import { batchPlan, parseHostsList, parseRollout } from '../../src/inputs/fleet.js';
import type { RawInputs } from '../../src/inputs/raw.js';
import { parseSettings } from '../../src/inputs/settings.js';
import { fingerprintOfBlob } from '../../src/ssh/host-key.js';
import { ed25519Key } from './helpers/keys.js';

describe('the hosts input', () => {
  it('reads host and host:port lines, skipping comments and blank lines', () => {
    assert.deepEqual(
      parseHostsList('# app servers\napp1.example.com\n\n  10.0.0.2:2222  # second\n[::1]:22\n::2\n'),
      [
        { host: 'app1.example.com' },
        { host: '10.0.0.2', port: 2222 },
        { host: '::1', port: 22 },
        { host: '::2' },
      ],
    );
  });
  it('refuses a bad host, a bad port and a host listed twice, naming the line', () => {
    assert.throws(() => parseHostsList('a.example\nbad host!'), /hosts: line 2 .*not valid/);
    assert.throws(() => parseHostsList('a.example:70000'), /hosts: line 1 .*1 to 65535/);
    assert.throws(() => parseHostsList('a.example\nA.example'), /hosts: line 2 .*listed twice/);
  });
});

describe('the rollout input and its batches', () => {
  it('parses parallel, a count and a percentage, and refuses anything else', () => {
    assert.deepEqual(parseRollout('parallel'), { kind: 'parallel' });
    assert.deepEqual(parseRollout('2'), { kind: 'count', n: 2 });
    assert.deepEqual(parseRollout('25%'), { kind: 'percent', pct: 25 });
    for (const bad of ['0', '0%', '101%', 'all', '-1', '1.5'])
      assert.throws(() => parseRollout(bad), /^Error: rollout: /);
  });
  it('plans batches in host order; the first batch is the canary', () => {
    assert.deepEqual(batchPlan(3, { kind: 'count', n: 1 }), [[0], [1], [2]]);
    assert.deepEqual(batchPlan(5, { kind: 'count', n: 2 }), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(batchPlan(3, { kind: 'parallel' }), [[0, 1, 2]]);
    assert.deepEqual(batchPlan(4, { kind: 'percent', pct: 25 }), [[0], [1], [2], [3]]);
    assert.deepEqual(batchPlan(3, { kind: 'percent', pct: 50 }), [[0, 1], [2]]);
    assert.deepEqual(batchPlan(2, { kind: 'count', n: 10 }), [[0, 1]]);
  });
});

describe('the fleet settings', () => {
  const k1 = ed25519Key('h1');
  const k2 = ed25519Key('h2');
  const user = ed25519Key('user');
  const line = (host: string, k: ReturnType<typeof ed25519Key>) =>
    `${host} ssh-ed25519 ${k.blob.toString('base64')}`;
  const base: RawInputs = {
    mode: 'deploy',
    stack: 'odoo18',
    environment: 'staging',
    image_tag: 'sha-abc1234',
    hosts: '10.0.0.1\n10.0.0.2:2222',
    username: 'deploy',
    private_key: user.privateKey,
    host_key: `${line('10.0.0.1', k1)}\n${line('[10.0.0.2]:2222', k2)}`,
  };
  const problems = (raw: RawInputs) => {
    try {
      parseSettings(raw, {});
    } catch (err) {
      assert.ok(err instanceof InputError);
      return err.problems;
    }
    assert.fail('expected an InputError');
  };

  it('gives each host the known_hosts lines naming it, the shared login and the defaults', () => {
    const s = parseSettings(base, {});
    assert.deepEqual(
      s.fleet!.endpoints.map((e) => [e.host, e.port, e.username, e.hostKeys.map((p) => p.fingerprint)]),
      [
        ['10.0.0.1', 22, 'deploy', [fingerprintOfBlob(k1.blob)]],
        ['10.0.0.2', 2222, 'deploy', [fingerprintOfBlob(k2.blob)]],
      ],
    );
    assert.deepEqual(s.fleet!.rollout, { kind: 'count', n: 1 });
    assert.equal(s.fleet!.rolloutWaitS, 0);
    assert.equal(s.fleet!.onFailure, 'rollback');
    assert.equal(s.target!.host, '10.0.0.1');
  });
  it('a fingerprint pins every host', () => {
    const s = parseSettings({ ...base, host_key: fingerprintOfBlob(k1.blob) }, {});
    assert.equal(s.fleet!.endpoints.length, 2);
  });
  it('names the host no known_hosts line applies to', () => {
    assert.deepEqual(problems({ ...base, host_key: line('10.0.0.1', k1) }).length, 1);
    assert.match(
      problems({ ...base, host_key: line('10.0.0.1', k1) })[0]!,
      /host_key: .*\[10\.0\.0\.2\]:2222/,
    );
  });
  it('refuses host and hosts together, and the rollout inputs without hosts', () => {
    assert.match(problems({ ...base, host: '10.0.0.9' }).join('\n'), /host: set either host .* or hosts/);
    const { hosts: _, ...oneHost } = base;
    assert.match(
      problems({ ...oneHost, host: '10.0.0.1', rollout: '1' }).join('\n'),
      /rollout: only applies with hosts/,
    );
    assert.match(problems({ ...base, on_failure: 'ignore' }).join('\n'), /on_failure: .*rollback, halt/);
  });
  it('refuses steps_back other than 1 for a fleet rollback', () => {
    assert.match(
      problems({ ...base, mode: 'rollback', image_tag: '', steps_back: '2' }).join('\n'),
      /^steps_back: a fleet rollback goes to the newest image tag/m,
    );
  });
  it('leaves the one-host form as it was', () => {
    const { hosts: _, ...oneHost } = base;
    const s = parseSettings({ ...oneHost, host: '10.0.0.1' }, {});
    assert.equal(s.fleet, undefined);
    assert.equal(s.target!.host, '10.0.0.1');
  });
});

describe('the fleet rollback target', () => {
  it('is the newest tag that is a candidate on every host, each host to its own release of it', () => {
    const t = fleetRollbackTarget([
      { host: 'h1', candidates: ['b__20260101T000200Z', 'a__20260101T000100Z'] },
      { host: 'h2', candidates: ['b__20260101T000201Z', 'a__20260101T000101Z', 'a__20251201T000000Z'] },
      { host: 'h3', candidates: ['a__20260105T000000Z'] },
    ]);
    assert.deepEqual(t, {
      tag: 'a',
      releases: ['a__20260101T000100Z', 'a__20260101T000101Z', 'a__20260105T000000Z'],
    });
  });
  it('prefers the tag deployed last when several are common', () => {
    const t = fleetRollbackTarget([
      { host: 'h1', candidates: ['b__20260101T000200Z-2', 'a__20260101T000100Z'] },
      { host: 'h2', candidates: ['b__20260101T000201Z', 'a__20260101T000101Z'] },
    ]);
    assert.equal(t.tag, 'b');
  });
  it('fails naming what each host could go back to when no tag is common', () => {
    assert.throws(
      () =>
        fleetRollbackTarget([
          { host: 'h1', candidates: ['b__20260101T000200Z'] },
          { host: 'h2', candidates: [] },
        ]),
      /no image tag is a rollback candidate on every host: h1 can go back to b; h2 can go back to nothing/,
    );
  });
  it('reads the tag of a release id, with __ inside the tag', () => {
    assert.equal(tagOfRelease('v1__x__20260101T000200Z-3'), 'v1__x');
    assert.equal(tagOfRelease('not-a-release'), undefined);
  });
});

describe('the fleet result', () => {
  const live = (host: string, tag: string, id = `${tag}__20260101T000000Z`) => ({
    host,
    image_tag: tag,
    image_digest: `sha256:${tag.padEnd(64, '0')}`,
    release_id: id,
  });
  it('reports hosts that run another release as drift, and none when they agree', () => {
    assert.equal(
      fleetDrift('web', [live('h1', 'b', 'b__20260101T000000Z'), live('h2', 'b', 'b__20260101T000009Z')]),
      '',
    );
    assert.match(
      fleetDrift('web', [live('h1', 'b'), live('h2', 'b'), live('h3', 'a')]),
      /^web: the hosts run different releases: h1, h2 run b \(sha256:b0.*\); h3 runs a/,
    );
  });
  it('is success only when every host succeeded; rolled back when every touched host went back', () => {
    const row = (host: string, status: string) => ({ ...emptyRow(host), status });
    assert.equal(fleetStatus([row('a', 'success'), row('b', 'success')]), 'success');
    assert.equal(
      fleetStatus([row('a', 'rolled_back'), row('b', 'rolled_back'), row('c', 'skipped')]),
      'rolled_back',
    );
    assert.equal(fleetStatus([row('a', 'success'), row('b', 'failed'), row('c', 'skipped')]), 'failed');
    assert.equal(fleetStatus([row('a', 'unknown'), row('b', 'rolled_back')]), 'unknown');
  });
  it('has one summary row per host after the header', () => {
    const rows = summaryRows([
      { ...emptyRow('h1'), status: 'success', release_id: 'b__20260101T000000Z' },
      { ...emptyRow('h2'), status: 'failed', error: 'smoke | failed\nbadly' },
    ]);
    assert.deepEqual(rows, [
      ['Host', 'Result', 'Release', 'Previous release', 'Error'],
      ['h1', 'success', 'b__20260101T000000Z', '', ''],
      ['h2', 'failed', '', '', 'smoke \\| failed badly'],
    ]);
  });
});

describe('the fleet fields of the executor requests', () => {
  const common = { stack: 'web', env: 'staging' };
  it('rollback to: only a release id', () => {
    assert.equal(
      rollbackRequest.safeParse({ command: 'rollback', ...common, to: 'v1__20260101T000000Z' }).success,
      true,
    );
    for (const to of ['../x', 'v1', 'v1__20260101T000000Z; rm -rf /'])
      assert.equal(rollbackRequest.safeParse({ command: 'rollback', ...common, to }).success, false, to);
  });
  it('fleet: a position within the size, nothing else', () => {
    const ok = (fleet: unknown) =>
      rollbackRequest.safeParse({ command: 'rollback', ...common, fleet }).success;
    assert.equal(ok({ size: 3, position: 3 }), true);
    assert.equal(ok({ size: 3, position: 4 }), false);
    assert.equal(ok({ size: 3, position: 0 }), false);
    assert.equal(ok({ size: 3, position: 1, extra: true }), false);
  });
  it('a deploy is not a check unless it says so', () => {
    const r = deployRequest.parse({
      command: 'deploy',
      ...common,
      image_tag: 'v1',
      digest_file: '/tmp/d.json',
    });
    assert.equal(r.check, false);
  });
});
