// Which runner each mode that acts on a host uses, and running it on one host.
import type { ResultEvent } from '../../common/events.js';
import type { LoadedManifest } from '../digests/load.js';
import type { HostConfig } from '../host/config.js';
import type { Mode } from '../inputs/run.js';
import type { Settings } from '../inputs/settings.js';
import { runDeploy } from './deploy.js';
import { runOnHost, type ModeRunner, type OnHostOptions } from './on-host.js';
import { runStatus } from './status.js';
import { runVerify } from './verify.js';

const RUNNERS: Record<Exclude<Mode, 'manifest'>, ModeRunner> = {
  deploy: runDeploy,
  rollback: runDeploy,
  verify: runVerify,
  status: runStatus,
};

/** Runs the configured mode on one host. Failures set the step failed (exit code) or throw. */
export function runMode(
  s: Settings,
  config: HostConfig,
  manifest: LoadedManifest | undefined,
  opts: OnHostOptions,
): Promise<ResultEvent | undefined> {
  if (s.mode === 'manifest') throw new Error('internal: mode manifest runs on no host');
  return runOnHost(RUNNERS[s.mode], s, config, manifest, opts);
}
