// Runs the configured mode on one host: one HostSession (connect + preflight), the choice of
// executor (the installed one or an upload of this build), then the mode's runner, and cleanup.
// A fleet runs this once per host, each with its own HostConfig.
import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import type { ResultEvent } from '../../common/events.js';
import type { LoadedManifest } from '../digests/load.js';
import type { HostConfig } from '../host/config.js';
import { ACTION_VERSION, chooseExecutor, localRemoteScript, sha256Hex } from '../host/executor.js';
import { HostSession, type HostSessionOptions, type UploadFile } from '../host/session.js';
import type { Settings } from '../inputs/settings.js';
import { safeText } from '../neutralise.js';
import { EventRenderer } from '../report/renderer.js';
import type { SummaryContext } from '../report/summary.js';
import type { PreflightInfo } from '../ssh/preflight.js';
import { makeRunKey } from './request.js';

/** What a mode runner gets: the settings, the open session and the files still to upload. */
export interface ModeRun {
  s: Settings;
  host: HostSession;
  renderer: EventRenderer;
  manifest?: LoadedManifest;
  upload: Upload;
  /** The run key of a deploy or rollback: the one the check's channel was opened for. */
  runKey: string;
}

export type ModeRunner = (run: ModeRun) => Promise<ResultEvent | undefined>;

/** The files the server still needs (the executor, when it lacks this build). */
export class Upload {
  constructor(
    private readonly host: HostSession,
    readonly files: UploadFile[],
  ) {}

  get pending(): boolean {
    return this.files.length > 0;
  }

  /** Sends the files into a private temp dir (only when there is something to send). */
  async send(log: (line: string) => void = core.info): Promise<string | undefined> {
    if (!this.pending) return undefined;
    const dir = await this.host.upload(this.files);
    log(`Uploaded ${this.files.map((f) => f.name).join(', ')} to ${dir}`);
    return dir;
  }

  /** send() in a log group of its own, when there is something to send. */
  async sendInGroup(): Promise<void> {
    if (this.pending) await core.group('Upload', () => this.send());
  }
}

export interface OnHostOptions extends Omit<HostSessionOptions, 'mode'> {
  /** The executor bundle to send (test knob); default dist/remote.cjs beside the action. */
  remoteScript?: string;
}

/** The installed executor when it is this build (or, with narrow sudo, the only one allowed). */
export function useExecutor(
  host: HostSession,
  found: PreflightInfo,
  remoteScript?: string,
  out: { info(msg: string): void; warning(msg: string): void } = core,
): Upload {
  const script = readFileSync(localRemoteScript(remoteScript));
  const { root, executorMismatch } = host.config.server;
  const choice = chooseExecutor(
    found,
    { sha256: sha256Hex(script), version: ACTION_VERSION },
    { root, mismatch: executorMismatch },
  );
  if (choice.warn) out.warning(safeText(choice.note));
  else out.info(safeText(choice.note));
  host.executor = choice.executor;
  host.direct = choice.direct;
  host.sameBuild = choice.sameBuild;
  return new Upload(host, choice.executor ? [] : [{ name: 'remote.cjs', data: script }]);
}

/** The step summary's context of a run on this host. */
export function summaryContext(s: Settings, host: HostSession): SummaryContext {
  return {
    mode: s.mode,
    stack: s.stack,
    environment: s.environment,
    imageTag: s.imageTag,
    actor: s.actor,
    runId: s.runId,
    breakGlass: s.breakGlass,
    breakGlassReason: s.breakGlassReason,
    host: host.target.host,
    runKey: host.runKey,
    journal: host.journal,
  };
}

/** Runs `runner` on one host. Failures set the step failed (exit code) or throw. */
export async function runOnHost(
  runner: ModeRunner,
  s: Settings,
  config: HostConfig,
  manifest: LoadedManifest | undefined,
  opts: OnHostOptions,
): Promise<ResultEvent | undefined> {
  const { remoteScript, ...sessionOpts } = opts;
  const host = new HostSession(config, { ...sessionOpts, mode: s.mode });
  const renderer = new EventRenderer();
  try {
    // A deploy or rollback starts on the server check's own channel when it can.
    const runKey = makeRunKey(s.runId, s.runAttempt);
    const plan = s.mode === 'deploy' || s.mode === 'rollback' ? { runKey } : {};
    const found = await core.group(`Connect to ${host.label}`, () => host.open(plan));
    const upload = useExecutor(host, found, remoteScript);
    return await runner({ s, host, renderer, manifest, upload, runKey });
  } finally {
    renderer.close();
    await host.cleanup().catch((e: Error) => core.warning(`cleanup: ${e.message}`));
    host.close();
  }
}
