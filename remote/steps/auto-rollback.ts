// After a failed switch/up/smoke: put back the release that was live before, mark the new one bad,
// and record both. With nothing to go back to, the failed stack is taken down.
import type { ComposeFlavor } from '../commands/compose.js';
import type { Docker } from '../docker.js';
import type { Layout } from '../layout.js';
import type { Outcome } from '../outcome.js';
import { markBad, readReleaseMeta } from '../releases.js';
import { errorMessage, type Reporter } from '../report.js';
import { activate, stepTimeouts, takeDown, type Release } from './activate.js';
import {
  buildManifest,
  historyRecord,
  mainImage,
  readManifest,
  tryRecord,
  writeManifest,
  type Who,
} from './record.js';
import { pullRelease, type Login } from './pull.js';
import { removeLive } from './switch.js';

export async function autoRollback(
  l: Layout,
  docker: Docker,
  flavor: ComposeFlavor,
  ctx: {
    failed: Release;
    previousId: string | undefined;
    err: unknown;
    who: Who;
    started: number;
    env: string;
    /** The run's registry login, if it has one: the previous release may need a pull too. */
    login?: Login;
  },
  report: Reporter,
): Promise<Outcome> {
  const { failed, previousId, who, started, env } = ctx;
  const stack = failed.meta.stack;
  const why = errorMessage(ctx.err);
  const failedFacts = {
    release_id: failed.meta.release_id,
    image_tag: failed.meta.image_tag,
    ...refOf(failed),
    previous_release_id: previousId ?? '',
  };
  const notMarked = markBad(l, stack, failed.meta.release_id, why);
  if (notMarked) report.log(notMarked, 'warn');
  const recordFailed = (status: 'rolled_back' | 'failed') =>
    tryRecord(l, historyRecord({ stack, env, mode: 'deploy', status, started }, who, failedFacts, why));

  if (!previousId) {
    report.start('auto_rollback', 'no previous release: taking the failed stack down');
    await takeDown(docker, flavor, failed).catch((e) => report.log(errorMessage(e), 'warn'));
    removeLive(l, stack);
    report.end('auto_rollback', 'ok');
    const unrecorded = recordFailed('failed');
    return {
      status: 'failed',
      msg: `${why}; this was the first release of ${stack}, so it was taken down (nothing is live)${unrecorded ? ` (and ${unrecorded})` : ''}`,
      ...failedFacts,
    };
  }

  report.start('auto_rollback', `back to ${previousId}`);
  const previous: Release = {
    dir: l.releaseDir(stack, previousId),
    meta: readReleaseMeta(l.releaseDir(stack, previousId)),
  };
  let rollbackError = '';
  // A failed pull does not stop the way back: the switch goes on, so the records below stay true
  // to what is live, and `up` may still find the images (v1 with root's own login).
  const notPulled = await report
    .step('auto_rollback.pull', () =>
      docker.within('pull', stepTimeouts(previous).pull, () =>
        pullRelease(docker, flavor, previous, report, ctx.login),
      ),
    )
    .then(() => '', errorMessage);
  try {
    await activate(l, docker, flavor, previous, report, 'auto_rollback.');
    report.end('auto_rollback', 'ok');
  } catch (err) {
    rollbackError = errorMessage(err) + (notPulled ? ` (its images could not be pulled: ${notPulled})` : '');
    report.end('auto_rollback', 'failed', rollbackError);
  }
  const before = readManifest(l, stack);
  const current = buildManifest(previous.meta, previous.dir, {
    ...who,
    break_glass: before?.break_glass ?? false,
    break_glass_reason: before?.break_glass_reason ?? '',
    env: before?.env ?? env,
    previous: failed.meta.release_id,
    mode: 'auto-rollback',
    gate: before?.gate ?? '',
    compose: flavor,
  });
  // Best effort on every part: a full disk must not hide that the previous release is live again.
  // If the manifest cannot be rewritten it still names previousId (it was not changed by this run).
  report.start('record');
  let notWritten = '';
  try {
    writeManifest(l, current);
  } catch (err) {
    notWritten = `the current manifest could not be rewritten: ${errorMessage(err)}`;
  }
  const unrecorded = [
    notWritten,
    recordFailed('rolled_back'),
    tryRecord(
      l,
      historyRecord(
        { stack, env, mode: 'auto-rollback', status: rollbackError ? 'failed' : 'success', started },
        who,
        {
          release_id: previousId,
          image_tag: previous.meta.image_tag,
          ...refOf(previous),
          previous_release_id: failed.meta.release_id,
        },
        rollbackError,
      ),
    ),
  ].filter(Boolean);
  report.end('record', unrecorded.length ? 'failed' : 'ok', unrecorded.join('; '));
  const msg =
    (rollbackError
      ? `${why}; rolled back to ${previousId}, but it failed its smoke check too: ${rollbackError}`
      : `${why}; rolled back to ${previousId}, which is live and answering`) +
    (unrecorded.length ? ` (and ${unrecorded.join('; ')})` : '');
  const manifest = notWritten ? readManifest(l, stack) : current;
  return { status: 'rolled_back', msg, ...failedFacts, manifest, error: why };
}

function refOf(r: Release) {
  const m = mainImage(r.meta);
  return { image_ref: m.ref, image_digest: m.digest };
}
