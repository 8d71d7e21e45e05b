// SSH with node-ssh: pinned host key (checked before authentication), keepalive, timeouts, clear
// errors; streaming exec that notices a dropped connection; one SFTP session for uploads; and the
// preflight check of the server (Node.js >= 18, Docker, passwordless sudo). node-ssh is imported
// lazily so that an input error never pays for loading it.
import type { EventEmitter } from 'node:events';
import { checkHostKey, describePins, hostKeyAlgorithms, type HostKeyCheck } from './host-key.js';
import type { SshTarget } from './inputs.js';
import { narrowPreflight, upgradeHint, type ServerExecutor } from './privilege.js';

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

/** POSIX shell single-quoting; every untrusted word on a remote command line goes through this. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
export const shellJoin = (words: readonly string[]) => words.map(shellQuote).join(' ');

// Minimal shapes of the ssh2 objects node-ssh exposes (ssh2 ships no typings here).
interface Channel extends EventEmitter {
  stderr: EventEmitter;
  end(data?: string | Buffer): void;
  close(): void;
}
interface Ssh2Client extends EventEmitter {
  exec(command: string, cb: (err: Error | undefined, ch: Channel) => void): boolean;
  end(): void;
  destroy?(): void;
}
interface SftpAttrs {
  mode: number;
}
export interface Sftp {
  fastPut(local: string, remote: string, opts: object, cb: (err?: Error | null) => void): void;
  writeFile(
    path: string,
    data: string | Buffer,
    opts: { mode?: number },
    cb: (err?: Error | null) => void,
  ): void;
  chmod(path: string, mode: number, cb: (err?: Error | null) => void): void;
  stat(path: string, cb: (err: Error | null | undefined, attrs: SftpAttrs) => void): void;
  end(): void;
}

export interface ExecOptions {
  /** Called with each stdout chunk as it arrives (stdout is then not collected). */
  onStdout?: (chunk: Buffer) => void;
  stdin?: string;
  /** Closes the channel after this long; the result then has timedOut. */
  timeoutMs?: number;
  /** Closes the channel when aborted (the remote process gets SIGHUP/EOF; detached runs are unaffected). */
  signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit code; null when the channel closed without one (connection lost, aborted, timed out). */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
  aborted?: boolean;
}

const where = (t: SshTarget) => `${t.host}:${t.port}`;

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

/** One authenticated SSH connection to one host. */
export class SshSession {
  private closedFlag = false;
  private lastError?: Error;
  private readonly closeWaiters = new Set<() => void>();

  constructor(
    readonly target: SshTarget,
    private readonly ssh: { connection: unknown; dispose(): void; requestSFTP(): Promise<unknown> },
  ) {
    const client = this.client;
    // After 'ready' node-ssh leaves no 'error' listener: an unhandled one would crash the process.
    client.on('error', (err: Error) => {
      this.lastError = err;
    });
    const onClose = () => {
      this.closedFlag = true;
      for (const w of this.closeWaiters) w();
    };
    client.on('close', onClose);
    client.on('end', onClose);
  }

  private get client(): Ssh2Client {
    return this.ssh.connection as Ssh2Client;
  }

  get closed(): boolean {
    return this.closedFlag || this.ssh.connection == null;
  }

  /** Why the connection ended, when it did. */
  get closeReason(): string {
    return this.lastError ? this.lastError.message : 'the connection was closed';
  }

