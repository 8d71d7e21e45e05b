// What goes wrong when getting the digest manifest, said so that the fix is clear: DigestError,
// the token permission hint, and the repository and token a GitHub call needs.
import type { DigestSource } from '../inputs/digest-source.js';

export class DigestError extends Error {
  override name = 'DigestError';
}

export function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

export function isNotFound(err: unknown): boolean {
  return (err as Error)?.name === 'ArtifactNotFoundError' || statusOf(err) === 404;
}

export const PERMISSION_HINT =
  'github_token needs the "actions: read" permission (permissions: actions: read) to read artifacts and runs';

export function repoOf(src: DigestSource, why: string): { owner: string; repo: string } {
  if (!src.repository) throw new DigestError(`GITHUB_REPOSITORY is not set; it is needed to ${why}`);
  return src.repository;
}

export function tokenOf(src: DigestSource, why: string): string {
  if (!src.token)
    throw new DigestError(
      `github_token: required to ${why} (default: \${{ github.token }}); ${PERMISSION_HINT}`,
    );
  return src.token;
}

export const apiProblem = (err: unknown) =>
  statusOf(err) ? `HTTP ${statusOf(err)}: ${(err as Error).message}` : (err as Error).message;
