// The test-only knobs (environment variables, not inputs; docs/action.md lists them), read from
// the environment in this one place: shorter SSH and reconnect timings, another executor bundle.
import type { SshTiming } from './ssh/target.js';

export interface TestKnobs {
  ssh: SshTiming;
  /** First reconnect delay while following a run. */
  backoffBaseMs: number;
  /** The executor bundle to send instead of dist/remote.cjs. */
  remoteScript?: string;
}

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[`SEISEI_DEPLOY_TEST_${name}`];
  return v && /^\d+$/.test(v) ? Number(v) : fallback;
}

export function testKnobs(env: NodeJS.ProcessEnv = process.env): TestKnobs {
  return {
    ssh: {
      readyTimeoutMs: envInt(env, 'READY_TIMEOUT_MS', 20_000),
      keepaliveIntervalMs: envInt(env, 'KEEPALIVE_MS', 10_000),
      keepaliveCountMax: 3,
    },
    backoffBaseMs: envInt(env, 'BACKOFF_BASE_MS', 1000) || 1000,
    remoteScript: env.SEISEI_DEPLOY_REMOTE_JS || undefined,
  };
}
