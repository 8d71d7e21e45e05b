// Rollback (DESIGN.md section 7): go back N successful releases; if the target fails its smoke
// check, mark it bad and try the next older one, at most 3 attempts in all.
import { DeployError } from './errors.js';
import type { RollbackRequest } from '../common/request.js';
import { Docker } from './docker.js';
import { layout } from '../common/layout.js';
import type { Outcome } from './outcome.js';
import { liveReleaseId, markBad, readReleaseMeta, rollbackCandidates } from './releases.js';
import { errorMessage, type Reporter } from './report.js';
import { activate, stepTimeouts, type Release } from './steps/activate.js';
import { pullRelease } from './steps/pull.js';
import {
  buildManifest,
  historyRecord,
  mainImage,
  readManifest,
  liveToReturnTo,
  tryRecord,
  writeManifest,
  type Who,
} from './steps/record.js';
import { preflight } from './steps/preflight.js';
import { checkSafety } from './steps/safety.js';
import { withLock } from './steps/with-lock.js';

const MAX_ATTEMPTS = 3;

export async function rollback(req: RollbackRequest, report: Reporter): Promise<Outcome> {
  const l = layout(req.root);
  const started = Date.now();
  const who: Who = {
    actor: req.actor,
    run_id: req.run_id,
    break_glass: false,
    break_glass_reason: '',
    ...(req.fleet ? { fleet: req.fleet } : {}),
  };
  const docker = new Docker(report);
  const rec = (status: 'success' | 'failed', r: Release | undefined, previous: string, error = '') =>
    tryRecord(
      l,
      historyRecord(
        { stack: req.stack, env: req.env, mode: 'rollback', status, started },
        who,
        {
          release_id: r?.meta.release_id ?? '',
          image_tag: r?.meta.image_tag ?? '',
          ...(r ? { image_ref: mainImage(r.meta).ref, image_digest: mainImage(r.meta).digest } : {}),
          previous_release_id: previous,
        },
        error,
      ),
    );
  const fail = (err: unknown): Outcome => {
    const unrecorded = rec('failed', undefined, liveReleaseId(l, req.stack) ?? '', errorMessage(err));
    return { status: 'failed', msg: errorMessage(err) + (unrecorded ? ` (and ${unrecorded})` : '') };
  };

  return withLock(
    l,
    req,
    req.to ? `rollback --to ${req.to}` : `rollback -${req.steps}`,
    report,
    fail,
    async () => {
      try {
        const flavor = await report.step('preflight', () => preflight(l, docker, report));
        await report.step('safety', () => checkSafety(l, req.stack, req.env));
        const liveId = liveToReturnTo(l, req.stack, report);
        if (!liveId)
          throw new DeployError(
            `${req.stack} has no live release under ${l.stacksDir}: nothing to roll back from`,
          );
        const all = rollbackCandidates(l, req.stack, liveId);
        // --to: exactly that release (a fleet brings each host back to its own release), no fallback.
        const candidates = req.to
          ? all.filter((c) => c.id === req.to)
          : all.slice(req.steps - 1, req.steps - 1 + MAX_ATTEMPTS);
        if (!candidates.length)
          throw new DeployError(
            req.to
              ? `${req.to} is not a rollback candidate of ${req.stack} (live ${liveId}): it must be an older release that succeeded and is not marked bad`
              : `no rollback target ${req.steps} step(s) back from ${liveId}: not enough successful, non-bad releases remain on the server`,
          );
        report.log(`live: ${liveId}; candidates in order: ${candidates.map((c) => c.id).join(', ')}`);
        const errors: string[] = [];
        for (const [i, c] of candidates.entries()) {
          const r: Release = { dir: c.dir, meta: readReleaseMeta(c.dir) };
          const prefix = `rollback.${i + 1}.`;
          try {
            await report.step(`${prefix}pull`, () =>
              docker.within('pull', stepTimeouts(r).pull, () => pullRelease(docker, flavor, r, report)),
            );
            await activate(l, docker, flavor, r, report, prefix);
          } catch (err) {
            errors.push(`${c.id}: ${errorMessage(err)}`);
            const notes = [
              markBad(l, req.stack, c.id, errorMessage(err)),
              rec('failed', r, liveId, errorMessage(err)),
            ];
            for (const note of notes.filter(Boolean)) report.log(note, 'warn');
            continue;
          }
          const before = readManifest(l, req.stack);
          const current = buildManifest(r.meta, r.dir, {
            ...who,
            env: req.env || before?.env || r.meta.env,
            previous: liveId,
            mode: 'rollback',
            gate: 'rollback',
            compose: flavor,
          });
          const notWritten = await report
            .step('record', () => writeManifest(l, current))
            .then(() => '', errorMessage);
          if (notWritten) {
            // The manifest still names the release we started from: put it back, so both agree.
            errors.push(`${c.id}: passed, but the current manifest could not be written: ${notWritten}`);
            break;
          }
          const unrecorded = rec('success', r, liveId);
          if (unrecorded) report.log(unrecorded, 'error', 'record');
          const m = mainImage(r.meta);
          return {
            status: 'success',
            msg: `rolled back to ${c.id}`,
            release_id: c.id,
            release_dir: r.dir,
            image_ref: m.ref,
            image_digest: m.digest,
            previous_release_id: liveId,
            manifest: current,
          };
        }
        // Every attempt failed: put back what was live when we started, so the records stay true.
        report.start('restore', `back to ${liveId}`);
        const liveDir = l.releaseDir(req.stack, liveId);
        const live: Release = { dir: liveDir, meta: readReleaseMeta(liveDir) };
        const restored = await activate(l, docker, flavor, live, report, 'restore.').then(
          () => '',
          errorMessage,
        );
        report.end('restore', restored ? 'failed' : 'ok', restored);
        const msg = `rollback failed after ${candidates.length} attempt(s): ${errors.join('; ')}. ${liveId} is live again${restored ? ` but fails its smoke check: ${restored}` : ''}`;
        const unrecorded = rec('failed', live, liveId, msg);
        return {
          status: 'failed',
          msg: msg + (unrecorded ? ` (and ${unrecorded})` : ''),
          release_id: liveId,
          previous_release_id: liveId,
          manifest: readManifest(l, req.stack),
        };
      } catch (err) {
        return fail(err);
      }
    },
  );
}
