// The per-host configuration a HostSession takes: where to connect and how to run things on that
// server. The action builds one per host from its settings (src/main.ts); a fleet builds N.
import type { SshTarget } from '../ssh/target.js';
import type { RemoteOptions } from '../ssh/shell.js';
import type { ExecutorMismatch } from './executor.js';

/** The server side of one host (inputs sudo, remote_node, srv_root, stacks_source, executor_mismatch). */
export interface ServerOptions extends RemoteOptions {
  root: string;
  source: string;
  executorMismatch: ExecutorMismatch;
}

export interface HostConfig {
  target: SshTarget;
  server: ServerOptions;
  /** timeout_minutes: how long a synchronous mode, or following a run, may take. */
  timeoutMinutes: number;
  /** reconnect_timeout: the budget for reconnecting when SSH drops while following. */
  reconnectTimeoutS: number;
}
