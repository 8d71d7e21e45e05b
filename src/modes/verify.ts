// Mode verify on one host: the executor writes the verified marker of the image tag, bound to the
// digests of the manifest (sent on stdin), and answers synchronously; then report.
import { parseEventLine, type ResultEvent } from '../../common/events.js';
import type { ProvenanceRecord } from '../../common/request.js';
import type { EventRenderer } from '../report/renderer.js';
import { reportResult } from '../report/summary.js';
import type { ExecResult } from '../ssh/connection.js';
import { summaryContext, type ModeRun } from './on-host.js';

/** Every line of `verify --json`: events go to the renderer, JSON documents are returned. */
function readVerifyOutput(stdout: string, renderer: EventRenderer): Record<string, unknown>[] {
  const docs: Record<string, unknown>[] = [];
  const asObject = (text: string) => {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  };
  for (const line of stdout.split('\n')) {
    const e = parseEventLine(line);
    if (e) renderer.handle(e, line);
    else if (line.trim()) {
      try {
        const doc = asObject(line);
        if (doc) docs.push(doc);
        else renderer.handle(undefined, line);
      } catch {
        renderer.handle(undefined, line);
      }
    }
  }
  if (!docs.length && stdout.trim()) {
    try {
      const doc = asObject(stdout); // pretty-printed JSON over several lines
      if (doc) docs.push(doc);
    } catch {
      /* not one JSON document */
    }
  }
  return docs;
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
  const docs = readVerifyOutput(res.stdout, renderer);
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

/** The executor's arguments: the manifest comes on stdin; note, actor, provenance: one argument each. */
export function verifyArgs(
  tag: string,
  note: string,
  actor: string,
  root: string,
  provenance?: ProvenanceRecord,
): string[] {
  const args = ['verify', tag, '--digest-file', '-', '--note', note];
  if (actor) args.push(`--actor=${actor}`); // one argument: an actor like `--help` stays a value
  if (provenance) args.push(`--provenance=${JSON.stringify(provenance)}`);
  args.push('--root', root, '--json');
  return args;
}

/** Verifies the image tag on this host and reports the result. */
export async function runVerify({ s, host, renderer, manifest, upload }: ModeRun): Promise<ResultEvent> {
  await upload.sendInGroup();
  const note = s.runUrl ? `verified by ${s.runUrl}` : `verified by run ${s.runId || '(local)'}`;
  // On stdin: nothing to upload for it, and with narrow sudo the executor could not read the SSH
  // user's files as root anyway.
  const res = await host.runSync(
    verifyArgs(s.imageTag!, note, s.actor, host.config.server.root, manifest!.provenance),
    manifest!.text,
  );
  const result = verifyResult(res, renderer, s.imageTag!, host.target.host);
  await reportResult(result, summaryContext(s, host), renderer);
  return result;
}
