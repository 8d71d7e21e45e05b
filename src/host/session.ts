// One session with one host: connect + the server check, send files into a private temp dir, start
// the run detached, follow its journal (reconnecting and resuming from the byte offset when SSH
// drops), run a synchronous executor mode, and remove the temp dir. The check's exec channel stays
// open: when the installed executor is this build, the run's start and its journal (or a fleet
// host's dry run) follow on that same channel (src/ssh/channel.ts). It takes a per-host HostConfig,
// so a fleet is a loop over sessions. The action never kills a run on the server.
import * as core from '@actions/core';
import { randomBytes } from 'node:crypto';
import type { ResultEvent } from '../../common/events.js';
import { layout } from '../../common/layout.js';
import type { DeployRequest, RollbackRequest } from '../../common/request.js';
import { RUN_KEY_RE } from '../../common/names.js';
import { safeText } from '../neutralise.js';
import type { StatusOfError } from '../report/outputs.js';
import { connect, type ExecResult, type SshSession } from '../ssh/connection.js';
import { SshError } from '../ssh/errors.js';
import { checkChannelScript } from '../ssh/channel.js';
import { checkPreflight, type PreflightInfo } from '../ssh/preflight.js';
import { TEMP_DIR_RE } from '../ssh/send-file.js';
import { asRoot, shellJoin } from '../ssh/shell.js';
import type { SshTarget } from '../ssh/target.js';
import { OpenChannel } from './channel.js';
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

/** What may follow the server check on its channel (run keys of this job). */
export interface ChannelPlan {
  /** `run - --detach --follow --run-key <runKey>`: a deploy or rollback. */
  runKey?: string;
  /** `run - --run-key <checkKey>`: a fleet host's dry run; with runKey too, its process then takes the run (`--then-run`). */
  checkKey?: string;
}

