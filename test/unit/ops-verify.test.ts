// `verify` / `unverify`: marker contents, atomic write, history records, and the gate reading them.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DeployError } from '../../remote/errors.js';
import { recentRecords } from '../../remote/domain/history.js';
import { digestsFromFile, unverifyTag, verifyTag } from '../../remote/ops/verify.js';
import { checkGate } from '../../remote/steps/gate.js';
import { cli as run, DIGEST, REF, tempRoot } from './ops-fixture.js';

let fx: ReturnType<typeof tempRoot>;
beforeEach(() => (fx = tempRoot()));
afterEach(() => fx.dispose());

function digestFile(tag: string, imageTag = tag): string {
  const path = join(fx.root, 'image-digests.json');
  const img = (n: number, repo: string) => ({ tag: imageTag, ref: REF(n, repo), digest: DIGEST(n) });
  writeFileSync(
    path,
    JSON.stringify({
      git_sha: 'abc1234'.padEnd(40, '0'),
      git_sha7: 'abc1234',
      built_at_utc: '2026-01-31T12:00:00Z',
      images: {
        'seisei-odoo18': img(1, 'ghcr.io/org/seisei-odoo18'),
        'seisei-ocr': img(2, 'ghcr.io/org/seisei-ocr'),
      },
    }),
  );
  return path;
}

const gate = (tag: string, digests: Record<string, string>) =>
  checkGate(fx.l, { env: 'production', gatedEnvs: ['production'], tag, digests, breakGlass: false });

function codeOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof DeployError, String(err));
    return err.code;
  }
  return undefined;
}

describe('verify', () => {
  it('writes the marker JSON with the digests of the manifest and records it with the actor', () => {
    const digests = digestsFromFile(digestFile('sha-abc1234'), 'sha-abc1234');
    const before = Date.now();
    const done = verifyTag(fx.l, 'sha-abc1234', { digests, note: 'staging ok 很好', actor: 'bob' });
    const marker = JSON.parse(readFileSync(fx.l.marker('sha-abc1234'), 'utf8'));
    assert.deepEqual(Object.keys(marker), ['image_tag', 'digests', 'verified_at', 'verified_by', 'note']);
    assert.equal(marker.image_tag, 'sha-abc1234');
    assert.deepEqual(marker.digests, { 'seisei-odoo18': DIGEST(1), 'seisei-ocr': DIGEST(2) });
    assert.ok(Date.parse(marker.verified_at) >= before - 1000);
    assert.equal(marker.verified_by, 'bob');
    assert.equal(marker.note, 'staging ok 很好');
    assert.equal(done.replaced, undefined);
    assert.deepEqual(readdirSync(fx.l.verifiedDir), ['sha-abc1234'], 'no temp file left behind');

    const [rec] = recentRecords(fx.l.history, { limit: 5 });
    assert.equal(rec?.mode, 'verify');
    assert.equal(rec?.status, 'success');
    assert.equal(rec?.stack, '');
    assert.equal(rec?.actor, 'bob');
    assert.equal(rec?.image_tag, 'sha-abc1234');
    assert.equal(rec?.release_id, '');
    assert.deepEqual(rec?.digests, marker.digests);
    assert.equal(rec?.note, 'staging ok 很好');
  });

  it('binds the gate to the digests: same passes, a different one fails naming the image', () => {
    const digests = digestsFromFile(digestFile('sha-abc1234'), 'sha-abc1234');
    verifyTag(fx.l, 'sha-abc1234', { digests, note: '', actor: 'bob' });
    assert.equal(gate('sha-abc1234', { 'seisei-odoo18': DIGEST(1) }), 'verified');
    assert.throws(
      () => gate('sha-abc1234', { 'seisei-odoo18': DIGEST(9) }),
      /seisei-odoo18: verified sha256:0+1, deploying/,
    );
  });

  it('without a digest file writes empty digests, which the gate accepts and notes', () => {
    verifyTag(fx.l, 'sha-1', { digests: {}, note: '', actor: 'bob' });
    assert.deepEqual(JSON.parse(readFileSync(fx.l.marker('sha-1'), 'utf8')).digests, {});
    assert.equal(gate('sha-1', { app: DIGEST(1) }), 'verified-empty-marker');
  });

  it('replacing a marker says what it replaced', () => {
    verifyTag(fx.l, 'sha-1', { digests: {}, note: 'first', actor: 'ann' });
    const again = verifyTag(fx.l, 'sha-1', { digests: {}, note: 'second', actor: 'bob' });
    assert.equal(typeof again.replaced === 'object' && again.replaced.verified_by, 'ann');
    mkdirSync(fx.l.verifiedDir, { recursive: true });
    writeFileSync(fx.l.marker('sha-2'), ''); // `touch`
    assert.equal(verifyTag(fx.l, 'sha-2', { digests: {}, note: '', actor: 'bob' }).replaced, 'empty');
  });

  it('refuses a digest manifest for another tag or an unreadable file, as bad input (exit 2)', () => {
    assert.equal(
      codeOf(() => digestsFromFile(digestFile('sha-abc1234', 'sha-other'), 'sha-abc1234')),
      2,
    );
    assert.throws(
      () => digestsFromFile(digestFile('sha-abc1234', 'sha-other'), 'sha-abc1234'),
      /does not equal the requested image_tag "sha-abc1234"/,
    );
    assert.equal(
      codeOf(() => digestsFromFile(join(fx.root, 'missing.json'), 'sha-1')),
      2,
    );
  });
});

