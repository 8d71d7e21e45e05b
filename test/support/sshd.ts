// A real OpenSSH server on 127.0.0.1 for a deploy user with passwordless sudo (all of it, or the
// rule a test gives), with or without the SFTP subsystem.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { run, runOk, type RunResult } from './exec.js';
import { freePort, makeTempDir, sleep, startDaemon, stopDaemon } from './util.js';

const SSHD_BIN = '/usr/sbin/sshd'; // sshd insists on an absolute path (it re-executes itself)

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  user: string;
  /** OpenSSH private key text ("-----BEGIN OPENSSH PRIVATE KEY-----"), authorized for `user`. */
  privateKey: string;
  privateKeyPath: string;
  /** 'SHA256:...' of the host key, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** '[127.0.0.1]:PORT ssh-ed25519 AAAA...' */
  knownHostsLine: string;
  /** A known_hosts file holding knownHostsLine. */
  knownHostsPath: string;
  /** 'ssh-ed25519 AAAA...' */
  hostPublicKey: string;
  /** Holds the config, keys, sshd.log. */
  dir: string;
  /** PID of the listening sshd. */
  pid: number;
  /** PIDs of the per-connection sshd processes (children of the listener). */
  sessionPids(): Promise<number[]>;
  /** Kills every per-connection sshd process (cuts all connections, leaves the user's commands); returns how many were killed. */
  killSessions(signal?: NodeJS.Signals): Promise<number>;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Linux user to create/use; default 'seisei'. */
  user?: string;
  /** Where to keep state; a new temp dir by default. */
  dir?: string;
  /** Keep running after this process exits (see DaemonOptions). */
  persistent?: boolean;
  /** Offer the SFTP subsystem (default true); false: no `Subsystem` line at all. */
  sftp?: boolean;
  /** The user's sudoers rules, exactly (default `<user> ALL=(ALL) NOPASSWD: ALL`). */
  sudoers?: string;
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const user = opts.user ?? 'seisei';
  const dir = opts.dir ?? (await makeTempDir('sshd'));
  // sshd reads AuthorizedKeysFile as the user, so the dir must be traversable.
  await chmod(dir, 0o755);
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  await ensureDeployUser(user, opts.sudoers);

  const hostKey = await generateKey(path.join(dir, 'ssh_host_ed25519_key'), 'seisei-test-host');
  const clientKey = await generateKey(path.join(dir, 'client_ed25519'), `${user}@seisei-test`);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, clientKey.publicKey + '\n', { mode: 0o644 });

  const config = { dir, user, authorizedKeys, sftp: opts.sftp ?? true };
  const { child, port } = await launchOnFreePort(config, opts.persistent);
  const hostPublicKey = hostKey.publicKey.split(' ').slice(0, 2).join(' ');
  const knownHostsLine = `[127.0.0.1]:${port} ${hostPublicKey}`;
  const knownHostsPath = path.join(dir, 'known_hosts');
  await writeFile(knownHostsPath, knownHostsLine + '\n');
  const pid = child.pid ?? 0;

  const sessionPids = () => childPids(pid);
  return {
    host: '127.0.0.1',
    port,
    user,
    privateKey: await readFile(clientKey.path, 'utf8'),
    privateKeyPath: clientKey.path,
    hostKeyFingerprint: hostKey.fingerprint,
    knownHostsLine,
    knownHostsPath,
    hostPublicKey,
    dir,
    pid,
    sessionPids,
    killSessions: (signal: NodeJS.Signals = 'SIGKILL') => killSshSessions(pid, signal),
    stop: () => stopDaemon(child),
  };
}

/** Arguments for the ssh client: key, port, strict host checking against our known_hosts. */
export function sshArgs(
  sshd: { host: string; port: number } & Pick<Sshd, 'user' | 'privateKeyPath' | 'knownHostsPath'>,
  keyPath = sshd.privateKeyPath,
): string[] {
  const options = [
    'IdentitiesOnly=yes',
    'BatchMode=yes',
    'StrictHostKeyChecking=yes',
    `UserKnownHostsFile=${sshd.knownHostsPath}`,
    'GlobalKnownHostsFile=/dev/null',
    'ConnectTimeout=10',
  ];
  return [
    ...['-i', keyPath, '-p', String(sshd.port)],
    ...options.flatMap((o) => ['-o', o]),
    `${sshd.user}@${sshd.host}`,
  ];
}

interface KeyPair {
  path: string;
  publicKey: string;
  fingerprint: string;
}

/** Generates an ed25519 key pair without passphrase at `keyPath` (+ .pub). */
export async function generateKey(keyPath: string, comment: string): Promise<KeyPair> {
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', keyPath]);
  const publicKey = (await readFile(`${keyPath}.pub`, 'utf8')).trim();
  const { stdout } = await runOk('ssh-keygen', ['-l', '-f', `${keyPath}.pub`]);
  const fingerprint = stdout.split(' ')[1] ?? ''; // "256 SHA256:xxx comment (ED25519)"
  return { path: keyPath, publicKey, fingerprint };
}

interface SshdConfig {
  dir: string;
  user: string;
  authorizedKeys: string;
  sftp: boolean;
}