/** How long the server check may take before the action gives up on it. */
const CHECK_TIMEOUT_MS = 60_000;
/** How long starting a run may take (the executor validates before it detaches). */
const START_TIMEOUT_MS = 120_000;

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
  private pending?: { channel: OpenChannel; plan: ChannelPlan; afterCheck?: boolean };
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
    const server = this.config.server;
    const nonce = randomBytes(12).toString('hex');
    const commands = this.channelCommands(plan);
    const channel = new OpenChannel(this.session, checkChannelScript(server, nonce, commands), {
      factsNonce: nonce,
    });
    const facts = await channel.waitFacts(CHECK_TIMEOUT_MS);
    if (facts.closed && facts.closed.code === null && !facts.text)
      throw new SshError(
        'connection',
        `Server check on ${this.target.host} got no answer: ${facts.closed.timedOut ? 'timed out after 60 s' : this.session.closeReason}`,
      );
    let info: PreflightInfo;
    try {
      info = checkPreflight(facts.text ?? '', server, this.target);
    } catch (err) {
      channel.close();
      throw err;
    }
    if (Object.keys(commands).length && !channel.closed) this.pending = { channel, plan };
    log(
      safeText(
        info.narrow
          ? `Server: sudo allows only the installed executor${info.installedVersion ? ` (seisei-deploy ${info.installedVersion.version})` : ''}`
          : `Server: Node.js ${info.nodeVersion}, Docker ${info.dockerVersion}${server.sudo ? ', passwordless sudo' : ''}`,
      ),
    );
    return info;
  }

  /** The commands the check's channel may run next: the installed executor, run by node or directly. */
  private channelCommands(plan: ChannelPlan): Record<string, string[]> {
    const { node, root } = this.config.server;
    const cli = layout(root).cli;
    const out: Record<string, string[]> = {};
    const add = (what: string, args: string[]) => {
      out[`node-${what}`] = [node, cli, ...args];
      out[`direct-${what}`] = [cli, ...args];
    };
    for (const k of [plan.runKey, plan.checkKey])
      if (k !== undefined && !RUN_KEY_RE.test(k)) throw new RemoteError(`internal: invalid run key ${k}`);
    if (plan.checkKey !== undefined)
      add('check', [
        ...['run', '-', '--run-key', plan.checkKey],
        ...(plan.runKey !== undefined ? ['--then-run', plan.runKey] : []),
      ]);
    else if (plan.runKey !== undefined)
      add('run', ['run', '-', '--detach', '--follow', '--run-key', plan.runKey]);
    return out;
  }

  /**
   * Takes the check's channel for `what` (run with runKey, or check with checkKey) when the chosen
   * executor is the installed one of this build; otherwise ends that channel and returns undefined.
   */
  private takeChannel(
    what: 'run' | 'check',
    key: string,
  ):
    | { channel: OpenChannel; plan: ChannelPlan; word: string; afterCheck?: boolean; thenRun?: boolean }
    | undefined {
    const p = this.pending;
    this.pending = undefined;
    if (!p) return undefined;
    // After a dry run only its run may follow; before one, only what the plan's script offers.
    const runnable = p.afterCheck || p.plan.checkKey === undefined;
    const planned =
      what === 'run' ? (runnable ? p.plan.runKey : undefined) : p.afterCheck ? undefined : p.plan.checkKey;
    const usable =
      !p.channel.closed &&
      planned === key &&
      this.sameBuild &&
      this.executor !== undefined &&
      this.executor === layout(this.config.server.root).cli;
    if (!usable) {
      p.channel.decline();
      return undefined;
    }
    return {
      channel: p.channel,
      plan: p.plan,
      word: `${this.direct ? 'direct' : 'node'}-${what}`,
      ...(p.afterCheck ? { afterCheck: true } : {}),
      ...(what === 'check' && p.plan.runKey !== undefined ? { thenRun: true } : {}),
    };
  }

  /** Ends the check's waiting channel, if any (anything else the session runs uses its own). */
  private declinePending(): void {
    this.pending?.channel.decline();
    this.pending = undefined;
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

  /** Starts `remote.cjs run - --detach`: validated synchronously, then detached from SSH. */
  async start(inputs: RunInputs): Promise<StartInfo> {
    const { run_key: runKey = '', stack } = inputs.request;
    if (!RUN_KEY_RE.test(runKey)) throw new RemoteError(`internal: invalid run key ${runKey}`);
    this.throwIfCancelled();
    this.resultSeen = false; // a session may start a second run (a fleet's way back)
    // `run -`: request, manifest and password travel on stdin; the executor stages them privately.
    const stdin = JSON.stringify(inputs);
    const taken = this.takeChannel('run', runKey);
    if (!taken && !this.sameBuild) return this.startApart(inputs, stdin);
    this.declinePending();
    let channel: OpenChannel;
    if (taken?.afterCheck) {
      channel = taken.channel;
      channel.thenRun(stdin); // the dry run's process starts it: no exec, no node start of its own
    } else if (taken) {
      channel = taken.channel;
      channel.go(taken.word, stdin, { startLine: true });
    } else {
      // Uploaded (or a session's second run): its own channel, started and streamed the same way.
      const command = this.cli(['run', '-', '--detach', '--follow', '--run-key', runKey]);
      channel = new OpenChannel(this.live(), command, { stdin, startLine: true });
    }
    const head = await channel.waitStart(START_TIMEOUT_MS);
    if (head.text === undefined) return this.startFailed(head.closed!, stack, runKey);
    this.runKey = runKey;
    this.stack = stack;
    this.started = true;
    let info: StartInfo;
    try {
      info = this.startInfo(head.text, runKey);
    } catch (err) {
      channel.close();
      throw err;
    }
    this.attached = channel;
    return this.startedAt(info, runKey);
  }

  /** The start's channel ended without a start line (or `run --detach` failed): refused, lost, or failed. */
  private startFailed(res: ExecResult, stack: string, runKey: string): never {
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
    return this.startInfo('', runKey) as never;
  }

  /**
   * `run - --detach` on a channel of its own, then `follow` on another: for an installed executor
   * of another build (executor_mismatch: use-installed), which may not know `--follow`.
   */
  private async startApart(inputs: RunInputs, stdin: string): Promise<StartInfo> {
    const { run_key: runKey = '', stack } = inputs.request;
    this.declinePending();
    const res = await this.live().exec(this.cli(['run', '-', '--detach', '--run-key', runKey]), {
      timeoutMs: START_TIMEOUT_MS,
      stdin,
    });
    if (res.code !== 0) return this.startFailed(res, stack, runKey);
    this.runKey = runKey;
    this.stack = stack;
    this.started = true;
    return this.startedAt(this.startInfo(res.stdout, runKey), runKey);
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
   * open() planned it and the installed executor is this build, else as runSync.
   */
  async check(checkKey: string, stdin: string): Promise<ExecResult> {
    const args = ['run', '-', '--run-key', checkKey];
    this.throwIfCancelled();
    const taken = this.takeChannel('check', checkKey);
    if (!taken) return this.runSync(args, stdin);
    const { channel } = taken;
    const limits = { timeoutMs: this.config.timeoutMinutes * 60_000, signal: this.opts.signal };
    if (!taken.thenRun) {
      channel.go(taken.word, stdin);
      return this.syncResult(args, await channel.output(limits));
    }
    // The dry run's process stays for the run (`--then-run`): its output ends at its result line,
    // and the channel waits for start() (or EOF from cleanup).
    channel.go(taken.word, stdin, { keepOpen: true, untilResult: true });
    const onAbort = () => channel.close();
    limits.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const head = await channel.waitCheck(limits.timeoutMs);
      if (head.closed) return this.syncResult(args, { ...head.closed, stdout: head.text ?? '' });
      this.pending = { channel, plan: taken.plan, afterCheck: true };
      return { code: 0, signal: null, stdout: head.text ?? '', stderr: '' };
    } finally {
      limits.signal.removeEventListener('abort', onAbort);
    }
  }

  /** A synchronous mode's result, or the error of a cancelled, timed out or lost one. */
  private syncResult(args: readonly string[], res: ExecResult): ExecResult {
    const { timeoutMinutes } = this.config;
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
    this.declinePending();
    this.attached?.close();
    this.attached = undefined;
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
    this.declinePending();
    this.attached?.close();
    this.attached = undefined;
    this.session?.close();
    this.session = undefined;
  }
}
