// The rollout of a fleet run: hosts in batches (the first the canary, rollout_wait between), each
// host's run started and followed with its log prefixed; a failed batch stops the rollout.
import * as core from '@actions/core';
import type { ResultEvent } from '../../common/events.js';
import { sleep } from '../host/journal.js';
import type { RunInputs } from '../host/session.js';
import type { FleetSettings } from '../inputs/fleet.js';
import { batchPlan } from '../inputs/fleet.js';
import { outputStatusOf } from '../report/outputs.js';
import { EventRenderer } from '../report/renderer.js';
import { errText, HostOut, type FleetHost } from './host.js';

/** Starts a run on the host and follows it to its result (rendered with the host's prefix). */
export async function runOnFleetHost(h: FleetHost, inputs: RunInputs, live: boolean): Promise<ResultEvent> {
  const out = new HostOut(h.name, live);
  const renderer = new EventRenderer(out);
  try {
    await h.session.start(inputs);
    const r = await h.session.follow((l) => renderer.handle(l.event, l.text));
    renderer.close();
    return r;
  } finally {
    renderer.close();
    out.flush();
  }
}

/** Runs one host's part of a batch: the row says how it ended (never throws). */
export async function runInBatch(h: FleetHost, inputs: RunInputs, live: boolean): Promise<void> {
  try {
    h.take(await runOnFleetHost(h, inputs, live));
  } catch (err) {
    h.row.status = outputStatusOf(err) === 'unknown' ? 'unknown' : 'failed';
    h.row.error = errText(err);
  }
}

/** The batches of the rollout, `fn` on each host of a batch at once; stops after a failed batch. */
export async function rollout(
  hosts: readonly FleetHost[],
  f: FleetSettings,
  signal: AbortSignal,
  fn: (h: FleetHost, live: boolean) => Promise<void>,
): Promise<FleetHost | undefined> {
  const batches = batchPlan(hosts.length, f.rollout);
  for (const [b, batch] of batches.entries()) {
    if (b > 0 && f.rolloutWaitS > 0) {
      core.info(`Waiting ${f.rolloutWaitS} s (rollout_wait) before batch ${b + 1} of ${batches.length}`);
      if (!(await sleep(f.rolloutWaitS * 1000, signal)))
        throw new Error('The job was cancelled between batches');
    }
    const members = batch.map((i) => hosts[i]!);
    core.info(
      `Batch ${b + 1} of ${batches.length}${b === 0 && batches.length > 1 ? ' (canary)' : ''}: ${members.map((h) => h.name).join(', ')}`,
    );
    await Promise.all(members.map((h) => fn(h, members.length === 1)));
    const failed = members.find((h) => h.row.status !== 'success');
    if (failed) return failed;
    if (signal.aborted) throw new Error('The job was cancelled between batches');
  }
  return undefined;
}
