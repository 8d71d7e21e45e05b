// One session with one host: connect + preflight, send files into a private temp dir, start the run
// detached, follow its journal (reconnecting and resuming from the byte offset when SSH drops), run
// a synchronous executor mode, and remove the temp dir. It takes a per-host HostConfig, so a fleet
// is a loop over sessions. The action never kills a run on the server.
import * as core from '@actions/core';
import type { ResultEvent } from '../../common/events.js';
import { layout } from '../../common/layout.js';
import type { DeployRequest, RollbackRequest } from '../../common/request.js';
import { RUN_KEY_RE } from '../../common/names.js';
import { safeText } from '../neutralise.js';
import type { StatusOfError } from '../report/outputs.js';
import { connect, type ExecResult, type SshSession } from '../ssh/connection.js';
import { SshError } from '../ssh/errors.js';
import { preflight, type PreflightInfo } from '../ssh/preflight.js';
import { TEMP_DIR_RE } from '../ssh/send-file.js';
import { asRoot, shellJoin } from '../ssh/shell.js';
import type { SshTarget } from '../ssh/target.js';
import type { HostConfig } from './config.js';
import { followJournal, type FollowLink } from './follow.js';
import type { JournalLine } from './journal.js';
import { RemoteError, removeAfterScript, removeNowScript, sendFile, type UploadFile } from './upload.js';

export { RemoteError, type UploadFile } from './upload.js';

/** The run may still be going on the server; we no longer know how it ends. */
export class OutcomeUnknownError extends RemoteError implements StatusOfError {
  override name = 'OutcomeUnknownError';
  readonly outputStatus = 'unknown';
}

export interface StartInfo {
  run_key: string;
  journal: string;
  pid?: number;
}

/** What `remote.cjs run -` reads on stdin. */
export interface RunInputs {
  request: DeployRequest | RollbackRequest;
  digest_manifest?: string;
  registry_password?: string;
}

export interface HostSessionOptions {
  /** The mode this session runs, for messages. */
  mode: string;
  /** Aborted when the job is cancelled (SIGTERM/SIGINT): stop following, never stop the run. */
  signal: AbortSignal;
  connect?: (t: SshTarget) => Promise<SshSession>;
  /** First reconnect delay; doubles up to 30 s within reconnectTimeoutS. */
  backoffBaseMs?: number;
  /** Where open() logs (a fleet keeps each host's lines together); default the job log. */
  log?: (line: string) => void;
}

export class HostSession {
  session?: SshSession;
  tmpDir?: string;
  /** The executor to run: the installed one when it is this build, else the uploaded copy. */
  executor?: string;
  /** Run the executor by its shebang (narrow sudo allows only that file), not `<node> <file>`. */
  direct = false;
  stack?: string;
  runKey?: string;
  journal?: string;
  /** pid of the detached executor, from `run --detach`. */
  pid?: number;
  private started = false;
  private resultSeen = false;

  constructor(
    readonly config: HostConfig,
    private readonly opts: HostSessionOptions,
  ) {}

  get target(): SshTarget {
    return this.config.target;
  }

  get label(): string {
    return `${this.target.username}@${this.target.host}:${this.target.port}`;
  }

  private get connectFn() {
    return this.opts.connect ?? connect;
  }

  /** Connects (host key pinned) and checks Node.js, Docker and sudo on the server. */
  async open(): Promise<PreflightInfo> {
    const log = this.opts.log ?? core.info;
    this.session = await this.connectFn(this.target);
    log(`Connected to ${this.label}; host key verified`);
    this.throwIfCancelled();
    const server = this.config.server;
    const info = await preflight(this.session, server);
    log(
      safeText(
        info.narrow
          ? `Server: sudo allows only the installed executor${info.installedVersion ? ` (seisei-deploy ${info.installedVersion.version})` : ''}`
          : `Server: Node.js ${info.nodeVersion}, Docker ${info.dockerVersion}${server.sudo ? ', passwordless sudo' : ''}`,
      ),
    );
    return info;
  }

  private live(): SshSession {
    if (!this.session || this.session.closed)
      throw new SshError('connection', `SSH connection to ${this.label} is closed`);
    return this.session;
  }