describe('unverify', () => {
  it('removes the marker and records what it held', () => {
    const digests = digestsFromFile(digestFile('sha-abc1234'), 'sha-abc1234');
    verifyTag(fx.l, 'sha-abc1234', { digests, note: '', actor: 'bob' });
    const done = unverifyTag(fx.l, 'sha-abc1234', { note: 'bug found', actor: 'carol' });
    assert.deepEqual(readdirSync(fx.l.verifiedDir), []);
    assert.equal(typeof done.removed === 'object' && done.removed.verified_by, 'bob');
    assert.throws(() => gate('sha-abc1234', {}), {
      message: /^Version not verified: \/.*\/releases\/verified\/sha-abc1234 does not exist$/,
    });
    const [rec] = recentRecords(fx.l.history, { limit: 1 });
    assert.equal(rec?.mode, 'unverify');
    assert.equal(rec?.actor, 'carol');
    assert.equal(rec?.note, 'bug found');
    assert.deepEqual(rec?.digests, digests);
  });

  it('removes a touched (empty) marker', () => {
    mkdirSync(fx.l.verifiedDir, { recursive: true });
    writeFileSync(fx.l.marker('sha-1'), '');
    assert.equal(unverifyTag(fx.l, 'sha-1', { note: '', actor: 'x' }).removed, 'empty');
  });

  it('fails (exit 1) when the tag is not verified, and records nothing', () => {
    assert.equal(
      codeOf(() => unverifyTag(fx.l, 'sha-1', { note: '', actor: 'x' })),
      1,
    );
    assert.throws(
      () => unverifyTag(fx.l, 'sha-1', { note: '', actor: 'x' }),
      /sha-1 is not verified: .* does not exist/,
    );
    assert.deepEqual(recentRecords(fx.l.history, { limit: 1 }), []);
  });
});

describe('verify/unverify from the command line', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => run(fx.root, args, env);

  it('takes the actor from SUDO_USER, prints JSON with --json, and exits 2 on a bad tag', () => {
    const ok = cli(['verify', 'sha-1', '--note', 'fine', '--json'], { SUDO_USER: 'dora' });
    assert.equal(ok.status, 0, ok.stderr);
    const out = JSON.parse(ok.stdout);
    assert.equal(out.marker.verified_by, 'dora');
    assert.equal(out.path, fx.l.marker('sha-1'));
    const bad = cli(['verify', '.bad']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not a valid Docker tag/);
    const missing = cli(['unverify', 'sha-2']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /sha-2 is not verified/);
    assert.equal(cli(['unverify', 'sha-1']).status, 0);
  });
});
