// Preflight (right after the lock, before anything changes): Docker must answer, Compose must be
// installed, and the releases filesystem must have room for a release and its records. Failing here
// leaves the server as it was.
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { ComposeFlavor } from '../commands/compose.js';
import type { DeployRequest } from '../../common/request.js';
import { detectCompose } from '../engine/compose-detect.js';
import { composeEnv, Docker } from '../docker.js';
import type { Host, Login } from '../engine/engine.js';
import { privateDockerConfig, takeLogin } from '../registry-credentials.js';
import type { RunContext } from '../run-context.js';
import { DeployError } from '../errors.js';
import type { Layout } from '../../common/layout.js';
import type { Reporter } from '../report.js';

/** Room a deploy needs beyond the release's own files: manifest, history line, journal, lock. */
export const MIN_FREE_BYTES = 1024 * 1024;

export async function preflight(
  layout: Layout,
  docker: Docker,
  report: Reporter,
  opts: { needBytes?: number; timeoutMs?: number } = {},
): Promise<ComposeFlavor> {
  // Two questions to docker: ask them at once.
  const [version, flavor] = await Promise.all([
    docker.serverVersion(opts.timeoutMs ?? 30_000).catch((err: Error) => {
      const why = err.message.trim().split('\n').slice(-1)[0];
      const host = process.env.DOCKER_HOST ? ` at DOCKER_HOST=${process.env.DOCKER_HOST}` : '';
      throw new DeployError(
        `preflight: the Docker daemon${host} does not answer (${why}). Start it (e.g. systemctl start docker) and run again; nothing was changed`,
      );
    }),
    detectCompose(composeEnv()),
  ]);
  const need = (opts.needBytes ?? 0) + MIN_FREE_BYTES;
  const free = freeBytes(layout.releasesDir);
  if (free !== undefined && free < need) {
    throw new DeployError(
      `preflight: no space left for a release: ${fmt(free)} free on the filesystem of ${layout.releasesDir}, ${fmt(need)} needed. Free some space (e.g. seisei-deploy cleanup --keep N) and run again; nothing was changed`,
    );
  }
  report.log(`docker ${version}, compose ${flavor}${free === undefined ? '' : `, ${fmt(free)} free`}`);
  return flavor;
}

/**
 * A deploy's preflight: its registry login taken first (the password read, a private DOCKER_CONFIG
 * made for the run and removed when it ends), so a failure there is recorded like any other.
 */
export async function preflightDeploy(
  run: RunContext,
  req: DeployRequest,
): Promise<{ host: Host; login?: Login }> {
  const login = takeLogin(run.layout, req);
  const config = login ? privateDockerConfig(run.layout.runsDir(run.stack)) : undefined;
  if (config) run.defer(config.dispose);
  const docker = new Docker(run.report, config?.dir);
  const needBytes = treeBytes(`${req.source}/${req.stack}`);
  const flavor = await preflight(run.layout, docker, run.report, { needBytes });
  return { host: { docker, flavor, report: run.report }, login };
}

/** A rollback's preflight: the images it needs were pulled with the deploy's login, or are public. */
export async function preflightRollback(run: RunContext): Promise<Host> {
  const docker = new Docker(run.report);
  return { docker, flavor: await preflight(run.layout, docker, run.report), report: run.report };
}

/** Free bytes on the filesystem holding `path` (or its nearest existing parent), as this user may use them. */
function freeBytes(path: string): number | undefined {
  // A namespace import: statfsSync exists from Node 18.15 on, and a named import would not load before.
  if (typeof fs.statfsSync !== 'function') return undefined;
  let p = path;
  while (!fs.existsSync(p) && dirname(p) !== p) p = dirname(p);
  const s = fs.statfsSync(p);
  return (process.getuid?.() === 0 ? s.bfree : s.bavail) * s.bsize;
}

/** Bytes a copy of `dir` takes, counting each file and directory as whole 4 KiB blocks. */
export function treeBytes(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      total += Math.ceil((e.isFile() ? fs.statSync(p).size : 0) / 4096) * 4096 + 4096;
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return total;
}

const fmt = (n: number) =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`;
