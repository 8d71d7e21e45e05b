// Pinned SSH host keys (input `host_key`): `SHA256:<base64>` fingerprints and known_hosts lines.
// Parsing happens with the inputs (no network); matching happens in ssh2's hostVerifier, before
// any authentication. There is deliberately no way to switch verification off.
import { createHash, createHmac } from 'node:crypto';

export interface HostKeyPin {
  /** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** Key type from a known_hosts line (`ssh-ed25519`, ...); absent for a bare fingerprint. */
  keyType?: string;
  /** The host field of a known_hosts line; absent for a bare fingerprint (applies to any host). */
  hosts?: string;
  /** 1-based line number in the input, for messages. */
  line: number;
}

export class HostKeyError extends Error {
  override name = 'HostKeyError';
}

const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-dss',
]);

const EXPECTED =
  'each line must be a fingerprint "SHA256:<base64>" (ssh-keygen -lf key.pub) or a known_hosts line "[host]:port key-type base64" / "host key-type base64" (ssh-keyscan -p PORT HOST)';

/** `SHA256:` + unpadded base64 of the SHA-256 of the raw public key blob. */
export function fingerprintOfBlob(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (its first string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Parses the `host_key` input; throws HostKeyError naming the input and line. */
export function parseHostKeys(text: string): HostKeyPin[] {
  const pins: HostKeyPin[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    let line = raw.trim();
    const n = i + 1;
    if (!line || line.startsWith('#')) return;
    // `ssh-keygen -lf` prints "256 SHA256:<b64> host (ED25519)": take its fingerprint field.
    const keygen = /^\d+\s+(SHA256:\S+)(\s.*)?$/.exec(line);
    if (keygen) line = keygen[1]!;
    const bad = (why: string): never => {
      throw new HostKeyError(`host_key: line ${n}: ${why}; ${EXPECTED}`);
    };
    if (/^MD5:/i.test(line)) bad('MD5 fingerprints are not accepted, use the SHA256 fingerprint');
    if (/^SHA256:/i.test(line)) {
      if (!line.startsWith('SHA256:')) bad('write the prefix as "SHA256:"');
      const b64 = line.slice(7).replace(/=+$/, '');
      if (!/^[A-Za-z0-9+/]{43}$/.test(b64))
        bad('a SHA256 fingerprint is "SHA256:" followed by 43 base64 characters');
      pins.push({ fingerprint: 'SHA256:' + b64, line: n });
      return;
    }
    const fields = line.split(/\s+/);
    if (fields[0]!.startsWith('@'))
      bad(
        `known_hosts markers such as ${fields[0]} (certificate authorities, revocations) are not supported`,
      );
    if (fields.length < 3) bad('a known_hosts line has at least three fields: hosts, key type, base64 key');
    const [hosts, keyType, b64] = fields as [string, string, string];
    if (!KEY_TYPES.has(keyType)) bad(`unknown key type ${JSON.stringify(keyType.slice(0, 40))}`);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) bad('the key is not base64');
    const blob = Buffer.from(b64, 'base64');
    if (keyTypeOfBlob(blob) !== keyType) bad(`the base64 key is not a ${keyType} key`);
    pins.push({ fingerprint: fingerprintOfBlob(blob), keyType, hosts, line: n });
  });
  if (!pins.length)
    throw new HostKeyError(
      `host_key: required (it holds no key); host key verification cannot be turned off; ${EXPECTED}`,
    );
  return pins;
}

/** The name ssh looks up in known_hosts: `host` on port 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const esc = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${esc}$`, 'i');
}

/** Whether a known_hosts host field (patterns, negations, hashed `|1|salt|hash`) names host:port. */
export function hostFieldMatches(field: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pat of field.split(',')) {
    if (pat.startsWith('!')) {
      if (globToRegExp(pat.slice(1)).test(name)) return false;
    } else if (globToRegExp(pat).test(name)) matched = true;
  }
  return matched;
}

/** Pins that apply to host:port: every bare fingerprint, and known_hosts lines whose hosts match. */
export function pinsForHost(pins: readonly HostKeyPin[], host: string, port: number): HostKeyPin[] {
  return pins.filter((p) => p.hosts === undefined || hostFieldMatches(p.hosts, host, port));
}

export interface HostKeyCheck {
  ok: boolean;
  fingerprint: string;
  keyType: string;
}

/** Compares the key the server presented (raw blob) against the pins. */
export function checkHostKey(pins: readonly HostKeyPin[], blob: Buffer): HostKeyCheck {
  const fingerprint = fingerprintOfBlob(blob);
  const keyType = keyTypeOfBlob(blob);
  const ok = pins.some(
    (p) => p.fingerprint === fingerprint && (p.keyType === undefined || p.keyType === keyType),
  );
  return { ok, fingerprint, keyType };
}

/**
 * Host key algorithms to offer, so that the server presents a key we pinned (as OpenSSH orders
 * HostKeyAlgorithms by known_hosts). Undefined (ssh2's default order) when any pin is a bare
 * fingerprint, whose key type we do not know.
 */
export function hostKeyAlgorithms(pins: readonly HostKeyPin[]): string[] | undefined {
  if (pins.some((p) => p.keyType === undefined)) return undefined;
  const algs: string[] = [];
  for (const p of pins) {
    const add = p.keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [p.keyType!];
    for (const a of add) if (!algs.includes(a)) algs.push(a);
  }
  return algs;
}

export function describePins(pins: readonly HostKeyPin[]): string {
  return pins.map((p) => (p.keyType ? `${p.keyType} ${p.fingerprint}` : p.fingerprint)).join(', ');
}
