// Downloads the digest artifact of a run as raw bytes, checks their SHA-256 against the digest
// GitHub recorded at upload before anything is unpacked, and takes image-digests.json out of it.
import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DigestSource } from '../inputs/digest-source.js';
import { DigestError, PERMISSION_HINT, isNotFound, repoOf, statusOf, tokenOf } from './errors.js';
import type { ArtifactInfo, Deps, FindBy } from './github.js';
import { isZip, listZip, readZipEntry } from './unzip.js';

export const MANIFEST_FILE = 'image-digests.json';

function normalizeDigest(d: string | undefined): string | undefined {
  if (!d) return undefined;
  return /^[0-9a-f]{64}$/i.test(d) ? `sha256:${d.toLowerCase()}` : d.toLowerCase();
}

/** Turns downloaded artifact bytes into the manifest text (a zip with image-digests.json, or the raw file). */
export function manifestTextFromArtifact(bytes: Buffer, artifactName: string): string {
  if (!isZip(bytes)) return bytes.toString('utf8');
  const entries = listZip(bytes).filter((e) => !e.name.endsWith('/'));
  const named = entries.filter((e) => basename(e.name) === MANIFEST_FILE);
  const entry = named.length === 1 ? named[0] : entries.length === 1 ? entries[0] : undefined;
  if (!entry)
    throw new DigestError(
      `artifact ${artifactName} does not hold exactly one ${MANIFEST_FILE} (it has: ${entries.map((e) => e.name).join(', ') || 'no files'})`,
    );
  return readZipEntry(bytes, entry).toString('utf8');
}

export async function downloadFromRun(
  src: DigestSource,
  deps: Deps,
  where: string,
  findBy: FindBy | undefined,
): Promise<{ text: string; info: ArtifactInfo }> {
  const backend = await deps.artifacts();
  let info: ArtifactInfo;
  try {
    info = await backend.getArtifact(src.artifact, findBy);
  } catch (err) {
    const status = statusOf(err);
    if (isNotFound(err) || status === 401 || status === 403)
      throw new DigestError(
        `artifact "${src.artifact}" was not found in ${where}${status ? ` (HTTP ${status})` : ''}: check that the build uploaded it under that name (input digest_artifact), that it has not expired, and that ${PERMISSION_HINT}`,
      );
    throw new DigestError(`cannot look up artifact "${src.artifact}" in ${where}: ${(err as Error).message}`);
  }
  const expected = normalizeDigest(info.digest);
  const dir = await mkdtemp(join(deps.env.RUNNER_TEMP || tmpdir(), 'seisei-digests-'));
  try {
    let mismatch: boolean | undefined;
    try {
      ({ digestMismatch: mismatch } = await backend.download(info.id, {
        path: dir,
        findBy,
        expectedHash: expected,
      }));
    } catch (err) {
      throw new DigestError(
        `cannot download artifact "${src.artifact}" (id ${info.id}) of ${where}: ${(err as Error).message}`,
      );
    }
    const files = await readdir(dir);
    if (files.length !== 1)
      throw new DigestError(
        `downloading artifact "${src.artifact}" (id ${info.id}) of ${where} produced ${files.length} files, expected one`,
      );
    const bytes = await readFile(join(dir, files[0]!));
    const actual = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
    if (expected) {
      if (mismatch || actual !== expected)
        throw new DigestError(
          `artifact "${src.artifact}" (id ${info.id}) of ${where} is corrupt or was altered: its SHA-256 is ${actual} but GitHub recorded ${expected} at upload; refusing to use it`,
        );
      core.info(`Artifact hash verified: ${actual}`);
    } else {
      core.warning(
        `artifact "${src.artifact}" (id ${info.id}) of ${where} has no recorded digest (uploaded by an old upload-artifact?); its hash cannot be verified (downloaded ${actual})`,
      );
    }
    try {
      return { text: manifestTextFromArtifact(bytes, src.artifact), info };
    } catch (err) {
      throw new DigestError(
        `artifact "${src.artifact}" (id ${info.id}) of ${where}: ${(err as Error).message}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function findByFor(src: DigestSource, runId: number, why: string): FindBy {
  const { owner, repo } = repoOf(src, why);
  return { token: tokenOf(src, why), workflowRunId: runId, repositoryOwner: owner, repositoryName: repo };
}
