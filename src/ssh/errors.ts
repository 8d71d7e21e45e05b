// SSH failures as SshError: what went wrong (kind) and a message that says what to check.
import { describePins, type HostKeyCheck } from './host-key.js';
import type { SshTarget } from './target.js';

export type SshErrorKind =
  'host_key' | 'auth' | 'key' | 'unreachable' | 'timeout' | 'connection' | 'preflight';

export class SshError extends Error {
  override name = 'SshError';
  constructor(
    readonly kind: SshErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const where = (t: SshTarget) => `${t.host}:${t.port}`;

/** Maps connection errors to messages that say what to check. */
export function describeConnectError(
  err: unknown,
  t: SshTarget,
  presented: HostKeyCheck | undefined,
): SshError {
  const e = err as Error & { code?: string; level?: string };
  const msg = e?.message ?? String(err);
  if (presented && !presented.ok)
    return new SshError(
      'host_key',
      `Host key verification failed for ${where(t)}: the server presented ${presented.keyType} ${presented.fingerprint}, ` +
        `but host_key pins ${describePins(t.hostKeys)}. Refused before authentication: no credentials were sent and nothing ran on the server. ` +
        `If the server's key changed on purpose, update host_key (ssh-keyscan -p ${t.port} ${t.host} | ssh-keygen -lf -).`,
    );
  if (/Cannot parse privateKey|does not contain a \(valid\) private key/i.test(msg)) {
    if (/passphrase|encrypted|decrypt|bad decrypt/i.test(msg))
      return new SshError(
        'key',
        `passphrase: the private_key is encrypted and passphrase is missing or wrong (${msg})`,
      );
    return new SshError(
      'key',
      `private_key: cannot be parsed (${msg}); expected an unencrypted or passphrase-protected OpenSSH/PEM private key`,
    );
  }
  if (e?.level === 'client-authentication')
    return new SshError(
      'auth',
      `Authentication failed for ${t.username}@${where(t)}: check private_key/passphrase and authorized_keys (the server's host key was verified)`,
    );
  switch (e?.code) {
    case 'ECONNREFUSED':
      return new SshError(
        'unreachable',
        `Cannot connect to ${where(t)}: connection refused (is sshd running there, and is port ${t.port} right?)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SshError(
        'unreachable',
        `Cannot connect to ${where(t)}: the host name ${t.host} cannot be resolved (${e.code})`,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new SshError(
        'unreachable',
        `Cannot connect to ${where(t)}: the host is unreachable (${e.code})`,
      );
    case 'ETIMEDOUT':
      return new SshError(
        'timeout',
        `Cannot connect to ${where(t)}: no answer within ${Math.round(t.readyTimeoutMs / 1000)} s (firewall, wrong host or port?)`,
      );
    case 'ECONNRESET':
      return new SshError(
        'connection',
        `Connection to ${where(t)} was reset during the SSH handshake (${msg})`,
      );
  }
  if (e?.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(msg))
    return new SshError(
      'timeout',
      `Cannot connect to ${where(t)}: no SSH handshake within ${Math.round(t.readyTimeoutMs / 1000)} s (is it an SSH server?)`,
    );
  return new SshError('connection', `Cannot connect to ${t.username}@${where(t)}: ${msg}`);
}
