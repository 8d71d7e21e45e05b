// `run -`: the action sends the request, the digest manifest and the registry password on stdin as
// one JSON document, so nothing needs uploading. They are staged in a private directory of the run
// (0700, beside its journal); the password file there is deleted by the run as soon as it is read
// (a password file an operator names with --registry-password-file is theirs and stays).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as z from 'zod';
import { commonOptions, formatIssues } from '../../common/request.js';
import { stackName } from '../../common/names.js';
import { readAsCaller, type Caller } from '../caller.js';
import { DeployError } from '../errors.js';
import { layout } from '../../common/layout.js';
import { checkTrustedRoot } from '../ownership.js';
import { stagedPasswordFile, stagingDir } from '../domain/run-inputs.js';

const envelope = z.strictObject({
  request: z.record(z.string(), z.unknown()),
  digest_manifest: z.string().max(1_000_000).optional(),
  registry_password: z.string().max(10_000).optional(),
});
const where = z.object({ stack: stackName, root: commonOptions.root });

/**
 * Writes the inputs of run `key` and returns the request file's path and the staging directory.
 * Under sudo (`caller`), a file the request names instead of sending is read with the caller's
 * rights and staged too, so the run never reads a path the caller chose with root's rights.
 */
export function stageStdinInputs(
  text: string,
  key: string,
  caller?: Caller,
): { requestFile: string; dir: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DeployError(`run -: stdin is not JSON: ${(err as Error).message}`, 2);
  }
  const e = envelope.safeParse(doc);
  if (!e.success) throw new DeployError(`run -: ${formatIssues(e.error)}`, 2);
  const at = where.safeParse(e.data.request);
  if (!at.success) throw new DeployError(formatIssues(at.error), 2);
  checkTrustedRoot(at.data.root, at.data.stack);
  const paths = layout(at.data.root);
  const dir = stagingDir(paths, at.data.stack, key);
  const request: Record<string, unknown> = { ...e.data.request };
  const login = request.registry_login as Record<string, unknown> | undefined;
  const named = (path: unknown, field: string) =>
    caller && typeof path === 'string' && path ? readAsCaller(path, field, caller) : undefined;
  const digests = e.data.digest_manifest ?? named(request.digest_file, 'digest_file');
  const password =
    login && typeof login === 'object'
      ? (e.data.registry_password ?? named(login.password_file, 'registry password file'))
      : undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    if (digests !== undefined) {
      writeFileSync(`${dir}/image-digests.json`, digests, { mode: 0o600 });
      request.digest_file = `${dir}/image-digests.json`;
    }
    if (password !== undefined && login && typeof login === 'object') {
      const file = stagedPasswordFile(paths, at.data.stack, key)!;
      writeFileSync(file, password, { mode: 0o600 });
      request.registry_login = { ...login, password_file: file };
    }
    const requestFile = `${dir}/request.json`;
    writeFileSync(requestFile, JSON.stringify(request, null, 2) + '\n', { mode: 0o600 });
    return { requestFile, dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new DeployError(`cannot stage the run's inputs in ${dir}: ${(err as Error).message}`);
  }
}
