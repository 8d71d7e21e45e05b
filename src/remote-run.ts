// One per-host session: connect + preflight, send the executor (when the server lacks this build)
// and other files on an exec's stdin into a private temp dir, start the run detached, follow its
// journal (reconnecting and resuming from the byte offset when SSH drops), and remove the temp dir.
// A rolling deploy to several hosts is a loop over HostSession. The action never kills a run on
// the server.
import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultEvent } from './common/events.js';
import { RUN_KEY_RE } from './common/names.js';
import type { Settings, SshTarget } from './inputs.js';
import { JournalReader, backoffSchedule, sleep, type JournalLine } from './journal.js';
import { safeText } from './neutralise.js';
import {
  SshError,
  TEMP_DIR_RE,
  asRoot,
  connect,
  preflight,
  sendFileScript,
  shellJoin,
  shellQuote,
  type ExecResult,
  type PreflightInfo,
  type SshSession,
} from './ssh.js';

export class RemoteError extends Error {
  override name = 'RemoteError';
}
/** The run may still be going on the server; we no longer know how it ends. */
export class OutcomeUnknownError extends RemoteError {
  override name = 'OutcomeUnknownError';
}

/** A file for the private temp dir on the server (written 0600, owned by the SSH user). */
export interface UploadFile {
  name: string;
  data: Buffer;
}

export const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

export interface StartInfo {
  run_key: string;
  journal: string;
  pid?: number;
}

