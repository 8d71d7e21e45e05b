// What each mode does on one host, as phases: connect + preflight, upload, run (detached and
// followed for deploy/rollback; synchronous for verify/status), report, clean up.
import * as core from '@actions/core';
import { parseEventLine, type ResultEvent } from '../common/events.js';
import { resolveImageVars } from '../common/digest-manifest.js';
import type { LoadedManifest } from './digests.js';
import type { Settings, SshTarget } from './inputs.js';
import {
  EventRenderer,
  driftMessage,
  reportResult,
  setOutputs,
  setStatus,
  statusDrift,
  writeStatusSummary,
  type SummaryContext,
} from './render.js';
import {
  HostSession,
  OutcomeUnknownError,
  RemoteError,
  localRemoteScript,
  sha256Hex,
  type HostSessionOptions,
  type RunInputs,
  type UploadFile,
} from './remote-run.js';
import type { ExecResult } from './ssh.js';
import { safeText } from './neutralise.js';
import { readFileSync } from 'node:fs';
import { buildDeployRequest, buildRollbackRequest, makeRunKey } from './request-build.js';
import { ACTION_VERSION, chooseExecutor } from './privilege.js';

const PLACEHOLDER_DIR = '/tmp/seisei-deploy.XXXXXXXXXX';
/** The executor replaces these paths with the private copies it makes of the stdin inputs. */
const STAGED_ON_SERVER = { dir: '-', digestFile: '/dev/stdin', passwordFile: '/dev/stdin' };

/** Modes that need the digest manifest (verify binds the marker to the digests). */
export const needsManifest = (mode: Settings['mode']) => mode === 'deploy' || mode === 'verify';

/** Checks everything about the deploy request that can be checked before connecting. */
export function precheckDeploy(s: Settings, m: LoadedManifest): void {
  const vars = resolveImageVars(m.manifest, s.images);
  for (const [v, img] of Object.entries(vars)) core.info(`${v}=${img.ref}`);
  buildDeployRequest(
    s,
    m.manifest,
    {
      dir: PLACEHOLDER_DIR,
      digestFile: `${PLACEHOLDER_DIR}/image-digests.json`,
      passwordFile: s.registry ? `${PLACEHOLDER_DIR}/registry-password` : undefined,
    },
    makeRunKey(s.runId, s.runAttempt),
    m.provenance,
  );
}

/**
 * The result of `remote.cjs verify --json`: its result event when it prints events; otherwise
 * (one JSON document, e.g. `{path, marker}`) a success built from it; a non-zero exit without a
 * result is a failure carrying the executor's message.
 */
export function verifyResult(
  res: ExecResult,
  renderer: EventRenderer,
  tag: string,
  hostName: string,
): ResultEvent {
  const docs: Record<string, unknown>[] = [];
  for (const line of res.stdout.split('\n')) {
    const e = parseEventLine(line);
    if (e) renderer.handle(e, line);
    else if (line.trim()) {
      try {
        const v = JSON.parse(line) as unknown;
        if (v && typeof v === 'object') docs.push(v as Record<string, unknown>);
        else renderer.handle(undefined, line);
      } catch {
        renderer.handle(undefined, line);
      }
    }
  }
  if (!docs.length && res.stdout.trim()) {
    try {
      const v = JSON.parse(res.stdout) as unknown; // pretty-printed JSON over several lines
      if (v && typeof v === 'object') docs.push(v as Record<string, unknown>);
    } catch {
      /* not one JSON document */
    }
  }
  renderer.close();
  if (renderer.result) return renderer.result;
  const base = { v: 1 as const, ts: new Date().toISOString(), type: 'result' as const, mode: 'verify' };
  if (res.code === 0) {
    const doc = docs[docs.length - 1] ?? {};
    const marker = (doc.marker && typeof doc.marker === 'object' ? doc.marker : doc) as Record<
      string,
      unknown
    >;
    return {
      ...base,
      status: 'success',
      msg: `${tag} is verified${typeof doc.path === 'string' ? `: ${doc.path}` : ''}`,
      manifest: marker,
    };
  }
  const why = res.stderr.trim().replace(/^seisei-deploy: /, '') || res.stdout.trim() || `exit ${res.code}`;
  return {
    ...base,
    status: 'failed',
    msg: `verify of ${tag} on ${hostName} failed: ${why.slice(-2000)}`,
    error: why.slice(-2000),
  };
}

