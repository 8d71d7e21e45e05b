// Shared by the Swarm engine's e2e files: the committed executor run as root inside a lab host
// (its namespaces, as on a manager), its records read from there, and the failover client
// (lb-client.ts) measuring availability while something changes.
import { chmodSync, copyFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseEventLine, type DeployEvent, type ResultEvent } from '../../common/events.js';
import { layout } from '../../common/layout.js';
import type { HistoryRecord } from '../../remote/domain/history.js';
import type { Lab, LabHost } from '../support/hosts.js';
import type { PushedImage } from '../support/images.js';
import { runLbClient, type LbResult } from '../support/lb-client.js';
import { serverNode } from '../support/node.js';
import { sleep } from '../support/sandbox.js';
import { digestManifest, REMOTE_JS } from './fixture.js';

const HOST_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

export interface StatusOutput {
  consistent: boolean;
  stacks: {
    containers: { name: string; image: string; status: string }[];
    problems: { code: string; message: string }[];
  }[];
}

export interface Run {
  code: number;
  stderr: string;
  events: DeployEvent[];
  result?: ResultEvent;
}

export interface DeployOptions {
  /** `VAR=image-name,...` (--images). */
  vars: string;
  /** Added to the executor's environment. */
  env?: NodeJS.ProcessEnv;
  extra?: string[];
}

export interface HostExecutor {
  host: LabHost;
  root: string;
  source: string;
  /** The executor CLI with --json; never throws for exit codes. */
  executor(args: string[], env?: NodeJS.ProcessEnv): Promise<Run>;
  /** A deploy of `images` (manifest name -> image) with the lab registry's login. */
  deploy(stack: string, tag: string, images: Record<string, PushedImage>, o: DeployOptions): Promise<Run>;
  history(): Promise<HistoryRecord[]>;
  manifest(stack: string): Promise<Record<string, unknown>>;
  /** `status <stack> --json`: its exit code and output. */
  status(stack: string): Promise<{ code: number; json: StatusOutput }>;
}

/** Where the executor is copied inside a lab host: the checkout may not be visible there (a
 * checkout under /tmp is not: each host has its own /tmp). */
const EXECUTOR_IN_HOST = '/opt/seisei-remote.cjs';

export function hostExecutor(lab: Lab, host: LabHost, root: string, source: string): HostExecutor {
  let runs = 0;
  const l = layout(root);
  copyFileSync(REMOTE_JS, host.hostPath(EXECUTOR_IN_HOST));
  chmodSync(host.hostPath(EXECUTOR_IN_HOST), 0o755);
  const executor = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => {
    const r = await host.exec([serverNode(), EXECUTOR_IN_HOST, ...args, '--json'], {
      env: { ...HOST_ENV, ...env },
      timeoutMs: 180_000,
    });
    const events = r.stdout
      .split('\n')
      .map(parseEventLine)
      .filter((e): e is DeployEvent => Boolean(e));
    return {
      code: r.code,
      stderr: r.stderr,
      events,
      result: events.find((e): e is ResultEvent => e.type === 'result'),
    };
  };
  return {
    host,
    root,
    source,
    executor,
    async deploy(stack, tag, images, o) {
      const n = ++runs;
      const digests = `/tmp/digests-${n}.json`;
      const password = `/tmp/registry-password-${n}`;
      await writeFile(host.hostPath(digests), JSON.stringify(digestManifest(tag, images)));
      await writeFile(host.hostPath(password), lab.registry!.password, { mode: 0o600 });
      return executor(
        [
          ...['deploy', stack, 'staging', tag, '--digest-file', digests, '--images', o.vars],
          ...['--actor', 'tester', '--run-id', String(n)],
          ...['--registry', lab.registry!.address, '--registry-username', lab.registry!.username],
          ...['--registry-password-file', password, '--root', root, '--source', source],
          ...(o.extra ?? []),
        ],
        o.env,
      );
    },
    async history() {
      return (await readFile(host.hostPath(l.history), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as HistoryRecord);
    },
    async manifest(stack) {
      return JSON.parse(await readFile(host.hostPath(l.currentManifest(stack)), 'utf8')) as Record<
        string,
        unknown
      >;
    },
    async status(stack) {
      const r = await host.exec([serverNode(), EXECUTOR_IN_HOST, 'status', stack, '--root', root, '--json'], {
        env: HOST_ENV,
        timeoutMs: 60_000,
      });
      return { code: r.code, json: JSON.parse(r.stdout) as StatusOutput };
    },
  };
}

/** Runs the failover client (25 requests/s on /health) against `nodes` while `change` runs. */
export async function measure<T>(
  nodes: string[],
  change: () => Promise<T>,
): Promise<{ lb: LbResult; value: T }> {
  const stop = new AbortController();
  const lb = runLbClient({
    nodes,
    path: '/health',
    ratePerSecond: 25,
    maxRequests: 25 * 150,
    maxDurationMs: 150_000,
    attemptTimeoutMs: 1000,
    signal: stop.signal,
  });
  await sleep(300);
  const value = await change().finally(() => stop.abort());
  return { lb: await lb, value };
}

export const lbText = (lb: LbResult) =>
  `sent ${lb.sent}, ok ${lb.ok}, failed ${lb.failed}, failovers ${lb.failovers}, answers ${JSON.stringify(lb.bodies)}, failed windows ${JSON.stringify(lb.failedWindows)}`;