  /** The executor command line: only temp paths and validated words, each shell-quoted. */
  cli(args: readonly string[]): string {
    const server = this.config.server;
    if (!this.executor && !this.tmpDir) throw new RemoteError('internal: no executor uploaded yet');
    if (this.direct && this.executor) return asRoot(server) + shellJoin([this.executor, ...args]);
    return asRoot(server) + shellJoin([server.node, this.executor ?? `${this.tmpDir}/remote.cjs`, ...args]);
  }

  /**
   * Sends the files into a new private temp dir (0700, owned by the SSH user), one exec per file
   * with the bytes on stdin (no SFTP); the server checks each file's sha256. Returns the dir.
   */
  async upload(files: readonly UploadFile[]): Promise<string> {
    if (!files.length) throw new RemoteError('internal: nothing to upload');
    for (const f of files) this.tmpDir = await sendFile(this.live(), f, this.tmpDir);
    return this.tmpDir!;
  }

  /** Starts `remote.cjs run - --detach`: validated synchronously, then detached from SSH. */
  async start(inputs: RunInputs): Promise<StartInfo> {
    const { run_key: runKey = '', stack } = inputs.request;
    if (!RUN_KEY_RE.test(runKey)) throw new RemoteError(`internal: invalid run key ${runKey}`);
    this.throwIfCancelled();
    this.resultSeen = false; // a session may start a second run (a fleet's way back)
    // `run -`: request, manifest and password travel on stdin; the executor stages them privately.
    const res = await this.live().exec(this.cli(['run', '-', '--detach', '--run-key', runKey]), {
      timeoutMs: 120_000,
      stdin: JSON.stringify(inputs),
    });
    if (res.code === 2)
      throw new RemoteError(`The executor refused the request: ${res.stderr.trim() || res.stdout.trim()}`);
    this.runKey = runKey;
    this.stack = stack;
    if (res.code === null) {
      // We cannot tell whether it started: treat it as started (never clean up under a live run).
      this.started = true;
      this.journal = layout(this.config.server.root).journal(stack, runKey);
      throw new OutcomeUnknownError(
        `Lost the connection while starting the run on ${this.label} (${res.timedOut ? 'timed out' : (this.session?.closeReason ?? 'connection lost')}); it may have started. ` +
          this.howToCheck(),
      );
    }
    if (res.code !== 0)
      throw new RemoteError(
        `Starting the executor on ${this.target.host} failed (exit ${res.code}): ${(res.stderr || res.stdout).trim().slice(-2000)}`,
      );
    this.started = true;
    const info = this.startInfo(res.stdout, runKey);
    this.journal = info.journal;
    if (Number.isSafeInteger(info.pid) && (info.pid ?? 0) > 0) this.pid = info.pid;
    core.info(
      safeText(
        `Run ${runKey} started on ${this.target.host}${info.pid ? ` (pid ${info.pid})` : ''}; journal ${info.journal}`,
      ),
    );
    return info;
  }

  /** The last line of `run --detach`: `{run_key, journal, pid}` of this run. */
  private startInfo(stdout: string, runKey: string): StartInfo {
    const line = stdout.trim().split('\n').pop() ?? '';
    let info: StartInfo;
    try {
      info = JSON.parse(line) as StartInfo;
    } catch {
      throw new RemoteError(
        `The executor started but printed no run information (stdout: ${JSON.stringify(stdout.slice(-500))})`,
      );
    }
    if (info.run_key !== runKey || typeof info.journal !== 'string')
      throw new RemoteError(`The executor answered with an unexpected run (${line.slice(0, 300)})`);
    return info;
  }

  /** How an operator finds out what happened, for messages when we stop following. */
  howToCheck(): string {
    const l = layout(this.config.server.root);
    const t = this.target;
    return (
      `Run key: ${this.runKey ?? '(unknown)'}. Journal: ${this.journal ?? '(unknown)'}. ` +
      `Check on the server: ssh -p ${t.port} ${t.username}@${t.host} sudo ${l.cli} status ${this.stack ?? '<stack>'}` +
      (this.journal ? `, and read the journal: sudo cat ${this.journal}` : '')
    );
  }

  private async reconnect(): Promise<void> {
    this.session?.close();
    this.session = undefined;
    this.session = await this.connectFn(this.target);
    core.info(`Reconnected to ${this.label}`);
  }

