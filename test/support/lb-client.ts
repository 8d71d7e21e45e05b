// An availability client that sees a cluster the way an external load balancer in front of its nodes
// does: requests at a steady rate, each to the next node in turn, failing over to the other nodes on
// an error; a request fails only if no node answers. Used to measure zero downtime (swarm.test.ts).
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { LAB_NETWORK } from './lab-plan.js';

export interface LbOptions {
  /** Node addresses, 'IP:port' (IPv4 of the lab network or loopback only). */
  nodes: readonly string[];
  /** Request path on every node; default '/'. */
  path?: string;
  /** Requests started per second (a steady schedule, not back-to-back); at least 1. */
  ratePerSecond: number;
  /** Stops after this many requests were sent. */
  maxRequests: number;
  /** Stops sending after this many milliseconds, whatever maxRequests says. */
  maxDurationMs: number;
  /** Time allowed for one attempt on one node; default 1000 ms. */
  attemptTimeoutMs?: number;
  /** Stops sending early (requests in flight still finish). */
  signal?: AbortSignal;
  /** Whether an answer counts as served; default: status 200-299. */
  accept?: (status: number, body: string) => boolean;
}

export interface NodeCounts {
  /** Attempts this node answered (accepted). */
  ok: number;
  /** Attempts on this node that failed (refused, reset, timed out, or not accepted). */
  errors: number;
}

export interface FailedWindow {
  /** Send time of the first failed request of the run (ms, LbResult's clock). */
  start: number;
  /** Completion time of the last failed request of the run. */
  end: number;
  /** Failed requests in the run. */
  requests: number;
}

export interface LbResult {
  sent: number;
  /** Requests some node answered. */
  ok: number;
  /** Requests no node answered. */
  failed: number;
  /** Requests answered by another node than the one they were sent to first. */
  failovers: number;
  perNode: Record<string, NodeCounts>;
  /** Runs of consecutive failed requests (in send order). */
  failedWindows: FailedWindow[];
  /** Bodies of accepted answers and how often each was seen (e.g. 'ok v1' -> 120). */
  bodies: Record<string, number>;
  /** When sending began and when the last request finished, on the clock of lbNow(). */
  startedAt: number;
  endedAt: number;
}

/** The client's clock: milliseconds since the epoch, monotonic within the process. */
export const lbNow = (): number => performance.timeOrigin + performance.now();

const MAX_BODY = 4096;

/** Throws unless every node is 'IPv4:port' on loopback or the lab network. */
export function checkNodes(nodes: readonly string[]): void {
  if (!nodes.length) throw new Error('nodes: give at least one node address (IP:port)');
  const [net24] = LAB_NETWORK.split('/');
  const labPrefix = net24!.split('.').slice(0, 3).join('.') + '.';
  for (const node of nodes) {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(node);
    const port = Number(m?.[2]);
    if (!m || !net.isIPv4(m[1]!) || port < 1 || port > 65535)
      throw new Error(`nodes: ${JSON.stringify(node)} is not IPv4:port (e.g. 10.201.0.11:8080)`);
    if (!m[1]!.startsWith('127.') && !m[1]!.startsWith(labPrefix))
      throw new Error(`nodes: ${node} is neither loopback nor in the lab network ${LAB_NETWORK}`);
  }
}

/** One GET to one node; resolves with the body when accepted, rejects otherwise. */
function attempt(
  node: string,
  reqPath: string,
  timeoutMs: number,
  accept: (status: number, body: string) => boolean,
): Promise<string> {
  const [host, port] = [node.slice(0, node.lastIndexOf(':')), Number(node.slice(node.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: reqPath, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < MAX_BODY) body += d.slice(0, MAX_BODY - body.length);
      });
      res.on('error', reject);
      res.on('end', () =>
        accept(res.statusCode ?? 0, body)
          ? resolve(body.trim())
          : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

interface Outcome {
  sentAt: number;
  doneAt: number;
  body?: string;
}

/**
 * Sends requests at `ratePerSecond` until `maxRequests` were sent, `maxDurationMs` passed or
 * `signal` aborted, then waits for those in flight (each at most nodes × attemptTimeoutMs) and
 * returns the counts. Request i goes to node i mod n first, then to the following nodes in order.
 */
export async function runLbClient(opts: LbOptions): Promise<LbResult> {
  checkNodes(opts.nodes);
  if (!(opts.ratePerSecond >= 1)) throw new Error('ratePerSecond: give at least 1');
  if (!(opts.maxRequests >= 1) || !(opts.maxDurationMs > 0))
    throw new Error('maxRequests and maxDurationMs: give positive bounds');
  const nodes = [...opts.nodes];
  const reqPath = opts.path ?? '/';
  const timeoutMs = opts.attemptTimeoutMs ?? 1000;
  const accept = opts.accept ?? ((status: number) => status >= 200 && status < 300);
  const perNode: Record<string, NodeCounts> = Object.fromEntries(nodes.map((n) => [n, { ok: 0, errors: 0 }]));
  let failovers = 0;

  const one = async (i: number): Promise<Outcome> => {
    const sentAt = lbNow();
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[(i + k) % nodes.length]!;
      try {
        const body = await attempt(node, reqPath, timeoutMs, accept);
        perNode[node]!.ok++;
        if (k > 0) failovers++;
        return { sentAt, doneAt: lbNow(), body };
      } catch {
        perNode[node]!.errors++;
      }
    }
    return { sentAt, doneAt: lbNow() };
  };

  const intervalMs = 1000 / opts.ratePerSecond;
  const startedAt = lbNow();
  const inFlight: Promise<Outcome>[] = [];
  while (inFlight.length < opts.maxRequests && !opts.signal?.aborted) {
    const due = startedAt + inFlight.length * intervalMs;
    if (due - startedAt >= opts.maxDurationMs) break;
    const wait = due - lbNow();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (opts.signal?.aborted) break;
    inFlight.push(one(inFlight.length));
  }
  const outcomes = await Promise.all(inFlight);
  return summarize(outcomes, perNode, failovers, startedAt);
}

function summarize(
  outcomes: Outcome[],
  perNode: Record<string, NodeCounts>,
  failovers: number,
  startedAt: number,
): LbResult {
  const failedWindows: FailedWindow[] = [];
  const bodies: Record<string, number> = {};
  let open: FailedWindow | undefined;
  for (const o of outcomes) {
    if (o.body !== undefined) {
      bodies[o.body] = (bodies[o.body] ?? 0) + 1;
      open = undefined;
      continue;
    }
    if (!open) failedWindows.push((open = { start: o.sentAt, end: o.doneAt, requests: 0 }));
    open.end = Math.max(open.end, o.doneAt);
    open.requests++;
  }
  const ok = outcomes.filter((o) => o.body !== undefined).length;
  return {
    sent: outcomes.length,
    ok,
    failed: outcomes.length - ok,
    failovers,
    perNode,
    failedWindows,
    bodies,
    startedAt,
    endedAt: outcomes.reduce((t, o) => Math.max(t, o.doneAt), startedAt),
  };
}
