// The inputs that say where to connect and how to run things there: host, port, user, key, pinned
// host keys, sudo, the executor policy, remote Node.js, srv_root and stacks_source.
import { DEFAULT_ROOT, DEFAULT_STACKS_SOURCE } from '../../common/layout.js';
import type { ServerOptions } from '../host/config.js';
import { EXECUTOR_MISMATCH } from '../host/executor.js';
import { HostKeyError, knownHostsName, parseHostKeys, pinsForHost } from '../ssh/host-key.js';
import type { SshEndpoint } from '../ssh/target.js';
import {
  absPath,
  anyString,
  boolean,
  integer,
  matching,
  oneOf,
  parsedBy,
  show,
  type Problems,
  type Values,
} from './fields.js';

const PRIVATE_KEY_FORM =
  'private_key: is not valid; expected a PEM/OpenSSH private key (-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----)';

/** A host name or IP address (brackets of [::1] removed). */
export const HOST_RE = /^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;

export const TARGET_FIELDS = {
  host: parsedBy((v) => {
    const h = v.replace(/^\[(.*)\]$/, '$1'); // [::1] -> ::1
    if (!HOST_RE.test(h))
      throw new Error(
        `host: ${show(v)} is not valid; expected a host name or IP address (e.g. deploy.example.com)`,
      );
    return h;
  }),
  port: integer('port', 1, 65535),
  username: matching('username', /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, 'a user name (e.g. deploy)'),
  private_key: parsedBy((v) => {
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(v) || !/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(v))
      throw new Error(PRIVATE_KEY_FORM);
    return v.endsWith('\n') ? v : v + '\n';
  }),
  passphrase: anyString,
  host_key: parsedBy((v) => {
    try {
      return parseHostKeys(v);
    } catch (err) {
      throw err instanceof HostKeyError ? err : new Error(`host_key: ${(err as Error).message}`);
    }
  }),
  sudo: boolean('sudo'),
  executor_mismatch: oneOf('executor_mismatch', EXECUTOR_MISMATCH),
  remote_node: matching(
    'remote_node',
    /^[A-Za-z0-9_./+-]{1,255}$/,
    'a command name or absolute path of Node.js on the server (e.g. node, /usr/bin/node)',
  ),
  srv_root: absPath('srv_root'),
  stacks_source: absPath('stacks_source'),
};

/** Why each SSH input is required, for the message. */
export const TARGET_REQUIRED_WHY: Partial<Record<keyof typeof TARGET_FIELDS, string>> = {
  host_key:
    '(the server\'s SSH host key: "SHA256:<base64>" fingerprints or known_hosts lines; host key verification cannot be turned off)',
  private_key: '(the SSH private key of the deploy user, PEM or OpenSSH format)',
};

type TargetValues = Values<typeof TARGET_FIELDS>;

/** The server options, with their defaults. */
export function serverOptions(v: TargetValues): ServerOptions {
  return {
    sudo: v.sudo ?? true,
    executorMismatch: v.executor_mismatch ?? 'fail',
    node: v.remote_node ?? 'node',
    root: v.srv_root ?? DEFAULT_ROOT,
    source: v.stacks_source ?? DEFAULT_STACKS_SOURCE,
  };
}

/** The SSH endpoint; the host_key lines must name host:port (as ssh matches known_hosts). */
export function sshEndpoint(v: TargetValues, p: Problems): SshEndpoint | undefined {
  if (!v.host || !v.host_key) return undefined;
  const port = v.port ?? 22;
  const hostKeys = pinsForHost(v.host_key, v.host, port);
  if (!hostKeys.length) {
    const name = knownHostsName(v.host, port);
    const named = [...new Set(v.host_key.map((k) => k.hosts))].join(', ');
    p.add(
      `host_key: no line applies to ${name}: the known_hosts lines name ${named}; add a line for ${name} (ssh-keyscan -p ${port} ${v.host}) or a "SHA256:..." fingerprint`,
    );
  }
  if (!v.username || !v.private_key) return undefined;
  return {
    host: v.host,
    port,
    username: v.username,
    privateKey: v.private_key,
    passphrase: v.passphrase,
    hostKeys,
  };
}
