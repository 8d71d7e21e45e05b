// Issue 3, acceptance 5 and 6, and the installed CLI: verify/unverify against the real gate, and
// status reporting drift that an operator caused by hand.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { dockerOk, run, serverNode } from '../support/sandbox.js';
import { startTarget, type Target } from './fixture.js';

describe('operator CLI on a real target', () => {
  let t: Target;
  before(async () => {
    t = await startTarget();
  });
  after(async () => t?.close());

  test('verify lets production pass the gate; unverify closes it again; a touched marker passes and is noted', async () => {
    const img = await t.image('sha-ver0001');
    assert.equal((await t.deploy('sha-ver0001')).code, 0); // staging
    const v = await t.cli([
      'verify',
      'sha-ver0001',
      '--digest-file',
      img.manifest,
      '--note',
      'staging checks passed',
      '--actor',
      'qa-alice',
    ]);
    assert.equal(v.code, 0, v.stderr);
    const marker = JSON.parse(readFileSync(path.join(t.root, 'releases', 'verified', 'sha-ver0001'), 'utf8'));
    assert.deepEqual(
      [marker.image_tag, marker.digests, marker.verified_by, marker.note],
      ['sha-ver0001', { app: img.digest }, 'qa-alice', 'staging checks passed'],
    );
    const verifyRecord = (await t.history()).at(-1)!;
    assert.deepEqual([verifyRecord.mode, verifyRecord.actor], ['verify', 'qa-alice']);
    const prod = `${t.stack}-prod`;
    await t.addStack(prod);
    const deployed = await t.deploy('sha-ver0001', 'production', [], prod);
    assert.equal(deployed.code, 0, deployed.stdout);
    assert.equal((await t.manifest(prod))!.gate, 'verified');

    assert.equal((await t.cli(['unverify', 'sha-ver0001', '--actor', 'qa-alice'])).code, 0);
    const refused = await t.deploy('sha-ver0001', 'production', [], prod);
    assert.equal(
      refused.result!.msg,
      `Version not verified: ${t.root}/releases/verified/sha-ver0001 does not exist`,
    );

    await t.image('sha-ver0002');
    writeFileSync(path.join(t.root, 'releases', 'verified', 'sha-ver0002'), ''); // sudo touch, the old way
    const touched = await t.deploy('sha-ver0002', 'production', [], prod);
    assert.equal(touched.code, 0, touched.stdout);
    assert.equal((await t.manifest(prod))!.gate, 'verified-empty-marker');
  });

  test('each deploy installs the operator CLI, root-owned and not writable by others', async () => {
    const cli = path.join(t.root, 'releases', 'bin', 'seisei-deploy');
    const st = statSync(cli);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o022, 0);
    const help = await run(serverNode(), [cli, 'status', '--help']);
    assert.equal(help.code, 0);
    const status = await run(serverNode(), [cli, 'status', t.stack, '--root', t.root, '--json']);
    assert.equal(status.code, 0, status.stdout + status.stderr);
  });

  test('status reports drift when a container is replaced by hand with another image', async () => {
    const clean = await t.cli(['status', t.stack]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    const other = await t.image('sha-hand999');
    const live = (
      await dockerOk(['ps', '-q', '--filter', `label=com.docker.compose.project=${t.stack}`])
    ).stdout.trim();
    const labels = JSON.parse(
      (await dockerOk(['inspect', '--format', '{{json .Config.Labels}}', live])).stdout,
    );
    await dockerOk(['rm', '-f', live]);
    const label = (k: string) => ['--label', `${k}=${labels[k]}`];
    const hand = (
      await dockerOk([
        'run',
        '-d',
        ...label('com.docker.compose.project'),
        ...label('com.docker.compose.service'),
        ...label('com.docker.compose.oneoff'),
        ...label('com.docker.compose.container-number'),
        other.ref,
      ])
    ).stdout.trim();
    const r = await run(serverNode(), [
      path.join(t.root, 'releases', 'bin', 'seisei-deploy'),
      'status',
      t.stack,
      '--root',
      t.root,
    ]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stdout + r.stderr,
      new RegExp(`uses ${other.ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} but the manifest says`),
    );
    await dockerOk(['rm', '-f', hand]); // converge as status says: redeploy
    const fixed = await t.deploy('sha-ver0002', 'staging');
    assert.equal(fixed.code, 0, fixed.stdout);
  });

  test('status reports drift when the manifest was edited to another release', async () => {
    const file = path.join(t.root, 'releases', 'current', `${t.stack}.json`);
    const m = JSON.parse(readFileSync(file, 'utf8'));
    const original = m.release_id;
    m.release_id = 'sha-ver0001__20200101T000000Z';
    writeFileSync(file, JSON.stringify(m));
    const r = await t.cli(['status', t.stack]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout + r.stderr,
      new RegExp(
        `points to ${original}.*but the manifest says sha-ver0001__20200101T000000Z|manifest says sha-ver0001__20200101T000000Z`,
      ),
    );
    mkdirSync(path.dirname(file), { recursive: true });
  });
});
