// Freezes the stack source into an immutable release directory (DESIGN.md section 2, step 5).
import {
  closeSync,
  existsSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DeployError } from '../errors.js';
import { copyStackTree } from '../copy-tree.js';
import { fsyncDir } from '../fsutil.js';
import type { Layout } from '../../common/layout.js';
import { RELEASE_META, type ReleaseMeta } from '../domain/releases.js';
import type { DeployRequest } from '../../common/request.js';
import type { ReleasePlan } from '../domain/plan.js';
import { loadRelease, type Release } from '../domain/release.js';
import type { RunContext } from '../run-context.js';
import { COMPOSE_FILES, pinEnv, readStackConfig } from '../domain/stack-config.js';

/** The solidify step of a deploy: the stack source frozen into the new release, read back. */
export function solidifyRelease(run: RunContext, req: DeployRequest, plan: ReleasePlan): Release {
  return loadRelease(solidify(run.layout, `${req.source}/${req.stack}`, plan.meta).dir);
}

export function solidify(
  layout: Layout,
  sourceDir: string,
  meta: Omit<ReleaseMeta, 'compose_file' | 'created_at_utc'>,
): { dir: string; composeFile: string } {
  const composeFile = checkSource(sourceDir);
  readStackConfig(sourceDir, composeFile); // an invalid x-seisei-deploy block never becomes a release
  const parent = layout.stackReleases(meta.stack);
  mkdirSync(parent, { recursive: true, mode: 0o755 });
  const final = join(parent, meta.release_id);
  if (existsSync(final))
    throw new DeployError(`release ${final} already exists; wait a second and deploy again`);
  const tmp = join(parent, `.tmp-${meta.release_id}-${process.pid}`);
  let made = false;
  try {
    mkdirSync(tmp, { mode: 0o700 }); // fails if anything is at that name, a link included
    made = true;
    copyStackTree(sourceDir, tmp);
    checkSource(tmp, sourceDir); // what was copied, not what the source may have become since
    const envPath = join(tmp, '.env');
    const had = lstatSync(envPath, { throwIfNoEntry: false });
    const source = had ? readFileSync(envPath, 'utf8') : '';
    const refs = Object.fromEntries(Object.entries(meta.images).map(([v, img]) => [v, img.ref]));
    writeNewFile(envPath, pinEnv(source, refs), had ? had.mode & 0o777 : 0o600);
    const full: ReleaseMeta = {
      ...meta,
      compose_file: composeFile,
      created_at_utc: new Date().toISOString(),
    };
    writeNewFile(join(tmp, RELEASE_META), JSON.stringify(full, null, 2) + '\n', 0o644);
    syncTree(tmp);
    renameSync(tmp, final);
    fsyncDir(parent);
  } catch (err) {
    if (made) rmSync(tmp, { recursive: true, force: true }); // only what this run made
    const e = err as NodeJS.ErrnoException;
    if (err instanceof DeployError) throw err;
    throw new DeployError(
      `could not write release ${final}: ${e.code === 'ENOSPC' ? 'no space left on device' : e.message}`,
    );
  }
  return { dir: final, composeFile };
}

/**
 * The stack directory must be a real directory, its compose file and .env regular files (links
 * elsewhere in the tree are checked by the copy). Returns the compose file's name. `shownAs` names
 * the source in messages when `dir` is its copy.
 */
function checkSource(dir: string, shownAs = dir): string {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st)
    throw new DeployError(
      `stack source ${shownAs} does not exist: check stacks_source (--source) and the stack name`,
    );
  if (!st.isDirectory())
    throw new DeployError(
      `stack source ${shownAs} must be a directory${st.isSymbolicLink() ? ', not a symbolic link' : ''}: releases are copies of a real directory`,
    );
  const names = readdirSync(dir);
  const composeFile = COMPOSE_FILES.find((f) => names.includes(f));
  if (!composeFile)
    throw new DeployError(`stack source ${shownAs} has no docker-compose.yml (or compose.yaml)`);
  for (const name of [composeFile, '.env']) {
    const f = lstatSync(join(dir, name), { throwIfNoEntry: false });
    if (f && !f.isFile())
      throw new DeployError(
        `stack source ${join(shownAs, name)} must be a regular file${f.isSymbolicLink() ? ', not a symbolic link' : ''}: put the file itself in the stack directory`,
      );
  }
  return composeFile;
}

/** Replaces whatever is at `path` by a new file: unlink, then an exclusive create (never through a link). */
function writeNewFile(path: string, data: string, mode: number): void {
  rmSync(path, { force: true });
  const fd = openSync(path, 'wx', mode);
  try {
    fchmodSync(fd, mode);
    for (let off = 0, buf = Buffer.from(data); off < buf.length;)
      off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a freshly written tree with one syncfs(2) (coreutils `sync -f`) instead of an fsync per file. */
function syncTree(dir: string): void {
  const r = spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
  if (r.status !== 0)
    throw new DeployError(`could not flush ${dir} to disk (sync -f exited ${r.status ?? r.signal})`);
}