  /** Runs one command; resolves when its channel closes (also when the connection drops). */
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (this.closed)
        return reject(
          new SshError(
            'connection',
            `SSH connection to ${where(this.target)} is closed: ${this.closeReason}`,
          ),
        );
      if (opts.signal?.aborted)
        return resolve({ code: null, signal: null, stdout: '', stderr: '', aborted: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code: number | null = null;
      let sig: string | null = null;
      let timedOut = false;
      let aborted = false;
      let done = false;
      let channel: Channel | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.closeWaiters.delete(finish);
        resolve({
          code,
          signal: sig,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          ...(timedOut ? { timedOut } : {}),
          ...(aborted ? { aborted } : {}),
        });
      };
      const stop = () => {
        try {
          channel?.close();
        } catch {
          /* already closed */
        }
        finish();
      };
      const onAbort = () => {
        aborted = true;
        stop();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.closeWaiters.add(finish);
      if (opts.timeoutMs !== undefined)
        timer = setTimeout(
          () => {
            timedOut = true;
            stop();
          },
          Math.max(0, opts.timeoutMs),
        );
      let ok: boolean;
      try {
        ok = this.client.exec(command, (e, ch) => {
          if (e) {
            if (done) return;
            done = true;
            clearTimeout(timer);
            opts.signal?.removeEventListener('abort', onAbort);
            this.closeWaiters.delete(finish);
            return reject(
              new SshError('connection', `cannot run a command on ${where(this.target)}: ${e.message}`),
            );
          }
          channel = ch;
          if (done) return stop();
          ch.on('data', (d: Buffer) => (opts.onStdout ? opts.onStdout(d) : out.push(d)));
          ch.stderr.on('data', (d: Buffer) => err.push(d));
          ch.on('exit', (c: number | null, s?: string) => {
            code = typeof c === 'number' ? c : null;
            sig = s ?? null;
          });
          ch.on('close', finish);
          ch.on('error', () => undefined);
          ch.end(opts.stdin);
        });
      } catch (e) {
        ok = false;
        this.lastError = e as Error;
      }
      if (ok === false && !channel && this.closed) finish();
    });
  }

  /** Runs `fn` with one SFTP session, ended afterwards. */
  async withSftp<T>(fn: (sftp: Sftp) => Promise<T>): Promise<T> {
    const sftp = (await this.ssh.requestSFTP()) as Sftp;
    try {
      return await fn(sftp);
    } finally {
      sftp.end();
    }
  }

  close(): void {
    this.closedFlag = true;
    try {
      this.ssh.dispose();
    } catch {
      /* ignore */
    }
  }
}

/** Connects and authenticates, refusing any host key not pinned in target.hostKeys. */
export async function connect(target: SshTarget): Promise<SshSession> {
  const { NodeSSH } = await import('node-ssh');
  const ssh = new NodeSSH();
  let presented: HostKeyCheck | undefined;
  const algorithms = hostKeyAlgorithms(target.hostKeys);
  try {
    await ssh.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      ...(target.passphrase ? { passphrase: target.passphrase } : {}),
      hostVerifier: (key: Buffer) => {
        presented = checkHostKey(target.hostKeys, key);
        return presented.ok;
      },
      ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {}),
      readyTimeout: target.readyTimeoutMs,
      keepaliveInterval: target.keepaliveIntervalMs,
      keepaliveCountMax: target.keepaliveCountMax,
      tryKeyboard: false,
      agent: undefined,
    });
  } catch (err) {
    ssh.dispose();
    throw describeConnectError(err, target, presented);
  }
  if (!presented?.ok) {
    // Cannot happen (ssh2 always verifies when hostVerifier is set), but never proceed unverified.
    ssh.dispose();
    throw new SshError('host_key', `Host key of ${where(target)} was not verified; refusing to continue`);
  }
  return new SshSession(target, ssh as unknown as ConstructorParameters<typeof SshSession>[1]);
}

export interface RemoteOptions {
  sudo: boolean;
  node: string;
  /** srv_root: where the last deploy installed the executor (releases/bin/seisei-deploy). */
  root?: string;
}

/** The command prefix that runs something as root (or as the SSH user when sudo is off). */
export const asRoot = (r: RemoteOptions) => (r.sudo ? 'sudo -n ' : '');

export interface PreflightInfo extends ServerExecutor {
  nodeVersion: string;
  dockerVersion: string;
  /** sha256 (hex) of the executor installed at <root>/releases/bin/seisei-deploy, if any. */
  installedSha256?: string;
}

/** Where each deploy installs the executor, which the action reuses when it is the same build. */
export const installedExecutor = (root: string) => `${root}/releases/bin/seisei-deploy`;

/** One shell command that reports sudo, node and docker as `key=value` lines. */
export function preflightScript(r: RemoteOptions): string {
  return [
    `N=${shellQuote(r.node)}`,
    r.sudo
      ? `if ! command -v sudo >/dev/null 2>&1; then echo sudo=missing; exit 0; fi; ` +
        `if sudo -n true 2>/dev/null; then echo sudo=ok; ${r.root ? narrowSudoProbe(installedExecutor(r.root)) : 'else echo sudo=fail; exit 0; '}fi; S='sudo -n'`
      : `S=''`,
    `if v=$($S "$N" -e 'process.stdout.write(process.versions.node)' 2>&1); then echo "node=ok $v"; else echo "node=fail $(printf %s "$v" | tr '\\n' ' ' | cut -c1-300)"; fi`,
    `if d=$($S docker version --format '{{.Server.Version}}' 2>&1); then echo "docker=ok $d"; else echo "docker=fail $(printf %s "$d" | tr '\\n' ' ' | cut -c1-300)"; fi`,
    ...(r.root
      ? [`echo "cli=$($S sha256sum ${shellQuote(installedExecutor(r.root))} 2>/dev/null | cut -c1-64)"`]
      : []),
  ].join('\n');
}

