// Freezes the stack source into an immutable release directory (DESIGN.md section 2, step 5).
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DeployError } from '../errors.js';
import { fsyncDir } from '../fsutil.js';
import type { Layout } from '../layout.js';
import { RELEASE_META, type ReleaseMeta } from '../releases.js';
import { findComposeFile, pinEnv, readStackConfig } from '../stack-config.js';

export function solidify(
  l: Layout,
  sourceDir: string,
  meta: Omit<ReleaseMeta, 'compose_file' | 'created_at_utc'>,
): { dir: string; composeFile: string } {
  if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) {
    throw new DeployError(
      `stack source ${sourceDir} does not exist: check stacks_source (--source) and the stack name`,
    );
  }
  const composeFile = findComposeFile(sourceDir);
  if (!composeFile)
    throw new DeployError(`stack source ${sourceDir} has no docker-compose.yml (or compose.yaml)`);
  readStackConfig(sourceDir, composeFile); // an invalid x-seisei-deploy block never becomes a release

  const parent = l.stackReleases(meta.stack);
  mkdirSync(parent, { recursive: true, mode: 0o755 });
  const final = join(parent, meta.release_id);
  if (existsSync(final))
    throw new DeployError(`release ${final} already exists; wait a second and deploy again`);
  const tmp = join(parent, `.tmp-${meta.release_id}-${process.pid}`);
  try {
    cpSync(sourceDir, tmp, {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
      errorOnExist: true,
    });
    const envPath = join(tmp, '.env');
    const source = existsSync(envPath) ? readFileSync(envPath, 'utf8') : '';
    const refs = Object.fromEntries(Object.entries(meta.images).map(([v, img]) => [v, img.ref]));
    writeFileSync(envPath, pinEnv(source, refs), {
      mode: existsSync(envPath) ? statSync(envPath).mode & 0o777 : 0o600,
    });
    const full: ReleaseMeta = {
      ...meta,
      compose_file: composeFile,
      created_at_utc: new Date().toISOString(),
    };
    writeFileSync(join(tmp, RELEASE_META), JSON.stringify(full, null, 2) + '\n', { mode: 0o644 });
    syncTree(tmp);
    renameSync(tmp, final);
    fsyncDir(parent);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (err instanceof DeployError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new DeployError(
      `could not write release ${final}: ${e.code === 'ENOSPC' ? 'no space left on device' : e.message}`,
    );
  }
  return { dir: final, composeFile };
}

/** Flushes a freshly written tree with one syncfs(2) (coreutils `sync -f`) instead of an fsync per file. */
function syncTree(dir: string): void {
  const r = spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
  if (r.status !== 0)
    throw new DeployError(`could not flush ${dir} to disk (sync -f exited ${r.status ?? r.signal})`);
}