  /** Follows the run's journal to its result (host/follow.ts), reconnecting as needed. */
  async follow(onLine: (l: JournalLine) => void): Promise<ResultEvent> {
    const { stack, runKey } = this;
    if (!runKey || !stack) throw new RemoteError('internal: follow before start');
    const { root } = this.config.server;
    const link: FollowLink = {
      follow: async (offset, opts) => {
        if (!this.session || this.session.closed) await this.reconnect();
        const args = ['follow', stack, runKey, '--offset', String(offset), '--root', root];
        return this.live().exec(this.cli(args), opts);
      },
      closeReason: () => this.session?.closeReason ?? 'connection lost',
      label: this.label,
      host: this.target.host,
      unknown: (why) => new OutcomeUnknownError(`${why} ${this.howToCheck()}`),
      cancelled: () => this.cancelled(),
    };
    const { signal, backoffBaseMs = 1000 } = this.opts;
    const { timeoutMinutes, reconnectTimeoutS } = this.config;
    const result = await followJournal(
      link,
      { signal, timeoutMinutes, reconnectTimeoutS, backoffBaseMs },
      onLine,
    );
    this.resultSeen = true;
    return result;
  }

  /** Before anything runs on the server, a cancelled job simply stops. */
  throwIfCancelled(): void {
    if (this.opts.signal.aborted)
      throw new RemoteError(
        `The job was cancelled before the ${this.opts.mode} started on ${this.target.host}; nothing was started there.`,
      );
  }

  private cancelled(): RemoteError {
    return new OutcomeUnknownError(
      `The job was cancelled: stopped following. The ${this.opts.mode} continues on the server and is not stopped by this. ${this.howToCheck()}`,
    );
  }

  /** Runs a synchronous executor mode (verify, status) and returns its output. */
  async runSync(args: readonly string[], stdin?: string): Promise<ExecResult> {
    this.throwIfCancelled();
    const { timeoutMinutes } = this.config;
    const res = await this.live().exec(this.cli(args), {
      timeoutMs: timeoutMinutes * 60_000,
      signal: this.opts.signal,
      ...(stdin !== undefined ? { stdin } : {}),
    });
    if (res.aborted)
      throw new RemoteError(`The job was cancelled while ${args[0]} was running on ${this.target.host}`);
    if (res.timedOut)
      throw new RemoteError(
        `${args[0]} on ${this.target.host} did not finish within timeout_minutes (${timeoutMinutes})`,
      );
    if (res.code === null)
      throw new RemoteError(
        `Lost the connection to ${this.label} while ${args[0]} was running: ${this.session?.closeReason}`,
      );
    return res;
  }

  /**
   * Removes the temp dir. While a started run may still need it (no result seen: cancelled, lost,
   * timed out), removal is left to a small background job on the server that waits for the
   * executor's pid to end. The dir holds no secret then: the executor deletes the password file
   * as soon as it reads it.
   */
  async cleanup(): Promise<void> {
    const dir = this.tmpDir;
    const host = this.target.host;
    if (!dir || !TEMP_DIR_RE.test(dir)) return;
    if (!(await this.connectedForCleanup())) {
      core.warning(`Could not remove ${dir} on ${host} (no connection); it holds no secrets`);
      return;
    }
    const exec = (cmd: string, timeoutMs: number) =>
      this.session!.exec(cmd, { timeoutMs }).catch((e: Error) => ({ code: -1, stderr: e.message }));
    if (this.started && !this.resultSeen) {
      if (!this.pid) {
        core.info(`Left ${dir} on ${host}: the run may still be reading it (it holds no secrets)`);
        return;
      }
      const res = await exec(removeAfterScript(dir, this.pid), 15_000);
      core.info(
        safeText(
          res.code === 0
            ? `${dir} on ${host} will be removed when the run (pid ${this.pid}) ends`
            : `Left ${dir} on ${host} (it holds no secrets): ${res.stderr}`,
        ),
      );
      return;
    }
    let res = await exec(removeNowScript(dir), 30_000);
    // The connection dropped during the rm itself: reconnect once and try again.
    if (res.code !== 0 && (await this.connectedForCleanup())) res = await exec(removeNowScript(dir), 30_000);
    if (res.code === 0) this.tmpDir = undefined;
    else core.warning(`Could not remove ${dir} on ${host}: ${res.stderr || 'unknown error'}`);
  }

  /** Whether there is a live session for cleaning up, reconnecting once if it dropped (not when cancelled). */
  private async connectedForCleanup(): Promise<boolean> {
    if (this.session && !this.session.closed) return true;
    if (this.opts.signal.aborted) return false;
    try {
      this.session = await this.connectFn(this.target);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