export interface HostSessionOptions {
  /** Aborted when the job is cancelled (SIGTERM/SIGINT): stop following, never stop the run. */
  signal: AbortSignal;
  connect?: (t: SshTarget) => Promise<SshSession>;
  /** First reconnect delay; doubles up to 30 s within settings.reconnectTimeoutS. */
  backoffBaseMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** dist/remote.cjs beside the bundled action (or SEISEI_DEPLOY_REMOTE_JS, for tests). */
export function localRemoteScript(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SEISEI_DEPLOY_REMOTE_JS) return env.SEISEI_DEPLOY_REMOTE_JS;
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/index.js, a chunk in dist/chunks/, or src/ when run from source in tests.
  const candidates = [
    join(here, 'remote.cjs'),
    join(here, '..', 'remote.cjs'),
    join(here, '..', 'dist', 'remote.cjs'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new RemoteError(
      `the executor bundle remote.cjs is missing (looked at ${candidates.join(', ')}); the action is not built correctly`,
    );
  return found;
}

const TMP_RE = TEMP_DIR_RE;

/** What `remote.cjs run -` reads on stdin. */
export interface RunInputs {
  request: object;
  digest_manifest?: string;
  registry_password?: string;
}

export class HostSession {
  session?: SshSession;
  tmpDir?: string;
  /** The executor to run: the installed one when it is this build, else the uploaded copy. */
  executor?: string;
  /** Run the executor by its shebang (narrow sudo allows only that file), not `<node> <file>`. */
  direct = false;
  runKey?: string;
  journal?: string;
  /** pid of the detached executor, from `run --detach`. */
  pid?: number;
  private started = false;
  private resultSeen = false;

  constructor(
    readonly settings: Settings,
    readonly target: SshTarget,
    private readonly opts: HostSessionOptions,
  ) {}

  get label(): string {
    return `${this.target.username}@${this.target.host}:${this.target.port}`;
  }

  private get connectFn() {
    return this.opts.connect ?? connect;
  }

  /** Connects (host key pinned) and checks Node.js, Docker and sudo on the server. */
  async open(): Promise<PreflightInfo> {
    this.session = await this.connectFn(this.target);
    core.info(`Connected to ${this.label}; host key verified`);
    this.throwIfCancelled();
    const info = await preflight(this.session, this.settings.remote);
    core.info(
      safeText(
        info.narrow
          ? `Server: sudo allows only the installed executor${info.installedVersion ? ` (seisei-deploy ${info.installedVersion.version})` : ''}`
          : `Server: Node.js ${info.nodeVersion}, Docker ${info.dockerVersion}${this.settings.remote.sudo ? ', passwordless sudo' : ''}`,
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
    if (!this.executor && !this.tmpDir) throw new RemoteError('internal: no executor uploaded yet');
    if (this.direct && this.executor)
      return asRoot(this.settings.remote) + shellJoin([this.executor, ...args]);
    return (
      asRoot(this.settings.remote) +
      shellJoin([this.settings.remote.node, this.executor ?? `${this.tmpDir}/remote.cjs`, ...args])
    );
  }

  /**
   * Sends the files into a new private temp dir (mktemp -d: 0700, owned by the SSH user), one exec
   * per file with the bytes on stdin (no SFTP); the server checks each file's sha256 before it is
   * used. Returns the dir.
   */
  async upload(files: readonly UploadFile[]): Promise<string> {
    if (!files.length) throw new RemoteError('internal: nothing to upload');
    for (const f of files) await this.sendFile(f);
    return this.tmpDir!;
  }

  private async sendFile(f: UploadFile): Promise<void> {
    const sha256 = sha256Hex(f.data);
    const res = await this.live().exec(sendFileScript({ name: f.name, sha256 }, this.tmpDir), {
      stdin: f.data,
      timeoutMs: 120_000,
    });
    const dir = /^dir=(.*)$/m.exec(res.stdout)?.[1];
    if (dir !== undefined && !this.tmpDir) {
      if (!TMP_RE.test(dir))
        throw new RemoteError(
          `cannot create a temporary directory on ${this.target.host}: mktemp -d answered ${JSON.stringify(dir.slice(0, 200))}`,
        );
      this.tmpDir = dir;
    }
    if (res.code === 0 && this.tmpDir && new RegExp(`^sent=${sha256}$`, 'm').test(res.stdout)) return;
    const why =
      res.code === null
        ? res.timedOut
          ? 'timed out'
          : (this.session?.closeReason ?? 'connection lost')
        : `exit ${res.code}: ${(res.stderr || res.stdout).trim().slice(-500) || 'no output'}`;
    throw new RemoteError(
      `cannot send ${f.name} to ${this.target.host}${this.tmpDir ? `:${this.tmpDir}` : ''}: ${why}`,
    );
  }

  /** Starts `remote.cjs run <request> --detach`: validated synchronously, then detached from SSH. */
  async start(inputs: RunInputs, runKey: string): Promise<StartInfo> {
    if (!RUN_KEY_RE.test(runKey)) throw new RemoteError(`internal: invalid run key ${runKey}`);
    this.throwIfCancelled();
    // `run -`: request, manifest and password travel on stdin; the executor stages them privately.
    const res = await this.live().exec(this.cli(['run', '-', '--detach', '--run-key', runKey]), {
      timeoutMs: 120_000,
      stdin: JSON.stringify(inputs),
    });
    if (res.code === 2)
      throw new RemoteError(`The executor refused the request: ${res.stderr.trim() || res.stdout.trim()}`);
    this.runKey = runKey;
    if (res.code !== 0) {
      if (res.code === null) {
        // We cannot tell whether it started: treat it as started (never clean up under a live run).
        this.started = true;
        this.journal = `${this.settings.remote.root}/releases/runs/${this.settings.stack ?? ''}/${runKey}.jsonl`;
        throw new OutcomeUnknownError(
          `Lost the connection while starting the run on ${this.label} (${res.timedOut ? 'timed out' : (this.session?.closeReason ?? 'connection lost')}); it may have started. ` +
            this.howToCheck(),
        );
      }
      throw new RemoteError(
        `Starting the executor on ${this.target.host} failed (exit ${res.code}): ${(res.stderr || res.stdout).trim().slice(-2000)}`,
      );
    }
    this.started = true;
    const line = res.stdout.trim().split('\n').pop() ?? '';
    let info: StartInfo;
    try {
      info = JSON.parse(line) as StartInfo;
    } catch {
      throw new RemoteError(
        `The executor started but printed no run information (stdout: ${JSON.stringify(res.stdout.slice(-500))})`,
      );
    }
    if (info.run_key !== runKey || typeof info.journal !== 'string')
      throw new RemoteError(`The executor answered with an unexpected run (${line.slice(0, 300)})`);
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
    const root = this.settings.remote.root;
    const stack = this.settings.stack ?? '<stack>';
    return (
      `Run key: ${this.runKey ?? '(unknown)'}. Journal: ${this.journal ?? '(unknown)'}. ` +
      `Check on the server: ssh -p ${this.target.port} ${this.target.username}@${this.target.host} sudo ${root}/releases/bin/seisei-deploy status ${stack}` +
      (this.journal ? `, and read the journal: sudo cat ${this.journal}` : '')
    );
  }

  private async reconnect(): Promise<void> {
    this.session?.close();
    this.session = undefined;
    this.session = await this.connectFn(this.target);
    core.info(`Reconnected to ${this.label}`);
  }

  /**
   * Follows the journal until the result event, resuming from the consumed byte offset after a
   * dropped connection. Each complete line goes to onLine exactly once.
   */
  async follow(onLine: (l: JournalLine) => void): Promise<ResultEvent> {
    const stack = this.settings.stack;
    if (!this.runKey || !stack) throw new RemoteError('internal: follow before start');
    const reader = new JournalReader(0);
    const deadline = Date.now() + this.settings.timeoutMinutes * 60_000;
    const env = this.opts.env ?? process.env;
    const base = this.opts.backoffBaseMs ?? (Number(env.SEISEI_DEPLOY_TEST_BACKOFF_BASE_MS) || 1000);
    const schedule = backoffSchedule(this.settings.reconnectTimeoutS * 1000, base);
    let attempt = 0;
    let lastProblem = '';
    const signal = this.opts.signal;
    for (;;) {
      if (signal.aborted) throw this.cancelled();
      if (Date.now() >= deadline)
        throw new OutcomeUnknownError(
          `Stopped following after timeout_minutes (${this.settings.timeoutMinutes}); the run goes on on the server and its outcome is unknown here. ${this.howToCheck()}`,
        );
      const before = reader.offset;
      let result: ResultEvent | undefined;
      let res: ExecResult | undefined;
      try {
        if (!this.session || this.session.closed) await this.reconnect();
        const cmd = this.cli([
          'follow',
          stack,
          this.runKey,
          '--offset',
          String(reader.offset),
          '--root',
          this.settings.remote.root,
        ]);
        res = await this.live().exec(cmd, {
          signal,
          timeoutMs: deadline - Date.now(),
          onStdout: (chunk) => {
            if (result) return;
            for (const l of reader.push(chunk)) {
              if (result) break;
              onLine(l);
              if (l.event?.type === 'result') {
                result = l.event;
                this.resultSeen = true;
              }
            }
          },
        });
      } catch (err) {
        lastProblem = err instanceof Error ? err.message : String(err);
      }
      reader.discardPartial();
      if (result) return result;
      if (signal.aborted) throw this.cancelled();
      if (res?.timedOut) continue; // the deadline check above reports it
      if (res)
        lastProblem =
          res.code === null
            ? (this.session?.closeReason ?? 'connection lost')
            : `follow exited ${res.code}: ${res.stderr.trim().slice(-500) || 'no output'}`;
      if (reader.offset > before) attempt = 0; // progress: a fresh reconnect budget
      const delay = schedule[attempt++];
      if (delay === undefined)
        throw new OutcomeUnknownError(
          `Lost contact with the run on ${this.label} and could not resume within reconnect_timeout (${this.settings.reconnectTimeoutS} s); last problem: ${lastProblem}. ` +
            `The outcome is unknown: the run continues on the server. ${this.howToCheck()}`,
        );
      core.warning(
        `Following the run on ${this.target.host} was interrupted (${lastProblem}); retrying in ${(delay / 1000).toFixed(1)} s from byte ${reader.offset}`,
      );
      if (!(await sleep(delay, signal))) throw this.cancelled();
    }
  }

  /** Before anything runs on the server, a cancelled job simply stops. */
  throwIfCancelled(): void {
    if (this.opts.signal.aborted)
      throw new RemoteError(
        `The job was cancelled before the ${this.settings.mode} started on ${this.target.host}; nothing was started there.`,
      );
  }

  private cancelled(): RemoteError {
    return new OutcomeUnknownError(
      `The job was cancelled: stopped following. The ${this.settings.mode} continues on the server and is not stopped by this. ${this.howToCheck()}`,
    );
  }

  /** Runs a synchronous executor mode (verify, status) and returns its output. */
  async runSync(args: readonly string[], stdin?: string): Promise<ExecResult> {
    this.throwIfCancelled();
    const res = await this.live().exec(this.cli(args), {
      timeoutMs: this.settings.timeoutMinutes * 60_000,
      signal: this.opts.signal,
      ...(stdin !== undefined ? { stdin } : {}),
    });
    if (res.aborted)
      throw new RemoteError(`The job was cancelled while ${args[0]} was running on ${this.target.host}`);
    if (res.timedOut)
      throw new RemoteError(
        `${args[0]} on ${this.target.host} did not finish within timeout_minutes (${this.settings.timeoutMinutes})`,
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
    if (!dir) return;
    if (!TMP_RE.test(dir)) return;
    if (!(await this.connectedForCleanup())) {
      core.warning(`Could not remove ${dir} on ${this.target.host} (no connection); it holds no secrets`);
      return;
    }
    const q = shellQuote(dir);
    if (this.started && !this.resultSeen) {
      if (!this.pid) {
        core.info(
          `Left ${dir} on ${this.target.host}: the run may still be reading it (it holds no secrets)`,
        );
        return;
      }
      // /proc/<pid> rather than kill -0: the executor is root's, the SSH user may not signal it.
      const wait = `while [ -d /proc/${this.pid} ]; do sleep 5; done; rm -rf -- "$0"`;
      const res = await this.session!.exec(
        `nohup sh -c ${shellQuote(wait)} ${q} >/dev/null 2>&1 </dev/null &`,
        {
          timeoutMs: 15_000,
        },
      ).catch((e: Error) => ({ code: -1, stderr: e.message }));
      core.info(
        safeText(
          res.code === 0
            ? `${dir} on ${this.target.host} will be removed when the run (pid ${this.pid}) ends`
            : `Left ${dir} on ${this.target.host} (it holds no secrets): ${res.stderr}`,
        ),
      );
      return;
    }
    // The SSH user made the dir and everything in it (the executor writes nothing there): no sudo.
    const rm = () =>
      this.session!.exec(`rm -rf -- ${q}`, { timeoutMs: 30_000 }).catch((e: Error) => ({
        code: -1,
        stderr: e.message,
      }));
    let res = await rm();
    // The connection dropped during the rm itself: reconnect once and try again.
    if (res.code !== 0 && (await this.connectedForCleanup())) res = await rm();
    if (res.code === 0) this.tmpDir = undefined;
    else core.warning(`Could not remove ${dir} on ${this.target.host}: ${res.stderr || 'unknown error'}`);
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