interface StackStatus {
  stack?: string;
  manifest?: Record<string, unknown>;
  problems?: { severity?: string; message?: string }[];
}

/** One line per stack and its problems, then the full report folded away. */
function logStatus(status: unknown): void {
  const stacks = ((status as { stacks?: StackStatus[] } | null)?.stacks ?? []) as StackStatus[];
  for (const st of stacks) {
    const m = st.manifest ?? {};
    const problems = st.problems ?? [];
    core.info(
      safeText(
        `${st.stack}: ${m.release_id ? `live ${String(m.release_id)} (${String(m.env)}, ${String(m.image_digest).slice(0, 19)}…), deployed ${String(m.deployed_at_utc)} by ${String(m.actor) || '?'}` : 'no current manifest'}; ${problems.length ? `${problems.length} problem(s)` : 'consistent'}`,
      ),
    );
    for (const p of problems)
      if (p.severity === 'drift') core.warning(`${st.stack}: ${p.message}`);
      else core.info(safeText(`  ${st.stack}: ${p.message}`));
  }
  core.startGroup('status report (JSON)');
  core.info(safeText(JSON.stringify(status, null, 2)));
  core.endGroup();
}

/**
 * The report of `remote.cjs status --json`: exit 0 (consistent) or 1 (drift) with its JSON on stdout.
 * Anything else (another exit code, no JSON, exit 1 without drift in the report) is the executor
 * failing, not a verdict on the stacks, and throws.
 */
export function statusReport(res: ExecResult, hostName: string): unknown {
  const said = () => (res.stderr || res.stdout).trim().slice(-2000);
  if (res.code !== 0 && res.code !== 1)
    throw new RemoteError(`status on ${hostName} failed (exit ${res.code}): ${said()}`);
  let report: unknown;
  try {
    report = JSON.parse(res.stdout);
  } catch {
    throw new RemoteError(
      res.code === 0
        ? `status on ${hostName} printed no JSON: ${res.stdout.slice(0, 500)}`
        : `status on ${hostName} failed (exit ${res.code}): ${said()}`,
    );
  }
  if (res.code === 1 && !statusDrift(report).length)
    throw new RemoteError(`status on ${hostName} exited 1 but its report names no drift: ${said()}`);
  return report;
}

/** The live manifest of `stack` in a status report (`{stacks: [{stack, manifest}]}`), or {}. */
export function currentOf(status: unknown, stack: string): Record<string, unknown> {
  const o = (status && typeof status === 'object' ? status : {}) as Record<string, unknown>;
  const entry = Array.isArray(o.stacks)
    ? (o.stacks as Record<string, unknown>[]).find((e) => e?.stack === stack)
    : undefined;
  const m = entry?.manifest ?? (o.stack === stack ? (o.manifest ?? o) : undefined);
  return m && typeof m === 'object' ? (m as Record<string, unknown>) : {};
}

function summaryContext(s: Settings, h: HostSession): SummaryContext {
  return {
    mode: s.mode,
    stack: s.stack,
    environment: s.environment,
    imageTag: s.imageTag,
    actor: s.actor,
    runId: s.runId,
    breakGlass: s.breakGlass,
    breakGlassReason: s.breakGlassReason,
    host: h.target.host,
    runKey: h.runKey,
    journal: h.journal,
  };
}

