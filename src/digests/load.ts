// Gets the digest manifest (DESIGN.md section 3) for the requested image tag, in this order:
// `digest_file`; the artifact of `build_run_id`; the artifact of the current run; the artifact of
// the newest successful run of `build_workflow` that built the tag's commit in this repository from
// a trusted trigger (push, workflow_dispatch, release, schedule) on the default branch, a
// `build_branches` branch or a tag (see `judgeRun`): a fork's pull request cannot supply it.
// Downloads are raw bytes whose SHA-256 is checked against the digest GitHub recorded at upload
// before anything is unpacked or parsed. @actions/artifact and @actions/github are loaded lazily.
import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import { ManifestError, parseDigestManifest, type DigestManifest } from '../../common/digest-manifest.js';
import type { ProvenanceRecord } from '../../common/request.js';
import type { DigestSource } from '../inputs/digest-source.js';
import { safeText } from '../neutralise.js';
import { downloadFromRun, findByFor } from './artifact.js';
import { findBuildRun, shaOfTag } from './build-run.js';
import { DigestError } from './errors.js';
import { defaultDeps, type Deps } from './github.js';

export interface LoadedManifest {
  manifest: DigestManifest;
  /** The manifest's bytes as built (uploaded to the server unchanged). */
  text: string;
  /** Where it came from, for logs and errors. */
  source: string;
  runId?: number;
  /** What the provenance gate found, once it ran (src/provenance/gate.ts). */
  provenance?: ProvenanceRecord;
}

/** Gets, verifies and validates the digest manifest for `imageTag`. */
export async function getDigestManifest(
  src: DigestSource,
  imageTag: string,
  deps: Deps = defaultDeps(),
): Promise<LoadedManifest> {
  let text: string;
  let source: string;
  let runId: number | undefined;
  /** The commit the lookup proved (the manifest must say the same). */
  let lookedUpSha: string | undefined;
  if (src.file) {
    source = `digest_file ${src.file}`;
    try {
      text = await readFile(src.file, 'utf8');
    } catch (err) {
      throw new DigestError(
        `digest_file: cannot read ${src.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  } else if (src.buildRunId) {
    runId = src.buildRunId;
    const where = `run ${runId} of ${src.repository ? `${src.repository.owner}/${src.repository.repo}` : '?'} (input build_run_id)`;
    source = `artifact "${src.artifact}" of ${where}`;
    ({ text } = await downloadFromRun(
      src,
      deps,
      where,
      findByFor(src, runId, 'download the artifact of build_run_id'),
    ));
  } else {
    let got: { text: string } | undefined;
    const env = deps.env;
    if (env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL) {
      const where = `the current run${src.currentRunId ? ` ${src.currentRunId}` : ''}`;
      try {
        got = await downloadFromRun(src, deps, where, undefined);
        source = `artifact "${src.artifact}" of ${where}`;
        runId = src.currentRunId;
      } catch (err) {
        if (!(err instanceof DigestError) || !/was not found/.test(err.message)) throw err;
        core.info(`No artifact "${src.artifact}" in ${where}; looking for the build run of ${imageTag}`);
      }
    }
    if (got) text = got.text;
    else {
      const run = await findBuildRun(src, imageTag, deps);
      runId = run.id;
      const where = `run ${run.id} of ${src.repository!.owner}/${src.repository!.repo} (newest successful ${src.buildWorkflow} run at ${run.head_sha.slice(0, 12)})`;
      core.info(
        safeText(`Build run of ${imageTag}: ${run.html_url ?? run.id} (${run.event} on ${run.head_branch})`),
      );
      lookedUpSha = run.head_sha.toLowerCase();
      source = `artifact "${src.artifact}" of ${where}`;
      ({ text } = await downloadFromRun(src, deps, where, findByFor(src, run.id, 'download the artifact')));
    }
  }
  let manifest: DigestManifest;
  try {
    manifest = parseDigestManifest(text, imageTag);
  } catch (err) {
    if (err instanceof ManifestError)
      throw new DigestError(
        `the digest manifest from ${source!} is invalid:\n  - ${err.problems.join('\n  - ')}`,
      );
    throw err;
  }
  const sha = shaOfTag(imageTag);
  if (lookedUpSha && manifest.git_sha !== lookedUpSha)
    throw new DigestError(
      `the digest manifest from ${source!} says commit ${manifest.git_sha}, but the run built ${lookedUpSha} (the commit of image_tag ${imageTag}); refusing to use it`,
    );
  if (sha && !manifest.git_sha.startsWith(sha))
    core.warning(
      `the digest manifest from ${source!} was built from commit ${manifest.git_sha}, which does not start with ${sha} (from image_tag ${imageTag})`,
    );
  return { manifest, text, source: source!, runId };
}
