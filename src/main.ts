// The action's logic, exported as run() (the entry point, src/index.ts, calls it; so do tools
// that import this module, such as @github/local-action): inputs -> digest manifest -> connect +
// preflight -> remote run -> report. Heavy modules (artifact/GitHub clients, SSH) are imported
// only when their phase runs. Importing this module runs nothing.
import * as core from '@actions/core';
import { getSettings, type Settings } from './inputs.js';
import { haveStatus, setStatus } from './render.js';
import type { DigestManifest } from '../common/digest-manifest.js';
import type { ProvenanceRecord } from '../common/request.js';

function describe(s: Settings): Settings {
  core.info(`mode: ${s.mode}`);
  if (s.stack) core.info(`stack: ${s.stack}`);
  if (s.environment) core.info(`environment: ${s.environment}`);
  if (s.imageTag) core.info(`image_tag: ${s.imageTag}`);
  const t = s.target;
  if (!t) return s;
  core.info(
    `host: ${t.username}@${t.host}:${t.port} (${t.hostKeys.length} pinned host key${t.hostKeys.length === 1 ? '' : 's'})`,
  );
  core.info(
    `server: root ${s.remote.root}, source ${s.remote.source}, node ${s.remote.node}, sudo ${s.remote.sudo}`,
  );
  if (s.breakGlass)
    core.warning(`break_glass: the verification gate is bypassed. Reason: ${s.breakGlassReason}`);
  return s;
}

/** The provenance gate; loads the Sigstore code only when it runs. */
async function provenanceOf(s: Settings, m: DigestManifest): Promise<ProvenanceRecord> {
  const { checkProvenance, githubReads } = await import('./provenance/gate.js');
  const repo = s.digests.repository;
  core.info(`provenance: ${s.provenance.mode}`);
  return checkProvenance(s, m, githubReads(s.digests.token, repo?.owner ?? '', repo?.repo ?? ''));
}

export async function run(): Promise<void> {
  const cancel = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (cancel.signal.aborted) return;
    core.warning(
      `Received ${sig}: the job is being cancelled. A run already started on the server is not stopped.`,
    );
    cancel.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const settings = await core.group('Inputs', async () => describe(getSettings()));

    if (settings.manifest) {
      const m = settings.manifest;
      const { runManifestMode } = await import('./manifest-mode.js');
      await core.group('Digest manifest', () =>
        runManifestMode({
          imageTag: settings.imageTag!,
          artifact: settings.digests.artifact,
          token: settings.digests.token,
          ...m,
        }),
      );
      return;
    }
    const stopIfCancelled = () => {
      if (cancel.signal.aborted) throw new Error('The job was cancelled before anything ran on the server.');
    };
    const { needsManifest, precheckDeploy, runOnHost } = await import('./modes.js');
    let manifest;
    if (needsManifest(settings.mode)) {
      manifest = await core.group('Digest manifest', async () => {
        const { getDigestManifest } = await import('./digests.js');
        const m = await getDigestManifest(settings.digests, settings.imageTag!);
        core.info(
          `Manifest from ${m.source}: commit ${m.manifest.git_sha}, built ${m.manifest.built_at_utc}`,
        );
        if (settings.mode === 'deploy') precheckDeploy(settings, m);
        if (settings.provenance.mode !== 'off') m.provenance = await provenanceOf(settings, m.manifest);
        return m;
      });
    }

    stopIfCancelled();
    // One host today; a rolling deploy becomes a loop over targets that stops on the first failure.
    await runOnHost(settings, settings.target!, manifest, { signal: cancel.signal });
  } catch (err) {
    // A workflow reading outputs.status sees failed, not an empty string, when nothing ran.
    if (!haveStatus()) setStatus('failed');
    core.setFailed(err instanceof Error ? err.message : String(err));
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (cancel.signal.aborted) process.exit(process.exitCode ?? core.ExitCode.Failure);
  }
}
