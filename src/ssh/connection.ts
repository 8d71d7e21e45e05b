// One SSH connection with node-ssh: the host key pinned (checked before authentication),
// keepalive, and a streaming exec that notices a dropped connection (files travel on an exec's
// stdin: no SFTP). node-ssh is imported lazily so that an input error never pays for loading it;
// the TCP connection is opened first, so the server's sshd starts while ssh2 loads.
import type { EventEmitter } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { checkHostKey, hostKeyAlgorithms, type HostKeyCheck } from './host-key.js';
import type { SshTarget } from './target.js';
import { SshError, describeConnectError, where } from './errors.js';

// Minimal shapes of the ssh2 objects node-ssh exposes (ssh2 ships no typings here).
interface Channel extends EventEmitter {
  stderr: EventEmitter;
  write(data: string | Buffer): boolean;
  end(data?: string | Buffer): void;
  close(): void;
}
interface Ssh2Client extends EventEmitter {
  exec(command: string, cb: (err: Error | undefined, ch: Channel) => void): boolean;
  end(): void;
  destroy?(): void;
}

export interface ExecOptions {
  /** Called with each stdout chunk as it arrives (stdout is then not collected). */
  onStdout?: (chunk: Buffer) => void;
  stdin?: string | Buffer;
  /**
   * Instead of `stdin`: called once the channel is open with its stdin, to write and end later (the
   * caller answers what the command printed first on the same channel).
   */
  stdinLater?: (stdin: StdinLater) => void;
  /** Closes the channel after this long; the result then has timedOut. */
  timeoutMs?: number;
  /** Closes the channel when aborted (the remote process gets SIGHUP/EOF; detached runs are unaffected). */
  signal?: AbortSignal;
}

/** A channel's stdin, written after the command started; a write after the channel ended is dropped. */
export interface StdinLater {
  write(data: string | Buffer): void;
  end(data?: string | Buffer): void;
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

/** One authenticated SSH connection to one host. */
export class SshSession {
  private closedFlag = false;
  private lastError?: Error;
  private readonly closeWaiters = new Set<() => void>();

  constructor(
    readonly target: SshTarget,
    private readonly ssh: { connection: unknown; dispose(): void },
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
          if (!opts.stdinLater) ch.end(opts.stdin);
          else {
            // The channel is gone when these throw: its close event ends the exec.
            const quietly = (f: () => void) => {
              try {
                f();
              } catch {
                /* ignore */
              }
            };
            opts.stdinLater({
              write: (d) => quietly(() => ch.write(d)),
              end: (d) => quietly(() => ch.end(d)),
            });
          }
        });
      } catch (e) {
        ok = false;
        this.lastError = e as Error;
      }
      if (ok === false && !channel && this.closed) finish();
    });
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

/**
 * Starts the TCP connection and loads node-ssh meanwhile. ssh2 takes the socket connected or still
 * connecting (its readyTimeout then covers the rest); an error before it has the socket (a refused
 * connection, while the module loads) is thrown here, as ssh2 would have reported it.
 */
async function socketAndClient(target: SshTarget) {
  // No Nagle: SSH is request and answer; with it, a packet written in two parts waits for the
  // server's delayed ACK (≈ 40 ms each time: after the handshake, at each step of the user
  // authentication, on the exec channels). ssh2 never sets it, on its own sockets or on this one.
  const sock: Socket = tcpConnect({ host: target.host, port: target.port, noDelay: true });
  sock.setMaxListeners(0); // as ssh2 does for the sockets it makes
  let early: Error | undefined;
  const onEarly = (e: Error) => void (early ??= e);
  sock.on('error', onEarly);
  const { NodeSSH } = await import('node-ssh');
  sock.removeListener('error', onEarly);
  if (early || sock.destroyed) {
    sock.destroy();
    throw early ?? new Error('the connection was closed before the SSH handshake');
  }
  return { sock, ssh: new NodeSSH() };
}

/** Connects and authenticates, refusing any host key not pinned in target.hostKeys. */
export async function connect(target: SshTarget): Promise<SshSession> {
  let presented: HostKeyCheck | undefined;
  let opened: Awaited<ReturnType<typeof socketAndClient>>;
  try {
    opened = await socketAndClient(target);
  } catch (err) {
    throw describeConnectError(err, target, presented);
  }
  const { sock, ssh } = opened;
  const algorithms = hostKeyAlgorithms(target.hostKeys);
  try {
    // Synchronously up to ssh2's connect: the socket gets ssh2's listeners before any event.
    await ssh.connect({
      sock,
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
    sock.destroy();
    throw describeConnectError(err, target, presented);
  }
  if (!presented?.ok) {
    // Cannot happen (ssh2 always verifies when hostVerifier is set), but never proceed unverified.
    ssh.dispose();
    throw new SshError('host_key', `Host key of ${where(target)} was not verified; refusing to continue`);
  }
  return new SshSession(target, ssh as unknown as ConstructorParameters<typeof SshSession>[1]);
}
