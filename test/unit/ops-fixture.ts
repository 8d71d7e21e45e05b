// A fake server root for the operator-command tests: release directories, history lines, the live
// symlink and the current manifest, written with the executor's own writers. No Docker.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layout, type Layout } from '../../common/layout.js';
import { markBad, RELEASE_META, type ReleaseMeta } from '../../remote/domain/releases.js';
import { buildManifest, writeManifest } from '../../remote/domain/manifest.js';
import { appendRecord, historyRecord } from '../../remote/domain/records.js';
import { switchLive } from '../../remote/domain/live-link.js';
import type { HistoryStatus } from '../../remote/domain/history.js';

export const DIGEST = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
export const REF = (n: number, repo = '127.0.0.1:5000/app') => `${repo}@${DIGEST(n)}`;

export const COMPOSE = `services:
  app:
    image: \${IMAGE_REF}
  db:
    image: postgres:16
  tool:
    image: busybox
    profiles: [tools]
x-seisei-deploy:
  keep_releases: 3
`;

export function tempRoot(): { root: string; l: Layout; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'seisei-ops-'));
  return { root, l: layout(root), dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** `sha-<n>__2026010<day>T000000Z`-style ids that sort by n. */
export const rid = (n: number, tag = `sha-${n}`) =>
  `${tag}__202601${String(1 + Math.floor(n / 24)).padStart(2, '0')}T${String(n % 24).padStart(2, '0')}0000Z`;

export function makeRelease(l: Layout, stack: string, id: string, n = 1): ReleaseMeta {
  const dir = l.releaseDir(stack, id);
  mkdirSync(dir, { recursive: true });
  const meta: ReleaseMeta = {
    stack,
    env: 'staging',
    release_id: id,
    image_tag: id.split('__')[0]!,
    images: { IMAGE_REF: { name: 'app', ref: REF(n), digest: DIGEST(n) } },
    git_sha: 'a'.repeat(40),
    compose_file: 'docker-compose.yml',
    created_at_utc: new Date().toISOString(),
  };
  writeFileSync(join(dir, 'docker-compose.yml'), COMPOSE);
  writeFileSync(join(dir, '.env'), `IMAGE_REF=${REF(n)}\n`);
  writeFileSync(join(dir, RELEASE_META), JSON.stringify(meta));
  return meta;
}

export function recordRun(l: Layout, stack: string, id: string, status: HistoryStatus = 'success') {
  appendRecord(
    l,
    historyRecord(
      { stack, env: 'staging', mode: 'deploy', status, started: Date.now() },
      { actor: 'test', run_id: '1', break_glass: false, break_glass_reason: '' },
      { release_id: id },
    ),
  );
}

/** A release that was deployed: directory, success record; `live` also switches to it and writes the manifest. */
export function deployed(
  l: Layout,
  stack: string,
  id: string,
  n: number,
  opts: { live?: boolean; status?: HistoryStatus; bad?: boolean } = {},
): ReleaseMeta {
  const meta = makeRelease(l, stack, id, n);
  recordRun(l, stack, id, opts.status ?? 'success');
  if (opts.bad) markBad(l, stack, id, 'smoke failed');
  if (opts.live) {
    switchLive(l, stack, l.releaseDir(stack, id));
    writeManifest(
      l,
      buildManifest(meta, l.releaseDir(stack, id), {
        actor: 'alice',
        run_id: '42',
        break_glass: false,
        break_glass_reason: '',
        previous: '',
        mode: 'deploy',
        gate: 'not-gated',
        compose: 'v2',
        env: 'staging',
      }),
    );
  }
  return meta;
}

/** Runs `seisei-deploy <args> --root <root>` from the sources, as an operator would. */
export function cli(root: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'remote/cli.ts', ...args, '--root', root], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}
