// SSH with node-ssh: pinned host key (checked before authentication), keepalive, timeouts, clear
// errors; streaming exec that notices a dropped connection (files travel on an exec's stdin: no
// SFTP); and the preflight check of the server (Node.js >= 18, Docker, passwordless sudo, the
// installed executor). node-ssh is imported lazily so that an input error never pays for loading it.
import type { EventEmitter } from 'node:events';
import { parseInstalledVersion, upgradeHint, type InstalledVersion } from './privilege.js';
import { checkHostKey, describePins, hostKeyAlgorithms, type HostKeyCheck } from './host-key.js';
import type { SshTarget } from './inputs.js';

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

export interface ExecOptions {
  /** Called with each stdout chunk as it arrives (stdout is then not collected). */
  onStdout?: (chunk: Buffer) => void;
  stdin?: string | Buffer;
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
          ch.end(opts.stdin);
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

/** What the preflight found at <root>/releases/bin/seisei-deploy, looked at as the SSH user (no sudo). */
export interface InstalledExecutorInfo {
  path: string;
  /**
   * ok: a regular file that only root can change (root owns it and every directory above it, none
   * writable by group or others except sticky ones like /tmp), readable by the SSH user: sha256 is
   * its hash. absent: provably not there. untrusted: there, but someone other than root could
   * change it. unknown: could not be looked at (a directory not searchable, the file not readable).
   */
  state: 'ok' | 'absent' | 'untrusted' | 'unknown';
  sha256?: string;
  /** Why it is untrusted or unknown: text from the server (neutralise it before logging). */
  reason?: string;
}

export interface PreflightInfo {
  nodeVersion: string;
  dockerVersion: string;
  /** The installed executor, when a root was given. */
  installed?: InstalledExecutorInfo;
  /** The deploy user's sudo allows only the installed executor (docs/server-setup.md section 4). */
  narrow?: boolean;
  /** In narrow mode: what the installed executor's `version --json` said, if it answered. */
  installedVersion?: InstalledVersion;
}

/** Where each deploy installs the executor, which the action reuses when it is the same build. */
export const installedExecutor = (root: string) => `${root}/releases/bin/seisei-deploy`;

/** Programs the action itself runs as the SSH user (besides sh and the executor). */
export const USER_TOOLS = ['mktemp', 'cat', 'sha256sum', 'stat', 'rm'] as const;

/**
 * Shell (POSIX sh, GNU or busybox stat) that prints one `cli=` line about the executor installed at
 * `path`, run as the SSH user without sudo: `cli=absent`, `cli=ok <sha256>`, `cli=untrusted <why>`
 * or `cli=unknown <why>`. Trusted only when root alone can change the file: root owns the file and
 * each directory above it, on the path as given and on the physical path (symlinks resolved), and
 * none of them is writable by group or others (a sticky directory, like /tmp, excepted).
 */
export function installedExecutorScript(path: string): string {
  return [
    `F=${shellQuote(path)}`,
    // cli_walk P: "ok" when root owns P and each directory above it, and none of them (a symlink
    // aside: its mode means nothing) is writable by group or others unless it is a sticky
    // directory; otherwise the first problem. One stat for them all; an answer that does not
    // have one line per path is a problem (fail-closed).
    `cli_walk() { p=$1; set --; ` +
      `while :; do set -- "$@" "$p"; [ "$p" = / ] && break; p=\${p%/*}; [ -n "$p" ] || p=/; done; ` +
      `n=$#; o=$(stat -c '%u %A %n' -- "$@" 2>/dev/null) || { echo "cannot stat $1 or a directory above it"; return; }; ` +
      `k=0; r=ok; while IFS= read -r l; do k=$((k+1)); u=\${l%% *}; l=\${l#* }; m=\${l%% *}; q=\${l#* }; ` +
      `if [ "$u" != 0 ]; then r="$q is owned by uid $u, not root"; break; fi; ` +
      `case $m in l*|d????????[tT]) ;; ?????w*|????????w*) r="$q is writable by group or others ($m)"; break;; ` +
      `[-d]?????????) ;; *) r="cannot read the mode of $q ($m)"; break;; esac; done <<EOF\n$o\nEOF\n` +
      `if [ "$r" = ok ] && [ "$k" != "$n" ]; then r="cannot check $1: unexpected answer from stat"; fi; echo "$r"; }`,
    // Missing for sure: the nearest ancestor that exists is searchable, so its child is really absent.
    `cli_absent() { c=$F; while [ ! -e "$c" ] && [ ! -L "$c" ]; do p=\${c%/*}; [ -n "$p" ] || p=/; ` +
      `if [ -e "$p" ]; then [ -d "$p" ] && [ -x "$p" ]; return; fi; [ "$p" = "$c" ] && return 1; c=$p; done; return 1; }`,
    `if [ -e "$F" ] || [ -L "$F" ]; then`,
    `  if [ -L "$F" ] || [ ! -f "$F" ]; then echo "cli=untrusted $F is not a regular file"`,
    `  else`,
    `    b=$(cli_walk "$F")`,
    `    if [ "$b" = ok ]; then d=$(cd -P -- "\${F%/*}" 2>/dev/null && pwd -P); ` +
      `if [ -n "$d" ]; then b=$(cli_walk "$d"); else b="cannot resolve the directory of $F"; fi; fi`,
    // One line, whatever the names hold.
    `    if [ "$b" != ok ]; then printf 'cli=untrusted %s\\n' "$(printf %s "\${b:-cannot check $F}" | tr '\\n' ' ')"`,
    `    elif h=$(sha256sum < "$F" 2>/dev/null); then echo "cli=ok \${h%% *}"`,
    `    else echo "cli=unknown $F is not readable by $(id -un 2>/dev/null)"; fi`,
    `  fi`,
    `elif cli_absent; then echo cli=absent`,
    `else echo "cli=unknown a directory above $F is not searchable by $(id -un 2>/dev/null)"; fi`,
  ].join('\n');
}

/**
 * One shell command that reports sudo, node, docker, the SSH user's tools and the installed
 * executor as `key=value` lines. Under sudo it runs exactly `sudo -n true`, `sudo -n <node> -e ...`
 * and `sudo -n docker version ...`; everything else runs as the SSH user.
 */
export function preflightScript(r: RemoteOptions): string {
  return [
    `N=${shellQuote(r.node)}`,
    r.sudo
      ? `if ! command -v sudo >/dev/null 2>&1; then echo sudo=missing; exit 0; fi; ` +
        `if sudo -n true 2>/dev/null; then echo sudo=ok; S='sudo -n'; ` +
        (r.root ? narrowSudoProbe(installedExecutor(r.root)) : '') +
        `else echo sudo=fail; exit 0; fi`
      : `S=''`,
    // With narrow sudo, Node.js and Docker cannot be asked as root; the executor's preflight checks Docker.
    `if [ "$S" != narrow ]; then`,
    `if v=$($S "$N" -e 'process.stdout.write(process.versions.node)' 2>&1); then echo "node=ok $v"; else echo "node=fail $(printf %s "$v" | tr '\\n' ' ' | cut -c1-300)"; fi`,
    `if d=$($S docker version --format '{{.Server.Version}}' 2>&1); then echo "docker=ok $d"; else echo "docker=fail $(printf %s "$d" | tr '\\n' ' ' | cut -c1-300)"; fi`,
    `fi`,
    // command -v only tells whether a name runs (for a builtin it prints the bare name).
    `m=; for t in ${USER_TOOLS.join(' ')}; do command -v "$t" >/dev/null 2>&1 || m="$m $t"; done; echo "tools=\${m# }"`,
    ...(r.root ? [installedExecutorScript(installedExecutor(r.root))] : []),
  ].join('\n');
}

/**
 * When `sudo -n true` is refused: does sudo allow the installed executor alone (the narrow rule)?
 * `sudo -n -l <file>` exits 0 only when the rule allows it and the file exists. Then ask its
 * `version --json` (the one command sudo allows); its hash is read as the SSH user, like any.
 */
function narrowSudoProbe(exe: string): string {
  const q = shellQuote(exe);
  return (
    `elif sudo -n -l ${q} >/dev/null 2>&1; then echo sudo=narrow; S=narrow; ` +
    `echo "exe=$(sudo -n ${q} version --json 2>/dev/null | head -c 500 | tr '\\n' ' ')"; `
  );
}

/** The private temp dir the action creates on the server (mktemp -d: 0700, owned by the SSH user). */
export const TEMP_DIR_RE = /^\/[A-Za-z0-9._/-]*\/seisei-deploy\.[A-Za-z0-9]{6,}$/;
const SENT_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** A file the action sends: its name in the temp dir and the sha256 (hex) of its bytes. */
export interface SentFile {
  name: string;
  sha256: string;
}

/**
 * Shell, run as the SSH user, that writes its stdin to <dir>/<name> (mode 0600, never over an
 * existing entry) and checks the sha256 of what arrived. Without `dir` it first creates the private
 * temp dir and prints `dir=<path>`. Prints `sent=<sha256>`; when the bytes differ (stdin cut short
 * by a lost connection) it removes what it wrote (the dir, when it made it) and exits 3. Files thus
 * travel on the exec channel, like the request: the server needs no SFTP subsystem.
 */
export function sendFileScript(file: SentFile, dir?: string): string {
  if (!SENT_NAME_RE.test(file.name)) throw new Error(`internal: bad file name ${JSON.stringify(file.name)}`);
  if (!/^[0-9a-f]{64}$/.test(file.sha256)) throw new Error(`internal: bad sha256 ${file.sha256}`);
  if (dir !== undefined && !TEMP_DIR_RE.test(dir)) throw new Error(`internal: bad temp dir ${dir}`);
  const undo = dir === undefined ? 'rm -rf -- "$d"' : 'rm -f -- "$f"';
  return [
    'umask 077; set -C',
    dir === undefined
      ? `d=$(mktemp -d "\${TMPDIR:-/tmp}/seisei-deploy.XXXXXXXXXX") || exit 1; echo "dir=$d"`
      : `d=${shellQuote(dir)}`,
    `f="$d/"${shellQuote(file.name)}`,
    // Never over an existing entry (and set -C makes the redirection refuse one, too).
    `if [ -e "$f" ] || [ -L "$f" ]; then echo "$f exists already" >&2; exit 3; fi`,
    `cat > "$f" || { echo "cannot write $f" >&2; ${undo}; exit 3; }`,
    `h=$(sha256sum < "$f"); h=\${h%% *}`,
    `if [ "$h" = ${file.sha256} ]; then echo "sent=$h"; ` +
      `else echo "the file arrived with sha256 \${h:-?}, sent ${file.sha256}" >&2; ${undo}; exit 3; fi`,
  ].join('\n');
}

/** Interprets the preflight output; throws SshError('preflight') listing every problem. */
export function checkPreflight(stdout: string, r: RemoteOptions, t: SshTarget): PreflightInfo {
  const facts = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(sudo|node|docker|tools|cli|exe)=(.*)$/.exec(line.trim());
    // The first answer counts: a later line (text from a name on the server) cannot override it.
    if (m && !facts.has(m[1]!)) facts.set(m[1]!, m[2]!);
  }
  const fail = (problems: string[]) =>
    new SshError('preflight', `Server check failed on ${t.host}:\n  - ${problems.join('\n  - ')}`);
  const sudo = facts.get('sudo');
  // With narrow sudo, Node.js and Docker cannot be asked as root: the executor's preflight step checks Docker.
  const narrow = r.sudo && sudo === 'narrow';
  if (r.sudo && sudo !== 'ok' && !narrow)
    throw fail([
      sudo === 'missing'
        ? `sudo is not installed on ${t.host}; install it, or set sudo: false if ${t.username} may run Docker and write srv_root itself`
        : `passwordless sudo is not available for ${t.username} on ${t.host} ('sudo -n true' failed): allow it in sudoers for true, node and docker (see docs/server-setup.md, "sudo for the deploy user"); or, for sudo that allows only the installed executor, install it (${upgradeHint(r.root ?? '/srv')}) and allow exactly ${installedExecutor(r.root ?? '/srv')}; or set sudo: false if ${t.username} may run Docker and write srv_root itself`,
    ]);
  const problems: string[] = [];
  const runtime = narrow ? { nodeVersion: '', dockerVersion: '' } : checkRuntime(facts, r, t, problems);
  const tools = facts.get('tools');
  if (tools === undefined) problems.push(`the server check's list of tools got no answer on ${t.host}`);
  else if (tools.trim())
    problems.push(
      `${tools.trim().split(/\s+/).join(', ')} not found in the PATH of ${t.username} on ${t.host}: the action runs them as ${t.username} to send and check the executor (install coreutils)`,
    );
  if (problems.length) throw fail(problems);
  const installedVersion = narrow ? parseInstalledVersion(facts.get('exe')?.trim()) : undefined;
  return {
    ...runtime,
    ...(r.root ? { installed: parseInstalled(facts.get('cli'), installedExecutor(r.root)) } : {}),
    ...(narrow ? { narrow } : {}),
    ...(installedVersion ? { installedVersion } : {}),
  };
}

/** Node.js (>= 18) and Docker as the executor will run them; problems are appended. */
function checkRuntime(
  facts: Map<string, string>,
  r: RemoteOptions,
  t: SshTarget,
  problems: string[],
): { nodeVersion: string; dockerVersion: string } {
  const via = r.sudo ? ' (run via sudo -n)' : '';
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
  return { nodeVersion, dockerVersion };
}

/** The `cli=` line of the preflight (installedExecutorScript) as InstalledExecutorInfo. */
export function parseInstalled(line: string | undefined, path: string): InstalledExecutorInfo {
  const [state = '', ...rest] = (line ?? '').split(' ');
  const detail = rest.join(' ').slice(0, 500);
  if (state === 'absent') return { path, state: 'absent' };
  if (state === 'ok' && /^[0-9a-f]{64}$/.test(detail)) return { path, state: 'ok', sha256: detail };
  if (state === 'untrusted') return { path, state: 'untrusted', reason: detail || 'no reason given' };
  return {
    path,
    state: 'unknown',
    reason: detail || (line === undefined ? 'no answer' : `unexpected answer: ${line.slice(0, 200)}`),
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
