// One session with one host: connect + the server check, send files into a private temp dir, start
// the run detached, follow its journal (reconnecting and resuming from the byte offset when SSH
// drops), run a synchronous executor mode, and remove the temp dir. The check's exec channel stays
// open: when the installed executor is this build, the run's start and its journal (or a fleet
// host's dry run) follow on that same channel (src/ssh/channel.ts). It takes a per-host HostConfig,
// so a fleet is a loop over sessions. The action never kills a run on the server. Its parts beside
// it: check-channel.ts (the check and what runs next on its channel), start.ts (launching a run, its
// start line and failures), follow.ts, sync.ts (synchronous runs) and cleanup.ts (the temp dir).
import * as core from '@actions/core';
import type { ResultEvent } from '../../common/events.js';
import { layout } from '../../common/layout.js';
import { RUN_KEY_RE } from '../../common/names.js';
import { safeText } from '../neutralise.js';
import { connect, type ExecResult, type SshSession } from '../ssh/connection.js';
import { SshError } from '../ssh/errors.js';
import type { PreflightInfo } from '../ssh/preflight.js';
import { TEMP_DIR_RE } from '../ssh/send-file.js';
import { asRoot, shellJoin } from '../ssh/shell.js';
import type { SshTarget } from '../ssh/target.js';
import type { OpenChannel } from './channel.js';
import { serverCheck, serverLine, WaitingChannel, type ChannelPlan } from './check-channel.js';
import { removeTempDir } from './cleanup.js';
import type { HostConfig } from './config.js';
import { followJournal, type FollowLink } from './follow.js';
import type { JournalLine } from './journal.js';
import {
  howToCheck,
  launchRun,
  mayHaveStarted,
  OutcomeUnknownError,
  parseStartInfo,
  startError,
  type RunInputs,
  type StartInfo,
} from './start.js';
import { dryRunOnChannel, syncResult } from './sync.js';
import { RemoteError, sendFile, type UploadFile } from './upload.js';