/**
 * When `sudo -n true` is refused: is sudo allowed for the installed executor alone (the narrow
 * rule)? Then report its sha256 (read as the SSH user: it is 0755) and its `version --json`.
 */
function narrowSudoProbe(exe: string): string {
  const q = shellQuote(exe);
  return (
    `elif sudo -n -l ${q} >/dev/null 2>&1; then echo sudo=narrow; ` +
    `echo "cli=$(sha256sum ${q} 2>/dev/null | cut -c1-64)"; ` +
    `echo "exe=$(sudo -n ${q} version --json 2>/dev/null | head -c 500 | tr '\\n' ' ')"; exit 0; ` +
    `else echo sudo=fail; exit 0; `
  );
}

/** Interprets the preflight output; throws SshError('preflight') listing every problem. */
export function checkPreflight(stdout: string, r: RemoteOptions, t: SshTarget): PreflightInfo {
  const facts = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(sudo|node|docker|cli|exe)=(.*)$/.exec(line.trim());
    if (m) facts.set(m[1]!, m[2]!);
  }
  const problems: string[] = [];
  const via = r.sudo ? ' (run via sudo -n)' : '';
  const sudo = facts.get('sudo');
  if (r.sudo && sudo === 'narrow') return narrowPreflight(facts.get('cli'), facts.get('exe'));
  if (r.sudo && sudo !== 'ok') {
    problems.push(
      sudo === 'missing'
        ? `sudo is not installed on ${t.host}; install it, or set sudo: false if ${t.username} may run Docker and write srv_root itself`
        : `passwordless sudo is not available for ${t.username} on ${t.host} ('sudo -n true' failed): allow it in sudoers for true, node and docker (see docs/server-setup.md, "sudo for the deploy user"); or, for sudo that allows only the installed executor, install it (${upgradeHint(r.root ?? '/srv')}) and allow exactly ${installedExecutor(r.root ?? '/srv')}; or set sudo: false if ${t.username} may run Docker and write srv_root itself`,
    );
    throw new SshError('preflight', `Server check failed on ${t.host}:\n  - ${problems.join('\n  - ')}`);
  }
  const node = facts.get('node') ?? 'fail (no answer)';
  let nodeVersion = '';
  const nv = /^ok v?(\d+)\.(\d+)\.(\d+)/.exec(node);
  if (!nv)
    problems.push(
      `Node.js is not runnable as ${shellQuote(r.node)}${via} on ${t.host}: ${node.replace(/^fail ?/, '') || 'no output'}; install Node.js >= 18 or set remote_node to its absolute path` +
        (r.sudo ? ' (sudo uses secure_path, which may not include /usr/local/bin)' : ''),
    );
  else {
    nodeVersion = `${nv[1]}.${nv[2]}.${nv[3]}`;
    if (Number(nv[1]) < 18)
      problems.push(
        `Node.js ${nodeVersion} at ${shellQuote(r.node)}${via} on ${t.host} is too old: the executor needs Node.js >= 18 (set remote_node to a newer one)`,
      );
  }
  const docker = facts.get('docker') ?? 'fail (no answer)';
  let dockerVersion = '';
  if (docker.startsWith('ok ')) dockerVersion = docker.slice(3).trim();
  else
    problems.push(
      `'docker version'${via} failed on ${t.host}: ${docker.replace(/^fail ?/, '') || 'no output'}; install Docker Engine and make sure its daemon is running`,
    );
  if (problems.length)
    throw new SshError('preflight', `Server check failed on ${t.host}:\n  - ${problems.join('\n  - ')}`);
  const cli = facts.get('cli');
  return {
    nodeVersion,
    dockerVersion,
    ...(cli && /^[0-9a-f]{64}$/.test(cli) ? { installedSha256: cli } : {}),
  };
}

/** Checks in one command that the server can run the executor. */
export async function preflight(session: SshSession, r: RemoteOptions): Promise<PreflightInfo> {
  const res = await session.exec(preflightScript(r), { timeoutMs: 60_000 });
  if (res.code === null && !res.stdout)
    throw new SshError(
      'connection',
      `Server check on ${session.target.host} got no answer: ${res.timedOut ? 'timed out after 60 s' : session.closeReason}`,
    );
  return checkPreflight(res.stdout, r, session.target);
}
