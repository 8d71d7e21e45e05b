// Modes deploy and rollback on one host: send the executor if needed, start the run detached with
// its request (and the manifest and registry password) on stdin, follow its journal, report.
import * as core from '@actions/core';
import { resolveImageVars } from '../../common/digest-manifest.js';
import type { ResultEvent } from '../../common/events.js';
import type { LoadedManifest } from '../digests/load.js';
import type { RunInputs } from '../host/session.js';
import type { Settings } from '../inputs/settings.js';
import { reportResult } from '../report/summary.js';
import { summaryContext, type ModeRun } from './on-host.js';
import { buildDeployRequest, buildRollbackRequest, makeRunKey } from './request.js';

const PLACEHOLDER_DIR = '/tmp/seisei-deploy.XXXXXXXXXX';
/** The executor replaces these paths with the private copies it makes of the stdin inputs. */
export const STAGED_ON_SERVER = { digestFile: '/dev/stdin', passwordFile: '/dev/stdin' };

/** Checks everything about the deploy request that can be checked before connecting. */
export function precheckDeploy(s: Settings, m: LoadedManifest): void {
  const vars = resolveImageVars(m.manifest, s.images);
  for (const [v, img] of Object.entries(vars)) core.info(`${v}=${img.ref}`);
  buildDeployRequest(
    s,
    m.manifest,
    {
      digestFile: `${PLACEHOLDER_DIR}/image-digests.json`,
      passwordFile: s.registry ? `${PLACEHOLDER_DIR}/registry-password` : undefined,
    },
    makeRunKey(s.runId, s.runAttempt),
    m.provenance,
  );
}

/** What `run -` reads on stdin for this mode. */
export function runInputs(s: Settings, manifest: LoadedManifest | undefined, runKey: string): RunInputs {
  if (s.mode !== 'deploy') return { request: buildRollbackRequest(s, runKey) };
  return {
    request: buildDeployRequest(s, manifest!.manifest, STAGED_ON_SERVER, runKey, manifest!.provenance),
    digest_manifest: manifest!.text,
    ...(s.registry ? { registry_password: s.registry.password } : {}),
  };
}

/** Runs a deploy or a rollback and follows it to its result. */
export async function runDeploy({
  s,
  host,
  renderer,
  manifest,
  upload,
  runKey,
}: ModeRun): Promise<ResultEvent> {
  await core.group(`Upload and start the ${s.mode}`, async () => {
    await upload.send();
    await host.start(runInputs(s, manifest, runKey));
  });
  let result: ResultEvent;
  try {
    result = await host.follow((l) => renderer.handle(l.event, l.text));
  } catch (err) {
    renderer.close();
    throw err;
  }
  await reportResult(result, summaryContext(s, host), renderer);
  return result;
}