/**
 * The sshd_config of a test server; `listen` is the address it binds (127.0.0.1 unless a lab
 * host's IP); `sftp: false` leaves out the Subsystem line. LogLevel VERBOSE logs each subsystem
 * request ("subsystem request for sftp ...").
 */
export function sshdConfig(
  dir: string,
  port: number,
  user: string,
  authorizedKeys: string,
  listen = '127.0.0.1',
  opts: { sftp?: boolean } = {},
): string {
  const sftp = opts.sftp ?? true;
  return `Port ${port}
ListenAddress ${listen}
HostKey ${path.join(dir, 'ssh_host_ed25519_key')}
PidFile ${path.join(dir, 'sshd.pid')}
AuthorizedKeysFile ${authorizedKeys}
AllowUsers ${user}
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
StrictModes no
UseDNS no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 50
LogLevel VERBOSE
${sftp ? 'Subsystem sftp internal-sftp\n' : ''}`;
}

async function launchOnFreePort(
  config: SshdConfig,
  persistent = false,
): Promise<{ child: ChildProcess; port: number }> {
  const dir = config.dir;
  const configPath = path.join(dir, 'sshd_config');
  // freePort() can race with other test processes: try a few ports.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await writeFile(
      configPath,
      sshdConfig(dir, port, config.user, config.authorizedKeys, '127.0.0.1', { sftp: config.sftp }),
    );
    await runOk(SSHD_BIN, ['-t', '-f', configPath]);
    try {
      const child = await startDaemon(
        'sshd',
        SSHD_BIN,
        ['-D', '-e', '-f', configPath],
        path.join(dir, 'sshd.log'),
        () => hasBanner(port),
        undefined,
        { persistent },
      );
      return { child, port };
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** True once the server sends its "SSH-2.0-..." identification. */
export async function hasBanner(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
  });
}

// ---- the deploy user ------------------------------------------------------------------------

/** Creates the user (home, bash), unlocks it for key login and grants passwordless sudo (or `sudoers`). */
export async function ensureDeployUser(user: string, sudoers?: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new Error(`bad user name: ${user}`);
  if ((await run('id', ['-u', user])).code !== 0) {
    // Another test process may create it at the same moment: re-check before failing.
    const res = await retryOnLock(() => run('useradd', ['--create-home', '--shell', '/bin/bash', user]));
    if (res.code !== 0 && (await run('id', ['-u', user])).code !== 0)
      throw new Error(`useradd ${user}: ${res.stderr}`);
  }
  // Without PAM, sshd refuses accounts whose password is locked ('!'); '*' is "no password" but not locked.
  const shadow = (await runOk('getent', ['shadow', user])).stdout.split(':')[1] ?? '';
  if (shadow.startsWith('!')) {
    const res = await retryOnLock(() => run('usermod', ['-p', '*', user]));
    if (res.code !== 0) throw new Error(`usermod ${user}: ${res.stderr}`);
  }
  await ensureSudoers(user, sudoers);
}

async function ensureSudoers(user: string, rules = `${user} ALL=(ALL) NOPASSWD: ALL`): Promise<void> {
  const file = user === 'seisei' ? '/etc/sudoers.d/seisei-test' : `/etc/sudoers.d/seisei-test-${user}`;
  const content = rules.trimEnd() + '\n';
  if ((await readFile(file, 'utf8').catch(() => '')) === content) return;
  // sudo ignores files with a '.' in their name, so the temp file is inert until renamed.
  // One temp file per call: two users' rules written at once by one process must not swap files.
  const tmp = `/etc/sudoers.d/.seisei-test.${user}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o440 });
  await runOk('visudo', ['-c', '-q', '-f', tmp]);
  await rename(tmp, file);
}

/** Retries shadow-utils commands that fail because another process holds /etc/passwd's lock. */
async function retryOnLock(fn: () => Promise<RunResult>): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    const res = await fn();
    if (res.code === 0 || !/lock/i.test(res.stderr) || attempt >= 10) return res;
    await sleep(200);
  }
}

// ---- processes ------------------------------------------------------------------------------

interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
}

/** pid, parent pid and command name of every process, from /proc. */
async function processTable(): Promise<ProcEntry[]> {
  const table: ProcEntry[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    // Format: "pid (comm) state ppid ..."; comm may contain spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    table.push({ pid: Number(entry), ppid, comm });
  }
  return table;
}

/** PIDs whose parent is `parent`. */
export async function childPids(parent: number): Promise<number[]> {
  return (await processTable()).filter((p) => p.ppid === parent).map((p) => p.pid);
}

/**
 * The sshd processes of each connection: the privileged monitor (child of the listener) and the
 * unprivileged child that holds the socket. Killing only the monitor leaves the connection up.
 */
export async function sessionSshdPids(listener: number): Promise<number[]> {
  const table = await processTable();
  const monitors = table.filter((p) => p.ppid === listener).map((p) => p.pid);
  const children = table.filter((p) => monitors.includes(p.ppid) && p.comm === 'sshd').map((p) => p.pid);
  return [...children, ...monitors];
}

/** Kills every session of the sshd listening as `listener`; a session that ends meanwhile is fine. */
export async function killSshSessions(listener: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
  const pids = await sessionSshdPids(listener);
  for (const p of pids) killQuietly(p, signal);
  return pids.length;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
