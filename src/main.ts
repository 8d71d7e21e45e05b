// The action's logic, exported as run() (the entry point, src/index.ts, calls it; so do tools
// that import this module, such as @github/local-action): inputs -> digest manifest -> for each
// host (one today): connect + preflight -> remote run -> report. Heavy modules (artifact/GitHub
// clients, SSH) are imported only when their phase runs. Importing this module runs nothing.
import * as core from '@actions/core';
import type { DigestManifest } from '../common/digest-manifest.js';
import type { ProvenanceRecord } from '../common/request.js';
import type { LoadedManifest } from './digests/load.js';
import type { HostConfig } from './host/config.js';
import { getSettings, type Settings } from './inputs/settings.js';
import { outputStatusOf, setStatus } from './report/outputs.js';
import type { SshEndpoint } from './ssh/target.js';
import { testKnobs, type TestKnobs } from './test-knobs.js';

function describe(s: Settings): Settings {
  core.info(`mode: ${s.mode}`);
  if (s.stack) core.info(`stack: ${s.stack}`);
  if (s.environment) core.info(`environment: ${s.environment}`);
  if (s.imageTag) core.info(`image_tag: ${s.imageTag}`);
  const t = s.target;
  if (!t) return s;
  const f = s.fleet;
  if (f) {
    const r = f.rollout;
    core.info(
      `hosts: ${f.endpoints.map((e) => `${e.host}:${e.port}`).join(', ')} as ${t.username}; rollout ${r.kind === 'parallel' ? 'parallel' : r.kind === 'count' ? `${r.n} at a time` : `${r.pct}% at a time`}, rollout_wait ${f.rolloutWaitS} s, on_failure ${f.onFailure}`,
    );
  } else
    core.info(
      `host: ${t.username}@${t.host}:${t.port} (${t.hostKeys.length} pinned host key${t.hostKeys.length === 1 ? '' : 's'})`,
    );
  core.info(
    `server: root ${s.server.root}, source ${s.server.source}, node ${s.server.node}, sudo ${s.server.sudo}`,
  );
  if (s.breakGlass)
    core.warning(`break_glass: the verification gate is bypassed. Reason: ${s.breakGlassReason}`);
  return s;
}

/** The per-host configuration of one SSH endpoint: what a HostSession takes. */
export function hostConfig(endpoint: SshEndpoint, s: Settings, knobs: TestKnobs): HostConfig {
  return {
    target: { ...endpoint, ...knobs.ssh },
    server: s.server,
    timeoutMinutes: s.timeoutMinutes,
    reconnectTimeoutS: s.reconnectTimeoutS,
  };
}

/** Modes that need the digest manifest (verify binds the marker to the digests). */
const needsManifest = (mode: Settings['mode']) => mode === 'deploy' || mode === 'verify';

/** The provenance gate; loads the Sigstore code only when it runs. */
async function provenanceOf(s: Settings, m: DigestManifest): Promise<ProvenanceRecord> {
  const { checkProvenance, githubReads } = await import('./provenance/gate.js');
  const repo = s.digests.repository;
  core.info(`provenance: ${s.provenance.mode}`);
  return checkProvenance(s, m, githubReads(s.digests.token, repo?.owner ?? '', repo?.repo ?? ''));
}

/**
 * Gets the digest manifest and, for a deploy, checks the request before connecting; then the
 * provenance gate, unless it is off.
 */
async function loadManifest(settings: Settings): Promise<LoadedManifest> {
  return core.group('Digest manifest', async () => {
    const { getDigestManifest } = await import('./digests/load.js');
    const m = await getDigestManifest(settings.digests, settings.imageTag!);
    core.info(`Manifest from ${m.source}: commit ${m.manifest.git_sha}, built ${m.manifest.built_at_utc}`);
    if (settings.mode === 'deploy') (await import('./modes/deploy.js')).precheckDeploy(settings, m);
    if (settings.provenance.mode !== 'off') m.provenance = await provenanceOf(settings, m.manifest);
    return m;
  });
}

async function runModes(settings: Settings, signal: AbortSignal): Promise<void> {
  if (settings.manifest) {
    const m = settings.manifest;
    const { runManifestMode } = await import('./modes/manifest.js');
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
  const { runMode } = await import('./modes/runners.js');
  const manifest = needsManifest(settings.mode) ? await loadManifest(settings) : undefined;
  if (signal.aborted) throw new Error('The job was cancelled before anything ran on the server.');
  const knobs = testKnobs();
  const opts = { signal, backoffBaseMs: knobs.backoffBaseMs, remoteScript: knobs.remoteScript };
  if (settings.fleet) {
    // A fleet: the same per-host session once per host, under the rollout policy.
    const { runFleet } = await import('./fleet/run.js');
    const configs = settings.fleet.endpoints.map((e) => hostConfig(e, settings, knobs));
    await runFleet(settings, configs, manifest, opts);
    return;
  }
  const config = hostConfig(settings.target!, settings, knobs);
  await runMode(settings, config, manifest, opts);
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
    await runModes(settings, cancel.signal);
  } catch (err) {
    // A workflow reading outputs.status sees failed (or unknown), not an empty string.
    setStatus(outputStatusOf(err));
    core.setFailed(err instanceof Error ? err.message : String(err));
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (cancel.signal.aborted) process.exit(process.exitCode ?? core.ExitCode.Failure);
  }
}
