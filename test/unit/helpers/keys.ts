// Real SSH keys for tests without ssh-keygen: ed25519 from node's crypto, encoded in OpenSSH's
// private key format (unencrypted), plus the public blob, authorized_keys and known_hosts forms.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

function sshString(b: Buffer | string): Buffer {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}

export interface TestKey {
  /** OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----). */
  privateKey: string;
  /** Raw public key blob (string "ssh-ed25519", string key). */
  blob: Buffer;
  /** `ssh-ed25519 AAAA... comment` */
  publicLine: string;
}

export function ed25519Key(comment = 'test'): TestKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
  const seed = Buffer.from(jwk.d, 'base64url');
  const pub = Buffer.from(jwk.x, 'base64url');
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const nkeys = Buffer.alloc(4);
  nkeys.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    nkeys,
    sshString(blob),
    sshString(priv),
  ]);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`,
    blob,
    publicLine: `ssh-ed25519 ${blob.toString('base64')} ${comment}`,
  };
}
