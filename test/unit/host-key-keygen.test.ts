import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostKeys } from '../../src/ssh/host-key.js';

const FP = 'SHA256:' + 'A'.repeat(43);

test('host_key accepts the line `ssh-keygen -lf` prints, keeping only its fingerprint', () => {
  assert.deepEqual(
    parseHostKeys(`256 ${FP} deploy.example.com (ED25519)`).map((p) => p.fingerprint),
    [FP],
  );
  assert.throws(() => parseHostKeys('256 MD5:aa:bb host (ED25519)'), /host_key: line 1/);
});
