// Where the action connects over SSH (one per host) and how long it waits for the server.
import type { HostKeyPin } from './host-key.js';

/** Where the action connects: one per host (from the inputs). */
export interface SshEndpoint {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  passphrase?: string;
  /** Pins that apply to this host:port (bare fingerprints and matching known_hosts lines). */
  hostKeys: HostKeyPin[];
}

/** How long the client waits for the server (test knobs may shorten them). */
export interface SshTiming {
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

export type SshTarget = SshEndpoint & SshTiming;