/** Runs the configured mode on one host. Failures set the step failed (exit code) or throw. */
export async function runOnHost(
  s: Settings,
  target: SshTarget,
  manifest: LoadedManifest | undefined,
  opts: HostSessionOptions,
): Promise<ResultEvent | undefined> {
  const host = new HostSession(s, target, opts);
  const renderer = new EventRenderer();
  try {
    const server = await core.group(`Connect to ${host.label}`, () => host.open());
    const files: UploadFile[] = [];
    const script = readFileSync(localRemoteScript(opts.env));
    // The installed executor when it is this build (or, with narrow sudo, the only one allowed).
    const choice = chooseExecutor(
      server,
      { sha256: sha256Hex(script), version: ACTION_VERSION },
      { root: s.remote.root, mismatch: s.remote.executorMismatch },
    );
    (choice.warn ? core.warning : core.info)(safeText(choice.note));
    host.executor = choice.executor;
    host.direct = choice.direct;
    if (!choice.executor) files.push({ name: 'remote.cjs', data: script });
    /** A private temp dir only when there is something to upload; returns it. */
    const upload = async (): Promise<string | undefined> => {
      if (!files.length) return undefined;
      const dir = await host.upload(files);
      core.info(`Uploaded ${files.map((f) => f.name).join(', ')} to ${dir}`);
      return dir;
    };

    if (s.mode === 'deploy' || s.mode === 'rollback') {
      const runKey = makeRunKey(s.runId, s.runAttempt);
      // From the start on, a lost connection means the outcome is unknown, not failed.
      const unknownOnLoss = async <T>(phase: () => Promise<T>): Promise<T> => {
        try {
          return await phase();
        } catch (err) {
          if (err instanceof OutcomeUnknownError) setStatus('unknown');
          throw err;
        }
      };
      await unknownOnLoss(() =>
        core.group(`Upload and start the ${s.mode}`, async () => {
          await upload();
          const inputs: RunInputs =
            s.mode === 'deploy'
              ? {
                  request: buildDeployRequest(
                    s,
                    manifest!.manifest,
                    STAGED_ON_SERVER,
                    runKey,
                    manifest!.provenance,
                  ),
                  digest_manifest: manifest!.text,
                  ...(s.registry ? { registry_password: s.registry.password } : {}),
                }
              : { request: buildRollbackRequest(s, runKey) };
          await host.start(inputs, runKey);
        }),
      );
      let result: ResultEvent;
      try {
        result = await unknownOnLoss(() => host.follow((l) => renderer.handle(l.event, l.text)));
      } catch (err) {
        renderer.close();
        throw err;
      }
      await reportResult(result, summaryContext(s, host), renderer);
      return result;
    }

    if (s.mode === 'verify') {
      if (files.length) await core.group('Upload', upload);
      const note = s.runUrl ? `verified by ${s.runUrl}` : `verified by run ${s.runId || '(local)'}`;
      // The manifest goes on stdin: nothing to upload for it, and with narrow sudo the executor could
      // not read the SSH user's files as root anyway.
      const args = ['verify', s.imageTag!, '--digest-file', '-', '--note', note];
      if (s.actor) args.push(`--actor=${s.actor}`); // one argument: an actor like `--help` stays a value
      if (manifest?.provenance) args.push(`--provenance=${JSON.stringify(manifest.provenance)}`);
      args.push('--root', s.remote.root, '--json');
      const res = await host.runSync(args, manifest!.text);
      const result = verifyResult(res, renderer, s.imageTag!, target.host);
      await reportResult(result, summaryContext(s, host), renderer);
      return result;
    }

    // status
    if (files.length) await core.group('Upload', upload);
    const res = await host.runSync([
      'status',
      ...(s.stack ? [s.stack] : []),
      '--root',
      s.remote.root,
      '--json',
    ]);
    const report = statusReport(res, target.host);
    logStatus(report);
    const drift = statusDrift(report);
    const current = s.stack ? currentOf(report, s.stack) : {};
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const status = drift.length ? 'failed' : 'success';
    setOutputs({
      status,
      release_id: str(current.release_id),
      release_dir: str(current.release_dir),
      image_ref: str(current.image_ref),
      image_digest: str(current.image_digest),
      previous_release_id: str(current.previous_release_id),
      manifest: JSON.stringify(report),
    });
    await writeStatusSummary(report, host.target.host);
    const msg = drift.length ? driftMessage(target.host, drift) : 'status';
    // Drift fails the step (a scheduled status run is drift detection); outputs and summary are set.
    if (drift.length) core.setFailed(msg);
    return {
      v: 1,
      ts: new Date().toISOString(),
      type: 'result',
      status,
      mode: 'status',
      msg,
      manifest: current,
    };
  } finally {
    renderer.close();
    await host.cleanup().catch((e: Error) => core.warning(`cleanup: ${e.message}`));
    host.close();
  }
}