export { RemoteError, type UploadFile } from './upload.js';
export type { ChannelPlan } from './check-channel.js';
export { OutcomeUnknownError, type RunInputs, type StartInfo } from './start.js';

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
  /** The executor is this build (it knows `run --detach --follow`); not so for an older installed one. */
  sameBuild = false;
  stack?: string;
  runKey?: string;
  journal?: string;
  /** pid of the detached executor, from `run --detach`. */
  pid?: number;
  private started = false;
  private resultSeen = false;
  /** The server check's channel, waiting for the word that says what runs next on it. */
  private readonly pending = new WaitingChannel();
  /** The channel of a started run, streaming its journal until follow() takes it. */
  private attached?: OpenChannel;

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

  /**
   * Connects (host key pinned) and checks Node.js, Docker and sudo on the server, in one exec. With
   * a plan, that channel stays open for the start of the run (start()) or the dry run (check()).
   */
  async open(plan: ChannelPlan = {}): Promise<PreflightInfo> {
    const log = this.opts.log ?? core.info;
    this.session = await this.connectFn(this.target);
    log(`Connected to ${this.label}; host key verified`);
    this.throwIfCancelled();
    const { info, channel, offers } = await serverCheck(this.session, this.config, plan);
    if (offers && !channel.closed) this.pending.hold(channel, plan);
    log(safeText(serverLine(info, this.config.server)));
    return info;
  }

  /** Takes the check's channel for a run or a dry run when the chosen executor can run on it (check-channel.ts). */
  private takeChannel(what: 'run' | 'check', key: string) {
    const installed = this.executor !== undefined && this.executor === layout(this.config.server.root).cli;
    return this.pending.take(what, key, {
      installedThisBuild: this.sameBuild && installed,
      direct: this.direct,
    });
  }

  /** Ends the check's waiting channel, if any (anything else the session runs uses its own). */
  private declinePending(): void {
    this.pending.decline();
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
    this.declinePending();
    for (const f of files) this.tmpDir = await sendFile(this.live(), f, this.tmpDir);
    return this.tmpDir!;
  }

  /** Starts `remote.cjs run - --detach`: validated synchronously, then detached from SSH (start.ts). */
  async start(inputs: RunInputs): Promise<StartInfo> {
    const { run_key: runKey = '', stack } = inputs.request;
    if (!RUN_KEY_RE.test(runKey)) throw new RemoteError(`internal: invalid run key ${runKey}`);
    this.throwIfCancelled();
    this.resultSeen = false; // a session may start a second run (a fleet's way back)
    const taken = this.takeChannel('run', runKey);
    const launched = await launchRun(
      {
        taken,
        apart: !taken && !this.sameBuild,
        live: () => this.live(),
        cli: (args) => this.cli(args),
      },
      runKey,
      JSON.stringify(inputs),
    );
    if ('failed' in launched) return this.startFailed(launched.failed, stack, runKey);
    this.runKey = runKey;
    this.stack = stack;
    this.started = true;
    let info: StartInfo;
    try {
      info = parseStartInfo(launched.line, runKey);
    } catch (err) {
      launched.channel?.close();
      throw err;
    }
    if (launched.channel) this.attached = launched.channel;
    return this.startedAt(info, runKey);
  }

  /** The start ended without a start line (or `run --detach` failed): refused, lost, or failed (start.ts). */
  private startFailed(res: ExecResult, stack: string, runKey: string): never {
    if (res.code !== 2) {
      this.runKey = runKey;
      this.stack = stack;
    }
    // Lost (it may have started) or started without its line: treat it as started (never clean up under a live run).
    if (mayHaveStarted(res)) this.started = true;
    if (res.code === null) this.journal = layout(this.config.server.root).journal(stack, runKey);
    const { host } = this.target;
    const closeReason = this.session?.closeReason;
    throw startError(res, { host, label: this.label, closeReason, check: () => this.howToCheck() });
  }

  /** Notes and logs where the started run is. */
  private startedAt(info: StartInfo, runKey: string): StartInfo {
    this.journal = info.journal;
    if (Number.isSafeInteger(info.pid) && (info.pid ?? 0) > 0) this.pid = info.pid;
    core.info(
      safeText(
        `Run ${runKey} started on ${this.target.host}${info.pid ? ` (pid ${info.pid})` : ''}; journal ${info.journal}`,
      ),
    );
    return info;
  }

  /** How an operator finds out what happened, for messages when we stop following. */
  howToCheck(): string {
    const { runKey, journal, stack } = this;
    return howToCheck({ root: this.config.server.root, target: this.target, runKey, journal, stack });
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
        const attached = this.attached;
        this.attached = undefined;
        // The start's own channel streams the journal from byte 0: the first follow is that.
        if (attached && offset === 0) return attached.stream(opts);
        attached?.close();
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
    this.declinePending();
    const { timeoutMinutes } = this.config;
    const res = await this.live().exec(this.cli(args), {
      timeoutMs: timeoutMinutes * 60_000,
      signal: this.opts.signal,
      ...(stdin !== undefined ? { stdin } : {}),
    });
    return this.syncResult(args, res);
  }

  /**
   * A fleet host's dry run, `run - --run-key <checkKey>` with `stdin`: on the check's channel when
   * open() planned it and the installed executor is this build (sync.ts), else as runSync.
   */
  async check(checkKey: string, stdin: string): Promise<ExecResult> {
    const args = ['run', '-', '--run-key', checkKey];
    this.throwIfCancelled();
    const taken = this.takeChannel('check', checkKey);
    if (!taken) return this.runSync(args, stdin);
    const limits = { timeoutMs: this.config.timeoutMinutes * 60_000, signal: this.opts.signal };
    const hold = () => this.pending.hold(taken.channel, taken.plan, true);
    return this.syncResult(args, await dryRunOnChannel(taken, stdin, limits, hold));
  }

  /** A synchronous mode's result, or the error of a cancelled, timed out or lost one. */
  private syncResult(args: readonly string[], res: ExecResult): ExecResult {
    const { host } = this.target;
    const { timeoutMinutes } = this.config;
    return syncResult(args, res, {
      host,
      label: this.label,
      timeoutMinutes,
      closeReason: () => this.session?.closeReason,
    });
  }

  /** Removes the temp dir, or leaves it to the server while a started run may need it (cleanup.ts). */
  async cleanup(): Promise<void> {
    this.declinePending();
    this.attached?.close();
    this.attached = undefined;
    const dir = this.tmpDir;
    if (!dir || !TEMP_DIR_RE.test(dir)) return;
    const removed = await removeTempDir({
      dir,
      host: this.target.host,
      runMayNeedIt: this.started && !this.resultSeen,
      pid: this.pid,
      connected: () => this.connectedForCleanup(),
    });
    if (removed) this.tmpDir = undefined;
  }

  /** A live session for cleaning up, reconnecting once if it dropped (not when cancelled). */
  private async connectedForCleanup(): Promise<SshSession | undefined> {
    if (this.session && !this.session.closed) return this.session;
    if (this.opts.signal.aborted) return undefined;
    try {
      return (this.session = await this.connectFn(this.target));
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.declinePending();
    this.attached?.close();
    this.attached = undefined;
    this.session?.close();
    this.session = undefined;
  }
}
